/**
 * consent.js's stand-in for frameworks.js (the build swaps it in): no IAB stub, no Microsoft signal, no
 * framework file. A tag or a config that asks for frameworks gets a warning naming the script that has
 * them, and nothing else changes: frameworks only add signals, the visitor's decisions stay the same.
 */

const none = () => {};

/** The same interface as frameworks.js's createFrameworks. */
export function createFrameworks(win, tag, state, gpc, warn) {
  const refuse = (names) => names.length && warn('frameworks ' + names + ' off: load consent-frameworks.js');
  refuse(tag.frameworks);
  return {
    signal: none,
    load: (config) => refuse(Object.keys(config.frameworks || {}).filter((name) => !tag.frameworks.includes(name))),
    attach: none,
    changed: none,
    opened: none,
    contribute: async () => ({}),
  };
}
