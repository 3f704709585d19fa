/**
 * The strided, zero-padded read behind every movement op (transpose,
 * permute, expand, slice, pad): output cell i reads src[offset + Σ i_d·stride_d],
 * or is 0 when some i_d falls outside its window.
 */
import type { ViewSpec } from '../backend.js';
import { fmt, sizeOf } from '../../tensor/shape.js';
import type { GpujsBuffer } from './buffer.js';
import { checkIndexable, offsetExpr, unflatten } from './index-math.js';
import { kernelSource, type Job } from './job.js';

export function viewJob(x: GpujsBuffer, spec: ViewSpec): Job {
  const size = sizeOf(spec.shape);
  checkIndexable(`the view ${fmt(spec.shape)}`, size);
  checkIndexable('the input of a view', x.size);
  const idx = unflatten('t', spec.shape, 'o');
  const off = offsetExpr('src', 'o', spec.strides, spec.offset);
  const constants: Record<string, number> = { ...idx.constants, ...off.constants };
  const inside: string[] = [];
  spec.window?.forEach(([lo, hi], d) => {
    if (lo <= 0 && hi >= spec.shape[d]!) return; // the whole axis is valid
    constants[`lo${d}`] = lo;
    constants[`hi${d}`] = hi;
    inside.push(`o${d} >= this.constants.lo${d} && o${d} < this.constants.hi${d}`);
  });
  const read = `x[${off.code}]`;
  const body = inside.length ? ['let r = 0.0;', `if (${inside.join(' && ')}) { r = ${read}; }`, 'return r;'] : [`return ${read};`];
  const src = kernelSource(['x'], [idx.code, ...body]);
  const key = `view:${x.size}->${fmt(spec.shape)}:${spec.strides.join(',')}@${spec.offset}:${spec.window?.map((w) => w.join('-')).join(',') ?? ''}`;
  return { key, spec: () => ({ source: src, constants, size }), args: [x], size, dtype: x.dtype };
}
