/** The bundle's entry: one `<script data-property="pk_..." async>` tag starts the banner. */
import { boot } from './core/boot.js';

// Only defined while this script first runs; the tag is async, so capture it before any await.
const script = document.currentScript;

if (!window.ConsentService) {
  boot(window, script, (url, init) => window.fetch(url, init));
}
