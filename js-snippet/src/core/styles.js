/**
 * All of the banner's CSS, injected once in one <style> (with the CSP nonce). Every rule is scoped
 * to #cs-banner or .cs-ph so nothing leaks into the page. Colours meet WCAG AA: #1a1a1a on #fff is
 * 17.4:1, the white-on-#1a1a1a buttons likewise, the link and focus ring #0b4fb3 7.5:1.
 * The build minifies this string.
 */
import { el } from '../utils/dom.js';

export const CSS = `
#cs-banner {
  all: initial;
  display: block;
  position: fixed;
  z-index: 2147483646;
  left: 50%;
  bottom: 1rem;
  transform: translateX(-50%);
  box-sizing: border-box;
  width: calc(100% - 2rem);
  max-width: 42rem;
  max-height: calc(100vh - 2rem);
  overflow: auto;
  padding: 1.25rem;
  background: #fff;
  color: #1a1a1a;
  border: 1px solid #767676;
  border-radius: .5rem;
  box-shadow: 0 .25rem 1.5rem rgba(0, 0, 0, .3);
  font: 15px/1.5 system-ui, sans-serif;
}
#cs-banner[aria-modal="true"] {
  box-shadow: 0 0 0 100vmax rgba(0, 0, 0, .5);
}
#cs-banner *, .cs-ph * {
  box-sizing: border-box;
  margin: 0;
  padding: 0;
  font: inherit;
  color: inherit;
}
#cs-banner[hidden], #cs-banner [hidden] {
  display: none !important;
}
#cs-banner:focus {
  outline: none;
}
#cs-banner :focus-visible, .cs-ph :focus-visible {
  outline: 3px solid #0b4fb3;
  outline-offset: 2px;
}
#cs-banner h2 {
  font-size: 1.125rem;
  font-weight: 700;
  margin: 0 4rem .5rem 0;
}
#cs-banner p {
  margin-bottom: .75rem;
}
#cs-banner a {
  color: #0b4fb3;
  text-decoration: underline;
}
#cs-banner .cs-btns {
  display: flex;
  flex-wrap: wrap;
  gap: .5rem;
  margin-top: 1rem;
}
#cs-banner button, .cs-ph button {
  flex: 1 1 9rem;
  min-height: 44px;
  padding: .5rem 1rem;
  border: 2px solid #1a1a1a;
  border-radius: .375rem;
  background: #1a1a1a;
  color: #fff;
  font-weight: 600;
  cursor: pointer;
}
#cs-banner button:hover, .cs-ph button:hover {
  background: #333;
}
#cs-banner button.cs-x {
  position: absolute;
  top: .75rem;
  right: .75rem;
  min-height: 0;
  padding: .25rem .5rem;
  background: #fff;
  color: #1a1a1a;
  font-weight: 400;
}
#cs-banner .cs-p {
  display: flex;
  gap: .75rem;
  align-items: flex-start;
  padding: .75rem 0;
  border-top: 1px solid #d0d0d0;
}
#cs-banner input {
  flex: none;
  width: 1.25rem;
  height: 1.25rem;
  margin-top: .125rem;
  accent-color: #1a1a1a;
}
#cs-banner label {
  font-weight: 600;
}
#cs-banner .cs-on {
  margin-left: .5rem;
  font-weight: 400;
  font-size: .875rem;
}
#cs-banner .cs-pd {
  margin: 0;
  font-size: .875rem;
}
#cs-banner .cs-ck {
  margin-top: .25rem;
  font-size: .875rem;
}
#cs-banner .cs-ck p {
  margin: .25rem 0 0;
}
.cs-ph {
  display: flex;
  flex-direction: column;
  align-items: center;
  justify-content: center;
  gap: .75rem;
  box-sizing: border-box;
  max-width: 100%;
  min-height: 8rem;
  padding: 1rem;
  background: #f2f2f2;
  color: #1a1a1a;
  border: 1px solid #767676;
  font: 15px/1.5 system-ui, sans-serif;
  text-align: center;
}
.cs-ph button {
  flex: none;
}
@media (max-width: 30rem) {
  #cs-banner {
    bottom: 0;
    width: 100%;
    max-height: 100vh;
    border-radius: .5rem .5rem 0 0;
  }
  #cs-banner button {
    flex-basis: 100%;
  }
}
`;

/** Adds the stylesheet once per document; `nonce` lets it pass a strict style-src CSP. */
export function injectStyles(doc, nonce) {
  if (doc.getElementById('cs-style')) return;
  (doc.head || doc.documentElement).append(el(doc, 'style', { id: 'cs-style', nonce: nonce || null }, CSS));
}
