import assert from 'node:assert/strict';
import test from 'node:test';
import { readTag } from '../src/core/tag.js';
import { makeWindow } from './harness.js';

async function tagOf(attributes) {
  const page = makeWindow();
  const script = page.doc.createElement('script');
  script.type = 'text/plain'; // never runs
  for (const name in attributes) script.setAttribute(name, attributes[name]);
  page.doc.body.append(script);
  return { page, script };
}

test('reads every data- setting of the tag', async () => {
  const { page, script } = await tagOf({
    src: 'https://consent.example/consent.js',
    'data-property': 'pk_live_1',
    'data-lang': 'fr',
    'data-country': 'DE',
    'data-region': 'DE-BY',
    'data-cookie-domain': '.shop.example',
    'data-preview': 'cs-preview',
    'data-frameworks': ' gpp  tcf\tmicrosoft_uet clarity ',
    nonce: 'abc',
  });
  assert.deepEqual(readTag(script, page.doc), {
    property: 'pk_live_1',
    api: 'https://consent.example',
    lang: 'fr',
    country: 'DE',
    region: 'DE-BY',
    cookieDomain: '.shop.example',
    preview: 'cs-preview',
    frameworks: ['gpp', 'tcf', 'microsoft_uet', 'clarity'],
    nonce: 'abc',
  });
  await page.close();
});

test('the API defaults to the origin of the script\'s src; data-api overrides it', async () => {
  const { page, script } = await tagOf({ src: 'https://cdn.consent.example:8443/static/consent.js?v=2', 'data-property': 'pk' });
  assert.equal(readTag(script, page.doc).api, 'https://cdn.consent.example:8443');
  script.setAttribute('data-api', 'https://api.consent.example/');
  assert.equal(readTag(script, page.doc).api, 'https://api.consent.example');
  await page.close();
});

test('an inline tag without data-api talks to the page origin', async () => {
  const { page, script } = await tagOf({ 'data-property': 'pk' });
  assert.equal(readTag(script, page.doc).api, 'https://shop.example');
  await page.close();
});

test('without currentScript the first tag with data-property stands in', async () => {
  const { page } = await tagOf({ src: 'https://consent.example/consent.js', 'data-property': 'pk_found' });
  const tag = readTag(null, page.doc);
  assert.equal(tag.property, 'pk_found');
  assert.equal(tag.api, 'https://consent.example');
  await page.close();
});

test('no tag at all gives empty settings (the caller then fails closed)', async () => {
  const page = makeWindow();
  assert.equal(readTag(null, page.doc).property, '');
  await page.close();
});
