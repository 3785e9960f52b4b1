// Verify the consent service's tokens offline in Node, with jose: the same checks as the
// Python package consent_verifier (EdDSA only, known kid, issuer, exp with leeway, iat skew,
// and whose token it is: the expected subject, and for a banner's token its property).
//
//   import { ANY_VISITOR, makeVerifier } from "consent-verifier";   // this file, as the package
//   const consent = makeVerifier({ issuer: "https://consent.example.com" });
//   if (await consent.allowed(token, "recording", { subject: "customer:c-1" })) startRecording();
//   // a site reading its own banner's cookie: any visitor, but of this property only
//   if (await consent.allowed(cookie, "analytics", { subject: ANY_VISITOR, property: "pk_live_shop" })) track();
//   const claims = await consent.verify(token, { subject: "customer:c-1" }); // throws on an invalid token

import { createRemoteJWKSet, errors, jwtVerify } from "jose";

const JWKS_PATH = "/.well-known/jwks.json";
const MAX_TOKEN_LENGTH = 8 * 1024;
const SUBJECT = /^(visitor|customer):[\s\S]/;

/** The expected subject when any visitor of one property may hold the token (with `property`). */
export const ANY_VISITOR = Symbol("ANY_VISITOR");
// Headers that would let a token pick its own key; jose ignores them when a key set is given,
// refusing them outright keeps both verifiers equally strict.
const FORBIDDEN_HEADERS = ["jku", "x5u", "jwk", "x5c"];

/** A token failed one of the consent-specific checks that jose does not make itself. */
export class ConsentTokenInvalid extends Error {
  name = "ConsentTokenInvalid";
}

/** Build a verifier for one issuer; the JWKS is fetched lazily and cached. */
export function makeVerifier({
  issuer,
  jwksUrl = issuer.replace(/\/+$/, "") + JWKS_PATH,
  leeway = 60,
  iatSkew = 5,
  now = () => new Date(),
  cacheMaxAge = 300_000, // keys are fresh for 5 minutes
}) {
  const jwks = createRemoteJWKSet(new URL(jwksUrl), {
    cacheMaxAge,
    cooldownDuration: 30_000, // an unknown kid refetches at most once per 30 s
    timeoutDuration: 5_000,
  });

  /**
   * Resolve to the claims of a token about `subject` ("customer:c-1", or ANY_VISITOR with a
   * property) issued to `property`'s banner (undefined: a token issued through the API), or reject
   * with a jose error or ConsentTokenInvalid. A valid token of someone else is refused.
   */
  async function verify(token, { subject, property } = {}) {
    checkExpectation(subject, property);
    if (typeof token !== "string" || token.length > MAX_TOKEN_LENGTH) {
      throw new ConsentTokenInvalid("token must be a string of at most 8 KiB");
    }
    const currentDate = now();
    const { payload, protectedHeader } = await jwtVerify(token, jwks, {
      algorithms: ["EdDSA"],
      issuer,
      requiredClaims: ["exp", "iat", "sub", "purposes"],
      clockTolerance: leeway,
      currentDate,
    });
    checkHeader(protectedHeader);
    checkClaims(payload, currentDate.getTime() / 1000 + iatSkew);
    checkBinding(payload, subject, property);
    return payload;
  }

  /** True only if the token verifies, is the expected subject's and grants the purpose; else false. */
  async function allowed(token, purpose, expected) {
    checkExpectation(expected?.subject, expected?.property);
    try {
      const claims = await verify(token, expected);
      return Object.hasOwn(claims.purposes, purpose) && claims.purposes[purpose] === true;
    } catch (error) {
      if (error instanceof errors.JOSEError || error instanceof ConsentTokenInvalid) return false;
      throw error;
    }
  }

  return { verify, allowed };
}

/** A caller's mistake (a TypeError, not an invalid token): an expectation that names nobody. */
function checkExpectation(subject, property) {
  if (property !== undefined && (typeof property !== "string" || property === "")) {
    throw new TypeError("property must be a non-empty string (the publishable key) or undefined");
  }
  if (subject === ANY_VISITOR) {
    if (property === undefined) throw new TypeError("ANY_VISITOR needs the property whose banner issued the token");
  } else if (typeof subject !== "string" || !/^(visitor|customer):./s.test(subject)) {
    throw new TypeError('subject must be "visitor:<id>", "customer:<id>" or ANY_VISITOR');
  }
}

function checkBinding(payload, subject, property) {
  const anyVisitor = subject === ANY_VISITOR && payload.sub.startsWith("visitor:");
  if (payload.sub !== subject && !anyVisitor) throw new ConsentTokenInvalid("the token is about another subject");
  if (payload.prp !== property) throw new ConsentTokenInvalid("the token was issued to another property");
}

function checkHeader(header) {
  const forbidden = FORBIDDEN_HEADERS.filter((name) => Object.hasOwn(header, name));
  if (forbidden.length > 0) throw new ConsentTokenInvalid(`header must not carry ${forbidden.join(", ")}`);
  if (header.typ !== undefined && header.typ !== "JWT") throw new ConsentTokenInvalid("typ must be JWT");
  if (typeof header.kid !== "string" || header.kid === "") throw new ConsentTokenInvalid("header has no kid");
}

function checkClaims(payload, latestIssuedAt) {
  if (!Number.isInteger(payload.exp) || !Number.isInteger(payload.iat)) {
    throw new ConsentTokenInvalid("exp and iat must be integers");
  }
  if (payload.iat > latestIssuedAt) throw new ConsentTokenInvalid("token was issued in the future");
  if (typeof payload.sub !== "string" || !SUBJECT.test(payload.sub)) {
    throw new ConsentTokenInvalid("sub must be visitor:<id> or customer:<id>");
  }
  const { purposes } = payload;
  if (purposes === null || typeof purposes !== "object" || Array.isArray(purposes)) {
    throw new ConsentTokenInvalid("purposes must be an object");
  }
  if (!Object.values(purposes).every((decision) => typeof decision === "boolean")) {
    throw new ConsentTokenInvalid("every purpose decision must be a boolean");
  }
}
