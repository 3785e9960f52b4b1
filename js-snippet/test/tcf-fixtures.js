/**
 * Test fixtures of the TCF framework: a small synthetic Global Vendor List (v3 shape, our own texts), the
 * banner config carrying it, a faithful `host` as the contract of issue 21 describes it, and the IAB's
 * `__tcfapi` stub as a page has it before the CMP loads.
 */
import { makeConfig } from './harness.js';

const purpose = (id, name) => ({ id, name, description: name + ' description.', illustrations: ['An example of ' + name.toLowerCase() + '.'] });

/** Vendor 1: consent for 1-4, LI for 7 and 10; 2: consent for 1 and 3, special feature 1; 3: special purposes only. */
export function makeGvl(overrides = {}) {
  return {
    gvlSpecificationVersion: 3,
    vendorListVersion: 120,
    tcfPolicyVersion: 5,
    lastUpdated: '2026-02-26T16:00:00Z',
    purposes: Object.fromEntries(
      [
        'Store and/or access information on a device',
        'Use limited data to select advertising',
        'Create profiles for personalised advertising',
        'Use profiles to select personalised advertising',
        'Create profiles to personalise content',
        'Use profiles to select personalised content',
        'Measure advertising performance',
        'Measure content performance',
        'Understand audiences through statistics',
        'Develop and improve services',
        'Use limited data to select content',
      ].map((name, i) => [String(i + 1), purpose(i + 1, name)]),
    ),
    specialPurposes: {
      1: purpose(1, 'Ensure security, prevent and detect fraud, and fix errors'),
      2: purpose(2, 'Deliver and present advertising and content'),
    },
    features: {
      1: purpose(1, 'Match and combine data from other data sources'),
      2: purpose(2, 'Link different devices'),
    },
    specialFeatures: {
      1: purpose(1, 'Use precise geolocation data'),
      2: purpose(2, 'Actively scan device characteristics for identification'),
    },
    dataCategories: {
      1: { id: 1, name: 'IP addresses', description: 'Your IP address.' },
      2: { id: 2, name: 'Device characteristics', description: 'Your device.' },
    },
    stacks: {},
    vendors: {
      1: vendor(1, 'Adnet One', { purposes: [1, 2, 3, 4], legIntPurposes: [7, 10], specialPurposes: [1], features: [1], dataDeclaration: [1, 2] }),
      2: vendor(2, 'Geo Two', { purposes: [1, 3], specialFeatures: [1], features: [2] }),
      3: vendor(3, 'Secure Three', { specialPurposes: [1, 2] }),
    },
    ...overrides,
  };
}

function vendor(id, name, declared) {
  return {
    id,
    name,
    purposes: [],
    legIntPurposes: [],
    flexiblePurposes: [],
    specialPurposes: [],
    features: [],
    specialFeatures: [],
    cookieMaxAgeSeconds: 86400 * 30,
    usesCookies: true,
    cookieRefresh: false,
    usesNonCookieAccess: false,
    dataRetention: { stdRetention: 90, purposes: {}, specialPurposes: {} },
    urls: [{ langId: 'en', privacy: 'https://vendor' + id + '.example/privacy', legIntClaim: 'https://vendor' + id + '.example/li' }],
    dataDeclaration: [],
    deviceStorageDisclosureUrl: 'https://vendor' + id + '.example/storage.json',
    ...declared,
  };
}

/** The banner config of a property that enables TCF with the synthetic GVL. */
export function makeTcfConfig({ language = 'en', gvl = makeGvl(), cmpId = 300, cmpVersion = 2, texts } = {}) {
  return makeConfig({
    language,
    frameworks: {
      tcf: { src: '/frameworks/tcf.0123456789.js', integrity: 'sha384-x', cmp_id: cmpId, cmp_version: cmpVersion, language, gvl, texts },
    },
  });
}

/**
 * The `host` of the contract, as the core gives it to a framework file: its members record what the framework
 * registers, and `bannerOpened`, `choose` and `change` play the core's side (the banner opening a view, an
 * answer being recorded, decisions changing).
 */
export function makeHost({ win, config, claims = null, decisions = {}, nonce = 'n1' }) {
  const opens = [];
  const contributors = [];
  const changes = [];
  const published = {};
  const subscribers = {};
  let current = claims;
  const host = {
    win,
    doc: win.document,
    nonce,
    config,
    has: (purpose) => purpose === 'necessary' || decisions[purpose] === true,
    claims: () => current,
    gpc: () => false,
    onChange: (fn) => changes.push(fn),
    contribute: (fn) => contributors.push(fn),
    onBannerOpen: (fn) => opens.push(fn),
    publish(key, value) {
      published[key] = value;
      for (const fn of subscribers[key] || []) fn(value);
    },
    subscribe: (key, fn) => (subscribers[key] = subscribers[key] || []).push(fn),
  };
  return {
    host,
    published,
    /** The core opened a banner view with this root. */
    bannerOpened: (root, view) => opens.forEach((fn) => fn(root, view)),
    /** The core records an answer: every contributor's result, merged, as the POST body gets it. */
    async choose(action, choices = {}) {
      const parts = await Promise.all(contributors.map((fn) => fn({ action, choices })));
      return Object.assign({}, ...parts);
    },
    /** A stored token was adopted: new claims, then the change listeners. */
    adopt(nextClaims) {
      current = nextClaims;
      changes.forEach((fn) => fn());
    },
  };
}

/**
 * The `__tcfapi` stub of the IAB's CMP API v2 spec (section "How does the CMP stub API work?"), as a page runs it
 * before the CMP: calls queue, `ping` is answered at once, and a call without arguments returns the queue.
 */
export function installStub(win) {
  const queue = [];
  let gdprApplies;
  win.__tcfapi = function () {
    // The stub queues the `arguments` object itself, as the IAB's does.
    const args = arguments;
    if (!args.length) return queue;
    if (args[0] === 'setGdprApplies') {
      if (args.length > 3 && args[1] === 2 && typeof args[3] === 'boolean') gdprApplies = args[3];
    } else if (args[0] === 'ping') {
      if (typeof args[2] === 'function') args[2]({ gdprApplies, cmpLoaded: false, cmpStatus: 'stub' });
    } else {
      queue.push(args);
    }
  };
}
