/**
 * The package as npm would ship it: every path package.json names
 * ("exports" with types first, "main", "types", "bin") is a file the build
 * writes, the Node bundle runs, the declarations describe the public API,
 * and the browser bundle is self-contained (no import left that a page or a
 * bundler would have to resolve). Builds into a folder of its own so it
 * never races the demo test, which serves the real dist/browser.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { build } from 'esbuild';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildBrowser, buildNode, buildTypes, root } from '../../scripts/build.mjs';

interface PackageJson {
  main: string;
  types: string;
  exports: Record<string, string | Record<string, string>>;
  bin: Record<string, string>;
  dependencies: Record<string, string>;
}

const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as PackageJson;
let out: string;

/** A package.json path ('./dist/node/index.js') inside the temporary build. */
const built = (p: string): string => join(out, p.replace(/^\.\/dist\//, ''));

beforeAll(async () => {
  // Under test-output/ (gitignored) so the Node bundle's dependencies resolve from node_modules.
  mkdirSync(join(root, 'test-output'), { recursive: true });
  out = mkdtempSync(join(root, 'test-output', 'dist-'));
  await buildNode({ out, quiet: true });
  await buildBrowser({ out, quiet: true });
  buildTypes({ out, quiet: true });
}, 120_000);

afterAll(() => {
  if (out) rmSync(out, { recursive: true, force: true });
});

describe('package layout', () => {
  it('points "exports", "main" and "types" at files the build writes, types first', () => {
    const dot = pkg.exports['.'] as Record<string, string>;
    expect(Object.keys(dot)[0]).toBe('types');
    for (const p of [...Object.values(dot), pkg.main, pkg.types]) {
      expect(p.startsWith('./dist/'), p).toBe(true);
      expect(existsSync(built(p)), `${p} is not built`).toBe(true);
    }
  });

  it('builds the dsmoe command as an executable with a shebang, when the CLI exists', () => {
    const bin = pkg.bin['dsmoe']!;
    if (!existsSync(join(root, 'src/cli/main.ts'))) {
      expect(existsSync(built(bin))).toBe(false);
      return;
    }
    expect(readFileSync(built(bin), 'utf8').startsWith('#!/usr/bin/env node\n')).toBe(true);
    expect(statSync(built(bin)).mode & 0o111).not.toBe(0);
  });

  it('runs the Node bundle: autograd through the built entry', async () => {
    const dsmoe = (await import(pathToFileURL(built(pkg.main)).href)) as typeof import('../../src/index.js');
    const x = dsmoe.tensor([1, 2, 3], { requiresGrad: true });
    x.mul(x).sum().backward();
    expect(Array.from(await x.grad!.data())).toEqual([2, 4, 6]);
    expect(dsmoe.getBackend().name).toBe('cpu');
  });

  it('declares the public API: a TypeScript consumer type-checks against the built .d.ts', () => {
    const consumer = join(out, 'consumer.ts');
    writeFileSync(consumer, [
      `import { tensor, setBackend, MoEFeedForward, type Tensor } from './types/index.js';`,
      'const t: Tensor = tensor([1, 2, 3]).mul(2);',
      'const moe = new MoEFeedForward({ dModel: 4, nExperts: 2, expertHidden: 3 });',
      'export const run = async (): Promise<number> => { await setBackend(\'cpu\'); return moe.numParameters() + (await t.sum().item()); };',
      '',
    ].join('\n'));
    const tsc = spawnSync(join(root, 'node_modules/.bin/tsc'), [
      '--ignoreConfig', '--noEmit', '--strict', '--skipLibCheck', '--target', 'ES2022', '--module', 'NodeNext', '--moduleResolution', 'NodeNext',
      '--lib', 'ES2022,DOM', '--types', 'node', '--typeRoots', join(root, 'node_modules/@types'), consumer,
    ], { cwd: out, encoding: 'utf8' });
    expect(tsc.stdout + tsc.stderr).toBe('');
    expect(tsc.status).toBe(0);
  });

  it('keeps the browser bundle self-contained: gpu.js inside, no import left for a page or bundler to resolve', async () => {
    const file = built((pkg.exports['.'] as Record<string, string>)['browser']!);
    // esbuild parses the bundle and lists every import it still makes (static, or dynamic with a literal specifier).
    const parsed = await build({ entryPoints: [file], bundle: true, write: false, metafile: true, format: 'esm', platform: 'neutral', external: ['*'], logLevel: 'silent' });
    const imports = Object.values(parsed.metafile.inputs).flatMap((i) => i.imports.map((x) => x.path));
    expect(imports).toEqual([]);
    const js = readFileSync(file, 'utf8');
    expect(js.includes('WebGPUKernel')).toBe(true);
    expect(js.includes('WebGL2Kernel')).toBe(true);
    expect(Object.keys(pkg.dependencies)).toEqual(['gpu.js']);
  });
});
