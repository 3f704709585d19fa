/**
 * Shared fast-check arbitraries for the tensor and autograd suites: shapes,
 * mutually broadcastable shapes, and values on domains chosen so that finite
 * differences are meaningful (MiniTorch-style: no values at a function's
 * kinks or poles, no subnormals, nothing huge).
 */
import fc from 'fast-check';
import { broadcastOf, shapeArb, sizeOf, type ShapeOptions } from '../../src/testing/shapes.js';

// Shapes are the testing kit's (dsmoe/testing): the suites and the kit draw from one definition.
export type ShapeOpts = ShapeOptions;
export { sizeOf };
export const shape = shapeArb;

/** Small shapes for gradcheck, whose cost is two forward passes per element. */
export const gradShape = (opts: ShapeOpts = {}): fc.Arbitrary<number[]> => shape({ maxRank: 4, maxDim: 3, maxSize: 16, ...opts });

/** Shapes that may hold a size-0 axis (for forward properties where that is meaningful). */
export const shapeWithZero = (opts: ShapeOpts = {}): fc.Arbitrary<number[]> => shape({ minDim: 0, maxDim: 3, ...opts });

/**
 * A shape that broadcasts to `full` (possibly to a smaller shape, if all
 * operands agree to shrink): leading axes dropped, some axes set to 1.
 */
export function broadcastableTo(full: readonly number[]): fc.Arbitrary<number[]> {
  const drop = fc.oneof({ weight: 2, arbitrary: fc.constant(0) }, { weight: 1, arbitrary: fc.integer({ min: 0, max: full.length }) });
  const one = fc.oneof({ weight: 2, arbitrary: fc.constant(false) }, { weight: 1, arbitrary: fc.constant(true) });
  return fc
    .tuple(drop, fc.array(one, { minLength: full.length, maxLength: full.length }))
    .map(([drop, ones]) => full.slice(drop).map((d, i) => (ones[i + drop] ? 1 : d)));
}

/** Two shapes that broadcast together (NumPy rules), drawn from a common full shape. */
export function broadcastPair(opts: ShapeOpts = {}): fc.Arbitrary<[number[], number[]]> {
  return shape(opts).chain((full) => fc.tuple(broadcastableTo(full), broadcastableTo(full)));
}

export function broadcastTriple(opts: ShapeOpts = {}): fc.Arbitrary<[number[], number[], number[]]> {
  return shape(opts).chain((full) => fc.tuple(broadcastableTo(full), broadcastableTo(full), broadcastableTo(full)));
}

/** NumPy's broadcast of two shapes (the independent oracle; the kit's, one definition). */
export { broadcastOf };

/**
 * Value domains. All values are k/1000 for integers k, so there are no
 * subnormals and ties are exact, and every domain keeps a margin far larger
 * than gradcheck's ε (1e-6) from the points where a function is not smooth.
 */
export type Domain =
  /** [-2, 2] */
  | 'any'
  /** [0.1, 2.1]: log, sqrt, pow with a real exponent */
  | 'positive'
  /** |x| in [0.05, 2.05]: abs, relu, sign-sensitive ops */
  | 'nonzero'
  /** |x| in [0.5, 2.5]: denominators */
  | 'denominator';

const ints = fc.integer({ min: -2000, max: 2000 });

export function scalar(domain: Domain = 'any'): fc.Arbitrary<number> {
  switch (domain) {
    case 'any':
      return ints.map((k) => k / 1000);
    case 'positive':
      return fc.integer({ min: 0, max: 2000 }).map((k) => 0.1 + k / 1000);
    case 'nonzero':
      return ints.map((k) => (k >= 0 ? 0.05 + k / 1000 : -0.05 + k / 1000));
    case 'denominator':
      return ints.map((k) => (k >= 0 ? 0.5 + k / 1000 : -0.5 + k / 1000));
  }
}

/** A value range [lo, hi], on the same 1/1000 grid as the domains. */
export type Range = readonly [lo: number, hi: number];

/** n values from a domain, or from a range [lo, hi] (the grid k/1000 within it). */
export function values(n: number, domain: Domain | Range = 'any'): fc.Arbitrary<number[]> {
  const one = typeof domain === 'string' ? scalar(domain) : fc.integer({ min: Math.round(domain[0] * 1000), max: Math.round(domain[1] * 1000) }).map((k) => k / 1000);
  return fc.array(one, { minLength: n, maxLength: n });
}

/** values() as a Float32Array, the input a float32 kernel takes. */
export function float32Values(n: number, domain: Domain | Range = 'any'): fc.Arbitrary<Float32Array> {
  return values(n, domain).map((v) => Float32Array.from(v));
}

/**
 * n values in [−scale, scale) from a seed, without fast-check (a linear
 * congruential generator): fixed data for tests that draw only a seed.
 */
export function seededValues(n: number, seed: number, scale = 1): Float32Array {
  let s = seed >>> 0 || 1;
  return Float32Array.from({ length: n }, () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return ((s / 2 ** 32) * 2 - 1) * scale;
  });
}

/**
 * n pairwise-distinct values in [-2, 2] (at least 0.001 apart): for max, min,
 * sort-like ops, whose gradient at a tie is a convention, not a derivative.
 */
export function distinctValues(n: number): fc.Arbitrary<number[]> {
  return fc.uniqueArray(ints, { minLength: n, maxLength: n }).map((v) => v.map((k) => k / 1000));
}

/** A shape with values for it. */
export interface Case {
  shape: number[];
  data: number[];
}

export function tensorCase(shapes: fc.Arbitrary<number[]>, domain: Domain = 'any'): fc.Arbitrary<Case> {
  return shapes.chain((s) => values(sizeOf(s), domain).map((data) => ({ shape: s, data })));
}

export function distinctCase(shapeArb: fc.Arbitrary<number[]>): fc.Arbitrary<Case> {
  return shapeArb.chain((s) => distinctValues(sizeOf(s)).map((data) => ({ shape: s, data })));
}

/** An axis of a tensor of the given rank, possibly negative (rank ≥ 1). */
export function axisOf(rank: number): fc.Arbitrary<number> {
  return fc.integer({ min: -rank, max: rank - 1 });
}

/** A permutation of 0..n-1. */
export function permutation(n: number): fc.Arbitrary<number[]> {
  const all = Array.from({ length: n }, (_, i) => i);
  return fc.shuffledSubarray(all, { minLength: n, maxLength: n });
}

/** int32 indices in [0, size), `n` of them. */
export function indices(n: number, size: number): fc.Arbitrary<number[]> {
  return fc.array(fc.integer({ min: 0, max: size - 1 }), { minLength: n, maxLength: n });
}

/** A seed for the random cotangent of a gradcheck (drawn by fast-check, so it replays). */
export const cotangentSeed = fc.integer({ min: 1, max: 2 ** 31 - 1 });
