/**
 * Starting gpu.js in a mode, and proving it started. gpu.js picks a kernel
 * class per mode and, when that class cannot run, quietly degrades to its
 * cpu kernel; so a mode counts as started only after a probe kernel has run
 * on the class the mode names and computed the right values.
 */
import { ensureNavigatorGpu, hasWebGpuAdapter } from './dawn.js';
import { GPUJS_MODES, KERNEL_CLASS, loadGpujs, type GpuInstance, type GpujsMode, type KernelOutput } from './api.js';

const isNode = typeof process !== 'undefined' && !!process.versions?.node;

/** The order `setBackend('gpujs')` tries modes in: fastest device first. */
export function preferredModes(): GpujsMode[] {
  return isNode ? ['webgpu', 'headlessgl', 'webasm', 'cpu'] : ['webgpu', 'webgl2', 'webgl', 'webasm', 'cpu'];
}

export function parseMode(name: string): GpujsMode | 'auto' {
  const [, mode] = name.split(':');
  if (mode === undefined) return 'auto';
  if ((GPUJS_MODES as readonly string[]).includes(mode)) return mode as GpujsMode;
  throw new Error(`setBackend: unknown gpujs mode '${mode}' (modes: ${GPUJS_MODES.join(', ')}; or plain 'gpujs' for the best that works)`);
}

const HINTS: Partial<Record<GpujsMode, string>> = {
  headlessgl: 'headlessgl needs the `gl` package built for this Node and an X display (e.g. Xvfb :99 with DISPLAY=:99)',
  webgpu: 'webgpu in Node needs the `webgpu` package and a Vulkan driver (libvulkan1; on a machine without a GPU, SwiftShader: VK_ICD_FILENAMES=/usr/lib/chromium/vk_swiftshader_icd.json)',
};

/** A GPU instance whose kernels run on `mode`'s own class; throws naming the mode and the reason otherwise. */
export async function startMode(mode: GpujsMode): Promise<GpuInstance> {
  try {
    if (mode === 'webgpu') {
      await ensureNavigatorGpu();
      if (!(await hasWebGpuAdapter())) throw new Error('navigator.gpu.requestAdapter() gave no adapter');
    }
    const { GPU } = await loadGpujs();
    const gpu = new GPU({ mode });
    await probe(gpu, mode);
    return gpu;
  } catch (e) {
    const hint = HINTS[mode] ? ` (${HINTS[mode]})` : '';
    throw new Error(`gpujs:${mode} cannot start: ${(e as Error).message}${hint}`);
  }
}

/** Runs x ↦ 2x + 1 over 4 values on the mode's kernel class, or throws. */
async function probe(gpu: GpuInstance, mode: GpujsMode): Promise<void> {
  const k = gpu.createKernel('function (x) { return x[this.thread.x] * 2 + 1; }', {
    output: [4], constants: {}, pipeline: true, immutable: true, tactic: 'precision', precision: 'single', loopMaxIterations: 1000,
  });
  try {
    const out: KernelOutput = await k(new Float32Array([0, 1, 2, 3]));
    const ran = k.kernel.constructor.name;
    if (ran !== KERNEL_CLASS[mode] || k.kernel.fallbackReason) {
      throw new Error(`gpu.js ran ${ran} instead of ${KERNEL_CLASS[mode]}${k.kernel.fallbackReason ? `: ${k.kernel.fallbackReason}` : ''}`);
    }
    const values = out instanceof Float32Array ? out : await out.toArray();
    if (!(out instanceof Float32Array)) out.delete();
    if ([1, 3, 5, 7].some((v, i) => values[i] !== v)) throw new Error(`the probe kernel computed [${[...values].join(', ')}], not [1, 3, 5, 7]`);
  } finally {
    k.destroy();
  }
}
