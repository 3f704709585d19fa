/**
 * Picking the device for a command: --backend NAME if given, else the
 * fastest one that needs no GPU. The name actually started is returned and
 * recorded with the run (a resume is bit-identical on the same backend).
 */
import { setBackend } from '../gpu/registry.js';
import { UsageError } from './args.js';

/**
 * The default: the WASM SIMD backend. On the tiny preset's training step
 * (two cores) it measured 8000 tokens/s against the plain-loop cpu
 * backend's 555, with the same losses. cpu where WebAssembly threads are
 * unavailable.
 */
const DEFAULT_BACKEND = 'wasm';

export async function useBackend(name: string | undefined): Promise<string> {
  if (name === undefined) {
    try {
      return (await setBackend(DEFAULT_BACKEND)).name;
    } catch {
      return (await setBackend('cpu')).name;
    }
  }
  try {
    return (await setBackend(name)).name;
  } catch (e) {
    throw new UsageError(`--backend ${name}: ${(e as Error).message}`);
  }
}
