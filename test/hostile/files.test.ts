/**
 * Hostile checkpoint files, each given to the real CLI (`dsmoe eval
 * --checkpoint FILE`) in a child process of its own: a real model file with
 * one thing changed, made-up headers built to cost memory, and fuzzed
 * headers from fast-check. Each must end in a clear error naming the
 * problem or in a documented acceptance whose output is sound (finite
 * perplexities) — never a crash, a hang or a silent wrong answer — and the
 * child's peak memory must stay within memoryLimit (harness.ts): what a good
 * file costs, plus slack, plus a small multiple of this file's size.
 */
import fc from 'fast-check';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, it } from 'vitest';
import '../../src/index.js';
import { trainCommand } from '../../src/cli/train.js';
import { decodeSafetensors, encodeSafetensors, type SafetensorsTensor } from '../../src/io/safetensors.js';
import { capture, tempDir, tinyCorpus, tinyFlags } from '../cli/helpers.js';
import { buildCli, classify, memoryLimit, pool, runNode, settle, type CaseRecord, type ChildRun, type Expectation } from './harness.js';

type Parsed = { tensors: Record<string, SafetensorsTensor>; metadata: Record<string, string> };

interface FileCase {
  name: string;
  make: (good: Uint8Array, parsed: Parsed) => Uint8Array;
  want: Expectation;
  /** The command that reads it: eval (the default), or generate. */
  via?: 'generate';
}

/** eval --json prints rows of losses and perplexities: all must be finite numbers. */
const SOUND: Expectation['accept'] = (stdout) => {
  const nums = [...stdout.matchAll(/"(loss|ppl|perplexity|bitsPerByte)":\s*([^,}\]]+)/g)].map((m) => Number(m[2]));
  if (nums.length === 0) throw new Error(`no perplexity in the output: ${stdout.slice(0, 200)}`);
  const bad = nums.find((v) => !Number.isFinite(v));
  if (bad !== undefined) throw new Error(`a perplexity of ${bad}`);
};
const accept = (why: string): Expectation => ({ accept: SOUND, why });
const error = (re: RegExp): Expectation => ({ error: re });

const clone = (p: Parsed): Parsed => structuredClone(p);
/** The good file with `edit` applied to its decoded form. */
function edited(edit: (p: Parsed) => void): FileCase['make'] {
  return (_, parsed) => {
    const p = clone(parsed);
    edit(p);
    return encodeSafetensors(p.tensors, p.metadata);
  };
}
function withConfig(change: Record<string, unknown>): FileCase['make'] {
  return edited((p) => {
    p.metadata.config = JSON.stringify({ ...JSON.parse(p.metadata.config!), ...change });
  });
}
/** A file from header text and data bytes, the length field set to the text's length. */
function raw(header: string, data: Uint8Array = new Uint8Array(0), length?: bigint): Uint8Array {
  const h = new TextEncoder().encode(header);
  const out = new Uint8Array(8 + h.length + data.length);
  new DataView(out.buffer).setBigUint64(0, length ?? BigInt(h.length), true);
  out.set(h, 8);
  out.set(data, 8 + h.length);
  return out;
}
/** The good file's header text and the bytes after it. */
function split(good: Uint8Array): { header: string; data: Uint8Array } {
  const n = Number(new DataView(good.buffer, good.byteOffset, 8).getBigUint64(0, true));
  return { header: new TextDecoder().decode(good.subarray(8, 8 + n)), data: good.subarray(8 + n) };
}
/** The good file with its header text rewritten (data unchanged, the length field updated). */
function rewritten(edit: (header: string) => string): FileCase['make'] {
  return (good) => {
    const { header, data } = split(good);
    return raw(edit(header), data);
  };
}
/** A minimal valid file whose one tensor entry gets `extra` appended inside it. */
const oneTensor = (extra: string): Uint8Array => raw(`{"w":{"dtype":"F32","shape":[1],"data_offsets":[0,4]${extra}}}`, new Uint8Array(4));

const CASES: FileCase[] = [
  // The container.
  { name: 'an empty file', make: () => new Uint8Array(0), want: error(/is empty/) },
  { name: 'seven bytes', make: () => new Uint8Array(7), want: error(/too short for the 8-byte header length/) },
  { name: 'header length past the end', make: (g) => { const f = g.slice(); new DataView(f.buffer).setBigUint64(0, BigInt(g.length), true); return f; }, want: error(/header length \d+ \(at offset 0\) is larger than the \d+ bytes after it/) },
  { name: 'header length 2^64 − 1', make: (g) => { const f = g.slice(); new DataView(f.buffer).setBigUint64(0, 2n ** 64n - 1n, true); return f; }, want: error(/header length 18446744073709551615/) },
  { name: 'cut inside the header', make: (g) => g.subarray(0, 8 + 40), want: error(/is larger than the 40 bytes after it/) },
  { name: 'cut inside the data', make: (g) => g.subarray(0, g.length - 100), want: error(/the file is truncated/) },
  { name: 'trailing bytes', make: (g) => { const f = new Uint8Array(g.length + 12); f.set(g); return f; }, want: error(/12 trailing bytes belong to no tensor/) },
  { name: '1 KiB of zeros', make: () => new Uint8Array(1024), want: error(/header \(file offsets 8–8\) is not valid JSON/) },
  { name: '4 KiB of random bytes', make: () => Uint8Array.from({ length: 4096 }, (_, i) => (i * 7919 + 13) % 251), want: error(/header length \d+ .* is (larger than|over)/) },
  { name: 'a header that is not UTF-8', make: rewritten((h) => h.replace('"dtype"', '"dtyp\u00ff"')), want: error(/safetensors: |not valid UTF-8/) },
  { name: 'a header that is not JSON', make: rewritten((h) => h.replace('{', '{{')), want: error(/is not valid JSON: a quoted key expected at file offset 9/) },
  { name: 'a header that is an array', make: rewritten((h) => `[${h.slice(1, -1)}]`), want: error(/the header must be a JSON object, got an array/) },
  { name: 'two tensors overlapping', make: rewritten((h) => h.replace(/"data_offsets":\[(\d+),(\d+)\]/, (_, a: string, b: string) => `"data_offsets":[${Number(a) + 4},${Number(b) + 4}]`)), want: error(/tensors overlap|belong to no tensor|truncated/) },
  { name: 'a gap between tensors', make: rewritten((h) => h.replace(/"data_offsets":\[0,(\d+)\]/, (_, b: string) => `"data_offsets":[4,${Number(b) + 4}]`)), want: error(/belong to no tensor|truncated|overlap/) },
  // Entries.
  { name: 'an unknown dtype', make: rewritten((h) => h.replace('"F32"', '"F128"')), want: error(/has unknown dtype "F128"/) },
  { name: 'F16 declared over F32 bytes', make: rewritten((h) => h.replace('"F32"', '"F16"')), want: error(/is F16 of shape \[.*\], which needs \d+ bytes, but data_offsets/) },
  { name: 'a negative dimension', make: rewritten((h) => h.replace(/"shape":\[(\d+)/, '"shape":[-$1')), want: error(/has a bad shape \[-\d+/) },
  { name: 'a shape of 2^40 × 2^40', make: rewritten((h) => h.replace(/"shape":\[[^\]]*\]/, `"shape":[${2 ** 40},${2 ** 40}]`)), want: error(/more than 2\^53/) },
  { name: 'a float weight stored as I32', make: edited((p) => { const t = p.tensors['normOut.weight']!; p.tensors['normOut.weight'] = { dtype: 'I32', shape: t.shape, data: Int32Array.from(t.data as Float32Array, Math.round) }; }), want: error(/'normOut\.weight' is int32 in the state dict but float32 in the module/) },
  { name: 'a float weight stored as U32 bits', make: edited((p) => { const t = p.tensors['normOut.weight']!; p.tensors['normOut.weight'] = { dtype: 'U32', shape: t.shape, data: new Uint32Array((t.data as Float32Array).buffer.slice(0)) }; }), want: error(/'normOut\.weight' is int32 in the state dict but float32 in the module/) },
  { name: 'a weight stored as F64', make: edited((p) => { const t = p.tensors['normOut.weight']!; p.tensors['normOut.weight'] = { dtype: 'F64', shape: t.shape, data: Float64Array.from(t.data as Float32Array) }; }), want: accept('float widths convert on load (F64, F16, BF16 weights from elsewhere load into float32)') },
  { name: 'a tensor named twice', make: rewritten((h) => { const e = /"normOut\.weight":\{[^}]*\}/.exec(h)![0]; return h.replace(e, `${e},${e}`); }), want: error(/names "normOut\.weight" twice/) },
  { name: 'NaN in a weight', make: edited((p) => { (p.tensors['blocks.0.ffn.w2']!.data as Float32Array)[3] = NaN; }), want: error(/'blocks\.0\.ffn\.w2' holds NaN at index 3/) },
  { name: '+∞ in a weight', make: edited((p) => { (p.tensors['normOut.weight']!.data as Float32Array)[0] = Infinity; }), want: error(/'normOut\.weight' holds Infinity at index 0/) },
  { name: 'finite weights of 3e38 (the sums overflow)', make: edited((p) => { (p.tensors['blocks.0.ffn.w2']!.data as Float32Array).fill(3e38); }), want: error(/is not finite \(NaN\): the model's weights overflow float32/) },
  { name: 'finite weights of 3e38, through generate', make: edited((p) => { (p.tensors['blocks.0.ffn.w2']!.data as Float32Array).fill(3e38); }), want: error(/the model's logits are not finite \(NaN for token id 0\)/), via: 'generate' },
  { name: 'NaN in a weight, through generate', make: edited((p) => { (p.tensors['normOut.weight']!.data as Float32Array)[1] = NaN; }), want: error(/'normOut\.weight' holds NaN at index 1/), via: 'generate' },
  { name: 'a missing tensor', make: edited((p) => { delete p.tensors['normOut.weight']; }), want: error(/tensor 'normOut\.weight', which the config implies .* is not in the file/) },
  { name: 'an extra tensor', make: edited((p) => { p.tensors['extra.weight'] = { dtype: 'F32', shape: [3], data: new Float32Array(3) }; }), want: accept('tensors the model does not have are set aside (a checkpoint keeps its optimizer state so)') },
  { name: 'a weight transposed', make: edited((p) => { const t = p.tensors['embed.weight']!; p.tensors['embed.weight'] = { ...t, shape: [...t.shape].reverse() }; }), want: error(/tensor 'embed\.weight' is \[16, 256\] in the file but the config implies \[256, 16\]/) },
  // Headers built to cost memory.
  { name: '65,537 empty tensors', make: () => raw(`{${Array.from({ length: 65_537 }, (_, i) => `"t${i}":{"dtype":"F32","shape":[0],"data_offsets":[0,0]}`).join(',')}}`), want: error(/has more than 65536 tensors/) },
  { name: '1,025 metadata keys', make: () => raw(`{"__metadata__":{${Array.from({ length: 1025 }, (_, i) => `"k${i}":""`).join(',')}}}`), want: error(/'__metadata__' has more than 1024 entries/) },
  { name: 'an extra field nested 1,000,000 deep', make: () => oneTensor(`,"x":${'['.repeat(1e6)}${']'.repeat(1e6)}`), want: error(/nests deeper than 64 levels/) },
  { name: 'a shape of 10,000,000 axes', make: () => raw(`{"w":{"dtype":"F32","shape":[${'0,'.repeat(1e7)}0],"data_offsets":[0,0]}}`), want: error(/has a bad shape \[0,0,0.*expected an array of at most 64/) },
  { name: 'an extra field of 2,000,000 empty objects', make: () => oneTensor(`,"x":[${'{},'.repeat(2e6)}{}]`), want: error(/not a dsmoe language model/) },
  { name: 'a 40 MB metadata string', make: edited((p) => { p.metadata.junk = 'x'.repeat(40e6); }), want: accept('metadata the model does not use is read once and ignored') },
  { name: '100,000 empty tensors\' worth of header refused', make: () => raw(`{${Array.from({ length: 100_000 }, (_, i) => `"t${i}":{"dtype":"U8","shape":[0],"data_offsets":[0,0]}`).join(',')}}`), want: error(/has more than 65536 tensors/) },
  // Metadata.
  { name: 'no format', make: edited((p) => { delete p.metadata.format; }), want: error(/not a dsmoe language model \(metadata format is undefined/) },
  { name: 'another program\'s format', make: edited((p) => { p.metadata.format = 'pt'; }), want: error(/not a dsmoe language model \(metadata format is "pt"/) },
  { name: 'a config that is not JSON', make: edited((p) => { p.metadata.config = '{nLayers:'; }), want: error(/config/) },
  { name: 'a config that is a number', make: edited((p) => { p.metadata.config = '7'; }), want: error(/model config: expected a JSON object/) },
  { name: 'a config claiming 100,000 layers', make: withConfig({ nLayers: 100_000 }), want: error(/tensor 'blocks\.1\.norm1\.weight', which the config implies \(nLayers 100000/) },
  { name: 'a config claiming a 65,536-wide model', make: withConfig({ dModel: 65_536, expertHidden: 65_536 }), want: error(/tensor 'embed\.weight' is \[256, 16\] in the file but the config implies \[256, 65536\]/) },
  { name: 'a config claiming 10^9 tokens of vocabulary', make: withConfig({ vocabSize: 1e9 }), want: error(/vocabSize|tokenizer has 256 ids/) },
  { name: 'a config with no experts', make: withConfig({ nExperts: 0 }), want: error(/nExperts/) },
  { name: 'a config of an unknown kind', make: withConfig({ kind: 'gpt' }), want: error(/kind/) },
  { name: 'a config claiming a context of 10^12', make: withConfig({ maxSeqLen: 1e12 }), want: error(/maxSeqLen must be ≤ 8192/) },
  { name: 'no tokenizer', make: edited((p) => { delete p.metadata.tokenizer; }), want: error(/tokenizer/) },
  { name: 'a tokenizer of an unknown kind', make: edited((p) => { p.metadata.tokenizer = '{"kind":"sentencepiece"}'; }), want: error(/tokenizer/) },
  { name: 'a step of -1', make: edited((p) => { p.metadata.step = '-1'; }), want: error(/metadata step "-1" is not a non-negative integer/) },
  { name: 'a step of NaN', make: edited((p) => { p.metadata.step = 'NaN'; }), want: error(/metadata step "NaN" is not a non-negative integer/) },
  { name: 'a corpus path of /etc/passwd (eval given its own --corpus)', make: edited((p) => { p.metadata.corpus = JSON.stringify({ ...JSON.parse(p.metadata.corpus!), corpus: '/etc/passwd' }); }), want: accept('eval reads only the corpus the user names') },
];

/** Headers of the good file with 1–4 bytes changed, or one character of its text replaced, drawn by fast-check (seeded). */
function fuzzed(good: Uint8Array, count: number): Uint8Array[] {
  const n = Number(new DataView(good.buffer, good.byteOffset, 8).getBigUint64(0, true));
  const byteEdits = fc.array(fc.tuple(fc.integer({ min: 0, max: 8 + n - 1 }), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 4 })
    .map((edits) => { const f = good.slice(); for (const [i, v] of edits) f[i] = v; return f; });
  const textEdits = fc.tuple(fc.integer({ min: 8, max: 8 + n - 1 }), fc.constantFrom(...'0123456789-.e"{}[],:'.split('')))
    .map(([i, ch]) => { const f = good.slice(); f[i] = ch.charCodeAt(0); return f; });
  return fc.sample(fc.oneof(byteEdits, textEdits), { numRuns: count, seed: 17 });
}
const FUZZED = 12;

let corpus = '';
let removeCli = (): void => {};
const results = new Map<string, CaseRecord>();
const wants = new Map<string, Expectation>();

beforeAll(async () => {
  const { cli, remove } = await buildCli();
  removeCli = remove;
  corpus = tinyCorpus();
  const run = join(tempDir(), 'run');
  await capture(() => trainCommand([...tinyFlags(corpus, run), '--steps', '2']));
  const good = new Uint8Array(readFileSync(join(run, 'model.safetensors')));
  const parsed = decodeSafetensors(good);
  const dir = join(tempDir(), 'hostile');
  mkdirSync(dir);
  const evalArgs = (file: string): string[] => ['eval', '--checkpoint', file, '--corpus', corpus, '--backend', 'cpu', '--modes', 'dense,topK:1', '--tokens', '64', '--json'];
  const generateArgs = (file: string): string[] => ['generate', '--checkpoint', file, '--backend', 'cpu', '--tokens', '8', '--prompt', 'The '];
  const base = await runNode(cli, evalArgs(join(run, 'model.safetensors')));
  const baseline = classify(base, accept('the good file'));
  if (baseline.outcome !== 'accepted') throw new Error(`the good file does not evaluate: ${baseline.detail}`);
  const jobs = [
    ...CASES.map((c) => ({ name: c.name, bytes: c.make(good, parsed), want: c.want, via: c.via })),
    ...fuzzed(good, FUZZED).map((bytes, i) => ({ name: `fuzzed header ${i + 1}`, bytes, want: { error: /./, accept: SOUND, why: 'a change that leaves a valid file' } as Expectation })),
  ];
  await pool(jobs, async (job: { name: string; bytes: Uint8Array; want: Expectation; via?: 'generate' }) => {
    const file = join(dir, `${jobs.indexOf(job)}.safetensors`);
    writeFileSync(file, job.bytes);
    const r: ChildRun = await runNode(cli, job.via === 'generate' ? generateArgs(file) : evalArgs(file), { timeoutMs: 90_000 });
    const { outcome, detail } = classify(r, job.want);
    wants.set(job.name, job.want);
    results.set(job.name, { suite: 'checkpoint files', name: job.name, outcome, detail, peakMB: r.peakMB, limitMB: memoryLimit(base.peakMB, job.bytes.length), fileBytes: job.bytes.length });
  });
}, 600_000);

afterAll(() => removeCli());

describe('hostile checkpoint files, through dsmoe eval', () => {
  it.each([...CASES.map((c) => c.name), ...Array.from({ length: FUZZED }, (_, i) => `fuzzed header ${i + 1}`)])('%s', (name) => {
    settle(results.get(name)!, wants.get(name)!);
  });
});
