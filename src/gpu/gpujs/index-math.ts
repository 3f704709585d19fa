/**
 * Index arithmetic, generated as gpu.js kernel source. A kernel computes one
 * output cell from its flat index; broadcasting, views, reductions and matmul
 * all need that index split into per-axis indices.
 *
 * gpu.js computes in float32 (GLSL and WGSL kernels both), where integers are
 * exact only below 2^24 and `x / n` may round to just under an integer, so
 * each division is corrected: q = floor(x / n), then moved by one if the
 * remainder x - q·n fell outside [0, n). That makes the split exact for every
 * flat index below 2^24.
 *
 * Tensors past 2^24 elements are chunked (chunks.ts): each kernel launch
 * computes one chunk of fewer than 2^24 cells, so its `t` stays exact, and
 * `cellIndex` adds the chunk's base to `t` axis by axis (the base split on
 * the host, in exact doubles) instead of forming the inexact flat sum.
 * `checkIndexable` still guards what chunking does not cover.
 */

/** Flat indices below this are exact in float32 kernels. */
export const MAX_EXACT_INDEX = 2 ** 24;

/**
 * Cells per part of a chunked tensor. Half of 2^24, so that an offset into
 * two consecutive parts (a read that straddles a boundary) is still exact.
 */
export const CHUNK = 2 ** 23;

/** Tensors larger than this are chunked. */
export const isChunked = (size: number): boolean => size > MAX_EXACT_INDEX;

/** The chunks [base, base + len) of `size` cells: CHUNK each, the last one shorter. */
export function chunkRanges(size: number): { base: number; len: number }[] {
  const out: { base: number; len: number }[] = [];
  for (let base = 0; base < size; base += CHUNK) out.push({ base, len: Math.min(CHUNK, size - base) });
  return out;
}

export function checkIndexable(what: string, size: number): void {
  if (size > MAX_EXACT_INDEX) {
    throw new Error(`gpujs: ${what} has ${size} elements, more than 2^24 = ${MAX_EXACT_INDEX}, the largest that gpu.js's float32 index arithmetic addresses exactly; split the tensor`);
  }
}

/** The row-major indices of flat index `flat` in shape `dims`, on the host (exact: doubles). */
export function digitsOf(flat: number, dims: readonly number[]): number[] {
  const out = new Array<number>(dims.length).fill(0);
  for (let d = dims.length - 1; d >= 1; d--) {
    out[d] = flat % dims[d]!;
    flat = Math.floor(flat / dims[d]!);
  }
  if (dims.length > 0) out[0] = flat;
  return out;
}

/** Kernel source plus the constants it reads. */
export interface Snippet {
  readonly code: string;
  readonly constants: Record<string, number>;
}

/**
 * Source declaring `${p}0 … ${p}{r-1}`, the row-major indices of flat index
 * `flat` in an array of shape `dims` (named `${p}Dim<d>` in the constants).
 */
export function unflatten(flat: string, dims: readonly number[], p: string): Snippet {
  const constants: Record<string, number> = {};
  const lines: string[] = [`let ${p}Rest = ${flat};`];
  for (let d = dims.length - 1; d >= 1; d--) {
    const n = `this.constants.${p}Dim${d}`;
    constants[`${p}Dim${d}`] = dims[d]!;
    lines.push(
      `let ${p}Q${d} = Math.floor(${p}Rest / ${n});`,
      `let ${p}${d} = ${p}Rest - ${p}Q${d} * ${n};`,
      `if (${p}${d} < 0) { ${p}Q${d} = ${p}Q${d} - 1; ${p}${d} = ${p}${d} + ${n}; }`,
      `if (${p}${d} >= ${n}) { ${p}Q${d} = ${p}Q${d} + 1; ${p}${d} = ${p}${d} - ${n}; }`,
      `${p}Rest = ${p}Q${d};`,
    );
  }
  if (dims.length > 0) lines.push(`let ${p}0 = ${p}Rest;`);
  return { code: lines.join('\n  '), constants };
}

/**
 * The source expression `offset + Σ_d idx<d>·stride<d>`, with strides in
 * constants named `${name}S<d>`; axes of stride 0 (broadcast) drop out and
 * stride-1 axes need no multiply.
 */
export function offsetExpr(name: string, idx: string, strides: readonly number[], offset = 0): Snippet {
  const constants: Record<string, number> = {};
  const terms: string[] = [];
  if (offset !== 0) {
    constants[`${name}Off`] = offset;
    terms.push(`this.constants.${name}Off`);
  }
  strides.forEach((s, d) => {
    if (s === 0) return;
    if (s === 1) {
      terms.push(`${idx}${d}`);
      return;
    }
    constants[`${name}S${d}`] = s;
    terms.push(`${idx}${d} * this.constants.${name}S${d}`);
  });
  return { code: terms.length ? terms.join(' + ') : '0', constants };
}

/**
 * Source declaring the indices of cell `base + t` in an output of shape
 * `dims`, for a chunk starting at `base` (t < CHUNK): `${p}R<d>`, the index
 * minus base's index on axis d (small: what a read relative to base uses),
 * and `${p}<d>`, the index itself. Like adding two numbers digit by digit:
 * t's digits plus base's (host constants), carrying from inner axes out.
 * Everything stays below 2^24 as long as every axis but the first is at most
 * 2^24 long (`checkChunkable`); `${p}0` itself is exact when dims[0] ≤ 2^24.
 */
export function cellIndex(base: number, dims: readonly number[], p: string): Snippet {
  const own = unflatten('t', dims, `${p}T`);
  const constants: Record<string, number> = { ...own.constants };
  const b = digitsOf(base, dims);
  const lines = [own.code, `let ${p}C = 0;`];
  for (let d = dims.length - 1; d >= 0; d--) {
    constants[`${p}B${d}`] = b[d]!;
    lines.push(`let ${p}R${d} = ${p}T${d} + ${p}C;`);
    if (d > 0) {
      // base's digit plus ours reaches the axis length: wrap and carry one.
      constants[`${p}Room${d}`] = dims[d]! - b[d]!;
      constants[`${p}Len${d}`] = dims[d]!;
      lines.push(`${p}C = 0;`, `if (${p}R${d} >= this.constants.${p}Room${d}) { ${p}R${d} = ${p}R${d} - this.constants.${p}Len${d}; ${p}C = 1; }`);
    }
    lines.push(`const ${p}${d} = this.constants.${p}B${d} + ${p}R${d};`);
  }
  return { code: lines.join('\n  '), constants };
}

/** Throws unless `cellIndex` is exact over `dims`: no axis but the first longer than 2^24. */
export function checkChunkable(what: string, dims: readonly number[]): void {
  const long = dims.findIndex((n, d) => d > 0 && n > MAX_EXACT_INDEX);
  if (long > 0) throw new Error(`gpujs: ${what} has an inner axis ${long} of ${dims[long]} elements, more than 2^24 = ${MAX_EXACT_INDEX}; chunking splits only the first axis of a tensor past 2^24 elements exactly`);
}
