/**
 * Bad input on the PyTorch side: each file below is a real dsmoe checkpoint
 * with one thing wrong (or no checkpoint at all), and the twin's reader must
 * refuse it with a CheckpointError that names the problem — never load it,
 * never fail with some other exception from deep inside torch.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { decodeSafetensors, encodeSafetensors, type SafetensorsTensor } from '../../src/io/safetensors.js';
import '../../src/index.js';
import { trainCommand } from '../../src/cli/train.js';
import { capture, tempDir, tinyCorpus, tinyFlags } from '../cli/helpers.js';
import { python, SCRIPTS } from './python.js';

type Result = { ok: true; version: number; kind: string } | { ok: false; type: string; error: string };

const dir = tempDir();
const files: Record<string, string> = {};
let results: Record<string, Result> = {};

/** The run's model.safetensors with `edit` applied, as a new file named `name`. */
function variant(original: { tensors: Record<string, SafetensorsTensor>; metadata: Record<string, string> }, name: string, edit: (f: typeof original) => void): void {
  const f = structuredClone(original);
  edit(f);
  files[name] = join(dir, `${name}.safetensors`);
  writeFileSync(files[name], encodeSafetensors(f.tensors, f.metadata));
}

beforeAll(async () => {
  const run = join(dir, 'run');
  await capture(() => trainCommand([...tinyFlags(tinyCorpus(), run), '--steps', '1', '--kind', 'dense']));
  const original = decodeSafetensors(new Uint8Array(readFileSync(join(run, 'model.safetensors'))));
  variant(original, 'unchanged', () => {});
  files['text'] = join(dir, 'notes.safetensors');
  writeFileSync(files['text'], 'These are notes, not tensors: a file anyone could pass by mistake.\n');
  files['missing-file'] = join(dir, 'nowhere.safetensors');
  variant(original, 'other-format', (f) => { f.metadata = { format: 'pt' }; });
  variant(original, 'missing-tensor', (f) => { delete f.tensors['blocks.0.ffn.w2']; });
  variant(original, 'wrong-shape', (f) => { f.tensors['blocks.0.ffn.w1']!.shape = [...f.tensors['blocks.0.ffn.w1']!.shape].reverse(); });
  variant(original, 'unknown-version', (f) => { f.metadata.format_version = '4'; });
  const config = (f: { metadata: Record<string, string> }, change: Record<string, unknown>, version = '3'): void => {
    f.metadata.config = JSON.stringify({ ...JSON.parse(f.metadata.config!), ...change });
    f.metadata.format_version = version;
  };
  variant(original, 'unknown-zero-expert', (f) => config(f, { zeroExperts: ['zero', 'null'] }));
  variant(original, 'negative-shared', (f) => config(f, { sharedExperts: -1 }));
  variant(original, 'too-many-shared', (f) => config(f, { sharedExperts: 9 }));
  variant(original, 'schedule-backwards', (f) => config(f, { dts: { tauStart: 2, tauEnd: 0.5, from: 50, to: 10 } }));
  variant(original, 'extension-claimed-v2', (f) => config(f, { dts: { tauStart: 2, tauEnd: 0.5, from: 0, to: 10 } }, '2'));
  variant(original, 'v1-names-claimed-v2', (f) => {
    const t = f.tensors['blocks.0.attn.wq']!;
    delete f.tensors['blocks.0.attn.wq'];
    f.tensors['blocks.0.attn.wq.weight'] = t;
  });
  variant(original, 'other-tokenizer', (f) => {
    f.metadata.tokenizer = JSON.stringify({ format: 'dsmoe-tokenizer', version: 1, kind: 'bpe', specials: [], pretokenizer: 'gpt2', merges: [32, 116, 104, 101] });
  });
  variant(original, 'not-finite', (f) => { (f.tensors['blocks.0.ffn.b2']!.data as Float32Array)[3] = NaN; });
  results = JSON.parse(python([join(SCRIPTS, 'load_check.py'), ...Object.values(files)])) as Record<string, Result>;
});

function refused(name: string): string {
  const r = results[files[name]!]!;
  expect(r.ok, `${name} loaded`).toBe(false);
  if (r.ok) return '';
  expect(r.type, r.error).toBe('CheckpointError');
  expect(r.error).toContain(files[name]!);
  return r.error;
}

describe('the PyTorch reader refuses bad checkpoints by name', () => {
  it('loads the unchanged file (each case below differs from it in one thing)', () => {
    expect(results[files['unchanged']!]).toEqual({ ok: true, version: 2, kind: 'dense' });
  });
  it('a file that is not safetensors', () => expect(refused('text')).toMatch(/not a safetensors file: header length \d+ at offset 0 (is over|runs past)/));
  it('a file that is not there', () => expect(refused('missing-file')).toMatch(/cannot read it/));
  it('a safetensors file that is not a dsmoe model', () => expect(refused('other-format')).toMatch(/not a dsmoe language model \(metadata format is "pt", expected 'dsmoe-lm'\)/));
  it('a missing tensor', () => expect(refused('missing-tensor')).toMatch(/tensor 'blocks\.0\.ffn\.w2', which the config implies .* is not in the file/));
  it('a wrong shape, naming both', () => expect(refused('wrong-shape')).toMatch(/tensor 'blocks\.0\.ffn\.w1' is \[32, 16\] in the file but the config implies \[16, 32\]/));
  it('an unknown format version', () => expect(refused('unknown-version')).toMatch(/unknown checkpoint format version "4"/));
  it('a zero-computation expert of no known kind', () => expect(refused('unknown-zero-expert')).toMatch(/zeroExperts\[1\]: unknown zero-computation expert 'null' \(known: zero, copy, constant\)/));
  it('a negative number of shared experts', () => expect(refused('negative-shared')).toMatch(/sharedExperts must be an integer ≥ 0, got -1/));
  it('more shared experts than experts', () => expect(refused('too-many-shared')).toMatch(/sharedExperts=9 must be less than nExperts=4/));
  it('a DTS schedule that ends before it starts', () => expect(refused('schedule-backwards')).toMatch(/dts: the schedule ends \(to=10\) before it starts \(from=50\)/));
  it('a version-2 file whose config claims a routing extension', () => expect(refused('extension-claimed-v2')).toMatch(/format version 2 has no sharedExperts, zeroExperts or dts, but the config sets them/));
  it('version 1 names in a file that says version 2', () => expect(refused('v1-names-claimed-v2')).toMatch(/tensor 'blocks\.0\.attn\.wq', which the config implies .* is not in the file/));
  it('a tokenizer of another vocabulary', () => expect(refused('other-tokenizer')).toMatch(/the tokenizer has 258 ids but the model's vocabSize is 256/));
  it('a NaN weight, naming the tensor and index', () => expect(refused('not-finite')).toMatch(/tensor 'blocks\.0\.ffn\.b2' holds nan at index 3/));
});
