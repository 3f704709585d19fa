/**
 * Arrows only point down: every import in src/ goes to its own folder or to
 * a layer below it. The layers, bottom first, as docs/README.md draws them;
 * folders on one rank (moe beside io and data) may not import each other.
 * src/train (training, evaluation, sampling, the checkpoint format) and
 * src/testing (the property-test kit, the package's second entry) sit side
 * by side above moe, and below the command line, which uses both.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

const SRC = resolve(import.meta.dirname, '../src');
const RANK: Record<string, number> = { base: 0, gpu: 1, tensor: 2, autograd: 3, nn: 4, io: 5, data: 6, moe: 6, train: 7, testing: 7, cli: 8, '.': 9 };

function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? sources(join(dir, e.name)) : e.name.endsWith('.ts') ? [join(dir, e.name)] : []));
}

/** src/<layer>/… → layer; src/index.ts → '.'. */
function layerOf(file: string): string {
  const parts = relative(SRC, file).split('/');
  return parts.length === 1 ? '.' : parts[0]!;
}

function imports(file: string): string[] {
  const text = readFileSync(file, 'utf8');
  return [...text.matchAll(/(?:^|\n)\s*(?:import|export)[^'"]*?from\s+'(\.[^']+)'|import\(\s*'(\.[^']+)'\s*\)/g)].map((m) => m[1] ?? m[2]!);
}

describe('layers', () => {
  const files = sources(SRC);

  it('every folder of src/ has a rank', () => {
    for (const f of files) expect(RANK[layerOf(f)], relative(SRC, f)).toBeDefined();
  });

  it('no import in src/ points up or sideways', () => {
    const bad: string[] = [];
    let seen = 0;
    for (const f of files) {
      const from = layerOf(f);
      for (const spec of imports(f)) {
        seen++;
        const to = layerOf(resolve(dirname(f), spec));
        if (to !== from && RANK[to]! >= RANK[from]!) bad.push(`${relative(SRC, f)} → ${spec} (${from} → ${to})`);
      }
    }
    // The scan sees the imports (a broken regex would pass vacuously).
    expect(seen).toBeGreaterThan(500);
    expect(bad).toEqual([]);
  });

  it('src/train imports no Node built-in: the browser page bundles it', () => {
    const train = files.filter((f) => layerOf(f) === 'train');
    expect(train.length).toBeGreaterThan(5);
    const nodeOnly = /(?:from|import\()\s*'(node:[^']+|fs|fs\/promises|path|os|url|util|module|worker_threads|child_process)'/g;
    const found = train.flatMap((f) => [...readFileSync(f, 'utf8').matchAll(nodeOnly)].map((m) => `${relative(SRC, f)} → ${m[1]}`));
    expect(found).toEqual([]);
  });
});
