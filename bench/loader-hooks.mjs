// Module hooks for bench/load-check.mjs: reports every resolved module URL.
let port;
export async function initialize(data) {
  port = data.port;
}
export async function resolve(specifier, context, nextResolve) {
  const result = await nextResolve(specifier, context);
  port.postMessage(result.url);
  return result;
}
