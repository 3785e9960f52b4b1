import assert from 'node:assert/strict';
import test from 'node:test';
import { createBanner } from '../src/core/banner.js';
import { makeConfig, makeWindow } from './harness.js';

/** A page with a focused "Open" button and a banner; `choices` records what it reports. */
function setup({ config = makeConfig(), gpc = false, canClose = false, ticks = {} } = {}) {
  const page = makeWindow({ html: '<button id="opener">Open</button><a href="#x" id="link">x</a>' });
  const opener = page.doc.getElementById('opener');
  opener.focus();
  const choices = [];
  const banner = createBanner(
    page.doc,
    config,
    gpc,
    'n1',
    () => ticks,
    () => canClose,
    (action, ticked) => choices.push([action, ticked]),
  );
  const $ = (selector) => page.doc.querySelector(selector);
  const key = (key, shiftKey = false) =>
    page.doc.activeElement.dispatchEvent(new page.win.KeyboardEvent('keydown', { key, shiftKey, bubbles: true, cancelable: true }));
  return { ...page, banner, choices, opener, $, key };
}

test('a labelled, described dialog that is hidden until opened', async () => {
  const { banner, $, close } = setup();
  const root = $('#cs-banner');
  assert.equal(root, banner.root);
  assert.equal(root.hidden, true);
  assert.equal(root.getAttribute('role'), 'dialog');
  assert.equal($('#' + root.getAttribute('aria-labelledby')).textContent, 'We use cookies');
  assert.match($('#' + root.getAttribute('aria-describedby')).textContent, /^Choose what you allow\. Privacy notice$/);
  assert.equal(root.getAttribute('lang'), 'en');
  assert.equal($('style#cs-style').getAttribute('nonce'), 'n1');
  await close();
});

test('the first layer: focus moves in, three equally prominent answers, a notice link, not modal', async () => {
  const { doc, banner, $, close } = setup();
  banner.open('main');
  const root = $('#cs-banner');
  assert.equal(root.hidden, false);
  assert.equal(doc.activeElement, root);
  assert.equal(root.hasAttribute('aria-modal'), false);
  const visible = Array.from(root.querySelectorAll('.cs-btns button')).filter((b) => !b.hidden);
  assert.deepEqual(
    visible.map((b) => [b.getAttribute('data-cs-action'), b.textContent, b.className]),
    [
      ['accept-all', 'Accept all', ''],
      ['reject-all', 'Reject all', ''],
      ['settings', 'Settings', ''],
    ],
  );
  assert.equal($('[data-cs-action="save"]').hidden, true);
  assert.equal($('[data-cs-action="close"]').hidden, true, 'no way around answering on a first visit');
  assert.equal($('.cs-prefs').hidden, true);
  const link = $('#cs-desc a');
  assert.equal(link.getAttribute('href'), 'https://shop.example/privacy');
  assert.equal(link.textContent, 'Privacy notice');
  await close();
});

test('server texts are text: markup in them is not parsed', async () => {
  const config = makeConfig();
  config.texts = { ...config.texts, title: '<img src=x onerror="window.__xss=1">' };
  const { win, banner, $, close } = setup({ config });
  banner.open('main');
  assert.equal($('#cs-title').textContent, config.texts.title);
  assert.equal($('#cs-title img'), null);
  assert.equal(win.__xss, undefined);
  await close();
});

test('a notice URL that is not http(s) is not linked', async () => {
  const config = makeConfig({ notice: { version: '1', url: 'javascript:alert(1)' } });
  const { $, close } = setup({ config });
  assert.equal($('#cs-banner a'), null);
  await close();
});

test('answers on the first layer are reported', async () => {
  const { banner, choices, $, close } = setup();
  banner.open('main');
  $('[data-cs-action="accept-all"]').click();
  $('[data-cs-action="reject-all"]').click();
  assert.deepEqual(choices, [['accept-all', undefined], ['reject-all', undefined]]);
  await close();
});

test('Settings: one labelled checkbox per purpose, necessary locked on, modal, focus on the first choice', async () => {
  const { doc, banner, $, close } = setup({ ticks: { necessary: true, analytics: true } });
  banner.open('main');
  $('[data-cs-action="settings"]').click();
  const root = $('#cs-banner');
  assert.equal(root.getAttribute('aria-modal'), 'true');
  assert.equal($('.cs-prefs').hidden, false);
  const boxes = Array.from(doc.querySelectorAll('input[name="cs-purpose"]'));
  assert.deepEqual(boxes.map((b) => [b.value, b.type, b.checked, b.disabled]), [
    ['necessary', 'checkbox', true, true],
    ['preferences', 'checkbox', false, false],
    ['analytics', 'checkbox', true, false],
    ['advertising', 'checkbox', false, false],
  ]);
  const necessaryLabel = $(`label[for="${boxes[0].id}"]`);
  assert.equal(necessaryLabel.textContent, 'Strictly necessaryAlways on');
  assert.equal($(`label[for="${boxes[2].id}"]`).textContent, 'Analytics');
  assert.equal($('#' + boxes[2].getAttribute('aria-describedby')).textContent, 'Counts visits.');
  assert.equal(doc.activeElement, boxes[1], 'the first refusable purpose');
  assert.equal($('[data-cs-action="settings"]').hidden, true);
  assert.equal($('[data-cs-action="save"]').hidden, false);
  assert.equal($('[data-cs-action="accept-all"]').hidden, false);
  await close();
});

test('Settings: the declared cookies of a purpose are folded under it, as text', async () => {
  const declarations = {
    analytics: [
      { name: '_ga_*', domain: 'shop.example', retention: '2 years', description: 'Counts visits.' },
      { name: '<b>x</b>', domain: null, retention: '1 day', description: '<img src=x onerror="window.__xss=1">' },
    ],
    marketing: [{ name: 'mk', domain: null, retention: '1 day', description: 'Not a purpose of this banner.' }],
  };
  const { win, banner, $, close } = setup({ config: makeConfig({ declarations }) });
  banner.open('settings');
  const lists = Array.from($('.cs-prefs').querySelectorAll('details.cs-ck'));
  assert.equal(lists.length, 1, 'only under a purpose shown that declares cookies');
  const [list] = lists;
  assert.ok($('input[value="analytics"]').closest('.cs-p').contains(list));
  assert.equal(list.open, false, 'folded until the visitor opens it');
  assert.equal(list.querySelector('summary').textContent, 'Cookies used (2)');
  assert.deepEqual(
    Array.from(list.querySelectorAll('p')).map((p) => [p.querySelector('b').textContent, p.textContent]),
    [
      ['_ga_*', '_ga_* (2 years): Counts visits.'],
      ['<b>x</b>', '<b>x</b> (1 day): <img src=x onerror="window.__xss=1">'],
    ],
  );
  assert.equal(list.querySelector('img'), null);
  assert.equal(win.__xss, undefined);
  await close();
});

test('Settings without declared cookies has no cookie lists', async () => {
  const { banner, $, close } = setup({ config: makeConfig({ declarations: { analytics: [] } }) });
  banner.open('settings');
  assert.equal($('details'), null);
  await close();
});

test('Save reports exactly the ticked purposes', async () => {
  const { banner, choices, $, close } = setup();
  banner.open('settings');
  $('input[name="cs-purpose"][value="advertising"]').click();
  $('[data-cs-action="save"]').click();
  assert.deepEqual(choices, [
    ['save', { necessary: true, preferences: false, analytics: false, advertising: true }],
  ]);
  await close();
});

test('Escape leaves Settings for the first layer and is never an answer', async () => {
  const { doc, banner, choices, $, key, close } = setup();
  banner.open('main');
  $('[data-cs-action="settings"]').click();
  key('Escape');
  assert.equal(banner.view, 'main');
  assert.equal($('#cs-banner').hasAttribute('aria-modal'), false);
  assert.equal(doc.activeElement, $('[data-cs-action="settings"]'));
  key('Escape');
  assert.equal(banner.view, 'main', 'a first visit cannot be escaped');
  assert.deepEqual(choices, []);
  await close();
});

test('Tab and Shift+Tab stay inside the Settings view', async () => {
  const { doc, banner, $, key, close } = setup();
  banner.open('settings');
  const save = $('[data-cs-action="save"]');
  save.focus();
  assert.equal(key('Tab'), false, 'Tab on the last control is taken over');
  assert.equal(doc.activeElement, $('#cs-desc a'), 'back to the first control');
  assert.equal(key('Tab', true), false);
  assert.equal(doc.activeElement, save);
  $('input[name="cs-purpose"][value="analytics"]').focus();
  assert.equal(key('Tab'), true, 'inside the list the browser moves focus');
  await close();
});

test('focus leaving the modal view is brought back', async () => {
  const { doc, banner, $, close } = setup();
  banner.open('settings');
  doc.getElementById('link').focus();
  assert.ok($('#cs-banner').contains(doc.activeElement));
  await close();
});

test('a visitor who has chosen can close it; focus returns where it was', async () => {
  const { doc, banner, opener, $, key, close } = setup({ canClose: true });
  banner.open('settings');
  const closeButton = $('[data-cs-action="close"]');
  assert.equal(closeButton.hidden, false);
  assert.equal(closeButton.textContent, 'Close');
  closeButton.click();
  assert.equal($('#cs-banner').hidden, true);
  assert.equal(doc.activeElement, opener);
  banner.open('main');
  key('Escape');
  assert.equal(banner.view, null);
  assert.equal(doc.activeElement, opener);
  await close();
});

test('under GPC the banner says so and describes the dialog with it', async () => {
  const { $, close } = setup({ gpc: true });
  assert.equal($('#cs-gpc strong').textContent, 'Opt-out request honored');
  assert.equal($('#cs-gpc').textContent, "Opt-out request honored Your browser's Global Privacy Control signal is honoured.");
  assert.equal($('#cs-banner').getAttribute('aria-describedby'), 'cs-desc cs-gpc');
  await close();
});

test('the GPC status is the config\'s text, translated by the service', () => {
  const config = makeConfig();
  config.texts = { ...config.texts, gpc_honored: 'Opt-out-Anfrage berücksichtigt' };
  const { $ } = setup({ config, gpc: true });
  assert.equal($('#cs-gpc strong').textContent, 'Opt-out-Anfrage berücksichtigt');
});

test('without an honoured signal there is no GPC status', () => {
  const { $ } = setup({ gpc: false });
  assert.equal($('#cs-gpc'), null);
});
