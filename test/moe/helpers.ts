/** Small host-side helpers shared by the MoE suites. */
import { Generator, fromData, functionalCall, gradcheck, type GradcheckReport, type Module, type MoEFeedForward, type Tensor } from '../../src/index.js';
import type { LayerForward } from '../../src/testing/index.js';
import { mismatch } from '../helpers/close.js';

/** |a − b| ≤ atol + rtol·|b| elementwise (test/helpers/close.ts's comparison); `worst` names the first element that is not. */
export function closeTo(a: ArrayLike<number>, b: ArrayLike<number>, atol = 1e-5, rtol = 1e-4): { ok: boolean; worst: string } {
  const m = mismatch(a, b, atol, rtol, { sameType: false });
  return { ok: m === null, worst: m ?? '' };
}

/** Random normal data of a shape, from a seed (float32, current backend). */
export function randomTensor(shape: readonly number[], seed: number, scale = 1): Tensor {
  const g = new Generator(seed);
  const n = shape.reduce((a, b) => a * b, 1);
  const data = new Float32Array(n);
  for (let i = 0; i < n; i++) data[i] = g.normal() * scale;
  return fromData(data, shape);
}

/** Any of the four inference modes for N experts: the kit's arbitrary (dsmoe/testing). */
export { modeArb } from '../../src/testing/index.js';

/** A layer's sparse inference as the kit's layer checkers take it: float32 tokens in, host arrays out. */
export function layerForward(layer: MoEFeedForward): LayerForward {
  return async (x, tokens, mode) => {
    const out = await layer.infer(fromData(Float32Array.from(x), [tokens, layer.dModel]), mode);
    return { y: await out.y.data(), scores: await out.scores.data(), routing: out.routing };
  };
}

export function rowNorm(a: ArrayLike<number>, offset: number, n: number): number {
  let s = 0;
  for (let i = 0; i < n; i++) s += a[offset + i]! ** 2;
  return Math.sqrt(s);
}

/**
 * gradcheck of a MoE layer's training forward — Σ y·probe plus the losses
 * `loss` picks from its aux — against the input, the probe and every
 * parameter (each passed through functionalCall, so gradcheck can perturb it).
 */
export function layerGradcheck<A>(layer: Module & { forward(x: Tensor): { y: Tensor; aux: A } }, x: Tensor, probe: Tensor, loss: (aux: A) => Tensor): Promise<GradcheckReport> {
  const named = layer.namedParameters();
  return gradcheck((xi, pr, ...ps) => functionalCall(layer, Object.fromEntries(named.map(([n], i) => [n, ps[i]!])), () => {
    const { y, aux } = layer.forward(xi);
    return y.mul(pr).sum().add(loss(aux));
  }), [x, probe, ...named.map(([, p]) => p)]);
}
