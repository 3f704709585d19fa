/**
 * The nn layer on gpu.js (its cpu mode, which every machine has) against
 * the cpu reference: one training step of a small attention stack — forward,
 * backward, clipping, AdamW — gives the same loss, gradients and parameters
 * within float32 tolerance. The modules are only tensor ops, so this checks
 * that nothing in them assumes the cpu backend.
 */
import { describe, expect } from 'vitest';
import { test, fc } from '@fast-check/vitest';
import {
  AdamW, Dropout, Embedding, Generator, LayerNorm, Linear, Module, MultiHeadAttention, RMSNorm, SGD,
  clipGradNorm, crossEntropy, manualSeed, setBackend, tensor, type Tensor,
} from '../../src/index.js';
import { maxAbsDiff } from './helpers.js';

const OTHER = 'gpujs:cpu';

class Tiny extends Module {
  readonly emb = new Embedding(7, 8, { std: 0.5 });
  readonly norm1 = new RMSNorm(8);
  readonly attn: MultiHeadAttention;
  readonly drop: Dropout;
  readonly norm2 = new LayerNorm(8);
  readonly head = new Linear(8, 7);

  constructor(nKvHeads: number, rotary: boolean, seed: number) {
    super();
    this.attn = new MultiHeadAttention({ dModel: 8, nHeads: 2, nKvHeads, positional: rotary ? 'rotary' : 'none', bias: true });
    this.drop = new Dropout(0.2, { generator: new Generator(seed) });
  }

  forward(ids: Tensor): Tensor {
    const h = this.emb.forward(ids);
    const a = h.add(this.drop.forward(this.attn.forward(this.norm1.forward(h))));
    return this.head.forward(this.norm2.forward(a));
  }
}

interface Result {
  loss: number;
  norm: number;
  params: Float32Array[];
}

async function oneStep(backend: string, c: { nKvHeads: number; rotary: boolean; adam: boolean; seed: number }): Promise<Result> {
  const be = await setBackend(backend);
  try {
    expect(be.name).toBe(backend);
    manualSeed(c.seed);
    const net = new Tiny(c.nKvHeads, c.rotary, c.seed);
    const ids = tensor([[1, 4, 2, 6], [0, 3, 3, 5]], { dtype: 'int32' });
    const targets = tensor([[4, 2, 6, 0], [3, 3, 5, 1]], { dtype: 'int32' });
    const opt = c.adam ? new AdamW(net.parameters(), { lr: 0.01 }) : new SGD(net.parameters(), { lr: 0.1, momentum: 0.9 });
    const loss = crossEntropy(net.forward(ids), targets);
    loss.backward();
    const norm = clipGradNorm(net.parameters(), 0.5);
    opt.step();
    for (const p of net.parameters()) expect(p.backend.name).toBe(backend);
    return { loss: await loss.item(), norm: await norm.item(), params: (await Promise.all(net.parameters().map((p) => p.data()))) as Float32Array[] };
  } finally {
    await setBackend('cpu');
  }
}

describe(`nn on ${OTHER}`, () => {
  test.prop([fc.record({ nKvHeads: fc.constantFrom(1, 2), rotary: fc.boolean(), adam: fc.boolean(), seed: fc.nat() })], { numRuns: 10 })(
    'a training step equals the cpu reference',
    async (c) => {
      const ref = await oneStep('cpu', c);
      const got = await oneStep(OTHER, c);
      expect(Math.abs(got.loss - ref.loss)).toBeLessThan(1e-4);
      expect(Math.abs(got.norm - ref.norm)).toBeLessThan(1e-4 * (1 + ref.norm));
      got.params.forEach((p, i) => expect(maxAbsDiff(p, ref.params[i]!)).toBeLessThan(1e-4));
    },
  );
});
