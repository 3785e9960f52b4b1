import assert from 'node:assert/strict';
import test from 'node:test';
import { CmpApiModel } from '@iabtechlabtcf/cmpapi';
import { TCString } from '@iabtechlabtcf/core';
import { createBanner } from '../src/core/banner.js';
import { choicesFor } from '../src/core/choices.js';
import { startCmp } from '../src/frameworks/tcf/cmp.js';
import { answerAll, createGvl, createModel, encode } from '../src/frameworks/tcf/model.js';
import { makeWindow, settle } from './harness.js';
import { installStub, makeGvl, makeHost, makeTcfConfig } from './tcf-fixtures.js';

// The core's banner actions as the contract names them for contributors.
const CONTRACT_ACTIONS = { 'accept-all': 'accept', 'reject-all': 'reject', save: 'save' };
const bits = (vector) => [...vector.values()].sort((a, b) => a - b);

/**
 * A page with the IAB stub (so tags can queue calls before the CMP loads), the real banner and a host that
 * follows the contract: an answer in the banner goes through every contributor, as the core's POST does.
 * `before(win)` runs between the stub and the CMP: the tags' early calls. `openedBefore`: the banner was open
 * before the CMP loaded.
 */
function setup({ config = makeTcfConfig(), claims = null, before = () => {}, openedBefore = false, ticks = {} } = {}) {
  const page = makeWindow({ html: '<button id="opener">Open</button>' });
  // The IAB CmpApi reads the global `window`, as in a browser.
  globalThis.window = page.win;
  CmpApiModel.reset();
  installStub(page.win);
  before(page.win);
  const double = makeHost({ win: page.win, config, claims });
  const posts = [];
  const banner = createBanner(
    page.doc,
    config,
    false,
    'n1',
    () => ticks,
    () => claims !== null,
    (action, ticked) => {
      banner.close();
      const choices = choicesFor(action, config, false, ticked);
      posts.push(double.choose(CONTRACT_ACTIONS[action], choices).then((extra) => ({ choices, ...extra })));
    },
  );
  const openBanner = (view) => {
    banner.open(view);
    double.bannerOpened(banner.root, view);
  };
  if (openedBefore) banner.open('main'); // the banner opened before this file arrived
  const cmp = startCmp(double.host);
  const $ = (selector) => page.doc.querySelector(selector);
  const click = (selector) => $(selector).click();
  const key = (key, shiftKey = false) =>
    page.doc.activeElement.dispatchEvent(new page.win.KeyboardEvent('keydown', { key, shiftKey, bubbles: true, cancelable: true }));
  const close = async () => {
    await page.close();
    delete globalThis.window;
  };
  return { ...page, ...double, banner, openBanner, cmp, posts, $, click, key, close };
}

test('tags calling __tcfapi before the CMP loads are answered: ui shown, then the answer', async () => {
  const events = [];
  const early = [];
  const { win, openBanner, click, posts, published, close } = setup({
    before(win) {
      win.__tcfapi('ping', 2, (ping) => early.push(['ping', ping.cmpStatus]));
      win.__tcfapi('addEventListener', 2, (data, ok) => events.push([data.eventStatus, ok, data.tcString]));
      win.__tcfapi('getTCData', 2, (data, ok) => early.push(['getTCData', ok, data.cmpId]));
    },
  });
  assert.deepEqual(early, [['ping', 'stub']], 'only ping is answered until the CMP has a state');
  assert.deepEqual(events, []);
  openBanner('main');
  assert.deepEqual(early[1], ['getTCData', true, 300]);
  assert.deepEqual(events, [['cmpuishown', true, '']]);
  win.__tcfapi('ping', 2, (ping) => early.push(['ping', ping.cmpStatus, ping.cmpId, ping.displayStatus]));
  assert.deepEqual(early[2], ['ping', 'loaded', 300, 'visible']);

  click('[data-cs-action="reject-all"]');
  const post = await posts[0];
  assert.equal(typeof post.tc_string, 'string');
  assert.equal(published.tc_string, post.tc_string);
  assert.deepEqual(events[1], ['useractioncomplete', true, post.tc_string]);
  const decoded = TCString.decode(post.tc_string);
  assert.deepEqual(bits(decoded.purposeConsents), []);
  assert.deepEqual(bits(decoded.vendorConsents), []);
  assert.deepEqual(bits(decoded.vendorsDisclosed), [1, 2, 3]);
  await close();
});

test('the first layer gets the vendor count, the purposes and the "Partners and purposes" button', async () => {
  const { openBanner, $, doc, close } = setup();
  openBanner('main');
  const sentence = $('#cs-tcf-first');
  assert.match(sentence.textContent, /^We and our 3 partners store .* these purposes: Store and\/or access information on a device; /);
  assert.match(sentence.textContent, /partners may also: Use precise geolocation data; Actively scan device/);
  assert.match(sentence.textContent, /object under "Partners and purposes \(3\)"/);
  assert.equal($('#cs-desc').nextElementSibling, sentence);
  const button = $('.cs-btns [data-tcf-action="partners"]');
  assert.equal(button.textContent, 'Partners and purposes (3)');
  assert.equal(doc.querySelectorAll('#cs-tcf-style').length, 1);
  assert.equal($('#cs-tcf-style').getAttribute('nonce'), 'n1');
  openBanner('settings');
  openBanner('main');
  assert.equal(doc.querySelectorAll('[data-tcf-action="partners"]').length, 1, 'added once');
  await close();
});

test('accept from the first layer: every purpose and vendor; TCF rides along with the core POST', async () => {
  const { openBanner, click, posts, close } = setup();
  openBanner('main');
  click('[data-cs-action="accept-all"]');
  const post = await posts[0];
  assert.equal(post.choices.advertising, true);
  const decoded = TCString.decode(post.tc_string);
  assert.deepEqual(bits(decoded.purposeConsents), [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11]);
  assert.deepEqual(bits(decoded.vendorConsents), [1, 2]);
  assert.deepEqual(bits(decoded.specialFeatureOptins), [1, 2]);
  assert.equal(decoded.consentScreen, 1);
  await close();
});

test('save in the second layer sends the chosen toggles', async () => {
  const { openBanner, click, $, posts, close } = setup();
  openBanner('main');
  click('[data-tcf-action="partners"]');
  const layer = $('.cs-tcf');
  assert.equal(layer.getAttribute('role'), 'dialog');
  for (const id of ['cs-tcf-purposeConsents-1', 'cs-tcf-purposeConsents-3', 'cs-tcf-vendorConsents-2', 'cs-tcf-specialFeatureOptins-1']) {
    $('#' + id).click(); // a click toggles and fires "change", as a visitor's does
  }
  $('#cs-tcf-purposeLegitimateInterests-7').click(); // object to LI for purpose 7
  click('.cs-tcf [data-tcf-action="save"]');
  assert.equal($('.cs-tcf'), null, 'the layer closes');
  const post = await posts[0];
  assert.deepEqual(post.choices, { preferences: false, analytics: false, advertising: true }, 'advertising follows TCF');
  const decoded = TCString.decode(post.tc_string);
  assert.deepEqual(bits(decoded.purposeConsents), [1, 3]);
  assert.deepEqual(bits(decoded.vendorConsents), [2]);
  assert.deepEqual(bits(decoded.specialFeatureOptins), [1]);
  assert.deepEqual(bits(decoded.purposeLegitimateInterests), [10]);
  assert.deepEqual(bits(decoded.vendorLegitimateInterests), [1, 3]);
  assert.equal(decoded.consentScreen, 2);
  await close();
});

test('reject and accept in the second layer answer through the banner', async () => {
  for (const [action, expected] of [['reject', []], ['accept', [1, 2]]]) {
    const { openBanner, click, posts, close } = setup();
    openBanner('main');
    click('[data-tcf-action="partners"]');
    click('.cs-tcf [data-tcf-action="' + action + '"]');
    const post = await posts[0];
    assert.equal(post.choices.advertising, action === 'accept');
    assert.deepEqual(bits(TCString.decode(post.tc_string).vendorConsents), expected, action);
    await close();
  }
});

test('a core Settings save without the second layer follows the "advertising" purpose', async () => {
  for (const [ticked, expected] of [[false, []], [true, [1, 2]]]) {
    const { openBanner, click, $, posts, close } = setup();
    openBanner('settings');
    $('input[value="advertising"]').checked = ticked;
    click('[data-cs-action="save"]');
    assert.deepEqual(bits(TCString.decode((await posts[0]).tc_string).vendorConsents), expected, 'advertising ' + ticked);
    await close();
  }
});

/** A TC string as the service recorded it earlier, made with the same GVL. */
function recorded(set, gvlJson = makeGvl()) {
  const model = answerAll(createModel(createGvl(gvlJson, 'en'), { cmpId: 300, cmpVersion: 1 }), false);
  set(model);
  return encode(model, 2);
}

test('a returning visitor: the recorded TC string loads the API at once and fills the second layer', async () => {
  const tc = recorded((m) => {
    m.purposeConsents.set([1, 2]);
    m.vendorConsents.set(1);
  });
  const events = [];
  const { win, openBanner, click, $, published, close } = setup({
    claims: { purposes: { advertising: true }, tcf: tc },
    before: (win) => win.__tcfapi('addEventListener', 2, (data) => events.push([data.eventStatus, data.tcString])),
  });
  assert.deepEqual(events, [['tcloaded', tc]]);
  assert.equal(published.tc_string, tc);
  win.__tcfapi('getTCData', 2, (data) => events.push(['get', data.purpose.consents[2], data.vendor.consents[1], data.vendor.consents[2] === true]));
  assert.deepEqual(events[1], ['get', true, true, false]);
  openBanner('settings');
  click('[data-tcf-action="partners"]');
  assert.equal($('#cs-tcf-purposeConsents-2').checked, true);
  assert.equal($('#cs-tcf-purposeConsents-3').checked, false);
  assert.equal($('#cs-tcf-vendorConsents-1').checked, true);
  await close();
});

test('a returning visitor whose string no longer fits is asked again', async () => {
  const tc = recorded((m) => m.purposeConsents.set(1), makeGvl({ tcfPolicyVersion: 4 }));
  const { win, $, cmp, close } = setup({ claims: { purposes: { advertising: true }, tcf: tc } });
  assert.equal(cmp.tcString, '');
  let shown = 0;
  win.ConsentService = { show: () => shown++ };
  await settle(10);
  assert.equal(shown, 1, 'ConsentService.show() reopened the banner');
  assert.equal($('.cs-tcf'), null);
  await close();
});

test('a token adopted later brings its TC string', async () => {
  const tc = recorded((m) => m.vendorConsents.set(2));
  const events = [];
  const { adopt, win, published, close } = setup();
  win.__tcfapi('addEventListener', 2, (data) => events.push([data.eventStatus, data.tcString]));
  adopt({ purposes: { advertising: true }, tcf: tc });
  assert.equal(published.tc_string, tc);
  assert.deepEqual(events, [['tcloaded', tc]]);
  await close();
});

test('keyboard: focus moves into the layer, Tab stays inside, Escape returns to the button', async () => {
  const { doc, openBanner, click, $, key, banner, close } = setup();
  openBanner('settings');
  const opener = $('[data-tcf-action="partners"]');
  opener.focus();
  click('[data-tcf-action="partners"]');
  const layer = $('.cs-tcf');
  assert.equal(layer.getAttribute('aria-modal'), 'true');
  assert.equal($('#' + layer.getAttribute('aria-labelledby')).textContent, 'Partners and purposes');
  assert.equal(doc.activeElement, $('#cs-tcf-purposeConsents-1'));
  assert.ok($('#cs-banner').classList.contains('cs-tcf-open'));
  // Backwards from the first control wraps to the last (the Save button), and forwards again.
  $('.cs-tcf [data-tcf-action="close"]').focus();
  key('Tab', true);
  assert.equal(doc.activeElement, $('.cs-tcf [data-tcf-action="save"]'));
  key('Tab');
  assert.equal(doc.activeElement, $('.cs-tcf [data-tcf-action="close"]'));
  // Focus sent outside comes back in.
  doc.getElementById('opener').focus();
  assert.ok(layer.contains(doc.activeElement));
  key('Escape');
  assert.equal($('.cs-tcf'), null);
  assert.equal(banner.view, 'settings', 'Escape left the layer, not the banner view');
  assert.equal(doc.activeElement, opener);
  assert.equal($('#cs-banner').classList.contains('cs-tcf-open'), false);
  await close();
});

test('the entry attaches as "tcf" to ConsentService', async () => {
  const page = makeWindow();
  globalThis.window = page.win;
  const attached = [];
  page.win.ConsentService = { attach: (name, setup) => attached.push([name, setup]) };
  await import('../src/frameworks/tcf.js');
  assert.deepEqual(attached, [['tcf', startCmp]]);
  delete globalThis.window;
  await page.close();
});

test('an unregistered CMP id leaves the stub answering ping and still records strings', async () => {
  const early = [];
  const warnings = [];
  const config = makeTcfConfig({ cmpId: 0, cmpVersion: 0 });
  const { win, openBanner, click, posts, close } = setup({
    config,
    before(win) {
      win.console.warn = (message) => warnings.push(message);
      win.__tcfapi('getTCData', 2, () => early.push('answered'));
    },
  });
  assert.match(warnings[0], /CMP id 0 is not an IAB-assigned id/);
  openBanner('main');
  win.__tcfapi('ping', 2, (ping) => early.push(ping.cmpStatus));
  click('[data-cs-action="reject-all"]');
  assert.match((await posts[0]).tc_string, /^C/);
  assert.deepEqual(early, ['stub']);
  await close();
});

test('the minified bundle (as the build makes it) attaches and answers queued calls on a page', async () => {
  const esbuild = await import('esbuild');
  const built = await esbuild.build({
    entryPoints: [new URL('../src/frameworks/tcf.js', import.meta.url).pathname],
    bundle: true,
    format: 'iife',
    target: 'es2019',
    minify: true,
    legalComments: 'none',
    write: false,
    logLevel: 'warning',
  });
  const code = built.outputFiles[0].text;
  assert.doesNotMatch(code, /\beval\(|new Function|innerHTML|outerHTML|insertAdjacentHTML|document\.write/);
  const page = makeWindow({ scripts: { 'https://consent.example/frameworks/tcf.js': code } });
  const { win, doc } = page;
  installStub(win);
  const answered = [];
  win.__tcfapi('getTCData', 2, (data, ok) => answered.push([ok, data.tcString]));
  const attached = [];
  win.ConsentService = { attach: (name, setup) => attached.push([name, setup]) };
  const tag = doc.createElement('script');
  tag.setAttribute('src', 'https://consent.example/frameworks/tcf.js');
  tag.setAttribute('async', '');
  doc.head.append(tag);
  await settle(60);
  assert.deepEqual(attached.map(([name]) => name), ['tcf']);
  const tc = recorded((m) => m.purposeConsents.set(1));
  attached[0][1](makeHost({ win, config: makeTcfConfig(), claims: { purposes: {}, tcf: tc } }).host);
  assert.deepEqual(answered, [[true, tc]]);
  await page.close();
});

test('a config without a vendor list leaves TCF off, with a warning', async () => {
  const page = makeWindow();
  const warnings = [];
  page.win.console.warn = (message) => warnings.push(message);
  const config = makeTcfConfig();
  delete config.frameworks.tcf.gvl;
  assert.equal(startCmp(makeHost({ win: page.win, config }).host), null);
  assert.deepEqual(warnings, ['[consent] tcf: the config has no vendor list: TCF stays off']);
  await page.close();
});

test('a banner already open when the file arrives gets the TCF additions and shows the UI', async () => {
  const events = [];
  const { $, close } = setup({
    openedBefore: true,
    before: (win) => win.__tcfapi('addEventListener', 2, (data) => events.push(data.eventStatus)),
  });
  assert.ok($('#cs-banner [data-tcf-action="partners"]'));
  assert.deepEqual(events, ['cmpuishown']);
  await close();
});

test('save in the second layer keeps the core decisions of the Settings form, advertising following TCF', async () => {
  const config = makeTcfConfig();
  // A returning visitor's Settings: analytics allowed, advertising allowed; in TCF they now refuse everything.
  const { openBanner, click, $, posts, banner, close } = setup({ config, ticks: { analytics: true, advertising: true } });
  openBanner('main');
  click('[data-tcf-action="partners"]');
  click('.cs-tcf [data-tcf-action="save"]');
  assert.equal(banner.view, null, 'the choice closed the banner');
  const post = await posts[0];
  assert.deepEqual(post.choices, { preferences: false, analytics: true, advertising: false });
  assert.deepEqual(bits(TCString.decode(post.tc_string).purposeConsents), []);
  assert.equal($('.cs-tcf'), null);
  await close();
});
