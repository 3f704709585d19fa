/**
 * Shapes, strides and NumPy broadcasting. Every buffer in dsmoe is contiguous
 * and row-major, so a shape alone determines its strides.
 */
export type Shape = readonly number[];

export function sizeOf(shape: Shape): number {
  let n = 1;
  for (const d of shape) n *= d;
  return n;
}

/** Row-major strides: the last axis moves fastest. */
export function stridesOf(shape: Shape): number[] {
  const strides = new Array<number>(shape.length);
  let s = 1;
  for (let i = shape.length - 1; i >= 0; i--) {
    strides[i] = s;
    s *= shape[i]!;
  }
  return strides;
}

export function fmt(shape: Shape): string {
  return `[${shape.join(', ')}]`;
}

export function sameShape(a: Shape, b: Shape): boolean {
  return a.length === b.length && a.every((d, i) => d === b[i]);
}

/**
 * NumPy broadcasting: align from the right; each pair of sizes must be equal
 * or one of them 1. Throws naming the op and both shapes.
 */
export function broadcastShapes(op: string, a: Shape, b: Shape): number[] {
  const n = Math.max(a.length, b.length);
  const out = new Array<number>(n);
  for (let i = 0; i < n; i++) {
    const da = a[a.length - n + i] ?? 1;
    const db = b[b.length - n + i] ?? 1;
    if (da !== db && da !== 1 && db !== 1) {
      throw new Error(`${op}: shapes ${fmt(a)} and ${fmt(b)} cannot be broadcast (axis ${i - n}: ${da} vs ${db})`);
    }
    out[i] = da === 1 ? db : da;
  }
  return out;
}

/** Resolves a possibly negative axis against `rank`, or throws naming the op. */
export function normAxis(op: string, axis: number, rank: number): number {
  if (!Number.isInteger(axis)) throw new Error(`${op}: axis ${axis} is not an integer`);
  if (axis < -rank || axis >= rank) {
    const valid = rank === 0 ? 'a tensor of rank 0 has no axes' : `valid axes are ${-rank} to ${rank - 1}`;
    throw new Error(`${op}: axis ${axis} is out of range for a tensor of rank ${rank} (${valid})`);
  }
  return axis < 0 ? axis + rank : axis;
}

/**
 * The axes along which a broadcast result must be summed to get back to
 * `from`: the gradient of broadcasting is a sum (reduce-to-shape).
 */
export function broadcastedAxes(from: Shape, to: Shape): number[] {
  const axes: number[] = [];
  const lead = to.length - from.length;
  for (let i = 0; i < to.length; i++) {
    if (i < lead || (from[i - lead] === 1 && to[i] !== 1)) axes.push(i);
  }
  return axes;
}

/** Splits `shape` around `axis` into [outer, n, inner] for one-axis kernels. */
export function splitAt(shape: Shape, axis: number): [number, number, number] {
  let outer = 1;
  let inner = 1;
  for (let i = 0; i < axis; i++) outer *= shape[i]!;
  for (let i = axis + 1; i < shape.length; i++) inner *= shape[i]!;
  return [outer, shape[axis]!, inner];
}

/** The most elements one tensor may hold: a typed array's limit (2^32), past which JavaScript says only "Invalid typed array length". */
export const MAX_ELEMENTS = 2 ** 32;

export function checkShape(op: string, shape: Shape): void {
  for (const d of shape) {
    if (!Number.isInteger(d) || d < 0) throw new Error(`${op}: invalid shape ${fmt(shape)} (sizes must be non-negative integers)`);
  }
  const size = sizeOf(shape);
  if (size > MAX_ELEMENTS) throw new Error(`${op}: shape ${fmt(shape)} holds ${size} elements, more than the ${MAX_ELEMENTS} one tensor can (a typed array's limit)`);
}

/**
 * Strides of `shape` read as if broadcast to `outShape`: 0 along every axis
 * it is broadcast over (new leading axes and size-1 axes), so one walk over
 * the output finds each input's element. Every backend's broadcasting kernels use it.
 */
export function alignedStrides(shape: Shape, outShape: Shape): number[] {
  const own = stridesOf(shape);
  const lead = outShape.length - shape.length;
  return outShape.map((_, i) => (i < lead || shape[i - lead] === 1 ? 0 : own[i - lead]!));
}
