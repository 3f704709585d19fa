/**
 * The conformance harness: one computation, written against the public
 * tensor API, run on the cpu reference and on the backend under test from
 * the same host data, and every output compared — shape, dtype, the backend
 * that produced it, and values (test/helpers/close.ts: NaN only where the
 * reference has NaN, infinities exactly, signed zeros where asked). Where
 * the reference refuses an input (an empty axis to argmax), the backend
 * must refuse it with the same message.
 */
import fc from 'fast-check';
import { expect } from 'vitest';
import { getBackend, noGrad, realize, setBackend, type Tensor, type TypedArray } from '../../src/index.js';
import { expectClose, type CloseOptions } from '../helpers/close.js';

/** How one output is compared: tolerances (float32 defaults), and whether zeros must carry the reference's sign. */
export interface Agreement<T> {
  readonly atol?: number;
  readonly rtol?: number;
  /**
   * Exact primitives (elementwise, movement, indexing, max/min) keep the
   * sign of a zero. Sums do not have to: whether Σ of −0s is −0 depends on
   * whether the accumulator starts at +0 (the reference's) or at the first
   * term, and no primitive gives that sign a meaning.
   */
  readonly signedZeros?: boolean;
  /** The magnitudes the tolerance scales with, from the input (a product's Σ|a·b|); default the reference value. */
  readonly scale?: (input: T) => Promise<TypedArray>;
  /** Compare the backend's inference path (noGrad: fused kernels where it has them) with the reference's composite. */
  readonly fusedAgainstComposite?: boolean;
}

interface Outcome {
  readonly values: TypedArray;
  readonly shape: number[];
  readonly dtype: string;
  readonly backend: string;
}

/** Every output, or the error the computation threw (bad input must fail alike everywhere). */
type Outcomes = { readonly outputs: Outcome[] } | { readonly error: string };

/** Runs `build` with `name` current and reads every output; leaves cpu current. */
async function outcomes(name: string, build: () => Tensor | Tensor[], inference: boolean): Promise<Outcomes> {
  await setBackend(name);
  try {
    expect(getBackend().name).toBe(name);
    let outs: Tensor[];
    try {
      outs = [inference ? noGrad(build) : build()].flat();
    } catch (e) {
      return { error: (e as Error).message };
    }
    await realize(...outs);
    return { outputs: await Promise.all(outs.map(async (t) => ({ values: await t.data(), shape: [...t.shape], dtype: t.dtype, backend: t.backend.name }))) };
  } finally {
    await setBackend('cpu');
  }
}

/**
 * The property that `build(input)` on backend `name` equals it on cpu, for
 * every input `arb` draws. With fusedAgainstComposite, `build` receives
 * whether it runs as the reference: it should then ask for gradients, so
 * that the op layer spells out the composite, while the backend under
 * test runs under noGrad and takes its fused kernel where it has one.
 */
export async function expectAgreement<T>(
  name: string,
  arb: fc.Arbitrary<T>,
  build: (input: T, reference: boolean) => Tensor | Tensor[],
  agreement: Agreement<T> = {},
  numRuns = 12,
): Promise<void> {
  const fused = agreement.fusedAgainstComposite ?? false;
  await fc.assert(
    fc.asyncProperty(arb, async (input) => {
      const reference = await outcomes('cpu', () => build(input, true), false);
      const result = await outcomes(name, () => build(input, false), fused);
      if ('error' in reference || 'error' in result) {
        expect('error' in result ? result.error : 'no error', `the error on ${name}`).toBe('error' in reference ? reference.error : 'no error');
        return;
      }
      const want = reference.outputs, got = result.outputs;
      expect(got.length).toBe(want.length);
      const scale = agreement.scale ? await agreement.scale(input) : undefined;
      for (let i = 0; i < want.length; i++) {
        const g = got[i]!, w = want[i]!;
        const what = `output ${i} on ${name}`;
        expect(g.backend, what).toBe(name);
        expect(g.shape, what).toEqual(w.shape);
        expect(g.dtype, what).toBe(w.dtype);
        const opts: CloseOptions = { what, signedZeros: agreement.signedZeros ?? false, ...(scale ? { scale } : {}) };
        expectClose(g.values, w.values, agreement.atol, agreement.rtol, opts);
      }
    }),
    { numRuns },
  );
}
