/**
 * The wasm backend's one module: every kernel, assembled at run time from
 * the emitters, compiled once, and instantiated on the shared memory by the
 * main thread and by each worker.
 */
import { assemble } from './emit.js';
import { GEMM, gemmFuncs } from './gemm-kernel.js';
import { elementwiseFuncs } from './elementwise-kernel.js';
import { indexingFuncs } from './indexing-kernel.js';
import { reduceFuncs } from './reduce-kernel.js';
import { softmaxFunc } from './softmax-kernel.js';
import { gemvFuncs } from './gemv-kernel.js';
import { Heap } from './heap.js';

export type Kernel = (...args: number[]) => void;

export interface Kernels {
  readonly module: WebAssembly.Module;
  /** Export names in a fixed order (workers address kernels by index into it). */
  readonly names: readonly string[];
  readonly fn: Readonly<Record<string, Kernel>>;
}

export function buildKernels(memory: WebAssembly.Memory): Kernels {
  // gemm calls packA, packB and the macro-kernel by index, so they come first.
  const funcs = [...gemmFuncs(GEMM, 0), ...elementwiseFuncs(), ...reduceFuncs(), ...indexingFuncs(), softmaxFunc(), ...gemvFuncs()];
  const module = new WebAssembly.Module(assemble(funcs, Heap.maxPages));
  const instance = new WebAssembly.Instance(module, { env: { mem: memory } });
  return { module, names: funcs.map((f) => f.name), fn: instance.exports as unknown as Record<string, Kernel> };
}
