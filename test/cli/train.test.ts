/**
 * The commands end to end on a tiny model and corpus (cpu backend, a few
 * steps): train writes its files, a resumed run is bit-identical to an
 * unbroken one, eval and generate read the run back, compare prints the
 * three kinds, and bad input fails with an error naming it.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import '../../src/index.js';
import { trainCommand } from '../../src/cli/train.js';
import { evalCommand } from '../../src/cli/eval.js';
import { generateCommand } from '../../src/cli/generate.js';
import { compareCommand } from '../../src/cli/compare.js';
import { demoCommand } from '../../src/cli/demo.js';
import { loadModel } from '../../src/cli/run-folder.js';
import { capture, tempDir, tinyCorpus, tinyFlags } from './helpers.js';

const corpus = tinyCorpus();

describe('dsmoe train', () => {
  it('writes checkpoint, weights and training curves, and the weights load back', async () => {
    const out = join(tempDir(), 'run');
    await capture(() => trainCommand([...tinyFlags(corpus, out), '--steps', '4']));
    for (const f of ['checkpoint.safetensors', 'model.safetensors', 'training-curves.svg', 'expert-load.svg', 'expert-genre.svg']) expect(existsSync(join(out, f)), f).toBe(true);
    const { model, step, tokenizer } = loadModel(out);
    expect(step).toBe(4);
    expect(model.config.dModel).toBe(16);
    expect(tokenizer.kind).toBe('byte');
    expect(readFileSync(join(out, 'training-curves.svg'), 'utf8')).toMatch(/^<svg/);
  });

  it('stopping at any step and resuming gives the same weights as an unbroken run (cpu), with and without the routing extensions', async () => {
    const total = 6;
    const dir = tempDir();
    // The DTS gate's temperature moves every step: a resumed run must take it up where the stopped one left it.
    for (const extra of [[], ['--shared-experts', '1', '--zero-experts', 'copy,constant', '--dts', '3:0.3:1:5']]) {
      const whole = join(dir, `whole-${extra.length}`);
      await capture(() => trainCommand([...tinyFlags(corpus, whole), '--steps', String(total), '--dropout', '0.1', ...extra]));
      const expected = readFileSync(join(whole, 'model.safetensors'));
      await fc.assert(fc.asyncProperty(fc.integer({ min: 1, max: total - 1 }), async (stop) => {
        const split = join(dir, `split-${stop}-${Math.random().toString(36).slice(2)}`);
        await capture(() => trainCommand([...tinyFlags(corpus, split), '--steps', String(total), '--dropout', '0.1', '--stop-after', String(stop), ...extra]));
        expect(loadModel(split).step).toBe(stop);
        await capture(() => trainCommand(['--resume', '--out', split, '--quiet']));
        expect(Buffer.compare(readFileSync(join(split, 'model.safetensors')), expected)).toBe(0);
      }), { numRuns: 10 });
    }
  });

  it('trains the Dense and SMoE baselines too', async () => {
    for (const kind of ['dense', 'smoe']) {
      const out = join(tempDir(), kind);
      await capture(() => trainCommand([...tinyFlags(corpus, out), '--steps', '2', '--kind', kind]));
      expect(loadModel(out).model.config.kind).toBe(kind);
    }
  });

  it('a BPE tokenizer is trained on the training documents and saved with the checkpoint', async () => {
    const out = join(tempDir(), 'bpe');
    await capture(() => trainCommand([...tinyFlags(corpus, out), '--steps', '2', '--tokenizer', 'bpe', '--bpe-vocab', '300']));
    const { tokenizer, model } = loadModel(out);
    expect(tokenizer.kind).toBe('bpe');
    expect(model.config.vocabSize).toBe(tokenizer.vocabSize);
    const { stdout } = await capture(() => evalCommand(['--run', out, '--corpus', corpus, '--backend', 'cpu', '--json', '--modes', 'dense']));
    const row = (JSON.parse(stdout) as { rows: { loss: number; bitsPerByte: number }[] }).rows[0]!;
    // Bits per byte divides by the bytes the tokens stand for: fewer bits per byte than per token.
    expect(row.bitsPerByte).toBeLessThan(row.loss / Math.LN2);
  });

  it('names what is wrong in bad input', async () => {
    const out = join(tempDir(), 'bad');
    const run = (args: string[]): Promise<unknown> => capture(() => trainCommand(args));
    await expect(run([...tinyFlags(corpus, out), '--preset', 'huge'])).rejects.toThrow(/unknown preset 'huge'/);
    await expect(run([...tinyFlags('/no/such/corpus', out), '--steps', '2'])).rejects.toThrow(/\/no\/such\/corpus/);
    await expect(run([...tinyFlags(corpus, out), '--steps', 'many'])).rejects.toThrow(/--steps must be an integer, got 'many'/);
    await expect(run([...tinyFlags(corpus, out), '--lr=-1'])).rejects.toThrow(/--lr must be ≥ 0/);
    await expect(run([...tinyFlags(corpus, out), '--kind', 'moe'])).rejects.toThrow(/--kind must be one of dsmoe, dense, smoe/);
    await expect(run([...tinyFlags(corpus, out), '--seq-len', '100', '--max-seq-len', '64'])).rejects.toThrow(/--seq-len 100 exceeds the model's maxSeqLen 64/);
    await expect(run([...tinyFlags(corpus, out), '--backend', 'quantum'])).rejects.toThrow(/--backend quantum: .*unknown backend 'quantum'/);
    await expect(run(['--resume', '--out', join(tempDir(), 'empty')])).rejects.toThrow(/no checkpoint.safetensors/);
    await expect(run(['--resume'])).rejects.toThrow(/--resume needs --out/);
    await expect(run([...tinyFlags(corpus, out), '--shared-experts', '-1'])).rejects.toThrow(/--shared-experts must be ≥ 0, got -1/);
    await expect(run([...tinyFlags(corpus, out), '--shared-experts', '4'])).rejects.toThrow(/sharedExperts=4 must be less than nExperts=4/);
    await expect(run([...tinyFlags(corpus, out), '--zero-experts', 'zero,null'])).rejects.toThrow(/--zero-experts: unknown kind 'null' in 'zero,null' \(known: zero, copy, constant, or none\)/);
    await expect(run([...tinyFlags(corpus, out), '--dts', '2:0.5:50:10'])).rejects.toThrow(/--dts: the schedule ends \(to=10\) before it starts \(from=50\)/);
    await expect(run([...tinyFlags(corpus, out), '--dts', '2:0:0:10'])).rejects.toThrow(/--dts\.tauEnd must be a finite number > 0, got 0/);
    await expect(run([...tinyFlags(corpus, out), '--dts', '2:0.5'])).rejects.toThrow(/--dts '2:0.5': expected TAU_START:TAU_END:FROM:TO/);
  });

  it('trains with shared and zero-computation experts and the DTS gate; eval and generate read them back', async () => {
    const out = join(tempDir(), 'extended');
    await capture(() => trainCommand([...tinyFlags(corpus, out), '--steps', '3', '--shared-experts', '1', '--zero-experts', 'zero,copy,constant', '--dts', '2:0.5:0:3']));
    const { model, metadata } = loadModel(out);
    expect(metadata.format_version).toBe('3');
    expect([model.config.sharedExperts, model.config.zeroExperts, model.config.dts]).toEqual([1, ['zero', 'copy', 'constant'], { tauStart: 2, tauEnd: 0.5, from: 0, to: 3 }]);
    expect(model.gateTemperature).toBe(0.5);
    const { stdout } = await capture(() => evalCommand(['--run', out, '--corpus', corpus, '--backend', 'cpu', '--json', '--tokens', '64', '--thresholds', '1', '--top-p', '0.5,1']));
    const rows = (JSON.parse(stdout) as { rows: { label: string; perplexity: number; ffnExperts: number; ffnZeroExperts: number }[] }).rows;
    // Three routed experts and three zero-computation ones: top-K runs to 6.
    expect(rows.map((r) => r.label)).toEqual(['dense', ...[1, 2, 3, 4, 5, 6].map((k) => `topK k=${k}`), 'threshold ε=1 +attn', 'thresholdTopK ε=1 +attn', 'topP p=0.5 +attn', 'topP p=1 +attn']);
    expect(rows.find((r) => r.label === 'topK k=6')!.perplexity).toBeCloseTo(rows[0]!.perplexity, 3);
    expect(rows.find((r) => r.label === 'topK k=6')!.ffnZeroExperts).toBeCloseTo(3, 10);
    expect(rows.find((r) => r.label === 'topK k=6')!.ffnExperts).toBeCloseTo(3, 10);
    const gen = await capture(() => generateCommand(['--run', out, '--backend', 'cpu', '--tokens', '4', '--seed', '1', '--mode', 'topP:0.8', '--prompt', 'The ']));
    expect(gen.stdout.startsWith('The ')).toBe(true);
    await expect(capture(() => evalCommand(['--run', out, '--corpus', corpus, '--backend', 'cpu', '--top-p', '1.5']))).rejects.toThrow(/--top-p: p=1.5 must be in \(0, 1\]/);
  });

  it('a damaged checkpoint is rejected with the file named, not half-loaded', async () => {
    const out = join(tempDir(), 'damaged');
    await capture(() => trainCommand([...tinyFlags(corpus, out), '--steps', '2']));
    const file = join(out, 'model.safetensors');
    const bytes = readFileSync(file);
    writeFileSync(file, bytes.subarray(0, bytes.length - 100));
    expect(() => loadModel(file)).toThrow(/model\.safetensors/);
  });
});

describe('dsmoe eval, generate and compare', () => {
  const out = join(tempDir(), 'trained');
  const ready = capture(() => trainCommand([...tinyFlags(corpus, out), '--steps', '4']));

  it('eval --json lists dense, topK k = 1..N and the threshold modes, with active shares', async () => {
    await ready;
    const { stdout } = await capture(() => evalCommand(['--run', out, '--corpus', corpus, '--backend', 'cpu', '--json', '--tokens', '64', '--thresholds', '0.5,1']));
    const report = JSON.parse(stdout) as { rows: { label: string; perplexity: number; ffnActive: number; mode: { mode: string } }[] };
    const labels = report.rows.map((r) => r.label);
    expect(labels).toEqual([
      'dense', 'topK k=1', 'topK k=2', 'topK k=3', 'topK k=4', 'threshold ε=0.5 +attn', 'threshold ε=1 +attn', 'thresholdTopK ε=0.5 +attn', 'thresholdTopK ε=1 +attn',
      'topP p=0.5 +attn', 'topP p=0.7 +attn', 'topP p=0.8 +attn', 'topP p=0.9 +attn',
    ]);
    const dense = report.rows[0]!;
    const all = report.rows[4]!;
    expect(all.perplexity).toBeCloseTo(dense.perplexity, 3);
    for (const r of report.rows) expect(r.ffnActive).toBeLessThanOrEqual(1 + 1e-9);
    expect(report.rows[1]!.ffnActive).toBeLessThan(report.rows[2]!.ffnActive);
  });

  it('eval prints a markdown table and writes the pictures into the run folder', async () => {
    await ready;
    const { stdout } = await capture(() => evalCommand(['--run', out, '--corpus', corpus, '--backend', 'cpu', '--tokens', '64', '--modes', 'dense,topK:1,topK:2']));
    expect(stdout).toMatch(/\| Mode +\| +PPL \|/);
    expect(stdout).toContain('topK k=1');
    expect(existsSync(join(out, 'expert-load.svg'))).toBe(true);
    expect(existsSync(join(out, 'sparsity.svg'))).toBe(true);
  });

  it('generate is reproducible from a seed and traces the experts of every token', async () => {
    await ready;
    const args = ['--run', out, '--backend', 'cpu', '--tokens', '8', '--seed', '3', '--mode', 'topK:2', '--prompt', 'The '];
    const a = await capture(() => generateCommand(args));
    const b = await capture(() => generateCommand(args));
    expect(a.stdout).toBe(b.stdout);
    expect(a.stdout.startsWith('The ')).toBe(true);
    const trace = await capture(() => generateCommand([...args, '--trace']));
    const lines = trace.stdout.trim().split('\n');
    expect(lines.length).toBe(8);
    for (const l of lines) expect(l).toMatch(/ffn L0:\[\d,\d\]/);
    await expect(capture(() => generateCommand([...args, '--mode', 'topK:9']))).rejects.toThrow(/k=9 must be an integer in \[1, 4\]/);
    await expect(capture(() => generateCommand(['--run', join(tempDir(), 'nothing')]))).rejects.toThrow(/checkpoint '.*nothing' does not exist/);
  });

  it('generate --prompts decodes ragged prompts as one batch, each as it would be alone', async () => {
    await ready;
    const dir = tempDir();
    const file = join(dir, 'prompts.txt');
    const prompts = ['The ', 'A much longer prompt than the others', 'x'];
    writeFileSync(file, `${prompts.join('\n')}\n`);
    const args = ['--run', out, '--backend', 'cpu', '--tokens', '6', '--temperature', '0', '--mode', 'threshold:0.5'];
    const batch = await capture(() => generateCommand([...args, '--prompts', file]));
    const alone: string[] = [];
    for (const p of prompts) alone.push((await capture(() => generateCommand([...args, '--prompt', p]))).stdout);
    expect(batch.stdout).toBe(alone.map((text, b) => `--- prompt ${b + 1} ---\n${text}`).join(''));
    writeFileSync(file, 'one\n\nthree\n');
    await expect(capture(() => generateCommand([...args, '--prompts', file]))).rejects.toThrow(/line 2 is empty/);
    await expect(capture(() => generateCommand([...args, '--prompts', file, '--prompt', 'x']))).rejects.toThrow(/not both/);
    await expect(capture(() => generateCommand([...args, '--tokens', '0']))).rejects.toThrow(/--tokens/);
    await expect(capture(() => generateCommand([...args, '--mode', 'topk:two']))).rejects.toThrow(/topk:two/);
  });

  it('compare trains Dense, SMoE and DS-MoE and prints one table', async () => {
    const dir = join(tempDir(), 'compare');
    const { stdout } = await capture(() => compareCommand([...tinyFlags(corpus, dir), '--steps', '2']));
    for (const m of ['| Dense', '| SMoE', '| DS-MoE']) expect(stdout).toContain(m);
    expect(stdout).toContain('topK k=1');
    expect(stdout).toContain('topP p=0.8');
    for (const kind of ['dense', 'smoe', 'dsmoe']) expect(existsSync(join(dir, kind, 'model.safetensors'))).toBe(true);
  });

  it('demo trains, prints the sparsity table and a sample, and leaves checkpoint and pictures', async () => {
    const dir = join(tempDir(), 'demo');
    const { stdout } = await capture(() => demoCommand([...tinyFlags(corpus, dir), '--steps', '3', '--demo-tokens', '64', '--sample', '5']));
    expect(stdout).toMatch(/\| dense +\|/);
    expect(stdout).toContain('topK k=2');
    expect(stdout).toContain('threshold ε=0.5 +attn');
    expect(stdout).toMatch(/Sample \(.+\):\n\nThe jury said /);
    for (const f of ['model.safetensors', 'checkpoint.safetensors', 'training-curves.svg', 'sparsity.svg', 'expert-load.svg', 'expert-genre.svg']) {
      expect(existsSync(join(dir, f)), f).toBe(true);
    }
  });

  it('demo with dense attention says so and prints no attention-pruning rows', async () => {
    const dir = join(tempDir(), 'demo-dense-attn');
    const flags = tinyFlags(corpus, dir);
    flags[flags.indexOf('--attn-experts') + 1] = '1';
    const { stdout } = await capture(() => demoCommand([...flags, '--steps', '2', '--demo-tokens', '64', '--sample', '3']));
    expect(stdout).toContain('dense attention and 4 FFN experts per layer');
    expect(stdout).toContain('threshold ε=0.5');
    expect(stdout).not.toContain('+attn');
  });
});
