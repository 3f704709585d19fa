import { describe, expect } from 'vitest';
import { test, fc } from '@fast-check/vitest';
import { ReLU, GELU, SiLU, Tanh, activation, tensor, type ActivationName } from '../../src/index.js';

describe('activations', () => {
  const xs = fc.array(fc.double({ min: -5, max: 5, noNaN: true }), { minLength: 1, maxLength: 8 });

  test.prop([xs], { numRuns: 10 })('modules and activation(name) are the tensor methods', async (v) => {
    const x = tensor(v);
    const pairs: [ActivationName, { forward(x: ReturnType<typeof tensor>): ReturnType<typeof tensor> }][] = [
      ['relu', new ReLU()], ['gelu', new GELU()], ['silu', new SiLU()], ['tanh', new Tanh()],
    ];
    for (const [name, m] of pairs) {
      const want = Array.from(await x[name]().data());
      expect(Array.from(await m.forward(x).data())).toEqual(want);
      expect(Array.from(await activation(name, x).data())).toEqual(want);
    }
  });

  test('an unknown name is refused', () => {
    expect(() => activation('swish' as ActivationName, tensor([1]))).toThrow(/unknown activation 'swish'/);
  });
});
