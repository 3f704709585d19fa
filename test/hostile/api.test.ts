/**
 * Misuses of the library's API, one call each: shapes that do not fit,
 * values that are not numbers, axes and indices out of range, tensors used
 * after they were freed, mismatched state dicts and files, bad configs and
 * tokenizers. Each must throw an Error naming what was wrong, or be a
 * documented acceptance — never a wrong answer or a bare TypeError from
 * deep inside — and the process may grow by at most GROWTH_MB for it.
 */
import { describe, expect, it } from 'vitest';
import {
  AdamW, ByteTokenizer, cat, crossEntropy, decodeSafetensors, encodeSafetensors, Embedding, fromData, gatherRows, Generator, getBackend, groupedMatmul,
  LanguageModel, Linear, loadSafetensorsInto, lmConfig, manualSeed, oneHot, randn, setBackend, stack, startBackend, stateDictToSafetensors, tensor,
  tidy, tokenizerFromJSON, where, writeAt, zeros, type Tensor,
} from '../../src/index.js';
import { record, type Expectation, type Outcome } from './harness.js';

const GROWTH_MB = 64;

interface ApiCase {
  name: string;
  run: () => unknown;
  want: Expectation;
}

const i32 = (v: number[], shape = [v.length]): Tensor => fromData(Int32Array.from(v), shape);
const f32 = (v: number[], shape = [v.length]): Tensor => fromData(Float32Array.from(v), shape);
const error = (re: RegExp): Expectation => ({ error: re });
const accept = (why: string, check: (result: unknown) => void = () => {}): Expectation => ({ accept: check as (s: string) => void, why });
const any = <T>(v: unknown): T => v as T;
const tinyLM = (): LanguageModel => new LanguageModel(lmConfig('tiny', { dModel: 8, nLayers: 1, nHeads: 2, nKvHeads: 1, headDim: 4, attnExperts: 2, nExperts: 2, expertHidden: 4, maxSeqLen: 8, vocabSize: 16 }));

const CASES: ApiCase[] = [
  // Making tensors.
  { name: 'a ragged nested array', run: () => tensor([[1, 2], [3]]), want: error(/ragged nested array at \[1\]: expected length 2, got 1/) },
  { name: 'data of the wrong length', run: () => fromData(new Float32Array(3), [2, 2]), want: error(/shape \[2, 2\] needs 4 values, got 3/) },
  { name: 'a negative dimension', run: () => zeros([-1, 2]), want: error(/-1/) },
  { name: 'a fractional dimension', run: () => zeros([1.5]), want: error(/1\.5/) },
  { name: 'a NaN dimension', run: () => zeros([NaN]), want: error(/NaN/) },
  { name: 'a shape of 2^31 × 2^31 elements', run: () => zeros([2 ** 31, 2 ** 31]), want: error(/^full: shape \[2147483648, 2147483648\] holds 4611686018427388000 elements, more than the 4294967296 one tensor can/) },
  { name: 'a string where a number goes', run: () => tensor(any(['a', 'b'])), want: error(/expected a number at \[0\], got string/) },
  { name: 'a Generator seeded with NaN', run: () => new Generator(NaN), want: error(/^Generator: a seed must be an integer, got NaN$/) },
  { name: 'manualSeed of a string', run: () => manualSeed(any('x')), want: error(/^Generator: a seed must be an integer, got string "x"$/) },
  // Ops.
  { name: 'adding shapes that do not broadcast', run: () => zeros([2, 3]).add(zeros([4])), want: error(/add: shapes \[2, 3\] and \[4\] cannot be broadcast/) },
  { name: 'matmul with mismatched inner sizes', run: () => zeros([2, 3]).matmul(zeros([4, 5])), want: error(/matmul: inner dimensions differ: \[2, 3\] · \[4, 5\] \(3 vs 4\)/) },
  { name: 'reshape to another size', run: () => zeros([2, 3]).reshape([4]), want: error(/reshape: cannot reshape \[2, 3\] \(6 elements\) into \[4\]/) },
  { name: 'an axis out of range', run: () => zeros([2, 3]).sum(5), want: error(/sum: axis 5 is out of range for a tensor of rank 2/) },
  { name: 'a fractional axis', run: () => zeros([2, 3]).softmax(0.5), want: error(/axis 0\.5 is not an integer/) },
  { name: 'permute with a repeated axis', run: () => zeros([2, 3]).permute([0, 0]), want: error(/permute: \[0, 0\] is not a permutation/) },
  { name: 'a slice past the end', run: () => zeros([2, 3]).slice(1, 1, 5), want: error(/slice: range \[1, 5\) is out of bounds for axis 1 of size 3/) },
  { name: 'an int32 tensor plus 0.5', run: () => i32([1, 2]).add(0.5), want: error(/cannot be combined with 0\.5, which is not an int32/) },
  { name: 'adding NaN given as the operand', run: () => zeros([2]).add(NaN), want: error(/expected a tensor or a number, got NaN/) },
  { name: 'adding a string', run: () => zeros([2]).add(any('1')), want: error(/expected a tensor or a number, got 1/) },
  { name: 'cat of nothing', run: () => cat([]), want: error(/cat/) },
  { name: 'stack of different shapes', run: () => stack([zeros([2]), zeros([3])]), want: error(/stack/) },
  { name: 'where with shapes that do not broadcast', run: () => where(zeros([2]), zeros([3]), zeros([4])), want: error(/where: shapes .* cannot be broadcast/) },
  { name: 'topk of k = 0', run: () => zeros([2, 3]).topk(0), want: error(/topk: k=0 must be an integer in \[1, 3\]/) },
  { name: 'squeeze of an axis that is not 1', run: () => zeros([2, 3]).squeeze(1), want: error(/squeeze/) },
  { name: 'expand to an incompatible shape', run: () => zeros([2, 3]).expand([4, 3]), want: error(/expand/) },
  { name: 'item() of a tensor of 6 values', run: () => zeros([2, 3]).item(), want: error(/item/) },
  // Indices.
  { name: 'a float index', run: () => zeros([2, 3]).gather(1, f32([0, 1], [2, 1])), want: error(/gather: index must be int32, got float32 \[2, 1\]/) },
  { name: 'crossEntropy with float targets', run: () => crossEntropy(zeros([2, 3]), f32([0, 1])), want: error(/crossEntropy: targets must be int32 class indices, got float32/) },
  { name: 'crossEntropy with targets of another shape', run: () => crossEntropy(zeros([2, 3]), i32([0, 1, 2])), want: error(/crossEntropy: logits \[2, 3\] need targets of shape \[2\], got \[3\]/) },
  { name: 'crossEntropy with a pending target past the classes', run: () => crossEntropy(zeros([2, 3]), i32([0, 8]).add(1)).dataSync(), want: error(/crossEntropy: index 9 at position 1 is out of range for 3 classes \(logits \[2, 3\]\)/) },
  { name: 'gatherRows with a pending index of -1', run: () => gatherRows(zeros([2, 3]), i32([0, 0]).sub(1)).dataSync(), want: error(/gatherRows: index -1 at position 0 is out of range for size 2/) },
  { name: 'oneHot of 0 classes', run: () => oneHot(i32([0]), 0), want: error(/oneHot: number of classes must be a positive integer, got 0/) },
  { name: 'an Embedding looked up past its rows', run: () => new Embedding(4, 2).forward(i32([1, 4])).dataSync(), want: error(/^Embedding: index 4 at position 1 is out of range for size 4$/) },
  { name: 'grouped matmul offsets that do not end at the rows', run: () => groupedMatmul(zeros([3, 2]), zeros([2, 2, 2]), i32([0, 1, 2])).dataSync(), want: error(/the last offset must be the row count 3, got 2/) },
  { name: 'grouped matmul offsets that decrease', run: () => groupedMatmul(zeros([3, 2]), zeros([2, 2, 2]), i32([0, 2, 1])).dataSync(), want: error(/offsets must not decrease/) },
  { name: 'writeAt past the end', run: () => writeAt(zeros([4]), zeros([2]), 0, 3), want: error(/writeAt/) },
  // Lifetimes and gradients.
  { name: 'a tensor used after dispose()', run: () => { const x = zeros([2]).add(1); x.dataSync(); x.dispose(); return x.add(1).dataSync(); }, want: error(/tensor used after dispose\(\)/) },
  { name: 'a tensor read after a write into it', run: () => { const x = zeros([4]).add(0); x.dataSync(); writeAt(x, f32([1]), 0, 0).dataSync(); return x.dataSync(); }, want: error(/tensor read after an in-place write into it/) },
  { name: 'backward() of a tensor of 6 values', run: () => randn([2, 3], { requiresGrad: true }).mul(2).backward(), want: error(/backward/) },
  { name: 'backward() of a tensor needing no gradient', run: () => zeros([1]).sum().backward(), want: error(/backward/) },
  { name: 'an int32 tensor that requires a gradient', run: () => fromData(Int32Array.of(1), [1], { requiresGrad: true }), want: error(/int32/) },
  { name: 'tidy() of a function that throws keeps nothing and rethrows', run: () => tidy(() => { zeros([2]).add(1); throw new Error('inner failure'); }), want: error(/^inner failure$/) },
  // Backends.
  { name: 'setBackend of an unknown name', run: () => setBackend('nope'), want: error(/unknown backend 'nope'/) },
  { name: 'setBackend of an unknown gpu.js mode', run: () => setBackend('gpujs:quantum'), want: error(/quantum/) },
  { name: 'tensors of two backends in one op', run: async () => { const w = await startBackend('wasm'); return zeros([2]).add(zeros([2], { backend: w })); }, want: error(/add: tensors are on different backends \(cpu and wasm\); move one with \.to\(\)/) },
  { name: '.to() an unknown backend', run: () => zeros([2]).to('nope'), want: error(/^unknown backend 'nope' \(known: cpu, wasm/) },
  // Modules and state dicts.
  { name: 'a Linear of -1 inputs', run: () => new Linear(-1, 2), want: error(/-1/) },
  { name: 'loadStateDict missing a tensor', run: () => new Linear(2, 3).loadStateDict({ weight: zeros([2, 3]) }), want: error(/bias/) },
  { name: 'loadStateDict with a tensor of another shape', run: () => new Linear(2, 3).loadStateDict({ weight: zeros([3, 2]), bias: zeros([3]) }), want: error(/'weight'.*\[3, 2\].*\[2, 3\]/) },
  { name: 'loadStateDict with a tensor it does not have', run: () => new Linear(2, 3).loadStateDict({ weight: zeros([2, 3]), bias: zeros([3]), extra: zeros([1]) }), want: error(/extra/) },
  { name: 'loadSafetensorsInto another model\'s file', run: async () => loadSafetensorsInto(new Linear(2, 3), await stateDictToSafetensors(new Linear(4, 3).stateDict())), want: error(/^checkpoint tensor 'weight' has shape \[4, 3\] but the model's is \[2, 3\]$/) },
  { name: 'loadSafetensorsInto random bytes', run: () => loadSafetensorsInto(new Linear(2, 3), Uint8Array.from({ length: 64 }, (_, i) => i * 37)), want: error(/^safetensors: /) },
  { name: 'decodeSafetensors of a string', run: () => decodeSafetensors(any('not bytes')), want: error(/^safetensors: expected the file's bytes as a Uint8Array \(a Node Buffer is one\), got string$/) },
  // Files written.
  { name: 'encodeSafetensors with a negative dimension', run: () => encodeSafetensors({ w: { shape: [-1], data: new Float32Array(0) } }), want: error(/tensor 'w' has a bad shape \[-1\]/) },
  { name: 'encodeSafetensors with data of the wrong length', run: () => encodeSafetensors({ w: { shape: [3], data: new Float32Array(2) } }), want: error(/'w' has shape \[3\] \(3 values\) but 2 values/) },
  { name: 'encodeSafetensors of a tensor named __metadata__', run: () => encodeSafetensors({ __metadata__: { shape: [1], data: new Float32Array(1) } }), want: error(/'__metadata__' cannot be a tensor name/) },
  { name: 'encodeSafetensors with 1,025 metadata keys (a file no reader would take)', run: () => encodeSafetensors({}, Object.fromEntries(Array.from({ length: 1025 }, (_, i) => [`k${i}`, '']))), want: error(/1025 metadata entries, more than the 1024 a file may hold/) },
  { name: 'encodeSafetensors with a rank of 65', run: () => encodeSafetensors({ w: { shape: new Array(65).fill(1), data: new Float32Array(1) } }), want: error(/tensor 'w' has 65 dimensions, more than 64/) },
  // Optimizers, tokenizers, models.
  { name: 'AdamW with a negative learning rate', run: () => new AdamW(new Linear(2, 2).parameters(), { lr: -1 }), want: error(/lr/) },
  { name: 'tokenizerFromJSON of a number', run: () => tokenizerFromJSON(any(3)), want: error(/tokenizer/) },
  { name: 'tokenizerFromJSON of another format', run: () => tokenizerFromJSON(any({ format: 'sentencepiece' })), want: error(/not a dsmoe tokenizer/) },
  { name: 'ByteTokenizer.decode of id 300', run: () => new ByteTokenizer().decode([300]), want: error(/300/) },
  { name: 'a model config with 0 experts', run: () => lmConfig('tiny', { nExperts: 0 }), want: error(/nExperts must be a positive integer, got 0/) },
  { name: 'a model fed token ids past its vocabulary', run: async () => tinyLM().infer(i32([1, 99], [1, 2]), { mode: { mode: 'dense' } }), want: error(/^Embedding: index 99 at position 1 is out of range for size 16$/) },
  { name: 'a model fed float token ids', run: async () => tinyLM().infer(f32([1, 2], [1, 2]), { mode: { mode: 'dense' } }), want: error(/int32/) },
  { name: 'a model fed more tokens than its context', run: async () => tinyLM().infer(i32(new Array(9).fill(1), [1, 9]), { mode: { mode: 'dense' } }), want: error(/9.*8|maxSeqLen/) },
];

/** Runs a case: the outcome, what it said, and how much the process grew (MiB). */
async function attempt(c: ApiCase): Promise<{ outcome: Outcome; detail: string; growthMB: number }> {
  const before = process.memoryUsage().rss;
  let outcome: Outcome;
  let detail: string;
  try {
    const result = await c.run();
    if (!c.want.accept) {
      outcome = 'wrong';
      detail = `returned ${String(result).slice(0, 100)} where ${String(c.want.error)} was due`;
    } else {
      c.want.accept(result as string);
      outcome = 'accepted';
      detail = c.want.why ?? '';
    }
  } catch (e) {
    const message = e instanceof Error ? e.message : String(e);
    if (!(e instanceof Error)) [outcome, detail] = ['crash', `threw a non-Error: ${message}`];
    else if (c.want.error?.test(message)) [outcome, detail] = ['error', message];
    else [outcome, detail] = ['unexpected', `${e.constructor.name}: ${message}`];
  }
  return { outcome, detail, growthMB: (process.memoryUsage().rss - before) / 2 ** 20 };
}

describe('API misuses on the cpu backend', () => {
  it.each(CASES.map((c) => [c.name, c] as const))('%s', async (name, c) => {
    await setBackend('cpu');
    expect(getBackend().name).toBe('cpu');
    const { outcome, detail, growthMB } = await attempt(c);
    record({ suite: 'API misuses', name, outcome, detail, peakMB: growthMB, limitMB: GROWTH_MB });
    const allowed = [...(c.want.error ? ['error'] : []), ...(c.want.accept ? ['accepted'] : [])];
    expect(`${outcome}: ${detail}`).toMatch(new RegExp(`^(${allowed.join('|')}): `));
    expect(growthMB).toBeLessThan(GROWTH_MB);
  });
});
