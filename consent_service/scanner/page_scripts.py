"""The JavaScript the scanner runs inside pages: who wrote a cookie or storage key, and which keys a frame holds."""

from __future__ import annotations

# Installed in every frame before the page's own scripts. It wraps the `document.cookie` setter and
# `Storage.prototype.setItem` to note, per cookie name and storage key, the URL of the first script that
# wrote it: the first http(s) frame of the call stack (this script's own frames carry the sourceURL
# below, not an http URL). A direct property write (`localStorage.x = 1`) is not seen.
WATCH_WRITERS = r"""
(() => {
  if (Object.prototype.hasOwnProperty.call(window, "__consentScanWriters")) return;
  const writers = { cookies: {}, storage: {} };
  Object.defineProperty(window, "__consentScanWriters", { value: writers, enumerable: false });
  const caller = () => {
    for (const line of String(new Error().stack || "").split("\n")) {
      const found = /(https?:\/\/[^\s()]+?):\d+:\d+\)?\s*$/.exec(line);
      if (found) return found[1];
    }
    return null;
  };
  const note = (table, key) => {
    if (key && !Object.prototype.hasOwnProperty.call(table, key)) table[key] = caller();
  };
  const cookie = Object.getOwnPropertyDescriptor(Document.prototype, "cookie");
  if (cookie && cookie.set && cookie.configurable) {
    Object.defineProperty(Document.prototype, "cookie", {
      configurable: true,
      enumerable: cookie.enumerable,
      get() { return cookie.get.call(this); },
      set(value) {
        const pair = String(value).split(";", 1)[0];
        note(writers.cookies, pair.includes("=") ? pair.slice(0, pair.indexOf("=")).trim() : "");
        cookie.set.call(this, value);
      },
    });
  }
  const setItem = Storage.prototype.setItem;
  Storage.prototype.setItem = function (key, value) {
    let area = "sessionStorage";
    try { if (this === window.localStorage) area = "localStorage"; } catch (blocked) { /* storage denied */ }
    note(writers.storage, area + "\u0000" + String(key));
    return setItem.call(this, key, value);
  };
})();
//# sourceURL=consent-scan-writers.js
"""

# Evaluated in a frame after a page settled: its origin, its storage keys and the writers noted above.
READ_FRAME = r"""
() => {
  const keys = (area) => {
    try { return Object.keys(window[area]); } catch (blocked) { return []; }
  };
  const writers = window.__consentScanWriters || { cookies: {}, storage: {} };
  return {
    origin: location.origin,
    localStorage: keys("localStorage"),
    sessionStorage: keys("sessionStorage"),
    cookieWriters: writers.cookies,
    storageWriters: writers.storage,
  };
}
"""

# The absolute URLs of the page's links, as the browser resolved them.
READ_LINKS = "elements => elements.map(element => element.href)"
