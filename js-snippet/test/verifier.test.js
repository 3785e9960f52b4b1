import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import test from 'node:test';
import { createVerifier } from '../src/core/verifier.js';
import { fakeFetch, makeWindow } from './harness.js';

const VECTORS = JSON.parse(readFileSync(new URL('../../tests/vectors/token-vectors.json', import.meta.url), 'utf8'));
const API = 'https://consent.vectors.test';
const tokenOf = (name) => VECTORS.cases.find((c) => c.name === name).token;

/** A verifier for the vectors' property at their time; `jwks` answers the JWKS fetch. */
function verifierFor({ jwks = VECTORS.jwks, subtle = globalThis.crypto.subtle, verify } = {}) {
  const page = makeWindow({ url: 'https://shop.vectors.test/' });
  const { fetch, calls } = fakeFetch((url, init) => (url.endsWith('/verify') ? verify(JSON.parse(init.body)) : jwks));
  const verifier = createVerifier(page.win, subtle, fetch, API, VECTORS.property, () => VECTORS.now * 1000);
  return { verifier, calls, page };
}

for (const vector of VECTORS.cases) {
  test(`shared vector "${vector.name}": ${vector.expect.browser}`, async () => {
    const { verifier, page } = verifierFor();
    verifier.configure({ issuer: VECTORS.issuer, keys: VECTORS.jwks.keys });
    const claims = await verifier.verify(vector.token);
    if (vector.expect.browser === 'valid') {
      assert.deepEqual(claims.purposes, { necessary: true, preferences: false, analytics: true, advertising: false });
    } else {
      assert.equal(claims, null);
    }
    await page.close();
  });
}

test('a key removed from the JWKS verifies only until the next key set arrives', async () => {
  const removed = tokenOf('key removed from the JWKS');
  const { verifier, calls, page } = verifierFor();
  verifier.configure({ issuer: VECTORS.issuer, keys: VECTORS.previous_jwks.keys });
  assert.ok(await verifier.verify(removed));
  verifier.configure({ issuer: VECTORS.issuer, keys: VECTORS.jwks.keys });
  assert.equal(await verifier.verify(removed), null);
  assert.equal(calls.length, 1, 'one JWKS fetch for the kid the new set lacks');
  assert.equal(await verifier.verify(removed), null);
  assert.equal(calls.length, 1, 'and not one more');
  await page.close();
});

test('without Ed25519 every vector is the service\'s to answer: the payload is never trusted', async () => {
  for (const vector of VECTORS.cases) {
    const asked = [];
    const { verifier, page } = verifierFor({ subtle: null, verify: (body) => (asked.push(body.token), { valid: false }) });
    verifier.configure({ issuer: VECTORS.issuer, keys: VECTORS.jwks.keys });
    assert.equal(await verifier.verify(vector.token), null, vector.name);
    await page.close();
  }
});
