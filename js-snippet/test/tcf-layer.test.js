import assert from 'node:assert/strict';
import test from 'node:test';
import { createLayer } from '../src/frameworks/tcf/layer.js';
import { createGvl, initialModel } from '../src/frameworks/tcf/model.js';
import { labelsFor } from '../src/frameworks/tcf/texts.js';
import { makeConfig, makeWindow } from './harness.js';
import { makeGvl } from './tcf-fixtures.js';

/** The layer opened in a bare banner root, from the synthetic GVL; `answers` records what it reports. */
function setup({ json = makeGvl(), language = 'en', texts } = {}) {
  json.vendors[1].dataRetention.purposes = { 7: 30 };
  json.vendors[1].usesNonCookieAccess = true;
  const page = makeWindow({ html: '<div id="cs-banner"><button id="opener">Partners</button></div>' });
  const gvl = createGvl(json, language);
  const answers = [];
  const layer = createLayer({
    doc: page.doc,
    gvl,
    labels: labelsFor(language, texts),
    texts: makeConfig().texts,
    onAnswer: (action) => answers.push(action),
  });
  const root = page.doc.getElementById('cs-banner');
  layer.open(root, initialModel(gvl, { cmpId: 300, cmpVersion: 1 }), page.doc.getElementById('opener'));
  const $ = (selector) => page.doc.querySelector(selector);
  const $$ = (selector) => Array.from(page.doc.querySelectorAll(selector));
  return { ...page, layer, answers, root, $, $$ };
}

test('the layer lists purposes, special features, special purposes, features and vendors from the GVL', async () => {
  const { $$, $, close } = setup();
  assert.deepEqual(
    $$('.cs-tcf h3').map((h) => h.textContent),
    ['Purposes', 'Special features', 'Special purposes', 'Features', 'Partners'],
  );
  assert.equal($$('[data-tcf-field="purposeConsents"]').length, 11);
  assert.deepEqual($$('[data-tcf-field="purposeLegitimateInterests"]').map((i) => i.getAttribute('data-tcf-id')), ['7', '10']);
  assert.equal($$('[data-tcf-field="specialFeatureOptins"]').length, 2);
  const info = $$('.cs-tcf [role="group"]').filter((g) => ['Special purposes', 'Features'].includes(g.getAttribute('aria-label')));
  assert.equal(info.length, 2);
  for (const group of info) assert.equal(group.querySelector('input'), null, 'information only');
  assert.deepEqual($$('.cs-tcf details.cs-tcf-row > summary').map((s) => s.textContent), ['Adnet One', 'Geo Two', 'Secure Three']);
  assert.equal($('#cs-tcf-purposeLegitimateInterests-7').checked, true, 'legitimate interest stands until objected to');
  assert.equal($('#cs-tcf-purposeConsents-1').checked, false);
  assert.equal($('label[for="cs-tcf-purposeConsents-1"]').textContent, 'Consent');
  assert.equal(
    $('#cs-tcf-purposeConsents-1').getAttribute('aria-label'),
    'Consent: Store and/or access information on a device',
    'the visible label, then what it is for',
  );
  const firstPurpose = $('#cs-tcf-purposeConsents-1').closest('.cs-tcf-row');
  assert.equal(firstPurpose.querySelector('details summary').textContent, 'Examples');
  assert.equal(firstPurpose.querySelector('details p').textContent, 'An example of store and/or access information on a device.');
  assert.match(firstPurpose.textContent, /Partners using it: 2/);
  assert.match($('#cs-tcf-purposeConsents-7').closest('.cs-tcf-row').textContent, /Partners using it: 1/);
  await close();
});

test('a vendor shows its bases, declarations, retention, data categories and links', async () => {
  const { $$, close } = setup();
  const [one, two, three] = $$('.cs-tcf details.cs-tcf-row');
  assert.ok(one.querySelector('#cs-tcf-vendorConsents-1'));
  assert.ok(one.querySelector('#cs-tcf-vendorLegitimateInterests-1'));
  assert.deepEqual(
    Array.from(one.querySelectorAll('li')).map((li) => li.textContent),
    [
      'Consent to purposes: Store and/or access information on a device, Use limited data to select advertising, ' +
        'Create profiles for personalised advertising, Use profiles to select personalised advertising',
      'Legitimate interest for purposes: Measure advertising performance, Develop and improve services',
      'Special purposes: Ensure security, prevent and detect fraud, and fix errors',
      'Features: Match and combine data from other data sources',
      'Keeps data for 90 days',
      'Measure advertising performance: keeps data for 30 days',
      'Cookies last up to 30 days',
      'Also stores or reads information by other means than cookies',
      'Data collected: IP addresses, Device characteristics',
    ],
  );
  assert.deepEqual(
    Array.from(one.querySelectorAll('a')).map((a) => [a.textContent, a.getAttribute('href')]),
    [
      ['Privacy policy', 'https://vendor1.example/privacy'],
      ['Legitimate interest claim', 'https://vendor1.example/li'],
    ],
  );
  assert.equal(two.querySelector('#cs-tcf-vendorLegitimateInterests-2'), null, 'no LI declared, nothing to object to');
  assert.match(two.textContent, /Special features: Use precise geolocation data/);
  assert.equal(three.querySelector('input'), null, 'special purposes only: nothing to choose');
  assert.equal(two.querySelectorAll('a').length, 1, 'no LI claim link without LI');
  await close();
});

test('toggles change the draft model', async () => {
  const { $, layer, close } = setup();
  $('#cs-tcf-purposeConsents-4').click();
  $('#cs-tcf-vendorConsents-1').click();
  $('#cs-tcf-vendorLegitimateInterests-1').click();
  assert.equal(layer.draft.purposeConsents.has(4), true);
  assert.equal(layer.draft.vendorConsents.has(1), true);
  assert.equal(layer.draft.vendorLegitimateInterests.has(1), false);
  $('#cs-tcf-purposeConsents-4').click();
  assert.equal(layer.draft.purposeConsents.has(4), false);
  await close();
});

test('the buttons report accept, reject and save; Close does not answer and returns focus', async () => {
  const { $, answers, layer, doc, close } = setup();
  for (const action of ['accept', 'reject', 'save']) $('.cs-tcf [data-tcf-action="' + action + '"]').click();
  assert.deepEqual(answers, ['accept', 'reject', 'save']);
  assert.deepEqual(
    Array.from(doc.querySelectorAll('.cs-tcf .cs-btns button')).map((b) => b.textContent),
    ['Accept all', 'Reject all', 'Save choices'],
  );
  $('.cs-tcf [data-tcf-action="close"]').click();
  assert.equal(layer.node, null);
  assert.equal(doc.activeElement, doc.getElementById('opener'));
  assert.deepEqual(answers, ['accept', 'reject', 'save']);
  await close();
});

test('Tab from the last control wraps to the first; an unfolded vendor\'s toggles take focus', async () => {
  const { $, doc, win, close } = setup();
  const summary = $('.cs-tcf details.cs-tcf-row > summary');
  const tab = () =>
    doc.activeElement.dispatchEvent(new win.KeyboardEvent('keydown', { key: 'Tab', bubbles: true, cancelable: true }));
  // Only the focus trap moves focus in happy-dom; from the last control it wraps to the first.
  $('.cs-tcf [data-tcf-action="save"]').focus();
  tab();
  assert.equal(doc.activeElement, $('.cs-tcf [data-tcf-action="close"]'));
  assert.equal(summary.parentElement.open, false);
  summary.parentElement.open = true;
  const vendorToggle = $('#cs-tcf-vendorConsents-1');
  vendorToggle.focus();
  assert.equal(doc.activeElement, vendorToggle);
  await close();
});

test('German labels; GVL texts are text and only web links are linked', async () => {
  const json = makeGvl();
  json.purposes[1].name = '<img src=x onerror="window.__xss=1">';
  json.vendors[1].urls = [{ langId: 'de', privacy: 'javascript:alert(1)', legIntClaim: 'https://vendor1.example/li' }];
  const { $, $$, win, close } = setup({ json, language: 'de' });
  assert.equal($('#cs-tcf-title').textContent, 'Partner und Zwecke');
  assert.equal($('label[for="cs-tcf-purposeConsents-1"]').textContent, 'Einwilligung');
  assert.equal($('.cs-tcf-row b').textContent, json.purposes[1].name);
  assert.equal($('.cs-tcf img'), null);
  assert.equal(win.__xss, undefined);
  assert.deepEqual($$('.cs-tcf details.cs-tcf-row')[0].querySelectorAll('a').length, 1);
  await close();
});

test('labels: the config overrides, a missing language is English', () => {
  assert.equal(labelsFor('fr').title, 'Partenaires et finalités');
  assert.equal(labelsFor('it').title, 'Partners and purposes');
  assert.equal(labelsFor('de', { title: 'Eigene' }).title, 'Eigene');
  assert.equal(labelsFor('de', { title: 'Eigene' }).consent, 'Einwilligung');
});
