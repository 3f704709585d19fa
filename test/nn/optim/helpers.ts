/** Shared helpers for the optimizer suites. */
import fc from 'fast-check';
import { tensor, type Tensor } from '../../../src/index.js';

export const f64 = { dtype: 'float64', backend: 'cpu' } as const;
export const vals = (n: number) => fc.array(fc.double({ min: -3, max: 3, noNaN: true }), { minLength: n, maxLength: n });
/** A few steps: a gradient and a learning rate per step. */
export const steps = (n: number) => fc.array(fc.record({ g: vals(n), lr: fc.double({ min: 1e-4, max: 0.5, noNaN: true }) }), { minLength: 1, maxLength: 5 });

/** Sets each step's gradient and learning rate, steps, and returns the parameter's values. */
export async function runSteps(opt: { lr: number; step(): void }, p: Tensor, seq: { g: number[]; lr: number }[]): Promise<number[]> {
  for (const { g, lr } of seq) {
    p.grad = tensor(g, f64);
    opt.lr = lr;
    opt.step();
  }
  return Array.from(await p.data());
}
