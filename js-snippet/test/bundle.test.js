import assert from 'node:assert/strict';
import test from 'node:test';
import { bundle, COMPRESSED } from '../build.mjs';
import { fakeFetch, makeConfig, makeWindow, settle } from './harness.js';

const code = await bundle();
const withFrameworks = await bundle({ frameworks: true });

// The same 8 KiB of gzip for consent-frameworks.js: a page with frameworks also loads their files, but the
// banner itself needs no more there. Issue 22's 6.5 KiB of brotli is consent.js's (tests/banner).
for (const [name, script] of [['consent.js', code], ['consent-frameworks.js', withFrameworks]]) {
  test(`${name}, CSS included, stays within 8 KiB gzipped, as the build compresses it`, async () => {
    const gzip = COMPRESSED.find((copy) => copy.suffix === '.gz');
    const gzipped = await gzip.compress(Buffer.from(script));
    assert.equal(gzip.decompress(gzipped).toString('utf8'), script);
    assert.ok(gzipped.length <= 8192, `${gzipped.length} bytes gzipped`);
  });
}

/** Starts `script` from a tag with `data-frameworks` on a property whose config enables `enabled`. */
async function withFrameworksTag(script, enabled) {
  const page = makeWindow({ scripts: { 'https://consent.example/consent.js': script, 'https://consent.example/f/gpp.js': '' } });
  const { win, doc } = page;
  const warnings = [];
  win.console.warn = (message) => warnings.push(message);
  win.fetch = fakeFetch(() => makeConfig({ frameworks: enabled })).fetch;
  const tag = doc.createElement('script');
  tag.setAttribute('src', 'https://consent.example/consent.js');
  tag.setAttribute('data-property', 'pk_test');
  tag.setAttribute('data-frameworks', 'gpp microsoft_uet');
  tag.setAttribute('async', ''); // the harness serves async requests only
  doc.head.append(tag);
  await settle(60);
  return { page, warnings };
}

test('consent.js on a tag with data-frameworks: no stub, no signal, no file, a warning naming consent-frameworks.js', async () => {
  const { page, warnings } = await withFrameworksTag(code, { gpp: { src: '/f/gpp.js', integrity: 'sha384-x' }, clarity: {} });
  const { win, doc } = page;
  assert.equal(win.__gpp, undefined);
  assert.equal(doc.querySelector('iframe[name="__gppLocator"]'), null);
  assert.equal(win.uetq, undefined);
  assert.equal(win.clarity, undefined);
  assert.equal(doc.querySelector('script[src$="/f/gpp.js"]'), null);
  // The tag's list at once (before any config), then what the config enables beyond it.
  assert.deepEqual(warnings, [
    '[consent] frameworks gpp,microsoft_uet off: load consent-frameworks.js',
    '[consent] frameworks clarity off: load consent-frameworks.js',
  ]);
  // Consent itself is unchanged: the default, the banner, the API.
  assert.equal(Array.from(win.dataLayer[0])[1], 'default');
  assert.equal(doc.querySelector('#cs-banner').hidden, false);
  assert.equal(typeof win.ConsentService.attach, 'function');
  await page.close();
});

test('consent-frameworks.js on the same tag installs the stub, pushes UET\'s default and loads the file', async () => {
  const { page, warnings } = await withFrameworksTag(withFrameworks, { gpp: { src: '/f/gpp.js', integrity: 'sha384-x' } });
  const { win, doc } = page;
  assert.equal(typeof win.__gpp, 'function');
  assert.notEqual(doc.querySelector('iframe[name="__gppLocator"]'), null);
  assert.equal(JSON.stringify(win.uetq.slice(0, 3)), '["consent","default",{"ad_storage":"denied"}]');
  assert.notEqual(doc.querySelector('script[src="https://consent.example/f/gpp.js"]'), null);
  assert.ok(!warnings.some((message) => message.includes('consent-frameworks.js')), warnings.join('; '));
  await page.close();
});

test('consent.js on a tag without data-frameworks, for a property without frameworks, warns of nothing', async () => {
  const page = makeWindow({ scripts: { 'https://consent.example/consent.js': code } });
  const warnings = [];
  page.win.console.warn = (message) => warnings.push(message);
  page.win.fetch = fakeFetch(() => makeConfig()).fetch;
  const tag = page.doc.createElement('script');
  tag.setAttribute('src', 'https://consent.example/consent.js');
  tag.setAttribute('data-property', 'pk_test');
  tag.setAttribute('async', '');
  page.doc.head.append(tag);
  await settle(60);
  assert.deepEqual(warnings, []);
  assert.equal(page.doc.querySelector('#cs-banner').hidden, false);
  await page.close();
});

test('no eval, no Function constructor, no HTML parsing', () => {
  assert.doesNotMatch(code, /\beval\(|new Function|innerHTML|outerHTML|insertAdjacentHTML|document\.write/);
});

test('the built CSS is minified', () => {
  assert.match(code, /#cs-banner\{all:initial;display:block;/);
});

test('one async tag boots it: config from the script\'s own origin, consent-mode default, API', async () => {
  const page = makeWindow({ lang: 'fr', scripts: { 'https://consent.example/consent.js': code } });
  const { win, doc } = page;
  const { fetch, calls } = fakeFetch(() => makeConfig({ language: 'fr' }));
  win.fetch = fetch;
  const tag = doc.createElement('script');
  tag.setAttribute('src', 'https://consent.example/consent.js');
  tag.setAttribute('data-property', 'pk_test');
  tag.setAttribute('nonce', 'abc123');
  tag.setAttribute('async', '');
  doc.head.append(tag);
  await settle(60);
  assert.equal(calls.length, 1);
  assert.equal(calls[0].url, 'https://consent.example/v1/banner/pk_test?lang=fr');
  assert.equal(Array.from(win.dataLayer[0])[1], 'default');
  assert.equal(typeof win.ConsentService.has, 'function');
  assert.equal(doc.querySelector('#cs-banner').hidden, false);
  assert.equal(doc.querySelector('style#cs-style').getAttribute('nonce'), 'abc123');
  await page.close();
});
