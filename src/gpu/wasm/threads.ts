/**
 * Worker threads for the wasm backend, kept synchronous. Every worker
 * instantiates the same compiled module on the same shared memory, then
 * sleeps on a futex (Atomics.wait) in a control block. To split a kernel,
 * the main thread writes the shares (which export to call, each share's
 * arguments, repetitions and how the arguments advance between them), wakes
 * the workers, and then every thread — the main one included — claims
 * shares one at a time with a compare-and-swap until none is left. On a
 * machine busy with other work a worker may wake late or not at all before
 * the shares run out: the main thread then simply does them itself, instead
 * of waiting for a sleeper. No promise is involved, so the backend keeps
 * `readSync` and the engine's synchronous path; Node allows Atomics.wait on
 * its main thread (a browser page does not: there the backend runs on one).
 */

/** Control-block layout, in int32s: a header, then one record per share. */
const SEQ = 0, DONE = 2, FN = 3, WORK_ARG = 5, HEADER = 8; // word 4 is unused: the share count lives in the claim word
/** The claim word's index in the control block (exported for the protocol's test). */
export const CLAIM = 1;
const NARGS = 0, REPS = 1, ARGS = 2, INCS = 16, RECORD = 30;
export const MAX_ARGS = 14;
export const MAX_SHARES = 32;
export const CONTROL_BYTES = (HEADER + MAX_SHARES * RECORD) * 4;

/**
 * The claim word packs the job's sequence number (high 16 bits), its share
 * count (8 bits) and the next unclaimed share (low 8): whether a share is
 * left, and of which job, is read in one atomic load. A thread that read a
 * finished job's state fails its compare-and-swap instead of running a
 * share of the next job — and the count must be in the word: read from the
 * control block, a worker late from job A could see job B's larger count
 * while the word still said A, claim "share nA of A" and run a record B was
 * still writing (under load it did, and the pool deadlocked).
 */
export const claimWord = (seq: number, shares: number, next: number): number => (((seq & 0xffff) << 16) | (shares << 8) | next) | 0;
const sharesOf = (word: number): number => (word >>> 8) & 0xff;

/** Claims and runs shares of job `seq` until none is left; `call(i)` runs share i. Shared by main thread and workers. */
export function claimLoop(c: Int32Array, seq: number, call: (share: number) => void): void {
  for (;;) {
    const word = Atomics.load(c, CLAIM);
    const next = word & 0xff;
    if (word >>> 16 !== (seq & 0xffff) || next >= sharesOf(word)) return;
    if (Atomics.compareExchange(c, CLAIM, word, word + 1) !== word) continue;
    call(next);
    Atomics.add(c, DONE, 1);
    Atomics.notify(c, DONE);
  }
}

/** Runs share i of the posted job with `fn`, putting this thread's scratch pointer in the WORK_ARG argument. */
function runRecord(c: Int32Array, i: number, fn: (...a: number[]) => void, work: number): void {
  const r = HEADER + i * RECORD;
  const n = c[r + NARGS]!, reps = c[r + REPS]!, workArg = c[WORK_ARG]!;
  const args = Array.from(c.subarray(r + ARGS, r + ARGS + n));
  if (workArg >= 0) args[workArg] = work;
  for (let k = 0; k < reps; k++) {
    fn(...args);
    for (let j = 0; j < n; j++) if (j !== workArg) args[j]! += c[r + INCS + j]!;
  }
}

/** Runs one share on the calling thread, straight from its record (no control block). */
function runHere(share: Share, fn: (...a: number[]) => void, workArg: number, work: number): void {
  const args = share.args.slice();
  if (workArg >= 0) args[workArg] = work;
  const reps = share.reps ?? 1, incs = share.incs;
  for (let k = 0; k < reps; k++) {
    fn(...args);
    if (incs) for (let j = 0; j < incs.length; j++) if (j !== workArg) args[j]! += incs[j]!;
  }
}

/**
 * The worker's whole program (CommonJS, evaluated from this string: no file
 * to locate or bundle). It is claimLoop and runRecord above, spelled out
 * with the layout constants filled in.
 */
const WORKER_SOURCE = `
const { workerData, parentPort } = require('node:worker_threads');
const { module, memory, ctrl, names, work } = workerData;
const exp = new WebAssembly.Instance(module, { env: { mem: memory } }).exports;
const fns = names.map((n) => exp[n]);
const c = new Int32Array(memory.buffer, ctrl, ${HEADER + MAX_SHARES * RECORD});
function runRecord(i, fn) {
  const r = ${HEADER} + i * ${RECORD};
  const n = c[r + ${NARGS}], reps = c[r + ${REPS}], workArg = c[${WORK_ARG}];
  const args = Array.from(c.subarray(r + ${ARGS}, r + ${ARGS} + n));
  if (workArg >= 0) args[workArg] = work;
  for (let k = 0; k < reps; k++) {
    fn(...args);
    for (let j = 0; j < n; j++) if (j !== workArg) args[j] += c[r + ${INCS} + j];
  }
}
parentPort.postMessage('ready');
let seen = 0;
for (;;) {
  Atomics.wait(c, ${SEQ}, seen);
  seen = Atomics.load(c, ${SEQ});
  if (c[${FN}] < 0) break;
  for (;;) {
    const word = Atomics.load(c, ${CLAIM});
    const next = word & 0xff;
    if (word >>> 16 !== (seen & 0xffff) || next >= ((word >>> 8) & 0xff)) break;
    if (Atomics.compareExchange(c, ${CLAIM}, word, word + 1) !== word) continue;
    runRecord(next, fns[c[${FN}]]);
    Atomics.add(c, ${DONE}, 1);
    Atomics.notify(c, ${DONE});
  }
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
  private readonly c: Int32Array;

  private constructor(
    private readonly workers: NodeWorker[],
    memory: WebAssembly.Memory,
    ctrl: number,
    names: readonly string[],
    /** The calling thread's scratch (what a WORK_ARG argument becomes on this thread). */
    private readonly work: number,
  ) {
    this.c = new Int32Array(memory.buffer, ctrl, HEADER + MAX_SHARES * RECORD);
    this.index = new Map(names.map((n, i) => [n, i]));
  }

  /** Kernel name → its index in the export list (how workers address it). */
  private readonly index: ReadonlyMap<string, number>;

  /**
   * Starts `works.length − 1` workers (none: everything runs on the calling
   * thread); thread t's scratch block is works[t], the caller's is works[0].
   */
  static async start(works: readonly number[], module: WebAssembly.Module, memory: WebAssembly.Memory, ctrl: number, names: readonly string[]): Promise<ThreadPool> {
    const workers: NodeWorker[] = [];
    if (works.length > 1) {
      const { Worker } = await import('node:worker_threads');
      for (const work of works.slice(1)) {
        const worker = new Worker(WORKER_SOURCE, { eval: true, workerData: { module, memory, ctrl, names, work } });
        await new Promise<void>((resolve, reject) => {
          worker.once('message', () => resolve());
          worker.once('error', reject);
        });
        worker.unref(); // an idle pool never keeps the process alive
        workers.push(worker);
      }
    }
    return new ThreadPool(workers, memory, ctrl, names, works[0]!);
  }

  /** Threads that can share a kernel: the workers plus the calling thread. */
  get size(): number {
    return this.workers.length + 1;
  }

  /**
   * Runs every share, on whichever threads claim them first, and returns when
   * all are done. `call` is this thread's instance of the export `fn`;
   * argument `workArg` (if given) is replaced by the running thread's scratch.
   */
  run(fn: string, call: (...args: number[]) => void, shares: readonly Share[], workArg = -1, parallel = true): void {
    if (shares.length > MAX_SHARES) throw new Error(`wasm threads: at most ${MAX_SHARES} shares, got ${shares.length}`);
    // Nothing to split, or too little to split: call the kernel here. A decoding step is hundreds of such
    // calls, and the control block's writes, atomics, a worker's wake-up and the futex wait cost more than a small kernel.
    if (!parallel || shares.length <= 1 || this.workers.length === 0) {
      for (const share of shares) runHere(share, call, workArg, this.work);
      return;
    }
    const fi = this.index.get(fn) ?? -1;
    if (fi < 0) throw new Error(`wasm threads: unknown kernel ${fn}`);
    const c = this.c, seq = ++this.seq;
    c[FN] = fi;
    c[WORK_ARG] = workArg;
    shares.forEach((share, i) => this.write(HEADER + i * RECORD, share));
    Atomics.store(c, DONE, 0);
    Atomics.store(c, CLAIM, claimWord(seq, shares.length, 0)); // publishes the job: everything above is written
    if (shares.length > 1 && this.workers.length > 0) {
      Atomics.store(c, SEQ, seq);
      Atomics.notify(c, SEQ);
    }
    claimLoop(c, seq, (i) => runRecord(c, i, call, this.work));
    for (let v = Atomics.load(c, DONE); v !== shares.length; v = Atomics.load(c, DONE)) Atomics.wait(c, DONE, v);
  }

  private write(r: number, share: Share): void {
    const n = share.args.length;
    if (n > MAX_ARGS) throw new Error(`wasm threads: at most ${MAX_ARGS} arguments`);
    const c = this.c;
    c[r + NARGS] = n;
    c[r + REPS] = share.reps ?? 1;
    for (let i = 0; i < n; i++) {
      c[r + ARGS + i] = share.args[i]!;
      c[r + INCS + i] = share.incs?.[i] ?? 0;
    }
  }

  /** Stops the workers (the backend lives as long as the process, so this is for tests and tools). */
  async close(): Promise<void> {
    const seq = ++this.seq;
    this.c[FN] = -1;
    Atomics.store(this.c, SEQ, seq);
    Atomics.notify(this.c, SEQ);
    await Promise.all(this.workers.map((w) => w.terminate()));
  }
}
