/**
 * The tape walk's contract: backward() on a scalar or with an explicit
 * gradient, accumulation into .grad across calls and across uses, leaves
 * only, noGrad, detach, the functional grad(), version checks.
 */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { enableGrad, grad, isGradEnabled, noGrad, tensor } from '../../src/index.js';
import { shape, tensorCase } from '../helpers/arbitraries.js';
import { expectClose, fromCase, startCpu32, t64, vals } from '../helpers/tensors.js';

describe('backward', () => {
  it('accumulates into .grad across calls and across the uses of one leaf', () => {
    fc.assert(
      fc.property(tensorCase(shape({ maxRank: 3 })), (c) => {
        const x = fromCase(c, true);
        x.mul(x).sum().backward(); // 2x
        x.mul(3).sum().backward(); // + 3
        expectClose(vals(x.grad!), c.data.map((v) => 2 * v + 3));
      }),
      { numRuns: 50 },
    );
  });

  it('backward(gradient) on a non-scalar is the vector-Jacobian product', () => {
    const x = t64([1, 2, 3], [3], true);
    x.mul(x).backward(t64([1, 0.5, -1], [3]));
    expect(vals(x.grad!)).toEqual([2, 2, -6]);
  });

  it('only leaves get .grad; inputs without requiresGrad get none', () => {
    const x = t64([1, 2], [2], true);
    const c = t64([5, 6], [2]);
    const h = x.mul(c);
    h.sum().backward();
    expect(vals(x.grad!)).toEqual([5, 6]);
    expect(h.isLeaf).toBe(false);
    expect(h.grad).toBeNull();
    expect(c.grad).toBeNull();
  });

  it('the same graph can be walked twice', () => {
    const x = t64([1, 2], [2], true);
    const y = x.exp().sum();
    y.backward();
    y.backward();
    expectClose(vals(x.grad!), [2 * Math.exp(1), 2 * Math.exp(2)]);
  });

  it('noGrad records nothing; enableGrad inside it records again', () => {
    const x = t64([1, 2], [2], true);
    const y = noGrad(() => {
      expect(isGradEnabled()).toBe(false);
      const inner = enableGrad(() => x.mul(2));
      expect(inner.requiresGrad).toBe(true);
      return x.mul(2);
    });
    expect(isGradEnabled()).toBe(true);
    expect(y.requiresGrad).toBe(false);
    expect(y.gradNode).toBeNull();
  });

  it('noGrad restores the previous mode when fn throws', () => {
    expect(() => noGrad(() => {
      throw new Error('boom');
    })).toThrow('boom');
    expect(isGradEnabled()).toBe(true);
  });

  it('detach cuts the graph but keeps the value', () => {
    const x = t64([1, 2], [2], true);
    const d = x.mul(3).detach();
    expect(d.requiresGrad).toBe(false);
    expect(vals(d)).toEqual([3, 6]);
    x.mul(d).sum().backward();
    expect(vals(x.grad!)).toEqual([3, 6]); // d is a constant
  });

  it('grad() returns gradients without touching .grad; null for an unused input', () => {
    const x = t64([1, 2], [2], true);
    const z = t64([1], [1], true);
    const [gx, gz] = grad(x.pow(2).sum(), [x, z]);
    expect(vals(gx!)).toEqual([2, 4]);
    expect(gz).toBeNull();
    expect(x.grad).toBeNull();
  });

  it('grad() with respect to an intermediate', () => {
    const x = t64([1, 2], [2], true);
    const h = x.mul(2);
    const [gh] = grad(h.square().sum(), [h]);
    expect(vals(gh!)).toEqual([4, 8]);
  });

  it('gradients of float32 tensors are float32', () => {
    const x = tensor([1, 2], { requiresGrad: true });
    x.exp().sum().backward();
    expect(x.grad!.dtype).toBe('float32');
    expectClose(vals(x.grad!), [Math.fround(Math.exp(1)), Math.fround(Math.exp(2))]);
  });

  it('gradients flow back across backends through .to()', async () => {
    const cpu32 = await startCpu32();
    const x = tensor([0.5, -1], { requiresGrad: true });
    const y = x.to(cpu32).exp().mul(2);
    expect(y.backend.name).toBe('cpu32');
    y.to('cpu').sum().backward();
    expect(x.grad!.backend.name).toBe('cpu');
    expectClose(vals(x.grad!), [0.5, -1].map((v) => Math.fround(2 * Math.fround(Math.exp(v)))), 1e-6, 1e-6);
  });

  it('a softmax over a row masked with −∞ has finite gradients (0 at the masked entries)', () => {
    const x = t64([0.1, 0.2, 0.3, 0.4], [2, 2], true);
    const mask = t64([0, -Infinity, 0, 0], [2, 2]);
    const p = x.add(mask).softmax(-1);
    p.mul(t64([1, 2, 3, 4], [2, 2])).sum().backward();
    const g = vals(x.grad!);
    expect(g.every(Number.isFinite)).toBe(true);
    expect(g[0]).toBe(0);
    expect(g[1]).toBe(0);
  });

  it('assign after backward is fine (the optimizer pattern); .grad can be reset', () => {
    const w = t64([1, 2], [2], true);
    w.square().sum().backward();
    noGrad(() => w.assign(w.sub(w.grad!.mul(0.25))));
    expect(vals(w)).toEqual([0.5, 1]);
    expect(w.version).toBe(1);
    w.grad = null;
    w.square().sum().backward();
    expect(vals(w.grad!)).toEqual([1, 2]);
  });
});
