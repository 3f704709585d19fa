/**
 * The engine on gpujs end to end: a small MLP's forward, backward and a full
 * SGD step equal the cpu backend's on every mode; a training loop compiles
 * nothing after its first step and does not pile up device memory; and a
 * multi-op expression reads back only what was asked for.
 */
import { describe, expect, it, beforeAll } from 'vitest';
import { Generator, fromData, gpujsStats, noGrad, randn, crossEntropy, type Backend, type Tensor } from '../../src/index.js';
import type { GpujsBackend } from '../../src/gpu/gpujs/backend.js';
import { CI_MODES, cpu, expectRanOn, gpujs } from './gpujs-helpers.js';
import { expectClose } from '../helpers/close.js';

const SIZES = { batch: 6, inputs: 5, hidden: 8, classes: 3 };

/** Host values for the parameters and a batch, the same on every backend. */
function draw(seed: number): { w1: Float32Array; b1: Float32Array; w2: Float32Array; b2: Float32Array } {
  const g = new Generator(seed);
  const host = (shape: number[], scale: number): Float32Array => (randn(shape, { generator: g, backend: cpu }).mul(scale).dataSync() as Float32Array).slice();
  return { w1: host([SIZES.inputs, SIZES.hidden], 0.5), b1: host([SIZES.hidden], 0.1), w2: host([SIZES.hidden, SIZES.classes], 0.5), b2: host([SIZES.classes], 0.1) };
}

function batch(step: number): { x: Float32Array; y: Int32Array } {
  const g = new Generator(1000 + step);
  const x = (randn([SIZES.batch, SIZES.inputs], { generator: g, backend: cpu }).dataSync() as Float32Array).slice();
  const y = Int32Array.from({ length: SIZES.batch }, (_, i) => (i * 7 + step) % SIZES.classes);
  return { x, y };
}

class Mlp {
  readonly params: Tensor[];
  constructor(readonly backend: Backend, seed: number) {
    const p = draw(seed);
    const on = (data: Float32Array, shape: number[]): Tensor => fromData(data.slice(), shape, { backend, requiresGrad: true });
    this.params = [on(p.w1, [SIZES.inputs, SIZES.hidden]), on(p.b1, [SIZES.hidden]), on(p.w2, [SIZES.hidden, SIZES.classes]), on(p.b2, [SIZES.classes])];
  }
  loss(step: number): Tensor {
    const { x, y } = batch(step);
    const [w1, b1, w2, b2] = this.params as [Tensor, Tensor, Tensor, Tensor];
    const h = fromData(x, [SIZES.batch, SIZES.inputs], { backend: this.backend }).matmul(w1).add(b1).gelu();
    return crossEntropy(h.matmul(w2).add(b2), fromData(y, [SIZES.batch], { backend: this.backend }));
  }
  /** One SGD step: loss, backward, p ← p − lr·∇p, all realized together. */
  async step(step: number, lr = 0.1): Promise<{ loss: number; grads: Float32Array[] }> {
    for (const p of this.params) p.grad = null;
    const loss = this.loss(step);
    loss.backward();
    const grads = this.params.map((p) => p.grad!);
    noGrad(() => this.params.forEach((p, i) => p.assign(p.sub(grads[i]!.mul(lr)))));
    const value = await loss.item();
    return { loss: value, grads: (await Promise.all(grads.map((g) => g.data()))) as Float32Array[] };
  }
}

describe.each(CI_MODES)('gpujs:%s training', (mode) => {
  let be: GpujsBackend;
  beforeAll(async () => {
    be = await gpujs(mode);
  });

  it('forward, backward and SGD steps of an MLP equal the cpu backend', async () => {
    const ref = new Mlp(cpu, 7);
    const dev = new Mlp(be, 7);
    for (let step = 0; step < 3; step++) {
      const want = await ref.step(step);
      const got = await dev.step(step);
      expect(Math.abs(got.loss - want.loss)).toBeLessThan(1e-5);
      got.grads.forEach((g, i) => expectClose(g, want.grads[i]!, 1e-5, 1e-4));
    }
    for (let i = 0; i < ref.params.length; i++) expectClose((await dev.params[i]!.data()) as Float32Array, (await ref.params[i]!.data()) as Float32Array, 1e-5, 1e-4);
    expectRanOn(be);
  });

  it('a training loop compiles nothing after its first step', async () => {
    const mlp = new Mlp(be, 11);
    await mlp.step(0);
    const before = gpujsStats();
    for (let step = 1; step < 4; step++) await mlp.step(step);
    const after = gpujsStats();
    expect(after.compiles - before.compiles).toBe(0);
    expect(after.kernelCalls - before.kernelCalls).toBeGreaterThan(30);
    expectRanOn(be);
  });

  it('a multi-op expression reads back once: only the value asked for', async () => {
    const g = new Generator(3);
    const a = randn([4, 6], { generator: g, backend: be });
    const b = randn([6, 5], { generator: g, backend: be });
    const c = randn([5], { generator: g, backend: be });
    const y = a.matmul(b).add(c).relu().sum(-1).mul(2);
    const before = gpujsStats();
    const got = await y.data();
    const after = gpujsStats();
    expect(after.readbacks - before.readbacks).toBe(1);
    expect(after.kernelCalls - before.kernelCalls).toBeGreaterThanOrEqual(5);
    const want = await a.to('cpu').matmul(b.to('cpu')).add(c.to('cpu')).relu().sum(-1).mul(2).data();
    expectClose(got as Float32Array, want as Float32Array, 1e-5, 1e-5);
  });
});

/** The device modes: on cpu and webasm a buffer is a host array, freed like any other. */
describe.each(['headlessgl', 'webgpu'] as const)('gpujs:%s device memory', (mode) => {
  let be: GpujsBackend;
  beforeAll(async () => {
    be = await gpujs(mode);
  });

  it('device memory stays bounded over a training loop (dead intermediates are collected)', async () => {
    const mlp = new Mlp(be, 5);
    const before = gpujsStats();
    for (let step = 0; step < 200; step++) await mlp.step(step);
    const after = gpujsStats();
    // About 6,000 device buffers were allocated; without collection all of them would still be live.
    // The backend collects each time 128 MiB is charged (64 KiB a buffer at least: 2,048 buffers,
    // src/gpu/gpujs/memory.ts), so what is live stays below that plus the model's own.
    expect(after.kernelCalls - before.kernelCalls).toBeGreaterThan(5000);
    expect(after.liveBuffers - before.liveBuffers).toBeLessThan(2300);
  });
});
