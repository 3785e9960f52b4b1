import assert from 'node:assert/strict';
import test from 'node:test';
import { decodePayload } from '../src/utils/token.js';
import { claimsFor, makeToken } from './harness.js';

const seg = (text) => Buffer.from(text).toString('base64url');

test('decodes the payload of a compact JWS', () => {
  const claims = claimsFor({ analytics: true }, { sub: 'visitor:Müller-ß' });
  assert.deepEqual(decodePayload(makeToken(claims)), claims);
});

test('decodes unpadded base64url with - and _', () => {
  // '?>' encodes to Pz4 in base64url, so "-"/"_" and missing padding are exercised by this payload.
  const claims = { note: '>>>???', exp: 1 };
  const token = 'h.' + seg(JSON.stringify(claims)) + '.s';
  assert.match(token, /[-_]/);
  assert.deepEqual(decodePayload(token), claims);
});

test('returns null for anything that is not base64url JSON of an object', () => {
  for (const bad of [
    undefined,
    null,
    '',
    'no-dots',
    'a.@@@.c', // not base64
    'a.' + seg('{not json') + '.c',
    'a.' + seg('[1,2]') + '.c', // JSON but not an object
    'a.' + seg('42') + '.c',
    'a.' + seg('null') + '.c',
    'a.' + Buffer.from([0x7b, 0xff, 0x7d]).toString('base64url') + '.c', // invalid UTF-8
  ]) {
    assert.equal(decodePayload(bad), null, String(bad));
  }
});
