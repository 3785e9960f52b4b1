// TC strings made by @iabtechlabtcf/core and GPP strings made by @iabgpp/cmpapi, with the values this script
// set, as JSON on stdout: test_iab_strings.py decodes each in Python, checks the values and re-encodes it.
// The GVL is our own synthetic one (a handful of vendors, some with large ids so that range encoding appears).
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const modules = path.resolve(here, '..', '..', 'js-snippet', 'node_modules');
const load = (relative) => import(pathToFileURL(path.join(modules, relative)).href);

const tcf = await load('@iabtechlabtcf/core/lib/mjs/index.js');
// The GPP CmpApi installs itself on window.__gpp: give it a window with a stub to replace, as a page has.
globalThis.window = globalThis;
window.__gpp = () => [];
const gppLib = await load('@iabgpp/cmpapi/lib/mjs/index.js');

// A deterministic generator, so every run prints the same strings (the dates are fixed too).
let seed = 21;
const random = () => {
  seed = (seed * 1103515245 + 12345) % 2147483648;
  return seed / 2147483648;
};
const pick = (items, chance = 0.5) => items.filter(() => random() < chance);
const choice = (items) => items[Math.floor(random() * items.length)];

const named = (ids) => Object.fromEntries(ids.map((id) => [id, { id, name: `Item ${id}`, description: `Item ${id}.`, illustrations: [] }]));
const vendor = (id, purposes, legIntPurposes, flexiblePurposes, specialPurposes, features, specialFeatures) => ({
  id, name: `Vendor ${id}`, purposes, legIntPurposes, flexiblePurposes, specialPurposes, features, specialFeatures,
  cookieMaxAgeSeconds: 86400, usesCookies: true, cookieRefresh: false, usesNonCookieAccess: false,
  deviceStorageDisclosureUrl: `https://vendor${id}.example/devices.json`, dataRetention: { stdRetention: 30, purposes: {}, specialPurposes: {} },
  dataDeclaration: [1], urls: [{ langId: 'en', privacy: `https://vendor${id}.example/privacy`, legIntClaim: `https://vendor${id}.example/li` }],
});
const VENDORS = [
  vendor(1, [1, 2, 3, 4], [7, 8], [2, 7], [1], [1], [1]),
  vendor(2, [1, 3, 5], [], [], [2], [], [2]),
  vendor(8, [], [2, 7, 9, 10], [2], [1], [2], []),
  vendor(10, [1, 2, 7, 9, 10], [], [2, 7], [], [1, 2], [1, 2]),
  vendor(25, [1], [10, 11], [10], [2], [], []),
  vendor(91, [1, 3, 4], [2], [2], [], [3], [2]),
  vendor(755, [1, 2, 3, 4, 7, 9, 10], [8, 11], [2, 7, 8], [1, 2], [1, 2, 3], [1, 2]),
  vendor(1200, [1, 4], [2], [2], [1], [], []),
  vendor(1201, [1], [], [], [], [], []),
  vendor(2100, [1, 2, 3], [7], [7], [2], [1], [1]),
];
const GVL_JSON = {
  gvlSpecificationVersion: 3, vendorListVersion: 77, tcfPolicyVersion: 5, lastUpdated: '2026-11-26T16:00:00Z',
  purposes: named([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11]), specialPurposes: named([1, 2, 3]), features: named([1, 2, 3]),
  specialFeatures: named([1, 2]), stacks: {}, dataCategories: named([1, 2, 3]),
  vendors: Object.fromEntries(VENDORS.map((v) => [v.id, v])),
};
const VENDOR_IDS = VENDORS.map((v) => v.id);
const WITH_PURPOSES = VENDORS.filter((v) => v.purposes.length > 0).map((v) => v.id);
const WITH_LI = VENDORS.filter((v) => v.legIntPurposes.length > 0).map((v) => v.id);
// Purposes 1, 3, 4, 5 and 6 can never rest on legitimate interest (TCF Policy): the library drops them.
const LI_PURPOSES = [2, 7, 8, 9, 10, 11];

const sorted = (values) => [...values].sort((a, b) => a - b);
const ids = (vector) => sorted([...vector.values()]);

function tcString(index) {
  const gvl = new tcf.GVL(structuredClone(GVL_JSON), { language: index % 3 === 0 ? 'de' : 'en' });
  const model = new tcf.TCModel(gvl);
  // The library refuses cmpId 0 and 1 (unregistered): a CMP without an id leaves the default, 0.
  const cmpId = [0, 7, 300, 4095][index % 4];
  if (cmpId > 1) model.cmpId = cmpId;
  model.cmpVersion = [0, 1, 12, 4000][(index + 1) % 4];
  model.consentScreen = index % 7;
  model.publisherCountryCode = choice(['DE', 'FR', 'GB', 'AA', 'ZZ']);
  model.isServiceSpecific = index % 4 !== 3;
  model.useNonStandardTexts = index % 5 === 1;
  model.purposeOneTreatment = index % 6 === 2;
  model.created = new Date(Date.UTC(2026, index % 12, 1 + index, index % 24, 30, 15, 100 * (index % 10)));
  model.lastUpdated = new Date(model.created.getTime() + index * 3600 * 1000);
  const reject = index % 5 === 0;
  const purposes = reject ? [] : pick([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11], 0.6);
  const purposeLI = reject ? [] : pick(LI_PURPOSES, 0.6);
  let vendorConsents = reject ? [] : pick(WITH_PURPOSES, 0.5);
  if (index % 4 === 1) vendorConsents = [1200];  // one large id alone: a range list is shorter
  if (index % 4 === 2) vendorConsents = WITH_PURPOSES;  // every vendor: ids 1200-1201 as a range
  const vendorLI = reject ? [] : pick(WITH_LI, 0.6);
  const specialFeatures = reject ? [] : pick([1, 2], 0.5);
  const disclosed = index % 2 === 0 ? VENDOR_IDS : pick(VENDOR_IDS, 0.5);
  model.purposeConsents.set(purposes);
  model.purposeLegitimateInterests.set(purposeLI);
  model.vendorConsents.set(vendorConsents);
  model.vendorLegitimateInterests.set(vendorLI);
  model.specialFeatureOptins.set(specialFeatures);
  model.vendorsDisclosed.set(disclosed);
  if (index % 3 !== 2) {
    const types = [tcf.RestrictionType.NOT_ALLOWED, tcf.RestrictionType.REQUIRE_CONSENT, tcf.RestrictionType.REQUIRE_LI];
    for (const [vendorId, purposeId] of pick([[1, 2], [8, 2], [10, 7], [755, 8], [1200, 2], [91, 2], [2100, 7], [755, 2]], 0.6)) {
      model.publisherRestrictions.add(vendorId, new tcf.PurposeRestriction(purposeId, choice(types)));
    }
  }
  const publisher = {
    consents: reject ? [] : pick([1, 2, 3, 4, 7, 9, 10], 0.5),
    legitimate_interests: reject ? [] : pick([2, 7, 9, 10], 0.5),
    custom_purposes: index % 3,
  };
  publisher.custom_consents = reject ? [] : pick([1, 2].slice(0, publisher.custom_purposes), 0.5);
  publisher.custom_legitimate_interests = reject ? [] : pick([1, 2].slice(0, publisher.custom_purposes), 0.5);
  model.publisherConsents.set(publisher.consents);
  model.publisherLegitimateInterests.set(publisher.legitimate_interests);
  model.numCustomPurposes = publisher.custom_purposes;
  model.publisherCustomConsents.set(publisher.custom_consents);
  model.publisherCustomLegitimateInterests.set(publisher.custom_legitimate_interests);
  const string = tcf.TCString.encode(model);
  const restrictions = model.publisherRestrictions.getRestrictions().map((restriction) => ({
    purpose: restriction.purposeId, restriction_type: restriction.restrictionType,
    vendors: sorted(model.publisherRestrictions.getVendors(restriction)),
  }));
  return {
    string,
    gvl_vendor_ids: VENDOR_IDS,
    expect: {
      version: 2, created_ms: model.created.getTime(), last_updated_ms: model.lastUpdated.getTime(),
      cmp_id: model.cmpId, cmp_version: model.cmpVersion, consent_screen: model.consentScreen,
      consent_language: index % 3 === 0 ? 'DE' : 'EN', vendor_list_version: 77, policy_version: 5,
      is_service_specific: model.isServiceSpecific, use_non_standard_texts: model.useNonStandardTexts,
      special_feature_optins: sorted(specialFeatures), purpose_consents: sorted(purposes),
      purpose_legitimate_interests: sorted(purposeLI), purpose_one_treatment: model.purposeOneTreatment,
      publisher_country_code: model.publisherCountryCode, vendor_consents: sorted(vendorConsents),
      vendor_legitimate_interests: sorted(vendorLI), publisher_restrictions: restrictions,
      disclosed_vendors: sorted(disclosed), publisher_tc: model.isServiceSpecific ? publisher : null,
    },
  };
}

// The US sections, with the fields each has besides Version/MspaVersion (spelled as the library does).
const NOTICES = ['SharingNotice', 'ProcessingNotice', 'SaleOptOutNotice', 'SharingOptOutNotice',
  'TargetedAdvertisingOptOutNotice', 'SensitiveDataProcessingOptOutNotice', 'SensitiveDataLimitUseNotice',
  'SensitiveDataOptOutNotice'];
const OPT_OUTS = ['SaleOptOut', 'SharingOptOut', 'TargetedAdvertisingOptOut', 'PersonalDataConsents',
  'AdditionalDataProcessingConsent', 'MspaOptOutOptionMode', 'MspaServiceProviderMode', 'MspaMode'];
const US_SECTIONS = ['usnat', 'usca', 'usva', 'usco', 'usut', 'usct', 'usfl', 'usmt', 'usor', 'ustx', 'usde', 'usia',
  'usne', 'usnh', 'usnj', 'ustn', 'usmn', 'usmd', 'usin', 'usky', 'usri'];

function gppString(index, tcStrings) {
  const api = new gppLib.CmpApi(7, 3);
  const sections = index === 0 ? US_SECTIONS : [...new Set(['usnat', ...pick(US_SECTIONS, 0.2)])];
  if (index % 5 === 4) sections.splice(0, 1);  // some strings without usnat
  const set = {};
  const left = {};  // per section, the fields of a subsection left out
  for (const section of sections) {
    api.setFieldValue(section, 'SaleOptOutNotice', 0);  // every US section has it: creates the section
    const fields = Object.keys(api.getSection(section));
    set[section] = {};
    left[section] = [];
    const given = (field, value) => {
      if (!fields.includes(field)) return;
      api.setFieldValue(section, field, value);
      set[section][field] = value;
    };
    for (const field of NOTICES) given(field, choice([0, 1, 2]));
    for (const field of OPT_OUTS) given(field, choice([0, 1, 2]));
    given('MspaCoveredTransaction', choice([1, 2]));
    const current = api.getSection(section);
    const sensitive = current.SensitiveDataProcessing;
    if (Array.isArray(sensitive)) given('SensitiveDataProcessing', sensitive.map(() => choice([0, 1, 2])));
    const child = current.KnownChildSensitiveDataConsents;
    given('KnownChildSensitiveDataConsents', Array.isArray(child) ? child.map(() => choice([0, 1, 2])) : choice([0, 1, 2]));
    if (['usin', 'usky', 'usri'].includes(section)) {
      // Their Sensitive Data Consents subsection: in, or left out.
      api.setFieldValue(section, 'SensitiveDataConsentSegmentIncluded', index % 2 === 0);
      if (index % 2 !== 0) left[section].push('SensitiveDataProcessing');
    }
    if (fields.includes('Gpc')) {
      // Gpc on, off, or the Gpc subsection left out.
      const mode = (index + section.length) % 3;
      api.setFieldValue(section, 'GpcSegmentIncluded', mode !== 2);
      if (mode !== 2) given('Gpc', mode === 0);
      else left[section].push('Gpc');
    }
  }
  let tcString = null;
  if (index % 3 === 1 || sections.length === 0) {
    // The GPP library re-encodes the TC string and refuses a globally scoped one (isServiceSpecific false).
    tcString = tcStrings.filter((made) => made.expect.is_service_specific)[index % 12].string;
    api.setSectionString('tcfeuv2', tcString);
  }
  const string = api.getGppString();
  const object = api.getObject();
  const fields = {};
  for (const section of sections) {
    fields[section] = Object.fromEntries(Object.entries(object[section])
      .filter(([name]) => !['GpcSegmentType', 'GpcSegmentIncluded', 'SensitiveDataConsentSegmentIncluded'].includes(name))
      .filter(([name]) => !left[section].includes(name)));
    for (const name of left[section]) delete set[section][name];
  }
  return { string, set, fields, tc_string: tcString, section_ids: api.getSectionIds?.() ?? null };
}

// `--fill`: for each {config, has, gpc, tc_string} on stdin (config: gpp.banner_config's answer), the GPP
// string the library makes when a section is filled as the banner fills it: every field as given, every
// opt-out 2 where has(purpose) else 1, Gpc where the section is in config.gpc, the TC string as tcfeuv2.
function filled({ config, has, gpc, tc_string: tcString }) {
  const api = new gppLib.CmpApi(7, 3);
  for (const section of config.sections) {
    for (const [field, value] of Object.entries(config.fields[section])) api.setFieldValue(section, field, value);
    for (const [field, purpose] of Object.entries(config.opt_outs[section])) {
      api.setFieldValue(section, field, has.includes(purpose) ? 2 : 1);
    }
    if (config.gpc.includes(section)) api.setFieldValue(section, 'Gpc', gpc);
  }
  if (tcString) api.setSectionString('tcfeuv2', tcString);
  return api.getGppString();
}

if (process.argv[2] === '--fill') {
  let input = '';
  for await (const chunk of process.stdin) input += chunk;
  process.stdout.write(JSON.stringify(JSON.parse(input).map(filled)));
} else {
  const tcStrings = Array.from({ length: 24 }, (_, index) => tcString(index));
  const gppStrings = Array.from({ length: 24 }, (_, index) => gppString(index, tcStrings));
  process.stdout.write(JSON.stringify({ tcf: tcStrings, gpp: gppStrings }, null, 1));
}
