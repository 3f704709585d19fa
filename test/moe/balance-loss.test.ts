import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { grad, gradcheck, setBackend, tensor } from '../../src/index.js';
import { routerZLoss, switchLoss } from '../../src/moe/balance-loss.js';
import { moeBackends } from './backends.js';
import { randomTensor } from './helpers.js';

const backends = await moeBackends();

describe.each(backends)('Switch and z losses on %s', (backendName) => {
  it('match hand computations; index and mask forms agree', async () => {
    await setBackend(backendName);
    const s = tensor([[0.7, 0.3], [0.4, 0.6]]);
    // f = [1/2, 1/2], P = [0.55, 0.45]: 2·(0.275 + 0.225) = 1
    expect(await switchLoss(s, tensor([[0], [1]], { dtype: 'int32' })).item()).toBeCloseTo(1, 6);
    expect(await switchLoss(s, tensor([[1, 0], [0, 1]])).item()).toBeCloseTo(1, 6);
    // both tokens on expert 0: f = [1, 0] → 2·0.55
    expect(await switchLoss(s, tensor([[0], [0]], { dtype: 'int32' })).item()).toBeCloseTo(1.1, 6);
    // top-2 of 2 experts: f = [1/2, 1/2] again
    expect(await switchLoss(s, tensor([[0, 1], [1, 0]], { dtype: 'int32' })).item()).toBeCloseTo(1, 6);
    expect(await routerZLoss(tensor([[0, 0], [1, 1]])).item()).toBeCloseTo((Math.log(2) ** 2 + (1 + Math.log(2)) ** 2) / 2, 5);
    expect(() => switchLoss(s, tensor([[0, 1, 1]], { dtype: 'int32' }))).toThrow(/\[1, 3\]/);
    expect(() => switchLoss(s, tensor([1, 0, 1]))).toThrow(/\[3\].*2×2/);
  });

  it('the Switch loss is 1 for balanced routing and carries gradient only through P', async () => {
    await setBackend(backendName);
    const arb = fc.record({ n: fc.integer({ min: 1, max: 6 }), copies: fc.integer({ min: 1, max: 3 }), seed: fc.integer({ min: 0, max: 1e6 }) });
    await fc.assert(fc.asyncProperty(arb, async ({ n, copies, seed }) => {
      const tokens = n * copies;
      const logits = randomTensor([tokens, n], seed).requiresGrad_();
      const scores = logits.softmax(-1);
      const ids = tensor([...Array(tokens).keys()].map((t) => [t % n]), { dtype: 'int32' });
      const loss = switchLoss(scores, ids);
      // balanced f = 1/N: L = N·Σ P_e/N = Σ P_e = 1
      expect(await loss.item()).toBeCloseTo(1, 5);
      const [g] = grad(loss, [logits]);
      // Σ_e P_e is constant, so with balanced f the gradient vanishes
      for (const v of await g!.data()) expect(Math.abs(v)).toBeLessThan(1e-6);
    }), { numRuns: 15 });
  });
});

describe('Switch and z loss gradients', () => {
  it('pass gradcheck (float64)', async () => {
    await setBackend('cpu');
    await fc.assert(fc.asyncProperty(fc.integer({ min: 0, max: 1e6 }), async (seed) => {
      const z = randomTensor([4, 3], seed, 2);
      const ids = tensor([[0], [2], [2], [1]], { dtype: 'int32' });
      const a = await gradcheck((l) => switchLoss(l.softmax(-1), ids), [z]);
      const b = await gradcheck((l) => routerZLoss(l), [z]);
      if (!a.ok || !b.ok) throw new Error(JSON.stringify({ a, b }));
    }), { numRuns: 10 });
  });
});
