/**
 * The kernel cache. Compiling a gpu.js kernel means parsing JavaScript and
 * building a shader (GLSL, WGSL or WASM), which costs far more than running
 * it, so each (primitive, shape signature) is compiled once and reused: a
 * training loop compiles nothing after its first step.
 *
 * It is also the one place where kernels run, so it checks every launch ran
 * on the kernel class its mode asked for: gpu.js falls back to its cpu
 * kernel quietly, and a quiet fallback here would be a lie about the device.
 */
import type { Maybe } from '../backend.js';
import { KERNEL_CLASS, type GpuInstance, type GpujsMode, type KernelArg, type KernelOutput, type RunnableKernel } from './api.js';
import { countCall, countCompile } from './stats.js';

/** What a kernel family hands the cache on a miss: the kernel's JS source and its compile-time sizes. */
export interface KernelSpec {
  /** A `function (...) { ... }` in gpu.js's JavaScript subset; reads sizes from `this.constants`. */
  readonly source: string;
  readonly constants: Record<string, number>;
  /** Output cells (a 1-D output: gpu.js packs it into a 2-D texture within the device's limits). */
  readonly size: number;
  /** The longest loop the kernel runs; gpu.js cuts loops whose bound is not a constant at loopMaxIterations. */
  readonly longestLoop?: number;
}

interface Entry {
  readonly fn: RunnableKernel;
  /** The gpu.js kernel object last seen behind `fn`: a new one means gpu.js recompiled. */
  seen: object | null;
}

export class KernelCache {
  private readonly entries = new Map<string, Entry>();
  /** The gpu.js kernel class the last launch ran on (null before the first). */
  ranOn: string | null = null;

  constructor(
    private readonly gpu: GpuInstance,
    readonly mode: GpujsMode,
  ) {}

  get size(): number {
    return this.entries.size;
  }

  /** Runs the kernel cached under `key`, compiling it from `spec()` on the first call. */
  run(key: string, spec: () => KernelSpec, args: readonly KernelArg[]): Maybe<KernelOutput> {
    const entry = this.entries.get(key) ?? this.compile(key, spec());
    const out = entry.fn(...args);
    this.check(key, entry);
    return out;
  }

  private compile(key: string, s: KernelSpec): Entry {
    if (!(s.size >= 1)) throw new Error(`internal: gpujs kernel '${key}' asked for ${s.size} output cells`);
    countCompile();
    const fn = this.gpu.createKernel(s.source, {
      output: [s.size],
      constants: s.constants,
      // Outputs stay on the device and every call gets a fresh one (immutable),
      // so a tensor's buffer is never overwritten by a later launch.
      pipeline: true,
      immutable: true,
      tactic: 'precision',
      precision: 'single',
      loopMaxIterations: Math.max(1000, (s.longestLoop ?? 0) + 1),
    });
    const entry: Entry = { fn, seen: null };
    this.entries.set(key, entry);
    return entry;
  }

  /** Throws if gpu.js ran the kernel on anything but its mode's class; counts recompiles it did on its own. */
  private check(key: string, entry: Entry): void {
    const k = entry.fn.kernel;
    const ran = k.constructor.name;
    const expected = KERNEL_CLASS[this.mode];
    if (ran !== expected || k.fallbackReason) {
      throw new Error(`gpujs:${this.mode}: gpu.js ran kernel '${key}' on ${ran} instead of ${expected}${k.fallbackReason ? ` (${k.fallbackReason})` : ''}`);
    }
    if (entry.seen !== null && entry.seen !== k) countCompile();
    entry.seen = k;
    this.ranOn = ran;
    countCall(ran);
  }

  destroy(): void {
    for (const { fn } of this.entries.values()) fn.destroy();
    this.entries.clear();
  }
}
