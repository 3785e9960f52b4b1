import assert from 'node:assert/strict';
import test from 'node:test';
import { boot } from '../src/core/boot.js';
import { NOW, cacheKeys, claimsFor, fakeFetch, makeToken, makeWindow, until } from './harness.js';

// A tag as sites write them, blocked until analytics is allowed: when it runs it records the consent
// state it finds (Google's dataLayer, Microsoft's queues), as a real tag reads it when it loads.
const TAG = `<script type="text/plain" data-consent="analytics">
  window.__seen = {
    google: window.dataLayer.map((args) => [args[1], args[2].analytics_storage, args[2].ad_storage]),
    uet: window.uetq.slice(),
    clarity: window.clarity.q.map((args) => args[1]),
    gppStub: typeof window.__gpp,
  };
</script>`;

test('returning visitor: default then the stored decisions as update, before the config arrives, before any tag', async () => {
  const page = makeWindow({ html: TAG });
  const { win, doc } = page;
  cacheKeys(win); // the keys the last config left
  doc.cookie = 'consent_token=1.' + makeToken(claimsFor({ analytics: true, advertising: false, preferences: false }));
  // The config never arrives: whatever the tag sees comes from the stored, verified token.
  const { fetch } = fakeFetch(() => new Promise(() => {}));
  const script = doc.createElement('script');
  script.type = 'text/plain';
  script.setAttribute('src', 'https://consent.example/consent.js');
  script.setAttribute('data-property', 'pk_test');
  script.setAttribute('data-frameworks', 'gpp microsoft_uet clarity');
  doc.head.append(script);
  boot(win, script, fetch, () => NOW);
  // Synchronously, before anything else could run: the defaults.
  assert.deepEqual(Array.from(win.dataLayer[0]).slice(0, 2), ['consent', 'default']);
  assert.deepEqual(Array.from(win.uetq), ['consent', 'default', { ad_storage: 'denied' }]);
  await until(() => win.__seen);
  assert.deepEqual(JSON.parse(JSON.stringify(win.__seen)), {
    google: [
      ['default', 'denied', 'denied'],
      ['update', 'granted', 'denied'],
    ],
    uet: ['consent', 'default', { ad_storage: 'denied' }, 'consent', 'update', { ad_storage: 'denied' }],
    clarity: [
      { ad_Storage: 'denied', analytics_Storage: 'denied' },
      { ad_Storage: 'denied', analytics_Storage: 'granted' },
    ],
    gppStub: 'function',
  });
  await page.close();
});
