/**
 * Views that a matmul reads in place. A permute, transpose or expand is a
 * pending `view` node; left alone, realize() would copy it into a fresh
 * contiguous buffer before the GEMM reads it. Attention's head split is the
 * common case: Q = X·Wq reshaped [B, S, H, D] and transposed to
 * [B, H, S, D] is, as the GEMM's [B·H, S, D] operand, matrix (b, h) at
 * offset b·S·H·D + h·D with rows H·D apart — a batch of two axes with
 * strides (S·H·D, D), row stride H·D, column stride 1. The GEMM kernels
 * take exactly such strides (MatmulStrides in backend.ts), so the copy is
 * skipped.
 *
 * This happens when the graph is run (realize.ts), not when it is built:
 * autograd still sees matmul(view(x)) and differentiates through the view
 * as before, and a view that something else needs is realized as usual.
 */
import type { MatmulSpec, MatmulStrides, OperandStrides } from '../gpu/backend.js';
import type { LazyBuffer } from './lazy.js';

/** A pending operand as strides over a buffer it does not own: `base` is what must be realized instead of it. */
interface Strided {
  readonly base: LazyBuffer;
  readonly shape: readonly number[];
  readonly strides: readonly number[];
  readonly offset: number;
}

/**
 * An unrealized view without padding, possibly under reshapes (which only
 * regroup its elements: the last reshape's shape is what the consumer sees),
 * as strides over the view's source. The source itself is read contiguous.
 */
function pendingView(lb: LazyBuffer): Strided | null {
  const top = underReshapes(lb);
  const op = top.op;
  if (top.isRealized || op?.kind !== 'view' || op.spec.window) return null;
  return { base: top.srcs[0]!, shape: op.spec.shape, strides: op.spec.strides, offset: op.spec.offset };
}

/** The first node below `lb`'s pending reshapes (they only share their source's buffer). */
function underReshapes(lb: LazyBuffer): LazyBuffer {
  let top = lb;
  while (!top.isRealized && top.op?.kind === 'reshape') top = top.srcs[0]!;
  return top;
}

/**
 * The buffer of an operand read as it is. The scheduler may have planned to
 * read a view under it in place, and that view may have been realized since
 * by another consumer (a KV cache's write): then the reshapes above it were
 * never run, and the view's own buffer is theirs.
 */
export function operandBuffer(lb: LazyBuffer): LazyBuffer {
  return lb.isRealized ? lb : underReshapes(lb);
}

/** An operand's axes as (size, stride) pairs, innermost last. */
type Axes = { n: number; s: number }[];

/** Takes axes off the end of `axes` whose sizes multiply to `size`, merged into one stride; null if they do not step evenly. */
function takeMerged(axes: Axes, size: number): number | null {
  if (size === 1) return 1; // a single row or column: its stride is never used
  let got = 1;
  let stride = -1;
  let inner: { n: number; s: number } | null = null;
  while (got < size && axes.length) {
    const ax = axes.pop()!;
    if (inner && ax.s !== inner.s * inner.n) return null; // a gap: these axes are not one run
    if (!inner) stride = ax.s;
    inner = ax;
    got *= ax.n;
  }
  return got === size ? stride : null;
}

/** Operand [batch, rows, cols] as a view read in place: its batch axes (unmerged where they do not step evenly), row and column strides. */
function asMatrices(v: Strided, rows: number, cols: number): { batch: Axes; row: number; col: number; offset: number } | null {
  const axes: Axes = [];
  v.shape.forEach((n, d) => {
    if (n !== 1) axes.push({ n, s: v.strides[d]! });
  });
  if (axes.some((a) => a.n === 0)) return null;
  const col = takeMerged(axes, cols);
  if (col === null) return null;
  const row = takeMerged(axes, rows);
  if (row === null) return null;
  return { batch: axes, row, col, offset: v.offset };
}

/** The suffix products of a batch's axes: where its index splits. */
function cuts(axes: Axes): number[] {
  const out = [1];
  for (let d = axes.length - 1; d >= 0; d--) out.push(out.at(-1)! * axes[d]!.n);
  return out;
}

/** Re-expresses `axes` (product = total) over the common split points `at` (ascending, each dividing the next), innermost last. */
function refine(axes: Axes, at: readonly number[]): number[] {
  const strides: number[] = [];
  let lo = 1;
  for (let d = axes.length - 1; d >= 0; d--) {
    const { n, s } = axes[d]!;
    for (let t = 0; t + 1 < at.length; t++) if (at[t]! >= lo && at[t + 1]! <= lo * n) strides.unshift(s * (at[t]! / lo));
    lo *= n;
  }
  return strides;
}

/** One batch shape both operands' batch axes split over, or null when their splits do not nest (e.g. [2, 3] against [3, 2]). */
function commonBatch(a: Axes, b: Axes): { shape: number[]; a: number[]; b: number[] } | null {
  const at = [...new Set([...cuts(a), ...cuts(b)])].sort((x, y) => x - y);
  if (at.some((q, t) => t > 0 && q % at[t - 1]! !== 0)) return null;
  const shape = at.slice(1).map((q, t) => q / at[t]!).reverse();
  return { shape, a: refine(a, at), b: refine(b, at) };
}

/** The sources a matmul node needs realized: a pending view it reads in place is replaced by the view's source. */
export function matmulInputs(lb: LazyBuffer, spec: MatmulSpec): readonly LazyBuffer[] {
  const plan = matmulLaunch(lb, spec);
  return [plan.a, plan.b];
}

/**
 * The buffers and spec a matmul node launches with: each operand that is
 * still a pending view (and can be described by strides) is read in place
 * from its source; an operand already realized is read as it is. The
 * scheduler asks before the launch (matmulInputs) and the launch asks
 * again: an operand realized in between is then simply read as it is.
 */
export function matmulLaunch(lb: LazyBuffer, spec: MatmulSpec): { a: LazyBuffer; b: LazyBuffer; spec: MatmulSpec } {
  const [a, b] = lb.srcs as [LazyBuffer, LazyBuffer];
  if (spec.batch === 0 || spec.strides) return { a, b, spec };
  const { m, k, n } = spec;
  // Stored shapes: A is [m, k] or, transposed, [k, m]; B is [k, n] or [n, k].
  const [ra, ca] = spec.transA ? [k, m] : [m, k];
  const [rb, cb] = spec.transB ? [n, k] : [k, n];
  const va = pendingView(a);
  const vb = pendingView(b);
  const ma = va && asMatrices(va, ra, ca);
  const mb = vb && asMatrices(vb, rb, cb);
  if (!ma && !mb) return { a, b, spec };
  // An operand read as it is: contiguous matrices [rows, cols] one batch stride apart (0: broadcast).
  const plain = (stride: number, cols: number) => ({ batch: [{ n: spec.batch, s: stride }], row: cols, col: 1, offset: 0 });
  const A = ma ?? plain(spec.aBatchStride, ca);
  const B = mb ?? plain(spec.bBatchStride, cb);
  // A broadcast view (a batch of 1) has no batch axes of its own: stride 0 along the other's.
  const aAxes = ma && a.shape[0] === 1 ? [{ n: spec.batch, s: 0 }] : A.batch;
  const bAxes = mb && b.shape[0] === 1 ? [{ n: spec.batch, s: 0 }] : B.batch;
  const common = commonBatch(aAxes, bAxes);
  if (!common) return { a, b, spec };
  // op(X) transposed swaps which stored stride steps along its rows and which along its columns.
  const opA: OperandStrides = { offset: A.offset, batch: common.a, row: spec.transA ? A.col : A.row, col: spec.transA ? A.row : A.col };
  const opB: OperandStrides = { offset: B.offset, batch: common.b, row: spec.transB ? B.col : B.row, col: spec.transB ? B.row : B.col };
  const strides: MatmulStrides = { batchShape: common.shape, a: opA, b: opB };
  return { a: ma ? va!.base : a, b: mb ? vb!.base : b, spec: { ...spec, strides } };
}
