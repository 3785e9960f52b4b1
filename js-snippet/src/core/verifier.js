/**
 * Decides whether a stored consent token is the service's own, for this page, before anything acts
 * on it: the Ed25519 signature with WebCrypto, then the claim rules. The keys come with the banner
 * config and are kept in localStorage, so a returning visit verifies with no request; a new set
 * replaces the old whole, so a key the service no longer publishes stops verifying. A kid none of
 * them has (a rotation) fetches the JWKS, at most once per REFETCH_MS (the config's and the JWKS's
 * cache lifetime), whose keys join the config's for that long. Without Ed25519 in WebCrypto
 * the service verifies (`POST /v1/banner/{pk}/verify`). Anything else is no consent.
 */
import { bannerUrl, postJson, request } from './config.js';
import { claimsAccepted, parseToken } from '../utils/token.js';

const STORE = 'consent_keys';
// Cached keys older than this wait for the config: it replaces them on every page anyway.
const MAX_AGE_MS = 7 * 864e5;
const REFETCH_MS = 3e5;
const ED25519 = { name: 'Ed25519' };

/**
 * `subtle` is WebCrypto (absent outside secure contexts), `fetch` the network, `api` the service's
 * origin, `property` this page's publishable key, `now()` the clock (ms); all injected.
 */
export function createVerifier(win, subtle, fetch, api, property, now) {
  let storage = null;
  try {
    storage = win.localStorage; // reading it throws where storage is blocked
  } catch {
    // no storage: each page waits for its config
  }
  // {api, issuer, keys: [jwk], at, jwks}: the newest key set and when the JWKS was last fetched.
  let set = null;
  try {
    set = JSON.parse(storage.getItem(STORE));
    if (!set || set.api !== api || !(now() - set.at < MAX_AGE_MS) || !Array.isArray(set.keys)) set = null;
  } catch {
    set = null;
  }
  let configured;
  const config = new Promise((resolve) => (configured = resolve));
  let refetch = null;

  function keep(issuer, keys, jwks) {
    if (typeof issuer !== 'string' || !Array.isArray(keys)) return;
    set = { api, issuer, keys, at: now(), jwks };
    try {
      storage.setItem(STORE, JSON.stringify(set));
    } catch {
      // no storage: the next page waits for its config
    }
  }

  const find = (kid) => set && set.keys.find((key) => key && key.kid === kid);

  async function keyFor(kid) {
    if (!find(kid)) await config;
    if (!find(kid) && set && !(now() - set.jwks < REFETCH_MS)) {
      const issuer = set.issuer;
      // A failed fetch keeps the keys, and still counts against REFETCH_MS.
      refetch =
        refetch ||
        request(fetch, api + '/.well-known/jwks.json').then((jwks) => jwks.keys, () => null)
          .then((keys) => keep(issuer, Array.isArray(keys) ? keys : set.keys, now()));
      await refetch;
    }
    return find(kid);
  }

  /** The service's own answer, for browsers without Ed25519 in WebCrypto. */
  async function askService(token) {
    const answer = await postJson(fetch, bannerUrl(api, property) + '/verify', { token }).catch(() => null);
    const claims = answer && answer.valid === true && answer.claims;
    return claims && claimsAccepted(claims, claims.iss, property, now()) ? claims : null;
  }

  return {
    /** Takes the config's `tokens` ({issuer, keys}); null when the config failed. */
    configure(tokens) {
      let keys = tokens && tokens.keys;
      // A config the browser cached may be older than a JWKS fetched within REFETCH_MS: keep both.
      if (Array.isArray(keys) && set && now() - set.jwks < REFETCH_MS) {
        keys = keys.concat(set.keys.filter((key) => !keys.some((listed) => listed.kid === key.kid)));
      }
      if (tokens) keep(tokens.issuer, keys, set && set.jwks);
      configured();
    },
    /** Resolves to the token's verified claims, or null: it must not be acted on. */
    async verify(token) {
      const parsed = parseToken(token);
      if (!parsed || !property) return null;
      if (!subtle) return askService(token);
      const jwk = await keyFor(parsed.kid);
      if (!jwk) return null;
      let key;
      try {
        key = await subtle.importKey('jwk', { kty: 'OKP', crv: 'Ed25519', x: jwk.x }, ED25519, false, ['verify']);
      } catch {
        return askService(token); // no Ed25519 here (or a key it cannot read): the service decides
      }
      const input = new TextEncoder().encode(parsed.input);
      const valid = await subtle.verify(ED25519, key, parsed.signature, input).catch(() => false);
      return valid && claimsAccepted(parsed.claims, set.issuer, property, now()) ? parsed.claims : null;
    },
  };
}
