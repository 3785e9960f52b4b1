import assert from 'node:assert/strict';
import test from 'node:test';
import { choicePayload, choicesFor, gpcHonoured, initialTicks, needsChoice } from '../src/core/choices.js';
import { claimsFor, makeConfig } from './harness.js';

const optOut = () =>
  makeConfig({
    regime: 'opt_out',
    purposes: makeConfig().purposes.map((p) => ({ ...p, preselected: true })),
  });

test('GPC is honoured only when the browser sends it and the property honours it', () => {
  assert.equal(gpcHonoured(makeConfig(), { globalPrivacyControl: true }), true);
  assert.equal(gpcHonoured(makeConfig(), { globalPrivacyControl: false }), false);
  assert.equal(gpcHonoured(makeConfig(), {}), false);
  assert.equal(gpcHonoured(makeConfig({ gpc_honoured: false }), { globalPrivacyControl: true }), false);
});

test('a choice is needed without a token, under a new notice, or for a purpose not yet decided', () => {
  const config = makeConfig();
  const decided = claimsFor({ preferences: false, analytics: true, advertising: false });
  assert.equal(needsChoice(config, null), true);
  assert.equal(needsChoice(config, decided), false);
  assert.equal(needsChoice(config, { ...decided, notice: '2025-06-01' }), true);
  assert.equal(needsChoice(config, claimsFor({ preferences: false, analytics: true })), true);
  // necessary is not refusable: a token need not mention it
  const { necessary, ...withoutNecessary } = decided.purposes;
  assert.equal(needsChoice(config, { ...decided, purposes: withoutNecessary }), false);
});

test('opt-in: nothing refusable is ticked, even if a config says preselected', () => {
  const config = makeConfig({ purposes: optOut().purposes });
  assert.deepEqual(initialTicks(config, false, null), {
    necessary: true,
    preferences: false,
    analytics: false,
    advertising: false,
  });
});

test('opt-out preselects; GPC keeps advertising unticked', () => {
  assert.deepEqual(initialTicks(optOut(), false, null), {
    necessary: true,
    preferences: true,
    analytics: true,
    advertising: true,
  });
  assert.equal(initialTicks(optOut(), true, null).advertising, false);
  assert.equal(initialTicks(optOut(), true, null).analytics, true);
});

test('the visitor\'s own current decisions win, including an advertising grant under GPC', () => {
  const current = { preferences: true, analytics: false, advertising: true };
  assert.deepEqual(initialTicks(makeConfig(), true, current), { necessary: true, ...current });
});

test('accept-all grants every refusable purpose; under GPC not advertising', () => {
  assert.deepEqual(choicesFor('accept-all', makeConfig(), false), {
    preferences: true,
    analytics: true,
    advertising: true,
  });
  assert.deepEqual(choicesFor('accept-all', makeConfig(), true), {
    preferences: true,
    analytics: true,
    advertising: false,
  });
});

test('reject-all refuses every refusable purpose and never lists necessary', () => {
  assert.deepEqual(choicesFor('reject-all', makeConfig(), false), {
    preferences: false,
    analytics: false,
    advertising: false,
  });
});

test('save sends exactly what is ticked; under GPC a ticked advertising is sent true', () => {
  const ticked = { necessary: true, preferences: false, analytics: true, advertising: true };
  assert.deepEqual(choicesFor('save', makeConfig(), true, ticked), {
    preferences: false,
    analytics: true,
    advertising: true,
  });
  assert.deepEqual(choicesFor('save', makeConfig(), false, {}), {
    preferences: false,
    analytics: false,
    advertising: false,
  });
});

test('the request body for accept, reject and custom', () => {
  const config = makeConfig({ language: 'de' });
  const accept = choicePayload('accept-all', choicesFor('accept-all', config, true), config, null, true);
  assert.deepEqual(accept, {
    choices: { preferences: true, analytics: true, advertising: false },
    method: 'banner_accept_all',
    notice_version: '2026-01-01',
    banner_version: 'sha256:ab12',
    gpc: true,
    language: 'de',
  });
  const reject = choicePayload('reject-all', {}, config, 'prev.tok.en', false);
  assert.equal(reject.method, 'banner_reject_all');
  assert.equal(reject.token, 'prev.tok.en');
  assert.equal(reject.gpc, false);
  assert.equal(choicePayload('save', {}, config, null, false).method, 'banner_custom');
  assert.equal('token' in accept, false, 'no previous token: the field is omitted');
});

test('GPC turns off exactly the purposes the config names (the rules file), none of its own', () => {
  const analyticsOnly = makeConfig({ gpc_purposes: ['analytics'] });
  assert.deepEqual(choicesFor('accept-all', analyticsOnly, true), {
    preferences: true,
    analytics: false,
    advertising: true,
  });
  const none = makeConfig({ gpc_purposes: [] });
  assert.deepEqual(choicesFor('accept-all', none, true), { preferences: true, analytics: true, advertising: true });
  const optOutAnalytics = makeConfig({
    regime: 'opt_out',
    gpc_purposes: ['analytics'],
    purposes: makeConfig().purposes.map((p) => ({ ...p, preselected: true })),
  });
  assert.deepEqual(initialTicks(optOutAnalytics, true, null), {
    necessary: true,
    preferences: true,
    analytics: false,
    advertising: true,
  });
});

test('a config without gpc_purposes (cached from an older service) fails closed under GPC', () => {
  const { gpc_purposes, ...older } = optOut();
  const none = { preferences: false, analytics: false, advertising: false };
  assert.deepEqual(choicesFor('accept-all', older, true), none, 'GPC opts out of every refusable purpose');
  assert.deepEqual(initialTicks(older, true, null), { necessary: true, ...none }, 'nothing preselected');
  assert.deepEqual(initialTicks(older, false, null).analytics, true, 'without GPC, as the config says');
  const narrowed = choicePayload('accept-all', none, older, null, true);
  assert.equal(narrowed.method, 'banner_custom', 'an accept-all that refuses is sent as the custom choice it is');
  const whole = choicesFor('accept-all', older, false);
  assert.deepEqual(whole, { preferences: true, analytics: true, advertising: true });
  assert.equal(choicePayload('accept-all', whole, older, null, false).method,
    'banner_accept_all');
  const { preselected, ...unmarked } = older.purposes[2];
  assert.equal(initialTicks({ ...older, purposes: [unmarked] }, false, null).analytics, false,
    'no preselected field: nothing ticked');
});
