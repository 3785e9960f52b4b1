import assert from 'node:assert/strict';
import test from 'node:test';
import { CSS, injectStyles } from '../src/core/styles.js';
import { makeWindow } from './harness.js';

/** Every selector of every rule, @media blocks included. */
function selectors(css) {
  const found = [];
  const rule = /([^{}@]+)\{[^{}]*\}/g;
  for (let match; (match = rule.exec(css)); ) found.push(...match[1].split(',').map((s) => s.trim()));
  return found;
}

test('every rule is scoped to the banner or the placeholder, so nothing leaks into the page', () => {
  const all = selectors(CSS);
  assert.ok(all.length > 20);
  for (const selector of all) assert.match(selector, /^(#cs-banner|\.cs-ph)\b/, selector);
});

test('focus is always visible and buttons share one style', () => {
  assert.match(CSS, /#cs-banner :focus-visible[^{]*\{\s*outline: 3px solid/);
  assert.doesNotMatch(CSS, /data-cs-action/, 'no button is styled differently from the others by its action');
});

test('the stylesheet is injected once, carrying the nonce', async () => {
  const { doc, close } = makeWindow();
  injectStyles(doc, 'r4nd0m');
  injectStyles(doc, 'r4nd0m');
  const styles = doc.querySelectorAll('style');
  assert.equal(styles.length, 1);
  assert.equal(styles[0].getAttribute('nonce'), 'r4nd0m');
  assert.equal(styles[0].textContent, CSS);
  await close();
});

test('without a nonce the style has no nonce attribute', async () => {
  const { doc, close } = makeWindow();
  injectStyles(doc, '');
  assert.equal(doc.querySelector('style').hasAttribute('nonce'), false);
  await close();
});
