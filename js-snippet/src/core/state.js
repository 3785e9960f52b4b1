/** The visitor's current consent: the effective decision per purpose, the token proving it, and who listens. */

export const NECESSARY = 'necessary';

export function createState() {
  let token = null;
  let claims = null;
  let decisions = {}; // purpose -> boolean, from the token (or narrowed after a failed save)
  let shown = []; // the config's purposes, once known
  const listeners = [];

  /** Effective decision: necessary and the config's non-refusable purposes are always on. */
  function has(purpose) {
    if (purpose === NECESSARY) return true;
    const known = shown.find((p) => p.key === purpose);
    return known && !known.refusable ? true : decisions[purpose] === true;
  }

  /** Every purpose this page knows of, with its effective decision. */
  function purposes() {
    const all = {};
    for (const key of [NECESSARY, ...shown.map((p) => p.key), ...Object.keys(decisions)]) all[key] = has(key);
    return all;
  }

  return {
    has,
    purposes,
    get token() {
      return token;
    },
    get claims() {
      return claims;
    },
    /** Adopts a token (null to forget it) and the decisions in its claims. */
    adopt(nextToken, nextClaims) {
      token = nextToken;
      claims = nextClaims;
      decisions = {};
      const granted = (nextClaims && nextClaims.purposes) || {};
      for (const key in granted) if (typeof granted[key] === 'boolean') decisions[key] = granted[key];
    },
    /**
     * Applies only the refusals among `choices` (used when a choice could not be recorded: a
     * refusal is always safe to honour, a grant needs the server's receipt). True if anything
     * that was allowed no longer is.
     */
    narrow(choices) {
      let withdrawn = false;
      for (const key in choices) {
        if (!choices[key] && decisions[key]) {
          decisions[key] = false;
          withdrawn = true;
        }
      }
      return withdrawn;
    },
    show(configPurposes) {
      shown = configPurposes;
    },
    on(fn) {
      listeners.push(fn);
      return () => listeners.splice(listeners.indexOf(fn) >>> 0, 1);
    },
    /** Tells the `on("change")` listeners, then the page (`consent:change` on document). */
    emit(win) {
      const detail = { purposes: purposes() };
      for (const fn of listeners.slice()) {
        try {
          fn(detail);
        } catch (err) {
          win.console.error(err); // one broken listener must not keep the others (or the page) uninformed
        }
      }
      win.document.dispatchEvent(new win.CustomEvent('consent:change', { detail }));
    },
  };
}
