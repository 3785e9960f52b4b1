import assert from 'node:assert/strict';
import test from 'node:test';
import { GppModel } from '@iabgpp/cmpapi';
import { bundle, frameworkBundles } from '../build.mjs';
import { fakeFetch, makeConfig, makeWindow, until } from './harness.js';

const API = 'https://consent.example';
// consent-frameworks.js: consent.js has no stub and loads no framework file.
const core = await bundle({ frameworks: true });
const { gpp } = await frameworkBundles();

test('built files: a US-CA visitor with GPC; a tag that ran before gpp.js loaded reads opted-out usnat and usca', async () => {
  const src = '/frameworks/' + gpp.entry.file;
  const page = makeWindow({ scripts: { [API + '/consent.js']: core, [API + src]: gpp.code } });
  const { win, doc } = page;
  Object.defineProperty(win.navigator, 'globalPrivacyControl', { value: true, configurable: true });
  const config = makeConfig({
    regime: 'opt_out',
    frameworks: {
      gpp: {
        src,
        integrity: gpp.entry.integrity,
        sections: ['usnat', 'usca'],
        applicable: [8],
        fields: { usnat: { SaleOptOutNotice: 1, SharingOptOutNotice: 1 }, usca: { SaleOptOutNotice: 1 } },
        opt_outs: { usnat: { SaleOptOut: 'advertising', SharingOptOut: 'advertising' }, usca: { SaleOptOut: 'advertising', SharingOptOut: 'advertising' } },
        gpc: ['usnat', 'usca'],
        tcfeuv2: false,
      },
    },
  });
  win.fetch = fakeFetch(() => config).fetch;
  const tag = doc.createElement('script');
  tag.setAttribute('src', API + '/consent.js');
  tag.setAttribute('data-property', 'pk_test');
  tag.setAttribute('data-frameworks', 'gpp');
  tag.setAttribute('async', '');
  doc.head.append(tag);
  await until(() => typeof win.__gpp === 'function');
  // A tag running now, before gpp.js: the stub answers ping, and queues the listener.
  const early = doc.createElement('script');
  early.text = `window.__events = [];
    __gpp('ping', (data) => (window.__ping = data.cmpStatus));
    __gpp('addEventListener', (event) => window.__events.push([event.eventName, event.data, event.pingData.gppString]));`;
  doc.body.append(early);
  assert.equal(win.__ping, 'stub');
  await until(() => win.__events.some((event) => event[0] === 'signalStatus' && event[1] === 'ready'));
  const ready = win.__events.find((event) => event[1] === 'ready');
  const model = new GppModel(ready[2]);
  assert.deepEqual(model.getSectionIds(), [7, 8]);
  for (const section of ['usnat', 'usca']) {
    assert.equal(model.getFieldValue(section, 'SaleOptOut'), 1, section);
    assert.equal(model.getFieldValue(section, 'SharingOptOut'), 1, section);
    assert.equal(model.getFieldValue(section, 'Gpc'), true, section);
  }
  let ping = null;
  win.__gpp('ping', (data) => (ping = data));
  assert.equal(ping.cmpStatus, 'loaded');
  assert.deepEqual(Array.from(ping.applicableSections), [8]);
  const script = doc.querySelector(`script[src="${API + src}"]`);
  assert.equal(script.getAttribute('integrity'), gpp.entry.integrity);
  await page.close();
});

test('the manifest entry names the file by its sha256 and gives its sha384 SRI and sizes', async () => {
  const { createHash } = await import('node:crypto');
  const bytes = Buffer.from(gpp.code);
  assert.equal(gpp.entry.file, 'gpp.' + createHash('sha256').update(bytes).digest('hex').slice(0, 10) + '.js');
  assert.equal(gpp.entry.integrity, 'sha384-' + createHash('sha384').update(bytes).digest('base64'));
  assert.equal(gpp.entry.bytes, bytes.length);
  assert.ok(gpp.entry.gzip_bytes > 0 && gpp.entry.gzip_bytes < bytes.length);
});
