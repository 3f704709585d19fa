/**
 * Autograd = finite differences for matmul (1-D, 2-D, batched with
 * broadcasting batch axes), bmm with either operand transposed, and the
 * indexing ops: gather, indexSelect, scatterAdd, indexAdd, gatherRows,
 * scatterAddRows, topk values, crossEntropy; grouped matmul in both forms. Indices repeat on purpose (a
 * repeated index is where a scatter's gradient accumulates).
 */
import { describe, it } from 'vitest';
import fc from 'fast-check';
import { bmm, crossEntropy, gatherRows, groupedMatmul, groupedMatmulInner, scatterAddRows } from '../../src/index.js';
import { axisOf, broadcastPair, cotangentSeed, distinctCase, gradShape, indices, shape, sizeOf, tensorCase, values } from '../helpers/arbitraries.js';
import { expectGrad, fromCase, i32, t64 } from '../helpers/tensors.js';

const RUNS = 50;
const dim = fc.integer({ min: 1, max: 3 });

describe('matmul and bmm: autograd = finite differences', () => {
  it('matmul of 1-D and 2-D operands in every combination', async () => {
    const arb = fc.tuple(dim, dim, dim, fc.boolean(), fc.boolean()).chain(([m, k, n, aVec, bVec]) => {
      const sa = aVec ? [k] : [m, k];
      const sb = bVec ? [k] : [k, n];
      return fc.tuple(fc.constant(sa), fc.constant(sb), values(sizeOf(sa)), values(sizeOf(sb)));
    });
    await fc.assert(
      fc.asyncProperty(arb, cotangentSeed, async ([sa, sb, va, vb], seed) => {
        await expectGrad((a, b) => a.matmul(b), [t64(va, sa), t64(vb, sb)], { seed });
      }),
      { numRuns: RUNS },
    );
  });

  it('batched matmul with broadcasting batch axes (and 1-D against batched)', async () => {
    const arb = fc
      .tuple(broadcastPair({ maxRank: 2, maxDim: 2 }), dim, dim, dim, fc.integer({ min: 0, max: 4 }))
      .chain(([[ba, bb], m, k, n, vec]) => {
        // vec 1: a is 1-D; vec 2: b is 1-D; otherwise both batched.
        const sa = vec === 1 ? [k] : [...ba, m, k];
        const sb = vec === 2 ? [k] : [...bb, k, n];
        return fc.tuple(fc.constant(sa), fc.constant(sb), values(sizeOf(sa)), values(sizeOf(sb)));
      });
    await fc.assert(
      fc.asyncProperty(arb, cotangentSeed, async ([sa, sb, va, vb], seed) => {
        await expectGrad((a, b) => a.matmul(b), [t64(va, sa), t64(vb, sb)], { seed });
      }),
      { numRuns: RUNS },
    );
  });

  it('bmm with transA / transB and a broadcast batch of 1', async () => {
    const arb = fc
      .tuple(dim, dim, dim, dim, fc.boolean(), fc.boolean(), fc.constantFrom('both', 'a1', 'b1'))
      .chain(([batch, m, k, n, ta, tb, bc]) => {
        const sa = [bc === 'a1' ? 1 : batch, ...(ta ? [k, m] : [m, k])];
        const sb = [bc === 'b1' ? 1 : batch, ...(tb ? [n, k] : [k, n])];
        return fc.tuple(fc.constant({ sa, sb, ta, tb }), values(sizeOf(sa)), values(sizeOf(sb)));
      });
    await fc.assert(
      fc.asyncProperty(arb, cotangentSeed, async ([{ sa, sb, ta, tb }, va, vb], seed) => {
        await expectGrad((a, b) => bmm(a, b, ta, tb), [t64(va, sa), t64(vb, sb)], { seed });
      }),
      { numRuns: RUNS },
    );
  });

  it('x·W + b through tanh, with W shared by two products', async () => {
    const arb = fc.tuple(dim, dim, dim).chain(([m, k, n]) => fc.tuple(fc.constant([m, k, n]), values(m * k), values(k * n), values(n)));
    await fc.assert(
      fc.asyncProperty(arb, cotangentSeed, async ([[m, k, n], vx, vw, vb], seed) => {
        await expectGrad((x, w, b) => x.matmul(w).add(b).tanh().add(x.mul(0.5).matmul(w)), [t64(vx, [m!, k!]), t64(vw, [k!, n!]), t64(vb, [n!])], { seed });
      }),
      { numRuns: RUNS },
    );
  });
});

/** x's case, an axis, and an index shaped for PyTorch's gather/scatter_add along it. */
const gatherCase = tensorCase(gradShape({ minRank: 1, maxSize: 12 })).chain((c) =>
  axisOf(c.shape.length).chain((axis) => {
    const a = axis < 0 ? axis + c.shape.length : axis;
    return fc
      .tuple(...c.shape.map((d, i) => (i === a ? fc.integer({ min: 1, max: 3 }) : fc.integer({ min: 1, max: d }))))
      .chain((ishape) => fc.tuple(fc.constant(c), fc.constant(axis), fc.constant(ishape), indices(sizeOf(ishape), c.shape[a]!), values(sizeOf(ishape))));
  }),
);

describe('indexing: autograd = finite differences', () => {
  it('gather', async () => {
    await fc.assert(
      fc.asyncProperty(gatherCase, cotangentSeed, async ([c, axis, ishape, idx], seed) => {
        await expectGrad((x) => x.gather(axis, i32(idx, ishape)), [fromCase(c)], { seed });
      }),
      { numRuns: RUNS },
    );
  });

  it('scatterAdd (gradient to x and to src)', async () => {
    await fc.assert(
      fc.asyncProperty(gatherCase, cotangentSeed, async ([c, axis, ishape, idx, src], seed) => {
        await expectGrad((x, s) => x.scatterAdd(axis, i32(idx, ishape), s), [fromCase(c), t64(src, ishape)], { seed });
      }),
      { numRuns: RUNS },
    );
  });

  const selectCase = tensorCase(gradShape({ minRank: 1, maxSize: 12 })).chain((c) =>
    axisOf(c.shape.length).chain((axis) => {
      const n = c.shape[axis < 0 ? axis + c.shape.length : axis]!;
      return fc.tuple(fc.constant(c), fc.constant(axis), fc.array(fc.integer({ min: 0, max: n - 1 }), { minLength: 0, maxLength: 4 }));
    }),
  );

  it('indexSelect (repeated and empty indices)', async () => {
    await fc.assert(
      fc.asyncProperty(selectCase, cotangentSeed, async ([c, axis, idx], seed) => {
        await expectGrad((x) => x.indexSelect(axis, i32(idx)), [fromCase(c)], { seed });
      }),
      { numRuns: RUNS },
    );
  });

  it('indexAdd (gradient to x and to src)', async () => {
    await fc.assert(
      fc.asyncProperty(selectCase, cotangentSeed, async ([c, axis, idx], seed) => {
        const a = axis < 0 ? axis + c.shape.length : axis;
        const sshape = c.shape.map((d, i) => (i === a ? idx.length : d));
        const src = t64(Array.from({ length: sizeOf(sshape) }, (_, i) => Math.sin(i + 1)), sshape);
        await expectGrad((x, s) => x.indexAdd(axis, i32(idx), s), [fromCase(c), src], { seed });
      }),
      { numRuns: RUNS },
    );
  });

  it('gatherRows and scatterAddRows', async () => {
    const arb = fc.tuple(dim, dim, fc.integer({ min: 0, max: 4 })).chain(([rows, cols, m]) =>
      fc.tuple(fc.constant([rows, cols, m]), values(rows * cols), values(m * cols), indices(m, rows)),
    );
    await fc.assert(
      fc.asyncProperty(arb, cotangentSeed, async ([[rows, cols, m], vx, vs, idx], seed) => {
        await expectGrad((x) => gatherRows(x, i32(idx)), [t64(vx, [rows!, cols!])], { seed });
        await expectGrad((s) => scatterAddRows(s, i32(idx), rows!), [t64(vs, [m!, cols!])], { seed });
      }),
      { numRuns: RUNS },
    );
  });

  it('topk values (distinct values, so the selection is locally constant)', async () => {
    const arb = distinctCase(gradShape({ minRank: 1 })).chain((c) => fc.tuple(fc.constant(c), fc.integer({ min: 1, max: c.shape[c.shape.length - 1]! })));
    await fc.assert(
      fc.asyncProperty(arb, cotangentSeed, async ([c, k], seed) => {
        await expectGrad((x) => x.topk(k).values, [fromCase(c)], { seed });
      }),
      { numRuns: RUNS },
    );
  });

  it('crossEntropy from logits, every reduction', async () => {
    const arb = fc
      .tuple(shape({ maxRank: 2, maxDim: 3 }), fc.integer({ min: 1, max: 4 }), fc.constantFrom('mean' as const, 'sum' as const, 'none' as const))
      .chain(([lead, classes, reduction]) =>
        fc.tuple(fc.constant({ lead, classes, reduction }), values(sizeOf(lead) * classes).map((v) => v.map((x) => 2 * x)), indices(sizeOf(lead), classes)),
      );
    await fc.assert(
      fc.asyncProperty(arb, cotangentSeed, async ([{ lead, classes, reduction }, logits, targets], seed) => {
        await expectGrad((x) => crossEntropy(x, i32(targets, lead), { reduction }), [t64(logits, [...lead, classes])], { seed });
      }),
      { numRuns: RUNS },
    );
  });
});

describe('grouped matmul: autograd = finite differences', () => {
  /** Group sizes (empty groups included), inner and outer widths, and data for A [P, k], B [G, k, n] and R [P, n]. */
  const arb = fc
    .tuple(fc.array(fc.integer({ min: 0, max: 3 }), { minLength: 1, maxLength: 3 }), dim, dim, fc.boolean())
    .chain(([sizes, k, n, transB]) => {
      const rows = sizes.reduce((s, m) => s + m, 0);
      const offsets = sizes.reduce((o, m) => [...o, o.at(-1)! + m], [0]);
      return fc.tuple(fc.constant({ offsets, rows, k, n, transB, groups: sizes.length }), values(rows * k), values(sizes.length * k * n), values(rows * n));
    });

  it("'rows', B stacked or as column blocks, with and without transB: gradients reach A and every group's B", async () => {
    await fc.assert(
      fc.asyncProperty(arb, fc.boolean(), cotangentSeed, async ([{ offsets, rows, k, n, transB, groups }, va, vb], columns, seed) => {
        const [k1, k2] = transB ? [n, k] : [k, n];
        const bShape = columns ? [k1, groups * k2] : [groups, k1, k2];
        await expectGrad((a, b) => groupedMatmul(a, b, i32(offsets), { transB }), [t64(va, [rows, k]), t64(vb, bShape)], { seed });
      }),
      { numRuns: RUNS },
    );
  });

  it("fused 'rows' (A gathered through a row index, a bias row per group): gradients reach A's source rows, B and the bias", async () => {
    await fc.assert(
      fc.asyncProperty(arb, fc.boolean(), fc.integer({ min: 1, max: 4 }), cotangentSeed, async ([{ offsets, rows, k, n, transB, groups }, , vb, vr], columns, aRows, seed) => {
        const [k1, k2] = transB ? [n, k] : [k, n];
        const bShape = columns ? [k1, groups * k2] : [groups, k1, k2];
        const idx = i32(Array.from({ length: rows }, (_, r) => (r * 3 + seed) % aRows));
        const va = Array.from({ length: aRows * k }, (_, i) => Math.cos(i + seed));
        const bias = vr.slice(0, groups * n).concat(new Array(Math.max(0, groups * n - vr.length)).fill(0.5));
        await expectGrad(
          (a, b, c) => groupedMatmul(a, b, i32(offsets), { transB, rowIndex: idx, bias: c }),
          [t64(va, [aRows, k]), t64(vb, bShape), t64(bias, [groups, n])],
          { seed },
        );
      }),
      { numRuns: RUNS },
    );
  });

  it("'inner': gradients reach both row operands", async () => {
    await fc.assert(
      fc.asyncProperty(arb, cotangentSeed, async ([{ offsets, rows, k, n }, va, , vr], seed) => {
        await expectGrad((a, r) => groupedMatmulInner(a, r, i32(offsets)), [t64(va, [rows, k]), t64(vr, [rows, n])], { seed });
      }),
      { numRuns: RUNS },
    );
  });
});
