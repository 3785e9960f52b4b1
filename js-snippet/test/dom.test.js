import assert from 'node:assert/strict';
import test from 'node:test';
import { el } from '../src/utils/dom.js';
import { makeWindow } from './harness.js';

test('strings become text, never markup', async () => {
  const { win, doc, close } = makeWindow();
  const node = el(doc, 'p', null, '<img src=x onerror="window.__xss=1">', ' & more');
  doc.body.append(node);
  assert.equal(node.children.length, 0);
  assert.equal(node.textContent, '<img src=x onerror="window.__xss=1"> & more');
  assert.equal(win.__xss, undefined);
  await close();
});

test('attributes: values set, true as empty, null/false skipped; false/null children skipped', async () => {
  const { doc, close } = makeWindow();
  const child = el(doc, 'span', null, 'x');
  const node = el(doc, 'button', { type: 'button', hidden: true, disabled: false, title: null }, child, null, false);
  assert.equal(node.getAttribute('type'), 'button');
  assert.equal(node.getAttribute('hidden'), '');
  assert.equal(node.hasAttribute('disabled'), false);
  assert.equal(node.hasAttribute('title'), false);
  assert.deepEqual(Array.from(node.childNodes), [child]);
  await close();
});
