import { describe, expect } from 'vitest';
import { test, fc } from '@fast-check/vitest';
import { Linear, LayerNorm, Embedding, manualSeed, randn, Module, Tensor } from '../../src/index.js';

class Net extends Module {
  readonly emb = new Embedding(5, 4);
  readonly blocks = [new Linear(4, 4), new Linear(4, 4)];
  readonly norm = new LayerNorm(4);
  forward(x: Tensor): Tensor {
    return this.norm.forward(this.blocks.reduce((h, b) => b.forward(h).gelu(), x));
  }
}

describe('Module', () => {
  test('names parameters by dotted path, arrays included', () => {
    const names = new Net().namedParameters().map(([n]) => n);
    expect(names).toEqual(['emb.weight', 'blocks.0.weight', 'blocks.0.bias', 'blocks.1.weight', 'blocks.1.bias', 'norm.weight', 'norm.bias']);
    expect(new Net().numParameters()).toBe(20 + 2 * 20 + 8);
  });

  test.prop([fc.nat()], { numRuns: 10 })('stateDict round trip preserves outputs exactly', async (seed) => {
    manualSeed(seed);
    const a = new Net();
    const b = new Net();
    const x = randn([3, 4]);
    b.loadStateDict(a.stateDict());
    expect(Array.from(await b.forward(x).data())).toEqual(Array.from(await a.forward(x).data()));
  });

  test('loadStateDict errors name the key and both shapes, and missing/unexpected keys', () => {
    const a = new Net();
    const sd = a.stateDict();
    expect(() => a.loadStateDict({ ...sd, 'blocks.1.weight': randn([4, 5]) })).toThrow(/'blocks\.1\.weight' has shape \[4, 5\] in the state dict but \[4, 4\] in the module/);
    const { 'norm.bias': _dropped, ...rest } = sd;
    expect(() => a.loadStateDict(rest)).toThrow(/missing keys \[norm\.bias\]/);
    expect(() => a.loadStateDict({ ...sd, extra: randn([1]) })).toThrow(/unexpected keys \[extra\]/);
    expect(() => a.loadStateDict(rest, { strict: false })).not.toThrow();
  });

  test('a state dict with one bad shape leaves the module untouched', async () => {
    const a = new Net();
    const before = await Promise.all(a.parameters().map((p) => p.data()));
    const bad = Object.fromEntries(Object.entries(a.stateDict()).map(([k, t]) => [k, t.add(1)]));
    bad['blocks.1.weight'] = randn([4, 5]);
    expect(() => a.loadStateDict(bad)).toThrow(/blocks\.1\.weight/);
    const after = await Promise.all(a.parameters().map((p) => p.data()));
    after.forEach((d, i) => expect(Array.from(d)).toEqual(Array.from(before[i]!)));
  });

  test('train/eval reach every child', () => {
    const n = new Net().eval();
    expect(n.blocks[1]!.training).toBe(false);
    expect(n.train().norm.training).toBe(true);
  });
});

describe('tied weights', () => {
  test('a shared tensor is one parameter but saved under both names', async () => {
    class Tied extends Module {
      readonly a = new Linear(3, 3, { bias: false });
      readonly b = new Linear(3, 3, { bias: false });
      constructor() {
        super();
        (this.b as { weight: Tensor }).weight = this.a.weight;
      }
    }
    const t = new Tied();
    expect(t.namedParameters().map(([n]) => n)).toEqual(['a.weight']);
    expect(t.numParameters()).toBe(9);
    expect(Object.keys(t.stateDict())).toEqual(['a.weight', 'b.weight']);
    const u = new Tied();
    u.loadStateDict(t.stateDict());
    expect(Array.from(await u.b.weight.data())).toEqual(Array.from(await t.a.weight.data()));
  });
});
