/**
 * A Job is one kernel launch, described by a kernel family (elementwise,
 * reduce, matmul, ...) and carried out by the backend: the cache key, how to
 * build the kernel on a miss, the arguments, and what the output is.
 */
import type { KernelSpec } from './cache.js';
import type { GpujsBuffer, GpujsDType } from './buffer.js';

export interface Job {
  /** The primitive and its shape signature: equal keys share one compiled kernel. */
  readonly key: string;
  readonly spec: () => KernelSpec;
  /** Tensors on the device, and small host arrays built per call (scatter-add's offsets). */
  readonly args: readonly (GpujsBuffer | Float32Array)[];
  readonly size: number;
  readonly dtype: GpujsDType;
}

/** The `function (names…) { body }` source of a kernel that computes output cell `t`. */
export function kernelSource(params: readonly string[], body: readonly string[]): string {
  return `function (${params.join(', ')}) {\n  const t = this.thread.x;\n  ${body.join('\n  ')}\n}`;
}
