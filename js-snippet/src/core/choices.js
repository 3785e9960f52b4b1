/**
 * What the visitor is asked and what each answer sends: whether a (re)consent is needed, what the
 * Settings view shows ticked, the choices per refusable purpose and the request body. GPC narrows
 * "Accept all" and the Settings defaults to exclude the purposes it opts out of: the config's
 * `gpc_purposes`, from the service's rules file (no copy here). A config without the list (cached
 * from an older service) fails closed: GPC then opts out of every refusable purpose, and only an
 * opt-out config's `preselected: true` ticks anything.
 */

export const METHODS = {
  'accept-all': 'banner_accept_all',
  'reject-all': 'banner_reject_all',
  save: 'banner_custom',
};

/** Whether the browser sends GPC and the service honours it here (property and regime). */
export function gpcHonoured(config, navigator) {
  return navigator.globalPrivacyControl === true && config.gpc_honoured === true;
}

const gpcOff = (config, key) => !config.gpc_purposes || config.gpc_purposes.includes(key);

/**
 * True when the banner must ask: no token, a token given under another notice version, or one
 * without a decision for a refusable purpose now shown.
 */
export function needsChoice(config, claims) {
  return (
    !claims ||
    claims.notice !== config.notice.version ||
    config.purposes.some((p) => p.refusable && typeof claims.purposes[p.key] !== 'boolean')
  );
}

/**
 * Purpose -> ticked, for the Settings view. The visitor's own decisions when they are current
 * (`current`: the token's purposes, or null); else only an opt-out regime may preselect, and GPC
 * keeps its purposes unticked.
 */
export function initialTicks(config, gpc, current) {
  const ticks = {};
  for (const p of config.purposes) {
    ticks[p.key] = !p.refusable
      ? true
      : current && typeof current[p.key] === 'boolean'
        ? current[p.key]
        : config.regime === 'opt_out' && p.preselected === true && !(gpc && gpcOff(config, p.key));
  }
  return ticks;
}

/** Refusable purpose -> boolean, for an action ("accept-all", "reject-all", "save" with `ticked`). */
export function choicesFor(action, config, gpc, ticked = {}) {
  const choices = {};
  for (const p of config.purposes) {
    if (!p.refusable) continue;
    choices[p.key] =
      action === 'accept-all' ? !(gpc && gpcOff(config, p.key)) : action === 'save' ? ticked[p.key] === true : false;
  }
  return choices;
}

/**
 * The body of `POST /v1/banner/{pk}/consents`. `gpc` is the browser's signal as sent. An "Accept all"
 * that a failed-closed GPC narrowed (no `gpc_purposes` to name what it turns off) is sent as the
 * custom choice it is: the service refuses an "Accept all" refusing purposes its rules do not.
 */
export function choicePayload(action, choices, config, token, gpc) {
  const narrowed = action === 'accept-all' && !config.gpc_purposes && Object.values(choices).includes(false);
  const body = {
    choices,
    method: METHODS[narrowed ? 'save' : action],
    notice_version: config.notice.version,
    banner_version: config.banner_version,
    gpc,
    language: config.language,
  };
  if (token) body.token = token;
  return body;
}
