// A minimal IAM stand-in for the benchmarks, run in its own process so that the
// client under test (Node or Python) has the other core to itself.
// Reads {cert, key, jwks, token} as JSON on stdin, listens on 127.0.0.1:0 and
// prints {"port": N} on stdout. POST anything -> the token JSON; GET /jwks -> the JWKS;
// GET /stats -> TLS connections accepted and requests served (keep-alive check).
import { createServer } from 'node:https';

let input = '';
process.stdin.setEncoding('utf8');
process.stdin.on('data', (c) => (input += c));
process.stdin.on('end', () => {
  const { cert, key, jwks, token } = JSON.parse(input);
  let connections = 0;
  let requests = 0;
  const tokenBody = Buffer.from(JSON.stringify(token));
  const jwksBody = Buffer.from(JSON.stringify(jwks ?? { keys: [] }));
  const server = createServer({ cert, key, keepAlive: true, keepAliveTimeout: 60_000 }, (req, res) => {
    req.on('data', () => {});
    req.on('end', () => {
      if (req.method === 'GET' && req.url === '/stats') {
        const stats = Buffer.from(JSON.stringify({ connections, requests }));
        res.writeHead(200, { 'content-type': 'application/json', 'content-length': stats.length });
        res.end(stats);
        return;
      }
      requests++;
      const body = req.method === 'GET' && req.url === '/jwks' ? jwksBody : tokenBody;
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': body.length });
      res.end(body);
    });
  });
  server.keepAliveTimeout = 60_000;
  server.on('secureConnection', () => connections++);
  server.listen(0, '127.0.0.1', () => {
    process.stdout.write(JSON.stringify({ port: server.address().port }) + '\n');
  });
  process.on('SIGTERM', () => {
    server.closeAllConnections();
    process.exit(0);
  });
  // Never outlive the benchmark: exit when orphaned (the parent crashed without stopping us).
  const parent = process.ppid;
  setInterval(() => {
    if (process.ppid !== parent) process.exit(0);
  }, 1000).unref();
});
