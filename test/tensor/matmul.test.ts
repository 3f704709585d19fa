/**
 * matmul against the naive reference (1-D, 2-D, batched with broadcasting
 * batch axes, size-0 axes), bmm's transposed layouts, associativity.
 */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { bmm, type Tensor } from '../../src/index.js';
import { broadcastPair, sizeOf, values } from '../helpers/arbitraries.js';
import * as naive from '../helpers/naive.js';
import { expectClose, expectShape, t32, t64, vals } from '../helpers/tensors.js';

const RUNS = 100;

/** matmul operand shapes: each side 1-D, 2-D or batched (batch axes broadcast), sizes 0..4. */
const matmulShapes = fc
  .tuple(broadcastPair({ maxRank: 2, maxDim: 3 }), fc.integer({ min: 0, max: 4 }), fc.integer({ min: 0, max: 4 }), fc.integer({ min: 0, max: 4 }), fc.constantFrom('1d', '2d', 'batched'), fc.constantFrom('1d', '2d', 'batched'))
  .map(([[ba, bb], m, k, n, ka, kb]) => ({
    sa: ka === '1d' ? [k] : ka === '2d' ? [m, k] : [...ba, m, k],
    sb: kb === '1d' ? [k] : kb === '2d' ? [k, n] : [...bb, k, n],
  }));

const matmulCase = matmulShapes.chain(({ sa, sb }) => fc.tuple(fc.constant(sa), fc.constant(sb), values(sizeOf(sa)), values(sizeOf(sb))));

describe('matmul', () => {
  it('= naive NumPy matmul, float64 (to rounding) and float32 (to float32 tolerance)', () => {
    fc.assert(
      fc.property(matmulCase, ([sa, sb, va, vb]) => {
        const want = naive.matmul({ shape: sa, data: va }, { shape: sb, data: vb });
        const y = t64(va, sa).matmul(t64(vb, sb));
        expectShape(y, want.shape);
        expectClose(vals(y), want.data, 1e-13, 1e-12);
        const y32 = t32(va, sa).matmul(t32(vb, sb));
        expect(y32.dtype).toBe('float32');
        expectClose(vals(y32), want.data, 1e-5, 1e-5);
      }),
      { numRuns: RUNS },
    );
  });

  it('bmm(a, b, transA, transB) = matmul of the explicitly transposed operands (batch of 1 broadcasts)', () => {
    const arb = fc
      .tuple(fc.integer({ min: 1, max: 3 }), fc.integer({ min: 0, max: 3 }), fc.integer({ min: 0, max: 3 }), fc.integer({ min: 0, max: 3 }), fc.boolean(), fc.boolean(), fc.constantFrom('both', 'a1', 'b1'))
      .chain(([batch, m, k, n, ta, tb, bc]) => {
        const sa = [bc === 'a1' ? 1 : batch, ...(ta ? [k, m] : [m, k])];
        const sb = [bc === 'b1' ? 1 : batch, ...(tb ? [n, k] : [k, n])];
        return fc.tuple(fc.constant({ sa, sb, ta, tb }), values(sizeOf(sa)), values(sizeOf(sb)));
      });
    fc.assert(
      fc.property(arb, ([{ sa, sb, ta, tb }, va, vb]) => {
        const a = t64(va, sa);
        const b = t64(vb, sb);
        const y = bmm(a, b, ta, tb);
        const want = (ta ? a.transpose(1, 2) : a).matmul(tb ? b.transpose(1, 2) : b);
        expectShape(y, want.shape);
        expectClose(vals(y), vals(want), 1e-13, 1e-12);
      }),
      { numRuns: RUNS },
    );
  });

  it('is associative within tolerance: (A·B)·C ≈ A·(B·C)', () => {
    const dim = fc.integer({ min: 1, max: 5 });
    const arb = fc.tuple(dim, dim, dim, dim).chain(([m, k, p, n]) =>
      fc.tuple(fc.constant([m, k, p, n]), values(m * k), values(k * p), values(p * n)),
    );
    fc.assert(
      fc.property(arb, ([[m, k, p, n], va, vb, vc]) => {
        for (const make of [t64, t32]) {
          const [a, b, c] = [make(va, [m!, k!]), make(vb, [k!, p!]), make(vc, [p!, n!])];
          const left = vals(a.matmul(b).matmul(c));
          const right = vals(a.matmul(b.matmul(c)));
          expectClose(left, right, make === t64 ? 1e-12 : 1e-4, make === t64 ? 1e-12 : 1e-4);
        }
      }),
      { numRuns: RUNS },
    );
  });

  it('a product with an empty inner axis is zeros; empty outer axes give empty results', () => {
    expect(vals(t64([], [2, 0]).matmul(t64([], [0, 3])))).toEqual([0, 0, 0, 0, 0, 0]);
    expectShape(t64([], [0, 2]).matmul(t64([1, 2], [2, 1])), [0, 1]);
    expectShape(bmm(t64([], [0, 2, 3]), t64([1, 2, 3, 4, 5, 6], [1, 3, 2])), [0, 2, 2]);
  });
});

describe('matmul of transposed views', () => {
  /** A [.., m, k] and B [.., k, n] stored as given or transposed in their last two axes, then transposed back by a view. */
  const variants = matmulShapes
    .filter(({ sa, sb }) => sa.length >= 2 && sb.length >= 2)
    .chain(({ sa, sb }) => fc.tuple(fc.constant(sa), fc.constant(sb), values(sizeOf(sa)), values(sizeOf(sb)), fc.boolean(), fc.boolean()));
  const swap = (s: readonly number[]): number[] => [...s.slice(0, -2), s[s.length - 1]!, s[s.length - 2]!];

  it('read through their sources (no view is realized) with the same values and gradients as contiguous operands', async () => {
    await fc.assert(fc.asyncProperty(variants, async ([sa, sb, va, vb, ta, tb]) => {
      // Contiguous operands, and the same values stored transposed (realized), viewed back.
      const a = t64(va, sa, true), b = t64(vb, sb, true);
      const at = t64(vals(a.transpose(-1, -2)), swap(sa), true), bt = t64(vals(b.transpose(-1, -2)), swap(sb), true);
      const be = a.backend as unknown as { view: (...args: unknown[]) => unknown };
      const view = be.view;
      let views = 0;
      be.view = (...args: unknown[]) => {
        views++;
        return view.apply(a.backend, args);
      };
      let want: Tensor;
      try {
        want = a.matmul(b);
        vals(want);
        const plain = views; // broadcasting a batch axis expands (a view) either way
        const y = (ta ? at.transpose(-1, -2) : a).matmul(tb ? bt.transpose(-1, -2) : b);
        expectClose(vals(y), vals(want));
        expect(views - plain, 'views realized by the transposed product').toBe(plain);
        y.sum().backward();
      } finally {
        be.view = view;
      }
      want.sum().backward();
      if (ta) expectClose(vals(at.grad!.transpose(-1, -2)), vals(a.grad!));
      if (tb) expectClose(vals(bt.grad!.transpose(-1, -2)), vals(b.grad!));
    }), { numRuns: RUNS });
  });
});
