/** `window.ConsentService`: the page's view of the visitor's consent. */

export function createApi(state, show, attach) {
  return Object.freeze({
    /** The current effective decision; "necessary" is always true. */
    has: state.has,
    /** `on("change", fn)`: fn({purposes}) after each change; returns a function that unsubscribes. */
    on(event, fn) {
      if (event !== 'change' || typeof fn !== 'function') throw new TypeError('on("change", fn)');
      return state.on(fn);
    },
    /** Reopens the banner at the Settings view. */
    show,
    /** The raw consent token (JWS) or null. */
    getToken: () => state.token,
    /** For the framework files this page loads: attach(name, setup) calls setup(host). */
    attach,
  });
}
