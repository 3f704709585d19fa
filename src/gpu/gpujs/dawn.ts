/**
 * WebGPU in Node: gpu.js looks for `navigator.gpu`, which Node does not
 * have. The `webgpu` package (Google's Dawn, as a native addon) provides one;
 * this wires it up before gpu.js asks, so users never have to. In a browser
 * `navigator.gpu` is already there and nothing here runs.
 *
 * On a machine without a GPU, Dawn needs a Vulkan driver: SwiftShader works
 * (VK_ICD_FILENAMES=/usr/lib/chromium/vk_swiftshader_icd.json, libvulkan1
 * installed); see docs/gpu-setup.md.
 */

interface DawnModule {
  create(options: string[]): unknown;
  globals: Record<string, unknown>;
}

interface NavigatorWithGpu {
  gpu?: { requestAdapter(): Promise<unknown> };
}

function currentGpu(): NavigatorWithGpu['gpu'] {
  return (globalThis as { navigator?: NavigatorWithGpu }).navigator?.gpu;
}

let wiring: Promise<void> | null = null;

/** Makes `navigator.gpu` exist (loading Dawn in Node); throws saying why if it cannot. */
export function ensureNavigatorGpu(): Promise<void> {
  if (currentGpu()) return Promise.resolve();
  wiring ??= wireDawn().catch((e: unknown) => {
    wiring = null;
    throw e;
  });
  return wiring;
}

async function wireDawn(): Promise<void> {
  const isNode = typeof process !== 'undefined' && !!process.versions?.node;
  if (!isNode) throw new Error('WebGPU is not available: this browser has no navigator.gpu');
  let dawn: DawnModule;
  try {
    // A variable specifier keeps bundlers from pulling the native addon into a browser build.
    const name = 'webgpu';
    dawn = (await import(name)) as DawnModule;
  } catch (e) {
    throw new Error(`WebGPU in Node needs the 'webgpu' package (Dawn), which failed to load: ${(e as Error).message}`);
  }
  Object.assign(globalThis, dawn.globals);
  const gpu = dawn.create([]);
  const nav = (globalThis as { navigator?: object }).navigator;
  if (nav) Object.defineProperty(nav, 'gpu', { value: gpu, configurable: true });
  else Object.defineProperty(globalThis, 'navigator', { value: { gpu }, configurable: true, writable: true });
}

/** Asks for an adapter: the only honest test that a WebGPU kernel can run. */
export async function hasWebGpuAdapter(): Promise<boolean> {
  const gpu = currentGpu();
  if (!gpu) return false;
  return (await gpu.requestAdapter()) !== null;
}
