/**
 * The framework files (gpp, tcf) a config enables: loaded with SRI, each given the `host` through
 * `ConsentService.attach(name, setup)`, then told of changes, banner views and choices. A file that
 * does not load leaves its stub answering only `ping` (fail closed) and a warning.
 */
import { el } from '../utils/dom.js';

/** `tag` is readTag's result, `state` the visitor's consent, `gpc()` whether GPC is honoured here. */
export function createFrameworks({ win, tag, state, gpc, warn }) {
  const doc = win.document;
  const loading = {}; // name -> a promise settled when its file has run or failed, until it attaches
  const hooks = {}; // 'change', 'contribute', 'open' and ':' + a published key -> [fn]
  const values = {};
  let shown = null; // [banner root, view] last opened

  const on = (key) => (fn) => (hooks[key] = hooks[key] || []).push(fn);
  /** Calls each fn; one broken framework must not break the banner. */
  const emit = (key, ...args) =>
    (hooks[key] || []).map((fn) => {
      try {
        return fn(...args);
      } catch (err) {
        win.console.error(err);
      }
    });

  const host = {
    win,
    doc,
    nonce: tag.nonce,
    config: null, // set before any file can attach
    has: state.has,
    claims: () => state.claims,
    gpc,
    onChange: on('change'),
    contribute: on('contribute'),
    /** fn(root, view) each time a view opens, and at once when the banner is open already. */
    onBannerOpen(fn) {
      on('open')(fn);
      if (shown && !shown[0].hidden) fn(...shown);
    },
    publish(key, value) {
      values[key] = value;
      emit(':' + key, value);
    },
    /** fn(value) on each publish, and at once with the value published before, if any. */
    subscribe(key, fn) {
      on(':' + key)(fn);
      if (key in values) fn(values[key]);
    },
  };

  return {
    /** Loads every file `config.frameworks` gives a `src`; the tag's data-frameworks made the stubs. */
    load(config) {
      host.config = config;
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
    /** ConsentService.attach: only a file this page is loading gets the host, once. */
    attach(name, setup) {
      if (loading[name]) {
        delete loading[name];
        setup(host);
      }
    },
    changed: () => emit('change'),
    opened: (...view) => emit('open', ...(shown = view)),
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
