/**
 * Hostile checkpoints and run folders: each case is a real checkpoint with
 * one thing changed, and each must end in an error that names the problem
 * before anything the file's claims imply is allocated, never in a wrong
 * answer (exit 0 with NaN perplexity, integers read as floats).
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import '../../src/index.js';
import { loadModel, resolveModelPath } from '../../src/cli/run-folder.js';
import { evalCommand } from '../../src/cli/eval.js';
import { trainCommand } from '../../src/cli/train.js';
import { decodeSafetensors, encodeSafetensors, MAX_TENSORS, type SafetensorsTensor } from '../../src/io/safetensors.js';
import { capture, tempDir, tinyCorpus, tinyFlags } from '../cli/helpers.js';

const corpus = tinyCorpus();
let run = '';
let original: { tensors: Record<string, SafetensorsTensor>; metadata: Record<string, string> };

beforeAll(async () => {
  run = join(tempDir(), 'run');
  await capture(() => trainCommand([...tinyFlags(corpus, run), '--steps', '2']));
  original = decodeSafetensors(new Uint8Array(readFileSync(join(run, 'model.safetensors'))));
});

/** Writes the original model file with `edit` applied; returns its path. */
function hostile(edit: (f: typeof original) => void): string {
  const f = structuredClone(original);
  edit(f);
  const file = join(tempDir(), 'model.safetensors');
  writeFileSync(file, encodeSafetensors(f.tensors, f.metadata));
  return file;
}

function withConfig(change: Record<string, unknown>): string {
  return hostile((f) => {
    f.metadata.config = JSON.stringify({ ...JSON.parse(f.metadata.config!), ...change });
  });
}

/** Runs `fn`, expecting it to throw `pattern`, and the process to have grown by less than `mb` megabytes. */
function refusedWithin(fn: () => unknown, pattern: RegExp, mb = 50): void {
  const before = process.memoryUsage().rss;
  expect(fn).toThrow(pattern);
  expect((process.memoryUsage().rss - before) / 2 ** 20).toBeLessThan(mb);
}

describe('hostile checkpoints', () => {
  it('the unchanged file loads (the cases below differ from it in one thing)', () => {
    expect(loadModel(hostile(() => {})).step).toBe(2);
  });

  it('a config claiming 100,000 layers is refused against the tensors before the model is built', () => {
    refusedWithin(() => loadModel(withConfig({ nLayers: 100_000 })), /tensor 'blocks\.1\.norm1\.weight', which the config implies \(nLayers 100000, .*\), is not in the file/);
  });

  it('a config claiming a 65,536-wide model is refused by the first tensor whose shape disagrees', () => {
    refusedWithin(() => loadModel(withConfig({ dModel: 65_536, expertHidden: 65_536 })), /tensor 'embed\.weight' is \[256, 16\] in the file but the config implies \[256, 65536\]/);
  });

  it('a float parameter stored as I32 is refused, not read as integers', () => {
    const file = hostile((f) => {
      const t = f.tensors['normOut.weight']!;
      f.tensors['normOut.weight'] = { dtype: 'I32', shape: t.shape, data: Int32Array.from(t.data as Float32Array, (v) => Math.round(v)) };
    });
    expect(() => loadModel(file)).toThrow(/'normOut\.weight' is int32 in the state dict but float32 in the module/);
  });

  it.each([NaN, Infinity, -Infinity])('a weight holding %s is refused with the tensor and index', (bad) => {
    const file = hostile((f) => {
      (f.tensors['blocks.0.ffn.w2']!.data as Float32Array)[5] = bad;
    });
    expect(() => loadModel(file)).toThrow(new RegExp(`'blocks\\.0\\.ffn\\.w2' holds ${String(bad)} at index 5`));
  });

  it('a tensor named twice in the header is refused (JSON would silently keep the last)', () => {
    const bytes = new Uint8Array(readFileSync(join(run, 'model.safetensors')));
    const n = Number(new DataView(bytes.buffer, bytes.byteOffset, 8).getBigUint64(0, true));
    const header = new TextDecoder().decode(bytes.subarray(8, 8 + n));
    // Repeat the normOut entry under its own name, keeping the header's length (shrink the padding).
    const entry = /"normOut\.weight":\{[^}]*\}/.exec(header)![0];
    const doubled = header.replace(entry, `${entry},${entry}`).trimEnd();
    expect(doubled.length).toBeLessThanOrEqual(n + entry.length + 1);
    const padded = doubled.padEnd(Math.ceil(doubled.length / 8) * 8, ' ');
    const out = new Uint8Array(8 + padded.length + bytes.length - 8 - n);
    new DataView(out.buffer).setBigUint64(0, BigInt(padded.length), true);
    out.set(new TextEncoder().encode(padded), 8);
    out.set(bytes.subarray(8 + n), 8 + padded.length);
    const file = join(tempDir(), 'dup.safetensors');
    writeFileSync(file, out);
    expect(() => loadModel(file)).toThrow(/names "normOut\.weight" twice/);
  });

  it(`a header of more than ${MAX_TENSORS} tensors is refused as the header is read, in bounded memory`, () => {
    const entries = Array.from({ length: MAX_TENSORS + 10 }, (_, i) => `"t${i}":{"dtype":"F32","shape":[0],"data_offsets":[0,0]}`);
    const text = `{${entries.join(',')}}`;
    const out = new Uint8Array(8 + text.length);
    new DataView(out.buffer).setBigUint64(0, BigInt(text.length), true);
    out.set(new TextEncoder().encode(text), 8);
    const before = process.memoryUsage().rss;
    expect(() => decodeSafetensors(out)).toThrow(/has more than 65536 tensors/);
    expect((process.memoryUsage().rss - before) / 2 ** 20).toBeLessThan(20 * out.length / 2 ** 20 + 50);
  });

  it('a folder named like a file, and a missing file, are named', () => {
    const dir = join(tempDir(), 'x.safetensors');
    mkdirSync(dir);
    expect(() => resolveModelPath(dir)).toThrow(/no model\.safetensors or checkpoint\.safetensors in '.*x\.safetensors'/);
    expect(() => loadModel(join(tempDir(), 'none.safetensors'))).toThrow(/does not exist/);
  });

  it('a run folder whose model file is a save behind its checkpoint loads the checkpoint', () => {
    const dir = join(tempDir(), 'behind');
    mkdirSync(dir);
    const ahead = decodeSafetensors(new Uint8Array(readFileSync(join(run, 'checkpoint.safetensors'))));
    writeFileSync(join(dir, 'checkpoint.safetensors'), encodeSafetensors(ahead.tensors, { ...ahead.metadata, step: '3' }));
    writeFileSync(join(dir, 'model.safetensors'), readFileSync(join(run, 'model.safetensors')));
    expect(resolveModelPath(dir)).toBe(join(dir, 'checkpoint.safetensors'));
    expect(loadModel(dir).step).toBe(3);
  });

  it('eval does not read a corpus path from a checkpoint unless the user names it', async () => {
    const file = hostile((f) => {
      f.metadata.corpus = JSON.stringify({ ...JSON.parse(f.metadata.corpus!), corpus: '/etc/passwd' });
    });
    await expect(capture(() => evalCommand(['--checkpoint', file, '--backend', 'cpu', '--modes', 'dense']))).rejects.toThrow(/trained on the corpus '\/etc\/passwd'; eval reads a path from a checkpoint only when asked/);
  });
});

describe('hostile run folders and flags', () => {
  it('train over an existing run is refused; --force starts over, --resume continues', async () => {
    await expect(capture(() => trainCommand([...tinyFlags(corpus, run), '--steps', '2']))).rejects.toThrow(/already holds a run \(checkpoint\.safetensors, model\.safetensors\): continue it with --resume, or pass --force/);
    const other = join(tempDir(), 'forced');
    await capture(() => trainCommand([...tinyFlags(corpus, other), '--steps', '1']));
    await capture(() => trainCommand([...tinyFlags(corpus, other), '--steps', '2', '--force']));
    expect(loadModel(other).step).toBe(2);
  });

  it('a save clears the temp files of dead writers and keeps a live one\'s', async () => {
    const dir = join(tempDir(), 'stale');
    await capture(() => trainCommand([...tinyFlags(corpus, dir), '--steps', '2', '--checkpoint-every', '1']));
    // pid 2^22 + 1 is above Linux's pid limit: no such process.
    const dead = join(dir, `.model.safetensors.${2 ** 22 + 1}.00ff00ff.tmp`);
    const live = join(dir, `.checkpoint.safetensors.${process.pid}.00ff00ff.tmp`);
    writeFileSync(dead, 'torn');
    writeFileSync(live, 'in progress');
    await capture(() => trainCommand(['--resume', '--out', dir, '--quiet']));
    // Resuming at the last step still saves: the dead writer's leftover is gone, the live one's kept.
    expect(existsSync(dead)).toBe(false);
    expect(existsSync(live)).toBe(true);
  });

  it('resume validates the settings it reads back', async () => {
    const dir = join(tempDir(), 'bad-settings');
    await capture(() => trainCommand([...tinyFlags(corpus, dir), '--steps', '2']));
    const ck = decodeSafetensors(new Uint8Array(readFileSync(join(dir, 'checkpoint.safetensors'))));
    ck.metadata.settings = JSON.stringify({ ...JSON.parse(ck.metadata.settings!), batchSize: -3 });
    writeFileSync(join(dir, 'checkpoint.safetensors'), encodeSafetensors(ck.tensors, ck.metadata));
    await expect(capture(() => trainCommand(['--resume', '--out', dir, '--quiet']))).rejects.toThrow(/settings\.batchSize must be a positive integer, got -3/);
  });

  it('negative numbers, an absurd context and an empty mode list are named', async () => {
    const out = join(tempDir(), 'flags');
    await expect(capture(() => trainCommand([...tinyFlags(corpus, out), '--steps', '-5']))).rejects.toThrow(/--steps must be ≥ 1, got -5/);
    await expect(capture(() => trainCommand([...tinyFlags(corpus, out), '--seq-len', '100000']))).rejects.toThrow(/maxSeqLen must be ≤ 8192/);
    await expect(capture(() => evalCommand(['--run', run, '--corpus', corpus, '--backend', 'cpu', '--modes', '']))).rejects.toThrow(/--modes is empty/);
  });
});
