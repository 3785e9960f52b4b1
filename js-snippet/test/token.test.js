import assert from 'node:assert/strict';
import test from 'node:test';
import { claimsAccepted, parseToken } from '../src/utils/token.js';
import { ISSUER, NOW, claimsFor, makeToken } from './harness.js';

const seg = (text) => Buffer.from(text).toString('base64url');

test('decodes the payload of a compact JWS', () => {
  const claims = claimsFor({ analytics: true }, { sub: 'visitor:Müller-ß' });
  assert.deepEqual(parseToken(makeToken(claims)).claims, claims);
});

test('decodes unpadded base64url with - and _', () => {
  // '?>' encodes to Pz4 in base64url, so "-"/"_" and missing padding are exercised by this payload.
  const claims = { note: '>>>???', exp: 1 };
  const token = makeToken(claims);
  assert.match(token.split('.')[1], /[-_]/);
  assert.deepEqual(parseToken(token).claims, claims);
});

test('returns null for a payload that is not base64url JSON of an object', () => {
  // A header and a signature that parse, so only the payload is wrong.
  const token = (payload) => seg(JSON.stringify({ alg: 'EdDSA', kid: 'k1' })) + '.' + payload + '.AAAA';
  assert.notEqual(parseToken(token(seg('{}'))), null);
  for (const bad of [
    undefined,
    null,
    '',
    'no-dots',
    token('@@@'), // not base64
    token(seg('{not json')),
    token(seg('[1,2]')), // JSON but not an object
    token(seg('42')),
    token(seg('null')),
    token(Buffer.from([0x7b, 0xff, 0x7d]).toString('base64url')), // invalid UTF-8
  ]) {
    assert.equal(parseToken(bad), null, String(bad));
  }
});

test('parseToken: EdDSA with a kid only, nothing that picks another key', () => {
  const claims = claimsFor({ analytics: true });
  const parsed = parseToken(makeToken(claims));
  assert.equal(parsed.kid, 'k1');
  assert.deepEqual(parsed.claims, claims);
  assert.equal(parsed.signature.length, 64);
  assert.equal(parsed.input, makeToken(claims).split('.').slice(0, 2).join('.'));
  const header = (h) => seg(JSON.stringify(h)) + '.' + seg(JSON.stringify(claims)) + '.' + seg('sig');
  for (const bad of [
    header({ alg: 'none', kid: 'k1' }),
    header({ alg: 'HS256', kid: 'k1' }),
    header({ alg: 'EdDSA' }),
    header({ alg: 'EdDSA', kid: 7 }),
    header({ alg: 'EdDSA', kid: 'k1', typ: 'receipt' }),
    header({ alg: 'EdDSA', kid: 'k1', jku: 'https://evil.example/jwks' }),
    header({ alg: 'EdDSA', kid: 'k1', jwk: {} }),
    header({ alg: 'EdDSA', kid: 'k1', crit: ['x'] }),
    header({ alg: 'EdDSA', kid: 'k1' }).replace(/\.[^.]+$/, '.'),
    'a.b',
    null,
  ]) {
    assert.equal(parseToken(bad), null, String(bad));
  }
});

test('claimsAccepted: the service, this property, a visitor, not expired, boolean decisions', () => {
  const rules = [ISSUER, 'pk_test', NOW];
  assert.equal(claimsAccepted(claimsFor({ analytics: true }), ...rules), true);
  for (const [what, extra] of Object.entries({
    issuer: { iss: 'https://evil.example' },
    property: { prp: 'pk_other' },
    'no property': { prp: undefined },
    customer: { sub: 'customer:c-1' },
    'visitor without id': { sub: 'visitor:' },
    'sub as array': { sub: ['visitor:v-1'] },
    expired: { exp: NOW / 1000 },
    'exp as text': { exp: String(NOW / 1000 + 60) },
    'non-boolean decision': { purposes: { analytics: 'yes' } },
    'purposes as array': { purposes: [true] },
  })) {
    assert.equal(claimsAccepted(claimsFor({ analytics: true }, extra), ...rules), false, what);
  }
});
