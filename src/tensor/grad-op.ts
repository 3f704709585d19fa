/**
 * The differentiable primitives, as autograd sees them. The op front-end
 * records one of these on every tensor it makes while gradients are on;
 * `src/autograd/rules.ts` holds one backward rule per kind. Movement ops are
 * recorded at this level (permute, expand, slice, pad) rather than as the
 * strided view they run as, because each has a simple inverse.
 */
import type { BinaryOp, ReduceOp, RotaryRowsSpec, UnaryOp } from '../gpu/backend.js';

export type GradOp =
  | { readonly kind: 'unary'; readonly op: UnaryOp }
  | { readonly kind: 'binary'; readonly op: BinaryOp }
  | { readonly kind: 'where' }
  /** Reduce one axis, keeping it as size 1. */
  | { readonly kind: 'reduce'; readonly op: ReduceOp; readonly axis: number }
  /** Rank-3 batched matmul; a batch of 1 broadcasts. */
  | { readonly kind: 'matmul'; readonly transA: boolean; readonly transB: boolean }
  /** Grouped matmul (ops/grouped-matmul.ts): 'rows' (B stacked or as column blocks, transB or not) or 'inner'; inputs A, B, offsets. */
  | { readonly kind: 'groupedMatmul'; readonly inner: boolean; readonly transB: boolean; readonly columns: boolean; readonly gathered: boolean; readonly bias: boolean }
  | { readonly kind: 'gather' }
  | { readonly kind: 'scatterAdd'; readonly outRows: number }
  | { readonly kind: 'reshape' }
  | { readonly kind: 'permute'; readonly perm: readonly number[] }
  | { readonly kind: 'expand' }
  | { readonly kind: 'slice'; readonly starts: readonly number[]; readonly ends: readonly number[] }
  | { readonly kind: 'pad'; readonly before: readonly number[]; readonly after: readonly number[] }
  | { readonly kind: 'cast' }
  | { readonly kind: 'transfer' }
  /** The fused rotary (ops/fused.ts), inputs x, cos, sin: a rotation, whose gradient is the rotation back (the tables are constants). */
  | { readonly kind: 'rotary'; readonly spec: RotaryRowsSpec };
