/**
 * Script blocking: `<script type="text/plain" data-consent="...">` and `<iframe data-consent data-src>`
 * stay inert until every purpose they list is allowed, including elements added later.
 */

const SELECTOR = 'script[type="text/plain"][data-consent],iframe[data-consent][data-src]';
// Attributes that mark the blocked copy and must not reach the live script. The nonce is
// re-applied from the banner's own tag: browsers hide nonce attribute values from scripts.
const SKIP = ['type', 'data-consent', 'data-type', 'nonce'];

/** The purposes an element waits for; empty means it is malformed and stays blocked. */
export function purposesOf(node) {
  return (node.getAttribute('data-consent') || '').split(/\s+/).filter(Boolean);
}

/**
 * `allowed(purposes)` says whether every listed purpose is allowed now. `placeholder(iframe,
 * purposes)` (set once the texts are known) returns the box shown in place of a blocked iframe.
 */
export function createBlocker(doc, nonce, allowed) {
  const boxes = new Map(); // blocked iframe -> [its placeholder, its previous inline display]
  let placeholder = null;
  let pending = 0; // external scripts still loading
  let loaded = Promise.resolve();

  function activateScript(blocked) {
    const script = doc.createElement('script');
    for (const { name, value } of Array.from(blocked.attributes)) {
      if (!SKIP.includes(name)) script.setAttribute(name, value);
    }
    const type = blocked.getAttribute('data-type');
    if (type) script.setAttribute('type', type);
    if (nonce) script.setAttribute('nonce', nonce);
    const swap = () => blocked.replaceWith(script);
    if (blocked.hasAttribute('src')) {
      // Dynamically inserted scripts run as soon as they load; async=false makes them run in insertion order.
      script.async = false;
      pending++;
      const done = new Promise((resolve) => {
        script.addEventListener('load', resolve);
        script.addEventListener('error', resolve);
      }).then(() => pending--);
      loaded = Promise.all([loaded, done]);
      swap();
    } else {
      script.text = blocked.text;
      // An inline script that follows external ones in the page waits for them, as it would have.
      if (pending) loaded.then(swap);
      else swap();
    }
  }

  function activateFrame(frame) {
    const box = boxes.get(frame);
    if (box) {
      box[0].remove();
      frame.style.display = box[1];
      boxes.delete(frame);
    }
    frame.setAttribute('src', frame.getAttribute('data-src'));
    frame.removeAttribute('data-src');
  }

  function block(frame, purposes) {
    const box = placeholder(frame, purposes);
    boxes.set(frame, [box, frame.style.display]);
    frame.before(box);
    frame.style.display = 'none';
  }

  /**
   * Activates what is now allowed under `root` (default: the whole document); shows placeholders
   * for the rest. Nothing runs twice: an activated script's blocked copy leaves the document
   * (replacing a detached copy is a no-op) and an activated iframe loses its data-src.
   */
  function scan(root = doc) {
    const found = Array.from(root.querySelectorAll(SELECTOR));
    if (root.matches && root.matches(SELECTOR)) found.unshift(root);
    for (const node of found) {
      const purposes = purposesOf(node);
      if (purposes.length && allowed(purposes)) {
        if (node.tagName === 'SCRIPT') activateScript(node);
        else activateFrame(node);
      } else if (node.tagName === 'IFRAME' && placeholder && !boxes.has(node)) {
        block(node, purposes);
      }
    }
  }

  /** Watches for blocked elements added later (by the parser or by other scripts). */
  function observe() {
    const Observer = doc.defaultView.MutationObserver;
    new Observer((records) => {
      for (const record of records) {
        for (const node of record.addedNodes) if (node.nodeType === 1) scan(node);
      }
    }).observe(doc.documentElement, { childList: true, subtree: true });
  }

  function setPlaceholder(make) {
    placeholder = make;
  }

  return { scan, observe, setPlaceholder };
}
