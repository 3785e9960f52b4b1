import assert from 'node:assert/strict';
import test from 'node:test';
import { bundle, COMPRESSED } from '../build.mjs';
import { fakeFetch, makeConfig, makeWindow, settle } from './harness.js';

const code = await bundle();

test('the whole script, CSS included, stays within 8 KiB gzipped, as the build compresses it', async () => {
  const gzip = COMPRESSED.find((copy) => copy.suffix === '.gz');
  const gzipped = await gzip.compress(Buffer.from(code));
  assert.equal(gzip.decompress(gzipped).toString('utf8'), code);
  assert.ok(gzipped.length <= 8192, `${gzipped.length} bytes gzipped`);
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
