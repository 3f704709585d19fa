/**
 * dsmoe: a tensor engine with reverse-mode autograd whose kernels run through
 * gpu.js, and on it DS-MoE (dense training, sparse inference).
 */
import './autograd/backward.js';

export { Tensor, realize, type GradNode, type NestedArray, type TensorLike } from './tensor/tensor.js';
export {
  tensor, fromData, zeros, ones, full, arange, rand, randn,
  zerosLike, onesLike, fullLike, randLike, randnLike,
  type TensorOptions, type RandomOptions, type NestedNumbers,
} from './tensor/create.js';
export { manualSeed, Generator, defaultGenerator } from './tensor/random.js';
export { noGrad, enableGrad, isGradEnabled, setDebug } from './tensor/grad-mode.js';
export type { DType, TypedArray } from './tensor/dtype.js';
export type { Shape } from './tensor/shape.js';
export { broadcastShapes } from './tensor/shape.js';
export { where } from './tensor/ops/elementwise.js';
export { cat, stack } from './tensor/ops/movement.js';
export { softmax, logSoftmax, logsumexp, oneHot, crossEntropy, type Reduction } from './tensor/ops/functional.js';
export { gatherRows, scatterAddRows } from './tensor/ops/indexing.js';
export { bmm } from './tensor/ops/matmul.js';

export { backward, grad } from './autograd/backward.js';
export { gradcheck, type GradcheckOptions, type GradcheckReport } from './autograd/gradcheck.js';

export { setBackend, getBackend, startBackend, registerBackend, withBackend } from './gpu/registry.js';
export type { Backend, DeviceBuffer, MatmulSpec, ViewSpec, UnaryOp, BinaryOp, ReduceOp } from './gpu/backend.js';
export { CpuBackend } from './gpu/cpu/index.js';

export * from './nn/index.js';
export * from './moe/index.js';
