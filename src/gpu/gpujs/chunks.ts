/**
 * Tensors past 2^24 elements. A kernel's cell index `t` and every offset it
 * computes are float32, exact only below 2^24, so such a tensor is kept in
 * parts of CHUNK cells (buffer.ts) and an output that large is computed one
 * chunk per launch: each chunk is its own cached kernel with its base as a
 * constant, and `cellIndex` (index-math.ts) adds the base to `t` axis by axis,
 * exactly. How a chunk reads an input depends on the input:
 *
 *   - small (at most 2^24 elements): as usual, at offset + Σ o_d·stride_d,
 *     which is below its size and so exact;
 *   - chunked, read in the output's own order (same shape, contiguous): the
 *     part with the chunk's number, at `t`;
 *   - chunked, read any other way (a slice, a broadcast, a padded view): the
 *     chunk's reads, bounded on the host, must fall within two consecutive
 *     parts; the kernel gets both and an offset relative to the first,
 *     computed from indices relative to the base (`o R<d>`), which the host
 *     checks stays below 2^24. A read spread wider (the transpose of a
 *     matrix past 2^24 elements) is refused with an error naming the limit.
 */
import { stridesOf, type Shape } from '../../base/shape.js';
import type { GpujsBuffer, GpujsDType } from './buffer.js';
import { cellIndex, checkChunkable, chunkRanges, CHUNK, digitsOf, MAX_EXACT_INDEX, offsetExpr } from './index-math.js';
import { kernelSource, type Job } from './job.js';

/** An output computed in chunks: one Job per chunk, joined into one buffer by the backend. */
export interface ChunkedJob {
  readonly chunks: readonly Job[];
  readonly size: number;
  readonly dtype: GpujsDType;
}

/** What a kernel family hands the backend: one launch, or one per chunk. */
export type Work = Job | ChunkedJob;

export const isChunkedJob = (w: Work): w is ChunkedJob => 'chunks' in w;

/** One read per output cell of `buf` at `offset + Σ o_d·strides_d` (strides aligned to the output's axes), named `as`. */
export interface StridedRead {
  readonly buf: GpujsBuffer;
  readonly strides: readonly number[];
  readonly offset: number;
  readonly as: string;
}

/**
 * The chunks of an output of shape `dims` whose cells each read every input
 * once and then run `body` (which sets `r` from the reads and may use the
 * indices o<d>). With `guard` (a condition on o<d>), reads happen only where
 * it holds and r stays 0 elsewhere: a view's padding.
 */
export function chunkedReads(name: string, reads: readonly StridedRead[], dims: Shape, body: string, dtype: GpujsDType, guard?: { code: string; constants: Record<string, number> }): ChunkedJob {
  const size = dims.reduce((n, d) => n * d, 1);
  checkChunkable(`the output of ${name}`, dims);
  // An output of at most 2^24 cells (a view of a chunked tensor) is computed in chunks too, then joined.
  const chunks = chunkRanges(size).map(({ base, len }, c) => {
    const at = cellIndex(base, dims, 'o');
    const constants: Record<string, number> = { ...at.constants, ...(guard?.constants ?? {}) };
    const params: string[] = [];
    const args: GpujsBuffer[] = [];
    const lines: string[] = [at.code];
    const keys: string[] = [];
    reads.forEach((r, i) => {
      const plan = readPlan(`${name} (input ${i})`, r, dims, base, len, size, c, `in${i}`);
      Object.assign(constants, plan.constants);
      params.push(...plan.params);
      args.push(...plan.args);
      keys.push(plan.key);
      lines.push(`let ${r.as} = 0.0;`);
      if (guard) lines.push(`if (${guard.code}) {`, `  ${plan.code}`, '}');
      else lines.push(plan.code);
    });
    lines.push('let r = 0.0;', body, 'return r;');
    const source = kernelSource(params, lines);
    const key = `${name}:[${dims.join(',')}]:${reads.map((r) => `${r.buf.size}/${r.strides.join(',')}@${r.offset}`).join('|')}:chunk ${base}+${len}:${keys.join('|')}`;
    return { key, spec: () => ({ source, constants, size: len }), args, size: len, dtype };
  });
  return { chunks, size, dtype };
}

interface Plan {
  readonly params: string[];
  readonly args: GpujsBuffer[];
  /** Source assigning the value read to the input's name. */
  readonly code: string;
  readonly constants: Record<string, number>;
  readonly key: string;
}

/** How the chunk [base, base + len) of an output of `size` cells reads `r` (see the file comment). */
function readPlan(what: string, r: StridedRead, dims: Shape, base: number, len: number, size: number, c: number, name: string): Plan {
  const { buf, strides, offset, as } = r;
  if (!buf.parts) {
    const off = offsetExpr(name, 'o', strides, offset);
    return { params: [name], args: [buf], code: `${as} = ${name}[${off.code}];`, constants: off.constants, key: 'whole' };
  }
  const own = stridesOf(dims);
  if (buf.size === size && offset === 0 && strides.every((s, d) => s === own[d] || dims[d] === 1)) {
    return { params: [name], args: [buf.parts[c]!], code: `${as} = ${name}[t];`, constants: {}, key: 'aligned' };
  }
  // The range each relative index R_d = o_d - base_d takes in this chunk: within one row of the
  // outer axes an index only grows; a chunk that crosses rows may see the whole axis.
  const first = digitsOf(base, dims);
  const last = digitsOf(base + len - 1, dims);
  const range = dims.map((n, d): [number, number] => {
    const sameRow = first.slice(0, d).every((v, e) => v === last[e]);
    return sameRow ? [0, last[d]! - first[d]!] : [-first[d]!, n - 1 - first[d]!];
  });
  const at0 = offset + first.reduce((s, v, d) => s + v * strides[d]!, 0);
  let lo = at0;
  let hi = at0;
  let spread = 0;
  range.forEach(([a, b], d) => {
    const s = strides[d]!;
    lo += Math.min(a * s, b * s);
    hi += Math.max(a * s, b * s);
    spread += Math.max(Math.abs(a), Math.abs(b)) * Math.abs(s);
  });
  lo = Math.max(lo, 0);
  hi = Math.min(hi, buf.size - 1);
  const p = Math.floor(lo / CHUNK);
  const start = p * CHUNK;
  const rel = at0 - start;
  if (hi >= start + 2 * CHUNK || Math.abs(rel) + spread >= MAX_EXACT_INDEX) {
    throw new Error(`gpujs: ${what} reads a tensor of ${buf.size} elements (past 2^24 = ${MAX_EXACT_INDEX}, so kept in parts of ${CHUNK}) too widely: one chunk of the output reads elements ${lo}…${hi}, beyond what float32 index arithmetic addresses exactly; make the input contiguous in the output's order first (a transpose of a tensor this large is not supported)`);
  }
  const parts = buf.parts;
  const next = parts[Math.min(p + 1, parts.length - 1)]!;
  const terms = strides.map((s, d) => (s === 0 || dims[d] === 1 ? '' : ` + oR${d} * this.constants.${name}S${d}`)).join('');
  const constants: Record<string, number> = { [`${name}Rel`]: rel, [`${name}Half`]: CHUNK };
  strides.forEach((s, d) => {
    if (s !== 0 && dims[d] !== 1) constants[`${name}S${d}`] = s;
  });
  const code = [
    `const ${name}At = this.constants.${name}Rel${terms};`,
    `if (${name}At < this.constants.${name}Half) { ${as} = ${name}a[${name}At]; } else { ${as} = ${name}b[${name}At - this.constants.${name}Half]; }`,
  ].join('\n  ');
  return { params: [`${name}a`, `${name}b`], args: [parts[p]!, next], code, constants, key: `parts ${p}` };
}

/** The chunks of a job whose kernel only needs its cells' indices o<d> (its inputs are small): matmul, gather, scatter-add. */
export function chunkedCells(dims: Shape, what: string, make: (at: { code: string; constants: Record<string, number> }, chunk: string, len: number) => Job): ChunkedJob {
  checkChunkable(what, dims);
  const size = dims.reduce((n, d) => n * d, 1);
  const chunks = chunkRanges(size).map(({ base, len }) => make(cellIndex(base, dims, 'o'), `chunk ${base}+${len}`, len));
  return { chunks, size, dtype: chunks[0]!.dtype };
}
