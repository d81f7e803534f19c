/**
 * Strict base64url (RFC 7515 §2): the URL-safe alphabet without padding or
 * whitespace, a possible length, and zero unused bits in the last character
 * (RFC 4648 §3.5), so each byte string has exactly one encoding. jose decodes
 * with `atob`, and Node's Buffer is as forgiving: both skip whitespace, accept
 * padding and ignore unused bits, so a signed token could be reworded (a space,
 * `==`) and still verify. Every compact JWS is checked here before it is parsed.
 */

const ALPHABET = /^[A-Za-z0-9_-]*$/;
const VALUES = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';

export function isStrictBase64Url(text: string): boolean {
  if (!ALPHABET.test(text)) return false;
  const rest = text.length % 4;
  if (rest === 0) return true;
  if (rest === 1) return false; // no byte string encodes to this length
  // 2 characters left carry 8 bits (4 unused), 3 carry 16 (2 unused).
  const last = VALUES.indexOf(text.charAt(text.length - 1));
  return (last & (rest === 2 ? 0x0f : 0x03)) === 0;
}

/**
 * True for `header.payload.signature` with every segment strict base64url; header
 * and payload non-empty. An empty signature passes only with `allowEmptySignature`
 * (PyJWT parses `alg: none` tokens; the algorithm check refuses them afterwards).
 */
export function isStrictCompactJws(token: string, allowEmptySignature = false): boolean {
  const first = token.indexOf('.');
  const second = token.indexOf('.', first + 1);
  if (first <= 0 || second === -1 || second === first + 1 || token.indexOf('.', second + 1) !== -1) return false;
  if (!allowEmptySignature && second === token.length - 1) return false;
  return isStrictBase64Url(token.slice(0, first)) && isStrictBase64Url(token.slice(first + 1, second)) && isStrictBase64Url(token.slice(second + 1));
}
