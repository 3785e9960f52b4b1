import assert from 'node:assert/strict';
import test from 'node:test';
import * as esbuild from 'esbuild';
import { boot } from '../src/core/boot.js';
import { createFrameworks } from '../src/core/frameworks.js';
import { createState } from '../src/core/state.js';
import { readTag } from '../src/core/tag.js';
import { hostOf } from '../src/frameworks/host.js';
import { NOW, claimsFor, fakeFetch, makeConfig, makeToken, makeWindow, settle } from './harness.js';

const GPP_SRC = '/frameworks/gpp.0123456789.js';
const TCF_SRC = '/frameworks/tcf.abcdef0123.js';
const API = 'https://consent.example';
// Values made in the page's realm, compared as plain data.
const plain = (value) => JSON.parse(JSON.stringify(value));

// host.js, as the build bundles it first into every framework file.
const HOST = (
  await esbuild.build({ entryPoints: [new URL('../src/frameworks/host.js', import.meta.url).pathname], bundle: true, format: 'iife', write: false })
).outputFiles[0].text;

// Framework files as a test writes them: each records what its host gives and does.
const GPP_FILE = HOST + `window.ConsentService.attach('gpp', (host) => {
  window.__host = host;
  window.__changes = 0;
  window.__views = [];
  host.onChange(() => window.__changes++);
  host.onBannerOpen((root, view) => window.__views.push([root.id, view]));
  host.subscribe('tc_string', (value) => (window.__tc = value));
  host.contribute((choice) => { window.__choice = choice; return Promise.resolve({ gpp_seen: choice.action }); });
});`;
const TCF_FILE = HOST + `window.ConsentService.attach('tcf', (host) => {
  host.publish('tc_string', 'CQ-first');
  host.contribute(() => ({ tc_string: 'CQ-' + host.has('advertising') }));
});`;

const frameworksConfig = (extra = {}) =>
  makeConfig({
    frameworks: {
      gpp: { src: GPP_SRC, integrity: 'sha384-gpp' },
      tcf: { src: TCF_SRC, integrity: 'sha384-tcf' },
      microsoft_uet: {},
      ...extra,
    },
  });

const receipt = (body) =>
  Response.json(
    { visitor_id: 'v-1', token: makeToken(claimsFor(body.choices)), expires_at: new Date(NOW + 864e5).toISOString(), decisions: {} },
    { status: 201 },
  );

function start({ config = frameworksConfig(), frameworks = 'gpp tcf microsoft_uet', scripts = {}, cookie } = {}) {
  const page = makeWindow({
    scripts: { [API + GPP_SRC]: GPP_FILE, [API + TCF_SRC]: TCF_FILE, ...scripts },
  });
  const { win, doc } = page;
  const warnings = [];
  win.console.warn = (message) => warnings.push(message);
  if (cookie) doc.cookie = cookie;
  const { fetch, calls } = fakeFetch((url, init) => (init.method === 'POST' ? receipt(JSON.parse(init.body)) : config));
  const script = doc.createElement('script');
  script.type = 'text/plain';
  script.setAttribute('src', API + '/consent.js');
  script.setAttribute('data-property', 'pk_test');
  script.setAttribute('nonce', 'n0nce');
  if (frameworks) script.setAttribute('data-frameworks', frameworks);
  doc.head.append(script);
  const ready = boot(win, script, fetch, () => NOW);
  return { ...page, warnings, calls, ready };
}

test('loads each framework file the config gives a src, with SRI, CORS, the nonce and async', async () => {
  const page = start();
  await page.ready;
  const scripts = page.doc.querySelectorAll('script[integrity]');
  assert.equal(scripts.length, 2);
  const gpp = scripts[0];
  assert.equal(gpp.getAttribute('src'), API + GPP_SRC);
  assert.equal(gpp.getAttribute('integrity'), 'sha384-gpp');
  assert.equal(gpp.getAttribute('crossorigin'), 'anonymous');
  assert.equal(gpp.getAttribute('nonce'), 'n0nce');
  assert.equal(gpp.hasAttribute('async'), true);
  assert.equal(scripts[1].getAttribute('src'), API + TCF_SRC);
  assert.deepEqual(page.warnings, []);
  await page.close();
});

test('attach gives the host: config, decisions, claims, GPC, hooks; the banner view open before it attached', async () => {
  const page = start();
  await page.ready;
  await settle();
  const host = page.win.__host;
  assert.deepEqual(Object.keys(host).sort(), [
    'claims', 'config', 'contribute', 'doc', 'gpc', 'has', 'nonce', 'onBannerOpen', 'onChange', 'publish', 'subscribe', 'win',
  ]);
  assert.equal(host.win, page.win);
  assert.equal(host.doc, page.doc);
  assert.equal(host.nonce, 'n0nce');
  assert.equal(host.config.frameworks.gpp.src, GPP_SRC);
  assert.equal(host.has('necessary'), true);
  assert.equal(host.has('advertising'), false);
  assert.equal(host.claims(), null);
  assert.equal(host.gpc(), false);
  assert.deepEqual(plain(page.win.__views), [['cs-banner', 'main']], 'the first layer was open when it attached');
  assert.equal(page.win.__tc, 'CQ-first', "a value published before subscribing is given at once");
  // Only a file this page loads may attach, and once.
  let again = false;
  page.win.ConsentService.attach('gpp', () => (again = true));
  page.win.ConsentService.attach('other', () => (again = true));
  assert.equal(again, false);
  await page.close();
});

test("a choice merges the frameworks' contributions into the POST body; onChange and onBannerOpen follow", async () => {
  const page = start();
  await page.ready;
  await settle();
  page.doc.querySelector('[data-cs-action="settings"]').click();
  assert.deepEqual(plain(page.win.__views.at(-1)), ['cs-banner', 'settings']);
  page.doc.querySelector('[data-cs-action="accept-all"]').click();
  await settle();
  const post = page.calls.find((call) => call.init.method === 'POST');
  assert.equal(post.body.gpp_seen, 'accept');
  assert.equal(post.body.tc_string, 'CQ-false', 'contributions run before the decisions change');
  assert.equal(post.body.method, 'banner_accept_all', "the core's fields stay");
  assert.deepEqual(plain(page.win.__choice), { action: 'accept', choices: { preferences: true, analytics: true, advertising: true } });
  assert.equal(page.win.__changes, 1);
  assert.equal(page.win.__host.has('advertising'), true);
  assert.equal(page.win.__host.claims().purposes.advertising, true);
  // Microsoft UET is enabled by the config and listed by the tag: default, then the update.
  assert.deepEqual(plain(page.win.uetq), ['consent', 'default', { ad_storage: 'denied' }, 'consent', 'update', { ad_storage: 'granted' }]);
  await page.close();
});

test('a file that fails to load (404, SRI) warns; its stub answers only ping; the choice goes on without it', async () => {
  const page = start({ config: frameworksConfig({ tcf: { src: '/frameworks/tcf.missing000.js', integrity: 'sha384-x' } }) });
  await page.ready;
  await settle();
  assert.deepEqual(page.warnings, ['[consent] tcf failed to load']);
  let pinged = null;
  page.win.__tcfapi('ping', 2, (data) => (pinged = data));
  assert.equal(pinged.cmpLoaded, false);
  page.doc.querySelector('[data-cs-action="reject-all"]').click();
  await settle();
  const post = page.calls.find((call) => call.init.method === 'POST');
  assert.equal(post.body.gpp_seen, 'reject');
  assert.equal('tc_string' in post.body, false);
  await page.close();
});

test('a framework the config enables but the tag does not list still loads, with a warning', async () => {
  const page = start({ frameworks: 'gpp' });
  await page.ready;
  await settle();
  assert.deepEqual(page.warnings, ['[consent] tcf not in data-frameworks: no stub']);
  assert.equal(typeof page.win.__tcfapi, 'undefined', 'no stub was made for it');
  assert.ok(page.doc.querySelector(`script[src="${API + TCF_SRC}"]`));
  await page.close();
});

test('a tag listing a framework the config does not enable keeps only its stub and loads nothing', async () => {
  const page = start({ config: makeConfig() });
  await page.ready;
  await settle();
  assert.equal(page.doc.querySelector('script[integrity]'), null);
  assert.equal(typeof page.win.__gpp, 'function');
  assert.deepEqual(page.warnings, []);
  await page.close();
});

/** The loader alone, with the window's timers in the test's hands. */
function loader() {
  const page = makeWindow({ scripts: { [API + GPP_SRC]: GPP_FILE } });
  const timers = [];
  page.win.setTimeout = (fn, ms, ...args) => timers.push({ fn, ms, args });
  const warnings = [];
  const tag = { ...readTag(null, page.doc), api: API, frameworks: ['gpp', 'tcf'] };
  const frameworks = createFrameworks(page.win, tag, createState(), () => true, (m) => warnings.push(m));
  page.win.ConsentService = Object.freeze({ attach: frameworks.attach });
  return { ...page, timers, warnings, frameworks };
}

test('a choice made while a file loads waits for it, then has its contribution', async () => {
  const page = loader();
  page.frameworks.load({ frameworks: { gpp: { src: GPP_SRC, integrity: 'sha384-gpp' } } });
  const parts = await page.frameworks.contribute({ action: 'save', choices: {} });
  assert.deepEqual(parts, { gpp_seen: 'save' });
  assert.deepEqual(page.timers.map((t) => t.ms), [5000]);
  assert.deepEqual(page.warnings, []);
  await page.close();
});

test('a choice waits at most 5 s for a file still loading, then goes on without it and warns', async () => {
  const page = loader();
  page.frameworks.load({ frameworks: { tcf: { src: TCF_SRC, integrity: 'sha384-tcf' } } });
  let parts = null;
  const done = page.frameworks.contribute({ action: 'reject', choices: {} }).then((value) => (parts = value));
  await settle(1);
  assert.equal(parts, null, 'still waiting');
  const [timer] = page.timers;
  assert.equal(timer.ms, 5000);
  timer.fn(...timer.args); // 5 s later
  await done;
  assert.deepEqual(parts, {});
  assert.deepEqual(page.warnings, ['tcf left out of the choice']);
  await page.close();
});

test('with nothing loading a choice does not wait, and a failing contribution is left out with a warning', async () => {
  const page = loader();
  page.frameworks.attach('gpp', () => assert.fail('not loading: no host'));
  const host = await new Promise((resolve) => {
    page.frameworks.load({ frameworks: { gpp: { src: '/frameworks/gpp.other.js', integrity: 'sha384-x' } } });
    page.frameworks.attach('gpp', (core) => resolve(hostOf(core)));
  });
  host.contribute(() => Promise.reject(new Error('broken')));
  host.contribute(() => ({ a: 1 }));
  assert.deepEqual(await page.frameworks.contribute({ action: 'accept', choices: {} }), { a: 1 });
  assert.equal(page.timers.length, 0);
  assert.equal(page.warnings.length, 1);
  await page.close();
});

test("a framework's hook that throws is logged and does not stop the choice or the page's listeners", async () => {
  const broken = HOST + `window.ConsentService.attach('gpp', (host) => {
    host.onChange(() => { throw new Error('broken onChange'); });
    host.onBannerOpen(() => { throw new Error('broken onBannerOpen'); });
    host.contribute(() => { throw new Error('broken contribute'); });
  });`;
  const page = start({ config: frameworksConfig({ tcf: undefined }), frameworks: 'gpp', scripts: { [API + GPP_SRC]: broken } });
  const errors = [];
  page.win.console.error = (err) => errors.push(err.message);
  await page.ready;
  await settle();
  const seen = [];
  page.win.ConsentService.on('change', () => seen.push('change'));
  page.doc.querySelector('[data-cs-action="accept-all"]').click();
  await settle();
  assert.ok(page.calls.some((call) => call.init.method === 'POST'));
  assert.equal(page.win.ConsentService.has('advertising'), true);
  assert.deepEqual(seen, ['change']);
  assert.deepEqual(errors, ['broken onBannerOpen', 'broken contribute', 'broken onChange']);
  await page.close();
});

test('publish reaches every subscriber, and one that subscribes later gets the last value at once', async () => {
  const page = loader();
  const host = await new Promise((resolve) => {
    page.frameworks.load({ frameworks: { gpp: { src: '/frameworks/gpp.other.js', integrity: 'sha384-x' } } });
    page.frameworks.attach('gpp', (core) => resolve(hostOf(core)));
  });
  const early = [];
  host.subscribe('tc_string', (value) => early.push(value));
  host.publish('tc_string', 'CQ-1');
  host.publish('tc_string', 'CQ-2');
  const late = [];
  host.subscribe('tc_string', (value) => late.push(value));
  host.subscribe('other', (value) => late.push(value));
  assert.deepEqual(early, ['CQ-1', 'CQ-2']);
  assert.deepEqual(late, ['CQ-2']);
  await page.close();
});
