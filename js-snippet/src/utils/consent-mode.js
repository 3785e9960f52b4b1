/** Google Consent Mode v2: everything denied by default, then an update after each choice. */

// Which consent-mode signals each purpose controls. security_storage is always granted.
const SIGNALS = {
  advertising: ['ad_storage', 'ad_user_data', 'ad_personalization'],
  analytics: ['analytics_storage'],
  preferences: ['functionality_storage', 'personalization_storage'],
};

/** The page's gtag, defining Google's stub (which pushes the `arguments` object) when there is none. */
export function ensureGtag(win) {
  win.dataLayer = win.dataLayer || [];
  if (typeof win.gtag !== 'function') {
    win.gtag = function gtag() {
      win.dataLayer.push(arguments);
    };
  }
  return win.gtag;
}

/** Consent-mode signal -> "granted"/"denied", from a `has(purpose)` predicate. */
export function consentSignals(has) {
  const signals = {};
  for (const purpose in SIGNALS) {
    for (const signal of SIGNALS[purpose]) signals[signal] = has(purpose) ? 'granted' : 'denied';
  }
  return signals;
}

/** Must run before any tag is activated: tags read the default when they load. */
export function pushDefault(win) {
  const signals = consentSignals(() => false);
  signals.security_storage = 'granted';
  signals.wait_for_update = 500;
  ensureGtag(win)('consent', 'default', signals);
}

export function pushUpdate(win, has) {
  ensureGtag(win)('consent', 'update', consentSignals(has));
}
