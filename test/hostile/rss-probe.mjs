// Preloaded (node --import) into the child processes of test/hostile: at exit, the
// process's peak resident set (and, every DSMOE_RSS_EVERY_MS, a sample of the
// current one) go to the file DSMOE_RSS_OUT names. A process that dies without
// an exit event (killed, out of memory) writes nothing: the harness calls that a crash.
import { readFileSync, writeFileSync } from 'node:fs';
import { isMainThread, Worker } from 'node:worker_threads';

const out = process.env.DSMOE_RSS_OUT;
if (out && isMainThread) {
  const every = Number(process.env.DSMOE_RSS_EVERY_MS ?? 0);
  const samples = every > 0 ? startSampler(every) : () => [];
  process.on('exit', () => writeFileSync(out, JSON.stringify({ maxRssKB: peakKB(), samples: samples() })));
}

/**
 * Samples from a worker thread, into shared memory: a process whose event
 * loop never turns (the very leak this looks for) still gets sampled.
 * Returns a function that reads the samples, [ms, bytes] pairs.
 */
function startSampler(every) {
  const capacity = 200_000;
  const shared = new SharedArrayBuffer(8 + 16 * capacity);
  const source = `
    const { workerData } = require('node:worker_threads');
    const { shared, every, capacity } = workerData;
    const count = new Int32Array(shared, 0, 1);
    const data = new Float64Array(shared, 8);
    const sleep = new Int32Array(new SharedArrayBuffer(4));
    const t0 = performance.now();
    for (let i = 0; i < capacity; i++) {
      data[2 * i] = Math.round(performance.now() - t0);
      data[2 * i + 1] = process.memoryUsage.rss();
      Atomics.store(count, 0, i + 1);
      Atomics.wait(sleep, 0, 0, every);
    }`;
  const worker = new Worker(source, { eval: true, workerData: { shared, every, capacity }, execArgv: [] });
  worker.unref();
  return () => {
    const n = Atomics.load(new Int32Array(shared, 0, 1), 0);
    const data = new Float64Array(shared, 8, 2 * n);
    return Array.from({ length: n }, (_, i) => [data[2 * i], data[2 * i + 1]]);
  };
}

/**
 * The peak resident set of this process image. On Linux, VmHWM: getrusage's
 * maxrss is carried across exec from the forked copy of the parent, so a
 * child of a large parent would report the parent's size.
 */
function peakKB() {
  try {
    const hwm = /VmHWM:\s*(\d+) kB/.exec(readFileSync('/proc/self/status', 'utf8'));
    if (hwm) return Number(hwm[1]);
  } catch {
    // Not Linux: getrusage is right where spawning does not fork.
  }
  return process.resourceUsage().maxRSS;
}
