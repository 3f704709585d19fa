/**
 * Picks the best backend this browser offers: gpu.js on WebGPU, then WebGL2,
 * then gpu.js's WASM mode, then dsmoe's own WASM backend, then the
 * plain-TypeScript cpu backend. A backend counts only if it starts *and*
 * computes a small known answer, because gpu.js can start on a device that
 * then fails (or silently falls back) at the first kernel.
 */
import { getBackend, setBackend, tensor } from 'dsmoe';

export const PREFERENCE = ['gpujs:webgpu', 'gpujs:webgl2', 'gpujs:webasm', 'wasm', 'cpu'] as const;

export interface BackendChoice {
  /** What getBackend().name reports, e.g. 'gpujs:webgpu'. */
  name: string;
  /** The device underneath, as the browser names it (adapter or GL renderer). */
  detail: string;
  /** Whether kernels run on a GPU API (WebGPU or WebGL2), even a software one. */
  gpu: boolean;
  /** The candidates that were skipped, and why. */
  skipped: { name: string; reason: string }[];
}

/** The slice of WebGPU's navigator.gpu read here (TypeScript's DOM library may not declare it). */
interface NavigatorWithGpu {
  gpu?: { requestAdapter(): Promise<{ info?: { vendor: string; architecture: string; description: string } } | null> };
}

/** A 2×3 · 3×2 matmul plus an elementwise op: enough to exercise upload, two kernels and readback. */
async function probe(): Promise<void> {
  const a = tensor([[1, 2, 3], [4, 5, 6]]);
  const b = tensor([[1, 0], [0, 1], [1, 1]]);
  const got = Array.from(await a.matmul(b).mul(2).add(1).data());
  const want = [9, 11, 21, 23];
  if (got.some((v, i) => Math.abs(v - want[i]!) > 1e-4)) throw new Error(`probe computed [${got.join(', ')}], expected [${want.join(', ')}]`);
}

async function describeDevice(name: string): Promise<string> {
  if (name.endsWith('webgpu')) {
    const adapter = await (navigator as NavigatorWithGpu).gpu?.requestAdapter();
    const info = adapter?.info;
    return info ? [info.vendor, info.architecture, info.description].filter(Boolean).join(' · ') : 'WebGPU adapter';
  }
  if (name.endsWith('webgl2')) {
    const gl = document.createElement('canvas').getContext('webgl2');
    if (!gl) return 'WebGL2';
    const ext = gl.getExtension('WEBGL_debug_renderer_info');
    return String(gl.getParameter(ext ? ext.UNMASKED_RENDERER_WEBGL : gl.RENDERER));
  }
  if (name.endsWith('webasm')) return 'WebAssembly (SIMD) on the CPU';
  return 'TypeScript loops on the CPU';
}

export async function startBestBackend(candidates: readonly string[] = PREFERENCE): Promise<BackendChoice> {
  const skipped: BackendChoice['skipped'] = [];
  for (const name of candidates) {
    try {
      await setBackend(name);
      await probe();
      const actual = getBackend().name;
      return { name: actual, detail: await describeDevice(actual), gpu: /webgpu|webgl/.test(actual), skipped };
    } catch (e) {
      skipped.push({ name, reason: e instanceof Error ? e.message : String(e) });
    }
  }
  throw new Error(`no backend could start: ${skipped.map((s) => `${s.name}: ${s.reason}`).join('; ')}`);
}
