/**
 * The server's consent token (a compact JWS): its parts, and the claim rules under which this page
 * may act on it. Nothing here trusts a payload: `core/verifier.js` checks the signature first.
 */

/** A compact JWS: header, payload and signature in base64url. */
const JWS = /^([\w-]+)\.([\w-]+)\.([\w-]+)$/;

/** The bytes of a base64url segment; throws on anything else. */
export const segmentBytes = (segment) =>
  Uint8Array.from(atob(segment.replace(/-/g, '+').replace(/_/g, '/')), (c) => c.charCodeAt(0));

const isObject = (value) => Boolean(value) && typeof value === 'object' && !Array.isArray(value);

/** A base64url segment holding UTF-8 JSON of an object, or null. */
function segmentJson(segment) {
  try {
    const value = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(segmentBytes(segment)));
    return isObject(value) ? value : null;
  } catch {
    return null;
  }
}

/**
 * `{kid, input, signature, claims}` of a compact JWS whose header asks for EdDSA with a key id
 * (and nothing that would pick another key); null otherwise, never an exception: a damaged cookie
 * must read as "no consent". The claims are not yet verified. The one reader of tokens: the cookie,
 * the verifier and a choice's receipt all use it.
 */
export function parseToken(token) {
  const parts = JWS.exec(token);
  const header = parts && segmentJson(parts[1]);
  const claims = header && segmentJson(parts[2]);
  if (
    !claims ||
    header.alg !== 'EdDSA' ||
    typeof header.kid !== 'string' ||
    (header.typ || 'JWT') !== 'JWT' ||
    ['jku', 'x5u', 'jwk', 'x5c', 'crit'].some((name) => name in header)
  ) {
    return null;
  }
  try {
    return { kid: header.kid, input: parts[1] + '.' + parts[2], signature: segmentBytes(parts[3]), claims };
  } catch {
    return null;
  }
}

/**
 * Whether verified claims speak for this page's visitor: issued by the service (`issuer`), to this
 * page's property, about a visitor, not expired at `now` (ms), every decision a boolean.
 */
export function claimsAccepted(claims, issuer, property, now) {
  const { purposes, sub, exp } = claims;
  return (
    claims.iss === issuer &&
    claims.prp === property &&
    typeof sub === 'string' &&
    /^visitor:./.test(sub) &&
    Number.isInteger(exp) &&
    exp * 1000 > now &&
    isObject(purposes) &&
    Object.values(purposes).every((decision) => typeof decision === 'boolean')
  );
}
