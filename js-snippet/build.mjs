/**
 * Builds the banner into consent_service/static/consent.js (committed, so the server needs no Node).
 *   node build.mjs          write the bundle
 *   node build.mjs --check  rebuild into a temp file; exit 1 if the committed bundle differs (stale)
 */
import { mkdtemp, readFile, rm, writeFile, mkdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import * as esbuild from 'esbuild';

const here = dirname(fileURLToPath(import.meta.url));
export const OUTPUT = join(here, '..', 'consent_service', 'static', 'consent.js');
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
    await writeFile(OUTPUT, await bundle());
    console.log('wrote ' + OUTPUT);
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
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

if (import.meta.url === pathToFileURL(process.argv[1]).href) {
  await main(process.argv.includes('--check'));
}
