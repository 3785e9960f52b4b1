/**
 * The banner: an accessible dialog with a first layer (Accept all / Reject all / Settings, equally
 * prominent) and a Settings view (one checkbox per purpose with its declared cookies folded under it,
 * Save choices) that is modal and traps focus. It only reports actions; recording them is the caller's job.
 */
import { el } from '../utils/dom.js';
import { injectStyles } from './styles.js';

const FOCUSABLE = 'a[href],button,input,summary';

/** Only web links reach the href: a config must not smuggle in a javascript: URL. */
const webUrl = (url) => (/^https?:\/\//i.test(url || '') ? url : null);

/** The cookies declared for a purpose, folded: name (retention): description; nothing when none are. */
const cookieList = (doc, label, cookies) =>
  cookies &&
  cookies.length > 0 &&
  el(
    doc,
    'details',
    { class: 'cs-ck' },
    el(doc, 'summary', null, label + ' (' + cookies.length + ')'),
    ...cookies.map((c) => el(doc, 'p', null, el(doc, 'b', null, c.name), ' (' + c.retention + '): ' + c.description)),
  );

/**
 * `ticks()` gives purpose -> ticked for the Settings view; `canClose()` whether the visitor already
 * has a current choice (then the banner may be closed without answering); `onChoice(action,
 * ticked)` receives "accept-all", "reject-all" or "save" (with the ticked purposes); `onOpen(root,
 * view)` is told of each view opened. Positional, like the other factories boot.js calls once: an
 * options object would put every name in the bundle twice.
 */
export function createBanner(doc, config, gpc, nonce, ticks, canClose, onChoice, onOpen = () => {}) {
  const texts = config.texts;
  injectStyles(doc, nonce);

  const inputs = [];
  const purposeRows = config.purposes.map((p, i) => {
    const id = 'cs-p' + i;
    const input = el(doc, 'input', {
      type: 'checkbox',
      id,
      name: 'cs-purpose',
      value: p.key,
      disabled: !p.refusable,
      'aria-describedby': p.description ? id + 'd' : null,
    });
    inputs.push(input);
    return el(
      doc,
      'div',
      { class: 'cs-p' },
      input,
      el(
        doc,
        'div',
        null,
        el(doc, 'label', { for: id }, p.name, !p.refusable && el(doc, 'span', { class: 'cs-on' }, texts.always_on)),
        p.description && el(doc, 'p', { id: id + 'd', class: 'cs-pd' }, p.description),
        cookieList(doc, texts.cookies, (config.declarations || {})[p.key]),
      ),
    );
  });

  const button = (action, text, attrs) => el(doc, 'button', { type: 'button', 'data-cs-action': action, ...attrs }, text);
  const settingsButton = button('settings', texts.settings);
  const saveButton = button('save', texts.save);
  const closeButton = button('close', texts.close, { class: 'cs-x' });
  const prefs = el(doc, 'div', { class: 'cs-prefs', role: 'group', 'aria-label': texts.settings }, ...purposeRows);
  const noticeUrl = webUrl(config.notice.url);

  const root = el(
    doc,
    'div',
    {
      id: 'cs-banner',
      role: 'dialog',
      'aria-labelledby': 'cs-title',
      'aria-describedby': gpc ? 'cs-desc cs-gpc' : 'cs-desc',
      lang: config.language || null,
      tabindex: '-1',
      hidden: true,
    },
    closeButton,
    el(doc, 'h2', { id: 'cs-title' }, texts.title),
    el(
      doc,
      'p',
      { id: 'cs-desc' },
      texts.description,
      noticeUrl && ' ',
      noticeUrl && el(doc, 'a', { href: noticeUrl, target: '_blank', rel: 'noopener' }, texts.notice_link),
    ),
    // "Opt-out request honored" (CCPA Regs. 7025(c)(6)), then what it means.
    gpc && el(doc, 'p', { id: 'cs-gpc' }, el(doc, 'strong', null, texts.gpc_honored), ' ', texts.gpc_active),
    prefs,
    el(
      doc,
      'div',
      { class: 'cs-btns' },
      button('accept-all', texts.accept_all),
      button('reject-all', texts.reject_all),
      settingsButton,
      saveButton,
    ),
  );
  (doc.body || doc.documentElement).append(root);

  let view = null; // null (closed), "main" or "settings"
  let previousFocus = null;

  const focusables = () =>
    Array.from(root.querySelectorAll(FOCUSABLE)).filter((node) => !node.disabled && !node.closest('[hidden]'));

  function open(nextView, focusTarget) {
    if (!view) previousFocus = doc.activeElement;
    const settings = nextView === 'settings';
    if (settings && view !== 'settings') {
      const ticked = ticks();
      for (const input of inputs) input.checked = input.disabled || ticked[input.value] === true;
    }
    view = nextView;
    root.hidden = false;
    root.setAttribute('data-view', view);
    prefs.hidden = !settings;
    settingsButton.hidden = settings;
    saveButton.hidden = !settings;
    closeButton.hidden = !canClose();
    // Modal (and announced as such) only while focus is trapped, i.e. in the Settings view.
    if (settings) root.setAttribute('aria-modal', 'true');
    else root.removeAttribute('aria-modal');
    (focusTarget || (settings && inputs.find((i) => !i.disabled)) || root).focus();
    onOpen(root, view);
  }

  function close() {
    if (!view) return;
    view = null;
    root.hidden = true;
    root.removeAttribute('aria-modal');
    if (previousFocus && previousFocus.isConnected && previousFocus.focus) previousFocus.focus();
    previousFocus = null;
  }

  root.addEventListener('click', (event) => {
    const target = event.target.closest('[data-cs-action]');
    const action = target && target.getAttribute('data-cs-action');
    if (action === 'settings') open('settings');
    else if (action === 'close') close();
    else if (action === 'save') {
      const ticked = {};
      for (const input of inputs) ticked[input.value] = input.checked;
      onChoice('save', ticked);
    } else if (action) onChoice(action);
  });

  root.addEventListener('keydown', (event) => {
    if (event.key === 'Escape') {
      // Escape is never an answer: it leaves Settings for the first layer, and closes only a banner
      // reopened by a visitor who has already chosen.
      if (view === 'settings') open('main', settingsButton);
      else if (canClose()) close();
    } else if (event.key === 'Tab' && view === 'settings') {
      const list = focusables();
      const first = list[0];
      const last = list[list.length - 1];
      const active = doc.activeElement;
      if (event.shiftKey ? active === first || active === root : active === last) {
        event.preventDefault();
        (event.shiftKey ? last : first).focus();
      }
    }
  });

  // A click or script moving focus out of the modal view brings it back.
  doc.addEventListener('focusin', (event) => {
    if (view === 'settings' && !root.contains(event.target)) (focusables()[0] || root).focus();
  });

  return {
    root,
    open,
    close,
    get view() {
      return view;
    },
  };
}
