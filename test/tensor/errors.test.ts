/**
 * Bad input gets a clear error, thrown at the line that built the bad
 * expression, naming the op and what was wrong (both shapes, the axis, the
 * index) — never a wrong answer.
 */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import {
  arange, bmm, cat, crossEntropy, fromData, full, gatherRows, oneHot, ones, randn, scatterAddRows, setBackend, stack, tensor, where, zeros,
} from '../../src/index.js';
import { shape } from '../helpers/arbitraries.js';
import { i32, startCpu32, t32, t64 } from '../helpers/tensors.js';

const fmt = (s: readonly number[]): string => `[${s.join(', ')}]`;

describe('mismatched shapes name the op and both shapes', () => {
  /** Two shapes that cannot broadcast: some axis has sizes a ≠ b, both > 1. */
  const incompatible = fc
    .tuple(shape({ maxRank: 3 }), fc.integer({ min: 2, max: 4 }), fc.integer({ min: 2, max: 4 }), shape({ maxRank: 2 }))
    .filter(([, p, q]) => p !== q)
    .map(([lead, p, q, tail]) => [[...lead, p, ...tail], [q, ...tail]] as const);

  it('every broadcasting binary op and where', () => {
    fc.assert(
      fc.property(incompatible, fc.constantFrom('add', 'sub', 'mul', 'div', 'pow', 'maximum', 'minimum', 'lt', 'eq'), ([sa, sb], op) => {
        const a = zeros(sa);
        const b = ones(sb);
        const opName = op === 'maximum' ? 'max' : op === 'minimum' ? 'min' : op;
        const call = (): unknown => (a as unknown as Record<string, (o: unknown) => unknown>)[op]!.call(a, b);
        expect(call).toThrow(opName);
        expect(call).toThrow(`${fmt(sa)} and ${fmt(sb)}`);
        expect(() => where(a, a, b)).toThrow(/where: shapes .* cannot be broadcast/);
      }),
      { numRuns: 50 },
    );
  });

  it('matmul, bmm, cat, stack, reshape, expand, assign, indexAdd, scatterAdd, crossEntropy', () => {
    expect(() => zeros([2, 3]).matmul(zeros([4, 5]))).toThrow('matmul: inner dimensions differ: [2, 3] · [4, 5] (3 vs 4)');
    expect(() => zeros([2, 2, 3]).matmul(zeros([3, 3, 1]))).toThrow('matmul: batch dimensions of [2, 2, 3] and [3, 3, 1] cannot be broadcast');
    expect(() => zeros([]).matmul(zeros([2]))).toThrow('matmul: scalars have no matrix product');
    expect(() => bmm(zeros([2, 3]), zeros([3, 2]))).toThrow('bmm: expects two rank-3 tensors [batch, rows, cols], got [2, 3] and [3, 2]');
    expect(() => bmm(zeros([2, 2, 3]), zeros([3, 3, 2]))).toThrow('matmul: batch sizes 2 and 3 differ ([2, 2, 3] and [3, 3, 2])');
    expect(() => bmm(zeros([1, 2, 3]), zeros([1, 2, 3]), false, false)).toThrow('matmul: inner dimensions differ');
    expect(() => cat([zeros([2, 3]), zeros([2, 4])], 0)).toThrow('cat: float32 [2, 4] does not match float32 [2, 3] outside axis 0');
    expect(() => cat([zeros([2]), zeros([2, 1])])).toThrow('cat:');
    expect(() => cat([])).toThrow('cat: needs at least one tensor');
    expect(() => stack([zeros([2]), zeros([3])])).toThrow('stack: shapes differ ([2] and [3])');
    expect(() => zeros([2, 3]).reshape([4, 2])).toThrow('reshape: cannot reshape [2, 3] (6 elements) into [4, 2]');
    expect(() => zeros([2, 3]).reshape([-1, -1])).toThrow('reshape: at most one -1');
    expect(() => zeros([2, 3]).expand([4, 3])).toThrow('expand: cannot expand [2, 3] to [4, 3] (axis 0: 2 vs 4)');
    expect(() => zeros([2, 3]).expand([3])).toThrow('expand: cannot expand [2, 3] to fewer axes [3]');
    expect(() => zeros([1]).expand([-3])).toThrow('expand: invalid target shape [-3]');
    expect(() => zeros([2, 3]).assign(zeros([3, 2]))).toThrow('assign: expected float32 [2, 3], got float32 [3, 2]');
    expect(() => zeros([2, 3]).indexAdd(0, i32([0]), zeros([2, 3]))).toThrow('indexAdd: src [2, 3] should be [1, 3] for x [2, 3] and index [1]');
    expect(() => zeros([2, 3]).scatterAdd(0, i32([0, 1], [1, 2]), zeros([2, 1]))).toThrow('scatterAdd: src [2, 1] and index [1, 2] must have the same shape');
    expect(() => zeros([2, 3]).gather(0, i32([0, 1, 0], [3]))).toThrow('gather: index [3] does not fit [2, 3] along axis 0');
    expect(() => crossEntropy(zeros([4, 5]), i32([0, 1, 2]))).toThrow('crossEntropy: logits [4, 5] need targets of shape [4], got [3]');
    expect(() => gatherRows(zeros([2, 3, 1]), i32([0]))).toThrow('gatherRows: expected src [R, C] and index [M], got [2, 3, 1] and [1]');
    expect(() => scatterAddRows(zeros([2, 3]), i32([0]), 2)).toThrow('scatterAddRows: expected src [M, C] and index [M], got [2, 3] and [1]');
  });
});

describe('out-of-range axes name the op, the axis and the rank', () => {
  it('every op that takes an axis', () => {
    fc.assert(
      fc.property(shape({ minRank: 1, maxRank: 3 }), fc.integer({ min: 0, max: 3 }), fc.boolean(), (s, extra, negative) => {
        const r = s.length;
        const bad = negative ? -r - 1 - extra : r + extra;
        const x = zeros(s);
        const idx = i32([0]);
        const calls: [string, () => unknown][] = [
          ['sum', () => x.sum(bad)],
          ['max', () => x.max(bad)],
          ['mean', () => x.mean(bad)],
          ['argmax', () => x.argmax(bad)],
          ['softmax', () => x.softmax(bad)],
          ['logSoftmax', () => x.logSoftmax(bad)],
          ['logsumexp', () => x.logsumexp(bad)],
          ['transpose', () => x.transpose(0, bad)],
          ['permute', () => x.permute([...s.map((_, i) => i).slice(1), bad])],
          ['slice', () => x.slice(bad, 0)],
          ['squeeze', () => x.squeeze(bad)],
          ['cat', () => cat([x, x], bad)],
          ['indexSelect', () => x.indexSelect(bad, idx)],
          ['gather', () => x.gather(bad, i32([0], s.map(() => 1)))],
        ];
        for (const [op, call] of calls) expect(call, op).toThrow(`${op}: axis ${bad} is out of range for a tensor of rank ${r}`);
        const ubad = negative ? -r - 2 - extra : r + 1 + extra;
        expect(() => x.unsqueeze(ubad)).toThrow(`unsqueeze: axis ${ubad} is out of range for a tensor of rank ${r + 1}`);
        expect(() => stack([x, x], ubad)).toThrow(`stack: axis ${ubad} is out of range`);
      }),
      { numRuns: 30 },
    );
  });

  it('a rank-0 tensor has no axes; axes must be integers; repeated axes are refused', () => {
    expect(() => tensor(3).sum(0)).toThrow('sum: axis 0 is out of range for a tensor of rank 0 (a tensor of rank 0 has no axes)');
    expect(() => tensor(3).softmax()).toThrow('softmax: axis -1 is out of range for a tensor of rank 0');
    expect(() => zeros([2, 3]).sum(0.5)).toThrow('sum: axis 0.5 is not an integer');
    expect(() => zeros([2, 3]).sum([0, -2])).toThrow('sum: repeated axis in [0, -2]');
    expect(() => zeros([2, 3]).permute([0, 0])).toThrow('permute: [0, 0] is not a permutation of the 2 axes of [2, 3]');
    expect(() => zeros([2, 3]).permute([0])).toThrow('permute: [0] is not a permutation');
  });

  it('slice ranges, squeeze of a non-1 axis, topk k, empty reductions', () => {
    expect(() => zeros([2, 3]).slice(1, 1, 5)).toThrow('slice: range [1, 5) is out of bounds for axis 1 of size 3 in [2, 3]');
    expect(() => zeros([2, 3]).slice(1, 2, 1)).toThrow('slice: range [2, 1) is out of bounds');
    expect(() => zeros([2, 3]).narrow(0, 1, 2)).toThrow('slice: range [1, 3) is out of bounds for axis 0 of size 2');
    expect(() => zeros([2, 3]).squeeze(1)).toThrow('squeeze: axis 1 of [2, 3] has size 3, not 1');
    expect(() => zeros([2, 3]).topk(4)).toThrow('topk: k=4 must be an integer in [1, 3] for [2, 3]');
    expect(() => zeros([2, 3]).topk(0)).toThrow('topk: k=0');
    expect(() => zeros([0, 3]).max(0)).toThrow('max: cannot reduce an empty axis 0 of [0, 3]');
    expect(() => zeros([0]).argmax()).toThrow('argmax: empty axis in [0]');
    expect(() => zeros([2]).pad([[1, -1]])).toThrow('pad:');
    expect(() => zeros([2]).pad([[0, 0], [1, 1]])).toThrow('pad:');
  });
});

describe('out-of-range indices name the op, the index, its position and the valid range', () => {
  const x = t64([1, 2, 3, 4, 5, 6], [2, 3]);
  it('gather, indexSelect, scatterAdd, indexAdd, gatherRows, scatterAddRows, crossEntropy targets, oneHot', () => {
    expect(() => x.gather(1, i32([0, 3], [2, 1]))).toThrow('gather: index 3 at position 1 is out of range for size 3 (axis 1 of [2, 3])');
    expect(() => x.gather(0, i32([-1], [1, 1]))).toThrow('gather: index -1 at position 0 is out of range for size 2 (axis 0 of [2, 3])');
    expect(() => x.indexSelect(0, i32([0, 2]))).toThrow('indexSelect: index 2 at position 1 is out of range for axis 0 of [2, 3]');
    expect(() => x.indexSelect(-1, i32([-1]))).toThrow('indexSelect: index -1 at position 0 is out of range for axis -1 of [2, 3]');
    expect(() => x.scatterAdd(0, i32([2, 0, 0], [1, 3]), t64([1, 1, 1], [1, 3]))).toThrow('scatterAdd: index 2 at position 0 is out of range for size 2 (axis 0 of [2, 3])');
    expect(() => x.indexAdd(1, i32([5]), t64([1, 1], [2, 1]))).toThrow('indexAdd: index 5 at position 0 is out of range for axis 1 of [2, 3]');
    expect(() => gatherRows(x, i32([2]))).toThrow('gatherRows: index 2 at position 0 is out of range for size 2');
    expect(() => scatterAddRows(x, i32([0, 4]), 3)).toThrow('scatterAddRows: index 4 at position 1 is out of range for size 3');
    expect(() => crossEntropy(x, i32([0, 3]))).toThrow('crossEntropy: index 3 at position 1 is out of range for 3 classes (logits [2, 3])');
    expect(() => crossEntropy(x, i32([-1, 0]))).toThrow('crossEntropy: index -1 at position 0 is out of range for 3 classes');
    expect(() => oneHot(i32([0, 3]), 3)).toThrow('oneHot: index 3 at position 1 is out of range for 3 classes');
  });

  it('indices must be int32', () => {
    expect(() => x.gather(1, t32([0, 1], [2, 1]))).toThrow('gather: index must be int32, got float32 [2, 1]');
    expect(() => x.indexSelect(0, t32([0], [1]))).toThrow('indexSelect: index must be int32, got float32 [1]');
    expect(() => crossEntropy(x, t32([0, 1], [2]))).toThrow('crossEntropy: targets must be int32 class indices, got float32');
    expect(() => oneHot(t32([0], [1]), 2)).toThrow('oneHot: index must be int32, got float32');
    expect(() => oneHot(i32([0]), 0)).toThrow('oneHot: number of classes must be a positive integer, got 0');
  });
});

describe('non-finite and non-numeric scalars where they are forbidden', () => {
  it('a NaN operand, a NaN clamp bound, crossed clamp bounds', () => {
    const x = zeros([2]);
    for (const op of ['add', 'sub', 'mul', 'div', 'pow', 'maximum', 'minimum'] as const) {
      const name = op === 'maximum' ? 'max' : op === 'minimum' ? 'min' : op;
      expect(() => x[op](NaN), op).toThrow(`${name}: expected a tensor or a number, got NaN`);
    }
    expect(() => x.add(undefined as unknown as number)).toThrow('add: expected a tensor or a number, got undefined');
    expect(() => x.mul('2' as unknown as number)).toThrow('mul: expected a tensor or a number, got 2');
    expect(() => where(x, x, NaN)).toThrow('where: expected a tensor or a number, got NaN');
    expect(() => x.clamp(NaN)).toThrow('clamp: min is NaN');
    expect(() => x.clamp(0, NaN)).toThrow('clamp: max is NaN');
    expect(() => x.clamp(1, 0)).toThrow('clamp: min 1 is greater than max 0');
    // ±∞ are legitimate scalars (masking with −∞ is common)...
    expect(Array.from(x.add(-Infinity).dataSync())).toEqual([-Infinity, -Infinity]);
    // ...but not for an int32 tensor, which would store them (or a fraction) as 0.
    expect(() => i32([1, 2]).mul(0.5)).toThrow('mul: the int32 tensor [2] cannot be combined with 0.5, which is not an int32; cast the tensor first (.float())');
    expect(() => i32([1, 2]).add(Infinity)).toThrow('add: the int32 tensor [2] cannot be combined with Infinity');
    expect(() => i32([1, 2]).clamp(0.5)).toThrow('clamp: the int32 tensor [2] cannot be combined with 0.5');
    expect(Array.from(i32([1, 2]).mul(-3).dataSync())).toEqual([-3, -6]);
  });

  it('arange, full, tensor reject bad numbers', () => {
    expect(() => arange(0, 5, 0)).toThrow('arange: bad range (0, 5, step 0)');
    expect(() => arange(0, Infinity)).toThrow('arange: bad range');
    expect(() => full([2], 2.5, { dtype: 'int32' })).toThrow('full: int32 tensor got a non-integer value 2.5');
    expect(() => tensor([1, 2.5], { dtype: 'int32' })).toThrow('tensor: int32 tensor got a non-integer value 2.5 at position 1');
  });
});

describe('dtypes and backends', () => {
  it('mixed dtypes, integer tensors where floats are needed', () => {
    expect(() => t64([1], [1]).add(t32([1], [1]))).toThrow('add: dtypes differ (float64 [1] and float32 [1]); cast one first');
    expect(() => bmm(t64([1], [1, 1, 1]), t32([1], [1, 1, 1]))).toThrow('matmul: dtypes differ (float64 [1, 1, 1] and float32 [1, 1, 1])');
    expect(() => i32([1]).exp()).toThrow('exp: needs a floating-point tensor, got int32 (cast with .float())');
    expect(() => tensor([1], { dtype: 'int32', requiresGrad: true })).toThrow('only floating-point tensors can require gradients (got int32)');
    expect(() => i32([1]).requiresGrad_()).toThrow('only floating-point tensors can require gradients (got int32)');
    expect(() => t64([1], [1]).indexAdd(0, i32([0]), t32([1], [1]))).toThrow('indexAdd: dtypes differ');
  });

  it('float64 on a backend without it (a float32-only backend, cpu32)', async () => {
    const cpu32 = await startCpu32();
    expect(cpu32.name).toBe('cpu32');
    expect(() => tensor([1, 2], { dtype: 'float64', backend: 'cpu32' })).toThrow('backend cpu32 does not support float64');
    expect(() => zeros([2], { dtype: 'float64', backend: cpu32 })).toThrow('backend cpu32 does not support float64');
    expect(() => randn([2], { dtype: 'float64', backend: cpu32 })).toThrow('backend cpu32 does not support float64');
    expect(() => t64([1], [1]).to(cpu32)).toThrow('to: backend cpu32 has no float64 (cast first)');
    const x = tensor([1.5, -2], { backend: cpu32 });
    expect(x.backend.name).toBe('cpu32');
    expect(() => x.cast('float64')).toThrow('cast: backend cpu32 has no float64');
    expect(() => x.double()).toThrow('cast: backend cpu32 has no float64');
    // float32 works there, and mixing backends is an error that says how to fix it.
    expect(Array.from(x.mul(2).dataSync())).toEqual([3, -4]);
    expect(() => x.add(tensor([1, 1]))).toThrow('add: tensors are on different backends (cpu32 and cpu); move one with .to()');
    expect(Array.from(x.to('cpu').add(tensor([1, 1])).dataSync())).toEqual([2.5, -1]);
  });

  it('an unknown backend name lists the known ones', async () => {
    await expect(setBackend('nope')).rejects.toThrow("setBackend: unknown backend 'nope' (known: cpu");
  });
});

describe('creation from bad values', () => {
  it('ragged nested arrays name the position', () => {
    expect(() => tensor([[1, 2], [3]])).toThrow('tensor: ragged nested array at [1]: expected length 2, got 1');
    expect(() => tensor([[1, 2], 3] as never)).toThrow('tensor: ragged nested array at [1]: expected length 2, got number');
    expect(() => tensor([1, [2]] as never)).toThrow('tensor: expected a number at [1], got an array');
    expect(() => tensor([[[1], [2]], [[3], [4, 5]]])).toThrow('tensor: ragged nested array at [1][1]: expected length 1, got 2');
    expect(() => tensor([['a']] as never)).toThrow('tensor: expected a number at [0][0], got string');
  });

  it('shape and value count disagree; negative or fractional sizes', () => {
    expect(() => tensor([1, 2, 3], { shape: [2, 2] })).toThrow('tensor: shape [2, 2] needs 4 values, got 3');
    expect(() => zeros([2, -1])).toThrow('full: invalid shape [2, -1] (sizes must be non-negative integers)');
    expect(() => randn([1.5])).toThrow('random: invalid shape [1.5]');
    expect(() => tensor([1], { shape: [-1] })).toThrow('tensor: invalid shape [-1]');
    expect(() => fromData(new Float32Array(0), [-1, 0])).toThrow('fromData: invalid shape [-1, 0]');
  });
});

describe('autograd misuse', () => {
  it('backward on a non-scalar without a gradient, on a tensor that needs none, with a wrong-shaped gradient', () => {
    const x = t64([1, 2], [2], true);
    expect(() => x.mul(2).backward()).toThrow('backward: tensor of shape [2] is not a scalar; pass the gradient explicitly');
    expect(() => t64([1], [1]).sum().backward()).toThrow('backward: this tensor does not require grad');
    expect(() => x.mul(2).backward(t64([1], [1]))).toThrow('backward: gradient shape [1] does not match tensor shape [2]');
  });

  it('backward after an input was assign()ed names the op', () => {
    const w = t64([1, 2], [2], true);
    const y = w.mul(w).sum();
    w.assign(t64([3, 4], [2]));
    expect(() => y.backward()).toThrow('backward: an input of binary (shape [2]) was assigned a new value after it was used; compute the forward pass again');
  });

  it('item() on a tensor with more than one element', () => {
    expect(() => zeros([2]).itemSync()).toThrow('item: tensor of shape [2] has 2 elements, not 1');
  });
});
