/**
 * Transcendental functions on f32x4, emitted inline. WebAssembly has no exp,
 * log or tanh instruction, so these are the classic Cephes single-precision
 * polynomials (as in every SIMD math library): reduce the argument, evaluate
 * a short polynomial, rebuild the exponent with integer arithmetic. Accuracy
 * is a few ulp, inside float32 tolerance of the cpu backend's float64 Math.
 *
 * Each emitter reads its argument from a v128 local and leaves the result
 * on the stack; it allocates the temporaries it needs.
 */
import { Func, V128, simd as s } from './emit.js';

const LOG2E = 1.44269504088896341;
const LN2_HI = 0.693359375;
const LN2_LO = -2.12194440e-4;

/** c0·tⁿ + c1·tⁿ⁻¹ + … by Horner's rule (t a local). */
function horner(f: Func, t: number, coeffs: readonly number[]): void {
  f.vf32(coeffs[0]!);
  for (const c of coeffs.slice(1)) f.get(t).v(s.f32x4Mul).vf32(c).v(s.f32x4Add);
}

/** bitselect(a, b, mask): lanes of a where mask is set, else b; `pushA`, `pushB`, `pushMask` emit them. */
function select(f: Func, pushA: () => void, pushB: () => void, pushMask: () => void): void {
  pushA();
  pushB();
  pushMask();
  f.v(s.bitselect);
}

/** eˣ: x = n·ln2 + r, |r| ≤ ln2/2, eʳ by a degree-7 polynomial, then scaled by 2ⁿ. */
export function vexp(f: Func, x: number): void {
  const t = f.local(V128), fx = f.local(V128), r = f.local(V128);
  // Clamp so that 2ⁿ⁻¹ below is a normal float; the ends are fixed afterwards.
  f.get(x).vf32(-86.5).v(s.f32x4Max).vf32(88.7228).v(s.f32x4Min).set(t);
  f.get(t).vf32(LOG2E).v(s.f32x4Mul).v(s.f32x4Nearest).set(fx);
  f.get(t).get(fx).vf32(LN2_HI).v(s.f32x4Mul).v(s.f32x4Sub).get(fx).vf32(LN2_LO).v(s.f32x4Mul).v(s.f32x4Sub).set(t);
  horner(f, t, [1.9875691500e-4, 1.3981999507e-3, 8.3334519073e-3, 4.1665795894e-2, 1.6666665459e-1, 5.0000001201e-1]);
  f.get(t).v(s.f32x4Mul).get(t).v(s.f32x4Mul).get(t).v(s.f32x4Add).vf32(1).v(s.f32x4Add);
  // ·2ⁿ as ·2·2ⁿ⁻¹, so that n = 128 (x just below the overflow point) still fits.
  f.vf32(2).v(s.f32x4Mul);
  f.get(fx).v(s.i32x4TruncSatF32x4S).vi32(126).v(s.i32x4Add).i32(23).v(s.i32x4Shl).v(s.f32x4Mul).set(r);
  select(f, () => f.vf32(Infinity), () => f.get(r), () => f.get(x).vf32(88.7228).v(s.f32x4Gt));
  f.get(x).vf32(-87.3365).v(s.f32x4Lt).v(s.andNot).set(r); // below FLT_MIN: 0
  select(f, () => f.get(x), () => f.get(r), () => f.get(x).get(x).v(s.f32x4Ne)); // NaN stays NaN
}

/** ln x: x = m·2ᵉ with m in [√½, √2), ln m by a degree-9 polynomial in m − 1. */
export function vlog(f: Func, x: number): void {
  const xs = f.local(V128), d = f.local(V128), e = f.local(V128), m = f.local(V128), small = f.local(V128), z = f.local(V128), r = f.local(V128);
  // Subnormals: scale by 2²³ first and take 23 off the exponent.
  f.get(x).vf32(1.17549435e-38).v(s.f32x4Lt).set(d);
  select(f, () => f.get(x).vf32(8388608).v(s.f32x4Mul), () => f.get(x), () => f.get(d));
  f.set(xs);
  f.get(xs).i32(23).v(s.i32x4ShrU).vi32(126).v(s.i32x4Sub).v(s.f32x4ConvertI32x4S);
  f.vf32(23).get(d).v(s.and).v(s.f32x4Sub).set(e);
  f.get(xs).vi32(0x807fffff).v(s.and).vi32(0x3f000000).v(s.or).set(m); // m in [0.5, 1)
  f.get(m).vf32(Math.SQRT1_2).v(s.f32x4Lt).set(small);
  f.get(e).vf32(1).get(small).v(s.and).v(s.f32x4Sub).set(e);
  f.get(m).get(m).get(small).v(s.and).v(s.f32x4Add).vf32(1).v(s.f32x4Sub).set(m);
  f.get(m).get(m).v(s.f32x4Mul).set(z);
  horner(f, m, [7.0376836292e-2, -1.1514610310e-1, 1.1676998740e-1, -1.2420140846e-1, 1.4249322787e-1, -1.6668057665e-1, 2.0000714765e-1, -2.4999993993e-1, 3.3333331174e-1]);
  f.get(m).v(s.f32x4Mul).get(z).v(s.f32x4Mul);
  f.get(e).vf32(LN2_LO).v(s.f32x4Mul).v(s.f32x4Add);
  f.get(z).vf32(0.5).v(s.f32x4Mul).v(s.f32x4Sub);
  f.get(m).v(s.f32x4Add).get(e).vf32(LN2_HI).v(s.f32x4Mul).v(s.f32x4Add).set(r);
  // ln 0 = −∞, ln of a negative = NaN, ln ∞ = ∞, NaN stays NaN.
  select(f, () => f.vf32(-Infinity), () => f.get(r), () => f.get(x).vf32(0).v(s.f32x4Eq));
  f.set(r);
  select(f, () => f.vf32(NaN), () => f.get(r), () => f.get(x).vf32(0).v(s.f32x4Lt));
  f.set(r);
  select(f, () => f.get(x), () => f.get(r), () => {
    f.get(x).get(x).v(s.f32x4Ne).get(x).vf32(Infinity).v(s.f32x4Eq).v(s.or);
  });
}

/** tanh x: an odd polynomial for |x| < 0.625, else 1 − 2/(e²ˣ + 1); the sign is copied back. */
export function vtanh(f: Func, x: number): void {
  const ax = f.local(V128), two = f.local(V128), big = f.local(V128), z = f.local(V128), small = f.local(V128);
  f.get(x).v(s.f32x4Abs).set(ax);
  f.get(ax).get(ax).v(s.f32x4Add).set(two);
  f.vf32(1).vf32(2);
  vexp(f, two);
  f.vf32(1).v(s.f32x4Add).v(s.f32x4Div).v(s.f32x4Sub).set(big);
  f.get(x).get(x).v(s.f32x4Mul).set(z);
  horner(f, z, [-5.70498872745e-3, 2.06390887954e-2, -5.37397155531e-2, 1.33314422036e-1, -3.33332819422e-1]);
  f.get(z).v(s.f32x4Mul).get(ax).v(s.f32x4Mul).get(ax).v(s.f32x4Add).set(small);
  select(f, () => f.get(small), () => f.get(big), () => f.get(ax).vf32(0.625).v(s.f32x4Lt));
  f.get(x).vi32(-0x80000000).v(s.and).v(s.or);
}

/** x / (1 + e^(−k·x)) with the exponent's argument from `arg` — sigmoid (x = 1), silu, gelu share it. */
function overOnePlusExp(f: Func, numerator: () => void, negArg: number): void {
  numerator();
  f.vf32(1);
  vexp(f, negArg);
  f.v(s.f32x4Add).v(s.f32x4Div);
}

export function vsigmoid(f: Func, x: number): void {
  const nx = f.local(V128);
  f.get(x).v(s.f32x4Neg).set(nx);
  overOnePlusExp(f, () => f.vf32(1), nx);
}

export function vsilu(f: Func, x: number): void {
  const nx = f.local(V128);
  f.get(x).v(s.f32x4Neg).set(nx);
  overOnePlusExp(f, () => f.get(x), nx);
}

/**
 * GELU (tanh form): 0.5·x·(1 + tanh u) = x·σ(2u) = x / (1 + e^(−2u)),
 * u = √(2/π)(x + 0.044715x³). The sigmoid form has no cancellation for
 * very negative x, where 1 + tanh u would lose every digit.
 */
export function vgelu(f: Func, x: number): void {
  const u = f.local(V128);
  const k = -2 * Math.sqrt(2 / Math.PI);
  f.get(x).get(x).v(s.f32x4Mul).vf32(0.044715).v(s.f32x4Mul).vf32(1).v(s.f32x4Add).get(x).v(s.f32x4Mul).vf32(k).v(s.f32x4Mul).set(u);
  overOnePlusExp(f, () => f.get(x), u);
}
