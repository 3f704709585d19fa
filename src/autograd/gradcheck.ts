/**
 * gradcheck: autograd against central finite differences,
 *   ∂f/∂x_i ≈ (f(x + ε·e_i) − f(x − ε·e_i)) / 2ε,
 * in float64 on the cpu backend, where the truncation error O(ε²) and the
 * rounding error O(u/ε) are both far below the tolerances.
 */
import { backendNamed, withBackend } from '../gpu/registry.js';
import { isFloat, type TypedArray } from '../base/dtype.js';
import { fromData } from '../tensor/create.js';
import type { Tensor } from '../tensor/tensor.js';
import { grad } from './backward.js';

export interface GradcheckOptions {
  eps?: number;
  atol?: number;
  rtol?: number;
}

export interface GradcheckReport {
  ok: boolean;
  maxAbsErr: number;
  maxRelErr: number;
  /** The element with the largest error relative to its tolerance. */
  worst: { input: number; index: number; analytic: number; numeric: number } | null;
}

/** A float64 cpu leaf holding t's values `data` (int tensors stay int32, as indices). */
function toCpu64(t: Tensor, data: TypedArray): Tensor {
  const f = isFloat(t.dtype) ? Float64Array.from(data) : Int32Array.from(data);
  return fromData(f, t.shape, { backend: backendNamed('cpu'), requiresGrad: isFloat(t.dtype) });
}

export async function gradcheck(fn: (...xs: Tensor[]) => Tensor, inputs: readonly Tensor[], opts: GradcheckOptions = {}): Promise<GradcheckReport> {
  const { eps = 1e-6, atol = 1e-5, rtol = 1e-3 } = opts;
  const cpu = backendNamed('cpu');
  // Read with await, so inputs may live on an asynchronous backend (webgpu).
  const values = await Promise.all(inputs.map((t) => t.data()));
  return withBackend(cpu, () => {
    const xs = inputs.map((t, i) => toCpu64(t, values[i]!));
    const y = fn(...xs);
    if (y.size !== 1) throw new Error(`gradcheck: fn must return a scalar, got shape [${y.shape.join(', ')}]`);
    // An output that depends on no input (or only through detach) has gradient zero.
    const grads = y.requiresGrad ? grad(y, xs) : xs.map(() => null);
    const analytic = grads.map((g, i) => {
      if (!g) return new Float64Array(xs[i]!.size);
      if (g.shape.length !== xs[i]!.rank || g.shape.some((d, j) => d !== xs[i]!.shape[j])) {
        throw new Error(`gradcheck: the gradient of input ${i} has shape [${g.shape.join(', ')}], the input [${xs[i]!.shape.join(', ')}]`);
      }
      return g.dataSync();
    });

    // fn sees the same kind of inputs at every point: float64 leaves that
    // require grad (so a fn that calls grad() itself, as a second-derivative
    // check does, works), with one element moved by ±ε.
    const evalAt = (which: number, index: number, delta: number): number => {
      const moved = xs.map((x, i) => {
        if (i !== which) return isFloat(x.dtype) ? x.detach().requiresGrad_() : x;
        const d = Float64Array.from(x.dataSync());
        d[index]! += delta;
        return fromData(d, x.shape, { backend: cpu, requiresGrad: true });
      });
      return fn(...moved).itemSync();
    };

    const report: GradcheckReport = { ok: true, maxAbsErr: 0, maxRelErr: 0, worst: null };
    let worstScore = -1;
    xs.forEach((x, i) => {
      if (!isFloat(x.dtype)) return;
      for (let j = 0; j < x.size; j++) {
        const numeric = (evalAt(i, j, eps) - evalAt(i, j, -eps)) / (2 * eps);
        const a = analytic[i]![j]!;
        const abs = Math.abs(a - numeric);
        const rel = abs / Math.max(Math.abs(numeric), 1e-12);
        report.maxAbsErr = Math.max(report.maxAbsErr, abs);
        report.maxRelErr = Math.max(report.maxRelErr, Math.abs(numeric) > atol ? rel : 0);
        const score = abs / (atol + rtol * Math.abs(numeric));
        if (!(score <= 1)) report.ok = false;
        if (score > worstScore || Number.isNaN(score)) {
          worstScore = Number.isNaN(score) ? Infinity : score;
          report.worst = { input: i, index: j, analytic: a, numeric };
        }
      }
    });
    return report;
  });
}
