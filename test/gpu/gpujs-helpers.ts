/**
 * Shared by the gpujs suites: the modes CI runs (each must start: a mode that
 * cannot is a failure, never a skip) and the cpu oracle. Closeness is
 * test/helpers/close.ts's, values are test/helpers/arbitraries.ts's.
 */
import fc from 'fast-check';
import { expect } from 'vitest';
import { startBackend } from '../../src/index.js';
import type { Backend, DeviceBuffer, Maybe } from '../../src/gpu/backend.js';
import { CpuBackend } from '../../src/gpu/cpu/index.js';
import { KERNEL_CLASS, type GpujsMode } from '../../src/gpu/gpujs/api.js';
import { GpujsBackend } from '../../src/gpu/gpujs/backend.js';
import type { TypedArray } from '../../src/base/dtype.js';

/** Every gpu.js mode that can run on a GPU-less Linux CI machine (docs/gpu-setup.md). */
export const CI_MODES: readonly GpujsMode[] = ['cpu', 'webasm', 'headlessgl', 'webgpu'];

export const cpu = new CpuBackend();

/** Starts (once per worker) the gpujs backend pinned to `mode`. */
export async function gpujs(mode: GpujsMode): Promise<GpujsBackend> {
  const be = await startBackend(`gpujs:${mode}`);
  if (!(be instanceof GpujsBackend)) throw new Error(`gpujs:${mode} started a ${be.constructor.name}`);
  return be;
}

/** The kernel class a mode must run on. */
export function expectRanOn(be: GpujsBackend): void {
  expect(be.kernelClass).toBe(KERNEL_CLASS[be.mode]);
}

/** Runs one primitive on `be` over host inputs and reads the result back. */
export async function runOn(be: Backend, inputs: readonly TypedArray[], op: (b: Backend, bufs: DeviceBuffer[]) => Maybe<DeviceBuffer>): Promise<TypedArray> {
  const bufs = inputs.map((x) => be.upload(x));
  const out = await op(be, bufs);
  return be.read(out);
}

/** The same primitive on the cpu oracle and on `be`; returns both results. */
export async function both(be: Backend, inputs: readonly TypedArray[], op: (b: Backend, bufs: DeviceBuffer[]) => Maybe<DeviceBuffer>): Promise<{ got: TypedArray; want: TypedArray }> {
  return { got: await runOn(be, inputs, op), want: await runOn(cpu, inputs, op) };
}

/** A shape of rank 0…maxRank with dims 1…maxDim. */
export function shapeArb(maxRank = 3, maxDim = 5): fc.Arbitrary<number[]> {
  return fc.integer({ min: 0, max: maxRank }).chain((r) => fc.array(fc.integer({ min: 1, max: maxDim }), { minLength: r, maxLength: r }));
}

export const sizeOf = (s: readonly number[]): number => s.reduce((n, d) => n * d, 1);

/** Fewer runs on the software GPUs, whose compiles dominate: every new shape is a new kernel. */
export function runsFor(mode: GpujsMode): number {
  return mode === 'webgpu' || mode === 'headlessgl' ? 10 : 15;
}
