import { describe, expect, test } from 'vitest';
import { Linear, functionalCall, randn } from '../../src/index.js';

describe('functionalCall', () => {
  test('runs forward with substituted parameters and restores them, even on error', async () => {
    const lin = new Linear(2, 2, { bias: false });
    const w = lin.weight;
    const x = randn([1, 2]);
    const y = functionalCall(lin, { weight: randn([2, 2]).mul(0) }, () => lin.forward(x));
    expect(Array.from(await y.data())).toEqual([0, 0]);
    expect(lin.weight).toBe(w);
    expect(() => functionalCall(lin, { weight: randn([3, 2]) }, () => lin.forward(x))).toThrow(/'weight' has shape \[2, 2\] in the module but \[3, 2\] was given/);
    expect(() => functionalCall(lin, { 'nope.weight': randn([2, 2]) }, () => 0)).toThrow(/no parameter named 'nope\.weight'/);
    expect(() => functionalCall(lin, { weight: randn([2, 2]) }, () => { throw new Error('boom'); })).toThrow('boom');
    expect(lin.weight).toBe(w);
  });
});
