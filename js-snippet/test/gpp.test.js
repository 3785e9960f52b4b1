import assert from 'node:assert/strict';
import test from 'node:test';
import { GppModel } from '@iabgpp/cmpapi';
import { GVL, TCModel, TCString } from '@iabtechlabtcf/core';
import { createFrameworks } from '../src/core/frameworks.js';
import { createState } from '../src/core/state.js';
import { readTag } from '../src/core/tag.js';
import { startGpp } from '../src/frameworks/gpp.js';
import { hostOf } from '../src/frameworks/host.js';
import { installStubs } from '../src/utils/stubs.js';
import { claimsFor, makeConfig, makeWindow } from './harness.js';

// The gpp part of a US-CA visitor's banner config, as the service's gpp.banner_config makes it.
const GPP = {
  src: '/frameworks/gpp.0123456789.js',
  integrity: 'sha384-x',
  sections: ['usnat', 'usca'],
  applicable: [8],
  fields: {
    usnat: { SharingNotice: 1, SaleOptOutNotice: 1, SharingOptOutNotice: 1, TargetedAdvertisingOptOutNotice: 1, MspaCoveredTransaction: 2 },
    usca: { SaleOptOutNotice: 1, SharingOptOutNotice: 1, MspaCoveredTransaction: 2 },
  },
  opt_outs: {
    usnat: { SaleOptOut: 'advertising', SharingOptOut: 'advertising', TargetedAdvertisingOptOut: 'advertising' },
    usca: { SaleOptOut: 'advertising', SharingOptOut: 'advertising' },
  },
  gpc: ['usnat', 'usca'],
  tcfeuv2: false,
};

/** A TC string made by the IAB's library, for a tiny vendor list. */
function tcString() {
  const purpose = (id) => ({ id, name: 'P' + id, description: '', illustrations: [] });
  const gvl = new GVL({
    gvlSpecificationVersion: 3,
    vendorListVersion: 50,
    tcfPolicyVersion: 5,
    lastUpdated: '2026-01-01T00:00:00Z',
    purposes: { 1: purpose(1), 2: purpose(2) },
    specialPurposes: {},
    features: {},
    specialFeatures: {},
    stacks: {},
    dataCategories: {},
    vendors: { 755: { id: 755, name: 'V', purposes: [1, 2], legIntPurposes: [], flexiblePurposes: [], specialPurposes: [], features: [], specialFeatures: [], urls: [] } },
  });
  const model = new TCModel(gvl);
  model.cmpId = 10;
  model.cmpVersion = 1;
  model.consentLanguage = 'EN';
  model.purposeConsents.set([1, 2]);
  model.vendorConsents.set([755]);
  return TCString.encode(model);
}

/**
 * The page with the `__gpp` stub and calls tags queued before the file loaded, then the file
 * attached through the core's real loader and host. `gpc` is the honoured GPC signal.
 */
function start({ gpp = GPP, gpc = true, before = () => {} } = {}) {
  const page = makeWindow();
  const { win, doc } = page;
  win.console.warn = () => {}; // the test serves no file: the loader's 404 warning
  installStubs(win, ['gpp']);
  before(win);
  globalThis.window = win; // the IAB library works on the global window
  const state = createState();
  const config = makeConfig({ frameworks: { gpp, tcf: { cmp_id: 10, cmp_version: 3 } } });
  state.show(config.purposes);
  const frameworks = createFrameworks(win, { ...readTag(null, doc), frameworks: ['gpp'] }, state, () => gpc, () => {});
  frameworks.load(config);
  let cmp = null;
  frameworks.attach('gpp', (core) => {
    page.host = hostOf(core);
    cmp = startGpp(page.host);
  });
  return {
    ...page,
    cmp,
    frameworks,
    state,
    decoded: () => new GppModel(cmp.getGppString()),
    close: async () => {
      delete globalThis.window;
      await page.close();
    },
  };
}

test('fills usnat and usca from the choices and GPC: opted out of sale and sharing, Gpc set, usca applicable', async () => {
  const page = start();
  const gpp = page.decoded();
  assert.deepEqual(gpp.getSectionIds(), [7, 8]);
  for (const [field, value] of Object.entries({ SaleOptOut: 1, SharingOptOut: 1, TargetedAdvertisingOptOut: 1, SaleOptOutNotice: 1, MspaCoveredTransaction: 2, Gpc: true, GpcSegmentIncluded: true })) {
    assert.equal(gpp.getFieldValue('usnat', field), value, 'usnat ' + field);
  }
  for (const [field, value] of Object.entries({ SaleOptOut: 1, SharingOptOut: 1, SharingOptOutNotice: 1, Gpc: true })) {
    assert.equal(gpp.getFieldValue('usca', field), value, 'usca ' + field);
  }
  let ping = null;
  page.win.__gpp('ping', (data) => (ping = data));
  assert.deepEqual(Array.from(ping.applicableSections), [8]);
  assert.equal(ping.cmpStatus, 'loaded');
  assert.equal(ping.signalStatus, 'ready');
  assert.equal(ping.cmpId, 10, "the operator's CMP id, from the tcf part");
  assert.deepEqual(Array.from(ping.supportedAPIs), ['7:usnat', '8:usca']);
  assert.equal(ping.gppString, page.cmp.getGppString());
  await page.close();
});

test('a grant of advertising refills: did not opt out (2), with signalStatus not ready -> sectionChange -> ready', async () => {
  const page = start({ gpc: false });
  const events = [];
  page.win.__gpp('addEventListener', (event) => events.push([event.eventName, event.data]));
  events.length = 0;
  page.state.adopt('token', claimsFor({ advertising: true }));
  page.frameworks.changed();
  const gpp = page.decoded();
  assert.equal(gpp.getFieldValue('usnat', 'SaleOptOut'), 2);
  assert.equal(gpp.getFieldValue('usnat', 'TargetedAdvertisingOptOut'), 2);
  assert.equal(gpp.getFieldValue('usca', 'SharingOptOut'), 2);
  assert.equal(gpp.getFieldValue('usca', 'Gpc'), false);
  assert.deepEqual(JSON.parse(JSON.stringify(events)), [
    ['signalStatus', 'not ready'],
    ['sectionChange', 'usnat'],
    ['sectionChange', 'usca'],
    ['signalStatus', 'ready'],
  ]);
  await page.close();
});

test('calls queued by tags before the file loaded are answered with the filled sections, in order', async () => {
  const answers = [];
  const page = start({
    before(win) {
      win.__gpp('getField', (value, success) => answers.push(['SaleOptOut', value, success]), 'usnat.SaleOptOut');
      win.__gpp('hasSection', (value) => answers.push(['hasSection', value]), 'usca');
      win.__gpp('addEventListener', (event) => answers.push([event.eventName, event.data]));
      win.__gpp('getGPPData', (data) => answers.push(['getGPPData', data.gppString]));
    },
  });
  // The listener first, so that it sees the start as events (GPP's event order example 2); the other
  // calls in their order, answered from the filled sections.
  assert.deepEqual(JSON.parse(JSON.stringify(answers)), [
    ['listenerRegistered', true],
    ['cmpStatus', 'loaded'],
    ['signalStatus', 'not ready'],
    ['sectionChange', 'usnat'],
    ['sectionChange', 'usca'],
    ['signalStatus', 'ready'],
    ['SaleOptOut', 1, true],
    ['hasSection', true],
    ['getGPPData', page.cmp.getGppString()],
  ]);
  await page.close();
});

test("with tcfeuv2 the TC string tcf.js publishes becomes section 2", async () => {
  const tc = tcString();
  const page = start({ gpp: { ...GPP, tcfeuv2: true } });
  assert.deepEqual(page.decoded().getSectionIds(), [7, 8], 'nothing to add before a TC string');
  page.host.publish('tc_string', tc);
  const gpp = page.decoded();
  assert.deepEqual(gpp.getSectionIds(), [2, 7, 8]);
  assert.deepEqual(gpp.getFieldValue('tcfeuv2', 'VendorConsents'), [755]);
  assert.deepEqual(gpp.getFieldValue('tcfeuv2', 'PurposeConsents').slice(0, 3), [true, true, false]);
  assert.equal(gpp.getFieldValue('tcfeuv2', 'CmpId'), 10);
  await page.close();
});

test('no applicable section: applicableSections is [-1]; the banner open and closed sets cmpDisplayStatus', async () => {
  const page = start({ gpp: { ...GPP, applicable: [] } });
  const statuses = [];
  page.win.__gpp('addEventListener', (event) => event.eventName === 'cmpDisplayStatus' && statuses.push(event.data));
  let ping = null;
  page.win.__gpp('ping', (data) => (ping = data));
  assert.deepEqual(Array.from(ping.applicableSections), [-1]);
  const root = page.doc.createElement('div');
  page.doc.body.append(root);
  page.frameworks.opened(root, 'main');
  root.hidden = true;
  await new Promise((resolve) => setTimeout(resolve, 10));
  assert.deepEqual(statuses, ['visible', 'hidden']);
  await page.close();
});
