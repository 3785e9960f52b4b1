// verify.mjs against the shared token vectors (tests/vectors/token-vectors.json), served by a
// real JWKS HTTP server on loopback, and whose token it is (issue 18, finding 8).

import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { createServer } from "node:http";
import { after, before, describe, test } from "node:test";

import { ANY_VISITOR, makeVerifier } from "./verify.mjs";

const VECTORS = JSON.parse(readFileSync(new URL("../../tests/vectors/token-vectors.json", import.meta.url), "utf8"));
const SETTINGS = {
  service: { subject: VECTORS.subject, property: VECTORS.property },
  browser: { subject: ANY_VISITOR, property: VECTORS.property },
};
const tokenOf = (name) => VECTORS.cases.find((c) => c.name === name).token;

describe("the shared token vectors", () => {
  let server;
  let jwks = VECTORS.jwks;
  let requests = 0;
  const verifierFor = (options = {}) =>
    makeVerifier({
      issuer: VECTORS.issuer,
      jwksUrl: `http://127.0.0.1:${server.address().port}/.well-known/jwks.json`,
      now: () => new Date(VECTORS.now * 1000),
      ...options,
    });

  before(async () => {
    server = createServer((request, response) => {
      requests += 1;
      response.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify(jwks));
    });
    await new Promise((resolve) => server.listen(0, "127.0.0.1", resolve));
  });

  after(() => new Promise((resolve) => server.close(resolve)));

  for (const [setting, expected] of Object.entries(SETTINGS)) {
    for (const vector of VECTORS.cases) {
      test(`${setting}: ${vector.name} -> ${vector.expect[setting]}`, async () => {
        const consent = verifierFor();
        if (vector.expect[setting] === "valid") {
          const claims = await consent.verify(vector.token, expected);
          assert.equal(claims.purposes.analytics, true);
          assert.equal(await consent.allowed(vector.token, "analytics", expected), true);
        } else {
          await assert.rejects(consent.verify(vector.token, expected));
          assert.equal(await consent.allowed(vector.token, "analytics", expected), false);
        }
      });
    }
  }

  test("a key removed from the JWKS stops being accepted once the keys are refetched", async () => {
    const removed = tokenOf("key removed from the JWKS");
    jwks = VECTORS.previous_jwks;
    const consent = verifierFor({ cacheMaxAge: 0 });
    try {
      assert.ok(await consent.verify(removed, SETTINGS.service));
      jwks = VECTORS.jwks;
      await new Promise((resolve) => setTimeout(resolve, 5)); // past the (zero) cache age
      await assert.rejects(consent.verify(removed, SETTINGS.service), { code: "ERR_JWKS_NO_MATCHING_KEY" });
    } finally {
      jwks = VECTORS.jwks;
    }
  });

  test("a valid token of another subject is refused; the caller must say whose token it expects", async () => {
    const consent = verifierFor();
    const other = tokenOf("another visitor of the property");
    assert.equal(await consent.allowed(other, "analytics", SETTINGS.service), false);
    assert.equal(await consent.allowed(other, "analytics", { subject: "visitor:v_other", property: VECTORS.property }), true);
    assert.equal(await consent.allowed(tokenOf("valid"), "analytics", { subject: VECTORS.subject }), false, "a banner token needs its property");
    for (const expected of [undefined, {}, { subject: ANY_VISITOR }, { subject: "v_vectors", property: VECTORS.property }, { subject: VECTORS.subject, property: "" }]) {
      await assert.rejects(consent.allowed(tokenOf("valid"), "analytics", expected), TypeError);
    }
    assert.ok(requests > 0);
  });
});
