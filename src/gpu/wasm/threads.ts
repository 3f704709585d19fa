/**
 * Worker threads for the wasm backend, kept synchronous. Every worker
 * instantiates the same compiled module on the same shared memory, then
 * sleeps on a futex (Atomics.wait) in its slot of a control block. To split
 * a kernel, the main thread writes the workers' share (which export to call,
 * its arguments, how many repetitions and how the arguments advance between
 * them), wakes them, runs its own share, and waits for their "done" counters.
 * No promise is involved, so the backend keeps `readSync` and the engine's
 * synchronous path; Node allows Atomics.wait on its main thread (a browser
 * page does not, so there the backend runs single-threaded).
 */

/** Control-block layout of one worker's slot, in int32s. */
const SEQ = 0, DONE = 1, FN = 2, NARGS = 3, REPS = 4, ARGS = 5, INCS = 17, SLOT = 32;
export const MAX_ARGS = 12;
export const CONTROL_BYTES_PER_WORKER = SLOT * 4;

/** The worker's whole program (CommonJS, evaluated from this string: no file to locate or bundle). */
const WORKER_SOURCE = `
const { workerData, parentPort } = require('node:worker_threads');
const { module, memory, ctrl, names } = workerData;
const exp = new WebAssembly.Instance(module, { env: { mem: memory } }).exports;
const fns = names.map((n) => exp[n]);
const s = new Int32Array(memory.buffer, ctrl, ${SLOT});
parentPort.postMessage('ready');
let seen = 0;
for (;;) {
  Atomics.wait(s, ${SEQ}, seen);
  seen = Atomics.load(s, ${SEQ});
  const fi = s[${FN}];
  if (fi < 0) break;
  const f = fns[fi], n = s[${NARGS}], reps = s[${REPS}];
  const args = Array.from(s.subarray(${ARGS}, ${ARGS} + n));
  const incs = s.subarray(${INCS}, ${INCS} + n);
  for (let r = 0; r < reps; r++) {
    f(...args);
    for (let i = 0; i < n; i++) args[i] += incs[i];
  }
  Atomics.store(s, ${DONE}, seen);
  Atomics.notify(s, ${DONE});
}
`;

/** One share of a split kernel: call `fn(args)` `reps` times, adding `incs` (a prefix of args' length) to the arguments after each call. */
export interface Share {
  readonly args: readonly number[];
  readonly reps?: number;
  readonly incs?: readonly number[];
}

interface NodeWorker {
  unref(): void;
  terminate(): Promise<number>;
  once(event: 'message' | 'error', cb: (v: unknown) => void): void;
}

export class ThreadPool {
  private seq = 0;
  private readonly slots: Int32Array[];

  private constructor(
    private readonly workers: NodeWorker[],
    memory: WebAssembly.Memory,
    ctrl: number,
    private readonly names: readonly string[],
  ) {
    this.slots = workers.map((_, w) => new Int32Array(memory.buffer, ctrl + w * SLOT * 4, SLOT));
  }

  /** Starts `count` workers (0 gives a pool that runs everything on the calling thread). */
  static async start(count: number, module: WebAssembly.Module, memory: WebAssembly.Memory, ctrl: number, names: readonly string[]): Promise<ThreadPool> {
    const workers: NodeWorker[] = [];
    if (count > 0) {
      const { Worker } = await import('node:worker_threads');
      for (let w = 0; w < count; w++) {
        const worker = new Worker(WORKER_SOURCE, { eval: true, workerData: { module, memory, ctrl: ctrl + w * SLOT * 4, names } });
        await new Promise<void>((resolve, reject) => {
          worker.once('message', () => resolve());
          worker.once('error', reject);
        });
        worker.unref(); // an idle pool never keeps the process alive
        workers.push(worker);
      }
    }
    return new ThreadPool(workers, memory, ctrl, names);
  }

  /** Threads that can share a kernel: the workers plus the calling thread. */
  get size(): number {
    return this.workers.length + 1;
  }

  /**
   * Runs shares[0] on this thread and shares[1..] on the workers, and returns
   * when all are done. `call` is this thread's instance of the export `fn`.
   */
  run(fn: string, call: (...args: number[]) => void, shares: readonly Share[]): void {
    if (shares.length > this.size) throw new Error(`wasm threads: ${shares.length} shares for ${this.size} threads`);
    const fi = this.names.indexOf(fn);
    if (fi < 0) throw new Error(`wasm threads: unknown kernel ${fn}`);
    const seq = ++this.seq;
    for (let w = 1; w < shares.length; w++) this.post(this.slots[w - 1]!, fi, shares[w]!, seq);
    runShare(call, shares[0]!);
    for (let w = 1; w < shares.length; w++) {
      const s = this.slots[w - 1]!;
      for (let v = Atomics.load(s, DONE); v !== seq; v = Atomics.load(s, DONE)) Atomics.wait(s, DONE, v);
    }
  }

  private post(s: Int32Array, fi: number, share: Share, seq: number): void {
    const n = share.args.length;
    if (n > MAX_ARGS) throw new Error(`wasm threads: at most ${MAX_ARGS} arguments`);
    s[FN] = fi;
    s[NARGS] = n;
    s[REPS] = share.reps ?? 1;
    for (let i = 0; i < n; i++) {
      s[ARGS + i] = share.args[i]!;
      s[INCS + i] = share.incs?.[i] ?? 0;
    }
    Atomics.store(s, SEQ, seq);
    Atomics.notify(s, SEQ);
  }

  /** Stops the workers (the backend lives as long as the process, so this is for tests and tools). */
  async close(): Promise<void> {
    const seq = ++this.seq;
    for (const s of this.slots) {
      s[FN] = -1;
      Atomics.store(s, SEQ, seq);
      Atomics.notify(s, SEQ);
    }
    await Promise.all(this.workers.map((w) => w.terminate()));
  }
}

function runShare(call: (...args: number[]) => void, share: Share): void {
  const args = [...share.args];
  const reps = share.reps ?? 1;
  for (let r = 0; r < reps; r++) {
    call(...args);
    if (share.incs) for (let i = 0; i < share.incs.length; i++) args[i]! += share.incs[i]!;
  }
}
