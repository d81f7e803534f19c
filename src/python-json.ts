/**
 * JSON text as Python's `json` module writes it, where the bytes must match the
 * reference: non-ASCII escaped as \uXXXX (ensure_ascii, the default).
 */

/** `json.dumps(obj, separators=(",", ":"))`, as PyJWT encodes JWT parts. */
export function pythonCompactJson(value: unknown): string {
  return asciiOnly(JSON.stringify(value));
}

/**
 * `json.dumps(obj)` (", " and ": " separators), so that a Vault map read by this
 * package is the same string the Python reference returns for it.
 */
export function pythonJsonDumps(value: unknown): string {
  if (value === null || value === undefined) return 'null';
  if (typeof value === 'string') return asciiOnly(JSON.stringify(value));
  if (typeof value === 'number') return Number.isFinite(value) ? JSON.stringify(value) : value > 0 ? 'Infinity' : value < 0 ? '-Infinity' : 'NaN';
  if (typeof value === 'boolean') return value ? 'true' : 'false';
  if (Array.isArray(value)) return `[${value.map(pythonJsonDumps).join(', ')}]`;
  if (typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>).map(([k, v]) => `${asciiOnly(JSON.stringify(k))}: ${pythonJsonDumps(v)}`);
    return `{${entries.join(', ')}}`;
  }
  return 'null';
}

function asciiOnly(json: string): string {
  return json.replace(/[\u007f-\uffff]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}
