// The published types (verify.d.ts), imported by the package's own name as a consumer would:
// `tsc -p types-test` fails if a documented use stops type-checking or a misuse starts to.
import { ANY_VISITOR, ConsentTokenInvalid, makeVerifier, type ConsentClaims } from "consent-verifier";

const consent = makeVerifier({ issuer: "https://consent.example.com", leeway: 30 });

export async function uses(token: string): Promise<boolean> {
  const claims: ConsentClaims = await consent.verify(token, { subject: "customer:c-1" });
  const recording: boolean | undefined = claims.purposes["recording"];
  const property: string | undefined = claims.prp;
  const error: Error = new ConsentTokenInvalid("refused");
  void [recording, property, error];
  return consent.allowed(token, "analytics", { subject: ANY_VISITOR, property: "pk_live_shop" });
}

export async function misuses(token: string): Promise<void> {
  // @ts-expect-error a subject must be "visitor:<id>" or "customer:<id>"
  await consent.verify(token, { subject: "c-1" });
  // @ts-expect-error ANY_VISITOR needs the property whose banner issued the token
  await consent.allowed(token, "analytics", { subject: ANY_VISITOR });
  // @ts-expect-error the issuer is required
  makeVerifier({ leeway: 30 });
}
