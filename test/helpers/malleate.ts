/**
 * Copies of a compact JWS that a lenient base64 decoder (atob, Buffer) reads as
 * the same bytes: padding, whitespace, or non-zero unused bits in a segment.
 * RFC 7515 §2 allows none of them, and a strict verifier refuses every one.
 */
const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';

export function malleatedCopies(token: string): Array<[string, string]> {
  const [header = '', payload = '', signature = ''] = token.split('.');
  const middle = (text: string, insert: string): string => `${text.slice(0, text.length >> 1)}${insert}${text.slice(text.length >> 1)}`;
  const copies: Array<[string, string]> = [
    ['"==" after the signature', `${header}.${payload}.${signature}==`],
    ['a space inside the signature', `${header}.${payload}.${middle(signature, ' ')}`],
    ['a tab inside the signature', `${header}.${payload}.${middle(signature, '\t')}`],
    ['a newline inside the signature', `${header}.${payload}.${middle(signature, '\n')}`],
    ['a space inside the payload', `${header}.${middle(payload, ' ')}.${signature}`],
    ['a space inside the header', `${middle(header, ' ')}.${payload}.${signature}`],
  ];
  const padding = '='.repeat((4 - (signature.length % 4)) % 4);
  if (padding) copies.push(['base64 padding on the signature', `${header}.${payload}.${signature}${padding}`]);
  if (signature.length % 4 !== 0) {
    // The last character's lowest bit carries no data when the length is not a multiple of 4.
    const last = ALPHABET.indexOf(signature.at(-1) as string);
    copies.push(['non-zero unused bits in the signature', `${header}.${payload}.${signature.slice(0, -1)}${ALPHABET[last ^ 1]}`]);
  }
  return copies;
}
