/**
 * Makes 'gpujs' and 'gpujs:<mode>' known to setBackend. Only the factory is
 * registered here; gpu.js (and Dawn, for webgpu in Node) load inside it, when
 * a gpujs backend is first asked for, so importing dsmoe loads neither.
 */
import type { Backend } from '../backend.js';
import { registerBackend, startBackend } from '../registry.js';
import { GpujsBackend } from './backend.js';
import { initCollector } from './memory.js';
import { parseMode, preferredModes, startMode } from './modes.js';

/**
 * Plain 'gpujs' starts the first preferred mode that works, through the
 * registry, so it is the very backend 'gpujs:<that mode>' names.
 */
async function startBest(): Promise<Backend> {
  const failures: string[] = [];
  for (const mode of preferredModes()) {
    try {
      return await startBackend(`gpujs:${mode}`);
    } catch (e) {
      failures.push((e as Error).message);
    }
  }
  throw new Error(`gpujs: no gpu.js mode could start:\n  ${failures.join('\n  ')}`);
}

async function createGpujsBackend(name: string): Promise<Backend> {
  const mode = parseMode(name);
  if (mode === 'auto') return startBest();
  await initCollector();
  return new GpujsBackend(await startMode(mode), mode);
}

export function registerGpujs(): void {
  registerBackend('gpujs', createGpujsBackend);
}
