/**
 * Builds the banner twice from src/index.js (committed, so the server needs no Node): consent_service/static/
 * consent.js, with src/core/no-frameworks.js in place of src/core/frameworks.js, for properties without
 * frameworks, and consent-frameworks.js, everything, for properties with them (the IAB stubs, Microsoft's
 * signals and the framework loader cost every page some 700 B of brotli). Each with its brotli (.br) and gzip
 * (.gz, by zopfli) copies at the highest levels, which the server sends to clients that accept them instead of
 * compressing per request; and each framework file
 * (src/frameworks/<name>.js) into consent_service/static/frameworks/<name>.<10 hex of sha256>.js with
 * manifest.json ({name: {file, integrity, bytes, gzip_bytes}}), removing the hashed files of older builds.
 *   node build.mjs          write the bundles and the compressed copies
 *   node build.mjs --check  rebuild in memory; exit 1 if a committed file differs (stale) or is missing, if a
 *                           compressed copy does not decompress to its script, or if an old hashed file remains
 */
import { createHash } from 'node:crypto';
import { readdir, readFile, rm, writeFile, mkdir } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { brotliCompressSync, brotliDecompressSync, constants, gunzipSync, gzipSync } from 'node:zlib';
import { gzipAsync } from '@gfx/zopfli';
import * as esbuild from 'esbuild';
import { minify } from 'terser';

const here = dirname(fileURLToPath(import.meta.url));
export const OUTPUT = join(here, '..', 'consent_service', 'static', 'consent.js');
export const OUTPUT_FRAMEWORKS = join(here, '..', 'consent_service', 'static', 'consent-frameworks.js');
export const FRAMEWORKS = join(here, '..', 'consent_service', 'static', 'frameworks');
const FRAMEWORK_SOURCES = join(here, 'src', 'frameworks');
const HASHED = /^[a-z0-9_]+\.[0-9a-f]{10}\.js$/;

// Each copy is checked by what it decompresses to, not byte for byte: another zlib or brotli version may
// compress the same script to other bytes.
// They are made for consent.js and for every framework file: the server sends the copy the client accepts.
export const COMPRESSED = [
  {
    suffix: '.br',
    compress: (bytes) => brotliCompressSync(bytes, {
      params: {
        [constants.BROTLI_PARAM_QUALITY]: constants.BROTLI_MAX_QUALITY,
        [constants.BROTLI_PARAM_MODE]: constants.BROTLI_MODE_TEXT,
        [constants.BROTLI_PARAM_SIZE_HINT]: bytes.length,
      },
    }),
    decompress: brotliDecompressSync,
  },
  // Zopfli writes ordinary gzip some 2% smaller than zlib's level 9: bytes every visitor without brotli saves.
  { suffix: '.gz', compress: async (bytes) => Buffer.from(await gzipAsync(bytes, { numiterations: 15 })), decompress: gunzipSync },
];
const banner = (frameworks) => '/*! consent' + (frameworks ? '-frameworks' : '') + '.js | Apache-2.0 */';

// consent.js: the core's one module that knows frameworks, swapped for its stand-in.
const withoutFrameworks = {
  name: 'without-frameworks',
  setup(build) {
    build.onResolve({ filter: /^\.\/frameworks\.js$/ }, (args) =>
      args.importer.endsWith(join('core', 'boot.js')) ? { path: join(args.resolveDir, 'no-frameworks.js') } : undefined);
  },
};

// esbuild minifies JS but leaves string contents alone; the CSS lives readable in styles.js as a
// template literal, so minify it as CSS here.
const minifyCss = {
  name: 'minify-css',
  setup(build) {
    build.onLoad({ filter: /[\\/]src[\\/](core|frameworks[\\/]tcf)[\\/]styles\.js$/ }, async (args) => {
      const source = await readFile(args.path, 'utf8');
      const match = /export const CSS = `([^`$]*)`;/.exec(source);
      if (!match) throw new Error('styles.js: CSS template literal not found');
      const { code } = await esbuild.transform(match[1], { loader: 'css', minify: true, target: 'chrome80' });
      return { contents: source.replace(match[0], 'export const CSS = ' + JSON.stringify(code.trim()) + ';'), loader: 'js' };
    });
  },
};

const build = (input, plugins = []) =>
  esbuild
    .build({
      ...input,
      bundle: true,
      format: 'iife',
      target: 'es2019',
      minify: true,
      legalComments: 'none',
      banner: { js: input.banner || banner(false) },
      charset: 'utf8',
      write: false,
      logLevel: 'warning',
      plugins,
    })
    .then((result) => result.outputFiles[0].text);

/**
 * The minified bundle as a string: consent.js, or with `frameworks` consent-frameworks.js. Terser after esbuild
 * takes some 300 B more off the gzipped script, whose 8 KiB budget every page pays; the framework files,
 * loaded only where enabled, keep esbuild's output.
 */
export async function bundle({ frameworks = false } = {}) {
  const input = { entryPoints: [join(here, 'src', 'index.js')], banner: banner(frameworks) };
  const { code } = await minify(await build(input, frameworks ? [minifyCss] : [minifyCss, withoutFrameworks]), {
    ecma: 2019,
    // unsafe_arrows leaves functions that use `this` or `arguments` (the gtag and Clarity stubs) alone; measured with
    // zopfli, 3 passes and unsafe_methods each take a few bytes more off than without.
    compress: { passes: 3, unsafe_arrows: true, unsafe_methods: true },
    format: { comments: /^!/ },
  });
  return code;
}

/**
 * name -> {code, entry}: every src/frameworks/<name>.js but host.js, bundled after host.js (which makes the
 * host the file attaches to) with what it imports, and its manifest entry.
 */
export async function frameworkBundles() {
  const names = (await readdir(FRAMEWORK_SOURCES).catch(() => []))
    .filter((file) => /^[a-z0-9_]+\.js$/.test(file) && file !== 'host.js')
    .map((file) => file.slice(0, -3))
    .sort();
  const bundles = {};
  for (const name of names) {
    const code = await build({
      stdin: { contents: `import './host.js';\nimport './${name}.js';\n`, resolveDir: FRAMEWORK_SOURCES, sourcefile: name + '.entry.js' },
    }, [minifyCss]);
    const bytes = Buffer.from(code);
    bundles[name] = {
      code,
      entry: {
        file: name + '.' + createHash('sha256').update(bytes).digest('hex').slice(0, 10) + '.js',
        integrity: 'sha384-' + createHash('sha384').update(bytes).digest('base64'),
        bytes: bytes.length,
        gzip_bytes: gzipSync(bytes, { level: 9 }).length,
      },
    };
  }
  return bundles;
}

const manifestOf = (bundles) =>
  JSON.stringify(Object.fromEntries(Object.entries(bundles).map(([name, b]) => [name, b.entry])), null, 2) + '\n';

async function writeFrameworks() {
  const bundles = await frameworkBundles();
  await mkdir(FRAMEWORKS, { recursive: true });
  const keep = new Set(Object.values(bundles).map((b) => b.entry.file));
  for (const file of await readdir(FRAMEWORKS)) {
    if (HASHED.test(file) && !keep.has(file.replace(/\.(br|gz)$/, ''))) await rm(join(FRAMEWORKS, file));
  }
  for (const b of Object.values(bundles)) await writeCompressed(join(FRAMEWORKS, b.entry.file), Buffer.from(b.code));
  await writeFile(join(FRAMEWORKS, 'manifest.json'), manifestOf(bundles));
  return [...keep].map((file) => join(FRAMEWORKS, file));
}

/** What is wrong with the committed framework files: stale, missing or left from an older build. */
async function checkFrameworks() {
  const bundles = await frameworkBundles();
  const problems = [];
  const read = (file) => readFile(join(FRAMEWORKS, file), 'utf8').catch(() => null);
  if ((await read('manifest.json')) !== manifestOf(bundles)) problems.push(join(FRAMEWORKS, 'manifest.json') + ' is stale or missing');
  const keep = new Set();
  for (const b of Object.values(bundles)) {
    keep.add(b.entry.file);
    if ((await read(b.entry.file)) !== b.code) problems.push(join(FRAMEWORKS, b.entry.file) + ' is missing or differs');
    problems.push(...(await staleCopies(join(FRAMEWORKS, b.entry.file), b.code)));
  }
  for (const file of await readdir(FRAMEWORKS).catch(() => [])) {
    if (HASHED.test(file) && !keep.has(file.replace(/\.(br|gz)$/, ''))) {
      problems.push(join(FRAMEWORKS, file) + ' is left from an older build');
    }
  }
  return problems;
}

/** Writes `path` and its compressed copies. */
async function writeCompressed(path, bytes) {
  await writeFile(path, bytes);
  for (const copy of COMPRESSED) await writeFile(path + copy.suffix, await copy.compress(bytes));
}

/** What is wrong with the compressed copies of `path`, whose content is `code`. */
async function staleCopies(path, code) {
  const problems = [];
  for (const copy of COMPRESSED) {
    const stored = await readFile(path + copy.suffix).catch(() => null);
    if (stored === null || copy.decompress(stored).toString('utf8') !== code) {
      problems.push(path + copy.suffix + ' is ' + (stored === null ? 'missing' : 'stale'));
    }
  }
  return problems;
}

// [path, whether it has the frameworks]
const CORES = [[OUTPUT, false], [OUTPUT_FRAMEWORKS, true]];

async function main(check) {
  if (!check) {
    await mkdir(dirname(OUTPUT), { recursive: true });
    for (const [path, frameworks] of CORES) await writeCompressed(path, Buffer.from(await bundle({ frameworks })));
    const frameworks = await writeFrameworks();
    console.log('wrote ' + [OUTPUT, OUTPUT_FRAMEWORKS, ...frameworks].join(', ') + ', each with ' + COMPRESSED.map((c) => c.suffix).join(' and '));
    return;
  }
  const problems = [];
  for (const [path, frameworks] of CORES) {
    const built = await bundle({ frameworks });
    const committed = await readFile(path, 'utf8').catch(() => null);
    if (built !== committed) problems.push(path + ' is ' + (committed === null ? 'missing' : 'stale'));
    problems.push(...(await staleCopies(path, built)));
  }
  problems.push(...(await checkFrameworks()));
  for (const problem of problems) console.error(problem + ': run `npm run build` and commit it');
  if (problems.length) process.exitCode = 1;
  else console.log(OUTPUT + ', ' + OUTPUT_FRAMEWORKS + ' and the framework files are up to date');
}

if (import.meta.url === pathToFileURL(process.argv[1]).href) {
  await main(process.argv.includes('--check'));
}
