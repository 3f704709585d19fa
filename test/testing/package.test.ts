/**
 * 'dsmoe/testing' as npm would ship it: the package is built (node bundle
 * and declarations, about two seconds) into node_modules/dsmoe of a scratch
 * folder, and a consumer there imports it by name: in Node, through a
 * bundler (esbuild), and in a type-checked TypeScript file. The main entry must not need fast-check
 * (an optional peer dependency), so nothing reachable from it imports it.
 */
import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildNode, buildTypes, root } from '../../scripts/build.mjs';

interface PackageJson {
  exports: Record<string, Record<string, string> | string>;
  peerDependencies: Record<string, string>;
  peerDependenciesMeta: Record<string, { optional?: boolean }>;
}

const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as PackageJson;
let scratch: string;
let installed: string;

beforeAll(async () => {
  // Under test-output/ (gitignored), so the bundle's own imports (fast-check, gpu.js) resolve from the repository's node_modules.
  mkdirSync(join(root, 'test-output'), { recursive: true });
  scratch = mkdtempSync(join(root, 'test-output', 'testing-pkg-'));
  installed = join(scratch, 'node_modules', 'dsmoe');
  mkdirSync(installed, { recursive: true });
  copyFileSync(join(root, 'package.json'), join(installed, 'package.json'));
  // The consumer's own package: without it Node would resolve 'dsmoe' as the repository's self-reference (its dist/).
  writeFileSync(join(scratch, 'package.json'), '{ "name": "consumer", "type": "module" }\n');
  await buildNode({ out: join(installed, 'dist'), quiet: true });
  buildTypes({ out: join(installed, 'dist'), quiet: true });
}, 120_000);

afterAll(() => {
  if (scratch) rmSync(scratch, { recursive: true, force: true });
});

/** The files a module imports, followed through relative imports. */
function reachable(file: string, seen = new Set<string>()): Set<string> {
  if (seen.has(file)) return seen;
  seen.add(file);
  for (const m of readFileSync(file, 'utf8').matchAll(/(?:from|import)\s*\(?\s*"(\.[^"]+)"/g)) reachable(join(dirname(file), m[1]!), seen);
  return seen;
}

describe("the package's testing entry", () => {
  it('is in "exports" with types first, pointing at files the build writes; fast-check an optional peer', () => {
    const entry = pkg.exports['./testing'] as Record<string, string>;
    expect(Object.keys(entry)).toEqual(['types', 'default']);
    for (const p of Object.values(entry)) expect(existsSync(join(installed, p)), p).toBe(true);
    expect(pkg.peerDependencies['fast-check']).toBe('^4');
    expect(pkg.peerDependenciesMeta['fast-check']?.optional).toBe(true);
  });

  it('imports by name in Node, alone and beside the main entry (one engine)', () => {
    const consumer = join(scratch, 'consumer.mjs');
    writeFileSync(consumer, [
      "import fc from 'fast-check';",
      "import { route, tensor } from 'dsmoe';",
      "import { checkRoutingFunction, gradcheckProperty, shapeArb, valuesOfShapeArb, modeArb } from 'dsmoe/testing';",
      'checkRoutingFunction(route, { numRuns: 20 });',
      "const r = await gradcheckProperty((x) => x.mul(x).sum(), [shapeArb({ maxRank: 2, maxDim: 3 }).chain((s) => valuesOfShapeArb(s))], { numRuns: 10 });",
      'const t = tensor([1, 2]).mul(3);',
      'console.log(JSON.stringify({ runs: r.numRuns, mode: fc.sample(modeArb(4), 1).length, t: Array.from(await t.data()) }));',
    ].join('\n'));
    const run = spawnSync(process.execPath, [consumer], { cwd: scratch, encoding: 'utf8' });
    expect(run.stderr).toBe('');
    expect(JSON.parse(run.stdout)).toEqual({ runs: 10, mode: 1, t: [3, 6] });
  });

  it('bundles by name with esbuild (a bundler resolving "exports"), and the bundle runs', async () => {
    const { build } = await import('esbuild');
    const consumer = join(scratch, 'bundled-consumer.mjs');
    writeFileSync(consumer, [
      "import { route } from 'dsmoe';",
      "import { checkRoutingFunction } from 'dsmoe/testing';",
      'checkRoutingFunction(route, { numRuns: 10 });',
      "console.log('ok');",
    ].join('\n'));
    const out = join(scratch, 'bundle.mjs');
    // gpu.js and webgpu stay external: native and optional, as a bundling user would leave them.
    await build({ entryPoints: [consumer], bundle: true, platform: 'node', format: 'esm', outfile: out, external: ['gpu.js', 'webgpu', 'gl'], logLevel: 'silent', absWorkingDir: scratch });
    const text = readFileSync(out, 'utf8');
    // The bundle holds the kit and its peer (fast-check), resolved through the package's exports map.
    expect(text).toMatch(/checkRoutingFunction/);
    expect(text).toMatch(/fast-check|fc\./);
    const run = spawnSync(process.execPath, [out], { cwd: scratch, encoding: 'utf8' });
    expect(run.stderr).toBe('');
    expect(run.stdout.trim()).toBe('ok');
  });

  it('type-checks a TypeScript consumer against the built declarations (NodeNext resolution)', () => {
    const consumer = join(scratch, 'consumer.ts');
    writeFileSync(consumer, [
      "import { route, type InferMode } from 'dsmoe';",
      "import { checkRoutingFunction, scoresArb, type RoutingFunction, type ScoreMatrix } from 'dsmoe/testing';",
      'const fn: RoutingFunction = (s, t, n, mode: InferMode) => route(s, t, n, mode);',
      'export const run = (): void => checkRoutingFunction(fn, { numRuns: 10 });',
      'export const arb = scoresArb({ maxTokens: 2 }).map((m: ScoreMatrix) => m.tokens);',
      '',
    ].join('\n'));
    const tsc = spawnSync(join(root, 'node_modules/.bin/tsc'), [
      '--ignoreConfig', '--noEmit', '--strict', '--skipLibCheck', '--target', 'ES2022', '--module', 'NodeNext', '--moduleResolution', 'NodeNext',
      '--lib', 'ES2022,DOM', '--types', 'node', '--typeRoots', join(root, 'node_modules/@types'), consumer,
    ], { cwd: scratch, encoding: 'utf8' });
    expect(tsc.stdout + tsc.stderr).toBe('');
    expect(tsc.status).toBe(0);
  });

  it('keeps fast-check out of everything the main entry loads', () => {
    const main = join(installed, (pkg.exports['.'] as Record<string, string>)['default']!);
    const files = [...reachable(main)];
    expect(files.length).toBeGreaterThan(1);
    for (const f of files) expect(readFileSync(f, 'utf8').includes('fast-check'), f).toBe(false);
    // …while the testing entry does import it.
    expect(readFileSync(join(installed, (pkg.exports['./testing'] as Record<string, string>)['default']!), 'utf8')).toMatch(/from "fast-check"/);
  });
});
