/**
 * tidy(fn): run fn, realize what it returns, and free at once the device
 * memory of everything else fn created (TensorFlow.js's tf.tidy, for a lazy
 * engine).
 *
 * Why it exists: an intermediate's device memory (a block of the wasm heap,
 * a GPU texture) is freed by a finalizer once its LazyBuffer is garbage
 * collected, and the collector knows nothing of device memory, so a loop
 * on such a device runs until a backend forces a full collection
 * (Backend.wantsReclaim) — milliseconds each time. Code that knows its
 * intermediates die with it, like one sparse-inference call, frees them
 * itself and never waits for one.
 *
 * The rule, as in tf.tidy: nothing fn creates may escape except through its
 * result. It is async because in a lazy engine a value can only be freed
 * after the values computed from it have been; fn itself is synchronous (it
 * builds the graph), so what it makes is exactly what is built while it runs.
 */
import { creationScopes, type LazyBuffer } from './lazy.js';
import { realize, type Tensor } from './tensor.js';

export async function tidy<T extends Tensor | readonly Tensor[]>(fn: () => T): Promise<T> {
  const made: LazyBuffer[] = [];
  creationScopes.push(made);
  let result: T;
  try {
    result = fn();
  } catch (e) {
    for (const lb of made) lb.dispose(); // nothing fn made is reachable now (LazyBuffer's `scoped`)
    throw e;
  } finally {
    creationScopes.pop();
  }
  const results: readonly Tensor[] = Array.isArray(result) ? result : [result as Tensor];
  try {
    await realize(...results);
  } catch (e) {
    for (const lb of made) lb.dispose();
    throw e;
  }
  // Keep the results and every buffer they share (a reshaped result reads its owner's memory).
  const keep = new Set<LazyBuffer>();
  for (const t of results) for (let lb: LazyBuffer | null = t.lazy; lb; lb = lb.bufferOwner) keep.add(lb);
  for (const lb of made) {
    if (keep.has(lb)) lb.escape();
    else lb.dispose();
  }
  return result;
}

/**
 * Runs fn outside every open tidy, so that what it creates survives them:
 * for caches (a causal mask, rotary tables) whose first use may fall inside
 * a tidy and that outlive it.
 */
export function untracked<T>(fn: () => T): T {
  const open = creationScopes.splice(0);
  try {
    return fn();
  } finally {
    creationScopes.push(...open);
  }
}

/**
 * Frees tensors a caller alone holds — realized results of its own tidies
 * that it has finished with — and, for a reshaped result, the buffer it
 * reads (which a tidy keeps alive with it). For pipelines whose stages are
 * tidies joined by awaits (a language model's layers, each of which routes
 * on the host), where no single tidy can span the whole: each stage's
 * result is freed as soon as the next stage has consumed it.
 *
 * A reshape made after the tidy is still pending and knows no buffer yet:
 * make it inside the tidy. Never for a tensor someone else may hold: a view
 * of a parameter would free the parameter.
 */
export function freeResults(...ts: readonly (Tensor | null | undefined)[]): void {
  for (const t of ts) {
    for (let lb: LazyBuffer | null = t?.lazy ?? null; lb; ) {
      const next = lb.bufferOwner; // read first: dispose forgets it
      lb.dispose();
      lb = next;
    }
  }
}
