/**
 * The start sequence: consent-mode defaults, then the stored token's decisions once verified (with
 * the keys cached from the last config, so before any network; else with the config's), then the
 * config, then the banner if a (re)consent is needed. A stored token that does not verify is no
 * consent. Without a config nothing non-essential runs and no banner shows (fail closed). A preview
 * tag (data-preview) takes its config from the page, always shows the banner, and neither reads,
 * stores nor sends a choice.
 */
import { createApi } from './api.js';
import { createBanner } from './banner.js';
import { createFrameworks } from './frameworks.js';
import { choicePayload, choicesFor, gpcHonoured, initialTicks, needsChoice } from './choices.js';
import { fetchConfig, inlineConfig, postChoice } from './config.js';
import { createPlaceholder } from './placeholder.js';
import { createState } from './state.js';
import { readTag } from './tag.js';
import { pushConsent } from '../utils/consent-mode.js';
import { DEFAULT_COOKIE_NAME, cookieName, readRecords, writeRecord } from '../utils/cookie.js';
import { chooseLanguage } from '../utils/i18n.js';
import { createBlocker } from '../utils/scripts.js';
import { parseToken } from '../utils/token.js';
import { createVerifier } from './verifier.js';

const domReady = (doc) =>
  doc.readyState === 'loading' ? new Promise((resolve) => doc.addEventListener('DOMContentLoaded', resolve)) : null;

/**
 * `script` is the banner's own tag (document.currentScript captured at start), `fetch` the network,
 * `subtle` WebCrypto and `now()` the clock (ms), all injected. Resolves when the config has been handled.
 */
export async function boot(win, script, fetch, now = () => Date.now(), subtle = win.crypto && win.crypto.subtle) {
  const doc = win.document;
  const warn = (message) => win.console.warn('[consent] ' + message);
  const tag = readTag(script, doc);
  const gpcSignal = win.navigator.globalPrivacyControl === true;
  const state = createState();
  const blocker = createBlocker(doc, tag.nonce, (purposes) => purposes.every(state.has));
  let config = null;
  let banner = null;
  let gpc = false;
  let name = DEFAULT_COOKIE_NAME;
  let showRequested = false;
  let choices = 0; // choices made on this page: a stored token verified later must not override one
  // The factories take positional arguments: named options cost the 8 KiB budget each name twice.
  const verifier = createVerifier(win, subtle, fetch, tag.api, tag.property, now);
  const frameworks = createFrameworks(win, tag, state, () => gpc, warn);

  // Before anything can activate a tag: tags read the default (and find the IAB stubs, which
  // createFrameworks installed) when they load.
  pushConsent(win, 'default', () => false, frameworks.signal);

  /** Tells tags, framework files, blocked elements and listeners about the current decisions. */
  function apply() {
    pushConsent(win, 'update', state.has, frameworks.signal);
    frameworks.changed();
    blocker.scan();
    state.emit(win);
  }

  /** Adopts the newest stored token that verifies, or forgets one that no longer does. */
  async function adoptStored() {
    const before = choices;
    let found = [null, null]; // [token, claims]
    for (const record of readRecords(doc, name, now())) {
      const claims = await verifier.verify(record.token);
      if (claims) {
        found = [record.token, claims];
        break;
      }
    }
    if (before === choices && found[0] !== state.token) {
      state.adopt(...found);
      apply();
    }
  }

  const cookieDomain = () => tag.cookieDomain || (config.cookie || {}).domain || null;
  const store = (token, expiresAt) =>
    writeRecord(doc, name, token, expiresAt, now(), cookieDomain(), win.location.protocol === 'https:');

  async function choose(action, ticked) {
    choices++;
    const chosen = choicesFor(action, config, gpc, ticked);
    if (banner) banner.close();
    if (tag.preview) return;
    const body = {
      ...(await frameworks.contribute({ action: action.split('-')[0], choices: chosen })),
      ...choicePayload(action, chosen, config, state.token, gpcSignal),
    };
    try {
      const receipt = await postChoice(fetch, tag.api, tag.property, body);
      const parsed = parseToken((receipt || {}).token);
      const claims = parsed && parsed.claims;
      if (!claims || !claims.purposes) throw new Error('receipt without a readable token');
      state.adopt(receipt.token, claims);
      store(receipt.token, Date.parse(receipt.expires_at));
    } catch (err) {
      // Unrecorded: refusals still apply (always safe), grants wait for a receipt. A stored token
      // that grants what was just refused must not bring it back on the next page.
      warn('choice not recorded (' + err.message + '): refusals only');
      if (state.narrow(chosen)) {
        state.adopt(null, null);
        store(null, 0);
      }
    }
    apply();
  }

  function openBanner(view) {
    if (!banner) {
      banner = createBanner(
        doc,
        config,
        gpc,
        tag.nonce,
        () => {
          const claims = state.claims;
          const current = claims && claims.notice === config.notice.version ? claims.purposes : null;
          return initialTicks(config, gpc, current);
        },
        () => !needsChoice(config, state.claims),
        choose,
        frameworks.opened,
      );
    }
    banner.open(view);
  }

  const show = () => {
    if (config) openBanner('settings');
    else showRequested = true; // honoured once the config arrives
  };
  win.ConsentService = createApi(state, show, frameworks.attach);
  doc.addEventListener('click', (event) => {
    const opener = event.target.closest && event.target.closest('[data-consent-open]');
    if (opener) {
      event.preventDefault();
      show();
    }
  });

  // Without a property no token can be this page's: nothing is adopted.
  const stored = tag.preview || !tag.property ? null : adoptStored();
  blocker.observe();

  if (!stored && !tag.preview) {
    warn('no data-property: non-essential blocked');
    return;
  }
  try {
    config = tag.preview ? inlineConfig(doc, tag.preview) : await fetchConfig(
      fetch,
      tag.api,
      tag.property,
      chooseLanguage(tag.lang, doc.documentElement.lang, win.navigator.languages || [win.navigator.language]),
      tag.country,
      tag.region,
    );
  } catch (err) {
    warn('no config (' + err.message + '): non-essential blocked');
    verifier.configure(null);
    await stored;
    return;
  }

  gpc = gpcHonoured(config, win.navigator);
  state.show(config.purposes);
  name = cookieName((config.cookie || {}).name);
  frameworks.load(config);
  if (stored) {
    verifier.configure(config.tokens);
    await stored;
    // Again with the config's keys (and cookie name): a key it no longer lists stops verifying.
    await adoptStored();
  }
  await domReady(doc);
  blocker.setPlaceholder((frame, purposes) =>
    createPlaceholder(
      doc,
      config,
      tag.nonce,
      frame,
      purposes,
      (wanted) => {
        const ticked = {};
        for (const p of config.purposes) ticked[p.key] = state.has(p.key) || wanted.includes(p.key);
        choose('save', ticked);
      },
    ),
  );
  blocker.scan();
  if (needsChoice(config, state.claims)) openBanner('main');
  else if (showRequested) openBanner('settings');
}
