import { describe, expect } from 'vitest';
import { test, fc } from '@fast-check/vitest';
import { Linear, LayerNorm, Sequential, GELU, Embedding, manualSeed, randn, Module, Tensor } from '../../src/index.js';
import { gradcheckModule } from './helpers.js';

class Net extends Module {
  readonly emb = new Embedding(5, 4);
  readonly blocks = [new Linear(4, 4), new Linear(4, 4)];
  readonly norm = new LayerNorm(4);
  forward(x: Tensor): Tensor {
    return this.norm.forward(this.blocks.reduce((h, b) => b.forward(h).gelu(), x));
  }
}

describe('Linear', () => {
  test.prop([fc.integer({ min: 1, max: 4 }), fc.integer({ min: 1, max: 4 }), fc.boolean(), fc.nat()], { numRuns: 10 })(
    'passes gradcheck (input, W, b)',
    async (i, o, bias, seed) => {
      manualSeed(seed);
      const lin = new Linear(i, o, { bias });
      const r = await gradcheckModule(lin, [randn([2, 3, i])], (x) => lin.forward(x));
      expect(r.ok, JSON.stringify(r)).toBe(true);
    },
  );
});

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

  test('train/eval reach every child', () => {
    const n = new Net().eval();
    expect(n.blocks[1]!.training).toBe(false);
    expect(n.train().norm.training).toBe(true);
  });
});

describe('Sequential', () => {
  test('applies layers in order and passes gradcheck', async () => {
    manualSeed(3);
    const s = new Sequential(new Linear(3, 4), new GELU(), new Linear(4, 2));
    expect(s.namedParameters().map(([n]) => n)).toEqual(['layers.0.weight', 'layers.0.bias', 'layers.2.weight', 'layers.2.bias']);
    const x = randn([2, 3]);
    const manual = s.layers[2]!.forward(s.layers[0]!.forward(x).gelu());
    expect(Array.from(await s.forward(x).data())).toEqual(Array.from(await manual.data()));
    const r = await gradcheckModule(s, [randn([2, 3])], (x) => s.forward(x));
    expect(r.ok).toBe(true);
  });
});
