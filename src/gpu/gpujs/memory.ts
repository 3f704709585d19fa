/**
 * Freeing device memory on time. A gpujs buffer is freed when its tensor is
 * disposed or garbage-collected (src/tensor/lazy.ts registers a finalizer).
 * But a texture or GPU buffer weighs almost nothing on the JavaScript heap,
 * so V8 sees no reason to collect, and a training loop's dead intermediates
 * pile up on the device: 8,000 live textures after 300 steps of a small MLP
 * on headlessgl, where a forced collection leaves 11.
 *
 * So the backend charges every device allocation against a budget and, when
 * it runs out, asks V8 for a full collection (Node only: browsers expose no
 * such call); its wantsReclaim() then tells realize to give the finalizers a
 * turn of the event loop, which a synchronous GL loop would never yield.
 */
import { findCollector } from '../gc.js';

/** Device bytes allocated between two collections. */
const BUDGET_BYTES = 128 * 2 ** 20;
/** What a buffer costs at least: drivers keep per-texture state beyond the texels. */
const MIN_COST_BYTES = 64 * 2 ** 10;

let collector: (() => void) | null = null;
let spent = 0;
let finalizersDue = false;

/** Finds V8's collector once, where the platform offers one (Node); elsewhere memory waits for ordinary GC. */
export async function initCollector(): Promise<void> {
  collector ??= await findCollector();
}

/** Charges a device allocation; collects garbage when the budget is spent. */
export function chargeDeviceBytes(bytes: number): void {
  spent += Math.max(bytes, MIN_COST_BYTES);
  if (spent < BUDGET_BYTES || !collector) return;
  spent = 0;
  collector();
  finalizersDue = true;
}

/** Whether a collection has queued finalizers since the last ask (Backend.wantsReclaim: realize then gives them a turn). */
export function reclaimDue(): boolean {
  const due = finalizersDue;
  finalizersDue = false;
  return due;
}
