import assert from 'node:assert/strict';
import test from 'node:test';
import { chooseLanguage, fill } from '../src/utils/i18n.js';

test('data-lang wins over the page and the browser', () => {
  assert.equal(chooseLanguage({ forced: 'fr', page: 'de', browser: ['en-US'] }), 'fr');
});

test('then the page language, reduced to its primary subtag', () => {
  assert.equal(chooseLanguage({ forced: '', page: 'de-AT', browser: ['en-US'] }), 'de');
  assert.equal(chooseLanguage({ page: 'FR_ca' }), 'fr');
});

test('then the browser\'s first language', () => {
  assert.equal(chooseLanguage({ page: '', browser: ['de-CH', 'en'] }), 'de');
});

test('unusable tags are skipped and nothing usable gives ""', () => {
  assert.equal(chooseLanguage({ forced: '*', page: 'x-klingon', browser: ['', 'pt-BR'] }), 'pt');
  assert.equal(chooseLanguage({ forced: 'e1', page: '', browser: [] }), '');
  assert.equal(chooseLanguage({}), '');
});

test('fill replaces known slots and leaves others', () => {
  assert.equal(fill('Allow {purpose} for {who}?', { purpose: 'Analytics' }), 'Allow Analytics for {who}?');
  assert.equal(fill(undefined, {}), '');
});
