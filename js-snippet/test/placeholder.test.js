import assert from 'node:assert/strict';
import test from 'node:test';
import { createPlaceholder } from '../src/core/placeholder.js';
import { makeConfig, makeWindow } from './harness.js';

function frameWith(doc, attrs) {
  const frame = doc.createElement('iframe');
  for (const name in attrs) frame.setAttribute(name, attrs[name]);
  doc.body.append(frame);
  return frame;
}

test('names the blocked purposes and loads them on request', async () => {
  const { doc, close } = makeWindow();
  const asked = [];
  const box = createPlaceholder(doc, makeConfig(), '', frameWith(doc, {}), ['advertising', 'analytics'], (purposes) =>
    asked.push(purposes),
  );
  assert.equal(box.className, 'cs-ph');
  assert.equal(box.querySelector('p').textContent, 'This content is blocked until you allow Advertising, Analytics.');
  const button = box.querySelector('button[data-cs-action="load-content"]');
  assert.equal(button.textContent, 'Load this content');
  button.click();
  assert.deepEqual(asked, [['advertising', 'analytics']]);
  assert.ok(doc.getElementById('cs-style'), 'its styles are injected');
  await close();
});

test('takes the iframe\'s size where known', async () => {
  const { doc, close } = makeWindow();
  const make = (attrs) =>
    createPlaceholder(doc, makeConfig(), '', frameWith(doc, attrs), ['x'], () => {});
  const sized = make({ width: '560', height: '315' });
  assert.equal(sized.style.width, '560px');
  assert.equal(sized.style.height, '315px');
  assert.equal(make({ width: '100%' }).style.width, '100%');
  const unsized = make({ width: 'expression(alert(1))' });
  assert.equal(unsized.style.width, '');
  assert.equal(unsized.querySelector('p').textContent, 'This content is blocked until you allow x.');
  await close();
});
