import assert from 'node:assert/strict';
import test from 'node:test';
import { fetchConfig, inlineConfig, isConfig, postChoice } from '../src/core/config.js';
import { fakeFetch, makeConfig, makeWindow } from './harness.js';

const api = 'https://consent.example';

test('fetches the config for the property, language and country, without credentials', async () => {
  const { fetch, calls } = fakeFetch(() => makeConfig());
  const config = await fetchConfig(fetch, api, 'pk_a/b', 'de', 'DE');
  assert.equal(config.banner_version, 'sha256:ab12');
  assert.equal(calls.length, 1);
  assert.equal(calls[0].url, 'https://consent.example/v1/banner/pk_a%2Fb?lang=de&country=DE');
  assert.equal(calls[0].init.credentials, 'omit');
  assert.equal(calls[0].init.mode, 'cors');
  assert.equal(calls[0].init.method, undefined);
});

test('leaves out empty query parameters', async () => {
  const { fetch, calls } = fakeFetch(() => makeConfig());
  await fetchConfig(fetch, api, 'pk', '', '');
  assert.equal(calls[0].url, 'https://consent.example/v1/banner/pk');
});

test('rejects on network errors, non-2xx answers, bad JSON and malformed configs', async () => {
  const failures = {
    network: () => {
      throw new TypeError('Failed to fetch');
    },
    status: () => Response.json({ status: 404, code: 'not_found', message: 'no such property' }, { status: 404 }),
    html500: () => new Response('<h1>oops</h1>', { status: 500 }),
    badJson: () => new Response('{"texts":', { status: 200 }),
    malformed: () => ({ ...makeConfig(), purposes: 'all' }),
  };
  for (const [name, respond] of Object.entries(failures)) {
    const { fetch } = fakeFetch(respond);
    await assert.rejects(fetchConfig(fetch, api, 'pk'), name);
  }
  const { fetch } = fakeFetch(failures.status);
  await assert.rejects(fetchConfig(fetch, api, 'pk'), /404 not_found/);
});

test('a config needs texts, a notice version and well-formed purposes', () => {
  assert.equal(isConfig(makeConfig()), true);
  assert.equal(isConfig(null), false);
  assert.equal(isConfig({ ...makeConfig(), texts: null }), false);
  assert.equal(isConfig({ ...makeConfig(), notice: { version: 3 } }), false);
  assert.equal(isConfig({ ...makeConfig(), purposes: [{ key: 'analytics' }] }), false);
});

test('posts a choice as JSON and returns the receipt', async () => {
  const receipt = { visitor_id: 'v-1', token: 'a.b.c', expires_at: '2026-09-01T00:00:00Z', decisions: {} };
  const { fetch, calls } = fakeFetch(() => Response.json(receipt, { status: 201 }));
  const body = { choices: { analytics: true }, method: 'banner_custom' };
  assert.deepEqual(await postChoice(fetch, api, 'pk', body), receipt);
  assert.equal(calls[0].url, 'https://consent.example/v1/banner/pk/consents');
  assert.equal(calls[0].init.method, 'POST');
  assert.equal(calls[0].init.credentials, 'omit');
  assert.equal(calls[0].init.headers['Content-Type'], 'application/json');
  assert.deepEqual(calls[0].body, body);
});

test('a rejected choice rejects with its status and code', async () => {
  const error = { status: 422, code: 'validation_error', message: 'bad', errors: { choices: ['necessary is not refusable'] } };
  const { fetch } = fakeFetch(() => Response.json(error, { status: 422 }));
  await assert.rejects(postChoice(fetch, api, 'pk', {}), /422 validation_error/);
});

test('an inline config is read from its element and checked like a fetched one', async () => {
  const page = makeWindow({ html: `<script type="application/json" id="c">${JSON.stringify(makeConfig())}</script>
    <script type="application/json" id="bad">{"texts": {}}</script><script type="application/json" id="junk">{</script>` });
  assert.deepEqual(inlineConfig(page.doc, 'c'), makeConfig());
  assert.throws(() => inlineConfig(page.doc, 'bad'), /malformed banner config/);
  assert.throws(() => inlineConfig(page.doc, 'missing'), /malformed banner config/);
  assert.throws(() => inlineConfig(page.doc, 'junk'), SyntaxError);
  await page.close();
});
