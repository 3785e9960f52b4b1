/** Language handling: which language to ask the server for, and filling `{name}` slots in its texts. */

/**
 * The primary subtag to request: the tag's data-lang, else the page's <html lang>, else the
 * browser's first language; '' when none is usable (the server then picks).
 */
export function chooseLanguage(forced, page, browser = []) {
  for (const tag of [forced, page, ...browser]) {
    const primary = String(tag || '').split(/[-_]/)[0].toLowerCase();
    if (/^[a-z]{2,3}$/.test(primary)) return primary;
  }
  return '';
}

/** `template` with each `{key}` replaced by `values[key]`; unknown slots are left as they are. */
export function fill(template, values) {
  return String(template || '').replace(/\{(\w+)\}/g, (slot, key) => (key in values ? values[key] : slot));
}
