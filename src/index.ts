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
export { tidy } from './tensor/tidy.js';
export type { DType, TypedArray } from './base/dtype.js';
export type { Shape } from './base/shape.js';
export { broadcastShapes } from './base/shape.js';
export { where } from './tensor/ops/elementwise.js';
export { cat, stack } from './tensor/ops/movement.js';
export { writeAt } from './tensor/ops/write.js';
export { softmax, logSoftmax, logsumexp, oneHot, crossEntropy, type Reduction } from './tensor/ops/functional.js';
export { gatherRows, scatterAddRows } from './tensor/ops/indexing.js';
export { bmm } from './tensor/ops/matmul.js';
export { groupedMatmul, groupedMatmulInner } from './tensor/ops/grouped-matmul.js';

export { backward, grad } from './autograd/backward.js';
export { gradcheck, type GradcheckOptions, type GradcheckReport } from './autograd/gradcheck.js';

export { setBackend, getBackend, startBackend, registerBackend, withBackend } from './gpu/registry.js';
export type { Backend, DeviceBuffer, MatmulSpec, GroupedMatmulSpec, ViewSpec, UnaryOp, BinaryOp, ReduceOp } from './gpu/backend.js';
export { CpuBackend } from './gpu/cpu/index.js';

export * from './nn/index.js';
export * from './moe/index.js';
// Training, evaluation, sampling and the checkpoint format (bytes in and out; the file helpers are the CLI's).
export * from './train/index.js';

// Data: tokenizers, document splits and batches (the Node-only corpus readers live in src/data/brown.ts and src/data/text-corpus.ts).
export type { TextDocument } from './data/document.js';
export { BROWN_GENRES, brownGenreOf, brownGenreName } from './data/brown-genres.js';
export { detagBrown } from './data/brown-detag.js';
export { ByteTokenizer } from './data/byte-tokenizer.js';
export { BpeTokenizer } from './data/bpe-tokenizer.js';
export { tokenizerFromJSON } from './data/tokenizer-json.js';
export type { Tokenizer, TokenizerJSON, ByteTokenizerJSON, BpeTokenizerJSON } from './data/tokenizer.js';
export { splitDocuments, type Split, type SplitOptions } from './data/split.js';
export { randomBatch, sequentialBatches, batchTensors, type TokenBatch } from './data/batches.js';
export {
  prepareCorpus, corpusOptionsFromJSON, cutDocument, concatTokens, bytesOf,
  type CorpusOptions, type PreparedCorpus, type Span, type TokenizerKind,
} from './data/corpus.js';

// The gpu.js backend: 'gpujs' and 'gpujs:<mode>' become known to setBackend; gpu.js itself loads only when one starts.
import { registerGpujs } from './gpu/gpujs/register.js';
registerGpujs();
export { gpujsStats, type GpujsStats } from './gpu/gpujs/stats.js';
export { GPUJS_MODES, type GpujsMode } from './gpu/gpujs/api.js';

// Checkpoints: safetensors bytes in and out (file helpers, Node only, are in src/io/fs.ts).
export {
  encodeSafetensors, decodeSafetensors, MAX_HEADER_BYTES,
  type SafetensorsTensor, type SafetensorsInput, type SafetensorsFile,
} from './io/safetensors.js';
export { SAFETENSORS_DTYPES, type SafetensorsDType, type SafetensorsArray } from './io/safetensors-dtype.js';
export { stateDictToSafetensors, loadSafetensorsInto, safetensorsToTensors, type LoadOptions } from './io/state-dict.js';
export {
  LM_FORMAT, LM_FORMAT_VERSION, FORMAT_VERSION_KEY, KNOWN_FORMAT_VERSIONS, formatVersionOf, fileTensorName, toFileNames, toModuleNames, formatMetadata, formatVersionFor, usesRoutingExtensions,
} from './io/checkpoint-names.js';
export { halfToFloat32, float32ToHalf } from './io/half.js';

// Charts as standalone SVG strings (training curves, expert load, expert use by genre).
export {
  lineChart, heatmap, barChart, PALETTE, niceTicks, viridis,
  type LineChartOptions, type LineSeries, type HeatmapOptions, type BarChartOptions, type BarSeries,
} from './io/svg.js';

// The WebAssembly SIMD backend: setBackend('wasm') (a thread per core) or 'wasm:<threads>'; its kernels are emitted and compiled when one starts.
export type { WasmBackend } from './gpu/wasm/index.js';
