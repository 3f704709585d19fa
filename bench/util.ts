/**
 * Timing and reporting for the benchmarks. Every figure is a median over
 * repeated runs after warm-up, taken in the same process as the peers' so
 * that ratios compare like with like on a machine shared with other work.
 */

export interface Row {
  bench: string;
  /** What ran, e.g. 'matmul 512x512x512 A·Bᵀ'. */
  case: string;
  /** Who ran it: 'dsmoe wasm', 'tfjs wasm', ... */
  impl: string;
  /** Median milliseconds per run. */
  ms: number;
  /** Work rate: GFLOP/s, GB/s or tokens/s. */
  rate?: number;
  unit?: string;
  /** ms of the reference peer ÷ ms of this row (>1: this row is faster); on dsmoe rows only. */
  speedup?: number;
  note?: string;
}

export interface TimeOpts {
  warmup?: number;
  /** Stop after this many runs... */
  maxReps?: number;
  /** ...or once this many ms have been spent (at least minReps runs). */
  budgetMs?: number;
  minReps?: number;
}

export function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

/** Median ms of fn() (awaited when it returns a promise). */
export async function time(fn: () => unknown, opts: TimeOpts = {}): Promise<number> {
  const { warmup = 2, maxReps = 15, budgetMs = 1500, minReps = 3 } = opts;
  for (let i = 0; i < warmup; i++) await fn();
  const times: number[] = [];
  const start = performance.now();
  while (times.length < maxReps && (times.length < minReps || performance.now() - start < budgetMs)) {
    const t0 = performance.now();
    await fn();
    times.push(performance.now() - t0);
  }
  return median(times);
}

/** Rows of one case: the speedup of every dsmoe row against the peer named `ref`. */
export function withSpeedups(rows: Row[], ref: string): Row[] {
  const byCase = new Map<string, Row>();
  for (const r of rows) if (r.impl === ref) byCase.set(r.case, r);
  return rows.map((r) => {
    const peer = byCase.get(r.case);
    return peer && r.impl.startsWith('dsmoe') ? { ...r, speedup: peer.ms / r.ms } : r;
  });
}

function fmtNum(x: number): string {
  if (x >= 100) return x.toFixed(0);
  if (x >= 10) return x.toFixed(1);
  return x.toFixed(2);
}

export function printTable(title: string, rows: Row[]): void {
  console.log(`\n## ${title}\n`);
  console.log('| case | implementation | ms (median) | rate | vs peer |');
  console.log('|---|---|---:|---:|---:|');
  for (const r of rows) {
    const rate = r.rate === undefined ? '' : `${fmtNum(r.rate)} ${r.unit ?? ''}`;
    const sp = r.speedup === undefined ? '' : `${r.speedup.toFixed(2)}×`;
    console.log(`| ${r.case} | ${r.impl}${r.note ? ` (${r.note})` : ''} | ${fmtNum(r.ms)} | ${rate} | ${sp} |`);
  }
}

/** Deterministic values in [−1, 1) (no Math.random: runs are comparable). */
export function values(n: number, seed = 1): Float32Array {
  const out = new Float32Array(n);
  let s = seed >>> 0 || 1;
  for (let i = 0; i < n; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    out[i] = (s / 2 ** 32) * 2 - 1;
  }
  return out;
}

export function peakRssMb(): number {
  return process.resourceUsage().maxRSS / 1024;
}

export interface Runner {
  readonly impl: string;
  readonly fn: () => unknown;
}

/**
 * Median ms of each runner, measured in interleaved rounds (A, B, C, A, B,
 * C, ...) so that every implementation sees the same background load: on a
 * machine shared with other work, back-to-back blocks would compare
 * different moments, not different code. A runner whose warm-up took over
 * `slowMs` is timed once only (a 14-second peer kernel need not run ten times).
 */
export async function interleave(runners: readonly Runner[], opts: { warmup?: number; minRounds?: number; maxRounds?: number; budgetMs?: number; slowMs?: number } = {}): Promise<Map<string, number>> {
  const { warmup = 1, minRounds = 3, maxRounds = 15, budgetMs = 2000, slowMs = 1000 } = opts;
  const samples = new Map<string, number[]>(runners.map((r) => [r.impl, []]));
  const slow = new Set<string>();
  for (const r of runners) {
    for (let i = 0; i < warmup; i++) {
      const t0 = performance.now();
      await r.fn();
      if (performance.now() - t0 > slowMs) slow.add(r.impl);
    }
  }
  const start = performance.now();
  for (let round = 0; round < maxRounds && (round < minRounds || performance.now() - start < budgetMs); round++) {
    for (const r of runners) {
      const s = samples.get(r.impl)!;
      if (slow.has(r.impl) && s.length > 0) continue;
      const t0 = performance.now();
      await r.fn();
      s.push(performance.now() - t0);
    }
  }
  return new Map([...samples].map(([k, v]) => [k, median(v)]));
}
