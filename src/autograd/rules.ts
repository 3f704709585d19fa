/**
 * One backward rule per differentiable primitive, written in tensor ops (so
 * gradients run on any backend and can themselves be differentiated). Each
 * rule gets the output's gradient g, the output, and the inputs, and returns
 * one gradient per input (null where there is none). Broadcasting in the
 * forward pass is a sum in the backward pass: `unbroadcast`.
 */
import type { GradOp } from '../tensor/grad-op.js';
import type { Tensor } from '../tensor/tensor.js';
import { broadcastedAxes, type Shape } from '../base/shape.js';
import { where } from '../tensor/ops/elementwise.js';
import { bmm } from '../tensor/ops/matmul.js';
import { groupedMatmul, groupedMatmulInner } from '../tensor/ops/grouped-matmul.js';
import { pad, shrink } from '../tensor/ops/movement.js';
import { gatherRows, scatterAddRows } from '../tensor/ops/indexing.js';
import { ones } from '../tensor/create.js';
import { reduce } from '../tensor/ops/reduce.js';
import { rotaryRows } from '../tensor/ops/fused.js';

export type Grads = (Tensor | null)[];
export type Rule = (g: Tensor, out: Tensor, x: readonly Tensor[], needs: readonly boolean[]) => Grads;

/** Sums g over the axes that broadcasting stretched, back to `shape`. */
export function unbroadcast(g: Tensor, shape: Shape): Tensor {
  const axes = broadcastedAxes(shape, g.shape);
  if (axes.length === 0) return g;
  return reduce('sum', g, axes, true).reshape(shape);
}

const SQRT_2_OVER_PI = Math.sqrt(2 / Math.PI);

/** d/dx of the tanh-approximated GELU: 0.5(1+t) + 0.5·x·(1−t²)·√(2/π)(1 + 3·0.044715·x²). */
function geluGrad(x: Tensor): Tensor {
  const x2 = x.mul(x);
  const t = x.add(x2.mul(x).mul(0.044715)).mul(SQRT_2_OVER_PI).tanh();
  const dInner = x2.mul(3 * 0.044715).add(1).mul(SQRT_2_OVER_PI);
  return t.add(1).mul(0.5).add(x.mul(0.5).mul(t.mul(t).neg().add(1)).mul(dInner));
}

function unaryRule(op: Extract<GradOp, { kind: 'unary' }>['op'], g: Tensor, out: Tensor, x: Tensor): Tensor | null {
  switch (op) {
    case 'neg': return g.neg();
    case 'exp': return g.mul(out); //                      d eˣ = eˣ
    case 'log': return g.div(x); //                        d log x = 1/x
    case 'sqrt': return g.div(out.mul(2)); //              d √x = 1/(2√x)
    case 'abs': return g.mul(x.sign());
    case 'tanh': return g.mul(out.mul(out).neg().add(1)); // 1 − tanh²
    case 'sigmoid': return g.mul(out.mul(out.neg().add(1))); // σ(1−σ)
    case 'relu': return g.mul(x.gt(0));
    case 'gelu': return g.mul(geluGrad(x));
    case 'silu': {
      const s = x.sigmoid(); //                            d x·σ(x) = σ + x·σ(1−σ)
      return g.mul(s.add(x.mul(s).mul(s.neg().add(1))));
    }
    case 'sign': return null;
    case 'sin': return g.mul(x.cos());
    case 'cos': return g.mul(x.sin()).neg();
  }
}

function binaryRule(op: Extract<GradOp, { kind: 'binary' }>['op'], g: Tensor, out: Tensor, a: Tensor, b: Tensor, needs: readonly boolean[]): Grads {
  switch (op) {
    case 'add': return [g, g];
    case 'sub': return [g, g.neg()];
    case 'mul': return [g.mul(b), g.mul(a)];
    case 'div': return [g.div(b), needs[1] ? g.mul(a).div(b.mul(b)).neg() : null];
    case 'pow': // d aᵇ/da = b·aᵇ⁻¹, d aᵇ/db = aᵇ·log a
      return [g.mul(b).mul(a.pow(b.sub(1))), needs[1] ? g.mul(out).mul(a.log()) : null];
    case 'max':
    case 'min': {
      // The winner takes the gradient; a tie splits it evenly (as tinygrad does).
      const aWins = op === 'max' ? a.gt(b) : a.lt(b);
      const share = aWins.add(a.eq(b).mul(0.5));
      return [g.mul(share), g.mul(share.neg().add(1))];
    }
    default: return [null, null]; // comparisons are piecewise constant
  }
}

/** C = op(A)·op(B): dop(A) = G·op(B)ᵀ, dop(B) = op(A)ᵀ·G, transposed back into each operand's layout. */
function matmulRule(g: Tensor, a: Tensor, b: Tensor, transA: boolean, transB: boolean, needs: readonly boolean[]): Grads {
  const da = !needs[0] ? null : transA ? bmm(b, g, transB, true) : bmm(g, b, false, !transB);
  const db = !needs[1] ? null : transB ? bmm(g, a, true, transA) : bmm(a, g, !transA, false);
  // A batch of 1 was broadcast over the batch: its gradient sums over it.
  const fold = (d: Tensor | null, t: Tensor): Tensor | null => (d && t.shape[0] === 1 && d.shape[0] !== 1 ? reduce('sum', d, 0, true) : d);
  return [fold(da, a), fold(db, b)];
}

/**
 * Grouped matmul, group by group the matmul rule, so each form's gradients
 * are the other form (o: the offsets, which get none):
 *   rows   C_g = A_g·B_g   : dA_g = G_g·B_gᵀ (rows, transB)   dB_g = A_gᵀ·G_g (inner)
 *   rows   C_g = A_g·B_gᵀ  : dA_g = G_g·B_g  (rows)           dB_g = G_gᵀ·A_g (inner)
 *   inner  C_g = A_gᵀ·B_g  : dA_g = B_g·G_gᵀ (rows, transB)   dB_g = A_g·G_g  (rows)
 * 'inner' stacks the dB_g as [G, K1, K2]; a B stored as column blocks
 * [K1, G·K2] gets them moved side by side. The fusions differentiate as
 * what they fuse: a gathered A's rows scatter-add their gradient back to
 * the rows they came from (and dB_g reads A_g as the product saw it), and
 * group g's bias gets the sum of its rows of G.
 */
function groupedMatmulRule(g: Tensor, x: readonly Tensor[], op: Extract<GradOp, { kind: 'groupedMatmul' }>, needs: readonly boolean[]): Grads {
  const [a, b, o] = x as [Tensor, Tensor, Tensor];
  if (op.inner) {
    return [needs[0] ? groupedMatmul(b, g, o, { transB: true }) : null, needs[1] ? groupedMatmul(a, g, o) : null, null];
  }
  const rowIndex = op.gathered ? x[3]! : undefined;
  const rows = rowIndex ? gatherRows(a, rowIndex) : a; // A_g as the product saw it
  let da = needs[0] ? groupedMatmul(g, b, o, { transB: !op.transB }) : null;
  if (da && rowIndex) da = scatterAddRows(da, rowIndex, a.shape[0]!);
  let db = needs[1] ? (op.transB ? groupedMatmulInner(g, rows, o) : groupedMatmulInner(rows, g, o)) : null;
  if (db && op.columns) db = db.permute([1, 0, 2]).reshape(b.shape);
  const grads: Grads = [da, db, null];
  if (rowIndex) grads.push(null);
  if (op.bias) {
    const at = grads.length;
    grads.push(needs[at] ? groupedMatmulInner(ones([g.shape[0]!, 1], { backend: g.backend, dtype: g.dtype }), g, o).reshape(x[at]!.shape) : null);
  }
  return grads;
}

export function backwardRule(op: GradOp, g: Tensor, out: Tensor, x: readonly Tensor[], needs: readonly boolean[]): Grads {
  const [a, b] = x as [Tensor, Tensor];
  switch (op.kind) {
    case 'unary': return [unaryRule(op.op, g, out, a)];
    case 'binary': return binaryRule(op.op, g, out, a, b, needs).map((d, i) => (d ? unbroadcast(d, x[i]!.shape) : null));
    case 'where': {
      const [cond, p, q] = x as [Tensor, Tensor, Tensor];
      return [null, needs[1] ? unbroadcast(where(cond, g, 0), p.shape) : null, needs[2] ? unbroadcast(where(cond, 0, g), q.shape) : null];
    }
    case 'reduce': {
      if (op.op === 'sum') return [g.expand(a.shape)];
      // Every element equal to the extreme shares its gradient equally.
      const hit = a.eq(out);
      return [g.mul(hit).div(reduce('sum', hit, op.axis, true))];
    }
    case 'matmul': return matmulRule(g, a, b, op.transA, op.transB, needs);
    case 'groupedMatmul': return groupedMatmulRule(g, x, op, needs);
    case 'gather': return [scatterAddRows(g, b, a.shape[0]!), null];
    case 'scatterAdd': return [gatherRows(g, b), null];
    case 'reshape': return [g.reshape(a.shape)];
    case 'permute': return [g.permute(op.perm.map((_, i) => op.perm.indexOf(i)))];
    case 'expand': return [unbroadcast(g, a.shape)];
    case 'slice': return [pad(g, a.shape.map((d, i) => [op.starts[i]!, d - op.ends[i]!] as const))];
    case 'pad': return [shrink(g, op.before, a.shape.map((d, i) => op.before[i]! + d))];
    case 'cast': return [g.cast(a.dtype)];
    case 'transfer': return [g.to(a.backend)];
    // A rotation's transpose is the rotation back: the same kernel with sin negated. The tables get no gradient.
    case 'rotary': return [rotaryRows(g, x[1]!, x[2]!.neg(), op.spec), null, null];
  }
}
