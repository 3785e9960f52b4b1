/**
 * The IAB stubs (`__gpp`, `__tcfapi`) that tags may call before the framework file loads: they queue
 * every call but `ping` for the IAB library's CmpApi (which takes the queue by calling the stub with
 * no arguments and replays it), mark the page with the locator iframe, and pass frames' postMessage
 * calls on to whichever `__gpp` / `__tcfapi` is current (the IAB libraries add no message listener).
 */
import { el } from './dom.js';

/**
 * Installs the stubs of the frameworks `names` lists. A page's own `__gpp` / `__tcfapi` (another CMP's)
 * is kept, with its locator: only a page without one gets ours.
 */
export function installStubs(win, names) {
  const doc = win.document;
  for (const name of names) {
    const gpp = name === 'gpp';
    const api = gpp ? '__gpp' : name === 'tcf' && '__tcfapi';
    if (!api || typeof win[api] === 'function') continue;
    const queue = [];
    win[api] = (...args) => {
      if (!args.length) return queue;
      if (args[0] !== 'ping') queue.push(args);
      else
        args[gpp ? 1 : 2](
          gpp
            ? {
                gppVersion: '1.1',
                cmpStatus: 'stub',
                cmpDisplayStatus: 'hidden',
                signalStatus: 'not ready',
                supportedAPIs: [],
                cmpId: 0,
                sectionList: [],
                applicableSections: [-1],
                gppString: '',
                parsedSections: {},
              }
            : { cmpLoaded: false, cmpStatus: 'stub', apiVersion: '2' },
          true,
        );
    };
    // Before the body exists (an async tag can run that early) the frame goes under <html>, as the banner does.
    (doc.body || doc.documentElement).append(el(doc, 'iframe', { name: api + 'Locator', hidden: true }));
    win.addEventListener('message', (event) => {
      let data = event.data;
      const text = typeof data === 'string';
      try {
        if (text) data = JSON.parse(data);
      } catch {
        return; // someone else's message
      }
      const call = data && data[api + 'Call'];
      const reply = (returnValue, success) => {
        const message = { [api + 'Return']: { returnValue, success, callId: call.callId } };
        event.source.postMessage(text ? JSON.stringify(message) : message, '*');
      };
      if (call) {
        // __gpp(command, callback, parameter, version); __tcfapi(command, version, callback, parameter)
        win[api](...(gpp ? [call.command, reply, call.parameter, call.version] : [call.command, call.version, reply, call.parameter]));
      }
    });
  }
}
