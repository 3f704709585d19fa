/**
 * Indexing. Two primitives carry everything: gatherRows (rows of a matrix
 * picked by an int32 index) and scatterAddRows (rows summed into place),
 * each the other's gradient. indexSelect/indexAdd move the chosen axis to
 * the front and use them on rows; PyTorch-style gather/scatterAdd flatten to
 * single elements (rows of width 1) with offsets computed from the shape.
 */
import { LazyBuffer } from '../lazy.js';
import { fmt, normAxis, sizeOf, stridesOf } from '../../base/shape.js';
import { Tensor } from '../tensor.js';
import { make, sameBackend } from './core.js';
import { binary, where } from './elementwise.js';
import { permute, reshape } from './movement.js';

/**
 * Checks an int32 index against `size` (`what` says what it indexes, for the
 * message). Values already on the host are checked here, at the user's line;
 * returns false when they could not be (a pending index is checked by the kernel).
 */
export function checkIndex(op: string, idx: Tensor, size: number, what = `size ${size}`): boolean {
  if (idx.dtype !== 'int32') throw new Error(`${op}: index must be int32, got ${idx.dtype} ${fmt(idx.shape)}`);
  const lb = idx.lazy;
  if (!lb.isRealized || !lb.backend.readSync) return false;
  const values = lb.backend.readSync(lb.buffer);
  for (let i = 0; i < values.length; i++) {
    const v = values[i]!;
    if (!(v >= 0 && v < size)) throw new Error(`${op}: index ${v} at position ${i} is out of range for ${what}`);
  }
  return true;
}

/** src [R, C], idx int32 [M] → [M, C]. `op` names the caller in error messages. */
export function gatherRows(src: Tensor, idx: Tensor, op = 'gatherRows'): Tensor {
  if (src.rank !== 2 || idx.rank !== 1) throw new Error(`${op}: expected src [R, C] and index [M], got ${fmt(src.shape)} and ${fmt(idx.shape)}`);
  sameBackend(op, src, idx);
  const [rows, cols] = src.shape as [number, number];
  checkIndex(op, idx, rows);
  return make({ kind: 'gather', rows, cols }, [src, idx], [idx.shape[0]!, cols], src.dtype, { kind: 'gather' });
}

/** src [M, C], idx int32 [M] → [outRows, C], row idx[i] += src[i] in increasing i. */
export function scatterAddRows(src: Tensor, idx: Tensor, outRows: number, op = 'scatterAddRows'): Tensor {
  if (src.rank !== 2 || idx.rank !== 1 || idx.shape[0] !== src.shape[0]) {
    throw new Error(`${op}: expected src [M, C] and index [M], got ${fmt(src.shape)} and ${fmt(idx.shape)}`);
  }
  if (!Number.isInteger(outRows) || outRows < 0) throw new Error(`${op}: the number of output rows must be a non-negative integer, got ${outRows}`);
  sameBackend(op, src, idx);
  checkIndex(op, idx, outRows);
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
  checkIndex('indexSelect', index, x.shape[a]!, `axis ${axis} of ${fmt(x.shape)}`);
  const { rows, perm } = rowsAlong(x, a);
  return unrows(gatherRows(rows, index, 'indexSelect'), x.shape, perm);
}

export function indexAdd(x: Tensor, axis: number, index: Tensor, src: Tensor): Tensor {
  const a = normAxis('indexAdd', axis, x.rank);
  const want = x.shape.map((d, i) => (i === a ? index.shape[0]! : d));
  if (index.rank !== 1 || src.rank !== x.rank || src.shape.some((d, i) => d !== want[i])) {
    throw new Error(`indexAdd: src ${fmt(src.shape)} should be ${fmt(want)} for x ${fmt(x.shape)} and index ${fmt(index.shape)}`);
  }
  sameBackend('indexAdd', x, index, src);
  if (x.dtype !== src.dtype) throw new Error(`indexAdd: dtypes differ (x ${x.dtype} ${fmt(x.shape)}, src ${src.dtype} ${fmt(src.shape)})`);
  checkIndex('indexAdd', index, x.shape[a]!, `axis ${axis} of ${fmt(x.shape)}`);
  const { rows, perm } = rowsAlong(src, a);
  return binary('add', x, unrows(scatterAddRows(rows, index, x.shape[a]!, 'indexAdd'), x.shape, perm));
}

/**
 * Flat offsets into a tensor of shape `target` for every position of `index`
 * along `axis`: base(position) + index·stride(axis). An index that cannot be
 * checked now (it is still pending) and is out of range becomes offset −1, so
 * the kernel rejects it instead of silently reading a neighbouring row.
 */
function flatOffsets(op: string, target: readonly number[], axis: number, index: Tensor, trusted = false): Tensor {
  if (index.dtype !== 'int32') throw new Error(`${op}: index must be int32, got ${index.dtype} ${fmt(index.shape)}`);
  if (index.rank !== target.length || index.shape.some((d, i) => i !== axis && d > target[i]!)) {
    throw new Error(`${op}: index ${fmt(index.shape)} does not fit ${fmt(target)} along axis ${axis} (same rank, and no larger than it on the other axes)`);
  }
  const n = target[axis]!;
  const checked = checkIndex(op, index, n, `size ${n} (axis ${axis} of ${fmt(target)})`);
  const strides = stridesOf(target);
  const base = new Int32Array(index.size);
  const idx = new Array<number>(index.rank).fill(0);
  for (let p = 0; p < base.length; p++) {
    let off = 0;
    for (let d = 0; d < idx.length; d++) if (d !== axis) off += idx[d]! * strides[d]!;
    base[p] = off;
    for (let d = idx.length - 1; d >= 0; d--) {
      if (++idx[d]! < index.shape[d]!) break;
      idx[d] = 0;
    }
  }
  const baseT = new Tensor(LazyBuffer.realized(index.backend, index.shape, index.backend.upload(base)));
  let flat = binary('add', baseT, binary('mul', index, strides[axis]!));
  if (!checked && !trusted) flat = where(binary('mul', binary('ge', index, 0), binary('lt', index, n)), flat, -1);
  return reshape(flat, [index.size]);
}

export function gather(x: Tensor, axis: number, index: Tensor, trusted = false): Tensor {
  const a = normAxis('gather', axis, x.rank);
  const flat = flatOffsets('gather', x.shape, a, index, trusted);
  return reshape(gatherRows(reshape(x, [x.size, 1]), flat, 'gather'), index.shape);
}

export function scatterAdd(x: Tensor, axis: number, index: Tensor, src: Tensor): Tensor {
  const a = normAxis('scatterAdd', axis, x.rank);
  if (src.rank !== index.rank || src.shape.some((d, i) => d !== index.shape[i])) {
    throw new Error(`scatterAdd: src ${fmt(src.shape)} and index ${fmt(index.shape)} must have the same shape`);
  }
  if (x.dtype !== src.dtype) throw new Error(`scatterAdd: dtypes differ (x ${x.dtype} ${fmt(x.shape)}, src ${src.dtype} ${fmt(src.shape)})`);
  const flat = flatOffsets('scatterAdd', x.shape, a, index);
  return binary('add', x, reshape(scatterAddRows(reshape(src, [src.size, 1]), flat, x.size, 'scatterAdd'), x.shape));
}

export function topk(x: Tensor, k: number): { values: Tensor; indices: Tensor } {
  if (x.rank === 0) throw new Error('topk: needs at least one axis');
  const n = x.shape[x.rank - 1]!;
  if (!Number.isInteger(k) || k < 1 || k > n) throw new Error(`topk: k=${k} must be an integer in [1, ${n}] for ${fmt(x.shape)}`);
  const rows = x.size / n;
  const shape = [...x.shape.slice(0, -1), k];
  const indices = make({ kind: 'topk', rows, n, k }, [x], shape, 'int32', null);
  return { values: gather(x, -1, indices, true), indices };
}
