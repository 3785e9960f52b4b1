/**
 * Test harness: a happy-dom window that runs inline scripts but never fetches, a cookie jar that
 * records every write, a fake `fetch` (the edge of the world), tokens signed with a real Ed25519
 * test key, and a banner config that publishes that key.
 * Its own checks run only when node runs this file, so importing it adds no tests elsewhere.
 */
import assert from 'node:assert/strict';
import { generateKeyPairSync, sign } from 'node:crypto';
import test from 'node:test';
import { fileURLToPath } from 'node:url';
import { Window } from 'happy-dom';

/**
 * A window on `url` whose body holds `html`; `cookies` lists every `document.cookie` write.
 * External `async` scripts are served from `scripts` (url -> code) after a short delay, as a
 * network would; any other request fails with 404 and nothing leaves the machine.
 */
export function makeWindow({ url = 'https://shop.example/', html = '', lang = 'en', scripts = {} } = {}) {
  const win = new Window({
    url,
    settings: {
      enableJavaScriptEvaluation: true, // so "did the blocked script run?" is a real question
      suppressInsecureJavaScriptEnvironmentWarning: true,
      fetch: {
        interceptor: {
          async beforeAsyncRequest({ request, window }) {
            await new Promise((resolve) => setTimeout(resolve, 5));
            const code = scripts[request.url];
            return code === undefined
              ? new window.Response('', { status: 404 })
              : new window.Response(code, { headers: { 'content-type': 'text/javascript' } });
          },
        },
      },
    },
  });
  win.document.documentElement.lang = lang;
  win.document.body.innerHTML = html;
  const cookies = cookieJar(win.document);
  return { win, doc: win.document, cookies, close: () => win.happyDOM.close() };
}

/** Replaces document.cookie with a jar honouring Max-Age deletion; returns the list of writes. */
function cookieJar(doc) {
  const jar = new Map();
  const writes = [];
  Object.defineProperty(doc, 'cookie', {
    configurable: true,
    get: () => Array.from(jar, ([name, value]) => name + '=' + value).join('; '),
    set(line) {
      writes.push(line);
      const [pair, ...attrs] = line.split(';');
      const eq = pair.indexOf('=');
      const maxAge = attrs.map((a) => a.trim().toLowerCase()).find((a) => a.startsWith('max-age='));
      if (maxAge && Number(maxAge.slice(8)) <= 0) jar.delete(pair.slice(0, eq).trim());
      else jar.set(pair.slice(0, eq).trim(), pair.slice(eq + 1).trim());
    },
  });
  return writes;
}

const b64url = (value) => Buffer.from(JSON.stringify(value)).toString('base64url');

export const ISSUER = 'https://consent.example';
export const API = 'https://consent.example';

/** An Ed25519 key pair with a kid: `jwk` is its public half as the service publishes it. */
export function makeKey(kid) {
  const { privateKey, publicKey } = generateKeyPairSync('ed25519');
  return { kid, privateKey, jwk: { ...publicKey.export({ format: 'jwk' }), kid, use: 'sig', alg: 'EdDSA' } };
}

export const KEY = makeKey('k1');

/** A compact JWS with these claims, signed by `key` (the service's test key unless told). */
export function makeToken(claims, { key = KEY, header = {} } = {}) {
  const input = b64url({ alg: 'EdDSA', kid: key.kid, typ: 'JWT', ...header }) + '.' + b64url(claims);
  return input + '.' + sign(null, Buffer.from(input), key.privateKey).toString('base64url');
}

/** The config's `tokens`: the issuer and the published keys. */
export const tokenKeys = (keys = [KEY]) => ({ issuer: ISSUER, keys: keys.map((key) => key.jwk) });

/** Stores the key set as the last config left it in this window's localStorage. */
export function cacheKeys(win, { keys = [KEY], at = NOW - 60000, jwks } = {}) {
  win.localStorage.setItem('consent_keys', JSON.stringify({ api: API, ...tokenKeys(keys), at, jwks }));
}

export const NOW = Date.parse('2026-03-01T12:00:00Z');

export function claimsFor(purposes, extra = {}) {
  return {
    iss: ISSUER,
    prp: 'pk_test',
    sub: 'visitor:v-1',
    iat: NOW / 1000 - 60,
    exp: NOW / 1000 + 86400,
    notice: '2026-01-01',
    purposes: { necessary: true, ...purposes },
    gpc: false,
    ...extra,
  };
}

/** The banner config of the API contract, opt-in regime, with overrides. */
export function makeConfig(overrides = {}) {
  return {
    property: { key: 'pk_test', name: 'Demo shop' },
    language: 'en',
    regime: 'opt_in',
    notice: { version: '2026-01-01', url: 'https://shop.example/privacy' },
    banner_version: 'sha256:ab12',
    tokens: tokenKeys(),
    gpc_honoured: true,
    gpc_purposes: ['advertising'],
    cookie: { name: 'consent_token', domain: null },
    texts: {
      title: 'We use cookies',
      description: 'Choose what you allow.',
      accept_all: 'Accept all',
      reject_all: 'Reject all',
      settings: 'Settings',
      save: 'Save choices',
      close: 'Close',
      always_on: 'Always on',
      notice_link: 'Privacy notice',
      placeholder: 'This content is blocked until you allow {purpose}.',
      load_content: 'Load this content',
      gpc_honored: 'Opt-out request honored',
      gpc_active: "Your browser's Global Privacy Control signal is honoured.",
      cookies: 'Cookies used',
    },
    purposes: [
      { key: 'necessary', name: 'Strictly necessary', description: 'Needed to run the site.', refusable: false, preselected: true },
      { key: 'preferences', name: 'Preferences', description: 'Remembers settings.', refusable: true, preselected: false },
      { key: 'analytics', name: 'Analytics', description: 'Counts visits.', refusable: true, preselected: false },
      { key: 'advertising', name: 'Advertising', description: 'Personalised ads.', refusable: true, preselected: false },
    ],
    ...overrides,
  };
}

/**
 * A fake fetch: `respond(url, init)` returns a Response, a plain value (sent as 200 JSON) or throws.
 * `calls` lists every request as {url, init, body}.
 */
export function fakeFetch(respond) {
  const calls = [];
  const fetch = async (url, init = {}) => {
    calls.push({ url, init, body: init.body ? JSON.parse(init.body) : undefined });
    const answer = await respond(url, init);
    return answer instanceof Response ? answer : Response.json(answer, { status: 200 });
  };
  return { fetch, calls };
}

/** Resolves once `condition()` holds (WebCrypto's first use in a process takes a while); rejects after 2 s. */
export async function until(condition) {
  for (const deadline = Date.now() + 2000; !condition(); await settle(5)) {
    if (Date.now() > deadline) throw new Error('condition not met within 2 s');
  }
}

/** Lets queued promise callbacks, mutation observers, timers and served scripts run. */
export const settle = (ms = 30) => new Promise((resolve) => setTimeout(resolve, ms));

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  test('the harness window runs inline scripts, so "it did not run" can fail', async () => {
    const { win, doc, close } = makeWindow();
    const script = doc.createElement('script');
    script.text = 'window.__ran = true';
    doc.body.append(script);
    assert.equal(win.__ran, true);
    await close();
  });

  test('external scripts come from the served map, later, and unknown ones fail', async () => {
    const { win, doc, close } = makeWindow({ scripts: { 'https://cdn.example/a.js': 'window.__a = true' } });
    const events = [];
    for (const src of ['https://cdn.example/a.js', 'https://cdn.example/missing.js']) {
      const script = doc.createElement('script');
      script.setAttribute('async', ''); // happy-dom loads only async scripts asynchronously
      script.src = src;
      script.addEventListener('load', () => events.push('load ' + src));
      script.addEventListener('error', () => events.push('error ' + src));
      doc.body.append(script);
    }
    assert.deepEqual(events, []);
    await new Promise((resolve) => setTimeout(resolve, 50));
    assert.equal(win.__a, true);
    assert.deepEqual(events.sort(), ['error https://cdn.example/missing.js', 'load https://cdn.example/a.js']);
    await close();
  });

  test('the cookie jar records writes and deletes on Max-Age=0', async () => {
    const { doc, cookies, close } = makeWindow();
    doc.cookie = 'a=1; Max-Age=60; Path=/';
    doc.cookie = 'b=2; Max-Age=60; Path=/';
    doc.cookie = 'a=; Max-Age=0; Path=/';
    assert.equal(doc.cookie, 'b=2');
    assert.equal(cookies.length, 3);
    await close();
  });
}
