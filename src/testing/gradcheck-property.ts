/**
 * Gradient checks as properties: the engine's gradcheck (autograd against
 * central differences, float64 on the cpu backend) on inputs drawn by
 * fast-check. A function with a non-scalar output is checked through
 * Σ f(x)·r for a cotangent r drawn with the inputs (|r_i| in [0.5, 1.5],
 * random signs), so an error in one output element neither vanishes
 * (r ≈ 0) nor cancels against another (r ≡ 1 lets opposite errors cancel).
 * A failure names the input, the element (as a multi-index), the analytic
 * and numeric values, and the seed and path that replay the case.
 */
import fc from 'fast-check';
import { gradcheck, type GradcheckOptions, type GradcheckReport } from '../autograd/gradcheck.js';
import { fromData } from '../tensor/create.js';
import { Generator } from '../tensor/random.js';
import type { Tensor } from '../tensor/tensor.js';
import { parameters, type RunOptions } from './run-options.js';
import { toTensor, type TensorValues } from './tensor-values.js';

/** gradcheck's tolerances, and the runs (seed and path replay a printed failure). */
export interface GradcheckPropertyOptions extends GradcheckOptions, RunOptions {}

export interface GradcheckPropertyResult {
  numRuns: number;
  seed: number;
  /** The largest |analytic − numeric| over every case and element. */
  maxAbsErr: number;
}

/** A failed gradcheck on one drawn case. */
class GradcheckFailure extends Error {
  constructor(readonly report: GradcheckReport, readonly inputs: readonly TensorValues[]) {
    super(describeWorst(report, inputs));
  }
}

/** Flat index → [i, j, …] in a row-major shape. */
function multiIndex(flat: number, shape: readonly number[]): number[] {
  const out = new Array<number>(shape.length);
  for (let a = shape.length - 1; a >= 0; a--) {
    out[a] = flat % shape[a]!;
    flat = Math.floor(flat / shape[a]!);
  }
  return out;
}

function describeWorst(r: GradcheckReport, inputs: readonly TensorValues[]): string {
  if (!r.worst) return 'gradcheck failed with no element to blame';
  const { input, index, analytic, numeric } = r.worst;
  const v = inputs[input]!;
  return `input ${input} (${v.dtype} [${v.shape.join(', ')}]) at [${multiIndex(index, v.shape).join(', ')}] (value ${v.data[index]}): ` +
    `analytic ∂ ${analytic}, numeric ∂ ${numeric}, |diff| ${Math.abs(analytic - numeric)}`;
}

/** r with |r_i| in [0.5, 1.5] and random signs, from a seed. */
function cotangent(shape: readonly number[], size: number, seed: number): Tensor {
  const g = new Generator(seed);
  const r = Float64Array.from({ length: size }, () => (g.uniform() < 0.5 ? -1 : 1) * (0.5 + g.uniform()));
  return fromData(r, shape, { backend: 'cpu' });
}

/** Runs gradcheck on one case; throws a GradcheckFailure on disagreement. */
async function checkCase(fn: (...xs: Tensor[]) => Tensor, values: readonly TensorValues[], seed: number, opts: GradcheckOptions): Promise<GradcheckReport> {
  const xs = values.map((v) => toTensor(v.dtype === 'int32' ? v : { ...v, dtype: 'float64' }));
  const y0 = fn(...xs.map((x) => (x.dtype === 'int32' ? x : x.detach().requiresGrad_())));
  const r = cotangent(y0.shape, y0.size, seed);
  const loss = (...args: Tensor[]): Tensor => {
    const y = fn(...args);
    return (y.dtype === 'float64' ? y : y.double()).mul(r).sum();
  };
  const report = await gradcheck(loss, xs, opts);
  if (!report.ok) throw new GradcheckFailure(report, values);
  return report;
}

/**
 * Asserts that fn's gradient passes gradcheck on every drawn case. `inputs`
 * is one arbitrary per argument, or one arbitrary of the whole argument list
 * (when shapes depend on each other). float32 inputs are checked in float64;
 * int32 inputs pass through as indices.
 */
export async function gradcheckProperty(
  fn: (...xs: Tensor[]) => Tensor,
  inputs: readonly fc.Arbitrary<TensorValues>[] | fc.Arbitrary<readonly TensorValues[]>,
  opts: GradcheckPropertyOptions = {},
): Promise<GradcheckPropertyResult> {
  const { numRuns, seed, path, ...tol } = opts;
  const args: fc.Arbitrary<readonly TensorValues[]> = Array.isArray(inputs) ? fc.tuple(...(inputs as fc.Arbitrary<TensorValues>[])) : (inputs as fc.Arbitrary<readonly TensorValues[]>);
  let maxAbsErr = 0;
  const prop = fc.asyncProperty(args, fc.integer({ min: 1, max: 2 ** 31 - 1 }), async (values, r) => {
    maxAbsErr = Math.max(maxAbsErr, (await checkCase(fn, values, r, tol)).maxAbsErr);
  });
  const out = await fc.check(prop, parameters({ numRuns, seed, path }, 50));
  if (out.failed) {
    const e = out.errorInstance;
    const why = e instanceof GradcheckFailure ? e.message : `fn threw: ${e instanceof Error ? e.message : String(e)}`;
    throw new Error(`gradcheckProperty: ${why}\n  on ${fc.stringify(out.counterexample)} after ${out.numRuns} run(s) and ${out.numShrinks} shrink(s)\n` +
      `  replay with { seed: ${out.seed}, path: '${out.counterexamplePath}' }`, { cause: e });
  }
  return { numRuns: out.numRuns, seed: out.seed, maxAbsErr };
}
