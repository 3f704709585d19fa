/**
 * The IEEE special values in kernel source. The reference's values at NaN,
 * ±∞ and ±0 are JavaScript's, and shader languages do not promise them:
 * WGSL lets a compiler assume that no NaN is ever present (Dawn compiles
 * x != y so that NaN != 1 is false, exp(NaN) is ∞ and log(−1) is log 1 on
 * SwiftShader), and a GLSL compiler may turn `r = x; if (y > x) r = y`
 * into max(x, y), whose NaN case is undefined. So the kernels test for the
 * special values themselves, using only what every mode computes as IEEE
 * 754 does (test/conformance checks each): ordered comparisons, 1/±0 = ±∞,
 * the square root of a negative number (a NaN made at run time; a NaN
 * literal is not portable).
 */

/** True for NaN: the one value that is neither ≤ 0 nor > 0 (x !== x is compiled away on webgpu). */
export const isNaNOf = (v: string): string => `(!(${v} <= 0) && !(${v} > 0))`;
