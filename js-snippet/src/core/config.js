/**
 * The two calls to the consent service: fetch the banner config, record a choice. `fetch` is
 * passed in: the network is the edge of the world here. Both go to the configured API origin only.
 */

export function bannerUrl(api, property) {
  return api + '/v1/banner/' + encodeURIComponent(property);
}

/** JSON from the service; rejects on network errors, non-2xx answers and bad JSON. */
export async function request(fetch, url, init) {
  const response = await fetch(url, { credentials: 'omit', mode: 'cors', ...init });
  if (!response.ok) {
    let code = '';
    try {
      code = (await response.json()).code || '';
    } catch {
      // the error body is optional; the status says enough
    }
    throw new Error('HTTP ' + response.status + (code ? ' ' + code : ''));
  }
  return response.json();
}

/** Shape check: what the banner cannot work without. */
export function isConfig(config) {
  return Boolean(
    config &&
      config.texts &&
      typeof config.texts === 'object' &&
      config.notice &&
      typeof config.notice.version === 'string' &&
      Array.isArray(config.purposes) &&
      config.purposes.every((p) => p && typeof p.key === 'string' && typeof p.name === 'string'),
  );
}

const checked = (config) => {
  if (!isConfig(config)) throw new Error('malformed banner config');
  return config;
};

/** The banner config; rejects on network errors, non-2xx answers, bad JSON and malformed configs. */
export async function fetchConfig(fetch, api, property, lang, country, region) {
  const qs = String(new URLSearchParams(Object.entries({ lang, country, region }).filter((pair) => pair[1])));
  return checked(await request(fetch, bannerUrl(api, property) + (qs ? '?' + qs : '')));
}

/** POSTs `body` as JSON; resolves to the JSON answer as `request` does. */
export const postJson = (fetch, url, body) =>
  request(fetch, url, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(body) });

/**
 * Records a choice; resolves to the answer, a receipt (`{visitor_id, token, expires_at, decisions}`) as the
 * API promises; the caller reads its token as it reads every token (utils/token.js), which refuses any other.
 */
export const postChoice = (fetch, api, property, body) => postJson(fetch, bannerUrl(api, property) + '/consents', body);

/** The config given inline (the console's preview): the JSON text of the element with this id. */
export function inlineConfig(doc, id) {
  const holder = doc.getElementById(id);
  return checked(holder ? JSON.parse(holder.textContent) : null);
}
