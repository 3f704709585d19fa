import { describe, expect } from 'vitest';
import { test, fc } from '@fast-check/vitest';
import { AdamW, SGD, Linear, LayerNorm, Sequential, decayGroups, tensor, randn, manualSeed, type Tensor } from '../../../src/index.js';

describe('optimizer state', () => {
  test.prop([fc.nat(), fc.boolean()], { numRuns: 10 })('stateDict round trip continues the same trajectory exactly', async (seed, adam) => {
    manualSeed(seed);
    const make = (ps: Tensor[]) => (adam ? new AdamW(ps, { lr: 0.05 }) : new SGD(ps, { lr: 0.05, momentum: 0.9 }));
    const a = randn([2, 3], { requiresGrad: true });
    const grads = Array.from({ length: 6 }, () => randn([2, 3]));
    const optA = make([a]);
    for (const g of grads.slice(0, 3)) { a.grad = g; optA.step(); }
    const b = tensor(await a.data(), { shape: [2, 3], requiresGrad: true });
    const optB = make([b]);
    optB.loadStateDict(optA.stateDict());
    for (const g of grads.slice(3)) {
      a.grad = g; optA.step();
      b.grad = g; optB.step();
    }
    expect(Array.from(await b.data())).toEqual(Array.from(await a.data()));
  });

  test('loadStateDict errors name the slot and both shapes', () => {
    const p = randn([2, 3], { requiresGrad: true });
    const opt = new AdamW([p]);
    p.grad = randn([2, 3]);
    opt.step();
    const s = opt.stateDict();
    const other = new AdamW([randn([3, 2], { requiresGrad: true })]);
    expect(() => other.loadStateDict(s)).toThrow(/'0\.expAvg' has shape \[2, 3\] in the state but its parameter has shape \[3, 2\]/);
    expect(() => new AdamW([p, randn([1], { requiresGrad: true })]).loadStateDict(s)).toThrow(/state has 1 parameters, the optimizer has 2/);
    expect(() => opt.loadStateDict({ ...s, slots: { ...s.slots, '7.expAvg': randn([1]) } })).toThrow(/unexpected slot '7\.expAvg'/);
  });
});

describe('decayGroups', () => {
  test('decays matrices and leaves biases and norm gains free', async () => {
    const net = new Sequential(new Linear(2, 3), new LayerNorm(3));
    const groups = decayGroups(net.parameters(), 0.1);
    expect(groups.map((g) => [g.params.length, g.weightDecay])).toEqual([[1, 0.1], [3, 0]]);
    expect(groups[0]!.params[0]).toBe((net.layers[0] as Linear).weight);
    const opt = new AdamW(groups, { lr: 0.5 });
    for (const p of net.parameters()) p.grad = tensor(new Float32Array(p.size), { shape: p.shape });
    const bias = await (net.layers[0] as Linear).bias!.data();
    const w = await (net.layers[0] as Linear).weight.data();
    opt.step();
    expect(Array.from(await (net.layers[0] as Linear).bias!.data())).toEqual(Array.from(bias));
    expect(Array.from(await (net.layers[0] as Linear).weight.data())).toEqual(Array.from(w).map((v) => Math.fround(v * Math.fround(1 - 0.05))));
    expect(decayGroups([randn([2], { requiresGrad: true })], 0.1)).toHaveLength(1);
  });
});

describe('Optimizer.step', () => {
  test('refuses a learning rate set to a bad value', () => {
    const p = randn([2], { requiresGrad: true });
    const opt = new SGD([p], { lr: 0.1 });
    p.grad = randn([2]);
    opt.lr = Number.NaN;
    expect(() => opt.step()).toThrow(/SGD: lr must be in \[0, Infinity\], got NaN/);
  });
});
