/** Reads the settings of the banner's own `<script>` tag (data-property, data-api, data-lang, ...). */

/**
 * `script` is `document.currentScript`, captured when the bundle started; when a loader hid it,
 * the first tag with a data-property stands in.
 */
export function readTag(script, doc) {
  const tag = script || doc.querySelector('script[data-property]');
  const attr = (name) => (tag && tag.getAttribute(name)) || '';
  const src = tag && tag.src;
  // No data-api: the service is where the script came from.
  const api = attr('data-api') || (src ? new URL(src, doc.baseURI).origin : doc.defaultView.location.origin);
  return {
    property: attr('data-property'),
    api: api.replace(/\/+$/, ''),
    lang: attr('data-lang'),
    country: attr('data-country'),
    // An ISO 3166-2 region (US-CA): like data-country, it can only make the server's rules stricter.
    region: attr('data-region'),
    cookieDomain: attr('data-cookie-domain'),
    // The id of a <script type="application/json"> holding the config: a preview that records nothing.
    preview: attr('data-preview'),
    // "gpp tcf microsoft_uet clarity": the stubs and Microsoft defaults to set before any tag runs.
    frameworks: attr('data-frameworks').match(/\S+/g) || [],
    // Browsers hide the nonce attribute's value once parsed; the property keeps it.
    nonce: (tag && tag.nonce) || attr('nonce'),
  };
}
