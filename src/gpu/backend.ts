/**
 * The Backend contract: the small, fixed set of primitive kernels that every
 * tensor op and every backward rule is composed from. A new device is only
 * these methods. All buffers are contiguous and row-major; shapes travel with
 * the calls, so a kernel never has to guess a layout.
 *
 * A method may return its result directly (cpu, gpu.js cpu/webasm/webgl) or
 * as a Promise (gpu.js webgpu, whose kernels are asynchronous); `realize`
 * awaits only when it has to.
 */
import type { DType, TypedArray } from '../base/dtype.js';
import type { Shape } from '../base/shape.js';

export type Maybe<T> = T | Promise<T>;

/** A buffer that lives on a device. Backends subclass it with their own storage. */
export interface DeviceBuffer {
  readonly dtype: DType;
  readonly size: number;
}

export const UNARY_OPS = ['neg', 'exp', 'log', 'sqrt', 'abs', 'tanh', 'sigmoid', 'relu', 'gelu', 'silu', 'sign', 'sin', 'cos'] as const;
export type UnaryOp = (typeof UNARY_OPS)[number];

/** Comparisons return 1 or 0 in the operands' dtype. */
export const BINARY_OPS = ['add', 'sub', 'mul', 'div', 'pow', 'max', 'min', 'eq', 'ne', 'lt', 'le', 'gt', 'ge'] as const;
export type BinaryOp = (typeof BINARY_OPS)[number];

export type ReduceOp = 'sum' | 'max' | 'min';
export type ArgReduceOp = 'argmax' | 'argmin';

/**
 * A strided read with zero padding, the one movement primitive: for each
 * output multi-index i, the value is 0 when some i_d lies outside
 * [lo_d, hi_d), else src[offset + Σ_d i_d·strides_d]. Transpose, permute,
 * expand (stride 0), slice (offset) and pad (window) are all instances.
 */
export interface ViewSpec {
  readonly shape: Shape;
  readonly strides: readonly number[];
  readonly offset: number;
  /** Valid window per axis; absent means the whole axis is valid. */
  readonly window?: readonly (readonly [number, number])[];
}

/**
 * An in-place strided write, the one mutating primitive (a KV cache's
 * append): for each multi-index i of `shape` (the source's shape),
 * dst[offset + Σ_d i_d·strides_d] = src[flat(i)]. It returns dst itself;
 * everything else in the graph stays immutable, so the op layer donates
 * dst to the result (ops/write.ts).
 */
export interface WriteSpec {
  readonly shape: Shape;
  readonly strides: readonly number[];
  readonly offset: number;
}

/**
 * Batched matmul: for each b < batch, C_b (m×n) = op(A_b) · op(B_b) with
 * op(A) = A (m×k, stored m×k) or Aᵀ (stored k×m) when transA. A batch stride
 * of 0 broadcasts one operand across the batch.
 */
export interface MatmulSpec {
  readonly batch: number;
  readonly m: number;
  readonly k: number;
  readonly n: number;
  readonly transA: boolean;
  readonly transB: boolean;
  readonly aBatchStride: number;
  readonly bBatchStride: number;
  /**
   * Present when an operand is a view read in place (a permuted
   * [B, S, H, D] as [B·H, S, D]): it replaces the trans flags and batch
   * strides as the description of where the operands lie. See MatmulStrides.
   */
  readonly strides?: MatmulStrides;
}

/**
 * Where op(A) and op(B) lie in their buffers, in elements: the batch index
 * b < batch is split row-major over `batchShape` (b_0, b_1, …), and
 *   op(A_b)[i, p] = a[a.offset + Σ_d b_d·a.batch[d] + i·a.row + p·a.col]
 *   op(B_b)[p, j] = b[b.offset + Σ_d b_d·b.batch[d] + p·b.row + j·b.col].
 * A plain spec is the special case of one batch axis, offset 0 and
 * (row, col) = (k, 1) for A, (1, m) for Aᵀ (matmulStrides in matmul-strides.ts).
 * C is always written contiguous, [batch, m, n].
 */
export interface MatmulStrides {
  readonly batchShape: readonly number[];
  readonly a: OperandStrides;
  readonly b: OperandStrides;
}

export interface OperandStrides {
  readonly offset: number;
  /** One stride per axis of batchShape (0 broadcasts the operand along it). */
  readonly batch: readonly number[];
  readonly row: number;
  readonly col: number;
}

/**
 * Grouped matmul, the expert GEMM of a Mixture of Experts (MegaBlocks'
 * grouped GEMM, PyTorch's torch._grouped_mm): the rows of the operands are
 * cut into G consecutive groups by int32 `offsets` [G + 1],
 * 0 = o_0 ≤ o_1 ≤ … ≤ o_G = rows, and group g (rows o_g ≤ r < o_{g+1})
 * meets its own matrix. Empty groups are allowed.
 *
 *   'rows'   A [rows, k] → C [rows, n],  C_g = A_g · op(B_g), where element
 *            (p, j) of the k×n matrix op(B_g) is B[g·s0 + p·s1 + j·s2] for
 *            bStrides (s0, s1, s2): stacked matrices, transposed or not, or
 *            the column blocks of one matrix (grouped-layout.ts), read in place
 *   'inner'  A [rows, m], B [rows, n] → C [G, m, n],
 *            C_g = A_gᵀ · B_g       (the groups cut the summed axis: the
 *                                   weight gradient of 'rows'; 0 for an empty group)
 *
 * Two fusions of 'rows', for an MoE's dispatch (GroupedMatmulExtras):
 * with `aRows`, A is [aRows, k] and row r of the product is A[rowIndex[r]]
 * (the gather of the tokens in expert order, done while A is read, as in
 * ScatterMoE); with `bias`, C_g = A_g·op(B_g) + 1·bias_gᵀ for a bias
 * [G, n], one row per group (each expert's own b1).
 */
export type GroupedMatmulSpec =
  | {
    readonly kind: 'rows'; readonly groups: number; readonly rows: number; readonly k: number; readonly n: number; readonly bStrides: readonly [number, number, number];
    readonly aRows?: number; readonly bias?: boolean;
  }
  | { readonly kind: 'inner'; readonly groups: number; readonly rows: number; readonly m: number; readonly n: number };

/** The extra operands of a fused 'rows' grouped matmul: int32 rowIndex [rows] when spec.aRows is set, bias [G, n] when spec.bias is. */
export interface GroupedMatmulExtras {
  readonly rowIndex?: DeviceBuffer;
  readonly bias?: DeviceBuffer;
}

/**
 * The fused row kernels (optional): each is the value of a chain of
 * primitives over the rows of a contiguous [rows, n] buffer, in one call.
 * A decoding step of a small model is hundreds of tiny ops whose cost is
 * the call, not the arithmetic; softmax (8 primitives with its −∞ guard), a
 * norm (7) and rotary (10) are most of them. The op layer uses a fused
 * kernel where the backend has it (ops/fused.ts): softmax and the norms
 * only where no gradient is wanted (training runs their composites, whose
 * gradients come from the primitives' rules); rotary in training too, its
 * gradient being the same kernel with sin negated.
 */
export interface NormRowsSpec {
  /** 'rms': x/√(mean x² + ε)·w; 'layer': (x − mean)/√(var + ε)·w + b. */
  readonly kind: 'rms' | 'layer';
  readonly rows: number;
  readonly n: number;
  readonly eps: number;
}

/**
 * softmax over each row of a contiguous [rows, n] buffer, with what
 * attention puts around it folded in: a scale on the scores (1/√D) and the
 * causal mask (row r sees only its first past + (r mod period) + 1 columns,
 * queries cycling through `period` positions; the rest come out 0).
 */
export interface SoftmaxRowsSpec {
  readonly rows: number;
  readonly n: number;
  /** x is multiplied by it first; > 0. Default 1. */
  readonly scale?: number;
  readonly causal?: { readonly period: number; readonly past: number };
}

/**
 * Rotate-half rotary over rows of d features: row r uses row
 * ⌊r / repeat⌋ mod period of the [period, d/2] cos and sin tables.
 */
export interface RotaryRowsSpec {
  readonly rows: number;
  readonly d: number;
  readonly repeat: number;
  readonly period: number;
}

export interface Backend {
  /** The name `getBackend()` reports, e.g. 'cpu' or 'gpujs:webgpu'. */
  readonly name: string;
  readonly dtypes: readonly DType[];

  upload(data: TypedArray): DeviceBuffer;
  read(buf: DeviceBuffer): Promise<TypedArray>;
  /** Synchronous readback, where the device allows it (absent on webgpu). */
  readSync?(buf: DeviceBuffer): TypedArray;
  dispose(buf: DeviceBuffer): void;
  /**
   * For devices whose memory the garbage collector cannot see (a wasm heap,
   * GPU textures): true when enough has been allocated since the last check
   * that the dead tensors' buffers should be reclaimed. The asynchronous
   * realize then lets the event loop turn once, which is when the
   * FinalizationRegistry that frees them runs (a loop of bare awaits never
   * gives it that chance).
   */
  wantsReclaim?(): boolean;

  unary(op: UnaryOp, x: DeviceBuffer): Maybe<DeviceBuffer>;
  /** Elementwise with NumPy broadcasting of aShape and bShape to outShape. */
  binary(op: BinaryOp, a: DeviceBuffer, aShape: Shape, b: DeviceBuffer, bShape: Shape, outShape: Shape): Maybe<DeviceBuffer>;
  /** cond ≠ 0 ? a : b, all three broadcast to outShape. */
  where(cond: DeviceBuffer, cShape: Shape, a: DeviceBuffer, aShape: Shape, b: DeviceBuffer, bShape: Shape, outShape: Shape): Maybe<DeviceBuffer>;
  /** x viewed as [outer, n, inner], reduced over n → [outer, inner]. */
  reduce(op: ReduceOp, x: DeviceBuffer, outer: number, n: number, inner: number): Maybe<DeviceBuffer>;
  /** As reduce, but the int32 index of the extreme (first one on ties). */
  argReduce(op: ArgReduceOp, x: DeviceBuffer, outer: number, n: number, inner: number): Maybe<DeviceBuffer>;
  /** x is [rows, n]: int32 indices [rows, k] of the k largest, descending, lower index first on ties. */
  topk(x: DeviceBuffer, rows: number, n: number, k: number): Maybe<DeviceBuffer>;
  matmul(a: DeviceBuffer, b: DeviceBuffer, spec: MatmulSpec): Maybe<DeviceBuffer>;
  /** See GroupedMatmulSpec; `offsets` is int32 [groups + 1]. */
  groupedMatmul(a: DeviceBuffer, b: DeviceBuffer, offsets: DeviceBuffer, spec: GroupedMatmulSpec, extras?: GroupedMatmulExtras): Maybe<DeviceBuffer>;
  /** src is [rows, cols]; out[i] = src[idx[i]] → [idx.size, cols]. */
  gather(src: DeviceBuffer, rows: number, cols: number, idx: DeviceBuffer): Maybe<DeviceBuffer>;
  /** src is [idx.size, cols]; out[r] = Σ_{i: idx[i]=r} src[i], summed in increasing i → [outRows, cols]. */
  scatterAdd(src: DeviceBuffer, cols: number, idx: DeviceBuffer, outRows: number): Maybe<DeviceBuffer>;
  view(x: DeviceBuffer, spec: ViewSpec): Maybe<DeviceBuffer>;
  /**
   * Writes src into dst in place and returns dst. Optional: a backend whose
   * kernels can only write whole outputs (gpu.js) leaves it out, and the op
   * layer composes the same result from view and where instead.
   */
  write?(dst: DeviceBuffer, src: DeviceBuffer, spec: WriteSpec): DeviceBuffer;
  cast(x: DeviceBuffer, to: DType): Maybe<DeviceBuffer>;

  /** softmax along each row of x [rows, n] (SoftmaxRowsSpec), shifted by the row max (by 0 when the max is ±∞). Optional (see NormRowsSpec). */
  softmaxRows?(x: DeviceBuffer, spec: SoftmaxRowsSpec): DeviceBuffer;
  /** RMSNorm or LayerNorm of each row; weight [n] and bias [n] when given. Optional. */
  normRows?(x: DeviceBuffer, spec: NormRowsSpec, weight?: DeviceBuffer, bias?: DeviceBuffer): DeviceBuffer;
  /** (x1, x2) → (x1·cos − x2·sin, x2·cos + x1·sin) on the two halves of each row. Optional. */
  rotaryRows?(x: DeviceBuffer, cos: DeviceBuffer, sin: DeviceBuffer, spec: RotaryRowsSpec): DeviceBuffer;
}
