/**
 * The wasm backend against the cpu reference, primitive by primitive, over
 * generated shapes: sizes off the SIMD width and off the gemm blocks, all
 * four transpose variants, broadcasts of every kind, views with padding.
 * Both the single-threaded ('wasm:1') and the threaded ('wasm:2') backend
 * run every property, and each check asserts which backend produced it.
 */
import { beforeAll, describe, expect } from 'vitest';
import { fc, test } from '@fast-check/vitest';
import { BINARY_OPS, UNARY_OPS, type Backend, type DeviceBuffer, type GroupedMatmulSpec, type ViewSpec } from '../../src/gpu/backend.js';
import { startBackend } from '../../src/gpu/registry.js';
import { CpuBackend } from '../../src/gpu/cpu/index.js';
import { WasmBuffer } from '../../src/gpu/wasm/buffer.js';
import { PARALLEL_SCATTER_BYTES } from '../../src/gpu/wasm/indexing.js';
import { columnStrides, stackedStrides } from '../../src/gpu/grouped-layout.js';
import { sizeOf, stridesOf, broadcastShapes } from '../../src/base/shape.js';
import type { TypedArray } from '../../src/base/dtype.js';
import { expectClose } from '../helpers/close.js';
import { seededValues } from '../helpers/arbitraries.js';

const cpu = new CpuBackend();
const backends: Record<string, Backend> = {};
beforeAll(async () => {
  for (const name of ['wasm:1', 'wasm:2']) backends[name] = await startBackend(name);
});

/** Deterministic data from a seed: values in [−scale, scale]. */
const data = (n: number, seed: number, scale = 3): Float32Array => seededValues(n, seed, scale);

/** Runs `op` on the named wasm backend, checks it really ran there, reads the result. */
function onWasm(name: string, op: (be: Backend) => DeviceBuffer | Promise<DeviceBuffer>): TypedArray {
  const be = backends[name]!;
  expect(be.name).toBe(name);
  const buf = op(be) as DeviceBuffer;
  expect(buf).toBeInstanceOf(WasmBuffer);
  const out = be.readSync!(buf);
  be.dispose(buf);
  return out;
}
function onCpu(op: (be: Backend) => DeviceBuffer | Promise<DeviceBuffer>): TypedArray {
  return cpu.readSync(op(cpu) as DeviceBuffer);
}

const NAMES = ['wasm:1', 'wasm:2'] as const;
const name = fc.constantFrom(...NAMES);
const seed = fc.integer({ min: 1, max: 2 ** 31 - 1 });

describe('wasm backend: memory', () => {
  test.prop([name, fc.array(fc.integer({ min: 0, max: 5000 }), { minLength: 1, maxLength: 20 }), seed], { numRuns: 20 })(
    'upload then read gives the data back; freed blocks are reused',
    (n, sizes, s) => {
      const be = backends[n]!;
      for (const size of sizes) {
        const x = data(size, s);
        const buf = be.upload(x);
        expect(Array.from(be.readSync!(buf))).toEqual(Array.from(x));
        const ptr = (buf as WasmBuffer).ptr;
        be.dispose(buf);
        expect(() => be.readSync!(buf)).toThrow(/after dispose/);
        const again = be.upload(data(size, s + 1));
        expect((again as WasmBuffer).ptr).toBe(ptr);
        be.dispose(again);
      }
      const ints = be.upload(Int32Array.from([1, -2, 3]));
      expect(Array.from(be.readSync!(ints))).toEqual([1, -2, 3]);
      expect(() => be.upload(new Float64Array(2))).toThrow(/float64/);
    },
  );
});

describe('wasm backend: matmul', () => {
  const dims = fc.integer({ min: 1, max: 70 });
  test.prop([name, fc.integer({ min: 1, max: 3 }), dims, dims, dims, fc.boolean(), fc.boolean(), fc.boolean(), fc.boolean(), seed], { numRuns: 60 })(
    'equals the cpu backend in all four transpose variants, batched and broadcast',
    (n, batch, m, k, nn, transA, transB, bcastA, bcastB, s) => {
      const ba = bcastA ? 1 : batch, bb = bcastB ? 1 : batch;
      const A = data(ba * m * k, s), B = data(bb * k * nn, s + 7);
      const spec = { batch, m, k, n: nn, transA, transB, aBatchStride: ba === 1 ? 0 : m * k, bBatchStride: bb === 1 ? 0 : k * nn };
      const want = onCpu((be) => be.matmul(be.upload(A), be.upload(B), spec) as DeviceBuffer);
      const scale = onCpu((be) => be.matmul(be.upload(A.map(Math.abs)), be.upload(B.map(Math.abs)), spec) as DeviceBuffer);
      const got = onWasm(n, (be) => be.matmul(be.upload(A), be.upload(B), spec));
      expectClose(got, want, 1e-6, 1e-5, { scale });
    },
  );

  // Sizes past the cache blocks (KC = 256, MC = 64) and big enough to be split across threads.
  test.prop([name, fc.constantFrom([300, 260, 130], [129, 517, 65], [67, 70, 1030], [1, 300, 700]), fc.boolean(), fc.boolean(), seed], { numRuns: 10 })(
    'equals the cpu backend past the cache blocks and across threads',
    (n, [m, k, nn], transA, transB, s) => {
      const A = data(m! * k!, s), B = data(k! * nn!, s + 3);
      const spec = { batch: 1, m: m!, k: k!, n: nn!, transA, transB, aBatchStride: 0, bBatchStride: 0 };
      const want = onCpu((be) => be.matmul(be.upload(A), be.upload(B), spec) as DeviceBuffer);
      const scale = onCpu((be) => be.matmul(be.upload(A.map(Math.abs)), be.upload(B.map(Math.abs)), spec) as DeviceBuffer);
      expectClose(onWasm(n, (be) => be.matmul(be.upload(A), be.upload(B), spec)), want, 1e-6, 1e-5, { scale });
    },
  );

  test.prop([name, fc.integer({ min: 0, max: 5 }), fc.integer({ min: 0, max: 5 })], { numRuns: 10 })('k = 0 gives zeros; empty outputs are empty', (n, m, nn) => {
    const spec = { batch: 2, m, k: 0, n: nn, transA: false, transB: false, aBatchStride: 0, bBatchStride: 0 };
    const got = onWasm(n, (be) => be.matmul(be.upload(new Float32Array(0)), be.upload(new Float32Array(0)), spec));
    expect(Array.from(got)).toEqual(new Array(2 * m * nn).fill(0));
  });
});

/** Group offsets [G + 1] from group sizes (empty groups included). */
function offsetsOf(sizes: readonly number[]): Int32Array {
  const o = new Int32Array(sizes.length + 1);
  sizes.forEach((m, g) => (o[g + 1] = o[g]! + m));
  return o;
}

describe('wasm backend: grouped matmul', () => {
  const sizes = fc.array(fc.integer({ min: 0, max: 40 }), { minLength: 1, maxLength: 6 });
  const dims = fc.integer({ min: 0, max: 40 });

  /** The fusions of 'rows' a case may take: A gathered through a row index, a bias row per group. */
  interface Fuse { gathered: boolean; bias: boolean }
  const plain: Fuse = { gathered: false, bias: false };

  /** Both kinds of one case on the named backend and on cpu, compared with a tolerance scaled by |A|·|B|; B stacked or as column blocks. */
  function check(n: string, groupSizes: readonly number[], k: number, nn: number, transB: boolean, columns: boolean, s: number, fuse = plain): void {
    const o = offsetsOf(groupSizes);
    const [groups, rows] = [groupSizes.length, o[groupSizes.length]!];
    // A gathered A has its own row count; the index visits its rows in a scrambled order, some twice, some never.
    const aRows = fuse.gathered ? Math.max(1, Math.ceil(rows / 2) + 1) : rows;
    const idx = Int32Array.from({ length: rows }, (_, r) => (r * 7 + s) % aRows);
    const A = data(aRows * k, s), B = data(groups * k * nn, s + 5), R = data(rows * nn, s + 9), bias = data(groups * nn, s + 13);
    const k2 = transB ? k : nn; // the stored B_g is k×n, or n×k read transposed
    const bStrides = columns ? columnStrides(groups, k2, transB) : stackedStrides(transB ? nn : k, k2, transB);
    const byRows = { kind: 'rows', groups, rows, k, n: nn, bStrides, ...(fuse.gathered ? { aRows } : {}), ...(fuse.bias ? { bias: true } : {}) } as const;
    const inner = { kind: 'inner', groups, rows, m: k, n: nn } as const;
    for (const [spec, x, y] of [[byRows, A, B], ...(fuse === plain ? [[inner, A, R]] as const : [])] as const) {
      const extras = (be: Backend) => (spec.kind === 'rows' ? {
        ...(fuse.gathered ? { rowIndex: be.upload(idx) } : {}),
        ...(fuse.bias ? { bias: be.upload(bias) } : {}),
      } : undefined);
      const absExtras = (be: Backend) => (fuse.bias ? { ...extras(be), bias: be.upload(bias.map(Math.abs)) } : extras(be));
      const want = onCpu((be) => be.groupedMatmul(be.upload(x), be.upload(y), be.upload(o), spec, extras(be)) as DeviceBuffer);
      const scale = onCpu((be) => be.groupedMatmul(be.upload(x.map(Math.abs)), be.upload(y.map(Math.abs)), be.upload(o), spec, absExtras(be)) as DeviceBuffer);
      expectClose(onWasm(n, (be) => be.groupedMatmul(be.upload(x), be.upload(y), be.upload(o), spec, extras(be))), want, 1e-6, 1e-5, { scale });
    }
  }

  test.prop([name, sizes, dims, dims, fc.boolean(), fc.boolean(), seed], { numRuns: 60 })(
    "equals the cpu backend in both kinds ('rows' with B stacked or in column blocks, transposed or not; 'inner'), empty groups included",
    (n, groupSizes, k, nn, transB, columns, s) => check(n, groupSizes, k, nn, transB, columns, s),
  );

  test.prop([name, sizes, dims, dims, fc.boolean(), fc.boolean(), fc.record({ gathered: fc.boolean(), bias: fc.boolean() }), seed], { numRuns: 60 })(
    "fused 'rows' (A gathered through a row index, a bias row per group) equals the cpu backend",
    (n, groupSizes, k, nn, transB, columns, fuse, s) => check(n, groupSizes, k, nn, transB, columns, s, fuse),
  );

  // Groups past the cache blocks, big enough to be cut across threads, and more groups than one pool run's 32 shares.
  // With k past one cache block (KC = 256) the bias must enter with the first block only; with n past NC = 1024, at each block's columns.
  test.prop([name, fc.constantFrom([300, 0, 260], [1, 517, 65, 3], Array.from({ length: 40 }, (_, g) => 20 + g)), fc.constantFrom([130, 300], [257, 64], [40, 1100]), fc.boolean(), fc.boolean(), fc.record({ gathered: fc.boolean(), bias: fc.boolean() }), seed], { numRuns: 16 })(
    'equals the cpu backend past the cache blocks, across threads, over many groups, fused or not',
    (n, groupSizes, [k, nn], transB, columns, fuse, s) => check(n, groupSizes, k!, nn!, transB, columns, s, fuse),
  );

  test.prop([name], { numRuns: 10 })('fused operands that do not match the spec are refused, naming them, here and on cpu', (n) => {
    const spec = { kind: 'rows', groups: 2, rows: 3, k: 1, n: 2, bStrides: stackedStrides(1, 2, false) } as const;
    for (const be of [backends[n]!, cpu as Backend]) {
      const run = (s: GroupedMatmulSpec, extras: { rowIndex?: number[]; bias?: number }): unknown => be.groupedMatmul(be.upload(new Float32Array(3)), be.upload(new Float32Array(4)), be.upload(Int32Array.from([0, 1, 3])), s, {
        ...(extras.rowIndex ? { rowIndex: be.upload(Int32Array.from(extras.rowIndex)) } : {}),
        ...(extras.bias ? { bias: be.upload(new Float32Array(extras.bias)) } : {}),
      });
      expect(() => run(spec, { rowIndex: [0, 1, 2] })).toThrow(/a row index goes with spec.aRows/);
      expect(() => run({ ...spec, aRows: 3 }, {})).toThrow(/a row index goes with spec.aRows/);
      expect(() => run({ ...spec, bias: true }, {})).toThrow(/a bias goes with spec.bias/);
      expect(() => run({ ...spec, bias: true }, { bias: 3 })).toThrow(/the bias has 3 values, not groups·n = 4/);
      expect(() => run({ ...spec, aRows: 3 }, { rowIndex: [0, 3, 1] })).toThrow(/row index 3 at position 1 is out of range for A's 3 rows/);
      expect(() => run({ ...spec, aRows: 3 }, { rowIndex: [0, 1] })).toThrow(/the row index has 2 entries for 3 rows/);
    }
  });

  test.prop([name], { numRuns: 10 })('bad offsets are refused, naming them', (n) => {
    const be = backends[n]!;
    const spec = { kind: 'rows', groups: 2, rows: 3, k: 1, n: 1, bStrides: stackedStrides(1, 1, false) } as const;
    const run = (o: number[]): unknown => be.groupedMatmul(be.upload(new Float32Array(3)), be.upload(new Float32Array(2)), be.upload(Int32Array.from(o)), spec);
    expect(() => run([1, 2, 3])).toThrow(/must start at 0, got 1/);
    expect(() => run([0, 2, 1])).toThrow(/must not decrease: offset 2 is 1 after 2/);
    expect(() => run([0, 1, 4])).toThrow(/last offset must be the row count 3, got 4/);
    expect(() => run([0, 3])).toThrow(/2 groups need 3 offsets, got 2/);
  });
});

/** A shape and two operand shapes that broadcast to it (size-1 axes, dropped leading axes). */
const broadcastCase = fc
  .array(fc.integer({ min: 1, max: 9 }), { minLength: 0, maxLength: 4 })
  .chain((out) =>
    fc.tuple(
      fc.constant(out),
      fc.array(fc.boolean(), { minLength: out.length, maxLength: out.length }),
      fc.array(fc.boolean(), { minLength: out.length, maxLength: out.length }),
      fc.integer({ min: 0, max: out.length }),
      fc.integer({ min: 0, max: out.length }),
    ),
  )
  .map(([out, onesA, onesB, dropA, dropB]) => {
    const a = out.map((d, i) => (onesA[i] ? 1 : d)).slice(dropA);
    const b = out.map((d, i) => (onesB[i] ? 1 : d)).slice(dropB);
    return { a, b, out: broadcastShapes('test', a, b) };
  });

describe('wasm backend: elementwise', () => {
  test.prop([name, fc.constantFrom(...UNARY_OPS), fc.integer({ min: 0, max: 300 }), seed, fc.constantFrom(1, 10, 100)], { numRuns: 80 })(
    'every unary op equals the cpu backend',
    (n, op, size, s, scale) => {
      const x = data(size, s, scale);
      // Special values in the first lanes: the polynomials must handle them as Math does.
      const specials = [0, -0, Infinity, -Infinity, NaN, 88.5, -88.5, 100, -100, 1e-40, 0.625, -0.6];
      for (let i = 0; i < Math.min(size, specials.length) && s % 3 === 0; i++) x[i] = specials[i]!;
      const want = onCpu((be) => be.unary(op, be.upload(x)) as DeviceBuffer);
      const got = onWasm(n, (be) => be.unary(op, be.upload(x)));
      // sin/cos at large arguments and the subnormal tail of exp are the only places float32 rounding shows.
      expectClose(got, want, op === 'exp' ? 1e-37 : 2e-7, 4e-6);
    },
  );

  test.each(NAMES)('long unary ops are split across threads and still equal on %s', (n) => {
    for (const size of [140_000, 131_075]) {
      const x = data(size, size);
      for (const op of ['exp', 'tanh', 'gelu', 'relu'] as const) {
        expectClose(onWasm(n, (be) => be.unary(op, be.upload(x))), onCpu((be) => be.unary(op, be.upload(x)) as DeviceBuffer), 2e-7, 4e-6);
      }
    }
  });

  test.prop([name, fc.constantFrom(...BINARY_OPS), broadcastCase, seed, fc.boolean()], { numRuns: 150 })(
    'every binary op equals the cpu backend under broadcasting',
    (n, op, { a, b, out }, s, ties) => {
      let A = data(sizeOf(a), s), B = data(sizeOf(b), s + 1);
      // Ties make the comparisons and max/min interesting; pow needs a positive base.
      if (ties) B = B.map((v, i) => (i % 2 ? v : A[i % A.length]!));
      if (op === 'pow') A = A.map(Math.abs);
      const want = onCpu((be) => be.binary(op, be.upload(A), a, be.upload(B), b, out) as DeviceBuffer);
      const got = onWasm(n, (be) => be.binary(op, be.upload(A), a, be.upload(B), b, out));
      expectClose(got, want, 0, op === 'pow' ? 1e-6 : 0);
    },
  );

  // Past 2²⁰ elements binary ops and reductions are split across threads.
  test.prop([name, fc.constantFrom<[number[], number[]]>([[1025, 1030], [1, 1030]], [[1100, 1000], [1100, 1]], [[1, 1048579], []], [[1048577], [1048577]]), seed], { numRuns: 10 })(
    'long binary ops and reductions are split across threads and still equal',
    (n, [a, b], s) => {
      const out = broadcastShapes('test', a, b);
      const A = data(sizeOf(a), s), B = data(sizeOf(b), s + 1);
      for (const op of ['add', 'gt'] as const) {
        expectClose(onWasm(n, (be) => be.binary(op, be.upload(A), a, be.upload(B), b, out)), onCpu((be) => be.binary(op, be.upload(A), a, be.upload(B), b, out) as DeviceBuffer), 0, 0);
      }
      const [rows, cols] = out.length === 2 ? [out[0]!, out[1]!] : [1024, out[0]! >> 10];
      const absSum = onCpu((be) => be.reduce('sum', be.upload(A.subarray(0, rows * cols).map(Math.abs)), rows, cols, 1) as DeviceBuffer);
      expectClose(onWasm(n, (be) => be.reduce('sum', be.upload(A.subarray(0, rows * cols)), rows, cols, 1)), onCpu((be) => be.reduce('sum', be.upload(A.subarray(0, rows * cols)), rows, cols, 1) as DeviceBuffer), 1e-6, 1e-6, { scale: absSum });
    },
  );

  test.prop([name, broadcastCase, seed], { numRuns: 20 })('int32 binary ops and where equal the cpu backend', (n, { a, b, out }, s) => {
    const A = Int32Array.from(data(sizeOf(a), s, 5), Math.round), B = Int32Array.from(data(sizeOf(b), s + 1, 5), Math.round);
    for (const op of ['add', 'mul', 'eq', 'max'] as const) {
      expect(Array.from(onWasm(n, (be) => be.binary(op, be.upload(A), a, be.upload(B), b, out)))).toEqual(
        Array.from(onCpu((be) => be.binary(op, be.upload(A), a, be.upload(B), b, out) as DeviceBuffer)),
      );
    }
    const C = Float32Array.from(data(sizeOf(b), s + 2), (v) => (v > 0 ? 1 : 0));
    const X = data(sizeOf(a), s + 3), Y = data(1, s + 4);
    expect(Array.from(onWasm(n, (be) => be.where(be.upload(C), b, be.upload(X), a, be.upload(Y), [], out)))).toEqual(
      Array.from(onCpu((be) => be.where(be.upload(C), b, be.upload(X), a, be.upload(Y), [], out) as DeviceBuffer)),
    );
  });
});

describe('wasm backend: where', () => {
  test.prop([name, broadcastCase, fc.array(fc.boolean(), { maxLength: 4 }), fc.nat(4), seed], { numRuns: 60 })(
    'where equals the cpu backend with all three operands broadcast',
    (n, { a, b, out }, onesC, dropC, s) => {
      const cShape = out.map((d, i) => (onesC[i] ? 1 : d)).slice(Math.min(dropC, out.length));
      const C = Float32Array.from(data(sizeOf(cShape), s), (v) => (v > 0 ? 1 : 0));
      const A = data(sizeOf(a), s + 1), B = data(sizeOf(b), s + 2);
      const run = (be: Backend): DeviceBuffer => be.where(be.upload(C), cShape, be.upload(A), a, be.upload(B), b, out) as DeviceBuffer;
      expect(Array.from(onWasm(n, run))).toEqual(Array.from(onCpu(run)));
    },
  );
});

describe('wasm backend: reductions and indexing', () => {
  const dims = fc.tuple(fc.integer({ min: 1, max: 6 }), fc.integer({ min: 0, max: 40 }), fc.constantFrom(1, 1, 2, 5, 16, 37));
  test.prop([name, fc.constantFrom('sum', 'max', 'min' as const), dims, seed], { numRuns: 60 })(
    'reduce equals the cpu backend over any axis',
    (n, op, [outer, len, inner], s) => {
      const x = data(outer * len * inner, s);
      if (len === 0 && op !== 'sum') return;
      if (s % 5 === 0 && x.length > 3) x[3] = NaN;
      const want = onCpu((be) => be.reduce(op, be.upload(x), outer, len, inner) as DeviceBuffer);
      const absSum = onCpu((be) => be.reduce('sum', be.upload(x.map(Math.abs)), outer, len, inner) as DeviceBuffer);
      expectClose(onWasm(n, (be) => be.reduce(op, be.upload(x), outer, len, inner)), want, 1e-6, 1e-6, { scale: absSum });
    },
  );

  test.prop([name, fc.constantFrom('argmax', 'argmin' as const), dims, seed], { numRuns: 20 })('argReduce equals the cpu backend', (n, op, [outer, len, inner], s) => {
    if (len === 0) return;
    const x = data(outer * len * inner, s).map((v) => Math.round(v)); // ties
    const got = onWasm(n, (be) => be.argReduce(op, be.upload(x), outer, len, inner));
    expect(got).toBeInstanceOf(Int32Array);
    expect(Array.from(got)).toEqual(Array.from(onCpu((be) => be.argReduce(op, be.upload(x), outer, len, inner) as DeviceBuffer)));
  });

  test.prop([name, fc.integer({ min: 1, max: 20 }), fc.integer({ min: 1, max: 12 }), fc.integer({ min: 1, max: 12 }), seed], { numRuns: 20 })(
    'topk, gather, scatterAdd and cast equal the cpu backend',
    (n, rows, cols, k0, s) => {
      const k = Math.min(k0, cols);
      const x = data(rows * cols, s).map((v) => Math.round(v * 2) / 2);
      expect(Array.from(onWasm(n, (be) => be.topk(be.upload(x), rows, cols, k)))).toEqual(Array.from(onCpu((be) => be.topk(be.upload(x), rows, cols, k) as DeviceBuffer)));
      const idx = Int32Array.from(data(k0 * 2, s + 1), (v) => Math.floor(((v + 3) / 6) * rows) % rows);
      expect(Array.from(onWasm(n, (be) => be.gather(be.upload(x), rows, cols, be.upload(idx))))).toEqual(
        Array.from(onCpu((be) => be.gather(be.upload(x), rows, cols, be.upload(idx)) as DeviceBuffer)),
      );
      const src = data(idx.length * cols, s + 2);
      expectClose(
        onWasm(n, (be) => be.scatterAdd(be.upload(src), cols, be.upload(idx), rows)),
        onCpu((be) => be.scatterAdd(be.upload(src), cols, be.upload(idx), rows) as DeviceBuffer),
        1e-6,
        1e-6,
      );
      const ints = onWasm(n, (be) => be.cast(be.upload(x), 'int32'));
      expect(ints).toBeInstanceOf(Int32Array);
      expect(Array.from(ints)).toEqual(Array.from(onCpu((be) => be.cast(be.upload(x), 'int32') as DeviceBuffer)));
      expect(Array.from(onWasm(n, (be) => be.cast(be.upload(Int32Array.from(ints)), 'float32')))).toEqual(Array.from(ints));
      expect(() => backends[n]!.gather(backends[n]!.upload(x), rows, cols, backends[n]!.upload(Int32Array.from([rows])))).toThrow(/out of range/);
    },
  );

  // Past 4 MiB (gather) and 16 MiB (scatter-add) moved, the kernels are split across threads: the
  // gather by output rows, the scatter-add by the rows it writes. The sums must still be taken in
  // increasing source order, so the threaded result equals the reference's bit for bit.
  const big = Math.ceil(PARALLEL_SCATTER_BYTES / 4 / 3000) + 1; // columns that put 3000 rows past both thresholds
  test.prop([name, fc.integer({ min: 1, max: 700 }), fc.constantFrom(129, 301, big), fc.integer({ min: 1, max: 2400 }), seed], {
    numRuns: 12,
    examples: [['wasm:2', 600, big, 2400, 7]],
  })(
    'gather and scatterAdd, on one thread or split across threads, equal the cpu backend exactly',
    (n, rows, cols, pairs, s) => {
      const same = (got: TypedArray, want: TypedArray): void => {
        expect(got.length).toBe(want.length);
        for (let i = 0; i < want.length; i++) if (!Object.is(got[i], want[i])) expect.fail(`element ${i}: got ${got[i]}, want ${want[i]}`);
      };
      const x = data(rows * cols, s);
      // Skewed targets: many sources land on a few rows, as when one expert takes most tokens.
      const idx = Int32Array.from(data(pairs, s + 1), (v) => Math.floor(((v + 3) / 6) ** 3 * rows) % rows);
      same(onWasm(n, (be) => be.gather(be.upload(x), rows, cols, be.upload(idx))), onCpu((be) => be.gather(be.upload(x), rows, cols, be.upload(idx)) as DeviceBuffer));
      const src = data(pairs * cols, s + 2);
      same(onWasm(n, (be) => be.scatterAdd(be.upload(src), cols, be.upload(idx), rows)), onCpu((be) => be.scatterAdd(be.upload(src), cols, be.upload(idx), rows) as DeviceBuffer));
      const ints = Int32Array.from(x, (v) => Math.round(v * 100));
      same(onWasm(n, (be) => be.gather(be.upload(ints), rows, cols, be.upload(idx))), onCpu((be) => be.gather(be.upload(ints), rows, cols, be.upload(idx)) as DeviceBuffer));
    },
  );
});

/** A view: permute the source axes, slice or expand each, optionally zero-pad. */
const viewCase = fc
  .array(fc.integer({ min: 1, max: 6 }), { minLength: 0, maxLength: 4 })
  .chain((src) =>
    fc.tuple(
      fc.constant(src),
      fc.shuffledSubarray(src.map((_, i) => i), { minLength: src.length, maxLength: src.length }),
      fc.array(fc.tuple(fc.nat(5), fc.nat(5), fc.integer({ min: 1, max: 4 }), fc.nat(2), fc.nat(2)), { minLength: src.length, maxLength: src.length }),
      fc.boolean(),
    ),
  )
  .map(([src, perm, cuts, padded]) => {
    const st = stridesOf(src);
    let offset = 0;
    const shape: number[] = [], strides: number[] = [], window: [number, number][] = [];
    perm.forEach((axis, i) => {
      const d = src[axis]!;
      const [lo0, len0, expandTo, before, after] = cuts[i]!;
      let size: number, stride: number;
      if (d === 1 && expandTo > 1) {
        size = expandTo; // expand: stride 0
        stride = 0;
      } else {
        const lo = lo0 % d;
        size = 1 + (len0 % (d - lo));
        stride = st[axis]!;
        offset += lo * stride;
      }
      const [b, a] = padded ? [before, after] : [0, 0];
      offset -= b * stride;
      shape.push(size + b + a);
      strides.push(stride);
      window.push([b, b + size]);
    });
    const spec: ViewSpec = padded ? { shape, strides, offset, window } : { shape, strides, offset };
    return { src, spec };
  });

describe('wasm backend: view', () => {
  test.prop([name, viewCase, seed], { numRuns: 200 })('the strided, zero-padded read equals the cpu backend', (n, { src, spec }, s) => {
    const x = data(sizeOf(src), s);
    expect(Array.from(onWasm(n, (be) => be.view(be.upload(x), spec)))).toEqual(Array.from(onCpu((be) => be.view(be.upload(x), spec) as DeviceBuffer)));
  });
});
