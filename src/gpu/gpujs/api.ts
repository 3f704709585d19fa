/**
 * The slice of gpu.js that dsmoe uses, typed. gpu.js ships loose typings
 * (most values are `any`), so this file is the one place where they are
 * pinned down; everything else in src/gpu/gpujs talks to these interfaces.
 * gpu.js itself is loaded here, lazily, so importing dsmoe never loads it.
 */

/** The gpu.js modes dsmoe can run kernels in. */
export const GPUJS_MODES = ['webgpu', 'headlessgl', 'webgl2', 'webgl', 'webasm', 'cpu'] as const;
export type GpujsMode = (typeof GPUJS_MODES)[number];

/** The kernel class each mode must run on: anything else is a silent fallback. */
export const KERNEL_CLASS: Record<GpujsMode, string> = {
  webgpu: 'WebGPUKernel',
  headlessgl: 'HeadlessGLKernel',
  webgl2: 'WebGL2Kernel',
  webgl: 'WebGLKernel',
  webasm: 'WebAssemblyKernel',
  cpu: 'CPUKernel',
};

/** A pipelined kernel output living on the device: a GL texture or a WebGPU buffer. */
export interface DeviceHandle {
  toArray(): Float32Array | Promise<Float32Array>;
  delete(): void;
}

/** On cpu and webasm a "pipelined" output is just a typed array in host memory. */
export type KernelOutput = Float32Array | DeviceHandle;
export type KernelArg = KernelOutput;

export interface KernelSettings {
  output: [number];
  constants: Record<string, number>;
  pipeline: boolean;
  immutable: boolean;
  tactic: 'precision';
  precision: 'single';
  loopMaxIterations: number;
}

/** What gpu.js's `createKernel` returns: a callable plus the kernel that actually runs. */
export interface RunnableKernel {
  (...args: KernelArg[]): KernelOutput | Promise<KernelOutput>;
  readonly kernel: { readonly constructor: { readonly name: string }; readonly fallbackReason?: string | null };
  destroy(removeCanvasReferences?: boolean): void;
}

export interface GpuInstance {
  createKernel(source: string, settings: KernelSettings): RunnableKernel;
  destroy(): void | Promise<void>;
}

interface GpuModule {
  GPU: { new (settings: { mode: GpujsMode }): GpuInstance; isWebGPUAvailable(): Promise<boolean> };
}

/** Loads gpu.js on first use (a dynamic import: the dependency stays unloaded until a gpujs backend starts). */
export async function loadGpujs(): Promise<GpuModule> {
  const mod = (await import('gpu.js')) as unknown as GpuModule & { default?: GpuModule };
  return mod.GPU ? mod : mod.default!;
}

export function isDeviceHandle(x: KernelOutput): x is DeviceHandle {
  return !(x instanceof Float32Array);
}
