/**
 * The backends the MoE properties run on: the cpu reference and gpu.js in
 * its cpu mode (the gpu.js path every machine has; the gpujs suites cover
 * the other modes primitive by primitive). A backend that cannot start is a
 * failure, never a skip.
 */
import { setBackend } from '../../src/index.js';

export const MOE_BACKENDS = ['cpu', 'gpujs:cpu'] as const;

export async function moeBackends(): Promise<string[]> {
  for (const name of MOE_BACKENDS) {
    const be = await setBackend(name);
    if (be.name !== name) throw new Error(`setBackend('${name}') started ${be.name}`);
  }
  await setBackend('cpu');
  return [...MOE_BACKENDS];
}
