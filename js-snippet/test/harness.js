/**
 * Test harness: a happy-dom window that runs inline scripts but never fetches, a cookie jar that
 * records every write, a fake `fetch` (the edge of the world), tokens and a banner config.
 * Its own checks run only when node runs this file, so importing it adds no tests elsewhere.
 */
import assert from 'node:assert/strict';
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

/** A compact JWS with these claims (the signature is never checked by the banner). */
export function makeToken(claims) {
  return b64url({ alg: 'EdDSA', kid: 'k1' }) + '.' + b64url(claims) + '.' + Buffer.from('signature').toString('base64url');
}

export const NOW = Date.parse('2026-03-01T12:00:00Z');

export function claimsFor(purposes, extra = {}) {
  return {
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
    gpc_honoured: true,
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
      gpc_active: "Your browser's Global Privacy Control signal is honoured.",
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
