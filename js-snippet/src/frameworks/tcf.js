/**
 * The TCF v2.3 framework file: loaded lazily by consent.js on properties that enable TCF, it attaches the CMP
 * (src/frameworks/tcf/) to the banner through `ConsentService.attach`.
 */
import { startCmp } from './tcf/cmp.js';

if (window.ConsentService && typeof window.ConsentService.attach === 'function') {
  window.ConsentService.attach('tcf', startCmp);
} else {
  window.console.warn('[consent] tcf: consent.js is missing or too old to attach frameworks');
}
