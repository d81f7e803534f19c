/**
 * The one rule for plain HTTP: allowed only to a loopback address, where local
 * emulators (LocalStack, moto, `vault server -dev`, `bao server -dev`) listen by
 * default and nothing crosses a network. Everything else must be HTTPS.
 */

/** True for `localhost`, 127.0.0.0/8 and ::1 (with or without brackets). Other names, even ones that resolve to loopback, are not. */
export function isLoopbackHost(host: string): boolean {
  const name = host.toLowerCase();
  return name === 'localhost' || name === '::1' || name === '[::1]' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(name);
}

/**
 * How an endpoint URL may be used: 'https', 'loopback-http' (plain HTTP to a loopback
 * address: allowed, with a warning), or 'refused' (anything else, a malformed URL included).
 * The host is read after URL parsing, so `http://127.1` and `http://[0:0::1]` count as loopback
 * and `http://127.0.0.1.example.com` does not.
 */
export function endpointKind(url: string | URL): 'https' | 'loopback-http' | 'refused' {
  let parsed: URL;
  try {
    parsed = typeof url === 'string' ? new URL(url) : url;
  } catch {
    return 'refused';
  }
  if (parsed.protocol === 'https:') return 'https';
  if (parsed.protocol === 'http:' && isLoopbackHost(parsed.hostname)) return 'loopback-http';
  return 'refused';
}
