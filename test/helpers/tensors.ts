/**
 * Building test tensors (float64 on the cpu backend unless said otherwise),
 * comparing values, and the gradient check every op's property uses.
 */
import { expect } from 'vitest';
import {
  CpuBackend, fromData, Generator, gradcheck, registerBackend, startBackend,
  type Backend, type GradcheckOptions, type GradcheckReport, type Tensor,
} from '../../src/index.js';
import type { Case } from './arbitraries.js';

/** A float64 tensor on the cpu backend. */
export function t64(data: readonly number[], shape: readonly number[], requiresGrad = false): Tensor {
  return fromData(Float64Array.from(data), shape, { backend: 'cpu', requiresGrad });
}

/** A float32 tensor on the cpu backend. */
export function t32(data: readonly number[], shape: readonly number[], requiresGrad = false): Tensor {
  return fromData(Float32Array.from(data), shape, { backend: 'cpu', requiresGrad });
}

/** An int32 tensor on the cpu backend (indices, targets). */
export function i32(data: readonly number[], shape: readonly number[] = [data.length]): Tensor {
  return fromData(Int32Array.from(data), shape, { backend: 'cpu' });
}

export const fromCase = (c: Case, requiresGrad = false): Tensor => t64(c.data, c.shape, requiresGrad);

/** Values of a (small) tensor as a plain array, synchronously (cpu). */
export const vals = (t: Tensor): number[] => Array.from(t.dataSync());

/** The one comparison (NaN, ±∞ and tolerances as there). */
export { expectClose } from './close.js';

export function expectShape(t: Tensor, shape: readonly number[]): void {
  expect([...t.shape]).toEqual([...shape]);
}

/**
 * Checks autograd against central differences for f at `inputs` (float64 cpu
 * tensors; int32 ones are passed through as indices). f may return any shape:
 * what is checked is the scalar Σ f(x)·r for a random cotangent r with
 * |r| in [0.5, 1.5], so a wrong gradient in one output element can neither
 * vanish (r ≈ 0) nor cancel against another (r ≡ 1 would let errors of
 * opposite sign in a sum cancel). Throws with gradcheck's report on failure.
 */
export async function expectGrad(
  f: (...xs: Tensor[]) => Tensor,
  inputs: readonly Tensor[],
  opts: GradcheckOptions & { seed?: number } = {},
): Promise<GradcheckReport> {
  const { seed = 1, ...tol } = opts;
  // The output's shape, from inputs of the kind gradcheck passes (float64 leaves that require grad).
  const y0 = f(...inputs.map((t) => (t.dtype === 'int32' ? t : t.detach().requiresGrad_())));
  const g = new Generator(seed);
  const r = Float64Array.from({ length: y0.size }, () => (g.uniform() < 0.5 ? -1 : 1) * (0.5 + g.uniform()));
  const rt = fromData(r, y0.shape, { backend: 'cpu' });
  const loss = (...xs: Tensor[]): Tensor => {
    const y = f(...xs);
    return (y.dtype === 'float64' ? y : y.double()).mul(rt).sum();
  };
  const report = await gradcheck(loss, inputs, tol);
  if (!report.ok) {
    const shapes = inputs.map((t) => `${t.dtype}[${t.shape.join(',')}]`).join(' ');
    throw new Error(`gradcheck failed for inputs ${shapes}: ${JSON.stringify(report)}`);
  }
  return report;
}

/**
 * A backend without float64: the cpu kernels under the name 'cpu32', with
 * dtypes float32 and int32 only (as a gpu.js backend has). Registered and
 * started on first use.
 */
let cpu32: Backend | null = null;
export async function startCpu32(): Promise<Backend> {
  if (cpu32) return cpu32;
  const inner = new CpuBackend();
  const be: Backend = Object.create(inner, {
    name: { value: 'cpu32' },
    dtypes: { value: Object.freeze(['float32', 'int32']) },
  }) as Backend;
  registerBackend('cpu32', async () => be);
  cpu32 = await startBackend('cpu32');
  return cpu32;
}
