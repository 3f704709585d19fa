/**
 * The one elementwise comparison every suite uses: a result against a
 * reference, within |got − want| ≤ atol + rtol·|scale| (scale is `want`
 * unless given: a matmul's error grows with Σ|a·b|, not with the result).
 *
 * Special values are compared exactly: NaN only where the reference has
 * NaN, ±∞ only where it has the same infinity, and (with signedZeros) a
 * zero with the reference zero's sign, which 1/x would expose. Results
 * that are typed arrays must also have the reference's type (unless
 * sameType is false), so an int32 result never passes for a float32 one.
 *
 * The default tolerance follows the reference: float32 arithmetic when it
 * is a Float32Array, float64 otherwise.
 */
import { expect } from 'vitest';

export interface CloseOptions {
  /** The magnitudes the relative tolerance scales with (default: the reference itself). */
  readonly scale?: ArrayLike<number>;
  /** Require exact zeros to have the reference's sign. */
  readonly signedZeros?: boolean;
  /** Whether typed arrays must be of one type (default true; false to hold a float32 result against a float64 oracle). */
  readonly sameType?: boolean;
  /** Names the comparison in a failure. */
  readonly what?: string;
}

const F32_TOLERANCE = [1e-5, 1e-4] as const;
const F64_TOLERANCE = [1e-12, 1e-9] as const;

const show = (v: number): string => (Object.is(v, -0) ? '-0' : String(v));
const isTyped = (a: ArrayLike<number>): boolean => ArrayBuffer.isView(a);

/** The first disagreement of `got` with `want`, as a sentence, or null when they agree. */
export function mismatch(got: ArrayLike<number>, want: ArrayLike<number>, atol?: number, rtol?: number, opts: CloseOptions = {}): string | null {
  const [a, r] = want instanceof Float32Array ? F32_TOLERANCE : F64_TOLERANCE;
  const at = atol ?? a, rt = rtol ?? r;
  if (opts.sameType !== false && isTyped(got) && isTyped(want) && got.constructor !== want.constructor) return `got a ${got.constructor.name}, want a ${want.constructor.name}`;
  if (got.length !== want.length) return `got ${got.length} elements, want ${want.length}`;
  const scale = opts.scale ?? want;
  for (let i = 0; i < want.length; i++) {
    const g = got[i]!, w = want[i]!;
    let ok: boolean;
    if (Number.isNaN(w)) ok = Number.isNaN(g);
    else if (!Number.isFinite(w)) ok = g === w;
    else if (w === 0 && g === 0) ok = !opts.signedZeros || Object.is(g, w);
    else ok = Math.abs(g - w) <= at + rt * Math.abs(scale[i]!);
    if (!ok) {
      const arrays = want.length <= 32 ? `\ngot:  [${Array.from(got, show).join(', ')}]\nwant: [${Array.from(want, show).join(', ')}]` : '';
      const allowed = Number.isFinite(w) && w !== 0 ? `allowed |Δ| ≤ ${at + rt * Math.abs(scale[i]!)}` : 'want it exactly';
      return `element ${i}: got ${show(g)}, want ${show(w)} (${allowed})${arrays}`;
    }
  }
  return null;
}

/** Fails the test at the first element where `got` and `want` disagree (see mismatch). */
export function expectClose(got: ArrayLike<number>, want: ArrayLike<number>, atol?: number, rtol?: number, opts: CloseOptions = {}): void {
  const m = mismatch(got, want, atol, rtol, opts);
  if (m !== null) expect.fail(opts.what ? `${opts.what}: ${m}` : m);
}
