import { describe, expect, it } from 'vitest';
import { tensor, randn, gradcheck, grad, arange, crossEntropy } from '../src/index.js';

describe('smoke', () => {
  it('computes and differentiates', async () => {
    const x = tensor([[1, 2], [3, 4]], { requiresGrad: true });
    const w = tensor([[1, 0], [0, 2]], { requiresGrad: true });
    const y = x.matmul(w).relu().sum();
    y.backward();
    expect(await y.item()).toBe(1 + 4 + 3 + 8);
    expect(Array.from(await x.grad!.data())).toEqual([1, 2, 1, 2]);
    const r = await gradcheck((a, b) => a.matmul(b).softmax(-1).log().sum().mul(a.tanh().sum()), [randn([3, 4]), randn([4, 5])]);
    expect(r.ok).toBe(true);
    const t = arange(0, 3);
    const l = await gradcheck((a) => crossEntropy(a, t), [randn([3, 5])]);
    expect(l.ok).toBe(true);
    const z = tensor([2], { requiresGrad: true, dtype: 'float64' });
    const [g1] = grad(z.pow(3).sum(), [z], { createGraph: true });
    const [g2] = grad(g1!.sum(), [z]);
    expect(await g2!.item()).toBeCloseTo(12);
  });
});
