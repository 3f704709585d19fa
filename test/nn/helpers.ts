/** Shared test helpers for the nn suite. */
import { gradcheck, functionalCall, randn, type Module, type Tensor, type GradcheckReport } from '../../src/index.js';

/**
 * gradcheck over a module's parameters and its float inputs together:
 * loss = Σ forward(inputs) ⊙ R for a fixed random R (so every output element
 * matters, with distinct weights).
 */
export async function gradcheckModule(module: Module, inputs: Tensor[], forward: (...xs: Tensor[]) => Tensor): Promise<GradcheckReport> {
  const named = module.namedParameters();
  const out = forward(...inputs);
  const r = randn(out.shape, { dtype: 'float64', backend: 'cpu' });
  return gradcheck((...xs) => {
    const params = Object.fromEntries(named.map(([n], i) => [n, xs[inputs.length + i]!]));
    return functionalCall(module, params, () => forward(...xs.slice(0, inputs.length)).mul(r).sum());
  }, [...inputs, ...named.map(([, p]) => p)]);
}

export function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) throw new Error(`length ${a.length} vs ${b.length}`);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]! - b[i]!));
  return m;
}
