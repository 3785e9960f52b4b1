import assert from 'node:assert/strict';
import test from 'node:test';
import { createBlocker, purposesOf } from '../src/utils/scripts.js';
import { makeWindow, settle } from './harness.js';

/** A page with `html`, and a blocker whose allowed purposes are the mutable set `allowed`. */
function setup(html, { nonce = 'n0nce' } = {}) {
  const page = makeWindow({ html });
  const allowed = new Set();
  const blocker = createBlocker(page.doc, nonce, (ps) => ps.every((p) => allowed.has(p)));
  return { ...page, allowed, blocker };
}

const counter = (name) => `window.${name} = (window.${name} || 0) + 1`;

/**
 * Makes created scripts load as in a browser: a dynamically inserted script always loads
 * asynchronously and its `async` property starts true ("force-async"); happy-dom would load it
 * synchronously. Returns the scripts created, whose `async` property is then a plain value.
 */
function browserLikeLoading(doc) {
  const created = [];
  const createElement = doc.createElement.bind(doc);
  doc.createElement = (tag) => {
    const node = createElement(tag);
    if (tag === 'script') {
      let forceAsync = true;
      Object.defineProperty(node, 'async', { get: () => forceAsync, set: (value) => (forceAsync = value) });
      node.setAttribute('async', '');
      created.push(node);
    }
    return node;
  };
  return created;
}

test('data-consent lists purposes separated by whitespace', async () => {
  const { doc, close } = setup('<script type="text/plain" data-consent=" analytics  advertising "></script>');
  assert.deepEqual(purposesOf(doc.querySelector('script')), ['analytics', 'advertising']);
  await close();
});

test('an inline script runs only once its purpose is allowed, and only once', async () => {
  const { win, doc, allowed, blocker, close } = setup(
    `<script type="text/plain" data-consent="analytics">${counter('__analyticsRan')}</script>`,
  );
  blocker.scan();
  assert.equal(win.__analyticsRan, undefined);
  assert.equal(doc.querySelector('script').type, 'text/plain');
  allowed.add('analytics');
  blocker.scan();
  blocker.scan();
  assert.equal(win.__analyticsRan, 1);
  const live = doc.querySelector('script');
  assert.equal(live.hasAttribute('type'), false); // default type: classic JavaScript
  assert.equal(live.hasAttribute('data-consent'), false);
  assert.equal(live.getAttribute('nonce'), 'n0nce');
  await close();
});

test('an external script becomes a real, ordered script keeping its other attributes', async () => {
  const { doc, allowed, blocker, close } = setup(
    '<script type="text/plain" data-consent="analytics" data-type="module" src="https://cdn.example/a.js" id="ga" class="tag" nonce="stale"></script>',
  );
  browserLikeLoading(doc);
  allowed.add('analytics');
  blocker.scan();
  const live = doc.getElementById('ga');
  assert.equal(live.getAttribute('src'), 'https://cdn.example/a.js');
  assert.equal(live.getAttribute('type'), 'module');
  assert.equal(live.getAttribute('class'), 'tag');
  assert.equal(live.getAttribute('nonce'), 'n0nce');
  assert.equal(live.hasAttribute('data-consent'), false);
  assert.equal(live.hasAttribute('data-type'), false);
  assert.equal(live.async, false);
  assert.equal(doc.querySelectorAll('script').length, 1);
  await close();
});

test('without a nonce none is added', async () => {
  const { doc, allowed, blocker, close } = setup('<script type="text/plain" data-consent="analytics">1</script>', { nonce: '' });
  allowed.add('analytics');
  blocker.scan();
  assert.equal(doc.querySelector('script').hasAttribute('nonce'), false);
  await close();
});

test('an inline script after an external one waits for it to load', async () => {
  const page = makeWindow({
    html:
      '<script type="text/plain" data-consent="analytics" src="https://cdn.example/lib.js"></script>' +
      '<script type="text/plain" data-consent="analytics">window.__order.push("inline")</script>',
    scripts: { 'https://cdn.example/lib.js': 'window.__order.push("lib")' },
  });
  const { win, doc } = page;
  browserLikeLoading(doc);
  const blocker = createBlocker(doc, '', () => true);
  win.__order = [];
  blocker.scan();
  assert.deepEqual(win.__order, [], 'the inline script is held back while lib.js loads');
  await settle();
  assert.deepEqual(win.__order, ['lib', 'inline']);
  await page.close();
});

test('a failed external script does not hold inline scripts back forever', async () => {
  const page = makeWindow({
    html:
      '<script type="text/plain" data-consent="analytics" src="https://cdn.example/missing.js"></script>' +
      `<script type="text/plain" data-consent="analytics">${counter('__after')}</script>`,
  });
  browserLikeLoading(page.doc);
  createBlocker(page.doc, '', () => true).scan();
  await settle();
  assert.equal(page.win.__after, 1);
  await page.close();
});

test('multi-purpose elements need every purpose', async () => {
  const { win, allowed, blocker, close } = setup(
    `<script type="text/plain" data-consent="analytics advertising">${counter('__both')}</script>`,
  );
  allowed.add('analytics');
  blocker.scan();
  assert.equal(win.__both, undefined);
  allowed.add('advertising');
  blocker.scan();
  assert.equal(win.__both, 1);
  await close();
});

test('an empty data-consent stays blocked', async () => {
  const { win, allowed, blocker, close } = setup(`<script type="text/plain" data-consent="">${counter('__empty')}</script>`);
  allowed.add('analytics');
  blocker.scan();
  assert.equal(win.__empty, undefined);
  await close();
});

test('ordinary text/plain scripts without data-consent are left alone', async () => {
  const { doc, allowed, blocker, close } = setup('<script type="text/plain">template</script>');
  allowed.add('analytics');
  blocker.scan();
  assert.equal(doc.querySelector('script').type, 'text/plain');
  await close();
});

test('an iframe gets its src once allowed', async () => {
  const { doc, allowed, blocker, close } = setup(
    '<iframe data-consent="advertising" data-src="https://video.example/embed/1" width="560" height="315"></iframe>',
  );
  const frame = doc.querySelector('iframe');
  blocker.scan();
  assert.equal(frame.hasAttribute('src'), false);
  allowed.add('advertising');
  blocker.scan();
  assert.equal(frame.getAttribute('src'), 'https://video.example/embed/1');
  assert.equal(frame.hasAttribute('data-src'), false);
  await close();
});

test('a blocked iframe is replaced by a placeholder until allowed', async () => {
  const { doc, allowed, blocker, close } = setup(
    '<iframe data-consent="advertising" data-src="https://video.example/embed/1" style="display: block"></iframe>',
  );
  const seen = [];
  blocker.setPlaceholder((frame, purposes) => {
    seen.push(purposes);
    const box = doc.createElement('div');
    box.className = 'box';
    return box;
  });
  const frame = doc.querySelector('iframe');
  blocker.scan();
  blocker.scan();
  assert.deepEqual(seen, [['advertising']], 'one placeholder per iframe');
  assert.equal(frame.previousElementSibling.className, 'box');
  assert.equal(frame.style.display, 'none');
  allowed.add('advertising');
  blocker.scan();
  assert.equal(doc.querySelector('.box'), null);
  assert.equal(frame.style.display, 'block');
  assert.equal(frame.getAttribute('src'), 'https://video.example/embed/1');
  await close();
});

test('elements added later are activated by the observer when already allowed', async () => {
  const { win, doc, allowed, blocker, close } = setup('');
  allowed.add('analytics');
  blocker.observe();
  const late = doc.createElement('script');
  late.type = 'text/plain';
  late.setAttribute('data-consent', 'analytics');
  late.text = counter('__late');
  const wrapper = doc.createElement('div');
  const frame = doc.createElement('iframe');
  frame.setAttribute('data-consent', 'analytics');
  frame.setAttribute('data-src', 'https://maps.example/');
  wrapper.append(frame);
  doc.body.append(late, wrapper);
  await settle();
  assert.equal(win.__late, 1);
  assert.equal(frame.getAttribute('src'), 'https://maps.example/');

  const blocked = doc.createElement('script');
  blocked.type = 'text/plain';
  blocked.setAttribute('data-consent', 'advertising');
  blocked.text = counter('__ads');
  doc.body.append(blocked);
  await settle();
  assert.equal(win.__ads, undefined);
  blocker.scan(); // a later full scan (after a choice) must not rerun __late
  await settle();
  assert.equal(win.__late, 1);
  await close();
});

test('an element seen by both the observer and a scan runs once', async () => {
  const { win, doc, allowed, blocker, close } = setup('');
  allowed.add('analytics');
  blocker.observe();
  const late = doc.createElement('script');
  late.type = 'text/plain';
  late.setAttribute('data-consent', 'analytics');
  late.text = counter('__once');
  doc.body.append(late);
  blocker.scan(); // before the observer's callback
  await settle();
  blocker.scan();
  assert.equal(win.__once, 1);
  await close();
});
