import assert from 'node:assert/strict';
import test from 'node:test';
import { chooseLanguage, fill } from '../src/utils/i18n.js';

test('data-lang wins over the page and the browser', () => {
  assert.equal(chooseLanguage('fr', 'de', ['en-US']), 'fr');
});

test('then the page language, reduced to its primary subtag', () => {
  assert.equal(chooseLanguage('', 'de-AT', ['en-US']), 'de');
  assert.equal(chooseLanguage(undefined, 'FR_ca'), 'fr');
});

test('then the browser\'s first language', () => {
  assert.equal(chooseLanguage(undefined, '', ['de-CH', 'en']), 'de');
});

test('unusable tags are skipped and nothing usable gives ""', () => {
  assert.equal(chooseLanguage('*', 'x-klingon', ['', 'pt-BR']), 'pt');
  assert.equal(chooseLanguage('e1', '', []), '');
  assert.equal(chooseLanguage(), '');
});

test('fill replaces known slots and leaves others', () => {
  assert.equal(fill('Allow {purpose} for {who}?', { purpose: 'Analytics' }), 'Allow Analytics for {who}?');
  assert.equal(fill(undefined, {}), '');
});
