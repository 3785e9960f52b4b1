/**
 * Builds the banner into consent_service/static/consent.js (committed, so the server needs no Node), with its
 * brotli (consent.js.br) and gzip (consent.js.gz) copies at the highest levels, which the server sends to
 * clients that accept them instead of compressing per request.
 *   node build.mjs          write the bundle and its compressed copies
 *   node build.mjs --check  rebuild into a temp file; exit 1 if the committed bundle differs (stale), or if a
 *                           compressed copy does not decompress to it
 */
import { mkdtemp, readFile, rm, writeFile, mkdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { brotliCompressSync, brotliDecompressSync, constants, gunzipSync, gzipSync } from 'node:zlib';
import * as esbuild from 'esbuild';

const here = dirname(fileURLToPath(import.meta.url));
export const OUTPUT = join(here, '..', 'consent_service', 'static', 'consent.js');

// Each copy is checked by what it decompresses to, not byte for byte: another zlib or brotli version may
// compress the same script to other bytes.
export const COMPRESSED = [
  {
    path: OUTPUT + '.br',
    compress: (bytes) => brotliCompressSync(bytes, {
      params: {
        [constants.BROTLI_PARAM_QUALITY]: constants.BROTLI_MAX_QUALITY,
        [constants.BROTLI_PARAM_MODE]: constants.BROTLI_MODE_TEXT,
        [constants.BROTLI_PARAM_SIZE_HINT]: bytes.length,
      },
    }),
    decompress: brotliDecompressSync,
  },
  { path: OUTPUT + '.gz', compress: (bytes) => gzipSync(bytes, { level: 9 }), decompress: gunzipSync },
];
const BANNER = '/*! consent.js: the consent service banner | Apache-2.0 */';

// esbuild minifies JS but leaves string contents alone; the CSS lives readable in styles.js as a
// template literal, so minify it as CSS here.
const minifyCss = {
  name: 'minify-css',
  setup(build) {
    build.onLoad({ filter: /[\\/]src[\\/]core[\\/]styles\.js$/ }, async (args) => {
      const source = await readFile(args.path, 'utf8');
      const match = /export const CSS = `([^`$]*)`;/.exec(source);
      if (!match) throw new Error('styles.js: CSS template literal not found');
      const { code } = await esbuild.transform(match[1], { loader: 'css', minify: true, target: 'chrome80' });
      return { contents: source.replace(match[0], 'export const CSS = ' + JSON.stringify(code.trim()) + ';'), loader: 'js' };
    });
  },
};

/** The minified bundle as a string. */
export async function bundle() {
  const result = await esbuild.build({
    entryPoints: [join(here, 'src', 'index.js')],
    bundle: true,
    format: 'iife',
    target: 'es2019',
    minify: true,
    legalComments: 'none',
    banner: { js: BANNER },
    charset: 'utf8',
    write: false,
    logLevel: 'warning',
    plugins: [minifyCss],
  });
  return result.outputFiles[0].text;
}

async function main(check) {
  if (!check) {
    await mkdir(dirname(OUTPUT), { recursive: true });
    const code = Buffer.from(await bundle());
    await writeFile(OUTPUT, code);
    for (const copy of COMPRESSED) await writeFile(copy.path, copy.compress(code));
    console.log('wrote ' + [OUTPUT, ...COMPRESSED.map((copy) => copy.path)].join(', '));
    return;
  }
  const dir = await mkdtemp(join(tmpdir(), 'consent-js-'));
  try {
    const fresh = join(dir, 'consent.js');
    await writeFile(fresh, await bundle());
    const [built, committed] = await Promise.all([readFile(fresh, 'utf8'), readFile(OUTPUT, 'utf8').catch(() => null)]);
    if (built !== committed) {
      console.error(OUTPUT + ' is ' + (committed === null ? 'missing' : 'stale') + ': run `npm run build` and commit it');
      process.exitCode = 1;
    } else {
      console.log(OUTPUT + ' is up to date');
    }
    for (const copy of COMPRESSED) {
      const stored = await readFile(copy.path).catch(() => null);
      if (stored === null || copy.decompress(stored).toString('utf8') !== built) {
        console.error(copy.path + ' is ' + (stored === null ? 'missing' : 'stale') + ': run `npm run build` and commit it');
        process.exitCode = 1;
      }
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

if (import.meta.url === pathToFileURL(process.argv[1]).href) {
  await main(process.argv.includes('--check'));
}
