import { minify } from 'terser';
import { gzipSync, brotliCompressSync, constants } from 'node:zlib';
import * as esbuild from 'esbuild';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
const here = process.cwd();
const minifyCss = { name: 'm', setup(build) { build.onLoad({ filter: /[\\/]src[\\/](core|frameworks[\\/]tcf)[\\/]styles\.js$/ }, async (args) => {
  const source = await readFile(args.path, 'utf8'); const match = /export const CSS = `([^`$]*)`;/.exec(source);
  const { code } = await esbuild.transform(match[1], { loader: 'css', minify: true, target: 'chrome80' });
  return { contents: source.replace(match[0], 'export const CSS = ' + JSON.stringify(code.trim()) + ';'), loader: 'js' }; }); } };
const es = async (o={}) => (await esbuild.build({ entryPoints: [join(here,'src','index.js')], bundle: true, format: 'iife', target: 'es2019', minify: true, legalComments: 'none', charset: 'utf8', write: false, plugins:[minifyCss], ...o })).outputFiles[0].text;
const m = (s) => { const b = Buffer.from(s); return [b.length, gzipSync(b,{level:9}).length, brotliCompressSync(b,{params:{[constants.BROTLI_PARAM_QUALITY]:11,[constants.BROTLI_PARAM_MODE]:constants.BROTLI_MODE_TEXT}}).length]; };
const src = await es();
const B={ passes: 3, unsafe_arrows: true };
const variants = {
  ua: { ecma: 2019, compress: B },
  um: { ecma: 2019, compress: {...B, unsafe_methods:true} },
  pg: { ecma: 2019, compress: {...B, pure_getters: true} },
  kf: { ecma: 2019, compress: {...B, keep_fargs: false} },
  hf: { ecma: 2019, compress: {...B, hoist_funs: true} },
  nwrap: { ecma: 2019, compress: B, format: { wrap_func_args: false, wrap_iife: false } },
  ecma20: { ecma: 2020, compress: B },
  all: { ecma: 2019, compress: {...B, keep_fargs:false, pure_getters:true, hoist_funs:true}, format: { wrap_func_args: false } },
};
for (const [k, o] of Object.entries(variants)) console.log(k, m((await minify(src, o)).code));
