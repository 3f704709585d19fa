/**
 * The PyTorch twin (python/dsmoe_torch) against dsmoe: on checkpoints dsmoe
 * wrote for every kind × positions × norm × router (other options varied
 * across them, and two models whose routers tie on every token), the twin's
 * logits equal dsmoe's in every inference mode, its routing picks the same
 * experts, and one training step's loss parts and gradients (MI, Switch and
 * z-losses included) are dsmoe's. The same weights written as format
 * version 1 load too. Runs Debian's python3 with torch (python.ts).
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { getBackend, setBackend } from '../../src/index.js';
import { twinCases, writeCase, TWIN_MODES } from './fixtures.js';
import { usesRoutingExtensions } from '../../src/io/checkpoint-names.js';
import { python, SCRIPTS, torchPython } from './python.js';

interface Report {
  version: number;
  logits: number[];
  routed: (number | null)[][];
  routedDsmoe: (number | null)[][];
  v1: { version: number; logits: number } | { refused: string };
  loss: Record<string, [number, number]>;
  grads: Record<string, [number, number]>;
}

const cases = twinCases();
let reports: Record<string, Report> = {};

beforeAll(async () => {
  torchPython();
  await setBackend('cpu');
  const dir = mkdtempSync(join(tmpdir(), 'dsmoe-twin-'));
  const folders: string[] = [];
  for (const [i, c] of cases.entries()) folders.push(await writeCase(dir, c, i + 1));
  expect(getBackend().name).toBe('cpu');
  reports = JSON.parse(python([join(SCRIPTS, 'twin_check.py'), ...folders])) as Record<string, Report>;
});

describe('the PyTorch twin on checkpoints dsmoe wrote', () => {
  it('covers every kind × positions × norm × router, ties, and the routing extensions', () => {
    expect(Object.keys(reports).sort()).toEqual(cases.map((c) => c.name).sort());
    expect(cases.filter((c) => c.config.kind === 'dsmoe')).toHaveLength(10);
    expect(cases.filter((c) => usesRoutingExtensions(c.config)).map((c) => c.name)).toEqual(['dsmoe-extensions', 'smoe-extensions']);
  });

  it.each(cases.map((c) => c.name))('%s: logits in every mode within 1e-4, the same experts routed', (name) => {
    const r = reports[name]!;
    expect(r.version).toBe(usesRoutingExtensions(cases.find((c) => c.name === name)!.config) ? 3 : 2);
    expect(r.logits).toHaveLength(TWIN_MODES.length);
    r.logits.forEach((d, i) => expect(d, `${JSON.stringify(TWIN_MODES[i])}: max |Δ logit|`).toBeLessThan(1e-4));
    expect(r.routed).toEqual(r.routedDsmoe);
  });

  it.each(cases.map((c) => c.name))('%s: one training step gives dsmoe\'s loss parts and gradients', (name) => {
    const r = reports[name]!;
    for (const [part, [dsmoe, torch]] of Object.entries(r.loss)) expect(Math.abs(dsmoe - torch), part).toBeLessThan(1e-5 * Math.max(1, Math.abs(dsmoe)));
    for (const [param, [diff, scale]] of Object.entries(r.grads)) expect(diff, `${param} (max |g| ${scale})`).toBeLessThan(1e-5 + 1e-4 * scale);
  });

  it('reads the same weights from a format-version-1 file (attention names of Dense and SMoE as they were); refuses one claiming the extensions', () => {
    for (const [name, r] of Object.entries(reports)) {
      if (usesRoutingExtensions(cases.find((c) => c.name === name)!.config)) {
        expect(r.v1, name).toEqual({ refused: expect.stringContaining('format version 1 has no sharedExperts, zeroExperts or dts, but the config sets them') });
        continue;
      }
      expect(r.v1, name).toMatchObject({ version: 1 });
      expect((r.v1 as { logits: number }).logits, name).toBeLessThan(1e-4);
    }
  });

  it('the routers matter: the sparse modes route fewer pairs than dense, and the aux losses are not zero', () => {
    const r = reports['dsmoe-rotary-rms-linear']!;
    const dense = r.routed[0]![0]!;
    expect(r.routed[1]![0]).toBeLessThan(dense);
    expect(Math.abs(r.loss.miFfn![0])).toBeGreaterThan(1e-3);
    expect(Math.abs(reports['smoe-rotary-rms-linear']!.loss.balance![0])).toBeGreaterThan(0.5);
  });
});
