import assert from 'node:assert/strict';
import test from 'node:test';
import { createState } from '../src/core/state.js';
import { claimsFor, makeConfig, makeToken, makeWindow } from './harness.js';

test('before any token only necessary is allowed', () => {
  const state = createState();
  assert.equal(state.has('necessary'), true);
  assert.equal(state.has('analytics'), false);
  assert.equal(state.token, null);
  assert.deepEqual(state.purposes(), { necessary: true });
});

test('adopting a token applies its boolean decisions only', () => {
  const state = createState();
  const claims = claimsFor({ analytics: true, advertising: false, preferences: 'yes' });
  state.adopt(makeToken(claims), claims);
  assert.equal(state.has('analytics'), true);
  assert.equal(state.has('advertising'), false);
  assert.equal(state.has('preferences'), false);
  assert.equal(state.claims, claims);
  state.adopt(null, null);
  assert.equal(state.has('analytics'), false);
});

test('the config\'s non-refusable purposes are always on, and all shown purposes are reported', () => {
  const state = createState();
  state.show([...makeConfig().purposes, { key: 'service_notices', name: 'Notices', refusable: false }]);
  assert.equal(state.has('service_notices'), true);
  assert.deepEqual(state.purposes(), {
    necessary: true,
    preferences: false,
    analytics: false,
    advertising: false,
    service_notices: true,
  });
});

test('narrow applies refusals only and says whether something was withdrawn', () => {
  const state = createState();
  const claims = claimsFor({ analytics: true, advertising: false });
  state.adopt('t', claims);
  assert.equal(state.narrow({ analytics: true, advertising: true }), false);
  assert.equal(state.has('advertising'), false, 'a grant needs a receipt');
  assert.equal(state.narrow({ analytics: false, advertising: true }), true);
  assert.equal(state.has('analytics'), false);
});

test('emit tells listeners and dispatches consent:change; a throwing listener does not stop the rest', async () => {
  const { win, doc, close } = makeWindow();
  const errors = [];
  win.console.error = (err) => errors.push(err);
  const state = createState();
  const seen = [];
  state.on(() => {
    throw new Error('broken listener');
  });
  const off = state.on((detail) => seen.push(detail));
  doc.addEventListener('consent:change', (event) => seen.push(event.detail));
  state.adopt('t', claimsFor({ analytics: true }));
  state.emit(win);
  assert.deepEqual(seen, [
    { purposes: { necessary: true, analytics: true } },
    { purposes: { necessary: true, analytics: true } },
  ]);
  assert.equal(errors.length, 1);
  off();
  off(); // twice is harmless
  state.emit(win);
  assert.equal(seen.length, 3, 'only the document event after unsubscribing');
  await close();
});
