/**
 * The in-place strided write (a KV cache's append), as a plain loop: the
 * source is walked in row-major order and each contiguous run along its
 * last axis lands as one block where the destination's last stride is 1.
 */
import type { WriteSpec } from '../backend.js';
import type { TypedArray } from '../../base/dtype.js';

export function write(dst: TypedArray, src: TypedArray, spec: WriteSpec): void {
  const { shape, strides, offset } = spec;
  const rank = shape.length;
  if (src.length === 0) return;
  const len = rank === 0 ? 1 : shape[rank - 1]!;
  const step = rank === 0 ? 1 : strides[rank - 1]!;
  const idx = new Array<number>(Math.max(rank - 1, 0)).fill(0);
  let at = offset;
  for (let s = 0; s < src.length; s += len) {
    if (step === 1) dst.set(src.subarray(s, s + len), at);
    else for (let i = 0; i < len; i++) dst[at + i * step] = src[s + i]!;
    // Odometer over the leading axes, keeping the destination offset.
    for (let d = rank - 2; d >= 0; d--) {
      at += strides[d]!;
      if (++idx[d]! < shape[d]!) break;
      at -= strides[d]! * shape[d]!;
      idx[d] = 0;
    }
  }
}
