/**
 * Training on the PyTorch side, end to end: a run dsmoe trained continues
 * for 20 steps in python/dsmoe_torch/train.py, and the checkpoint it writes
 * is read back by `dsmoe eval` (the perplexities the torch side computed),
 * `dsmoe generate` and the demo page's reader; and the same script under
 * torchrun with 2 gloo processes ends at the weights of 1 process on the
 * same global batches, for DS-MoE (MI losses) and SMoE (Switch loss).
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { decodeSafetensors } from '../../src/io/safetensors.js';
import { getBackend } from '../../src/index.js';
import { trainCommand } from '../../src/cli/train.js';
import { evalCommand } from '../../src/cli/eval.js';
import { generateCommand } from '../../src/cli/generate.js';
import { tokensCommand } from '../../src/cli/tokens.js';
import { loadModel } from '../../src/cli/run-folder.js';
import { readModel } from '../../src/train/checkpoint.js';
import { capture, tempDir, tinyCorpus, tinyFlags } from '../cli/helpers.js';
import { python, pythonStatus } from './python.js';

const MODES = 'dense,topK:1,threshold:1,thresholdTopK:0.8';
/**
 * torchrun, 2 processes on this machine, its rendezvous on a port free now (torch 1.13's
 * --standalone always takes 29400, which another run may hold). --redirects/--tee: torchrun's
 * default "0" fails to parse under Python 3.11 with torch 1.13 (python/README.md).
 */
async function torchrun2(): Promise<string[]> {
  const port = await new Promise<number>((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as AddressInfo;
      server.close(() => resolve(port));
    });
  });
  return ['-m', 'torch.distributed.run', '--nnodes', '1', '--nproc_per_node', '2', '--master_addr', '127.0.0.1', '--master_port', String(port), '--monitor_interval', '1', '--redirects', '1', '--tee', '1'];
}
const corpus = tinyCorpus();
const dir = tempDir();
const runs: Record<'dsmoe' | 'smoe', string> = { dsmoe: join(dir, 'dsmoe'), smoe: join(dir, 'smoe') };
const tokens = join(dir, 'tokens.safetensors');

beforeAll(async () => {
  for (const kind of ['dsmoe', 'smoe'] as const) await capture(() => trainCommand([...tinyFlags(corpus, runs[kind]), '--steps', '3', '--kind', kind]));
  await capture(() => tokensCommand(['--run', runs.dsmoe, '--corpus', corpus, '--out', tokens]));
});

/** python -m dsmoe_torch.train from the dsmoe run of `kind`, 20 steps, writing to `out`. */
function torchTrain(kind: 'dsmoe' | 'smoe', out: string, launcher: string[] = [], extra: string[] = []): string {
  return python([...launcher, '-m', 'dsmoe_torch.train', '--tokens', tokens, '--init', join(runs[kind], 'model.safetensors'), '--out', out, '--steps', '20', '--log-every', '20', ...extra]);
}

function weights(file: string): Record<string, Float32Array> {
  const { tensors } = decodeSafetensors(new Uint8Array(readFileSync(file)));
  return Object.fromEntries(Object.entries(tensors).map(([k, t]) => [k, t.data as Float32Array]));
}

function maxDiff(a: Record<string, Float32Array>, b: Record<string, Float32Array>): number {
  expect(Object.keys(a).sort()).toEqual(Object.keys(b).sort());
  let m = 0;
  for (const [k, x] of Object.entries(a)) x.forEach((v, i) => { m = Math.max(m, Math.abs(v - b[k]![i]!)); });
  return m;
}

describe('dsmoe → torch → dsmoe', () => {
  const out = join(dir, 'torch');
  let torchRows: { label: string; perplexity: number; tokens: number }[] = [];

  beforeAll(() => {
    torchTrain('dsmoe', out, [], ['--eval-modes', MODES]);
    torchRows = (JSON.parse(readFileSync(join(out, 'eval.json'), 'utf8')) as { rows: typeof torchRows }).rows;
  });

  it('dsmoe eval gives the perplexity the torch side computed, in every mode', async () => {
    const { stdout } = await capture(() => evalCommand(['--checkpoint', join(out, 'model.safetensors'), '--corpus', corpus, '--modes', MODES, '--json', '--backend', 'cpu']));
    expect(getBackend().name).toBe('cpu');
    const rows = (JSON.parse(stdout) as { rows: { perplexity: number; tokens: number }[] }).rows;
    expect(rows).toHaveLength(4);
    rows.forEach((r, i) => {
      expect(r.tokens, torchRows[i]!.label).toBe(torchRows[i]!.tokens);
      expect(Math.abs(r.perplexity / torchRows[i]!.perplexity - 1), torchRows[i]!.label).toBeLessThan(1e-5);
    });
    // The torch side trained: its weights are not the ones it started from.
    expect(maxDiff(weights(join(out, 'model.safetensors')), weights(join(runs.dsmoe, 'model.safetensors')))).toBeGreaterThan(1e-3);
  });

  it('the checkpoint loads in dsmoe generate and in the demo page, at step 3 + 20', async () => {
    const file = join(out, 'model.safetensors');
    expect(loadModel(file).step).toBe(23);
    const { stdout } = await capture(() => generateCommand(['--checkpoint', file, '--prompt', 'The jury', '--tokens', '8', '--temperature', '0', '--backend', 'cpu']));
    expect(stdout.startsWith('The jury')).toBe(true);
    expect(stdout.length).toBeGreaterThan('The jury'.length);
    const { step, model: lm } = readModel(new Uint8Array(readFileSync(file)), 'model.safetensors');
    expect(step).toBe(23);
    expect(lm.numParameters()).toBe(loadModel(runs.dsmoe).model.numParameters());
    expect(lm.config.kind).toBe('dsmoe');
  });
});

describe('fresh weights from a config', () => {
  it('--config starts an SMoE from torch\'s initialisation; dsmoe loads what it wrote', async () => {
    const out = join(dir, 'fresh');
    const config = join(dir, 'smoe.json');
    writeFileSync(config, JSON.stringify({ ...loadModel(runs.smoe).model.config, router: 'mlp', positions: 'learned', norm: 'layer' }));
    python(['-m', 'dsmoe_torch.train', '--tokens', tokens, '--config', config, '--out', out, '--steps', '5', '--seq-len', '16', '--batch-size', '2', '--eval-tokens', '64', '--eval-modes', 'topK:1']);
    const torchPpl = (JSON.parse(readFileSync(join(out, 'eval.json'), 'utf8')) as { rows: { perplexity: number }[] }).rows[0]!.perplexity;
    const loaded = loadModel(join(out, 'model.safetensors'));
    expect(loaded.step).toBe(5);
    expect(loaded.model.config).toMatchObject({ kind: 'smoe', router: 'mlp', positions: 'learned', norm: 'layer' });
    const { stdout } = await capture(() => evalCommand(['--checkpoint', join(out, 'model.safetensors'), '--corpus', corpus, '--modes', 'topK:1', '--json', '--backend', 'cpu']));
    expect(Math.abs((JSON.parse(stdout) as { rows: { perplexity: number }[] }).rows[0]!.perplexity / torchPpl - 1)).toBeLessThan(1e-5);
  });
});

describe('torchrun with 2 gloo processes', () => {
  it.each(['dsmoe', 'smoe'] as const)('%s: 20 DDP steps end at the weights of 1 process on the same global batches (1e-5)', async (kind) => {
    const one = join(dir, `${kind}-one`);
    const two = join(dir, `${kind}-two`);
    torchTrain(kind, one, [], ['--batch-size', '4']);
    const log = torchTrain(kind, two, await torchrun2(), ['--batch-size', '4']);
    expect(log).toMatch(/on 2 cpu process\(es\), ddp/);
    const meta = decodeSafetensors(new Uint8Array(readFileSync(join(two, 'model.safetensors')))).metadata;
    expect(meta.writer).toMatch(/2 cpu process\(es\), ddp/);
    const a = weights(join(one, 'model.safetensors'));
    expect(maxDiff(a, weights(join(two, 'model.safetensors')))).toBeLessThan(1e-5);
    expect(maxDiff(a, weights(join(runs[kind], 'model.safetensors')))).toBeGreaterThan(1e-3);
  });
});

describe('--strategy fsdp', () => {
  it('trains as DDP does where this torch has FSDP with use_orig_params, and says why not where it has not', async () => {
    const out = join(dir, 'fsdp');
    const r = pythonStatus([...(await torchrun2()), '-m', 'dsmoe_torch.train', '--tokens', tokens, '--init', join(runs.dsmoe, 'model.safetensors'), '--out', out, '--steps', '20', '--batch-size', '4', '--strategy', 'fsdp']);
    const refusal = /--strategy fsdp: this torch \(.+\) cannot import FSDP|--strategy fsdp needs FSDP's use_orig_params \(torch 2\.0 or later\)/;
    if (refusal.test(r.stderr)) {
      expect(r.status).not.toBe(0);
      expect(r.stderr).toMatch(/use --strategy ddp/);
    } else {
      expect(r.status, r.stderr.slice(-2000)).toBe(0);
      const one = join(dir, 'dsmoe-one');
      expect(maxDiff(weights(join(one, 'model.safetensors')), weights(join(out, 'model.safetensors')))).toBeLessThan(1e-5);
    }
  });
});
