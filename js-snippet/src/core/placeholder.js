/** The box shown in place of a blocked iframe: what is blocked, and a button that allows just that. */
import { el } from '../utils/dom.js';
import { fill } from '../utils/i18n.js';
import { injectStyles } from './styles.js';

// Sizes copied from the iframe's width/height attributes: numbers are pixels, else a CSS length.
const cssLength = (value) => (/^\d+(\.\d+)?$/.test(value) ? value + 'px' : /^\d+(\.\d+)?(px|%|r?em|vw|vh)$/.test(value) ? value : '');

/** `onLoad(purposes)` is called when the visitor asks to load the content. */
export function createPlaceholder(doc, config, nonce, frame, purposes, onLoad) {
  injectStyles(doc, nonce);
  const names = purposes.map((key) => (config.purposes.find((p) => p.key === key) || { name: key }).name);
  const button = el(doc, 'button', { type: 'button', 'data-cs-action': 'load-content' }, config.texts.load_content);
  button.addEventListener('click', () => onLoad(purposes));
  const box = el(
    doc,
    'div',
    { class: 'cs-ph', lang: config.language || null },
    el(doc, 'p', null, fill(config.texts.placeholder, { purpose: names.join(', ') })),
    button,
  );
  const size = (laidOut, attr) => (laidOut ? laidOut + 'px' : cssLength(frame.getAttribute(attr)));
  box.style.width = size(frame.offsetWidth, 'width');
  box.style.height = size(frame.offsetHeight, 'height');
  return box;
}
