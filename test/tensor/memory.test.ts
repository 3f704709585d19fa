/**
 * Memory: realized intermediates that nothing references are released, so a
 * training loop holds steady memory. 1,000 SGD steps of a small MLP; heap and
 * ArrayBuffer memory are sampled after full garbage collections and must not
 * grow between step 200 and step 1,000.
 */
import { describe, expect, it } from 'vitest';
import v8 from 'node:v8';
import vm from 'node:vm';
import { crossEntropy, fromData, manualSeed, noGrad, randn, realize, type Tensor } from '../../src/index.js';
import { Linear } from '../../src/nn/linear.js';

/** A handle on V8's collector: global.gc when node ran with --expose-gc, else one made on the spot. */
function getGc(): () => void {
  const g = (globalThis as { gc?: () => void }).gc;
  if (g) return g;
  v8.setFlagsFromString('--expose-gc');
  return vm.runInNewContext('gc') as () => void;
}

/** Memory after the collector has had every chance (finalizers run between collections). */
async function settledMemory(gc: () => void): Promise<number> {
  for (let i = 0; i < 3; i++) {
    gc();
    await new Promise((resolve) => setTimeout(resolve, 0));
  }
  const m = process.memoryUsage();
  return m.heapUsed + m.arrayBuffers;
}

describe('memory', () => {
  it('1,000 training steps of a small MLP hold steady memory, and the loss goes down', async () => {
    const gc = getGc();
    manualSeed(7);
    const l1 = new Linear(8, 32);
    const l2 = new Linear(32, 4);
    const params = [...l1.parameters(), ...l2.parameters()];
    const x = randn([64, 8]);
    // Targets that depend on x, so there is something to learn.
    const xv = x.dataSync();
    const y = fromData(Int32Array.from({ length: 64 }, (_, i) => (xv[i * 8]! > 0 ? 1 : 0) + (xv[i * 8 + 1]! > 0 ? 2 : 0)), [64]);
    const lr = 0.1;

    const step = async (): Promise<number> => {
      for (const p of params) p.grad = null;
      const loss = crossEntropy(l2.forward(l1.forward(x).relu()), y);
      loss.backward();
      noGrad(() => {
        for (const p of params) p.assign(p.sub(p.grad!.mul(lr)));
      });
      await realize(loss, ...params);
      return loss.itemSync();
    };

    const first = await step();
    const samples: number[] = [];
    let last = first;
    for (let i = 1; i <= 1000; i++) {
      last = await step();
      if (i === 200 || i === 600 || i === 1000) samples.push(await settledMemory(gc));
    }
    for (const p of params) p.grad = null;

    expect(last).toBeLessThan(first * 0.5);
    const [at200, at600, at1000] = samples as [number, number, number];
    const MB = 1024 * 1024;
    // Steady: no growth beyond noise. (Keeping each step's loss, and with it its graph, grows
    // memory by ~50 kB per step: 40 MB over these 800 steps.)
    expect((at1000 - at200) / MB, `memory at steps 200/600/1000: ${samples.map((s) => (s / MB).toFixed(1)).join(' / ')} MB`).toBeLessThan(5);
    expect((at1000 - at600) / MB).toBeLessThan(5);
  });

  it('a realized tensor that nothing references is collected (its buffer with it)', async () => {
    const gc = getGc();
    let collected = false;
    const registry = new FinalizationRegistry(() => (collected = true));
    (() => {
      const t: Tensor = randn([256, 256]).mul(2);
      t.dataSync();
      registry.register(t.lazy, 'lazy');
    })();
    for (let i = 0; i < 10 && !collected; i++) {
      gc();
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    expect(collected).toBe(true);
  });
});
