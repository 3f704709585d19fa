/**
 * The one place where an op becomes a tensor: make the LazyBuffer that will
 * compute it, and, when gradients are on and an input needs one, record the
 * GradNode autograd will walk.
 */
import type { Backend } from '../../gpu/backend.js';
import type { DType } from '../../base/dtype.js';
import { isFloat } from '../../base/dtype.js';
import { isEager, isGradEnabled } from '../grad-mode.js';
import type { GradOp } from '../grad-op.js';
import { creationScopes, LazyBuffer, type LazyOp } from '../lazy.js';
import { realizeBuffersSync } from '../realize.js';
import { fmt, type Shape } from '../../base/shape.js';
import { Tensor, type TensorLike } from '../tensor.js';

export function make(op: LazyOp, inputs: readonly Tensor[], shape: Shape, dtype: DType, grad: GradOp | null, backend?: Backend): Tensor {
  const be = backend ?? inputs[0]!.backend;
  const lb = new LazyBuffer(be, Object.freeze([...shape]), dtype, op, inputs.map((t) => t.lazy));
  const needsGrad = grad !== null && isFloat(dtype) && isGradEnabled() && inputs.some((t) => t.requiresGrad);
  const out = new Tensor(lb, needsGrad);
  if (needsGrad) out.gradNode = { op: grad, inputs, versions: inputs.map((t) => t.version) };
  if (isEager()) realizeBuffersSync([lb]);
  return out;
}

/** All tensors of one op must share a backend; the message names both. */
export function sameBackend(op: string, ...ts: Tensor[]): void {
  const be = ts[0]!.backend;
  for (const t of ts) {
    if (t.backend !== be) throw new Error(`${op}: tensors are on different backends (${be.name} and ${t.backend.name}); move one with .to()`);
  }
}

/** A plain number becomes a scalar tensor of `like`'s dtype on `like`'s backend. */
export function lift(op: string, x: TensorLike, like: Tensor): Tensor {
  if (x instanceof Tensor) return x;
  if (typeof x !== 'number' || Number.isNaN(x)) throw new Error(`${op}: expected a tensor or a number, got ${String(x)}`);
  if (like.dtype === 'int32' && !(Number.isInteger(x) && x >= -(2 ** 31) && x < 2 ** 31)) {
    // Int32Array would silently store 0.5 as 0 and ∞ as 0.
    throw new Error(`${op}: the int32 tensor ${fmt(like.shape)} cannot be combined with ${x}, which is not an int32; cast the tensor first (.float())`);
  }
  return scalarOn(like.backend, x, like.dtype);
}

/**
 * The constants ops lift (1/√d, a norm's ε, the 1 of a reciprocal) recur every
 * step: each is uploaded once per backend and kept, outside every tidy, up to
 * a bound, so a decoding step is not dozens of one-number uploads.
 */
const scalars = new WeakMap<Backend, Map<string, Tensor>>();
const MAX_SCALARS = 512;

export function scalarOn(backend: Backend, value: number, dtype: DType): Tensor {
  let held = scalars.get(backend);
  if (!held) scalars.set(backend, (held = new Map()));
  const key = `${dtype}:${Object.is(value, -0) ? '-0' : value}`;
  const hit = held.get(key);
  if (hit && !hit.lazy.isDisposed) return hit;
  const data = dtype === 'float64' ? new Float64Array([value]) : dtype === 'int32' ? new Int32Array([value]) : new Float32Array([value]);
  const open = creationScopes.splice(0); // untracked: a tidy must not free a shared constant
  try {
    const t = new Tensor(LazyBuffer.realized(backend, [], backend.upload(data)));
    if (held.size < MAX_SCALARS) held.set(key, t);
    return t;
  } finally {
    creationScopes.push(...open);
  }
}
