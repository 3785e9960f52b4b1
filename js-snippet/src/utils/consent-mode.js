/**
 * Google Consent Mode v2, Microsoft UET consent mode and Clarity consent v2: everything denied by
 * default, then an update after each change. Microsoft's signals are Google's under their names, so
 * SIGNALS is the one purpose -> signal table.
 */

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

/**
 * Pushes a `type` ("default" or "update") from `has(purpose)` to Google, after `also(type, signals)`: the
 * framework variant's Microsoft signals (pushMicrosoft), nothing in consent.js.
 */
export function pushConsent(win, type, has, also) {
  const signals = consentSignals(has);
  also(type, signals);
  if (type === 'default') {
    signals.security_storage = 'granted';
    signals.wait_for_update = 500;
  }
  ensureGtag(win)('consent', type, signals);
}

/**
 * UET (`ad_storage`) and Clarity (`ad_Storage`, `analytics_Storage`) when `names` (the tag's or the config's
 * frameworks) list them; Clarity's queue is defined as its own snippet does when absent.
 */
export function pushMicrosoft(win, type, signals, names) {
  if (names.includes('microsoft_uet')) (win.uetq = win.uetq || []).push('consent', type, { ad_storage: signals.ad_storage });
  if (names.includes('clarity')) {
    win.clarity =
      win.clarity ||
      function clarity() {
        (win.clarity.q = win.clarity.q || []).push(arguments);
      };
    win.clarity('consentv2', { ad_Storage: signals.ad_storage, analytics_Storage: signals.analytics_storage });
  }
}

const microsoft = (win, names = []) => (type, signals) => pushMicrosoft(win, type, signals, names);

/** Must run before any tag is activated: tags read the default when they load. */
export const pushDefault = (win, names) => pushConsent(win, 'default', () => false, microsoft(win, names));

export const pushUpdate = (win, has, names) => pushConsent(win, 'update', has, microsoft(win, names));
