/**
 * writeAt: dst with src written over positions at … at + src.shape[axis] − 1
 * of one axis, every other axis whole. It is how a KV cache grows by a
 * token without copying what it holds (kv-cache.ts).
 *
 * The graph stays functional: the result is a new tensor. But where the
 * backend writes in place (cpu, wasm), the result takes over dst's buffer —
 * dst is *donated*, as a JAX buffer passed through donate_argnums, and
 * reading it afterwards throws. On a backend that only writes whole outputs
 * (gpu.js) the same value is composed from a padded view and a where, and dst
 * is copied: one pass over it per write.
 */
import { fmt, normAxis, stridesOf } from '../../base/shape.js';
import type { Tensor } from '../tensor.js';
import { full } from '../create.js';
import { isGradEnabled } from '../grad-mode.js';
import { make, sameBackend } from './core.js';
import { pad } from './movement.js';
import { where } from './elementwise.js';

export function writeAt(dst: Tensor, src: Tensor, axis: number, at: number): Tensor {
  sameBackend('writeAt', dst, src);
  const a = normAxis('writeAt', axis, dst.rank);
  const n = src.shape[a] ?? -1;
  const fits = src.rank === dst.rank && src.shape.every((d, i) => (i === a ? true : d === dst.shape[i]));
  if (!fits || src.dtype !== dst.dtype) {
    throw new Error(`writeAt: cannot write ${src.dtype} ${fmt(src.shape)} into ${dst.dtype} ${fmt(dst.shape)} along axis ${axis} (every other axis must match)`);
  }
  if (!Number.isInteger(at) || at < 0 || at + n > dst.shape[a]!) {
    throw new Error(`writeAt: positions ${at} … ${at + n - 1} are outside axis ${axis} of size ${dst.shape[a]} in ${fmt(dst.shape)}`);
  }
  if (isGradEnabled() && (dst.requiresGrad || src.requiresGrad)) {
    throw new Error('writeAt: an in-place write has no gradient; call it under noGrad (it is for caches, not for training)');
  }
  const strides = stridesOf(dst.shape);
  const ownsBuffer = dst.lazy.op?.kind !== 'reshape' && dst.lazy.bufferOwner === null;
  if (dst.backend.write && ownsBuffer) {
    return make({ kind: 'write', spec: { shape: src.shape, strides, offset: at * strides[a]! } }, [dst, src], dst.shape, dst.dtype, null);
  }
  // The functional form: src padded out to dst's shape, and a mask of where it lands.
  const pads = dst.shape.map((d, i) => (i === a ? [at, d - at - n] as const : [0, 0] as const));
  const inside = pad(full(src.shape, 1, { dtype: src.dtype, backend: src.backend }), pads);
  return where(inside, pad(src, pads), dst);
}
