/**
 * The TCF second layer: a modal dialog inside the banner listing purposes (consent and, where vendors declare
 * it, legitimate interest to object to), special purposes and features (information), special features
 * (opt-in) and vendors (consent, legitimate interest, what they declare, retention, data, links), with
 * Accept all / Reject all / Save. It edits a draft TCModel; answering is the caller's job.
 */
import { el } from '../../utils/dom.js';
import { fill } from '../../utils/i18n.js';
import { NO_LI_PURPOSES, copyModel, liPurposes } from './model.js';

const FOCUSABLE = 'a[href],button,input,summary';

/** Only web links reach the href: a GVL entry must not smuggle in a javascript: URL. */
const webUrl = (url) => (/^https?:\/\//i.test(url || '') ? url : null);

/** Whether a focusable node can take focus now: not inside a closed <details> (its summary excepted). */
const reachable = (node) => {
  const details = node.parentElement && node.parentElement.closest('details');
  return !details || details.open || (node.tagName === 'SUMMARY' && node.parentElement === details);
};

/**
 * `texts` are the banner's (accept_all, reject_all, save, close), `labels` the TCF ones; `onAnswer(action)`
 * gets "accept", "reject" or "save" (the draft then holds the visitor's choice).
 */
export function createLayer({ doc, gvl, labels, texts, onAnswer }) {
  let node = null;
  let root = null;
  let returnFocus = null;
  let draft = null;

  const names = (map, list) => (list || []).map((id) => (map[id] ? map[id].name : String(id))).join(', ');

  /**
   * A checkbox bound to one bit of the draft: `field` is a TCModel vector, `id` the bit. Its accessible name
   * adds what it is for (`name`), since every row has the same visible "Consent".
   */
  function toggle(field, id, label, name) {
    const inputId = 'cs-tcf-' + field + '-' + id;
    const input = el(doc, 'input', {
      type: 'checkbox',
      id: inputId,
      'data-tcf-field': field,
      'data-tcf-id': String(id),
      'aria-label': label + ': ' + name,
    });
    input.checked = draft[field].has(id);
    return el(doc, 'div', { class: 'cs-tcf-sw' }, input, el(doc, 'label', { for: inputId }, label));
  }

  /** How many shown vendors declare item `id` in any of their `keys` lists. */
  const usedBy = (id, keys) =>
    Object.values(gvl.vendors).filter((v) => keys.some((key) => (v[key] || []).includes(id))).length;

  /** Name, description, the GVL's examples and how many partners use it. */
  function about(item, keys) {
    const examples = item.illustrations || [];
    return [
      el(doc, 'b', null, item.name),
      el(doc, 'p', null, item.description || ''),
      examples.length > 0 &&
        el(doc, 'details', null, el(doc, 'summary', null, labels.illustrations), ...examples.map((text) => el(doc, 'p', null, text))),
      el(doc, 'p', null, fill(labels.used_by, { count: usedBy(item.id, keys) })),
    ];
  }

  /** A heading and its rows; nothing when the GVL lists none. */
  function section(title, items, row, note) {
    if (!items.length) return null;
    return el(doc, 'div', { role: 'group', 'aria-label': title }, el(doc, 'h3', null, title), note && el(doc, 'p', null, note), ...items.map(row));
  }

  function purposeRow(purpose, canObject) {
    return el(
      doc,
      'div',
      { class: 'cs-tcf-row' },
      ...about(purpose, ['purposes', 'legIntPurposes']),
      toggle('purposeConsents', purpose.id, labels.consent, purpose.name),
      canObject && toggle('purposeLegitimateInterests', purpose.id, labels.legitimate_interest, purpose.name),
    );
  }

  /** The vendor's retention periods that differ per purpose (`kind`: "purposes" or "specialPurposes"). */
  const retentionFor = (vendor, kind, map) =>
    Object.entries((vendor.dataRetention && vendor.dataRetention[kind]) || {}).map(([id, days]) =>
      el(doc, 'li', null, fill(labels.retention_for, { name: map[id] ? map[id].name : id, days })),
    );

  /** How long its cookies last, when it uses cookies. */
  const storage = (vendor) =>
    vendor.usesCookies === true &&
    typeof vendor.cookieMaxAgeSeconds === 'number' &&
    el(
      doc,
      'li',
      null,
      vendor.cookieMaxAgeSeconds <= 0
        ? labels.cookie_session
        : fill(labels.cookie_max_age, { days: Math.ceil(vendor.cookieMaxAgeSeconds / 86400) }),
    );

  function vendorRow(vendor) {
    const retention = vendor.dataRetention && vendor.dataRetention.stdRetention;
    const url = (vendor.urls || []).find((u) => u.langId === gvl.language.toLowerCase()) || (vendor.urls || [])[0] || {};
    const listed = (label, map, list) => list && list.length > 0 && el(doc, 'li', null, fill(label, { list: names(map, list) }));
    const consentPurposes = vendor.purposes || [];
    const liList = (vendor.legIntPurposes || []).filter((id) => !NO_LI_PURPOSES.includes(id));
    return el(
      doc,
      'details',
      { class: 'cs-tcf-row' },
      el(doc, 'summary', null, vendor.name),
      consentPurposes.length > 0 && toggle('vendorConsents', vendor.id, labels.consent, vendor.name),
      liList.length > 0 && toggle('vendorLegitimateInterests', vendor.id, labels.legitimate_interest, vendor.name),
      el(
        doc,
        'ul',
        null,
        listed(labels.vendor_consent, gvl.purposes, consentPurposes),
        listed(labels.vendor_li, gvl.purposes, liList),
        listed(labels.vendor_special_purposes, gvl.specialPurposes, vendor.specialPurposes),
        listed(labels.vendor_features, gvl.features, vendor.features),
        listed(labels.vendor_special_features, gvl.specialFeatures, vendor.specialFeatures),
        typeof retention === 'number' && el(doc, 'li', null, fill(labels.retention, { days: retention })),
        ...retentionFor(vendor, 'purposes', gvl.purposes),
        ...retentionFor(vendor, 'specialPurposes', gvl.specialPurposes),
        storage(vendor),
        vendor.usesNonCookieAccess === true && el(doc, 'li', null, labels.non_cookie),
        listed(labels.data_categories, gvl.dataCategories || {}, vendor.dataDeclaration),
      ),
      el(
        doc,
        'p',
        { class: 'cs-tcf-links' },
        webUrl(url.privacy) && el(doc, 'a', { href: url.privacy, target: '_blank', rel: 'noopener' }, labels.privacy_policy),
        liList.length > 0 && webUrl(url.legIntClaim) && el(doc, 'a', { href: url.legIntClaim, target: '_blank', rel: 'noopener' }, labels.li_claim),
      ),
    );
  }

  function build() {
    const objectable = liPurposes(gvl);
    const button = (action, text, attrs) => el(doc, 'button', { type: 'button', 'data-tcf-action': action, ...attrs }, text);
    const info = (keys) => (item) => el(doc, 'div', { class: 'cs-tcf-row' }, ...about(item, keys));
    const vendors = Object.values(gvl.vendors);
    return el(
      doc,
      'div',
      { class: 'cs-tcf', role: 'dialog', 'aria-modal': 'true', 'aria-labelledby': 'cs-tcf-title', tabindex: '-1' },
      button('close', texts.close, { class: 'cs-x' }),
      el(doc, 'h2', { id: 'cs-tcf-title' }, labels.title),
      section(labels.purposes, Object.values(gvl.purposes), (p) => purposeRow(p, objectable.includes(p.id))),
      section(labels.special_features, Object.values(gvl.specialFeatures), (f) =>
        el(
          doc,
          'div',
          { class: 'cs-tcf-row' },
          ...about(f, ['specialFeatures']),
          toggle('specialFeatureOptins', f.id, labels.opt_in, f.name),
        ),
      ),
      section(labels.special_purposes, Object.values(gvl.specialPurposes), info(['specialPurposes']), labels.info_only),
      section(labels.features, Object.values(gvl.features), info(['features']), labels.info_only),
      section(labels.vendors, vendors, vendorRow, fill(labels.vendor_count, { count: vendors.length })),
      el(
        doc,
        'div',
        { class: 'cs-btns' },
        button('accept', texts.accept_all),
        button('reject', texts.reject_all),
        button('save', texts.save),
      ),
    );
  }

  const focusables = () => Array.from(node.querySelectorAll(FOCUSABLE)).filter((n) => !n.disabled && reachable(n));

  function onKeydown(event) {
    if (event.key === 'Escape') {
      // Escape only leaves this layer; it must not also reach the banner (which would change its view).
      event.stopPropagation();
      close();
    } else if (event.key === 'Tab') {
      event.stopPropagation();
      const list = focusables();
      const first = list[0];
      const last = list[list.length - 1];
      const active = doc.activeElement;
      if (event.shiftKey ? active === first || active === node : active === last) {
        event.preventDefault();
        (event.shiftKey ? last : first).focus();
      }
    }
  }

  function onClick(event) {
    const target = event.target.closest('[data-tcf-action]');
    const action = target && target.getAttribute('data-tcf-action');
    if (action === 'close') close();
    else if (action) onAnswer(action);
  }

  function onChange(event) {
    const input = event.target;
    const field = input.getAttribute('data-tcf-field');
    if (!field) return;
    const id = Number(input.getAttribute('data-tcf-id'));
    if (input.checked) draft[field].set(id);
    else draft[field].unset(id);
  }

  // A click or script moving focus out of the modal layer brings it back.
  const onFocusin = (event) => {
    if (node && !node.contains(event.target)) (focusables()[0] || node).focus();
  };

  /** Opens inside the banner `bannerRoot`, showing (a copy of) `model`; focus returns to `opener` on close. */
  function open(bannerRoot, model, opener) {
    if (node) close();
    draft = copyModel(model);
    root = bannerRoot;
    returnFocus = opener || doc.activeElement;
    node = build();
    node.addEventListener('keydown', onKeydown);
    node.addEventListener('click', onClick);
    node.addEventListener('change', onChange);
    root.append(node);
    root.classList.add('cs-tcf-open');
    doc.addEventListener('focusin', onFocusin);
    (focusables().find((n) => n.tagName === 'INPUT') || node).focus();
  }

  function close() {
    if (!node) return;
    doc.removeEventListener('focusin', onFocusin);
    node.remove();
    node = null;
    root.classList.remove('cs-tcf-open');
    if (returnFocus && returnFocus.isConnected && returnFocus.focus) returnFocus.focus();
    returnFocus = null;
  }

  return {
    open,
    close,
    /** The visitor's edits of the last opening (null before the first). */
    get draft() {
      return draft;
    },
    get node() {
      return node;
    },
  };
}
