/**
 * The TCF CMP on a page: restores the visitor's recorded TC string, serves `__tcfapi` through the IAB's CmpApi
 * (which takes over the stub's queued calls), adds the first-layer notice and the second layer to the banner,
 * and turns each answer recorded by the core into a TC string sent with the choice.
 */
import { CmpApi } from '@iabtechlabtcf/cmpapi';
import { answerAll, copyModel, createGvl, createModel, encode, grantsConsent, initialModel, restore } from './model.js';
import { createLayer } from './layer.js';
import { decorate } from './notice.js';
import { injectStyles } from './styles.js';
import { labelsFor } from './texts.js';

/** The core banner's buttons for the layer's answers: the core records the choice and calls `contribute`. */
const BANNER_ACTIONS = { accept: 'accept-all', reject: 'reject-all', save: 'save' };

/** Sets the CMP up for `host` (the contract of issue 21); null when the config carries no GVL. */
export function startCmp(host) {
  const { win, doc } = host;
  const tcf = host.config.frameworks.tcf;
  const warn = (message) => win.console.warn('[consent] tcf: ' + message);
  if (!tcf || !tcf.gvl || !tcf.gvl.vendors) {
    // Without the list nothing can be disclosed, so nothing can be asked: the stub stays, answering ping only.
    warn('the config has no vendor list: TCF stays off');
    return null;
  }
  const gvl = createGvl(tcf.gvl, tcf.language || host.config.language);
  const options = { cmpId: tcf.cmp_id, cmpVersion: tcf.cmp_version };
  const labels = labelsFor(host.config.language, tcf.texts);

  let model = null; // the recorded answer that still fits, or null: then the visitor has none
  let tcString = '';
  let uiVisible = false;
  let layerUsed = false; // the second layer was opened since the last answer: a "save" means its draft

  // The library refuses CMP ids below 2 and so does every vendor reading the string: an unregistered service
  // (id 0) leaves the stub in place, answering `ping` only, rather than serve strings no vendor accepts.
  let api = null;
  if (Number.isInteger(tcf.cmp_id) && tcf.cmp_id > 1) {
    api = new CmpApi(tcf.cmp_id, tcf.cmp_version || 0, true);
  } else {
    warn('CMP id ' + tcf.cmp_id + ' is not an IAB-assigned id: __tcfapi answers ping only');
  }
  const update = (value, visible) => {
    if (api) api.update(value, visible);
  };

  /** Adopts the TC string of the current claims if it differs from ours and still fits. */
  function adoptClaims() {
    const claims = host.claims();
    const recorded = claims && claims.tcf;
    if (!recorded || recorded === tcString) return false;
    const restored = restore(gvl, recorded, options);
    if (!restored) return false;
    model = restored;
    tcString = recorded;
    return true;
  }

  let banner = null;
  const layer = createLayer({
    doc,
    gvl,
    labels,
    texts: host.config.texts,
    onAnswer(action) {
      const root = banner;
      layer.close();
      if (action === 'save' && root) alignSettings(root, layer.draft);
      const button = root && root.querySelector('[data-cs-action="' + BANNER_ACTIONS[action] + '"]');
      if (button) button.click();
      else warn('the banner has no "' + BANNER_ACTIONS[action] + '" button');
    },
  });

  /**
   * Before the core's Save records its Settings form: the form must hold the visitor's core decisions (the
   * banner fills it when its Settings view opens, so open it from the first layer), and the "advertising"
   * purpose, which covers ad tech, follows the TCF answer (any consent given -> allowed), so that the core
   * does not block what the TC string allows, nor allow what it refuses.
   */
  function alignSettings(root, draft) {
    const settings = root.querySelector('[data-cs-action="settings"]');
    if (settings && !settings.hidden) settings.click();
    const advertising = root.querySelector('input[name="cs-purpose"][value="advertising"]');
    if (advertising && !advertising.disabled) advertising.checked = grantsConsent(draft);
  }

  function openLayer(opener) {
    layerUsed = true;
    layer.open(banner, model || initialModel(gvl, options), opener);
  }

  /** The banner shows a view: it gets the TCF additions, and the CMP API says the UI is visible. */
  function bannerShown(root) {
    banner = root;
    injectStyles(doc, host.nonce);
    decorate({ doc, root, gvl, labels, onOpen: openLayer });
    if (!uiVisible) {
      uiVisible = true;
      update(tcString, true);
    }
  }

  // A returning visitor's string loads the API at once ("tcloaded"), before any banner view can say "cmpuishown";
  // without one the API waits for the banner, which the core opens for a visitor without a current choice.
  const restoredAtStart = adoptClaims();
  if (restoredAtStart) {
    host.publish('tc_string', tcString);
    update(tcString, false);
  }

  host.onBannerOpen((root) => {
    // A view opened by the core (ConsentService.show()) replaces the second layer.
    layer.close();
    bannerShown(root);
  });

  /**
   * The answer as a model. "accept" and "reject" are all or nothing; GPC narrowing the core's "advertising"
   * makes "accept" nothing too. A "save" is the second layer's draft when the visitor opened it; from the core
   * Settings alone, TCF follows the core "advertising" purpose (the one covering ad tech): refused -> nothing,
   * granted -> the recorded TCF answer when there is one, else everything (the first layer disclosed it).
   */
  function answerFor(action, choices) {
    const advertising = choices ? choices.advertising : undefined;
    if (action === 'accept') return answerAll(createModel(gvl, options), advertising !== false);
    if (action === 'save' && layerUsed && layer.draft) return copyModel(layer.draft);
    if (action === 'save' && advertising === true) return model ? copyModel(model) : answerAll(createModel(gvl, options), true);
    return answerAll(createModel(gvl, options), false);
  }

  host.contribute(({ action, choices }) => {
    const answer = answerFor(action, choices);
    const value = encode(answer, layerUsed ? 2 : 1);
    model = answer;
    tcString = value;
    layerUsed = false;
    uiVisible = false;
    layer.close();
    host.publish('tc_string', value);
    update(value, false);
    return { tc_string: value };
  });

  host.onChange(() => {
    if (adoptClaims()) {
      host.publish('tc_string', tcString);
      update(tcString, uiVisible);
    }
  });

  if (!restoredAtStart && host.claims()) {
    // A current core choice but no TC string that fits (TCF newly enabled, a new vendor, a new policy): ask
    // again, once the core has had its chance to open the banner itself.
    const ask = () => {
      if (!uiVisible && !model && win.ConsentService && win.ConsentService.show) win.ConsentService.show();
    };
    if (doc.readyState === 'complete') win.setTimeout(ask, 0);
    else win.addEventListener('load', ask);
  }
  // The banner may have opened before this file arrived: it gets the TCF additions now.
  const shown = doc.getElementById('cs-banner');
  if (shown && !shown.hidden && !banner) bannerShown(shown);

  return {
    api,
    layer,
    get tcString() {
      return tcString;
    },
  };
}
