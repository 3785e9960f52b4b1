import assert from 'node:assert/strict';
import test from 'node:test';
import { createApi } from '../src/core/api.js';
import { createState } from '../src/core/state.js';
import { claimsFor } from './harness.js';

test('has, getToken and show reflect the state and the banner', () => {
  const state = createState();
  let shown = 0;
  const api = createApi(state, () => shown++);
  assert.equal(api.has('necessary'), true);
  assert.equal(api.has('analytics'), false);
  assert.equal(api.getToken(), null);
  state.adopt('header.payload.sig', claimsFor({ analytics: true }));
  assert.equal(api.has('analytics'), true);
  assert.equal(api.getToken(), 'header.payload.sig');
  api.show();
  assert.equal(shown, 1);
});

test('on("change") subscribes and returns an unsubscribe; other events are refused', () => {
  const state = createState();
  const api = createApi(state, () => {});
  const seen = [];
  const off = api.on('change', (detail) => seen.push(detail));
  state.emit({ console, document: { dispatchEvent() {} }, CustomEvent: class {} });
  off();
  state.emit({ console, document: { dispatchEvent() {} }, CustomEvent: class {} });
  assert.equal(seen.length, 1);
  assert.throws(() => api.on('chnage', () => {}), TypeError);
  assert.throws(() => api.on('change'), TypeError);
});

test('the API object cannot be tampered with', () => {
  const api = createApi(createState(), () => {});
  assert.ok(Object.isFrozen(api));
});
