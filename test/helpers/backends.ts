/**
 * Every backend CI runs, by the name setBackend takes and getBackend()
 * reports: the cpu reference, the wasm backend on one thread and on a
 * thread per core, and gpu.js in each mode a GPU-less Linux machine has
 * (test/setup/gpu-env.ts prepares headlessgl and webgpu). A backend that
 * cannot start is a failure, never a skip.
 */
import { setBackend } from '../../src/index.js';

export const ALL_BACKENDS = ['cpu', 'wasm:1', 'wasm', 'gpujs:cpu', 'gpujs:webasm', 'gpujs:headlessgl', 'gpujs:webgpu'] as const;
export type BackendName = (typeof ALL_BACKENDS)[number];

/** Starts each named backend (once per worker), checks it is the one asked for, and leaves cpu current. */
export async function startBackends<T extends string>(names: readonly T[]): Promise<T[]> {
  for (const name of names) {
    const be = await setBackend(name);
    if (be.name !== name) throw new Error(`setBackend('${name}') started ${be.name}`);
  }
  await setBackend('cpu');
  return [...names];
}

/**
 * The gpu.js modes that run kernels on a software device here (llvmpipe,
 * SwiftShader), where each new shape costs a shader compile: properties
 * keep their shapes few there, so that kernels are reused.
 */
export function isSoftwareGpu(name: string): boolean {
  return name === 'gpujs:headlessgl' || name === 'gpujs:webgpu';
}
