/**
 * Shapes and broadcast-compatible shapes (NumPy's rule: align the trailing
 * axes; each pair of dims is equal, or one of them is 1).
 */
import fc from 'fast-check';

export interface ShapeOptions {
  minRank?: number;
  maxRank?: number;
  minDim?: number;
  maxDim?: number;
  /** Largest number of elements: the largest dims are trimmed (never below 1) to fit. */
  maxSize?: number;
}

export const sizeOf = (shape: readonly number[]): number => shape.reduce((n, d) => n * d, 1);

function capSize(shape: number[], max: number): number[] {
  const s = [...shape];
  while (sizeOf(s) > max) {
    const at = s.indexOf(Math.max(...s));
    if (s[at]! <= 1) break;
    s[at]!--;
  }
  return s;
}

/** A shape of rank minRank..maxRank (default 0..4), dims minDim..maxDim (default 1..4). */
export function shapeArb(opts: ShapeOptions = {}): fc.Arbitrary<number[]> {
  const { minRank = 0, maxRank = 4, minDim = 1, maxDim = 4, maxSize = Infinity } = opts;
  // The rank is drawn first, so high ranks are as common as low ones.
  return fc
    .integer({ min: minRank, max: maxRank })
    .chain((rank) => fc.array(fc.integer({ min: minDim, max: maxDim }), { minLength: rank, maxLength: rank }))
    .map((s) => (maxSize === Infinity ? s : capSize(s, maxSize)));
}

/** A shape that broadcasts to `full`: some leading axes dropped, some axes set to 1. */
export function broadcastableToArb(full: readonly number[]): fc.Arbitrary<number[]> {
  const drop = fc.oneof({ weight: 2, arbitrary: fc.constant(0) }, { weight: 1, arbitrary: fc.integer({ min: 0, max: full.length }) });
  const ones = fc.array(fc.oneof({ weight: 2, arbitrary: fc.constant(false) }, { weight: 1, arbitrary: fc.constant(true) }), { minLength: full.length, maxLength: full.length });
  return fc.tuple(drop, ones).map(([k, one]) => full.slice(k).map((d, i) => (one[i + k] ? 1 : d)));
}

/** Two shapes that broadcast together, both cut from one common shape. */
export function broadcastPairArb(opts: ShapeOptions = {}): fc.Arbitrary<[number[], number[]]> {
  return shapeArb(opts).chain((full) => fc.tuple(broadcastableToArb(full), broadcastableToArb(full)));
}

/** The broadcast of two compatible shapes, by the rule itself (an oracle; it does not check compatibility). */
export function broadcastOf(a: readonly number[], b: readonly number[]): number[] {
  const n = Math.max(a.length, b.length);
  return Array.from({ length: n }, (_, i) => {
    const da = a[a.length - n + i] ?? 1;
    const db = b[b.length - n + i] ?? 1;
    return da === 1 ? db : da;
  });
}
