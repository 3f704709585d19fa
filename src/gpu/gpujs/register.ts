/**
 * Makes 'gpujs' and 'gpujs:<mode>' known to setBackend. Only the factory is
 * registered here; gpu.js (and Dawn, for webgpu in Node) load inside it, when
 * a gpujs backend is first asked for, so importing dsmoe loads neither.
 */
import type { Backend } from '../backend.js';
import { registerBackend } from '../registry.js';
import { parseMode, startBestMode, startMode } from './modes.js';

async function createGpujsBackend(name: string): Promise<Backend> {
  const { GpujsBackend } = await import('./backend.js');
  const mode = parseMode(name);
  if (mode === 'auto') {
    const best = await startBestMode();
    return new GpujsBackend(best.gpu, best.mode);
  }
  return new GpujsBackend(await startMode(mode), mode);
}

export function registerGpujs(): void {
  registerBackend('gpujs', createGpujsBackend);
}
