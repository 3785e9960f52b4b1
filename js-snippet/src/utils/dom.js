/** Builds DOM nodes without HTML parsing: server texts are always inserted as text, never as markup. */

const present = (value) => value != null && value !== false;

/** `<tag attrs>children</tag>`; string children become text nodes; null/false attributes are skipped. */
export function el(doc, tag, attrs, ...children) {
  const node = doc.createElement(tag);
  for (const name in attrs || {}) {
    const value = attrs[name];
    if (present(value)) node.setAttribute(name, value === true ? '' : value);
  }
  node.append(...children.filter(present));
  return node;
}
