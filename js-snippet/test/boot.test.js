import assert from 'node:assert/strict';
import test from 'node:test';
import { boot } from '../src/core/boot.js';
import { KEY, NOW, cacheKeys, until, claimsFor, fakeFetch, makeConfig, makeKey, makeToken, makeWindow, settle, tokenKeys } from './harness.js';

const PAGE = `
  <script type="text/plain" data-consent="analytics">window.__analyticsRan = (window.__analyticsRan || 0) + 1</script>
  <script type="text/plain" data-consent="advertising">window.__adsRan = true</script>
  <iframe data-consent="advertising" data-src="https://video.example/embed/1" width="560" height="315"></iframe>
  <a href="#" data-consent-open id="prefs"><span>Cookie settings</span></a>`;

const DAY = 86400;
const storedCookie = (purposes, extra) => 'consent_token=1.' + makeToken(claimsFor(purposes, extra));

/** The server's receipt for a choice: a token whose purposes are the choices. */
function receiptFor(body, lifetime = 180 * DAY) {
  const claims = claimsFor(body.choices, { notice: body.notice_version, exp: NOW / 1000 + lifetime, gpc: body.gpc });
  return Response.json(
    { visitor_id: 'v-1', token: makeToken(claims), expires_at: new Date(NOW + lifetime * 1000).toISOString(), decisions: {} },
    { status: 201 },
  );
}

/**
 * Boots the banner on PAGE. `config` answers the GET (a value, or a function), `post` the POST,
 * `jwks` the JWKS and `verify` the service's token check; `cookie` is already stored, `cached` the
 * key set a previous config left in localStorage (options of cacheKeys); `subtle` is WebCrypto
 * (null: none); `attrs` are extra attributes of the script tag.
 */
function start({
  config = makeConfig(),
  post = receiptFor,
  jwks = () => ({ keys: [KEY.jwk] }),
  verify = () => {
    throw new Error('the service was asked to verify');
  },
  cookie,
  cached,
  subtle = globalThis.crypto.subtle,
  gpc = false,
  attrs = {},
  lang = 'en',
  html = PAGE,
} = {}) {
  const page = makeWindow({ html, lang });
  const { win, doc } = page;
  const warnings = [];
  win.console.warn = (message) => warnings.push(message);
  if (gpc) Object.defineProperty(win.navigator, 'globalPrivacyControl', { value: true, configurable: true });
  if (cookie) doc.cookie = cookie;
  if (cached) cacheKeys(win, cached);
  page.cookies.length = 0;
  const { fetch, calls } = fakeFetch((url, init) =>
    url.endsWith('/.well-known/jwks.json')
      ? jwks()
      : url.endsWith('/verify')
        ? verify(JSON.parse(init.body))
        : init.method === 'POST'
          ? post(JSON.parse(init.body))
          : typeof config === 'function'
            ? config()
            : config,
  );
  const script = doc.createElement('script');
  script.type = 'text/plain'; // the tag itself never runs here
  script.setAttribute('src', 'https://consent.example/consent.js');
  script.setAttribute('data-property', 'pk_test');
  for (const name in attrs) script.setAttribute(name, attrs[name]);
  doc.head.append(script);
  const changes = [];
  doc.addEventListener('consent:change', (event) => changes.push(event.detail.purposes));
  const ready = boot(win, script, fetch, () => NOW, subtle);
  const $ = (selector) => doc.querySelector(selector);
  const click = async (selector) => {
    $(selector).click();
    await settle();
  };
  const consentPushes = () => win.dataLayer.map((args) => Array.from(args));
  return { ...page, ready, calls, warnings, changes, $, click, consentPushes };
}

for (const [failure, config] of Object.entries({
  'a network error': () => {
    throw new TypeError('Failed to fetch');
  },
  'a 500 answer': () => Response.json({ status: 500, code: 'internal', message: 'boom' }, { status: 500 }),
  'a 404 for an unknown property': () => Response.json({ status: 404, code: 'not_found', message: '' }, { status: 404 }),
  'bad JSON': () => new Response('<html>proxy error</html>', { status: 200 }),
  'a config without purposes': () => ({ ...makeConfig(), purposes: undefined }),
})) {
  test(`fails closed on ${failure}: no banner, nothing non-essential, one warning`, async () => {
    const page = start({ config });
    await page.ready;
    await settle();
    assert.equal(page.$('#cs-banner'), null);
    assert.equal(page.$('.cs-ph'), null);
    assert.equal(page.win.__analyticsRan, undefined);
    assert.equal(page.win.__adsRan, undefined);
    assert.equal(page.$('iframe').hasAttribute('src'), false);
    assert.equal(page.warnings.length, 1);
    assert.match(page.warnings[0], /^\[consent\] no config/);
    assert.deepEqual(page.consentPushes().map((push) => push[1]), ['default'], 'consent mode stays denied');
    assert.equal(page.win.ConsentService.has('analytics'), false);
    page.win.ConsentService.show();
    assert.equal(page.$('#cs-banner'), null, 'show() cannot open a banner without a config');
    assert.deepEqual(page.cookies, []);
    await page.close();
  });
}

test('consent-mode default is pushed first, synchronously, with dataLayer and gtag defined', async () => {
  const page = start({ config: () => new Promise(() => {}) });
  assert.equal(typeof page.win.gtag, 'function');
  assert.deepEqual(page.consentPushes()[0][1], 'default');
  await page.close();
});

test('first visit: the banner asks; nothing runs before an answer', async () => {
  const page = start({ lang: 'de-DE', attrs: { 'data-country': 'AT', 'data-region': 'AT-9' } });
  await page.ready;
  assert.equal(page.calls[0].url, 'https://consent.example/v1/banner/pk_test?lang=de&country=AT&region=AT-9');
  assert.equal(page.$('#cs-banner').hidden, false);
  assert.equal(page.$('#cs-banner').getAttribute('data-view'), 'main');
  assert.equal(page.win.__analyticsRan, undefined);
  const box = page.$('.cs-ph');
  assert.ok(box, 'the blocked iframe shows a placeholder');
  assert.equal(box.nextElementSibling, page.$('iframe'));
  await page.close();
});

test('accept all: recorded, stored as a versioned cookie, scripts run, consent mode and listeners updated', async () => {
  const page = start();
  await page.ready;
  const seen = [];
  page.win.ConsentService.on('change', (detail) => seen.push(detail.purposes));
  await page.click('[data-cs-action="accept-all"]');
  const post = page.calls[1];
  assert.equal(post.url, 'https://consent.example/v1/banner/pk_test/consents');
  assert.deepEqual(post.body, {
    choices: { preferences: true, analytics: true, advertising: true },
    method: 'banner_accept_all',
    notice_version: '2026-01-01',
    banner_version: 'sha256:ab12',
    gpc: false,
    language: 'en',
  });
  const token = page.win.ConsentService.getToken();
  assert.deepEqual(page.cookies, [`consent_token=1.${token}; Max-Age=${180 * DAY}; Path=/; SameSite=Lax; Secure`]);
  assert.equal(page.win.__analyticsRan, 1);
  assert.equal(page.win.__adsRan, true);
  assert.equal(page.$('iframe').getAttribute('src'), 'https://video.example/embed/1');
  assert.equal(page.$('.cs-ph'), null);
  assert.equal(page.$('#cs-banner').hidden, true);
  assert.equal(page.win.ConsentService.has('advertising'), true);
  const [, update] = page.consentPushes().slice(-1)[0];
  assert.equal(update, 'update');
  assert.equal(page.consentPushes().slice(-1)[0][2].ad_user_data, 'granted');
  const expected = { necessary: true, preferences: true, analytics: true, advertising: true };
  assert.deepEqual(seen, [expected]);
  assert.deepEqual(page.changes, [expected]);
  await page.close();
});

test('reject all: recorded with the shorter lifetime the server chose; nothing runs', async () => {
  const page = start({ post: (body) => receiptFor(body, 30 * DAY) });
  await page.ready;
  await page.click('[data-cs-action="reject-all"]');
  assert.equal(page.calls[1].body.method, 'banner_reject_all');
  assert.deepEqual(page.calls[1].body.choices, { preferences: false, analytics: false, advertising: false });
  assert.match(page.cookies[0], new RegExp(`Max-Age=${30 * DAY};`));
  assert.equal(page.win.__analyticsRan, undefined);
  assert.equal(page.consentPushes().slice(-1)[0][2].analytics_storage, 'denied');
  assert.ok(page.$('.cs-ph'), 'the placeholder stays');
  await page.close();
});

test('custom choice from Settings sends exactly what was ticked', async () => {
  const page = start();
  await page.ready;
  await page.click('[data-cs-action="settings"]');
  await page.click('input[name="cs-purpose"][value="analytics"]');
  await page.click('[data-cs-action="save"]');
  assert.equal(page.calls[1].body.method, 'banner_custom');
  assert.deepEqual(page.calls[1].body.choices, { preferences: false, analytics: true, advertising: false });
  assert.equal(page.win.__analyticsRan, 1);
  assert.equal(page.win.__adsRan, undefined);
  await page.close();
});

test('a stored token verified with the cached keys applies before the config answers', async () => {
  const page = start({
    cookie: storedCookie({ analytics: true, advertising: false, preferences: false }),
    cached: {},
    config: () => new Promise(() => {}),
  });
  assert.equal(page.win.__analyticsRan, undefined, 'nothing before the signature is checked');
  await until(() => page.win.__analyticsRan === 1);
  assert.equal(page.calls.length, 1, 'no request beyond the config');
  assert.equal(page.win.__adsRan, undefined);
  assert.equal(page.win.ConsentService.has('analytics'), true);
  assert.deepEqual(page.consentPushes().map((push) => push[1]), ['default', 'update']);
  assert.equal(page.consentPushes()[1][2].analytics_storage, 'granted');
  assert.deepEqual(page.changes, [{ necessary: true, analytics: true, advertising: false, preferences: false }]);
  await page.close();
});

test('a current token means no banner; the page can reopen Settings, and close it again', async () => {
  const page = start({ cookie: storedCookie({ analytics: true, advertising: false, preferences: false }) });
  await page.ready;
  assert.equal(page.$('#cs-banner'), null);
  assert.equal(page.win.__analyticsRan, 1, 'not run again after the config');
  await page.click('#prefs span'); // any element inside a [data-consent-open]
  assert.equal(page.$('#cs-banner').getAttribute('data-view'), 'settings');
  assert.equal(page.$('input[value="analytics"]').checked, true, 'shows the visitor\'s decisions');
  assert.equal(page.$('input[value="advertising"]').checked, false);
  await page.click('[data-cs-action="close"]');
  assert.equal(page.$('#cs-banner').hidden, true);
  page.win.ConsentService.show();
  assert.equal(page.$('#cs-banner').hidden, false);
  assert.equal(page.calls.length, 1, 'closing records nothing');
  await page.close();
});

test('show() before the config arrives opens Settings once it does', async () => {
  let answer;
  const page = start({
    cookie: storedCookie({ analytics: true, advertising: false, preferences: false }),
    config: () => new Promise((resolve) => (answer = resolve)),
  });
  page.win.ConsentService.show();
  assert.equal(page.$('#cs-banner'), null);
  answer(Response.json(makeConfig()));
  await page.ready;
  assert.equal(page.$('#cs-banner').getAttribute('data-view'), 'settings');
  await page.close();
});

test('a new notice version asks again, sending the previous token', async () => {
  const cookie = storedCookie({ analytics: true, advertising: false, preferences: false }, { notice: '2025-06-01' });
  const page = start({ cookie });
  await page.ready;
  assert.equal(page.$('#cs-banner').getAttribute('data-view'), 'main');
  assert.equal(page.$('[data-cs-action="close"]').hidden, true);
  await page.click('[data-cs-action="settings"]');
  assert.equal(page.$('input[value="analytics"]').checked, false, 'decisions under the old notice are not pre-ticked');
  await page.click('[data-cs-action="reject-all"]');
  assert.equal(page.calls[1].body.token, cookie.slice('consent_token=1.'.length));
  assert.equal(page.win.ConsentService.has('analytics'), false);
  await page.close();
});

test('a purpose the token has no decision for asks again', async () => {
  const page = start({ cookie: storedCookie({ analytics: true, advertising: false }) });
  await page.ready;
  assert.equal(page.$('#cs-banner').hidden, false);
  await page.close();
});

test('an expired or other-version cookie is ignored', async () => {
  for (const cookie of [
    storedCookie({ analytics: true }, { exp: NOW / 1000 - 1 }),
    'consent_token=2.' + makeToken(claimsFor({ analytics: true })),
  ]) {
    const page = start({ cookie });
    await page.ready;
    assert.equal(page.win.__analyticsRan, undefined);
    assert.equal(page.$('#cs-banner').hidden, false);
    await page.close();
  }
});

test('GPC: accept all leaves advertising off, Settings start it unticked, every request says gpc', async () => {
  const page = start({ gpc: true, config: makeConfig({ regime: 'opt_out', purposes: makeConfig().purposes.map((p) => ({ ...p, preselected: true })) }) });
  await page.ready;
  assert.match(page.$('#cs-gpc').textContent, /Global Privacy Control/);
  await page.click('[data-cs-action="settings"]');
  assert.equal(page.$('input[value="advertising"]').checked, false);
  assert.equal(page.$('input[value="analytics"]').checked, true, 'opt-out preselection otherwise holds');
  await page.click('[data-cs-action="accept-all"]');
  assert.equal(page.calls[1].body.gpc, true);
  assert.equal(page.calls[1].body.method, 'banner_accept_all');
  assert.deepEqual(page.calls[1].body.choices, { preferences: true, analytics: true, advertising: false });
  assert.equal(page.win.__adsRan, undefined);
  assert.equal(page.win.__analyticsRan, 1);
  await page.close();
});

test('GPC: advertising ticked by the visitor is sent true', async () => {
  const page = start({ gpc: true });
  await page.ready;
  await page.click('[data-cs-action="settings"]');
  await page.click('input[value="advertising"]');
  await page.click('[data-cs-action="save"]');
  assert.deepEqual(page.calls[1].body.choices, { preferences: false, analytics: false, advertising: true });
  assert.equal(page.calls[1].body.gpc, true);
  await page.close();
});

test('a property that does not honour GPC still receives the signal but accept-all grants everything', async () => {
  const page = start({ gpc: true, config: makeConfig({ gpc_honoured: false }) });
  await page.ready;
  assert.equal(page.$('#cs-gpc'), null);
  await page.click('[data-cs-action="accept-all"]');
  assert.equal(page.calls[1].body.gpc, true);
  assert.equal(page.calls[1].body.choices.advertising, true);
  await page.close();
});

test('"Load this content" grants just that purpose, keeping the other decisions', async () => {
  const page = start({ cookie: storedCookie({ analytics: true, advertising: false, preferences: false }) });
  await page.ready;
  await page.click('.cs-ph [data-cs-action="load-content"]');
  assert.equal(page.calls[1].body.method, 'banner_custom');
  assert.deepEqual(page.calls[1].body.choices, { preferences: false, analytics: true, advertising: true });
  assert.equal(page.$('iframe').getAttribute('src'), 'https://video.example/embed/1');
  assert.equal(page.$('.cs-ph'), null);
  assert.equal(page.win.__analyticsRan, 1, 'never twice');
  await page.close();
});

test('an unrecorded choice applies refusals only, and drops a cookie that would bring grants back', async () => {
  const cookie = storedCookie({ analytics: true, advertising: false, preferences: false });
  const failing = () => Response.json({ status: 503, code: 'unavailable', message: '' }, { status: 503 });
  const page = start({ cookie, post: failing });
  await page.ready;
  page.win.ConsentService.show();
  await page.click('[data-cs-action="reject-all"]');
  assert.equal(page.win.ConsentService.has('analytics'), false);
  assert.deepEqual(page.cookies, ['consent_token=; Max-Age=0; Path=/; SameSite=Lax; Secure']);
  assert.equal(page.win.ConsentService.getToken(), null);
  assert.match(page.warnings.join('\n'), /choice not recorded \(HTTP 503 unavailable\)/);
  assert.equal(page.consentPushes().slice(-1)[0][2].analytics_storage, 'denied');
  await page.close();
});

test('a receipt without a readable token records nothing: refusals only, the warning says why', async () => {
  for (const answer of [{ visitor_id: 'v' }, { token: 'a.b.c' }, null]) {
    const page = start({ cookie: storedCookie({ analytics: true, advertising: false, preferences: false }),
      post: () => Response.json(answer, { status: 201 }) });
    await page.ready;
    page.win.ConsentService.show();
    await page.click('[data-cs-action="reject-all"]');
    assert.equal(page.win.ConsentService.has('analytics'), false, JSON.stringify(answer));
    assert.equal(page.win.ConsentService.getToken(), null);
    assert.match(page.warnings.join('\n'), /choice not recorded \(receipt without a readable token\)/);
    await page.close();
  }
});

test('an unrecorded accept grants nothing', async () => {
  const page = start({ post: () => Promise.reject(new TypeError('Failed to fetch')) });
  await page.ready;
  await page.click('[data-cs-action="accept-all"]');
  assert.equal(page.win.ConsentService.has('analytics'), false);
  assert.equal(page.win.__analyticsRan, undefined);
  assert.deepEqual(page.cookies, []);
  await page.close();
});

test('the config may rename the cookie and set its domain; data-cookie-domain overrides the domain', async () => {
  const config = makeConfig({ cookie: { name: 'cs_consent', domain: 'shop.example' } });
  const stored = 'cs_consent=1.' + makeToken(claimsFor({ analytics: true, advertising: false, preferences: false }));
  let page = start({ config, cookie: stored });
  await page.ready;
  assert.equal(page.win.__analyticsRan, 1, 'found under the configured name');
  assert.equal(page.$('#cs-banner'), null);
  page.win.ConsentService.show();
  await page.click('[data-cs-action="accept-all"]');
  assert.match(page.cookies[0], /^cs_consent=; Max-Age=0;/);
  assert.match(page.cookies[1], /^cs_consent=1\..*; Domain=shop\.example; Secure$/);
  await page.close();

  page = start({ config, attrs: { 'data-cookie-domain': '.www.shop.example' } });
  await page.ready;
  await page.click('[data-cs-action="reject-all"]');
  assert.match(page.cookies[1], /; Domain=\.www\.shop\.example; Secure$/);
  await page.close();
});

test('a tag without data-property warns and asks nothing', async () => {
  const page = makeWindow({ html: PAGE });
  const warnings = [];
  page.win.console.warn = (message) => warnings.push(message);
  const { fetch, calls } = fakeFetch(() => makeConfig());
  await boot(page.win, null, fetch, () => NOW);
  assert.equal(calls.length, 0);
  assert.equal(warnings.length, 1);
  assert.equal(page.win.ConsentService.has('analytics'), false);
  await page.close();
});

/** A preview page: the config inline (as the console renders it), no data-property, maybe a stored cookie. */
function startPreview(config, { cookie } = {}) {
  const json = JSON.stringify(config).replace(/</g, '\\u003c');
  return start({
    html: PAGE + `<script type="application/json" id="cs-preview">${json}</script>`,
    attrs: { 'data-preview': 'cs-preview', 'data-property': '' },
    cookie,
    config: () => {
      throw new Error('a preview must not fetch');
    },
  });
}

test('preview: the inline config is shown as is, whatever is stored, and nothing is fetched', async () => {
  const texts = { ...makeConfig().texts, title: 'Draft title </script> & more' };
  const page = startPreview(makeConfig({ texts }), { cookie: storedCookie({ analytics: true }) });
  await page.ready;
  assert.equal(page.calls.length, 0);
  assert.equal(page.$('#cs-banner').hidden, false);
  assert.match(page.$('#cs-banner').textContent, /Draft title <\/script> & more/);
  assert.equal(page.win.ConsentService.has('analytics'), false, 'the stored cookie is not read');
  assert.equal(page.win.__analyticsRan, undefined);
  await page.close();
});

test('preview: a choice closes the banner and is neither sent nor stored nor applied', async () => {
  const page = startPreview(makeConfig());
  await page.ready;
  await page.click('[data-cs-action="accept-all"]');
  assert.equal(page.calls.length, 0);
  assert.deepEqual(page.cookies, []);
  assert.equal(page.$('#cs-banner').hidden, true);
  assert.equal(page.win.ConsentService.has('analytics'), false);
  assert.equal(page.win.__analyticsRan, undefined);
  assert.deepEqual(page.changes, []);
  await page.close();
});

test('preview: a malformed inline config fails closed like a failed fetch', async () => {
  const page = startPreview({ ...makeConfig(), purposes: 'none' });
  await page.ready;
  assert.equal(page.$('#cs-banner'), null);
  assert.equal(page.calls.length, 0);
  assert.match(page.warnings[0], /^\[consent\] no config \(malformed banner config\)/);
  await page.close();
});

/** The stored token with its payload rewritten (a purpose flipped), its signature kept. */
function flipped(token, purposes) {
  const [header, payload, signature] = token.split('.');
  const claims = JSON.parse(Buffer.from(payload, 'base64url').toString());
  const forged = Buffer.from(JSON.stringify({ ...claims, purposes: { ...claims.purposes, ...purposes } })).toString('base64url');
  return [header, forged, signature].join('.');
}

const RETURNING = { analytics: true, advertising: false, preferences: false };
const b64 = (value) => Buffer.from(JSON.stringify(value)).toString('base64url');
const FORGERIES = {
  'a payload flipped, signature kept': () => flipped(makeToken(claimsFor(RETURNING)), { advertising: true }),
  'alg none': () => b64({ alg: 'none', kid: 'k1' }) + '.' + b64(claimsFor({ ...RETURNING, advertising: true })) + '.' + b64('x'),
  'a record signed by another key under the published kid': () =>
    makeToken(claimsFor({ ...RETURNING, advertising: true }), { key: { ...makeKey('k1') } }),
  'a record signed by another key under its own kid': () => makeToken(claimsFor({ ...RETURNING, advertising: true }), { key: makeKey('k-evil') }),
  'a valid record of another property': () => makeToken(claimsFor({ ...RETURNING, advertising: true }, { prp: 'pk_other' })),
  'a valid record of another issuer': () => makeToken(claimsFor({ ...RETURNING, advertising: true }, { iss: 'https://evil.example' })),
  'a garbage signature': () => makeToken(claimsFor({ ...RETURNING, advertising: true })).replace(/\.[^.]+$/, '.c2lnbmF0dXJl'),
};

for (const [forgery, make] of Object.entries(FORGERIES)) {
  for (const cached of [undefined, {}]) {
    test(`${forgery} is no consent (keys ${cached ? 'cached' : 'from the config'}): nothing runs, the banner asks, no token is sent`, async () => {
      const page = start({ cookie: 'consent_token=1.' + make(), cached });
      await page.ready;
      assert.equal(page.win.__analyticsRan, undefined);
      assert.equal(page.win.__adsRan, undefined);
      assert.equal(page.$('iframe').hasAttribute('src'), false);
      assert.equal(page.win.ConsentService.has('advertising'), false);
      assert.equal(page.win.ConsentService.getToken(), null);
      assert.deepEqual(page.consentPushes().map((push) => push[1]), ['default'], 'consent mode stays denied');
      assert.equal(page.$('#cs-banner').hidden, false);
      assert.equal(page.$('#cs-banner').getAttribute('data-view'), 'main');
      await page.click('[data-cs-action="reject-all"]');
      assert.equal(page.calls.at(-1).body.token, undefined, 'the forged record is not sent as the previous token');
      assert.ok(page.calls.every((call) => !call.url.endsWith('/verify')), 'WebCrypto decides, the service is not asked');
      await page.close();
    });
  }
}

test('a valid stored record unblocks with no request beyond the config, keys from the config or the cache', async () => {
  for (const cached of [undefined, {}]) {
    const page = start({ cookie: storedCookie(RETURNING), cached });
    await page.ready;
    assert.equal(page.win.__analyticsRan, 1);
    assert.equal(page.win.__adsRan, undefined);
    assert.equal(page.$('#cs-banner'), null);
    assert.deepEqual(page.calls.map((call) => call.url), ['https://consent.example/v1/banner/pk_test?lang=en']);
    assert.deepEqual(page.changes, [{ necessary: true, analytics: true, advertising: false, preferences: false }], 'applied once');
    const kept = JSON.parse(page.win.localStorage.getItem('consent_keys'));
    assert.deepEqual(kept.keys, [KEY.jwk], 'the config\'s keys are kept for the next page');
    await page.close();
  }
});

test('without cached keys nothing is adopted before the config answers', async () => {
  const page = start({ cookie: storedCookie(RETURNING), config: () => new Promise(() => {}) });
  await settle(100);
  assert.equal(page.win.__analyticsRan, undefined);
  assert.equal(page.win.ConsentService.has('analytics'), false);
  await page.close();
});

test('keys cached more than 7 days ago wait for the config', async () => {
  const page = start({ cookie: storedCookie(RETURNING), cached: { at: NOW - 8 * DAY * 1000 }, config: () => new Promise(() => {}) });
  await settle(100);
  assert.equal(page.win.__analyticsRan, undefined);
  await page.close();
});

test('a config that fails leaves a record unverified: nothing runs', async () => {
  const page = start({ cookie: storedCookie(RETURNING), config: () => Response.json({}, { status: 500 }) });
  await page.ready;
  assert.equal(page.win.__analyticsRan, undefined);
  assert.deepEqual(page.calls.map((call) => call.url), ['https://consent.example/v1/banner/pk_test?lang=en'], 'no JWKS without an issuer');
  await page.close();
});

test('after a rotation a record signed by the new key verifies after one JWKS fetch, then from the cache', async () => {
  const rotated = makeKey('k2');
  const cookie = 'consent_token=1.' + makeToken(claimsFor(RETURNING), { key: rotated });
  const jwks = () => ({ keys: [rotated.jwk, KEY.jwk] });
  const page = start({ cookie, jwks }); // the config (cached by the browser) still lists k1 only
  await page.ready;
  assert.equal(page.win.__analyticsRan, 1);
  assert.deepEqual(page.calls.map((call) => call.url.replace('https://consent.example', '')), [
    '/v1/banner/pk_test?lang=en',
    '/.well-known/jwks.json',
  ]);
  const stored = JSON.parse(page.win.localStorage.getItem('consent_keys'));
  assert.deepEqual(stored, { api: 'https://consent.example', ...tokenKeys([rotated, KEY]), at: NOW, jwks: NOW });
  await page.close();

  // The next page: the cache knows k2; the config still does not, and the JWKS is not asked again within 5 minutes.
  const next = start({ cookie, jwks, cached: { keys: [rotated, KEY], at: NOW, jwks: NOW } });
  await next.ready;
  assert.equal(next.win.__analyticsRan, 1);
  assert.equal(next.win.ConsentService.has('analytics'), true, 'kept after the (older) config answered');
  assert.equal(next.$('#cs-banner'), null);
  assert.equal(next.calls.filter((call) => call.url.endsWith('/jwks.json')).length, 0);
  await next.close();
});

test('a record whose key the service no longer publishes is dropped once the config and the JWKS say so', async () => {
  const removed = makeKey('k-old');
  const page = start({
    cookie: 'consent_token=1.' + makeToken(claimsFor(RETURNING), { key: removed }),
    cached: { keys: [removed, KEY] },
  });
  await page.ready;
  assert.equal(page.win.ConsentService.has('analytics'), false);
  assert.equal(page.win.ConsentService.getToken(), null);
  assert.equal(page.$('#cs-banner').hidden, false);
  assert.equal(page.calls.filter((call) => call.url.endsWith('/jwks.json')).length, 1, 'one JWKS fetch');
  assert.deepEqual(JSON.parse(page.win.localStorage.getItem('consent_keys')).keys, [KEY.jwk]);
  await page.close();
});

test('an unknown kid fetches the JWKS at most once per page', async () => {
  const ghost = makeKey('k-ghost');
  const cookies = ['a', 'b'].map((n) => `consent_token=1.${makeToken(claimsFor(RETURNING, { iat: NOW / 1000 - n.charCodeAt(0) }), { key: ghost })}`);
  const page = makeWindow({ html: PAGE });
  for (const cookie of cookies) page.doc.cookie = cookie;
  const { fetch, calls } = fakeFetch((url) => (url.endsWith('/jwks.json') ? { keys: [KEY.jwk] } : makeConfig()));
  const script = page.doc.createElement('script');
  script.setAttribute('src', 'https://consent.example/consent.js');
  script.setAttribute('data-property', 'pk_test');
  await boot(page.win, script, fetch, () => NOW, globalThis.crypto.subtle);
  assert.equal(calls.filter((call) => call.url.endsWith('/jwks.json')).length, 1);
  assert.equal(page.win.ConsentService.has('analytics'), false);
  await page.close();
});

test('without Ed25519 in WebCrypto the service verifies, and its claims count, not the cookie\'s', async () => {
  const cookie = storedCookie({ ...RETURNING, advertising: true });
  const verified = claimsFor(RETURNING); // what the service says the signed token holds
  const noEd25519 = {
    importKey: () => Promise.reject(new DOMException('Ed25519', 'NotSupportedError')),
    verify: () => Promise.reject(new Error('not reached')),
  };
  for (const subtle of [null, noEd25519]) {
    const asked = [];
    const page = start({ cookie, subtle, verify: (body) => (asked.push(body.token), { valid: true, claims: verified }) });
    await page.ready;
    assert.deepEqual(asked, [cookie.slice('consent_token=1.'.length), cookie.slice('consent_token=1.'.length)]);
    assert.equal(page.calls.find((call) => call.url.endsWith('/verify')).url, 'https://consent.example/v1/banner/pk_test/verify');
    assert.equal(page.win.__analyticsRan, 1);
    assert.equal(page.win.__adsRan, undefined, 'the payload said advertising: true, the service did not');
    await page.close();
  }
  const refused = start({ cookie, subtle: null, verify: () => ({ valid: false, reason: 'unknown key' }) });
  await refused.ready;
  assert.equal(refused.win.__analyticsRan, undefined);
  assert.equal(refused.$('#cs-banner').hidden, false);
  await refused.close();
  const down = start({ cookie, subtle: null, verify: () => Response.json({}, { status: 429 }) });
  await down.ready;
  assert.equal(down.win.__analyticsRan, undefined, 'no answer is no consent');
  await down.close();
});
