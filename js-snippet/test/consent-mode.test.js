import assert from 'node:assert/strict';
import test from 'node:test';
import { consentSignals, ensureGtag, pushDefault, pushUpdate } from '../src/utils/consent-mode.js';

const isArguments = (value) => Object.prototype.toString.call(value) === '[object Arguments]';

test('defines dataLayer and a gtag that pushes the arguments object, as Google\'s snippet does', () => {
  const win = {};
  ensureGtag(win)('consent', 'default', {});
  assert.equal(win.dataLayer.length, 1);
  assert.ok(isArguments(win.dataLayer[0]), 'gtag must push `arguments`, not an array');
  assert.deepEqual(Array.from(win.dataLayer[0]), ['consent', 'default', {}]);
});

test('keeps an existing dataLayer and gtag', () => {
  const calls = [];
  const win = { dataLayer: [{ event: 'earlier' }], gtag: (...args) => calls.push(args) };
  ensureGtag(win)('consent', 'update', {});
  assert.deepEqual(win.dataLayer, [{ event: 'earlier' }]);
  assert.equal(calls.length, 1);
});

test('the default denies everything but security_storage and waits 500 ms for an update', () => {
  const win = {};
  pushDefault(win);
  assert.deepEqual(Array.from(win.dataLayer[0]), [
    'consent',
    'default',
    {
      ad_storage: 'denied',
      ad_user_data: 'denied',
      ad_personalization: 'denied',
      analytics_storage: 'denied',
      functionality_storage: 'denied',
      personalization_storage: 'denied',
      security_storage: 'granted',
      wait_for_update: 500,
    },
  ]);
});

test('updates map analytics, advertising and preferences to their signals', () => {
  const win = {};
  const allowed = new Set(['analytics']);
  pushUpdate(win, (p) => allowed.has(p));
  allowed.clear();
  allowed.add('advertising');
  pushUpdate(win, (p) => allowed.has(p));
  allowed.clear();
  allowed.add('preferences');
  pushUpdate(win, (p) => allowed.has(p));
  const [analytics, advertising, preferences] = win.dataLayer.map((args) => Array.from(args));
  assert.deepEqual(analytics.slice(0, 2), ['consent', 'update']);
  assert.deepEqual(analytics[2], {
    ad_storage: 'denied',
    ad_user_data: 'denied',
    ad_personalization: 'denied',
    analytics_storage: 'granted',
    functionality_storage: 'denied',
    personalization_storage: 'denied',
  });
  const granted = (signals) => Object.keys(signals).filter((k) => signals[k] === 'granted');
  assert.deepEqual(granted(advertising[2]), ['ad_storage', 'ad_user_data', 'ad_personalization']);
  assert.deepEqual(granted(preferences[2]), ['functionality_storage', 'personalization_storage']);
});

test('signals never include security_storage or unknown purposes', () => {
  const signals = consentSignals(() => true);
  assert.equal(Object.keys(signals).length, 6);
  assert.equal('security_storage' in signals, false);
});

test('Microsoft defaults: UET ad_storage and Clarity consentv2 denied, only for the frameworks listed', () => {
  const win = {};
  pushDefault(win, ['microsoft_uet', 'clarity']);
  assert.deepEqual(win.uetq, ['consent', 'default', { ad_storage: 'denied' }]);
  // Clarity's own queue stub: clarity(...) pushes its arguments to clarity.q.
  assert.equal(win.clarity.q.length, 1);
  assert.deepEqual(Array.from(win.clarity.q[0]), ['consentv2', { ad_Storage: 'denied', analytics_Storage: 'denied' }]);
  const none = {};
  pushDefault(none, ['gpp']);
  assert.equal(none.uetq, undefined);
  assert.equal(none.clarity, undefined);
});

test('Microsoft updates follow the same choices as Google: advertising -> ad_storage, analytics -> analytics_Storage', () => {
  const calls = [];
  const win = { uetq: [], clarity: (...args) => calls.push(args) };
  pushUpdate(win, (p) => p === 'analytics', ['microsoft_uet', 'clarity']);
  pushUpdate(win, (p) => p === 'advertising', ['microsoft_uet', 'clarity']);
  assert.deepEqual(win.uetq, [
    'consent', 'update', { ad_storage: 'denied' },
    'consent', 'update', { ad_storage: 'granted' },
  ]);
  assert.deepEqual(calls, [
    ['consentv2', { ad_Storage: 'denied', analytics_Storage: 'granted' }],
    ['consentv2', { ad_Storage: 'granted', analytics_Storage: 'denied' }],
  ]);
  const google = win.dataLayer.map((args) => Array.from(args)[2]);
  assert.equal(google[0].analytics_storage, 'granted');
  assert.equal(google[1].ad_storage, 'granted');
});
