/**
 * Index arithmetic, generated as gpu.js kernel source. A kernel computes one
 * output cell from its flat index; broadcasting, views, reductions and matmul
 * all need that index split into per-axis indices.
 *
 * gpu.js computes in float32 (GLSL and WGSL kernels both), where integers are
 * exact only below 2^24 and `x / n` may round to just under an integer, so
 * each division is corrected: q = floor(x / n), then moved by one if the
 * remainder x - q·n fell outside [0, n). That makes the split exact for every
 * flat index below 2^24, the limit `checkIndexable` enforces.
 */

/** Flat indices below this are exact in float32 kernels. */
export const MAX_EXACT_INDEX = 2 ** 24;

export function checkIndexable(what: string, size: number): void {
  if (size > MAX_EXACT_INDEX) {
    throw new Error(`gpujs: ${what} has ${size} elements, more than 2^24 = ${MAX_EXACT_INDEX}, the largest that gpu.js's float32 index arithmetic addresses exactly; split the tensor`);
  }
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
