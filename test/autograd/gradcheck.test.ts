/**
 * gradcheck itself: it must pass correct gradients, catch wrong ones, report
 * the worst element, and work for inputs on any backend and dtype.
 */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { CpuBackend, grad, gradcheck, registerBackend, startBackend, tensor, type Backend } from '../../src/index.js';
import { shape, tensorCase } from '../helpers/arbitraries.js';
import { fromCase, i32, startCpu32, t64 } from '../helpers/tensors.js';

describe('gradcheck', () => {
  it('catches a wrong gradient and names the element (x·detach(x) has gradient x, not 2x)', async () => {
    await fc.assert(
      fc.asyncProperty(tensorCase(shape({ minRank: 1, maxRank: 2 }), 'nonzero'), async (c) => {
        const r = await gradcheck((x) => x.mul(x.detach()).sum(), [fromCase(c)]);
        expect(r.ok).toBe(false);
        expect(r.worst).not.toBeNull();
        const { index, analytic, numeric } = r.worst!;
        expect(analytic).toBeCloseTo(c.data[index]!, 8);
        expect(numeric).toBeCloseTo(2 * c.data[index]!, 6);
        expect(r.maxAbsErr).toBeGreaterThan(0.04);
      }),
      { numRuns: 20 },
    );
  });

  it('passes a correct gradient, with errors far below tolerance', async () => {
    const r = await gradcheck((a, b) => a.matmul(b).tanh().sum(), [t64([0.1, -0.2, 0.3, 0.4], [2, 2]), t64([1, 2, -1, 0.5], [2, 2])]);
    expect(r.ok).toBe(true);
    expect(r.maxAbsErr).toBeLessThan(1e-7);
  });

  it('an output that does not depend on the inputs has zero gradient (ok)', async () => {
    const r = await gradcheck((x) => x.detach().mul(0).sum().add(1), [t64([1, 2], [2])]);
    expect(r.ok).toBe(true);
    expect(r.maxAbsErr).toBe(0);
  });

  it('checks in float64 on cpu whatever the inputs are (float32, another backend); int inputs pass through', async () => {
    const cpu32 = await startCpu32();
    const x = tensor([0.3, -0.7, 1.1], { backend: cpu32 });
    const idx = i32([2, 0]);
    const r = await gradcheck((a, i) => a.indexSelect(0, i).exp().sum(), [x, idx]);
    expect(r.ok).toBe(true);
  });

  it('reads inputs with await, so they may live on a backend without synchronous readback', async () => {
    const inner = new CpuBackend();
    const noSync = Object.create(inner, { name: { value: 'cpunosync' }, readSync: { value: undefined } }) as Backend;
    registerBackend('cpunosync', async () => noSync);
    const be = await startBackend('cpunosync');
    const x = tensor([0.25, -0.5], { backend: be }).mul(2);
    expect(() => x.dataSync()).toThrow('backend cpunosync has no synchronous readback');
    const r = await gradcheck((a) => a.sin().sum(), [x]);
    expect(r.ok).toBe(true);
  });

  it('checks a function that differentiates internally (second derivatives)', async () => {
    const r = await gradcheck((x) => grad(x.pow(3).sum(), [x], { createGraph: true })[0]!.sum(), [t64([0.5, -1.5], [2])]);
    expect(r.ok).toBe(true);
  });

  it('refuses a non-scalar output', async () => {
    await expect(gradcheck((x) => x.mul(2), [t64([1, 2], [2])])).rejects.toThrow('gradcheck: fn must return a scalar, got shape [2]');
  });
});
