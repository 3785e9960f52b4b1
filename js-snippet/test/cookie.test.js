import assert from 'node:assert/strict';
import test from 'node:test';
import {
  DEFAULT_COOKIE_NAME,
  RECORD_VERSION,
  cookieName,
  cookieString,
  parseRecord,
  readRecords,
  serializeRecord,
  writeRecord,
} from '../src/utils/cookie.js';
import { NOW, claimsFor, makeToken } from './harness.js';

const token = makeToken(claimsFor({ analytics: true }));

test('a record is the version, a dot, then the token, and parses back', () => {
  assert.equal(RECORD_VERSION, '1');
  assert.equal(serializeRecord(token), '1.' + token);
  const record = parseRecord(serializeRecord(token), NOW);
  assert.equal(record.token, token);
  assert.equal(record.claims.purposes.analytics, true);
});

test('rejects other versions, bare tokens, malformed and damaged records', () => {
  const payloadless = makeToken({ exp: NOW / 1000 + 60 }); // no purposes
  for (const bad of [
    undefined,
    '',
    '2.' + token, // a future layout: not misread
    token, // a bare JWS has no version field
    '1.',
    '1.abc.def', // two parts
    '1.' + token + '.extra',
    '1.' + token.replace('.', '.;'), // characters a JWS never has
    '1.a.!!!.c',
    '1.' + payloadless,
  ]) {
    assert.equal(parseRecord(bad, NOW), null, String(bad));
  }
});

test('rejects expired tokens and tokens without a numeric exp', () => {
  const expired = makeToken(claimsFor({}, { exp: NOW / 1000 }));
  const noExp = makeToken(claimsFor({}, { exp: undefined }));
  const textExp = makeToken(claimsFor({}, { exp: 'soon' }));
  assert.equal(parseRecord('1.' + expired, NOW), null);
  assert.notEqual(parseRecord('1.' + expired, NOW - 1000), null);
  assert.equal(parseRecord('1.' + noExp, NOW), null);
  assert.equal(parseRecord('1.' + textExp, NOW), null);
});

test('reads the named cookies among others, newest first, skipping unreadable ones', () => {
  const older = makeToken(claimsFor({ analytics: false }, { iat: NOW / 1000 - 3600 }));
  const newer = makeToken(claimsFor({ analytics: true }, { iat: NOW / 1000 - 10 }));
  const doc = {
    cookie: `x${DEFAULT_COOKIE_NAME}=1.${newer}; ${DEFAULT_COOKIE_NAME}=1.${older}; other=1; ${DEFAULT_COOKIE_NAME}=1.${newer}; ${DEFAULT_COOKIE_NAME}=junk`,
  };
  assert.deepEqual(readRecords(doc, DEFAULT_COOKIE_NAME, NOW).map((r) => r.token), [newer, older]);
  assert.deepEqual(readRecords({ cookie: `${DEFAULT_COOKIE_NAME}=1.${older}` }, DEFAULT_COOKIE_NAME, NOW).map((r) => r.token), [older]);
  assert.deepEqual(readRecords({ cookie: 'other=1' }, DEFAULT_COOKIE_NAME, NOW), []);
  assert.deepEqual(readRecords({ cookie: '' }, DEFAULT_COOKIE_NAME, NOW), []);
});

test('the cookie line carries Max-Age from expires_at, Path, SameSite and optional Secure/Domain', () => {
  const base = ['consent_token', token, NOW + 90_500, NOW];
  assert.equal(cookieString(...base), `consent_token=1.${token}; Max-Age=90; Path=/; SameSite=Lax`);
  assert.equal(
    cookieString(...base, '.shop.example', true),
    `consent_token=1.${token}; Max-Age=90; Path=/; SameSite=Lax; Domain=.shop.example; Secure`,
  );
});

test('a domain that could inject attributes is ignored', () => {
  const line = cookieString('c', token, NOW + 60_000, NOW, 'a.example; Path=/x');
  assert.doesNotMatch(line, /Domain|Path=\/x/);
});

test('an expired expiry or a null token produces a deletion', () => {
  assert.equal(cookieString('c', token, NOW - 1, NOW), 'c=; Max-Age=0; Path=/; SameSite=Lax');
  assert.equal(cookieString('c', null, undefined, NOW), 'c=; Max-Age=0; Path=/; SameSite=Lax');
  assert.equal(cookieString('c', token, NaN, NOW), 'c=; Max-Age=0; Path=/; SameSite=Lax');
});

test('writing with a Domain first drops the host-only copy', () => {
  const writes = [];
  const doc = {
    set cookie(line) {
      writes.push(line);
    },
  };
  writeRecord(doc, 'c', token, NOW + 60_000, NOW, 'shop.example');
  assert.deepEqual(writes, ['c=; Max-Age=0; Path=/; SameSite=Lax', `c=1.${token}; Max-Age=60; Path=/; SameSite=Lax; Domain=shop.example`]);
  writes.length = 0;
  writeRecord(doc, 'c', token, NOW + 60_000, NOW);
  assert.equal(writes.length, 1);
});

test('a config cookie name is used only when it is a safe token', () => {
  assert.equal(cookieName('cs_consent'), 'cs_consent');
  assert.equal(cookieName(null), DEFAULT_COOKIE_NAME);
  assert.equal(cookieName('bad name; Domain=evil'), DEFAULT_COOKIE_NAME);
});
