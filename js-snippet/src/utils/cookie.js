/** The consent cookie: one versioned record (`1.<jws>`) holding the server's token, read and written first-party; the token is verified before use (core/verifier.js). */
import { parseToken } from './token.js';

export const DEFAULT_COOKIE_NAME = 'consent_token';
// The record's first field. A future layout gets a new version, and older readers then
// ignore it (the visitor is asked again) instead of misreading it.
export const RECORD_VERSION = '1';
const NAME = /^[\w-]+$/;
const DOMAIN = /^\.?[a-z0-9-]+(\.[a-z0-9-]+)*$/i;

export function serializeRecord(token) {
  return RECORD_VERSION + '.' + token;
}

/** `{token, claims}` from a cookie value, or null when malformed, of another version, or expired at `now` (ms). */
export function parseRecord(value, now) {
  const dot = typeof value === 'string' ? value.indexOf('.') : -1;
  if (dot < 0 || value.slice(0, dot) !== RECORD_VERSION) return null;
  const token = value.slice(dot + 1);
  // Read as the verifier will read it; the signature waits for the verifier (core/verifier.js).
  const parsed = parseToken(token);
  const claims = parsed && parsed.claims;
  const purposes = claims && claims.purposes;
  if (!purposes || typeof purposes !== 'object' || !(claims.exp * 1000 > now)) return null;
  return { token, claims };
}

/** The cookie name a config asks for, if it is a safe token; else the default. */
export function cookieName(name) {
  return NAME.test(name || '') ? name : DEFAULT_COOKIE_NAME;
}

/**
 * The readable records among the cookies called `name`, newest first (a host-only and a domain
 * cookie may coexist). Unverified: the order only says which to verify first.
 */
export function readRecords(doc, name, now) {
  const records = [];
  for (const pair of doc.cookie.split(';')) {
    const eq = pair.indexOf('=');
    const record = eq > 0 && pair.slice(0, eq).trim() === name && parseRecord(pair.slice(eq + 1).trim(), now);
    if (record) records.push(record);
  }
  return records.sort((a, b) => (b.claims.iat || 0) - (a.claims.iat || 0) || b.claims.exp - a.claims.exp);
}

/**
 * The `document.cookie` assignment storing `token` until `expiresAt` (ms); an empty value with
 * Max-Age=0 when `token` is null or already expired, which deletes the cookie.
 */
export function cookieString(name, token, expiresAt, now, domain, secure) {
  const maxAge = token ? Math.floor((expiresAt - now) / 1000) : 0;
  const live = maxAge > 0;
  return (
    name + '=' + (live ? serializeRecord(token) : '') +
    '; Max-Age=' + (live ? maxAge : 0) +
    '; Path=/; SameSite=Lax' +
    (DOMAIN.test(domain || '') ? '; Domain=' + domain : '') +
    (secure ? '; Secure' : '')
  );
}

/** Stores (or, with token null, deletes) the record; with a Domain it also drops any host-only copy, so one cookie wins. */
export function writeRecord(doc, name, token, expiresAt, now, domain, secure) {
  if (DOMAIN.test(domain || '')) doc.cookie = cookieString(name, null, expiresAt, now, null, secure);
  doc.cookie = cookieString(name, token, expiresAt, now, domain, secure);
}
