/**
 * The GPP framework file: the IAB's CmpApi takes over the `__gpp` stub (answering its queued calls)
 * and serves the sections of `config.frameworks.gpp`, filled from the visitor's choices and GPC the
 * way the service fills them, refilled after each change; `tcfeuv2` comes from tcf.js's TC string.
 */
import { CmpApi, CmpDisplayStatus, CmpStatus, Sections, SignalStatus } from '@iabgpp/cmpapi';

/**
 * Sets the sections of `gpp` (the config's part) on `cmp`: every `fields` value as given, every
 * `opt_outs` field 2 (did not opt out) when `has(purpose)` else 1, the Gpc subsection for the `gpc`
 * sections, and the TC string as `tcfeuv2` when asked for and known. Returns the sections set.
 */
export function fillSections(cmp, gpp, { has, gpc, tcString }) {
  cmp.clear();
  for (const section of gpp.sections) {
    const fields = (gpp.fields || {})[section] || {};
    for (const field in fields) cmp.setFieldValue(section, field, fields[field]);
    const optOuts = (gpp.opt_outs || {})[section] || {};
    for (const field in optOuts) cmp.setFieldValue(section, field, has(optOuts[field]) ? 2 : 1);
    if ((gpp.gpc || []).includes(section)) {
      cmp.setFieldValue(section, 'GpcSegmentIncluded', true);
      cmp.setFieldValue(section, 'Gpc', gpc);
    }
  }
  const sections = gpp.sections.slice();
  if (gpp.tcfeuv2 && tcString) {
    cmp.setSectionString('tcfeuv2', tcString);
    sections.push('tcfeuv2');
  }
  return sections;
}

const idOf = (name) => [...Sections.SECTION_ID_NAME_MAP].find((entry) => entry[1] === name)[0];

/** Starts the CMP API for `host` (see core/frameworks.js); returns it, for tests. */
export function startGpp(host) {
  const gpp = host.config.frameworks.gpp;
  const tcf = host.config.frameworks.tcf || {};
  const win = host.win;
  // CmpApi answers the stub's queue as it starts, before any section is set: take the queue, give it
  // none, and replay it ourselves: event listeners first, so that they see cmpStatus "loaded", the
  // sections set and signalStatus "ready" as events (GPP's event order); the other calls, in their
  // order, once the sections are filled.
  let queued = [];
  try {
    queued = win.__gpp() || [];
  } catch {
    // a page's own __gpp that is no queue: nothing to replay
  }
  win.__gpp = () => [];
  // The CMP id is the operator's IAB registration, the same for GPP as for TCF (0 until registered).
  const cmp = new CmpApi(gpp.cmp_id || tcf.cmp_id || 0, gpp.cmp_version || tcf.cmp_version || 0, {
    // GPP 1.0's command, still called by older tags: the string and what applies, as 1.0 gave them.
    getGPPData: (callback) =>
      callback(
        {
          gppVersion: '1.1',
          gppString: cmp.getGppString(),
          applicableSections: cmp.getApplicableSections(),
          parsedSections: cmp.getObject(),
        },
        true,
      ),
  });
  let tcString = null;
  let filled = [];
  const names = gpp.tcfeuv2 ? [...gpp.sections, 'tcfeuv2'] : gpp.sections;
  cmp.setSupportedAPIs(names.map((name) => idOf(name) + ':' + name));
  cmp.setApplicableSections(gpp.applicable && gpp.applicable.length ? gpp.applicable : [-1]);

  /** Per the GPP CMP API: signalStatus "not ready", the section changes, then "ready". */
  function refill() {
    cmp.setSignalStatus(SignalStatus.NOT_READY);
    try {
      const before = new Map(filled.map((name) => [name, cmp.getSectionString(name)]));
      filled = fillSections(cmp, gpp, { has: host.has, gpc: host.gpc(), tcString });
      for (const name of new Set([...before.keys(), ...filled])) {
        if (!filled.includes(name) || before.get(name) !== cmp.getSectionString(name)) cmp.fireSectionChange(name);
      }
    } catch (err) {
      win.console.warn('[consent] GPP sections not set: ' + err.message);
      cmp.setCmpStatus(CmpStatus.ERROR);
      return;
    }
    cmp.setSignalStatus(SignalStatus.READY);
  }

  if (!Array.isArray(queued)) queued = [];
  const listens = (args) => /EventListener$/.test(args[0]);
  for (const args of queued.filter(listens)) win.__gpp(...args);
  cmp.setCmpStatus(CmpStatus.LOADED);
  refill();
  for (const args of queued.filter((args) => !listens(args))) win.__gpp(...args);
  host.onChange(refill);
  host.subscribe('tc_string', (value) => {
    tcString = value;
    if (gpp.tcfeuv2) refill();
  });
  // The banner's dialog hides itself (the hidden attribute) when closed: visible while a view is open.
  host.onBannerOpen((root) => {
    cmp.setCmpDisplayStatus(CmpDisplayStatus.VISIBLE);
    if (root.csGpp) return;
    root.csGpp = new win.MutationObserver(() => {
      if (root.hidden) cmp.setCmpDisplayStatus(CmpDisplayStatus.HIDDEN);
    });
    root.csGpp.observe(root, { attributes: true, attributeFilter: ['hidden'] });
  });
  return cmp;
}

if (typeof window !== 'undefined' && window.ConsentService) window.ConsentService.attach('gpp', startGpp);
