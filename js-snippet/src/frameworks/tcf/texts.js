/**
 * The few UI labels of the TCF layer that the GVL does not carry, in en/de/fr. As with the banner, the config
 * has the last word: `frameworks.tcf.texts` overrides any label; a label missing in a language is English.
 */

const EN = {
  intro: 'We and our {count} partners store and access information on your device and process personal data for these purposes: {purposes}.',
  li_note: 'Some partners rely on legitimate interest instead of consent; you can object under "{button}".',
  partners: 'Partners and purposes ({count})',
  title: 'Partners and purposes',
  purposes: 'Purposes',
  special_purposes: 'Special purposes',
  features: 'Features',
  special_features: 'Special features',
  vendors: 'Partners',
  info_only: 'These apply without a choice; they are listed so you know about them.',
  consent: 'Consent',
  legitimate_interest: 'Legitimate interest (untick to object)',
  opt_in: 'Allow',
  vendor_consent: 'Consent to purposes: {list}',
  vendor_li: 'Legitimate interest for purposes: {list}',
  vendor_special_purposes: 'Special purposes: {list}',
  vendor_features: 'Features: {list}',
  vendor_special_features: 'Special features: {list}',
  retention: 'Keeps data for {days} days',
  data_categories: 'Data collected: {list}',
  privacy_policy: 'Privacy policy',
  li_claim: 'Legitimate interest claim',
  vendor_count: '{count} partners',
};

const LABELS = {
  en: EN,
  de: {
    intro: 'Wir und unsere {count} Partner speichern Informationen auf Ihrem Gerät, greifen darauf zu und verarbeiten personenbezogene Daten für diese Zwecke: {purposes}.',
    li_note: 'Einige Partner stützen sich statt auf Einwilligung auf berechtigtes Interesse; Sie können unter „{button}“ widersprechen.',
    partners: 'Partner und Zwecke ({count})',
    title: 'Partner und Zwecke',
    purposes: 'Zwecke',
    special_purposes: 'Besondere Zwecke',
    features: 'Funktionen',
    special_features: 'Besondere Funktionen',
    vendors: 'Partner',
    info_only: 'Diese gelten ohne Auswahl; sie sind zu Ihrer Information aufgeführt.',
    consent: 'Einwilligung',
    legitimate_interest: 'Berechtigtes Interesse (zum Widerspruch abwählen)',
    opt_in: 'Erlauben',
    vendor_consent: 'Einwilligung für Zwecke: {list}',
    vendor_li: 'Berechtigtes Interesse für Zwecke: {list}',
    vendor_special_purposes: 'Besondere Zwecke: {list}',
    vendor_features: 'Funktionen: {list}',
    vendor_special_features: 'Besondere Funktionen: {list}',
    retention: 'Speichert Daten {days} Tage',
    data_categories: 'Erhobene Daten: {list}',
    privacy_policy: 'Datenschutzerklärung',
    li_claim: 'Erklärung zum berechtigten Interesse',
    vendor_count: '{count} Partner',
  },
  fr: {
    intro: 'Nos {count} partenaires et nous stockons et consultons des informations sur votre appareil et traitons des données personnelles pour ces finalités : {purposes}.',
    li_note: 'Certains partenaires se fondent sur l’intérêt légitime plutôt que sur le consentement ; vous pouvez vous y opposer sous « {button} ».',
    partners: 'Partenaires et finalités ({count})',
    title: 'Partenaires et finalités',
    purposes: 'Finalités',
    special_purposes: 'Finalités spéciales',
    features: 'Fonctionnalités',
    special_features: 'Fonctionnalités spéciales',
    vendors: 'Partenaires',
    info_only: 'Elles s’appliquent sans choix ; elles sont listées pour votre information.',
    consent: 'Consentement',
    legitimate_interest: 'Intérêt légitime (décocher pour s’opposer)',
    opt_in: 'Autoriser',
    vendor_consent: 'Consentement pour les finalités : {list}',
    vendor_li: 'Intérêt légitime pour les finalités : {list}',
    vendor_special_purposes: 'Finalités spéciales : {list}',
    vendor_features: 'Fonctionnalités : {list}',
    vendor_special_features: 'Fonctionnalités spéciales : {list}',
    retention: 'Conserve les données {days} jours',
    data_categories: 'Données collectées : {list}',
    privacy_policy: 'Politique de confidentialité',
    li_claim: 'Déclaration d’intérêt légitime',
    vendor_count: '{count} partenaires',
  },
};

/** The labels for `language`: the config's own, then that language's, then English. */
export function labelsFor(language, overrides) {
  return { ...EN, ...(LABELS[String(language || '').toLowerCase()] || {}), ...(overrides || {}) };
}
