/**
 * Counters that make the gpujs backend's promises testable: kernels are
 * compiled once per (primitive, shape signature), intermediates stay on the
 * device, and every kernel ran on the gpu.js class its mode asked for.
 */

export interface GpujsStats {
  /** Kernels compiled (cache misses, plus any recompilation gpu.js did on its own). */
  readonly compiles: number;
  /** Kernel launches, uploads included. */
  readonly kernelCalls: number;
  /** Device-to-host copies: reads the caller asked for, plus index reads scatter-add needs. */
  readonly readbacks: number;
  /** Host-to-device copies. */
  readonly uploads: number;
  /** Device buffers (textures, GPU buffers) allocated and not yet freed. */
  readonly liveBuffers: number;
  /** gpu.js kernel classes that have run (e.g. 'WebGPUKernel'), for asserting what executed. */
  readonly kernelClasses: readonly string[];
}

const counters = { compiles: 0, kernelCalls: 0, readbacks: 0, uploads: 0, liveBuffers: 0 };
const classes = new Set<string>();

export function countCompile(): void {
  counters.compiles++;
}
export function countCall(kernelClass: string): void {
  counters.kernelCalls++;
  classes.add(kernelClass);
}
export function countReadback(): void {
  counters.readbacks++;
}
export function countUpload(): void {
  counters.uploads++;
}
/** +1 when a device buffer is allocated, −1 when it is freed. */
export function countLive(delta: 1 | -1): void {
  counters.liveBuffers += delta;
}

/** A snapshot of the counters, summed over every started gpujs backend. Subtract two snapshots to measure a span. */
export function gpujsStats(): GpujsStats {
  return { ...counters, kernelClasses: [...classes].sort() };
}
