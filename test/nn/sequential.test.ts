import { describe, expect, test } from 'vitest';
import { Linear, Sequential, GELU, manualSeed, randn } from '../../src/index.js';
import { gradcheckModule } from './helpers.js';

describe('Sequential', () => {
  test('applies layers in order, names parameters by position, and passes gradcheck', async () => {
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
