/**
 * 2,000 training steps of `dsmoe train` per backend (cpu, wasm, and
 * gpujs:cpu for the gpu.js kernels), at once, each in a child process whose
 * resident set is sampled every 25 ms: memory must be flat — the median sample of the last quarter
 * of the steps no more than a margin above that of the first quarter: MARGIN_MB, or half
 * of the first quarter's median where that is more. V8 sizes its heap by the allocation rate:
 * on this loaded 2-core machine the cpu run's heap settled up to 51 MiB higher without a leak
 * (the same run for 4,000 steps alone stays flat within 12 MiB). The leak this guards against
 * grows by three times the parameter bytes a step (6.1k parameters: 73 KB), 110 MiB between
 * the quarters here, twice the margin.
 * (The cpu backend once grew by about three times the parameter bytes per
 * step, 182 → 1,552 MB over 1,000 steps: finalizers never ran in a loop
 * that never yielded.) The models are tiny, so each run is seconds.
 */
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { tempDir } from '../cli/helpers.js';
import { builtCli, record, runNode } from './harness.js';

const STEPS = 2000;
const MARGIN_MB = 16;

/**
 * A model of 6 k parameters in batches of 2×16 tokens. gpu.js's cpu mode
 * (each kernel a JavaScript function, its cost the launches) gets the
 * fewest launches per step that still train an MoE: one attention expert,
 * learned positions, two FFN experts, batches of 1×4.
 */
const MODEL = {
  small: ['--d-model', '16', '--layers', '1', '--heads', '2', '--kv-heads', '1', '--head-dim', '8', '--attn-experts', '2', '--experts', '4', '--expert-hidden', '8', '--seq-len', '16', '--batch-size', '2'],
  smallest: ['--d-model', '8', '--layers', '1', '--heads', '1', '--kv-heads', '1', '--head-dim', '8', '--attn-experts', '1', '--positions', 'learned', '--experts', '2', '--expert-hidden', '4', '--seq-len', '4', '--batch-size', '1'],
};
const BACKENDS: [string, keyof typeof MODEL][] = [['cpu', 'small'], ['wasm', 'small'], ['gpujs:cpu', 'smallest']];

const built = builtCli();

/**
 * The median sample (MiB) taken between the times (ms) `from` and `to`: a
 * leak moves it, a collection's passing spike does not.
 */
function medianIn(samples: [number, number][], from: number, to: number): number {
  const inside = samples.filter(([t]) => t >= from && t < to).map(([, rss]) => rss / 2 ** 20).sort((a, b) => a - b);
  return inside[Math.floor(inside.length / 2)]!;
}

describe(`${STEPS} training steps keep memory flat`, () => {
  it.concurrent.each(BACKENDS)('%s', async (backend, size) => {
    const out = join(tempDir(), 'run');
    const args = ['train', '--corpus', built.corpus, '--out', out, '--backend', backend, ...MODEL[size], '--steps', String(STEPS),
      '--eval-every', '0', '--checkpoint-every', '0', '--eval-tokens', '64', '--val-fraction', '0.34'];
    // The progress bar's lines say when step 1 and the last step were done: the quarters are of the
    // steps, not of the start-up before them or the final evaluation and save after them.
    let start = Infinity;
    let end = 0;
    const onStderr = (text: string, ms: number): void => {
      for (const m of text.matchAll(/(\d+)\/(\d+)/g)) {
        if (Number(m[2]) !== STEPS) continue;
        start = Math.min(start, ms);
        if (Number(m[1]) === STEPS) end = Math.max(end, ms);
      }
    };
    const r = await runNode(built.cli, args, { timeoutMs: 300_000, sampleEveryMs: 25, onStderr });
    expect(r.code, r.stderr.slice(-500)).toBe(0);
    expect(end).toBeGreaterThan(start);
    const quarter = (end - start) / 4;
    const first = medianIn(r.samples, start, start + quarter);
    const last = medianIn(r.samples, end - quarter, end);
    expect(r.samples.filter(([t]) => t >= start && t < end).length).toBeGreaterThan(40);
    const limit = first + Math.max(MARGIN_MB, first / 2);
    record({
      suite: 'memory', name: `${STEPS} steps on ${backend}`, outcome: last <= limit ? 'accepted' : 'wrong',
      detail: `median RSS: first quarter of the steps ${first.toFixed(0)} MiB, last quarter ${last.toFixed(0)} MiB; process peak ${r.peakMB.toFixed(0)} MiB; ${(r.ms / 1000).toFixed(0)} s`,
      peakMB: last, limitMB: limit,
    });
    expect(last, `last quarter ${last.toFixed(1)} MiB vs first ${first.toFixed(1)} MiB`).toBeLessThanOrEqual(limit);
  }, 600_000);
});
