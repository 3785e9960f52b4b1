/**
 * The CSS of the TCF layer, injected once with the CSP nonce. The layer lives inside #cs-banner, so it inherits
 * the banner's fonts, colours, buttons and focus ring; these rules only add the list layout and hide the
 * banner's own content while the layer is open.
 */
import { el } from '../../utils/dom.js';

export const CSS = `
#cs-banner.cs-tcf-open > :not(.cs-tcf) {
  display: none !important;
}
#cs-banner.cs-tcf-open {
  box-shadow: 0 0 0 100vmax rgba(0, 0, 0, .5);
}
#cs-banner .cs-tcf:focus {
  outline: none;
}
#cs-banner .cs-tcf h3 {
  font-size: 1rem;
  font-weight: 700;
  margin: 1rem 0 .25rem;
}
#cs-banner .cs-tcf-row {
  padding: .5rem 0;
  border-top: 1px solid #d0d0d0;
}
#cs-banner .cs-tcf-row > b, #cs-banner .cs-tcf summary {
  font-weight: 600;
}
#cs-banner .cs-tcf-row p, #cs-banner .cs-tcf-row li {
  margin: .25rem 0 0;
  font-size: .875rem;
}
#cs-banner .cs-tcf-row ul {
  padding-left: 1.25rem;
}
#cs-banner .cs-tcf-sw {
  display: flex;
  gap: .5rem;
  align-items: center;
  margin-top: .25rem;
  font-size: .875rem;
}
#cs-banner .cs-tcf-sw label {
  font-weight: 400;
}
#cs-banner .cs-tcf-links a + a {
  margin-left: .75rem;
}
#cs-banner .cs-tcf-first {
  font-size: .875rem;
}
`;

/** Adds the stylesheet once per document; `nonce` lets it pass a strict style-src CSP. */
export function injectStyles(doc, nonce) {
  if (doc.getElementById('cs-tcf-style')) return;
  (doc.head || doc.documentElement).append(el(doc, 'style', { id: 'cs-tcf-style', nonce: nonce || null }, CSS));
}
