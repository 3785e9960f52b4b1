/**
 * Size of the built banner (consent_service/static/consent.js; consent-frameworks.js, the same with the IAB
 * stubs, Microsoft's signals and the framework loader, for properties with frameworks) and of its lazily loaded framework files
 * (consent_service/static/frameworks, IAB GPP and TCF) against peer consent banners from npm: raw, gzip (zlib
 * level 9) and brotli (quality 11) bytes, as a markdown table and as JSON. The budgets are checked against the
 * copies the server sends (the build's zopfli .gz and brotli .br): 8 KiB of gzip for both scripts, and issue
 * 22's 6.5 KiB of brotli for consent.js.
 *   cd bench && npm ci && node snippet_size.mjs
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { brotliCompressSync, constants, gzipSync } from 'node:zlib';

const here = dirname(fileURLToPath(import.meta.url));
const modules = join(here, 'node_modules');
const version = (pkg) => JSON.parse(readFileSync(join(modules, pkg, 'package.json'), 'utf8')).version;

const ours = join(here, '..', 'consent_service', 'static', 'consent.js');
const oursFrameworks = join(here, '..', 'consent_service', 'static', 'consent-frameworks.js');
const frameworks = join(here, '..', 'consent_service', 'static', 'frameworks');
const manifest = JSON.parse(readFileSync(join(frameworks, 'manifest.json'), 'utf8'));
const framework = (name) => join(frameworks, manifest[name].file);
const cc = (file) => join(modules, 'vanilla-cookieconsent', 'dist', file);
const klaro = (file) => join(modules, 'klaro', 'dist', file);

for (const [path, fix] of [
  [ours, 'cd js-snippet && npm ci && npm run build'],
  [modules, 'cd bench && npm ci'],
]) {
  if (!existsSync(path)) {
    console.error(`${path} is missing: run \`${fix}\``);
    process.exit(1);
  }
}

// What a site ships for each: every row is the JS plus whatever CSS it needs.
const entries = [
  { name: 'consent.js (this project)', version: '', what: 'JS incl. CSS', files: [ours] },
  { name: 'consent-frameworks.js (this project)', version: '', what: 'JS incl. CSS, for properties with frameworks', files: [oursFrameworks] },
  { name: 'gpp framework file (this project)', version: '', what: 'loaded where GPP is enabled', files: [framework('gpp')] },
  { name: 'tcf framework file (this project)', version: '', what: 'loaded where TCF is enabled', files: [framework('tcf')] },
  { name: 'consent-frameworks.js + gpp + tcf (this project)', version: '', what: 'a page with both frameworks', files: [oursFrameworks, framework('gpp'), framework('tcf')] },
  { name: 'vanilla-cookieconsent', version: version('vanilla-cookieconsent'), what: 'UMD JS + CSS', files: [cc('cookieconsent.umd.js'), cc('cookieconsent.css')] },
  { name: 'vanilla-cookieconsent', version: version('vanilla-cookieconsent'), what: 'ESM JS + CSS', files: [cc('cookieconsent.esm.js'), cc('cookieconsent.css')] },
  { name: 'vanilla-cookieconsent', version: version('vanilla-cookieconsent'), what: 'UMD JS only', files: [cc('cookieconsent.umd.js')] },
  { name: 'vanilla-cookieconsent', version: version('vanilla-cookieconsent'), what: 'CSS only', files: [cc('cookieconsent.css')] },
  { name: 'klaro', version: version('klaro'), what: 'klaro.js (JS incl. CSS)', files: [klaro('klaro.js')] },
];

/** Sizes of the files as served one by one (each compressed on its own, as HTTP does). */
function measure(files) {
  const sizes = { raw: 0, gzip: 0, brotli: 0 };
  for (const file of files) {
    const bytes = readFileSync(file);
    sizes.raw += bytes.length;
    sizes.gzip += gzipSync(bytes, { level: 9 }).length;
    sizes.brotli += brotliCompressSync(bytes, {
      params: { [constants.BROTLI_PARAM_QUALITY]: constants.BROTLI_MAX_QUALITY, [constants.BROTLI_PARAM_SIZE_HINT]: bytes.length },
    }).length;
  }
  return sizes;
}

const results = entries.map((entry) => ({
  ...entry,
  files: entry.files.map((file) => file.slice(join(here, '..').length + 1)),
  ...measure(entry.files),
}));
const base = results[0];
const kib = (bytes) => (bytes / 1024).toFixed(1) + ' KiB';
const times = (bytes) => (bytes / base.gzip).toFixed(1) + '×';

const rows = [
  '| Script | Version | What | Raw | gzip -9 | brotli -q 11 | gzip vs consent.js |',
  '| --- | --- | --- | ---: | ---: | ---: | ---: |',
  ...results.map(
    (r) =>
      `| ${r.name} | ${r.version || '—'} | ${r.what} | ${r.raw} B (${kib(r.raw)}) | ${r.gzip} B (${kib(r.gzip)}) | ${r.brotli} B (${kib(r.brotli)}) | ${times(r.gzip)} |`,
  ),
];
const budget = 8 * 1024;
const brotliBudget = 6.5 * 1024;
const served = (file, suffix) => readFileSync(file + suffix).length;
const within = (bytes, limit) => (bytes <= limit ? 'within budget' : 'OVER BUDGET');
const [gz, br, fgz, fbr] = [served(ours, '.gz'), served(ours, '.br'), served(oursFrameworks, '.gz'), served(oursFrameworks, '.br')];
const section = [
  `- Node ${process.version}, ${new Date().toISOString().slice(0, 16).replace('T', ' ')} UTC. Budgets: at most 8 KiB gzipped for everything`,
  `  the banner needs (script and styles; the texts come with the configuration request), and issue 22's 6.5 KiB`,
  `  (6,656 B) of brotli for consent.js, as served (the build's zopfli .gz and quality-11 .br copies; zlib -9`,
  `  below makes ${base.gzip} B). consent.js: **${gz} B gzip** (${kib(gz)}, ${within(gz, budget)}), **${br} B brotli**`,
  `  (${kib(br)}, ${within(br, brotliBudget)}). consent-frameworks.js: **${fgz} B gzip** (${kib(fgz)}, ${within(fgz, budget)}),`,
  `  ${fbr} B brotli (${kib(fbr)}; the brotli budget is consent.js's).`,
  `- A property without frameworks loads consent.js only; one with frameworks loads consent-frameworks.js (the`,
  `  IAB stubs, UET and Clarity signals and the framework loader: ${results[1].brotli - base.brotli} B more brotli) and the framework files`,
  `  it enables. For comparison, Fides' TCF build (fides-tcf.js) is 72.8 KB gzip by Ethyca's own published figure`,
  `  (not measured here: it is not on npm).`,
  '',
  ...rows,
].join('\n');
console.log(section);
console.log();
console.log(JSON.stringify({ node: process.version, results }, null, 2));

// BENCHMARKS.md: this benchmark's section, between its markers (bench/sections.py does the same in Python).
if (!process.argv.includes('--no-write')) {
  const file = join(here, '..', 'BENCHMARKS.md');
  const [start, end] = ['<!-- bench:snippet:start -->', '<!-- bench:snippet:end -->'];
  const text = readFileSync(file, 'utf8');
  const block = `${start}\n${section}\n${end}`;
  writeFileSync(file, text.includes(start)
    ? text.slice(0, text.indexOf(start)) + block + text.slice(text.indexOf(end) + end.length)
    : `${text}\n## Banner script size\n\n${block}\n`);
}
