// Types of consent-verifier (verify.mjs): the same API as the Python package consent_verifier.
import type { JWTPayload } from "jose";

/** The expected subject when any visitor of one property may hold the token (with `property`). */
export declare const ANY_VISITOR: unique symbol;

/** A token failed one of the consent-specific checks that jose does not make itself. */
export declare class ConsentTokenInvalid extends Error {
  name: "ConsentTokenInvalid";
}

/** A subject as the service names it: "visitor:<id>" or "customer:<id>". */
export type Subject = `visitor:${string}` | `customer:${string}`;

/** Whose token the caller expects; a banner's token carries its property's publishable key. */
export type Expectation =
  | { subject: Subject; property?: string }
  | { subject: typeof ANY_VISITOR; property: string };

export interface VerifierOptions {
  /** The service's TOKEN_ISSUER, e.g. "https://consent.example.com". */
  issuer: string;
  /** Default: `${issuer}/.well-known/jwks.json`. */
  jwksUrl?: string;
  /** Seconds of clock skew accepted on exp (default 60). */
  leeway?: number;
  /** Seconds iat may lie ahead of now (default 5). */
  iatSkew?: number;
  /** The clock (default: the system's). */
  now?: () => Date;
  /** Milliseconds the key set is kept (default 300000). */
  cacheMaxAge?: number;
}

/** The claims of a verified consent token. */
export interface ConsentClaims extends JWTPayload {
  iss: string;
  sub: Subject;
  iat: number;
  exp: number;
  jti?: string;
  /** Each purpose's decision: true only where consent (or another basis) allows it. */
  purposes: Record<string, boolean>;
  /** The publishable key of the property whose banner the token was issued to. */
  prp?: string;
  notice?: string;
  regime?: string;
  rev?: number;
  gpc?: boolean;
}

export interface ConsentVerifier {
  /** The claims, or a rejection with a jose error or ConsentTokenInvalid; a TypeError for an expectation naming nobody. */
  verify(token: string, expected: Expectation): Promise<ConsentClaims>;
  /** True only if the token verifies, is the expected subject's and grants the purpose; false for any invalid token. */
  allowed(token: string, purpose: string, expected: Expectation): Promise<boolean>;
}

/** Build a verifier for one issuer; the JWKS is fetched lazily and cached. */
export declare function makeVerifier(options: VerifierOptions): ConsentVerifier;
