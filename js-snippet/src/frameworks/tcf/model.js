/**
 * The visitor's TCF state as an IAB TCModel: built from the property's GVL (served in the banner config, never
 * fetched), restored from the TC string last recorded, set by an answer, and encoded with the disclosedVendors
 * segment that TCF v2.3 requires.
 */
import { GVL, Segment, TCModel, TCString } from '@iabtechlabtcf/core';

/** Purposes that may never rest on legitimate interest (purpose 1 always; 3-6 since TCF v2.2). */
export const NO_LI_PURPOSES = [1, 3, 4, 5, 6];

const ids = (map) => Object.keys(map || {}).map(Number);

/**
 * A model that takes any CMP id when decoding: the library refuses ids below 2, but an unregistered service
 * (CMP id 0) must still read back the strings it made.
 */
class DecodedModel extends TCModel {
  set cmpId(integer) {
    this.cmpId_ = Number(integer);
  }
  get cmpId() {
    return this.cmpId_;
  }
}

/** The GVL of the config, in its language (English when the library does not know that language). */
export function createGvl(json, language) {
  try {
    return new GVL(json, { language: language || 'en' });
  } catch {
    return new GVL(json);
  }
}

/**
 * A fresh model for this site (service-specific: the string is stored for this property only) with every
 * vendor the property shows disclosed. The library refuses CMP ids below 2 (IAB-assigned ids start at 2), so an
 * unregistered service leaves the model's 0.
 */
export function createModel(gvl, { cmpId, cmpVersion }) {
  const model = new TCModel(gvl);
  if (cmpId > 1) model.cmpId = cmpId;
  model.cmpVersion = cmpVersion || 0;
  model.isServiceSpecific = true;
  model.setAllVendorsDisclosed();
  return model;
}

/**
 * The model of a recorded TC string when it still fits: made by this CMP id (a string of another, e.g. of
 * this service before it registered, would be refused by vendors and by the service), same TCF policy version,
 * a vendor list not newer than ours, and every vendor shown now disclosed then (a vendor added since was never
 * shown to the visitor). Otherwise (or when it does not decode) null: the visitor is asked again.
 */
export function restore(gvl, tcString, options) {
  if (typeof tcString !== 'string' || !tcString) return null;
  let decoded;
  try {
    decoded = TCString.decode(tcString, new DecodedModel());
  } catch {
    return null;
  }
  const fits =
    decoded.cmpId === (options.cmpId > 1 ? options.cmpId : 0) &&
    decoded.policyVersion === gvl.tcfPolicyVersion &&
    decoded.vendorListVersion <= gvl.vendorListVersion &&
    ids(gvl.vendors).every((id) => decoded.vendorsDisclosed.has(id));
  if (!fits) return null;
  const model = createModel(gvl, options);
  for (const field of ['purposeConsents', 'purposeLegitimateInterests', 'specialFeatureOptins', 'vendorConsents', 'vendorLegitimateInterests']) {
    decoded[field].forEach((on, id) => {
      if (on) model[field].set(id);
    });
  }
  return model;
}

/** Purposes for which some shown vendor declares legitimate interest (and the policy allows it). */
export function liPurposes(gvl) {
  const declared = new Set();
  for (const vendor of Object.values(gvl.vendors)) for (const id of vendor.legIntPurposes || []) declared.add(id);
  return ids(gvl.purposes).filter((id) => declared.has(id) && !NO_LI_PURPOSES.includes(id));
}

/** Vendors whose only declarations are special purposes: their LI signal stays set (policy of June 2021). */
const specialPurposeOnly = (vendor) =>
  !(vendor.purposes || []).length && !(vendor.legIntPurposes || []).length && (vendor.specialPurposes || []).length > 0;

/**
 * Sets `model` to an answer: `grant` true gives every consent, special feature opt-in and legitimate interest;
 * false gives none and objects to every legitimate interest that can be objected to.
 */
export function answerAll(model, grant) {
  const gvl = model.gvl;
  const fields = {
    purposeConsents: ids(gvl.purposes),
    specialFeatureOptins: ids(gvl.specialFeatures),
    purposeLegitimateInterests: liPurposes(gvl),
    vendorConsents: ids(gvl.vendors).filter((id) => (gvl.vendors[id].purposes || []).length > 0),
    vendorLegitimateInterests: ids(gvl.vendors).filter((id) => (gvl.vendors[id].legIntPurposes || []).length > 0),
  };
  for (const field in fields) {
    model[field].empty();
    if (grant) model[field].set(fields[field]);
  }
  for (const id of ids(gvl.vendors)) if (specialPurposeOnly(gvl.vendors[id])) model.vendorLegitimateInterests.set(id);
  return model;
}

/** What the dialog shows a visitor without an answer: no consent given, no legitimate interest objected to. */
export function initialModel(gvl, options) {
  const model = answerAll(createModel(gvl, options), false);
  model.purposeLegitimateInterests.set(liPurposes(gvl));
  model.vendorLegitimateInterests.set(ids(gvl.vendors).filter((id) => (gvl.vendors[id].legIntPurposes || []).length > 0));
  return model;
}

/** A copy to edit (the dialog's draft), sharing the GVL. */
export function copyModel(model) {
  const copy = createModel(model.gvl, { cmpId: model.cmpId, cmpVersion: model.cmpVersion });
  for (const field of ['purposeConsents', 'purposeLegitimateInterests', 'specialFeatureOptins', 'vendorConsents', 'vendorLegitimateInterests']) {
    model[field].forEach((on, id) => {
      if (on) copy[field].set(id);
    });
  }
  return copy;
}

/** Whether any consent (purpose, vendor) or special feature opt-in is given. */
export const grantsConsent = (model) =>
  model.purposeConsents.size + model.vendorConsents.size + model.specialFeatureOptins.size > 0;

/**
 * The TC string of `model`, dated now, with the core and disclosedVendors segments (no publisherTC segment:
 * this CMP asks nothing for the publisher itself). `screen` is 1 for the first layer, 2 for the dialog.
 */
export function encode(model, screen) {
  model.consentScreen = screen;
  model.updated();
  return TCString.encode(model, { segments: [Segment.CORE, Segment.VENDORS_DISCLOSED] });
}
