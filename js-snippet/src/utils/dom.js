/** Builds DOM nodes without HTML parsing: server texts are always inserted as text, never as markup. */

/** `<tag attrs>children</tag>`; string children become text nodes; null/false attributes are skipped. */
export function el(doc, tag, attrs, ...children) {
  const node = doc.createElement(tag);
  for (const name in attrs || {}) {
    const value = attrs[name];
    if (value != null && value !== false) node.setAttribute(name, value === true ? '' : value);
  }
  node.append(...children.filter((c) => c != null && c !== false));
  return node;
}
