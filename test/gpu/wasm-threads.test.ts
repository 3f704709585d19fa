/**
 * The wasm thread pool under contention: more threads than cores, jobs of
 * different share counts back to back (a grouped GEMM of many groups, a
 * softmax cut into one share per thread). A worker late from one job must
 * never claim a share of the next while its records are being written
 * (threads.ts's claim word carries the share count for that): every result
 * equals the reference, and the run finishes.
 */
import { describe, expect, it } from 'vitest';
import { columnStrides } from '../../src/gpu/grouped-layout.js';
import { startBackend } from '../../src/gpu/registry.js';
import type { Backend, DeviceBuffer, GroupedMatmulSpec } from '../../src/gpu/backend.js';
import { CLAIM, claimLoop, claimWord } from '../../src/gpu/wasm/threads.js';

const floats = (n: number, seed: number): Float32Array => Float32Array.from({ length: n }, (_, i) => Math.sin(i * 0.37 + seed));

describe('wasm thread pool', () => {
  it('a thread late from a finished job claims nothing while the next job is being written', () => {
    // Job 7 had 2 shares, both claimed; job 8 (32 shares) is being written and not yet published.
    const c = new Int32Array(8 + 32 * 30);
    c[CLAIM] = claimWord(7, 2, 2);
    c[4] = 32; // the old layout's share count, already job 8's: a thread that read it would see 30 shares left
    const ran: number[] = [];
    claimLoop(c, 7, (i) => ran.push(i));
    expect(ran).toEqual([]);
    // Once job 8 is published, a thread of job 8 claims its shares one by one, and a thread of job 7 none.
    c[CLAIM] = claimWord(8, 3, 0);
    claimLoop(c, 7, (i) => ran.push(i));
    expect(ran).toEqual([]);
    claimLoop(c, 8, (i) => ran.push(i));
    expect(ran).toEqual([0, 1, 2]);
  });

  it('jobs of changing share counts on more threads than cores give the reference results', async () => {
    const be = await startBackend('wasm:8');
    const ref = await startBackend('cpu');
    expect(be.name).toBe('wasm:8');
    const read = (b: Backend, x: DeviceBuffer): Float32Array => b.readSync!(x) as Float32Array;
    // Big enough to be cut across the threads (PARALLEL_FLOPS): each group is one share.
    const rows = 64, k = 256, h = 256;
    const x = floats(128 * 512, 1);
    const w = floats(k * 32 * h, 2);
    const want = new Map<number, Float32Array>();
    for (let round = 0; round < 600; round++) {
      // A grouped GEMM of 2 or 32 groups (as many shares), then a softmax cut in 16 (two a thread).
      const groups = round % 2 === 0 ? 2 : 32;
      const offsets = Int32Array.from({ length: groups + 1 }, (_, g) => Math.round((g * rows) / groups));
      const spec: GroupedMatmulSpec = { kind: 'rows', groups, rows, k, n: h, bStrides: columnStrides(groups, h, false) };
      const run = (b: Backend): Float32Array => {
        const inputs = [b.upload(x.subarray(0, rows * k)), b.upload(w.subarray(0, k * groups * h)), b.upload(offsets)] as const;
        const y = b.groupedMatmul(...inputs, spec) as DeviceBuffer;
        const out = read(b, y).slice();
        for (const t of [...inputs, y]) b.dispose(t);
        return out;
      };
      if (!want.has(groups)) want.set(groups, run(ref));
      const [g, wv] = [run(be), want.get(groups)!];
      for (let i = 0; i < wv.length; i++) if (Math.abs(g[i]! - wv[i]!) > 1e-3 * (1 + Math.abs(wv[i]!))) expect.fail(`round ${round}, ${groups} groups: element ${i} is ${g[i]}, want ${wv[i]}`);
      const xs = be.upload(x);
      const s = be.softmaxRows!(xs, { rows: 128, n: 512 });
      const sr = read(be, s);
      let total = 0;
      for (let i = 0; i < 512; i++) total += sr[i]!;
      be.dispose(xs);
      be.dispose(s);
      expect(Math.abs(total - 1), `round ${round}: softmax row sum`).toBeLessThan(1e-4);
    }
  }, 120_000);
});
