#!/usr/bin/env node
/**
 * `npm run bench -- <kernels|moe-step|moe-infer|lm-train> [--json] [sizes]`
 *
 * Bundles bench/main.ts (and the engine sources it imports) with esbuild
 * into a temporary ES module, dependencies left as imports, and runs it in
 * this process: the benchmark always measures the current sources, with no
 * separate build step.
 */
import { build } from 'esbuild';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const dir = mkdtempSync(join(here, '.bench-'));
const outfile = join(dir, 'bench.mjs');
try {
  await build({
    entryPoints: [join(here, 'main.ts')],
    outfile,
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    packages: 'external',
    logLevel: 'warning',
  });
  const { main } = await import(pathToFileURL(outfile).href);
  await main(process.argv.slice(2));
} finally {
  rmSync(dir, { recursive: true, force: true });
}
process.exit(process.exitCode ?? 0);
