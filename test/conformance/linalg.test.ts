/**
 * Conformance, products (matmul, groupedMatmul in both kinds and with its
 * fusions): every backend CI runs against the cpu reference, through the
 * public tensor API, on empty and size-1 dimensions and with NaN and ±∞
 * among the operands (one value in ten), which must land where the
 * reference puts them: in every output a NaN or ∞ reaches, and nowhere
 * else. The tolerance scales with Σ|a·b|, what a float32 product's
 * rounding grows with.
 */
import fc from 'fast-check';
import { describe, it } from 'vitest';
import { fromData, groupedMatmul, groupedMatmulInner, type Tensor } from '../../src/index.js';
import { ALL_BACKENDS, startBackends } from '../helpers/backends.js';
import { expectAgreement } from './harness.js';
import { element, float32s, int32s, sizeOf } from './values.js';

const backends = await startBackends(ALL_BACKENDS);

/** Operands rarely special, so that most outputs are ordinary sums. */
const operand = element([-3, 3], 10);
const TOL = { atol: 1e-6, rtol: 2e-6 };

interface Product {
  aShape: number[];
  bShape: number[];
  /** Store A (B) with its last two axes swapped and read it through .T. */
  transA: boolean;
  transB: boolean;
  a: Float32Array;
  b: Float32Array;
}

const swapLast = (s: readonly number[]): number[] => (s.length < 2 ? [...s] : [...s.slice(0, -2), s.at(-1)!, s.at(-2)!]);
const read = (data: Float32Array, shape: number[], trans: boolean): Tensor => (trans ? fromData(data, swapLast(shape)).transpose(-2, -1) : fromData(data, shape));
const PRODUCTS: readonly [number[], number[]][] = [
  [[2, 3], [3, 4]], [[1, 1], [1, 1]], [[3, 0], [0, 2]], [[0, 3], [3, 2]], [[2, 3], [3, 0]],
  [[3], [3, 2]], [[2, 3], [3]], [[3], [3]], [[2, 2, 3], [3, 4]], [[2, 1, 3], [1, 3, 2]],
];
const productArb: fc.Arbitrary<Product> = fc.constantFrom(...PRODUCTS).chain(([as, bs]) =>
  fc.record({
    aShape: fc.constant(as), bShape: fc.constant(bs),
    transA: as.length >= 2 ? fc.boolean() : fc.constant(false), transB: bs.length >= 2 ? fc.boolean() : fc.constant(false),
    a: float32s(sizeOf(as), operand), b: float32s(sizeOf(bs), operand),
  }),
);
const matmulOf = (p: Product, abs = false): Tensor => {
  const a = read(p.a, p.aShape, p.transA), b = read(p.b, p.bShape, p.transB);
  return abs ? a.abs().matmul(b.abs()) : a.matmul(b);
};

/** A grouped product: rows in groups of `counts`, B stacked or as column blocks, transposed or not, and the two fusions. */
interface Grouped {
  counts: number[];
  k: number;
  n: number;
  layout: 'stacked' | 'columns';
  transB: boolean;
  /** A has `tokens` rows, read through rowIndex. */
  rowIndex: Int32Array | null;
  tokens: number;
  bias: Float32Array | null;
  a: Float32Array;
  b: Float32Array;
}

const COUNTS = [[3], [2, 0, 1], [0, 0], [1, 2], [0, 2, 0]];
const groupedArb: fc.Arbitrary<Grouped> = fc
  .record({ counts: fc.constantFrom(...COUNTS), k: fc.constantFrom(1, 3), n: fc.constantFrom(1, 2), layout: fc.constantFrom('stacked' as const, 'columns' as const), transB: fc.boolean(), gather: fc.boolean(), bias: fc.boolean(), tokens: fc.constantFrom(1, 4) })
  .chain((c) => {
    const rows = c.counts.reduce((s, x) => s + x, 0), g = c.counts.length;
    return fc.record({
      counts: fc.constant(c.counts), k: fc.constant(c.k), n: fc.constant(c.n), layout: fc.constant(c.layout), transB: fc.constant(c.transB), tokens: fc.constant(c.tokens),
      rowIndex: c.gather ? int32s(rows, 0, c.tokens - 1) : fc.constant(null),
      bias: c.bias ? float32s(g * c.n, operand) : fc.constant(null),
      a: float32s((c.gather ? c.tokens : rows) * c.k, operand),
      b: float32s(g * c.k * c.n, operand),
    });
  });

const offsetsOf = (counts: readonly number[]): Tensor => fromData(Int32Array.from([0, ...counts.map((_, i) => counts.slice(0, i + 1).reduce((s, x) => s + x, 0))]), [counts.length + 1]);

function groupedOf(p: Grouped, abs = false): Tensor {
  const g = p.counts.length, rows = p.rowIndex ? p.tokens : p.counts.reduce((s, x) => s + x, 0);
  const [k1, k2] = p.transB ? [p.n, p.k] : [p.k, p.n];
  const bShape = p.layout === 'stacked' ? [g, k1, k2] : [k1, g * k2];
  const f = (t: Tensor): Tensor => (abs ? t.abs() : t);
  return groupedMatmul(f(fromData(p.a, [rows, p.k])), f(fromData(p.b, bShape)), offsetsOf(p.counts), {
    transB: p.transB,
    ...(p.rowIndex ? { rowIndex: fromData(p.rowIndex, [p.rowIndex.length]) } : {}),
    ...(p.bias ? { bias: f(fromData(p.bias, [g, p.n])) } : {}),
  });
}

const innerArb = fc.record({ counts: fc.constantFrom(...COUNTS), m: fc.constantFrom(1, 2), n: fc.constantFrom(1, 3) }).chain((c) => {
  const rows = c.counts.reduce((s, x) => s + x, 0);
  return fc.record({ counts: fc.constant(c.counts), m: fc.constant(c.m), n: fc.constant(c.n), a: float32s(rows * c.m, operand), b: float32s(rows * c.n, operand) });
});
type Inner = typeof innerArb extends fc.Arbitrary<infer T> ? T : never;
function innerOf(p: Inner, abs = false): Tensor {
  const rows = p.counts.reduce((s, x) => s + x, 0);
  const f = (t: Tensor): Tensor => (abs ? t.abs() : t);
  return groupedMatmulInner(f(fromData(p.a, [rows, p.m])), f(fromData(p.b, [rows, p.n])), offsetsOf(p.counts));
}

/** Σ|a·b| of a product, computed on the reference. */
const scaleOf = <T>(product: (p: T, abs: boolean) => Tensor) => (p: T) => product(p, true).data();

describe.each(backends)('conformance on %s: products', (name) => {
  it('matmul: vectors, batches that broadcast, transposed operands, empty and size-1 dimensions', async () => {
    await expectAgreement(name, productArb, (p) => matmulOf(p), { ...TOL, scale: scaleOf(matmulOf) }, 20);
  });

  it("groupedMatmul 'rows': stacked or column-block B, transposed or not, empty groups, with a gathered A and a bias", async () => {
    await expectAgreement(name, groupedArb, (p) => groupedOf(p), { ...TOL, scale: scaleOf(groupedOf) }, 20);
  });

  it("groupedMatmul 'rows' gathering the same rows from a longer A: a kernel built for one A is not run on another", async () => {
    // The product is A's rows picked by rowIndex, so one more row in A changes nothing but A's size.
    const longer = (p: Grouped): Grouped => ({ ...p, tokens: p.tokens + 1, a: Float32Array.from([...p.a, ...Array<number>(p.k).fill(7)]) });
    const gathered = groupedArb.filter((p) => p.rowIndex !== null);
    await expectAgreement(name, gathered, (p) => [groupedOf(p), groupedOf(longer(p))], TOL);
  });

  it("groupedMatmul 'inner': Aᵀ_g·B_g per group, an empty group gives zeros", async () => {
    await expectAgreement(name, innerArb, (p) => innerOf(p), { ...TOL, scale: scaleOf(innerOf) });
  });
});
