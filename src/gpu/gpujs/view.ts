/**
 * The strided, zero-padded read behind every movement op (transpose,
 * permute, expand, slice, pad): output cell i reads src[offset + Σ i_d·stride_d],
 * or is 0 when some i_d falls outside its window.
 */
import type { ViewSpec } from '../backend.js';
import { fmt, sizeOf } from '../../base/shape.js';
import type { GpujsBuffer } from './buffer.js';
import { chunkedReads, type Work } from './chunks.js';
import { isChunked, offsetExpr, unflatten } from './index-math.js';
import { kernelSource } from './job.js';

export function viewJob(x: GpujsBuffer, spec: ViewSpec): Work {
  const size = sizeOf(spec.shape);
  const windows: Record<string, number> = {};
  const inside: string[] = [];
  spec.window?.forEach(([lo, hi], d) => {
    if (lo <= 0 && hi >= spec.shape[d]!) return; // the whole axis is valid
    windows[`lo${d}`] = lo;
    windows[`hi${d}`] = hi;
    inside.push(`o${d} >= this.constants.lo${d} && o${d} < this.constants.hi${d}`);
  });
  // Past 2^24 elements in or out: computed in chunks (chunks.ts).
  if (isChunked(size) || x.parts) {
    const guard = inside.length ? { code: inside.join(' && '), constants: windows } : undefined;
    return chunkedReads(`view ${fmt(spec.shape)}`, [{ buf: x, strides: spec.strides, offset: spec.offset, as: 'v' }], spec.shape, 'r = v;', x.dtype, guard);
  }
  const idx = unflatten('t', spec.shape, 'o');
  const off = offsetExpr('src', 'o', spec.strides, spec.offset);
  const constants: Record<string, number> = { ...idx.constants, ...off.constants, ...windows };
  const read = `x[${off.code}]`;
  const body = inside.length ? ['let r = 0.0;', `if (${inside.join(' && ')}) { r = ${read}; }`, 'return r;'] : [`return ${read};`];
  const src = kernelSource(['x'], [idx.code, ...body]);
  const key = `view:${x.size}->${fmt(spec.shape)}:${spec.strides.join(',')}@${spec.offset}:${spec.window?.map((w) => w.join('-')).join(',') ?? ''}`;
  return { key, spec: () => ({ source: src, constants, size }), args: [x], size, dtype: x.dtype };
}
