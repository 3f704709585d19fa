/**
 * Grouped matmul: the rows of the operands are cut into consecutive groups
 * by int32 offsets [G + 1], and each group is an ordinary matmul with its
 * own matrix. It is the GEMM of a Mixture of Experts' sparse dispatch
 * (MegaBlocks' grouped GEMM, torch._grouped_mm): sort the tokens by expert,
 * and expert g's tokens are the rows of group g — one primitive call runs
 * every expert, each on just its own tokens, with nothing padded.
 *
 *   groupedMatmul(A [P, k], B [G, k, n], offsets)       → [P, n],    C_g = A_g·B_g
 *   groupedMatmul(A, B [G, n, k], offsets, { transB })  → [P, n],    C_g = A_g·B_gᵀ
 *   groupedMatmul(A [P, k], B [k, G·n], offsets)        → [P, n],    C_g = A_g·B_g,
 *       B_g the g-th block of n columns: an MoE layer's W1 [d, N·h] as it
 *       is stored, expert g's hidden units read in place (transB: B [n, G·k])
 *   groupedMatmulInner(A [P, m], B [P, n], offsets)     → [G, m, n], C_g = A_gᵀ·B_g
 *
 * The two forms are each other's gradients (autograd/rules.ts), so the
 * pair is closed under differentiation, as bmm is.
 *
 * Two fusions serve an MoE's dispatch, each the same value as its unfused
 * spelling and with the same gradients:
 *   { rowIndex }  A [T, k] and int32 rowIndex [P]: the product's rows are
 *                 A[rowIndex[r]] — gatherRows(A, rowIndex) read in place,
 *                 the tokens of each expert taken straight from the input
 *                 (ScatterMoE's fused gather), with no [P, k] copy;
 *   { bias }      bias [G, n]: C_g + 1·bias_gᵀ, each group's own bias row
 *                 (expert g's b1) added as the product is formed.
 */
import { checkGroupOffsets, columnStrides, stackedStrides } from '../../gpu/grouped-layout.js';
import type { GroupedMatmulSpec } from '../../gpu/backend.js';
import { fmt } from '../../base/shape.js';
import type { Tensor } from '../tensor.js';
import { make, sameBackend } from './core.js';
import { checkedIndex } from './indexing.js';

/** Checks the offsets' type and shape, and their values when they are already on the host; the group count. */
function groupsOf(op: string, offsets: Tensor, rows: number): number {
  if (offsets.dtype !== 'int32' || offsets.rank !== 1 || offsets.shape[0]! < 1) {
    throw new Error(`${op}: offsets must be int32 [groups + 1], got ${offsets.dtype} ${fmt(offsets.shape)}`);
  }
  const groups = offsets.shape[0]! - 1;
  const lb = offsets.lazy;
  if (lb.isRealized && lb.backend.readSync) checkGroupOffsets(op, lb.backend.readSync(lb.buffer), groups, rows);
  return groups;
}

function checkOperands(op: string, a: Tensor, b: Tensor, offsets: Tensor): void {
  sameBackend(op, a, b, offsets);
  if (a.dtype !== b.dtype || a.dtype === 'int32') throw new Error(`${op}: operands must share a float dtype, got ${a.dtype} ${fmt(a.shape)} and ${b.dtype} ${fmt(b.shape)}`);
  if (a.rank !== 2) throw new Error(`${op}: A must be rows [P, k], got ${fmt(a.shape)}`);
}

export interface GroupedMatmulOptions {
  /** Read B_g transposed. */
  transB?: boolean;
  /** int32 [P]: row r of the product is row rowIndex[r] of A (a fused gatherRows). */
  rowIndex?: Tensor;
  /** [G, n]: group g's bias row, added to each of its rows. */
  bias?: Tensor;
}

/**
 * C_g = A_g·op(B_g) for the row groups g of A [P, k]. B holds the G
 * matrices stacked, [G, k, n] ([G, n, k] with transB), or side by side as
 * column blocks, [k, G·n] ([n, G·k] with transB). With `rowIndex` the rows
 * are gathered from A [T, k]; with `bias` each group's row is added.
 */
export function groupedMatmul(a: Tensor, b: Tensor, offsets: Tensor, opts: GroupedMatmulOptions = {}): Tensor {
  const op = 'groupedMatmul';
  checkOperands(op, a, b, offsets);
  const transB = opts.transB ?? false;
  const [aRows, k] = a.shape as [number, number];
  const rowIndex = opts.rowIndex && checkedRowIndex(op, opts.rowIndex, a);
  const rows = rowIndex ? rowIndex.shape[0]! : aRows;
  const groups = groupsOf(op, offsets, rows);
  const columns = b.rank === 2;
  const [k1, k2] = stackedOrColumns(op, b, groups, transB);
  const [kb, n] = transB ? [k2, k1] : [k1, k2];
  if (kb !== k) throw new Error(`${op}: inner dimensions differ: ${fmt(a.shape)} · ${fmt(b.shape)}${transB ? 'ᵀ' : ''} (${k} vs ${kb})`);
  if (opts.bias) checkBias(op, opts.bias, a, groups, n);
  const bStrides = columns ? columnStrides(groups, k2, transB) : stackedStrides(k1, k2, transB);
  const gathered = rowIndex !== undefined, bias = opts.bias !== undefined;
  const spec: GroupedMatmulSpec = { kind: 'rows', groups, rows, k, n, bStrides, ...(gathered ? { aRows } : {}), ...(bias ? { bias } : {}) };
  const inputs = [a, b, offsets, ...(rowIndex ? [rowIndex] : []), ...(opts.bias ? [opts.bias] : [])];
  return make({ kind: 'groupedMatmul', spec }, inputs, [rows, n], a.dtype, { kind: 'groupedMatmul', inner: false, transB, columns, gathered, bias });
}

/** An int32 [P] row index into A's rows, checked against them (ops/indexing.ts: now, or when it is computed). */
function checkedRowIndex(op: string, rowIndex: Tensor, a: Tensor): Tensor {
  sameBackend(op, a, rowIndex);
  if (rowIndex.dtype !== 'int32' || rowIndex.rank !== 1) throw new Error(`${op}: rowIndex must be int32 [P], got ${rowIndex.dtype} ${fmt(rowIndex.shape)}`);
  return checkedIndex(op, rowIndex, a.shape[0]!, `the ${a.shape[0]} rows of A (rowIndex)`);
}

function checkBias(op: string, bias: Tensor, a: Tensor, groups: number, n: number): void {
  sameBackend(op, a, bias);
  if (bias.dtype !== a.dtype || bias.rank !== 2 || bias.shape[0] !== groups || bias.shape[1] !== n) {
    throw new Error(`${op}: bias must be ${a.dtype} [${groups}, ${n}] (a row per group), got ${bias.dtype} ${fmt(bias.shape)}`);
  }
}

/** The shape K1×K2 of each stored B_g: B [G, K1, K2], or B [K1, G·K2] as column blocks. */
function stackedOrColumns(op: string, b: Tensor, groups: number, transB: boolean): [number, number] {
  const want = transB ? 'n, k' : 'k, n';
  if (b.rank === 3 && b.shape[0] === groups) return [b.shape[1]!, b.shape[2]!];
  if (b.rank === 2 && groups > 0 && b.shape[1]! % groups === 0) return [b.shape[0]!, b.shape[1]! / groups];
  throw new Error(`${op}: B must be [${groups}, ${want}] (stacked) or [${want.replace(', ', `, ${groups}·`)}] (column blocks) for ${groups} groups, got ${fmt(b.shape)}`);
}

/** C_g = A_gᵀ·B_g for the row groups g shared by A [P, m] and B [P, n] → [G, m, n] (zero for an empty group). */
export function groupedMatmulInner(a: Tensor, b: Tensor, offsets: Tensor): Tensor {
  const op = 'groupedMatmulInner';
  checkOperands(op, a, b, offsets);
  const [rows, m] = a.shape as [number, number];
  if (b.rank !== 2 || b.shape[0] !== rows) throw new Error(`${op}: B must be rows [${rows}, n] like A ${fmt(a.shape)}, got ${fmt(b.shape)}`);
  const groups = groupsOf(op, offsets, rows);
  const n = b.shape[1]!;
  const spec: GroupedMatmulSpec = { kind: 'inner', groups, rows, m, n };
  return make({ kind: 'groupedMatmul', spec }, [a, b, offsets], [groups, m, n], a.dtype, { kind: 'groupedMatmul', inner: true, transB: false, columns: false, gathered: false, bias: false });
}
