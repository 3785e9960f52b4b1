// verify.mjs against a real Ed25519 key, jose-signed tokens and a real JWKS HTTP server.

import assert from "node:assert/strict";
import { createHmac } from "node:crypto";
import { createServer } from "node:http";
import { after, before, describe, test } from "node:test";

import { SignJWT, exportJWK, generateKeyPair } from "jose";

import { makeVerifier } from "./verify.mjs";

const T0 = 1_760_000_000;
const SUBJECT = "visitor:3f2a9c1e-5b7d-4e0a-9f1c-2d3e4f5a6b7c";
// Whose token the tests expect: the subject of claims(), issued through the API (no property).
const EXPECTED = { subject: SUBJECT };
const LIFETIME = 600;

const b64url = (data) => Buffer.from(data).toString("base64url");
const b64urlJson = (value) => b64url(JSON.stringify(value));

/** Replace the character at `index` with a different base64url character. */
function replaceChar(token, index) {
  const replacement = token[index] === "A" ? "B" : "A";
  return token.slice(0, index) + replacement + token.slice(index + 1);
}

describe("makeVerifier", () => {
  let server;
  let issuer;
  let requests = 0;
  let privateKey;
  let publicJwk;
  let clockSeconds = T0;
  let consent;

  before(async () => {
    const pair = await generateKeyPair("EdDSA", { crv: "Ed25519" });
    privateKey = pair.privateKey;
    publicJwk = { ...(await exportJWK(pair.publicKey)), kid: "key-2025-01", use: "sig", alg: "EdDSA" };
    server = createServer((request, response) => {
      requests += 1;
      if (request.url !== "/.well-known/jwks.json") {
        response.writeHead(404).end();
        return;
      }
      response.writeHead(200, { "content-type": "application/json" });
      response.end(JSON.stringify({ keys: [publicJwk] }));
    });
    await new Promise((resolve) => server.listen(0, "127.0.0.1", resolve));
    issuer = `http://127.0.0.1:${server.address().port}`;
    consent = makeVerifier({ issuer, now: () => new Date(clockSeconds * 1000) });
  });

  after(() => new Promise((resolve) => server.close(resolve)));

  function claims(overrides = {}) {
    return {
      sub: SUBJECT,
      jti: "01J9Z3Q8W6K2M4N5P7R8S9T0VX",
      purposes: { necessary: true, analytics: true, advertising: false },
      notice: "2020-05-01",
      regime: "opt_in",
      rev: 3,
      ...overrides,
    };
  }

  function sign(payload = claims(), { iat = T0, exp = T0 + LIFETIME, header = {}, iss = issuer } = {}) {
    return new SignJWT(payload)
      .setProtectedHeader({ alg: "EdDSA", kid: publicJwk.kid, typ: "JWT", ...header })
      .setIssuer(iss)
      .setIssuedAt(iat)
      .setExpirationTime(exp)
      .sign(privateKey);
  }

  test("a valid token verifies and answers per purpose", async () => {
    clockSeconds = T0;
    const token = await sign();
    const verified = await consent.verify(token, EXPECTED);
    assert.equal(verified.sub, claims().sub);
    assert.equal(verified.iss, issuer);
    assert.equal(await consent.allowed(token, "analytics", EXPECTED), true);
    assert.equal(await consent.allowed(token, "advertising", EXPECTED), false);
    assert.equal(await consent.allowed(token, "marketing", EXPECTED), false);
    assert.equal(await consent.allowed(token, "toString", EXPECTED), false);
    assert.equal(requests, 1);
  });

  test("one changed character in the payload or the signature is rejected", async () => {
    clockSeconds = T0;
    const token = await sign();
    const [header, payload] = token.split(".");
    for (const index of [header.length + 1, header.length + payload.length + 2]) {
      await assert.rejects(consent.verify(replaceChar(token, index), EXPECTED));
      assert.equal(await consent.allowed(replaceChar(token, index), "analytics", EXPECTED), false);
    }
  });

  test("an expired token is accepted within the 60 s leeway only", async () => {
    const token = await sign();
    clockSeconds = T0 + LIFETIME + 59;
    assert.ok(await consent.verify(token, EXPECTED));
    clockSeconds = T0 + LIFETIME + 60;
    await assert.rejects(consent.verify(token, EXPECTED), { code: "ERR_JWT_EXPIRED" });
    assert.equal(await consent.allowed(token, "analytics", EXPECTED), false);
    clockSeconds = T0;
  });

  test("a token issued in the future beyond the skew is rejected", async () => {
    clockSeconds = T0;
    assert.ok(await consent.verify(await sign(claims(), { iat: T0 + 5 }), EXPECTED));
    await assert.rejects(consent.verify(await sign(claims(), { iat: T0 + 6 }), EXPECTED), /issued in the future/);
  });

  test("other algorithms are rejected: none, and HS256 keyed with the public key", async () => {
    clockSeconds = T0;
    const payload = { ...claims(), iss: issuer, iat: T0, exp: T0 + LIFETIME };
    const unsigned = `${b64urlJson({ alg: "none", kid: publicJwk.kid })}.${b64urlJson(payload)}.`;
    await assert.rejects(consent.verify(unsigned, EXPECTED));

    const signingInput = `${b64urlJson({ alg: "HS256", kid: publicJwk.kid, typ: "JWT" })}.${b64urlJson(payload)}`;
    const publicKeyBytes = Buffer.from(publicJwk.x, "base64url");
    const mac = createHmac("sha256", publicKeyBytes).update(signingInput).digest();
    const forged = `${signingInput}.${b64url(mac)}`;
    await assert.rejects(consent.verify(forged, EXPECTED), { code: "ERR_JOSE_ALG_NOT_ALLOWED" });
    assert.equal(await consent.allowed(forged, "analytics", EXPECTED), false);
  });

  test("a wrong issuer, an unknown kid and a jku header are rejected", async () => {
    clockSeconds = T0;
    await assert.rejects(consent.verify(await sign(claims(), { iss: "https://evil.example" }), EXPECTED), {
      code: "ERR_JWT_CLAIM_VALIDATION_FAILED",
    });
    await assert.rejects(consent.verify(await sign(claims(), { header: { kid: "ghost" } }), EXPECTED), {
      code: "ERR_JWKS_NO_MATCHING_KEY",
    });
    await assert.rejects(consent.verify(await sign(claims(), { header: { jku: `${issuer}/evil.json` } }), EXPECTED), {
      name: "ConsentTokenInvalid",
    });
  });

  test("garbage is rejected, not thrown past allowed()", async () => {
    for (const garbage of ["", "a.b", "a.b.c.d", "###.$$$.%%%", "A".repeat(1024 * 1024), null, 42]) {
      assert.equal(await consent.allowed(garbage, "analytics", EXPECTED), false);
    }
  });
});
