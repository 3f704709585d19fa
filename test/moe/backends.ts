/**
 * The backends the MoE properties run on: cpu always, and gpu.js in its
 * cpu mode once src/gpu/gpujs provides a backend entry (index.ts).
 */
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { setBackend } from '../../src/index.js';

const gpujsEntry = fileURLToPath(new URL('../../src/gpu/gpujs/index.ts', import.meta.url));

export async function moeBackends(): Promise<string[]> {
  if (!existsSync(gpujsEntry)) return ['cpu'];
  await import(/* @vite-ignore */ gpujsEntry);
  await setBackend('gpujs:cpu');
  await setBackend('cpu');
  return ['cpu', 'gpujs:cpu'];
}
