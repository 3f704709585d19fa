/**
 * Indexing. Two primitives carry everything: gatherRows (rows of a matrix
 * picked by an int32 index) and scatterAddRows (rows summed into place),
 * each the other's gradient. indexSelect/indexAdd move the chosen axis to
 * the front and use them on rows; PyTorch-style gather/scatterAdd flatten to
 * single elements (rows of width 1) with offsets computed from the shape.
 */
import { LazyBuffer } from '../lazy.js';
import { fmt, normAxis, sizeOf, stridesOf } from '../shape.js';
import { Tensor } from '../tensor.js';
import { make, sameBackend } from './core.js';
import { binary } from './elementwise.js';
import { permute, reshape } from './movement.js';

function checkIndex(op: string, idx: Tensor, rows: number): void {
  if (idx.dtype !== 'int32') throw new Error(`${op}: index must be int32, got ${idx.dtype} ${fmt(idx.shape)}`);
  // An index whose values are already on the host is checked here, at the user's line.
  const lb = idx.lazy;
  if (lb.isRealized && lb.backend.readSync) {
    const values = lb.backend.readSync(lb.buffer);
    for (let i = 0; i < values.length; i++) {
      const v = values[i]!;
      if (!(v >= 0 && v < rows)) throw new Error(`${op}: index ${v} at position ${i} is out of range for size ${rows}`);
    }
  }
}

/** src [R, C], idx int32 [M] → [M, C]. */
export function gatherRows(src: Tensor, idx: Tensor): Tensor {
  if (src.rank !== 2 || idx.rank !== 1) throw new Error(`gatherRows: expected src [R, C] and index [M], got ${fmt(src.shape)} and ${fmt(idx.shape)}`);
  sameBackend('gather', src, idx);
  const [rows, cols] = src.shape as [number, number];
  checkIndex('gather', idx, rows);
  return make({ kind: 'gather', rows, cols }, [src, idx], [idx.shape[0]!, cols], src.dtype, { kind: 'gather' });
}

/** src [M, C], idx int32 [M] → [outRows, C], row idx[i] += src[i] in increasing i. */
export function scatterAddRows(src: Tensor, idx: Tensor, outRows: number): Tensor {
  if (src.rank !== 2 || idx.rank !== 1 || idx.shape[0] !== src.shape[0]) {
    throw new Error(`scatterAddRows: expected src [M, C] and index [M], got ${fmt(src.shape)} and ${fmt(idx.shape)}`);
  }
  sameBackend('scatterAdd', src, idx);
  checkIndex('scatterAdd', idx, outRows);
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
  const { rows, perm } = rowsAlong(x, a);
  return unrows(gatherRows(rows, index), x.shape, perm);
}

export function indexAdd(x: Tensor, axis: number, index: Tensor, src: Tensor): Tensor {
  const a = normAxis('indexAdd', axis, x.rank);
  const want = x.shape.map((d, i) => (i === a ? index.shape[0]! : d));
  if (index.rank !== 1 || src.rank !== x.rank || src.shape.some((d, i) => d !== want[i])) {
    throw new Error(`indexAdd: src ${fmt(src.shape)} should be ${fmt(want)} for x ${fmt(x.shape)} and index ${fmt(index.shape)}`);
  }
  const { rows, perm } = rowsAlong(src, a);
  return binary('add', x, unrows(scatterAddRows(rows, index, x.shape[a]!), x.shape, perm));
}

/** Flat offsets into a tensor of shape `target` for every position of `index` along `axis`. */
function flatOffsets(op: string, target: readonly number[], axis: number, index: Tensor): Tensor {
  if (index.dtype !== 'int32') throw new Error(`${op}: index must be int32, got ${index.dtype}`);
  if (index.rank !== target.length || index.shape.some((d, i) => i !== axis && d > target[i]!)) {
    throw new Error(`${op}: index ${fmt(index.shape)} does not fit ${fmt(target)} along axis ${axis}`);
  }
  const lb = index.lazy;
  if (lb.isRealized && lb.backend.readSync) {
    const v = lb.backend.readSync(lb.buffer);
    for (let i = 0; i < v.length; i++) {
      if (!(v[i]! >= 0 && v[i]! < target[axis]!)) throw new Error(`${op}: index ${v[i]} at position ${i} is out of range for size ${target[axis]} (axis ${axis} of ${fmt(target)})`);
    }
  }
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
  return reshape(binary('add', baseT, binary('mul', index, strides[axis]!)), [index.size]);
}

export function gather(x: Tensor, axis: number, index: Tensor): Tensor {
  const a = normAxis('gather', axis, x.rank);
  const flat = flatOffsets('gather', x.shape, a, index);
  return reshape(gatherRows(reshape(x, [x.size, 1]), flat), index.shape);
}

export function scatterAdd(x: Tensor, axis: number, index: Tensor, src: Tensor): Tensor {
  const a = normAxis('scatterAdd', axis, x.rank);
  if (src.rank !== index.rank || src.shape.some((d, i) => d !== index.shape[i])) {
    throw new Error(`scatterAdd: src ${fmt(src.shape)} and index ${fmt(index.shape)} must have the same shape`);
  }
  const flat = flatOffsets('scatterAdd', x.shape, a, index);
  return binary('add', x, reshape(scatterAddRows(reshape(src, [src.size, 1]), flat, x.size), x.shape));
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
