/**
 * Reductions over the middle axis of [outer, n, inner]: one output cell per
 * (outer, inner) pair, each looping over n. The loop bound is a constant, so
 * gpu.js does not cut it at its 1000-iteration default.
 */
import type { ArgReduceOp, ReduceOp } from '../backend.js';
import type { GpujsBuffer } from './buffer.js';
import { checkIndexable, unflatten, type Snippet } from './index-math.js';
import { kernelSource, type Job } from './job.js';
import { isNaNOf } from './specials.js';

/** Source declaring `base`, the offset of element j = 0 of the cell's column. */
function columnBase(outer: number, inner: number): Snippet {
  const idx = unflatten('t', [outer, inner], 'o');
  return { code: `${idx.code}\n  const base = o0 * this.constants.n * this.constants.inner + o1;`, constants: idx.constants };
}

/** The offset of element j along the reduced axis: j itself when the axis is contiguous (inner = 1). */
function along(inner: number): string {
  return inner === 1 ? 'j' : 'j * this.constants.inner';
}

/**
 * max and min as the binary ops (elementwise.ts): a NaN sticks (nothing
 * moves acc once it is NaN, so no compiler's max() can drop it), and +0
 * beats −0 for max, loses for min.
 */
const extreme = (cmp: '>' | '<'): string =>
  `if (!${isNaNOf('acc')}) { if (v ${cmp} acc || ${isNaNOf('v')}) { acc = v; } if (v === 0 && acc === 0) { if (1 / v ${cmp} 0) { acc = v; } } }`;

const STEP: Record<ReduceOp, string> = {
  sum: 'acc = acc + v;',
  max: extreme('>'),
  min: extreme('<'),
};

export function reduceJob(op: ReduceOp, x: GpujsBuffer, outer: number, n: number, inner: number): Job {
  checkIndexable('the input of reduce', x.size);
  const col = columnBase(outer, inner);
  const src = kernelSource(['x'], [
    col.code,
    `let acc = ${op === 'sum' ? '0.0' : 'x[base]'};`,
    'for (let j = 0; j < this.constants.n; j++) {',
    `  const v = x[base + ${along(inner)}];`,
    `  ${STEP[op]}`,
    '}',
    'return acc;',
  ]);
  const size = outer * inner;
  const constants = { ...col.constants, n, inner };
  return { key: `reduce:${op}:${outer}x${n}x${inner}`, spec: () => ({ source: src, constants, size, longestLoop: n }), args: [x], size, dtype: x.dtype };
}

/** The index of the first extreme (the first NaN, if any): a strict comparison keeps the earlier one on ties. */
export function argReduceJob(op: ArgReduceOp, x: GpujsBuffer, outer: number, n: number, inner: number): Job {
  checkIndexable('the input of argReduce', x.size);
  const col = columnBase(outer, inner);
  const src = kernelSource(['x'], [
    col.code,
    'let best = x[base];',
    'let at = 0;',
    'for (let j = 1; j < this.constants.n; j++) {',
    `  const v = x[base + ${along(inner)}];`,
    // The first NaN is the extreme (as max and min propagate it): once best is NaN it stays.
    `  if (!${isNaNOf('best')}) { if (v ${op === 'argmax' ? '>' : '<'} best || ${isNaNOf('v')}) { best = v; at = j; } }`,
    '}',
    'return at;',
  ]);
  const size = outer * inner;
  const constants = { ...col.constants, n, inner };
  return { key: `${op}:${outer}x${n}x${inner}`, spec: () => ({ source: src, constants, size, longestLoop: n }), args: [x], size, dtype: 'int32' };
}
