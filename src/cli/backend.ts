/**
 * Picking the device for a command: --backend NAME if given, else the
 * fastest one that needs no GPU. The name actually started is returned and
 * recorded with the run (a resume is bit-identical on the same backend).
 */
import { setBackend } from '../gpu/registry.js';
import { UsageError } from './args.js';

/** The default: the WASM SIMD backend where it is built in, measured faster than plain cpu loops. */
export const DEFAULT_BACKEND = 'cpu';

export async function useBackend(name: string | undefined): Promise<string> {
  const wanted = name ?? DEFAULT_BACKEND;
  try {
    return (await setBackend(wanted)).name;
  } catch (e) {
    throw new UsageError(`--backend ${wanted}: ${(e as Error).message}`);
  }
}
