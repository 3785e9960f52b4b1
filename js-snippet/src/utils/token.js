/** Reads the claims of the server's consent token (a compact JWS); checking its signature is the server's job. */

/**
 * The decoded payload of a compact JWS, or null when it is not base64url-encoded JSON of an object.
 * Null rather than an exception: a damaged cookie must read as "no consent", never break the page.
 */
export function decodePayload(token) {
  try {
    const part = String(token).split('.')[1];
    const binary = atob(part.replace(/-/g, '+').replace(/_/g, '/'));
    const bytes = Uint8Array.from(binary, (c) => c.charCodeAt(0));
    const claims = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes));
    return claims && typeof claims === 'object' && !Array.isArray(claims) ? claims : null;
  } catch (_) {
    return null;
  }
}
