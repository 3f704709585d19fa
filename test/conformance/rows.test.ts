/**
 * Conformance, the fused row kernels (softmaxRows, normRows, rotaryRows):
 * each backend's inference path — its fused kernel where it has one (cpu,
 * wasm), the composite where it has not (gpu.js) — against the cpu
 * reference's composite, the chain of primitives that defines the value
 * and that training differentiates. Rows hold NaN, ±∞ and −0, whole rows
 * of −∞ (a fully masked attention row) among them, and size-1 and empty
 * shapes.
 */
import fc from 'fast-check';
import { describe, it } from 'vitest';
import { LayerNorm, RMSNorm, fromData, noGrad, rotateHalves, softmax } from '../../src/index.js';
import { ALL_BACKENDS, startBackends } from '../helpers/backends.js';
import { expectAgreement } from './harness.js';
import { element, float32s, sizeOf } from './values.js';

const backends = await startBackends(ALL_BACKENDS);
const FUSED = { fusedAgainstComposite: true, atol: 1e-6, rtol: 1e-5 };

/** Rows of values with the special ones mixed in, or (one row in five) a whole row of −∞. */
const rowsArb = fc.constantFrom([2, 3], [1, 1], [3, 5], [0, 4], [4], [2, 1, 6]).chain((shape) => {
  const n = shape.at(-1)!;
  const row = fc.oneof({ weight: 4, arbitrary: fc.array(element(), { minLength: n, maxLength: n }) }, { weight: 1, arbitrary: fc.constant(Array<number>(n).fill(-Infinity)) });
  return fc.record({ shape: fc.constant(shape), data: fc.array(row, { minLength: sizeOf(shape) / n, maxLength: sizeOf(shape) / n }).map((r) => Float32Array.from(r.flat())) });
});

describe.each(backends)('conformance on %s: fused row kernels', (name) => {
  it('softmax along the last axis', async () => {
    await expectAgreement(name, rowsArb, ({ shape, data }, reference) => softmax(fromData(data, shape, { requiresGrad: reference }), -1), FUSED);
  });

  it('RMSNorm and LayerNorm, with and without their weights', async () => {
    const arb = rowsArb.chain((r) => fc.record({ affine: fc.boolean(), w: float32s(r.shape.at(-1)!), b: float32s(r.shape.at(-1)!) }).map((c) => ({ ...r, ...c })));
    await expectAgreement(name, arb, ({ shape, data, affine, w, b }, reference) => {
      const n = shape.at(-1)!;
      const rms = new RMSNorm(n, { elementwiseAffine: affine }), layer = new LayerNorm(n, { elementwiseAffine: affine });
      if (affine) {
        noGrad(() => {
          rms.weight!.assign(fromData(w, [n]));
          layer.weight!.assign(fromData(w, [n]));
          layer.bias!.assign(fromData(b, [n]));
        });
      }
      const x = fromData(data, shape, { requiresGrad: reference });
      return [rms.forward(x), layer.forward(x)];
    }, FUSED);
  });

  it('rotary: a table row per position, or per token repeated over its heads', async () => {
    // x [B, H, S, D] with tables [S, D/2]; x [M, H, D] with tables [M, 1, D/2].
    const CASES: readonly [number[], number[]][] = [[[1, 2, 3, 4], [3, 2]], [[2, 1, 1, 2], [1, 1]], [[3, 2, 4], [3, 1, 2]], [[0, 2, 4], [0, 1, 2]]];
    const arb = fc.constantFrom(...CASES).chain(([xs, ts]) =>
      fc.record({ xs: fc.constant(xs), ts: fc.constant(ts), x: float32s(sizeOf(xs)), cos: float32s(sizeOf(ts), element([-1, 1], 8)), sin: float32s(sizeOf(ts), element([-1, 1], 8)) }),
    );
    await expectAgreement(name, arb, ({ xs, ts, x, cos, sin }, reference) => rotateHalves(fromData(x, xs, { requiresGrad: reference }), fromData(cos, ts), fromData(sin, ts)), FUSED);
  });
});
