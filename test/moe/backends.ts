/**
 * The backends the MoE properties run on: every backend CI runs
 * (test/helpers/backends.ts), the cpu reference first. A backend that
 * cannot start is a failure, never a skip.
 */
import { ALL_BACKENDS, startBackends } from '../helpers/backends.js';

export const MOE_BACKENDS = ALL_BACKENDS;

export async function moeBackends(): Promise<string[]> {
  return startBackends(MOE_BACKENDS);
}
