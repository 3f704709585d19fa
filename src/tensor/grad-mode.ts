/**
 * Whether new ops record how they were made (for backward). Autograd is
 * switched off inside noGrad(): inference and optimizer updates build no
 * graph. The flag lives here, in the tensor layer, because every op reads it.
 */
let enabled = true;

export function isGradEnabled(): boolean {
  return enabled;
}

/** Runs `fn` without recording gradients. `fn` must be synchronous (build the graph, await after). */
export function noGrad<T>(fn: () => T): T {
  const prev = enabled;
  enabled = false;
  try {
    return fn();
  } finally {
    enabled = prev;
  }
}

/** Runs `fn` with gradient recording forced on (used by backward with createGraph). */
export function enableGrad<T>(fn: () => T): T {
  const prev = enabled;
  enabled = true;
  try {
    return fn();
  } finally {
    enabled = prev;
  }
}

let eager = false;

/** Debug switch: realize every op as it is built, so errors surface at their line (sync backends only). */
export function setDebug(opts: { eager: boolean }): void {
  eager = opts.eager;
}

export function isEager(): boolean {
  return eager;
}
