// Preloaded (node --import) into the child processes of test/hostile: at exit, the
// process's peak resident set (and, every DSMOE_RSS_EVERY_MS, a sample of the
// current one) go to the file DSMOE_RSS_OUT names. A process that dies without
// an exit event (killed, out of memory) writes nothing: the harness calls that a crash.
import { readFileSync, writeFileSync } from 'node:fs';
import { isMainThread } from 'node:worker_threads';

const out = process.env.DSMOE_RSS_OUT;
if (out && isMainThread) {
  const every = Number(process.env.DSMOE_RSS_EVERY_MS ?? 0);
  const samples = [];
  const t0 = performance.now();
  if (every > 0) setInterval(() => samples.push([Math.round(performance.now() - t0), process.memoryUsage.rss()]), every).unref();
  process.on('exit', () => writeFileSync(out, JSON.stringify({ maxRssKB: peakKB(), samples })));
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
