/**
 * The fused row kernels (ops/fused.ts) against the composites they stand
 * in for, on every backend that has them (cpu, wasm:1, wasm): softmax,
 * attention's scaled causal softmax, RMSNorm / LayerNorm and rotary, over
 * drawn shapes (rows not a multiple of 4 wide, one column, several rows
 * split across threads) and values with ±∞ and NaN in them. The fused op is
 * what runs without gradients — each case checks the graph node's kind —
 * and the composite what runs when an input requires a gradient; rotary
 * runs fused in training too, so its gradient is held to the composite's.
 */
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { fromData, getBackend, gradcheck, noGrad, setBackend, type Tensor } from '../../src/index.js';
import { causalAttention } from '../../src/nn/attention-core.js';
import { LayerNorm } from '../../src/nn/layer-norm.js';
import { RMSNorm } from '../../src/nn/rms-norm.js';
import { applyRotary, rotaryTables, rotateHalves, rotateHalvesComposite } from '../../src/nn/rotary.js';

const BACKENDS = ['cpu', 'wasm:1', 'wasm'] as const;

afterAll(async () => {
  await setBackend('cpu');
});

const f32 = (v: readonly number[], shape: readonly number[], requiresGrad = false): Tensor => {
  const t = fromData(Float32Array.from(v), shape);
  t.requiresGrad = requiresGrad;
  return t;
};

/** Same values, NaN where NaN, equal infinities, else within float32 tolerance. */
function expectSame(got: ArrayLike<number>, want: ArrayLike<number>, what: string): void {
  expect(got.length, what).toBe(want.length);
  for (let i = 0; i < want.length; i++) {
    const [g, w] = [got[i]!, want[i]!];
    if (Number.isNaN(w) || !Number.isFinite(w)) expect(Object.is(g, w) || (Number.isNaN(g) && Number.isNaN(w)), `${what} [${i}]: ${g} vs ${w}`).toBe(true);
    else expect(Math.abs(g - w), `${what} [${i}]: ${g} vs ${w}`).toBeLessThanOrEqual(2e-5 * (1 + Math.abs(w)));
  }
}

/** rows × n values, mostly moderate, some ±∞ or NaN where `special`. */
const rowsOf = (special: boolean): fc.Arbitrary<{ rows: number; n: number; v: number[] }> =>
  fc.record({ rows: fc.integer({ min: 1, max: 40 }), n: fc.integer({ min: 1, max: 37 }) }).chain(({ rows, n }) =>
    fc.array(special ? fc.oneof({ weight: 12, arbitrary: fc.double({ min: -30, max: 30, noNaN: true }) }, { weight: 1, arbitrary: fc.constantFrom(Infinity, -Infinity, NaN) }) : fc.double({ min: -30, max: 30, noNaN: true }), { minLength: rows * n, maxLength: rows * n })
      .map((v) => ({ rows, n, v })));

/** The fused value (no gradient wanted) and the composite (an input requires one), and the fused node's kind. */
async function both(build: (x: Tensor) => Tensor, v: readonly number[], shape: readonly number[]): Promise<{ fused: Float32Array; composite: Float32Array; kind: string | undefined }> {
  const y = noGrad(() => build(f32(v, shape)));
  const kind = y.lazy.op?.kind;
  const fused = (await y.data()) as Float32Array;
  const composite = (await build(f32(v, shape, true)).data()) as Float32Array;
  return { fused, composite, kind };
}

/** Rotary's inputs: x [b, h, s, 2·half] at positions offset … offset + s − 1. */
const rotaryCase = fc.record({ b: fc.integer({ min: 1, max: 2 }), h: fc.integer({ min: 1, max: 3 }), s: fc.integer({ min: 1, max: 6 }), half: fc.integer({ min: 1, max: 5 }), offset: fc.integer({ min: 0, max: 50 }) });

describe('the fused rotary’s gradient', () => {
  it('passes gradcheck in float64, with a table row per position and per token', async () => {
    await setBackend('cpu');
    const x = fromData(Float64Array.from({ length: 2 * 3 * 4 }, (_, i) => Math.sin(i * 0.7)), [2, 3, 4], { requiresGrad: true });
    const cos = fromData(Float64Array.from({ length: 3 * 2 }, (_, i) => Math.cos(i * 0.3)), [3, 2]);
    const sin = fromData(Float64Array.from({ length: 3 * 2 }, (_, i) => Math.sin(i * 0.3)), [3, 2]);
    const perToken = [fromData(Float64Array.from([0.6, 0.8, -0.28, 1]), [2, 1, 2]), fromData(Float64Array.from([0.8, -0.6, 0.96, 0]), [2, 1, 2])] as const;
    const y = applyRotary(fromData(new Float64Array(8), [1, 1, 2, 4], { requiresGrad: true }));
    expect(y.lazy.op?.kind).toBe('rotaryRows');
    for (const [c, s] of [[cos, sin], perToken] as const) {
      const r = await gradcheck((t) => rotateHalvesOf(t, c, s).tanh().sum(), [x]);
      expect(r.ok, JSON.stringify(r)).toBe(true);
    }
  });
});

/** rotateHalves through the public path (fused on cpu), as gradcheck's function. */
function rotateHalvesOf(t: Tensor, cos: Tensor, sin: Tensor): Tensor {
  const y = rotateHalves(t, cos, sin);
  expect(y.lazy.op?.kind).toBe('rotaryRows');
  return y;
}

describe.each(BACKENDS)('fused row kernels on %s', (name) => {
  it('softmax equals the composite, ±∞ and NaN rows included', async () => {
    await setBackend(name);
    expect(getBackend().name).toBe(name);
    await fc.assert(fc.asyncProperty(rowsOf(true), async ({ rows, n, v }) => {
      const r = await both((x) => x.softmax(-1), v, [rows, n]);
      expect(r.kind).toBe('softmaxRows');
      expectSame(r.fused, r.composite, `softmax [${rows}, ${n}]`);
    }), { numRuns: 40 });
  });

  it('causal attention: scale, mask and softmax in one kernel equal the composite, with and without past positions', async () => {
    await setBackend(name);
    expect(getBackend().name).toBe(name);
    const arb = fc.record({
      b: fc.integer({ min: 1, max: 2 }), hkv: fc.integer({ min: 1, max: 2 }), g: fc.integer({ min: 1, max: 3 }),
      s: fc.integer({ min: 1, max: 9 }), past: fc.integer({ min: 0, max: 6 }), extra: fc.integer({ min: 0, max: 3 }), d: fc.integer({ min: 1, max: 6 }), seed: fc.integer(),
    });
    await fc.assert(fc.asyncProperty(arb, async ({ b, hkv, g, s, past, extra, d, seed }) => {
      const sk = past + s + extra; // a cache longer than what it holds: its tail is masked like the future
      let z = seed >>> 0;
      const rand = (n: number): number[] => Array.from({ length: n }, () => ((z = (Math.imul(z, 1664525) + 1013904223) >>> 0) / 2 ** 32) * 4 - 2);
      const [qv, kv, vv] = [rand(b * hkv * g * s * d), rand(b * hkv * sk * d), rand(b * hkv * sk * d)];
      const run = (grad: boolean): Tensor => causalAttention(f32(qv, [b, hkv * g, s, d], grad), f32(kv, [b, hkv, sk, d]), f32(vv, [b, hkv, sk, d]), { past });
      const fused = noGrad(() => run(false));
      const want = await run(true).data();
      expectSame(await fused.data(), want, `attention b${b} hkv${hkv} g${g} s${s} past${past} sk${sk} d${d}`);
    }), { numRuns: 40 });
  });

  it('RMSNorm and LayerNorm equal the composite', async () => {
    await setBackend(name);
    expect(getBackend().name).toBe(name);
    await fc.assert(fc.asyncProperty(rowsOf(false), fc.constantFrom('rms', 'layer'), async ({ rows, n, v }, kind) => {
      const layer = kind === 'rms' ? new RMSNorm(n) : new LayerNorm(n);
      for (const p of layer.parameters()) p.assign(noGrad(() => p.add(fromData(Float32Array.from({ length: p.size }, (_, i) => 0.1 * ((i % 7) - 3)), p.shape))));
      const r = await both((x) => layer.forward(x), v, [rows, n]);
      expect(r.kind).toBe('normRows');
      expectSame(r.fused, r.composite, `${kind} [${rows}, ${n}]`);
    }), { numRuns: 30 });
  });

  it('rotary equals the composite at any offset', async () => {
    await setBackend(name);
    expect(getBackend().name).toBe(name);
    await fc.assert(fc.asyncProperty(rotaryCase, async ({ b, h, s, half, offset }) => {
      const shape = [b, h, s, 2 * half];
      const v = Array.from({ length: b * h * s * 2 * half }, (_, i) => Math.sin(i * 1.7));
      const fused = noGrad(() => applyRotary(f32(v, shape), offset));
      expect(fused.lazy.op?.kind).toBe('rotaryRows');
      const { cos, sin } = rotaryTables(s, 2 * half, offset, 'float32', getBackend());
      expectSame(await fused.data(), await rotateHalvesComposite(f32(v, shape, true), cos, sin).data(), `rotary ${JSON.stringify(shape)} at ${offset}`);
    }), { numRuns: 30 });
  });

  it('rotary runs fused in training too, and its gradient (the rotation back) equals the composite’s', async () => {
    await setBackend(name);
    expect(getBackend().name).toBe(name);
    await fc.assert(fc.asyncProperty(rotaryCase, async ({ b, h, s, half, offset }) => {
      const shape = [b, h, s, 2 * half];
      const n = b * h * s * 2 * half;
      const v = Array.from({ length: n }, (_, i) => Math.sin(i * 1.7));
      const w = f32(Array.from({ length: n }, (_, i) => Math.cos(i * 0.9)), shape); // a loss Σ w·rotary(x) that weighs every output differently
      const { cos, sin } = rotaryTables(s, 2 * half, offset, 'float32', getBackend());
      const x = f32(v, shape, true);
      const y = applyRotary(x, offset);
      expect(y.lazy.op?.kind).toBe('rotaryRows');
      y.mul(w).sum().backward();
      const xc = f32(v, shape, true);
      rotateHalvesComposite(xc, cos, sin).mul(w).sum().backward();
      expectSame(await x.grad!.data(), await xc.grad!.data(), `rotary's gradient ${JSON.stringify(shape)} at ${offset}`);
    }), { numRuns: 30 });
  });
});
