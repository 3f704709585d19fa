/**
 * dsmoe study: the plan refuses what makes no sense by name; a study runs
 * end to end on a one-step budget, writes its records, report and pictures;
 * a stopped study continues (a run without a record is re-evaluated from
 * its checkpoint, to the same numbers); a folder made by another plan is
 * refused; and the report's statistics are what they say.
 */
import { existsSync, readFileSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import '../../src/index.js';
import { studyCommand } from '../../src/cli/study.js';
import { makePlan, plannedRuns } from '../../src/cli/study-plan.js';
import { paired, spread } from '../../src/cli/study-report.js';
import type { RunRecord } from '../../src/cli/study-record.js';
import { capture, tempDir, tinyCorpus } from './helpers.js';

const corpus = tinyCorpus();

describe('study plan', () => {
  it('refuses zero seeds, unknown presets and ablations, and a budget under one batch, naming the value', () => {
    expect(() => makePlan({ presets: ['tiny'], seeds: 0 })).toThrow(/--seeds must be a positive integer, got 0/);
    expect(() => makePlan({ presets: ['tiny', 'huge'], seeds: 1 })).toThrow(/unknown preset 'huge'/);
    expect(() => makePlan({ presets: [], seeds: 1 })).toThrow(/at least one preset/);
    expect(() => makePlan({ presets: ['tiny'], seeds: 1, tokens: 1023 })).toThrow(/--tokens 1023 is less than one batch of 16×64 = 1024/);
    expect(() => makePlan({ presets: ['tiny'], seeds: 1, ablations: ['moa', 'nope'] })).toThrow(/unknown ablation 'nope'/);
    expect(() => makePlan({ presets: ['tiny'], seeds: 2, ablationSeeds: 3 })).toThrow(/--ablation-seeds must be an integer in \[1, --seeds = 2\], got 3/);
  });

  it('every run of a size shares its budget but the seed; ablations run at the first size only, on their seeds', () => {
    fc.assert(fc.property(fc.integer({ min: 1, max: 4 }), fc.integer({ min: 1, max: 4 }), (seeds, abl) => {
      fc.pre(abl <= seeds);
      const plan = makePlan({ presets: ['tiny', 'small'], seeds, ablationSeeds: abl, ablations: ['moa', 'long-dense'] });
      const runs = plannedRuns(plan);
      expect(new Set(runs.map((r) => r.dir)).size).toBe(runs.length);
      expect(runs.length).toBe(2 * 4 * seeds + 2 * abl);
      for (const r of runs) {
        expect(r.settings.seed).toBe(r.seed);
        const base = r.size.settings;
        expect(r.settings.steps).toBe(r.arm.stepsScale ? base.steps * r.arm.stepsScale : base.steps);
        expect(r.settings.batchSize * r.settings.seqLen).toBe(base.batchSize * base.seqLen);
      }
      expect(runs.filter((r) => r.size.preset === 'small').every((r) => ['dense', 'smoe', 'dsmoe', 'dsmoe-paper'].includes(r.arm.id))).toBe(true);
      expect(runs.filter((r) => r.arm.id === 'moa').map((r) => r.seed)).toEqual(Array.from({ length: abl }, (_, i) => i + 1));
    }), { numRuns: 12 });
  });

  it('the paper arm is the paper\'s architecture: attention experts and convex gates', () => {
    const paper = plannedRuns(makePlan({ presets: ['tiny'], seeds: 1, ablations: [] })).find((r) => r.arm.id === 'dsmoe-paper')!;
    expect(paper.config.attnExperts).toBeGreaterThan(1);
    expect(paper.config.ffnGate).toBe('convex');
    expect(paper.config.attnGate).toBe('convex');
  });

  it('the SMoE baseline keeps the published convex gate; its ablation is the one that scales it', () => {
    const runs = plannedRuns(makePlan({ presets: ['tiny'], seeds: 1, ablations: ['smoe-gate-scaled'] }));
    expect(runs.find((r) => r.arm.id === 'smoe')!.config.ffnGate).toBe('convex');
    expect(runs.find((r) => r.arm.id === 'smoe-gate-scaled')!.config.ffnGate).toBe('scaled');
    expect(runs.find((r) => r.arm.id === 'dsmoe')!.config.ffnGate).toBe('scaled');
  });

  it('the routing ablations change the default DS-MoE by one option each; the DTS gate anneals over the run; --main picks main arms', () => {
    const plan = makePlan({ presets: ['small'], seeds: 1, ablations: ['shared', 'zero', 'shared-zero', 'dts'], main: ['dsmoe'], tokens: 16 * 64 * 300 });
    const runs = plannedRuns(plan);
    expect(runs.map((r) => r.arm.id)).toEqual(['dsmoe', 'shared', 'zero', 'shared-zero', 'dts']);
    const cfg = (id: string) => runs.find((r) => r.arm.id === id)!.config;
    const base = cfg('dsmoe');
    expect([base.sharedExperts, base.zeroExperts, base.dts]).toEqual([0, [], null]);
    expect({ ...cfg('shared'), sharedExperts: 0 }).toEqual(base);
    expect(cfg('shared').sharedExperts).toBe(2);
    expect({ ...cfg('zero'), zeroExperts: [] }).toEqual(base);
    expect(cfg('zero').zeroExperts).toEqual(['zero', 'copy', 'constant']);
    expect([cfg('shared-zero').sharedExperts, cfg('shared-zero').zeroExperts.length]).toEqual([2, 3]);
    expect(cfg('dts').dts).toEqual({ tauStart: 2, tauEnd: 0.5, from: 0, to: 300 });
    expect(() => makePlan({ presets: ['tiny'], seeds: 1, main: ['dsmoe', 'moe'] })).toThrow("--main: unknown main arm 'moe' (known: dense, smoe, dsmoe, dsmoe-paper)");
  });
});

describe('study statistics', () => {
  it('spread is the mean, min and max', () => {
    fc.assert(fc.property(fc.array(fc.double({ min: -1e3, max: 1e3, noNaN: true }), { minLength: 1, maxLength: 8 }), (xs) => {
      const s = spread(xs);
      expect(s.n).toBe(xs.length);
      expect(s.min).toBe(Math.min(...xs));
      expect(s.max).toBe(Math.max(...xs));
      expect(s.mean).toBeCloseTo(xs.reduce((a, b) => a + b, 0) / xs.length, 9);
    }));
  });

  it('paired compares the same seed only, as pplA/pplB − 1', () => {
    const rec = (arm: string, seed: number, ppl: number): RunRecord => ({
      dir: `tiny/${arm}/seed-${seed}`, preset: 'tiny', arm, seed, kind: 'dense', backend: 'cpu', trainSeconds: 0, evalSeconds: 0, curve: [],
      rows: [{ label: 'dense', mode: 'dense', perplexity: ppl, totalParams: 1, activeParams: 1, ffnActive: 1 }],
    });
    const records = [rec('a', 1, 11), rec('a', 2, 24), rec('a', 3, 99), rec('b', 1, 10), rec('b', 2, 20)];
    const s = paired(records, 'tiny', { arm: 'a', label: 'dense' }, { arm: 'b', label: 'dense' });
    expect(s.n).toBe(2);
    expect(s.min).toBeCloseTo(0.1, 12);
    expect(s.max).toBeCloseTo(0.2, 12);
  });
});

describe('dsmoe study', () => {
  const flags = (out: string, tokens = '1024'): string[] => [
    '--sizes', 'tiny', '--seeds', '2', '--ablation-seeds', '1', '--ablations', 'alpha-ffn-0', '--tokens', tokens,
    '--out', out, '--backend', 'cpu', '--corpus', corpus, '--quiet',
  ];

  it('runs, records every run, writes the report and pictures; resumes to the same numbers; refuses another plan', async () => {
    const out = join(tempDir(), 'study');
    const first = await capture(() => studyCommand(flags(out)));
    const runs = plannedRuns(makePlan({ presets: ['tiny'], seeds: 2, ablationSeeds: 1, ablations: ['alpha-ffn-0'], tokens: 1024 }));
    expect(runs.length).toBe(9);
    for (const r of runs) {
      const rec = JSON.parse(readFileSync(join(out, r.dir, 'record.json'), 'utf8')) as RunRecord;
      expect(rec.backend).toBe('cpu');
      expect(rec.rows.length).toBeGreaterThan(0);
      for (const row of rec.rows) expect(Number.isFinite(row.perplexity)).toBe(true);
    }
    for (const f of ['report.md', 'tiny-ppl-vs-active.svg', 'tiny-training.svg']) expect(existsSync(join(out, f)), f).toBe(true);
    expect(first.stdout).toMatch(/\| DS-MoE \(paper\) \| topK k=2 /);
    expect(first.stdout).toMatch(/DS-MoE dense ÷ Dense/);
    expect(first.stdout).toMatch(/\| α_ffn = 0 /);

    // Stopped after training one run but before its record: the rerun evaluates it from its checkpoint, to the same numbers.
    const victim = join(out, runs[2]!.dir, 'record.json');
    const before = JSON.parse(readFileSync(victim, 'utf8')) as RunRecord;
    rmSync(victim);
    await capture(() => studyCommand(flags(out)));
    const after = JSON.parse(readFileSync(victim, 'utf8')) as RunRecord;
    expect(after.rows).toEqual(before.rows);

    await expect(capture(() => studyCommand(flags(out, '2048')))).rejects.toThrow(/made by another plan: run tiny\/dense\/seed-1 settings\.steps: 2 here, 1 in the folder/);
  }, 120_000);

  it('runs the routing ablations with --main dsmoe: top-p rows for every DS-MoE run, their every mode in a table of their own; reads a plan written before the fields existed', async () => {
    const out = join(tempDir(), 'routing');
    const args = ['--sizes', 'tiny', '--seeds', '1', '--main', 'dsmoe', '--ablations', 'zero,dts', '--tokens', '1024', '--out', out, '--backend', 'cpu', '--corpus', corpus, '--quiet'];
    const first = await capture(() => studyCommand(args));
    expect(first.stdout).toMatch(/## Routing beyond the paper \(tiny\): every mode, against DS-MoE/);
    expect(first.stdout).toMatch(/\| zero-computation experts: zero, copy, constant\s*\| topP p=0\.8 /);
    expect(first.stdout).toMatch(/\| DTS gate, τ 2 → 0\.5 over the run\s*\| topK k=2 /);
    expect(first.stdout).not.toMatch(/\| SMoE /);
    const rec = JSON.parse(readFileSync(join(out, 'tiny', 'zero', 'seed-1', 'record.json'), 'utf8')) as RunRecord;
    expect(rec.rows.filter((r) => r.mode === 'topP').map((r) => r.param)).toEqual([0.6, 0.8, 0.9]);
    // study.json as a dsmoe without the routing fields wrote it: the same plan, so nothing reruns.
    const file = join(out, 'study.json');
    const study = JSON.parse(readFileSync(file, 'utf8')) as { runs: Record<string, { config: Record<string, unknown> }> };
    const plain = (c: Record<string, unknown>): boolean => c.sharedExperts === 0 && (c.zeroExperts as unknown[]).length === 0 && c.dts === null;
    const old = Object.values(study.runs).filter((r) => plain(r.config));
    expect(old.length).toBeGreaterThan(0);
    for (const r of old) for (const k of ['sharedExperts', 'zeroExperts', 'dts']) delete r.config[k];
    writeFileSync(file, JSON.stringify(study));
    const again = await capture(() => studyCommand(args));
    const timeless = (report: string): string => report.replace(/this invocation [^)]*\)/, '');
    expect(timeless(again.stdout)).toBe(timeless(first.stdout));
  }, 120_000);

  it('refuses a folder that holds files but is not a study', async () => {
    const out = join(tempDir(), 'other');
    mkdirSync(out);
    writeFileSync(join(out, 'notes.txt'), 'mine');
    await expect(capture(() => studyCommand(flags(out)))).rejects.toThrow(/holds files but no study\.json/);
  });
});
