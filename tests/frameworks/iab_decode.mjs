// Decodes TC strings with the IAB's own @iabtechlabtcf/core, as a vendor would: one JSON object per string given
// on the command line (the consents, legitimate interests, opt-ins and disclosed vendors, as id lists).
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const modules = path.resolve(here, '..', '..', 'js-snippet', 'node_modules');
const { TCString } = await import(pathToFileURL(path.join(modules, '@iabtechlabtcf/core/lib/mjs/index.js')).href);

const ids = (vector) => {
  const found = [];
  vector.forEach((set, id) => {
    if (set) found.push(id);
  });
  return found;
};

const decoded = process.argv.slice(2).map((value) => {
  const model = TCString.decode(value);
  return {
    cmpId: model.cmpId,
    vendorListVersion: model.vendorListVersion,
    policyVersion: model.policyVersion,
    isServiceSpecific: model.isServiceSpecific,
    purposeConsents: ids(model.purposeConsents),
    purposeLegitimateInterests: ids(model.purposeLegitimateInterests),
    specialFeatureOptins: ids(model.specialFeatureOptins),
    vendorConsents: ids(model.vendorConsents),
    vendorLegitimateInterests: ids(model.vendorLegitimateInterests),
    vendorsDisclosed: ids(model.vendorsDisclosed),
  };
});
console.log(JSON.stringify(decoded));
