/**
 * Second derivatives. Backward rules are written in tensor ops, so with
 * createGraph the gradient is itself a differentiable tensor: checked
 * against closed forms, and (for every op family) by running gradcheck on
 * the first derivative x ↦ <∇f(x), r>.
 */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { cat, crossEntropy, grad, type Tensor } from '../../src/index.js';
import { cotangentSeed, distinctCase, gradShape, indices, shape, sizeOf, tensorCase, values, type Domain } from '../helpers/arbitraries.js';
import { expectClose, expectGrad, fromCase, i32, t64, vals } from '../helpers/tensors.js';

const RUNS = 30;

describe('second derivatives = closed forms', () => {
  const closed: [string, Domain, (x: Tensor) => Tensor, (x: number) => number, (x: number) => number][] = [
    ['x³', 'any', (x) => x.pow(3), (x) => 3 * x * x, (x) => 6 * x],
    ['sin', 'any', (x) => x.sin(), Math.cos, (x) => -Math.sin(x)],
    ['x·eˣ', 'any', (x) => x.mul(x.exp()), (x) => (1 + x) * Math.exp(x), (x) => (2 + x) * Math.exp(x)],
    ['tanh', 'any', (x) => x.tanh(), (x) => 1 - Math.tanh(x) ** 2, (x) => -2 * Math.tanh(x) * (1 - Math.tanh(x) ** 2)],
    ['log', 'positive', (x) => x.log(), (x) => 1 / x, (x) => -1 / (x * x)],
    ['sqrt', 'positive', (x) => x.sqrt(), (x) => 0.5 / Math.sqrt(x), (x) => -0.25 * x ** -1.5],
    ['sigmoid', 'any', (x) => x.sigmoid(), (x) => s(x) * (1 - s(x)), (x) => s(x) * (1 - s(x)) * (1 - 2 * s(x))],
    ['1/x', 'denominator', (x) => x.reciprocal(), (x) => -1 / (x * x), (x) => 2 / x ** 3],
  ];
  function s(x: number): number {
    return 1 / (1 + Math.exp(-x));
  }

  for (const [name, domain, f, d1, d2] of closed) {
    it(name, () => {
      fc.assert(
        fc.property(tensorCase(shape({ maxRank: 2, maxDim: 3 }), domain), (c) => {
          const x = fromCase(c, true);
          const [g1] = grad(f(x).sum(), [x], { createGraph: true });
          expect(g1!.requiresGrad).toBe(true);
          expectClose(vals(g1!), c.data.map(d1), 1e-12, 1e-10);
          const [g2] = grad(g1!.sum(), [x]);
          expectClose(vals(g2!), c.data.map(d2), 1e-12, 1e-10);
        }),
        { numRuns: RUNS },
      );
    });
  }

  it('the Hessian of xᵀAx is A + Aᵀ (Hessian-vector products through matmul)', () => {
    const arb = fc.integer({ min: 1, max: 4 }).chain((n) => fc.tuple(fc.constant(n), values(n * n), values(n), values(n)));
    fc.assert(
      fc.property(arb, ([n, va, vx, vv]) => {
        const A = t64(va, [n, n]);
        const x = t64(vx, [n], true);
        const [g] = grad(x.matmul(A.matmul(x)), [x], { createGraph: true });
        const v = t64(vv, [n]);
        const [hv] = grad(g!.mul(v).sum(), [x]);
        const want = A.add(A.T).matmul(v);
        expectClose(vals(hv!), vals(want), 1e-12, 1e-10);
      }),
      { numRuns: RUNS },
    );
  });

  it('backward(createGraph) leaves a differentiable .grad', () => {
    const x = t64([0.5, -1.25], [2], true);
    x.pow(4).sum().backward(undefined, { createGraph: true });
    const g = x.grad!;
    expectClose(vals(g), [4 * 0.5 ** 3, 4 * (-1.25) ** 3]);
    const [h] = grad(g.sum(), [x]);
    expectClose(vals(h!), [12 * 0.25, 12 * 1.5625]);
  });
});

describe('second derivatives = finite differences of the first (gradcheck of x ↦ <∇f(x), r>)', () => {
  /** <∇f(x), r> for a fixed r drawn from `seed`: its gradient is the Hessian-vector product H·r. */
  const firstDerivative = (f: (x: Tensor) => Tensor, r: Tensor) => (x: Tensor): Tensor => {
    const y = f(x);
    const [g] = grad(y.sum(), [x], { createGraph: true });
    return g!.mul(r).sum();
  };
  const families: [string, 'any' | 'positive' | 'distinct', (x: Tensor) => Tensor][] = [
    ['elementwise: exp, tanh, sigmoid, gelu, silu, square', 'any', (x) => x.exp().add(x.tanh()).add(x.sigmoid()).add(x.gelu()).add(x.silu()).add(x.square())],
    ['elementwise: log, sqrt, pow, div', 'positive', (x) => x.log().add(x.sqrt()).add(x.pow(2.5)).add(x.div(x.add(1)))],
    ['products with broadcasting and reductions', 'any', (x) => x.mul(x.sum(-1, true)).mean().mul(x.sin())],
    ['softmax, logSoftmax, logsumexp', 'any', (x) => x.softmax(-1).mul(x).add(x.logSoftmax(0)).add(x.logsumexp(-1, true))],
    ['variance', 'any', (x) => x.variance(-1, true).mul(x)],
    ['matmul with itself', 'any', (x) => x.matmul(x.T).tanh()],
    ['movement: permute, pad, slice, expand, cat', 'any', (x) => cat([x.T.pad([[1, 0]]).slice(0, 0, 1).expand([2, -1]).mul(x.sum()).sum(0).exp(), x.reshape([-1]).square()])],
    ['max and maximum (piecewise linear: second derivative 0 away from ties)', 'distinct', (x) => x.max(-1, true).mul(x).add(x.maximum(0.0005).square())],
  ];
  for (const [name, dom, f] of families) {
    it(name, async () => {
      const square = shape({ minRank: 2, maxRank: 2, maxDim: 3 });
      const cases = (dom === 'distinct' ? distinctCase(square) : tensorCase(square, dom)).chain((c) => fc.tuple(fc.constant(c), values(sizeOf(c.shape), 'denominator')));
      await fc.assert(
        fc.asyncProperty(cases, cotangentSeed, async ([c, r], seed) => {
          await expectGrad(firstDerivative(f, t64(r, c.shape)), [fromCase(c)], { seed });
        }),
        { numRuns: RUNS },
      );
    });
  }

  it('gather / scatterAdd / crossEntropy', async () => {
    const arb = gradShape({ minRank: 2, maxRank: 2 }).chain((s) =>
      fc.tuple(tensorCase(fc.constant(s)), indices(s[0]!, s[1]!), values(sizeOf(s), 'denominator')),
    );
    await fc.assert(
      fc.asyncProperty(arb, cotangentSeed, async ([c, targets, r], seed) => {
        const t = i32(targets);
        const f = (x: Tensor): Tensor =>
          crossEntropy(x.mul(x), t).add(x.gather(1, t.unsqueeze(1)).exp().sum()).add(x.scatterAdd(1, t.unsqueeze(1), x.narrow(1, 0, 1)).square().sum());
        await expectGrad(firstDerivative(f, t64(r, c.shape)), [fromCase(c)], { seed });
      }),
      { numRuns: RUNS },
    );
  });
});
