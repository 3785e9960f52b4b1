/**
 * consent-frameworks.js's part (consent.js builds no-frameworks.js in its place): the IAB stubs and
 * Microsoft's signals the tag's data-frameworks asks for, and the framework files (gpp, tcf) a config enables: loaded with SRI, each attached through
 * `ConsentService.attach(name, setup)`, then told of changes, banner views and choices. A file that
 * does not load leaves its stub answering only `ping` (fail closed) and a warning. Each file makes its
 * `host` from the core's side given here with src/frameworks/host.js, which the build bundles first
 * into every framework file: what only framework files need stays out of this script's budget.
 */
import { el } from '../utils/dom.js';
import { pushMicrosoft } from '../utils/consent-mode.js';
import { installStubs } from '../utils/stubs.js';

/**
 * `tag` is readTag's result, `state` the visitor's consent, `gpc()` whether GPC is honoured here. Installs
 * the stubs at once: the core creates this before it pushes the consent-mode default, before any tag runs.
 */
export function createFrameworks(win, tag, state, gpc, warn) {
  const doc = win.document;
  installStubs(win, tag.frameworks);
  const loading = {}; // name -> a promise settled when its file has run or failed, until it attaches
  const hooks = {}; // 'change', 'contribute', 'open' and ':' + a published key -> [fn]

  const on = (key) => (fn) => (hooks[key] = hooks[key] || []).push(fn);
  // host.js keeps a broken framework's exceptions from the banner: each fn it registers catches them.
  const emit = (key, ...args) => (hooks[key] || []).map((fn) => fn(...args));

  // `shown`: [banner root, view] last opened; `config`: set before any file can attach.
  const core = { win, tag, state, gpc, on, emit, config: null, shown: null };

  return {
    /** pushConsent's `also`: Microsoft's signals follow the config once it is known (the tag's list until then). */
    signal: (type, signals) =>
      pushMicrosoft(win, type, signals, core.config ? Object.keys(core.config.frameworks || {}) : tag.frameworks),
    /** Loads every file `config.frameworks` gives a `src`; the tag's data-frameworks made the stubs. */
    load(config) {
      core.config = config;
      const enabled = config.frameworks || {};
      for (const name in enabled) {
        const { src, integrity } = enabled[name];
        if (!src) continue; // microsoft_uet, clarity: signals only
        if (!tag.frameworks.includes(name)) warn(name + ' not in data-frameworks: no stub');
        const script = el(doc, 'script', { src: tag.api + src, integrity, crossorigin: 'anonymous', nonce: tag.nonce, async: true });
        // The load event comes after the file ran: attached or broken, it is no longer awaited.
        loading[name] = new Promise((resolve) => {
          script.onload = resolve;
          script.onerror = () => resolve(warn(name + ' failed to load'));
        }).then(() => delete loading[name]);
        doc.head.append(script);
      }
    },
    /** ConsentService.attach: only a file this page is loading gets the core's side, once. */
    attach(name, setup) {
      if (loading[name]) {
        delete loading[name];
        setup(core);
      }
    },
    changed: () => emit('change'),
    opened: (...view) => emit('open', ...(core.shown = view)),
    /**
     * The frameworks' additions to a choice's POST body, once those still loading have attached (at
     * most 5 s). `choice` is {action: 'accept'|'reject'|'save', choices}.
     */
    async contribute(choice) {
      const waiting = Object.values(loading);
      if (waiting.length && (await Promise.race([Promise.all(waiting), new Promise((late) => win.setTimeout(late, 5e3, 1))])) === 1) {
        warn(Object.keys(loading) + ' left out of the choice');
      }
      const parts = await Promise.all(emit('contribute', choice).map((part) => Promise.resolve(part).catch(warn)));
      return Object.assign({}, ...parts);
    },
  };
}
