/**
 * The `host` a framework file's `window.ConsentService.attach(name, setup)` gives `setup`, made from
 * the core's side of it (core/frameworks.js) here rather than in consent.js, whose gzip budget every
 * page pays. The build bundles this module first into every framework file: it wraps
 * `ConsentService.attach` once, so each file gets the same host and one file's `publish` reaches
 * another's `subscribe`.
 */

/**
 * The host: `win`, `doc`, `nonce`, `config` (the whole banner config), `has(purpose)`, `claims()`,
 * `gpc()`, `onChange(fn)`, `contribute(fn)`, `onBannerOpen(fn)` (also called at once when the
 * banner is open already), `publish(key, value)` and `subscribe(key, fn)` (also called at once with
 * the last value published).
 */
export function hostOf(core) {
  if (!core.host) {
    const { win, tag, state, emit } = core;
    // One broken framework must not break the banner (or another framework): its exceptions are logged.
    const guard = (fn) => (...args) => {
      try {
        return fn(...args);
      } catch (err) {
        win.console.error(err);
      }
    };
    const on = (key) => (fn) => core.on(key)(guard(fn));
    const values = {};
    core.host = {
      win,
      doc: win.document,
      nonce: tag.nonce,
      config: core.config,
      has: state.has,
      claims: () => state.claims,
      gpc: core.gpc,
      onChange: on('change'),
      contribute: on('contribute'),
      onBannerOpen(fn) {
        on('open')(fn);
        // A file that attaches while a view is open has missed that view's opening.
        if (core.shown && !core.shown[0].hidden) guard(fn)(...core.shown);
      },
      publish(key, value) {
        values[key] = value;
        emit(':' + key, value);
      },
      // The files load in any order: a subscriber also gets the value published before it subscribed.
      subscribe(key, fn) {
        on(':' + key)(fn);
        if (key in values) guard(fn)(values[key]);
      },
    };
  }
  return core.host;
}

const api = typeof window === 'object' && window.ConsentService;
if (api && !api.attach.host) {
  const attach = (name, setup) => api.attach(name, (core) => setup(hostOf(core)));
  attach.host = true;
  // Page code holding the earlier object still works: the same functions but attach.
  window.ConsentService = Object.freeze({ ...api, attach });
}
