/**
 * Indexing. Two primitives carry everything: gatherRows (rows of a matrix
 * picked by an int32 index) and scatterAddRows (rows summed into place),
 * each the other's gradient. indexSelect/indexAdd move the chosen axis to
 * the front and use them on rows; PyTorch-style gather/scatterAdd flatten to
 * single elements (rows of width 1) with offsets computed from the shape.
 */
import type { TypedArray } from '../../base/dtype.js';
import { fmt, normAxis, sizeOf, stridesOf } from '../../base/shape.js';
import { applyIndexCheck, flatBases } from '../index-check.js';
import { LazyBuffer } from '../lazy.js';
import { Tensor } from '../tensor.js';
import { make, sameBackend } from './core.js';
import { binary } from './elementwise.js';
import { permute, reshape } from './movement.js';

/**
 * Why the bound check lives here and how: a kernel that reads row idx[i]
 * must never see an idx[i] outside the rows, and the user must hear about
 * it in terms of the op they called. An index already on the host is
 * checked now, at the user's line. A pending one (computed on the device,
 * not known until realize) gets an 'indexCheck' node in front of the
 * kernel that reads through it: realize reads the index back, checks it
 * (index-check.ts) and hands the kernel host values. The alternative, a
 * flag the kernel sets and the host reads later, does not fit: a gpu.js
 * kernel writes one output and has no atomics, so the flag is a second
 * kernel and a readback anyway, and its error would surface at some later,
 * unrelated read, after wrong values had already flowed on. The node costs
 * one readback of the index, only for an index that is computed on the
 * device and not in range by construction (see inRangeByConstruction), which
 * no training or inference path of this library builds. Every backend's
 * kernels check again (cpu, wasm in the kernel; gpujs reading back an index
 * it does not hold on the host), so a direct Backend call is safe too.
 */

/** An index's values, when they can be read now without running a kernel (realized, perhaps reshaped since); else null. */
function hostValues(idx: Tensor): TypedArray | null {
  let lb = idx.lazy;
  while (!lb.isRealized && lb.op?.kind === 'reshape') lb = lb.srcs[0]!;
  return lb.isRealized && lb.backend.readSync ? lb.backend.readSync(lb.buffer) : null;
}

/**
 * True when the index was computed by topk, argmax or argmin over an axis
 * of at most `size` (through reshapes): its values lie in [0, size) by
 * construction, and checking them would cost a readback for nothing (an
 * MoE router's top-k experts, say).
 */
function inRangeByConstruction(idx: Tensor, size: number): boolean {
  let lb: LazyBuffer | null = idx.lazy;
  while (lb?.op?.kind === 'reshape') lb = lb.srcs[0] ?? null;
  const op = lb?.op;
  return (op?.kind === 'topk' || op?.kind === 'argReduce') && op.n <= size;
}

function requireInt32(op: string, idx: Tensor): void {
  if (idx.dtype !== 'int32') throw new Error(`${op}: index must be int32, got ${idx.dtype} ${fmt(idx.shape)}`);
}

/**
 * `idx` with its values known to lie in [0, size): checked now when they
 * are on the host (an error names the op, the value, its position and
 * `what` it indexes), or by an 'indexCheck' node in the graph when pending.
 */
export function checkedIndex(op: string, idx: Tensor, size: number, what = `size ${size}`): Tensor {
  requireInt32(op, idx);
  if (inRangeByConstruction(idx, size)) return idx;
  const check = { op, size, what };
  const values = hostValues(idx);
  if (values) {
    applyIndexCheck(values, check);
    return idx;
  }
  return make({ kind: 'indexCheck', check }, [idx], idx.shape, 'int32', null);
}

/** src [R, C], idx int32 [M] → [M, C]. `op` names the caller in error messages. */
export function gatherRows(src: Tensor, idx: Tensor, op = 'gatherRows'): Tensor {
  if (src.rank !== 2 || idx.rank !== 1) throw new Error(`${op}: expected src [R, C] and index [M], got ${fmt(src.shape)} and ${fmt(idx.shape)}`);
  sameBackend(op, src, idx);
  return gatherChecked(src, checkedIndex(op, idx, src.shape[0]!));
}

/** The gather primitive on an index already checked against src's rows. */
function gatherChecked(src: Tensor, idx: Tensor): Tensor {
  const [rows, cols] = src.shape as [number, number];
  return make({ kind: 'gather', rows, cols }, [src, idx], [idx.shape[0]!, cols], src.dtype, { kind: 'gather' });
}

/** src [M, C], idx int32 [M] → [outRows, C], row idx[i] += src[i] in increasing i. */
export function scatterAddRows(src: Tensor, idx: Tensor, outRows: number, op = 'scatterAddRows'): Tensor {
  if (src.rank !== 2 || idx.rank !== 1 || idx.shape[0] !== src.shape[0]) {
    throw new Error(`${op}: expected src [M, C] and index [M], got ${fmt(src.shape)} and ${fmt(idx.shape)}`);
  }
  if (!Number.isInteger(outRows) || outRows < 0) throw new Error(`${op}: the number of output rows must be a non-negative integer, got ${outRows}`);
  sameBackend(op, src, idx);
  return scatterAddChecked(src, checkedIndex(op, idx, outRows), outRows);
}

/** The scatter-add primitive on an index already checked against outRows. */
function scatterAddChecked(src: Tensor, idx: Tensor, outRows: number): Tensor {
  const cols = src.shape[1]!;
  return make({ kind: 'scatterAdd', cols, outRows }, [src, idx], [outRows, cols], src.dtype, { kind: 'scatterAdd', outRows });
}

/** Moves `axis` to the front and flattens the rest: [R, C] rows to gather. */
function rowsAlong(x: Tensor, axis: number): { rows: Tensor; perm: number[] } {
  const perm = [axis, ...x.shape.map((_, i) => i).filter((i) => i !== axis)];
  const moved = permute(x, perm);
  return { rows: reshape(moved, [x.shape[axis]!, sizeOf(moved.shape.slice(1))]), perm };
}

function unrows(rows: Tensor, like: readonly number[], perm: number[]): Tensor {
  const moved = reshape(rows, [rows.shape[0]!, ...perm.slice(1).map((a) => like[a]!)]);
  const inverse = perm.map((_, i) => perm.indexOf(i));
  return permute(moved, inverse);
}

export function indexSelect(x: Tensor, axis: number, index: Tensor): Tensor {
  const a = normAxis('indexSelect', axis, x.rank);
  if (index.rank !== 1) throw new Error(`indexSelect: index must be 1-D, got ${fmt(index.shape)}`);
  sameBackend('indexSelect', x, index);
  const checked = checkedIndex('indexSelect', index, x.shape[a]!, `axis ${axis} of ${fmt(x.shape)}`);
  const { rows, perm } = rowsAlong(x, a);
  return unrows(gatherChecked(rows, checked), x.shape, perm);
}

export function indexAdd(x: Tensor, axis: number, index: Tensor, src: Tensor): Tensor {
  const a = normAxis('indexAdd', axis, x.rank);
  const want = x.shape.map((d, i) => (i === a ? index.shape[0]! : d));
  if (index.rank !== 1 || src.rank !== x.rank || src.shape.some((d, i) => d !== want[i])) {
    throw new Error(`indexAdd: src ${fmt(src.shape)} should be ${fmt(want)} for x ${fmt(x.shape)} and index ${fmt(index.shape)}`);
  }
  sameBackend('indexAdd', x, index, src);
  if (x.dtype !== src.dtype) throw new Error(`indexAdd: dtypes differ (x ${x.dtype} ${fmt(x.shape)}, src ${src.dtype} ${fmt(src.shape)})`);
  const checked = checkedIndex('indexAdd', index, x.shape[a]!, `axis ${axis} of ${fmt(x.shape)}`);
  const { rows, perm } = rowsAlong(src, a);
  return binary('add', x, unrows(scatterAddChecked(rows, checked, x.shape[a]!), x.shape, perm));
}

/**
 * Flat offsets into a tensor of shape `target` for every position of `index`
 * along `axis`: base(position) + index·stride(axis), [index.size]. Checked
 * per axis (an index past its axis could still land inside the tensor, in
 * a neighbouring row): on the host now, or by an 'indexCheck' node that
 * computes the offsets from the values it checked. Only an index in range
 * by construction (topk's) is combined on the device, as it stands.
 */
function flatOffsets(op: string, target: readonly number[], axis: number, index: Tensor, what?: string): Tensor {
  requireInt32(op, index);
  if (index.rank !== target.length || index.shape.some((d, i) => i !== axis && d > target[i]!)) {
    throw new Error(`${op}: index ${fmt(index.shape)} does not fit ${fmt(target)} along axis ${axis} (same rank, and no larger than it on the other axes)`);
  }
  const n = target[axis]!;
  if (inRangeByConstruction(index, n)) {
    const base = new Tensor(LazyBuffer.realized(index.backend, index.shape, index.backend.upload(flatBases(target, axis, index.shape))));
    return reshape(binary('add', base, binary('mul', index, stridesOf(target)[axis]!)), [index.size]);
  }
  const check = { op, size: n, what: what ?? `size ${n} (axis ${axis} of ${fmt(target)})`, flat: { target, axis, shape: index.shape } };
  const values = hostValues(index);
  if (values) return new Tensor(LazyBuffer.realized(index.backend, [index.size], index.backend.upload(applyIndexCheck(values, check))));
  return make({ kind: 'indexCheck', check }, [index], [index.size], 'int32', null);
}

export function gather(x: Tensor, axis: number, index: Tensor): Tensor {
  return gatherAlong(x, normAxis('gather', axis, x.rank), index, 'gather');
}

/** gather along a normalized axis, with `op` (and `what` the axis counts) named in an out-of-range error: crossEntropy's targets. */
export function gatherAlong(x: Tensor, axis: number, index: Tensor, op: string, what?: string): Tensor {
  sameBackend(op, x, index);
  const flat = flatOffsets(op, x.shape, axis, index, what);
  return reshape(gatherChecked(reshape(x, [x.size, 1]), flat), index.shape);
}

export function scatterAdd(x: Tensor, axis: number, index: Tensor, src: Tensor): Tensor {
  const a = normAxis('scatterAdd', axis, x.rank);
  if (src.rank !== index.rank || src.shape.some((d, i) => d !== index.shape[i])) {
    throw new Error(`scatterAdd: src ${fmt(src.shape)} and index ${fmt(index.shape)} must have the same shape`);
  }
  if (x.dtype !== src.dtype) throw new Error(`scatterAdd: dtypes differ (x ${x.dtype} ${fmt(x.shape)}, src ${src.dtype} ${fmt(src.shape)})`);
  sameBackend('scatterAdd', x, index, src);
  const flat = flatOffsets('scatterAdd', x.shape, a, index);
  return binary('add', x, reshape(scatterAddChecked(reshape(src, [src.size, 1]), flat, x.size), x.shape));
}

export function topk(x: Tensor, k: number): { values: Tensor; indices: Tensor } {
  if (x.rank === 0) throw new Error('topk: needs at least one axis');
  const n = x.shape[x.rank - 1]!;
  if (!Number.isInteger(k) || k < 1 || k > n) throw new Error(`topk: k=${k} must be an integer in [1, ${n}] for ${fmt(x.shape)}`);
  const rows = x.size / n;
  const shape = [...x.shape.slice(0, -1), k];
  const indices = make({ kind: 'topk', rows, n, k }, [x], shape, 'int32', null);
  return { values: gather(x, -1, indices), indices };
}
