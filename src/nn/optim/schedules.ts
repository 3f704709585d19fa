/**
 * Learning-rate schedules as plain functions step → lr, and LrScheduler to
 * apply one to an optimizer. A schedule is only host arithmetic: the
 * optimizer folds the number into its update as a scalar, so a new rate
 * each step costs nothing on the device.
 */
import type { Optimizer } from './optimizer.js';

export type Schedule = (step: number) => number;

export interface WarmupCosineOptions {
  /** Steps of linear warmup from 0 to lrMax. */
  warmup: number;
  /** Step at which the cosine reaches lrMin (and stays). */
  total: number;
  lrMax: number;
  lrMin?: number;
}

/**
 * Linear warmup, then half a cosine (Loshchilov & Hutter's SGDR, as in
 * GPT-3 and LLaMA training):
 *   lr(s) = lrMax·s/warmup                                        s < warmup
 *   lr(s) = lrMin + ½(lrMax − lrMin)(1 + cos(π·(s − warmup)/(total − warmup)))   up to total
 *   lr(s) = lrMin                                                  s ≥ total
 * Step 0 gets lr 0, as in Hugging Face's get_cosine_schedule_with_warmup.
 */
export function warmupCosine(opts: WarmupCosineOptions): Schedule {
  const { warmup, total, lrMax } = opts;
  const lrMin = opts.lrMin ?? 0;
  if (!Number.isInteger(warmup) || warmup < 0) throw new Error(`warmupCosine: warmup must be a non-negative integer, got ${warmup}`);
  if (!Number.isInteger(total) || total < warmup) throw new Error(`warmupCosine: total must be an integer ≥ warmup (${warmup}), got ${total}`);
  if (!(lrMax >= 0) || !(lrMin >= 0) || lrMin > lrMax) throw new Error(`warmupCosine: need 0 ≤ lrMin ≤ lrMax, got lrMin ${lrMin}, lrMax ${lrMax}`);
  return (step) => {
    if (step < warmup) return (lrMax * step) / warmup;
    if (step >= total) return lrMin;
    const progress = (step - warmup) / (total - warmup);
    return lrMin + 0.5 * (lrMax - lrMin) * (1 + Math.cos(Math.PI * progress));
  };
}

/** A constant rate, for runs without a schedule. */
export function constantLr(lr: number): Schedule {
  return () => lr;
}

/**
 * Drives an optimizer's lr by a schedule, like torch's LambdaLR (but the
 * schedule returns the rate itself, not a factor). The optimizer starts at
 * schedule(0); call step() after each optimizer.step().
 */
export class LrScheduler {
  private count = 0;

  constructor(readonly optimizer: Optimizer, readonly schedule: Schedule) {
    this.apply();
  }

  /** Steps taken so far; the rate now in the optimizer is schedule(lastStep). */
  get lastStep(): number {
    return this.count;
  }

  step(): number {
    this.count++;
    return this.apply();
  }

  private apply(): number {
    const lr = this.schedule(this.count);
    if (!(lr >= 0) || !Number.isFinite(lr)) throw new Error(`LrScheduler: schedule gave lr ${lr} at step ${this.count}`);
    this.optimizer.lr = lr;
    return lr;
  }

  stateDict(): { lastStep: number } {
    return { lastStep: this.count };
  }

  loadStateDict(state: { lastStep: number }): void {
    if (!Number.isInteger(state.lastStep) || state.lastStep < 0) throw new Error(`LrScheduler.loadStateDict: lastStep must be a non-negative integer, got ${state.lastStep}`);
    this.count = state.lastStep;
    this.apply();
  }
}
