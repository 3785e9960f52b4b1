import assert from 'node:assert/strict';
import test from 'node:test';
import { TCString } from '@iabtechlabtcf/core';
import { answerAll, copyModel, createGvl, createModel, encode, initialModel, liPurposes, restore } from '../src/frameworks/tcf/model.js';
import { makeGvl } from './tcf-fixtures.js';

const OPTIONS = { cmpId: 300, cmpVersion: 2 };
const bits = (vector) => [...vector.values()].sort((a, b) => a - b);

test('a fresh model: the config CMP, service-specific, the GVL policy, every shown vendor disclosed', () => {
  const gvl = createGvl(makeGvl(), 'de');
  const decoded = TCString.decode(encode(answerAll(createModel(gvl, OPTIONS), false), 1));
  assert.equal(decoded.cmpId, 300);
  assert.equal(decoded.cmpVersion, 2);
  assert.equal(decoded.consentLanguage, 'DE');
  assert.equal(decoded.isServiceSpecific, true);
  assert.equal(decoded.policyVersion, 5);
  assert.equal(decoded.vendorListVersion, 120);
  assert.equal(decoded.consentScreen, 1);
  assert.deepEqual(bits(decoded.vendorsDisclosed), [1, 2, 3]);
});

test('an unknown language falls back to English', () => {
  assert.equal(createGvl(makeGvl(), 'xx').language, 'EN');
});

test('reject: no consent, no opt-in, every objectable legitimate interest objected to', () => {
  const s = encode(answerAll(createModel(createGvl(makeGvl(), 'en'), OPTIONS), false), 1);
  const decoded = TCString.decode(s);
  for (const field of ['purposeConsents', 'vendorConsents', 'specialFeatureOptins', 'purposeLegitimateInterests']) {
    assert.deepEqual(bits(decoded[field]), [], field);
  }
  // Vendor 3 declares special purposes only: its LI signal stays, as TCF policy (June 2021) asks.
  assert.deepEqual(bits(decoded.vendorLegitimateInterests), [3]);
  assert.deepEqual(bits(decoded.vendorsDisclosed), [1, 2, 3]);
  assert.equal(s.split('.').length, 2, 'core and disclosedVendors segments, nothing else');
});

test('accept: every purpose, special feature and the vendors for the bases they declare', () => {
  const decoded = TCString.decode(encode(answerAll(createModel(createGvl(makeGvl(), 'en'), OPTIONS), true), 2));
  assert.deepEqual(bits(decoded.purposeConsents), [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11]);
  assert.deepEqual(bits(decoded.specialFeatureOptins), [1, 2]);
  assert.deepEqual(bits(decoded.purposeLegitimateInterests), [7, 10]);
  assert.deepEqual(bits(decoded.vendorConsents), [1, 2], 'vendor 3 declares no consent purpose');
  assert.deepEqual(bits(decoded.vendorLegitimateInterests), [1, 3]);
  assert.equal(decoded.consentScreen, 2);
});

test('legitimate interest is offered only for purposes a vendor declares it for and policy allows', () => {
  const json = makeGvl();
  json.vendors[2].legIntPurposes = [3, 9]; // 3 is never LI since TCF v2.2
  assert.deepEqual(liPurposes(createGvl(json, 'en')), [7, 9, 10]);
});

test('the initial model objects to nothing and consents to nothing', () => {
  const model = initialModel(createGvl(makeGvl(), 'en'), OPTIONS);
  assert.deepEqual(bits(model.purposeConsents), []);
  assert.deepEqual(bits(model.purposeLegitimateInterests), [7, 10]);
  assert.deepEqual(bits(model.vendorLegitimateInterests), [1, 3]);
});

test('restore: a string that fits comes back; a copy is independent', () => {
  const gvl = createGvl(makeGvl(), 'en');
  const model = answerAll(createModel(gvl, OPTIONS), false);
  model.purposeConsents.set([1, 3]);
  model.vendorConsents.set(2);
  const restored = restore(gvl, encode(model, 2), OPTIONS);
  assert.deepEqual(bits(restored.purposeConsents), [1, 3]);
  assert.deepEqual(bits(restored.vendorConsents), [2]);
  const copy = copyModel(restored);
  copy.purposeConsents.unset(1);
  assert.deepEqual(bits(restored.purposeConsents), [1, 3]);
});

test('restore: another CMP, another policy version, a newer list, an undisclosed vendor or garbage is no choice', () => {
  const gvl = createGvl(makeGvl(), 'en');
  const s = encode(answerAll(createModel(gvl, OPTIONS), true), 1);
  assert.equal(restore(createGvl(makeGvl({ tcfPolicyVersion: 6 }), 'en'), s, OPTIONS), null);
  assert.notEqual(restore(createGvl(makeGvl({ vendorListVersion: 121 }), 'en'), s, OPTIONS), null, 'an older list still fits');
  assert.equal(restore(createGvl(makeGvl({ vendorListVersion: 119 }), 'en'), s, OPTIONS), null);
  const more = makeGvl();
  more.vendors[4] = { ...more.vendors[2], id: 4, name: 'New Four' };
  assert.equal(restore(createGvl(more, 'en'), s, OPTIONS), null, 'vendor 4 was never shown');
  assert.equal(restore(gvl, s, { cmpId: 0, cmpVersion: 0 }), null, 'made by another CMP id');
  assert.equal(restore(gvl, 'not a tc string', OPTIONS), null);
  assert.equal(restore(gvl, '', OPTIONS), null);
});

test('an unregistered CMP (id 0) encodes and reads back its own strings', () => {
  const gvl = createGvl(makeGvl(), 'en');
  const model = answerAll(createModel(gvl, { cmpId: 0, cmpVersion: 0 }), true);
  const restored = restore(gvl, encode(model, 1), { cmpId: 0, cmpVersion: 0 });
  assert.deepEqual(bits(restored.vendorConsents), [1, 2]);
});
