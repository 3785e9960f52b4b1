import assert from 'node:assert/strict';
import test from 'node:test';
import { CmpApi as TcfCmpApi } from '@iabtechlabtcf/cmpapi';
import { installStubs } from '../src/utils/stubs.js';
import { makeWindow, settle } from './harness.js';

/** A frame that posted to the page: its replies are collected. */
const frame = () => {
  const replies = [];
  return { replies, postMessage: (message, origin) => replies.push({ message, origin }) };
};

const post = (win, data, source) => win.dispatchEvent(new win.MessageEvent('message', { data, source }));

test('the GPP stub answers ping as a stub and queues every other call in order', async () => {
  const { win, close } = makeWindow();
  installStubs(win, ['gpp']);
  const answers = [];
  win.__gpp('ping', (data, success) => answers.push([data, success]));
  const listener = () => {};
  win.__gpp('addEventListener', listener);
  win.__gpp('getSection', listener, 'usnat');
  assert.equal(answers.length, 1);
  assert.equal(answers[0][1], true);
  assert.equal(answers[0][0].cmpStatus, 'stub');
  assert.equal(answers[0][0].gppVersion, '1.1');
  assert.equal(answers[0][0].signalStatus, 'not ready');
  assert.deepEqual(answers[0][0].applicableSections, [-1]);
  // The queue, as IAB's CmpApi takes it: by calling the stub with no arguments.
  assert.deepEqual(win.__gpp(), [
    ['addEventListener', listener],
    ['getSection', listener, 'usnat'],
  ]);
  await close();
});

test('the TCF stub answers ping with cmpLoaded false and queues the rest', async () => {
  const { win, close } = makeWindow();
  installStubs(win, ['tcf']);
  let pinged = null;
  win.__tcfapi('ping', 2, (data, success) => (pinged = { data, success }));
  const callback = () => {};
  win.__tcfapi('addEventListener', 2, callback);
  assert.deepEqual(pinged, { data: { cmpLoaded: false, cmpStatus: 'stub', apiVersion: '2' }, success: true });
  assert.deepEqual(win.__tcfapi(), [['addEventListener', 2, callback]]);
  assert.equal(win.__gpp, undefined, 'only the frameworks listed get a stub');
  await close();
});

test('each stub adds its locator iframe, once the body exists', async () => {
  const { win, doc, close } = makeWindow();
  installStubs(win, ['gpp', 'tcf', 'clarity']);
  const gpp = doc.querySelector('iframe[name="__gppLocator"]');
  assert.ok(gpp);
  assert.equal(gpp.hidden, true);
  assert.ok(doc.querySelector('iframe[name="__tcfapiLocator"]'));
  assert.equal(doc.querySelectorAll('iframe').length, 2);
  await close();
});

test('a page that has its own __gpp keeps it', async () => {
  const { win, close } = makeWindow();
  const own = () => 'own';
  win.__gpp = own;
  installStubs(win, ['gpp']);
  assert.equal(win.__gpp, own);
  await close();
});

test('postMessage calls from frames: ping is answered at once, others queued, strings answered as strings', async () => {
  const { win, close } = makeWindow();
  installStubs(win, ['gpp', 'tcf']);
  const child = frame();
  post(win, { __gppCall: { command: 'ping', version: '1.1', callId: 7 } }, child);
  post(win, JSON.stringify({ __tcfapiCall: { command: 'ping', version: 2, callId: 'a' } }), child);
  post(win, { __tcfapiCall: { command: 'getTCData', version: 2, parameter: [1, 2], callId: 'b' } }, child);
  post(win, 'not json at all', child);
  post(win, { other: true }, child);
  await settle(5);
  assert.equal(child.replies.length, 2);
  assert.equal(child.replies[0].message.__gppReturn.callId, 7);
  assert.equal(child.replies[0].message.__gppReturn.success, true);
  assert.equal(child.replies[0].message.__gppReturn.returnValue.cmpStatus, 'stub');
  assert.equal(typeof child.replies[1].message, 'string');
  assert.deepEqual(JSON.parse(child.replies[1].message).__tcfapiReturn, {
    returnValue: { cmpLoaded: false, cmpStatus: 'stub', apiVersion: '2' },
    success: true,
    callId: 'a',
  });
  // The queued call, replayed by the full API, answers the frame.
  const [queued] = win.__tcfapi();
  assert.deepEqual([queued[0], queued[1], queued[3]], ['getTCData', 2, [1, 2]]);
  queued[2]({ tcString: 'x' }, true);
  assert.deepEqual(child.replies[2].message, { __tcfapiReturn: { returnValue: { tcString: 'x' }, success: true, callId: 'b' } });
  await close();
});

test("IAB's TCF CmpApi takes the stub's queue and answers every queued call, and frames' calls after", async () => {
  const { win, close } = makeWindow();
  installStubs(win, ['tcf']);
  const answers = [];
  win.__tcfapi('addEventListener', 2, (data, success) => answers.push(['listener', data && data.eventStatus, success]));
  const child = frame();
  post(win, { __tcfapiCall: { command: 'getTCData', version: 2, callId: 1 } }, child);
  await settle(5);
  globalThis.window = win;
  try {
    const cmp = new TcfCmpApi(10, 1, false);
    assert.equal(answers.length, 0, 'queued until the TC data is set');
    cmp.update(null); // GDPR does not apply here
    assert.equal(answers.length, 1);
    assert.equal(answers[0][2], true);
    assert.equal(child.replies.length, 1);
    assert.equal(child.replies[0].message.__tcfapiReturn.success, true);
    assert.equal(child.replies[0].message.__tcfapiReturn.returnValue.gdprApplies, false);
    win.__tcfapi('ping', 2, (data) => answers.push(['ping', data.cmpLoaded]));
    assert.deepEqual(answers[1], ['ping', true]);
    post(win, { __tcfapiCall: { command: 'ping', version: 2, callId: 2 } }, child);
    await settle(5);
    assert.equal(child.replies[1].message.__tcfapiReturn.returnValue.cmpLoaded, true);
  } finally {
    delete globalThis.window;
    await close();
  }
});
