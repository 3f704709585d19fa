/**
 * Incremental decoding (LanguageModel.decode with a DecodeState) against
 * full recompute (LanguageModel.infer over every token so far), over kinds ×
 * inference modes (thresholdTopK aside, see below; topP included) × positions (rotary, learned) × norms × gates ×
 * routers × activations × the routing extensions (shared and zero-computation experts, the DTS
 * gate's temperature), on every backend: the logits of each new chunk agree to float32 tolerance, greedy
 * decoding picks the same tokens, and past the window the logits are a full
 * recompute over the tokens the state holds. Single-token steps on cpu and
 * wasm run the direct path (direct-decode.ts), so this is its check against
 * the graph. Misuse is refused by name.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { fromData, getBackend, manualSeed, noGrad, randn, setBackend } from '../../src/index.js';
import { ACTIVATIONS, type ActivationName } from '../../src/nn/activations.js';
import type { GateScale } from '../../src/moe/gate.js';
import type { RouterKind } from '../../src/moe/router.js';
import { DecodeState } from '../../src/moe/decode-state.js';
import { LanguageModel } from '../../src/moe/lm.js';
import { lmConfig, type ModelKind, type NormKind } from '../../src/moe/lm-config.js';
import type { DtsSchedule } from '../../src/moe/dts-gate.js';
import { ZERO_EXPERT_KINDS, type ZeroExpertKind } from '../../src/moe/zero-experts.js';
import type { LMInferOptions } from '../../src/moe/lm-stats.js';
import type { Tensor } from '../../src/tensor/tensor.js';
import { expectClose } from '../helpers/close.js';
import { moeBackends } from './backends.js';
import { isSoftwareGpu } from '../helpers/backends.js';

const BACKENDS = await moeBackends();
const [VOCAB, WINDOW] = [13, 10];

interface Case {
  kind: ModelKind;
  positions: 'rotary' | 'learned';
  norm: NormKind;
  opts: LMInferOptions;
  batch: number;
  prompt: number;
  /** Sizes of the chunks fed after the prompt. */
  chunks: number[];
  seed: number;
  ffnGate: GateScale;
  attnGate: GateScale;
  router: RouterKind;
  activation: ActivationName;
  sharedExperts: number;
  zeroExperts: ZeroExpertKind[];
  /** A DTS schedule and the steps the model has taken under it (its routers' temperature). */
  dts: { schedule: DtsSchedule; steps: number } | null;
}

// thresholdTopK is left out: its K is the mean active count over the tokens of one call
// (routing.ts), so a decoding step (the new tokens) and a recompute (every token) may pick
// different K by definition, not by error.
const modes: fc.Arbitrary<LMInferOptions> = fc.constantFrom<LMInferOptions>(
  { mode: { mode: 'dense' } },
  { mode: { mode: 'topK', k: 1 } },
  { mode: { mode: 'topK', k: 2 }, attention: 'follow' },
  { mode: { mode: 'threshold', eps: 0.3 } },
  { mode: { mode: 'threshold', eps: 0.6 }, attention: 'dense' },
  { mode: { mode: 'topP', p: 0.6 } },
  { mode: { mode: 'topP', p: 0.9 }, attention: 'dense' },
);

const cases: fc.Arbitrary<Case> = fc.record({
  kind: fc.constantFrom<ModelKind>('dsmoe', 'smoe', 'dense'),
  positions: fc.constantFrom<'rotary' | 'learned'>('rotary', 'learned'),
  norm: fc.constantFrom<NormKind>('rms', 'layer'),
  opts: modes,
  batch: fc.integer({ min: 1, max: 2 }),
  prompt: fc.integer({ min: 1, max: 4 }),
  chunks: fc.array(fc.integer({ min: 1, max: 2 }), { minLength: 1, maxLength: 3 }),
  seed: fc.integer({ min: 0, max: 10_000 }),
  ffnGate: fc.constantFrom<GateScale>('convex', 'scaled'),
  attnGate: fc.constantFrom<GateScale>('convex', 'scaled'),
  router: fc.constantFrom<RouterKind>('linear', 'mlp'),
  activation: fc.constantFrom<ActivationName>(...ACTIVATIONS),
  sharedExperts: fc.integer({ min: 0, max: 2 }),
  zeroExperts: fc.subarray([...ZERO_EXPERT_KINDS, 'constant' as const]),
  dts: fc.option(fc.record({
    schedule: fc.record({ tauStart: fc.constantFrom(0.5, 2), tauEnd: fc.constantFrom(0.3, 1.5), from: fc.constant(0), to: fc.constant(10) }),
    steps: fc.integer({ min: 0, max: 12 }),
  }), { freq: 2 }),
});

type ModelCase = Pick<Case, 'kind' | 'positions' | 'norm' | 'seed'> & Partial<Pick<Case, 'ffnGate' | 'attnGate' | 'router' | 'activation' | 'sharedExperts' | 'zeroExperts' | 'dts'>>;

/** A small model of the case; every parameter moved off its initial value (zero biases, unit norms), so that each one shows in the logits. */
function makeModel(c: ModelCase): LanguageModel {
  manualSeed(c.seed);
  const m = new LanguageModel(lmConfig('tiny', {
    kind: c.kind, vocabSize: VOCAB, maxSeqLen: WINDOW, dModel: 8, nLayers: 2, nHeads: 4, nKvHeads: 2, headDim: 4,
    attnExperts: 2, nExperts: 4, expertHidden: 3, positions: c.positions, norm: c.norm, smoeTopK: 1,
    ffnGate: c.ffnGate ?? 'convex', attnGate: c.attnGate ?? 'convex', router: c.router ?? 'linear', activation: c.activation ?? 'gelu',
    sharedExperts: c.sharedExperts ?? 0, zeroExperts: c.zeroExperts ?? [], dts: c.dts?.schedule ?? null,
  }));
  for (const p of m.parameters()) p.assign(noGrad(() => p.add(randn([...p.shape]).mul(0.2))));
  if (c.dts) m.setTrainedSteps(c.dts.steps);
  m.eval();
  return m;
}

const idsOf = (rows: number[][]): Tensor => fromData(Int32Array.from(rows.flat()), [rows.length, rows[0]!.length]);

/** The logits of the last s positions of each row, by full recompute over the rows. */
async function recompute(model: LanguageModel, rows: number[][], s: number, opts: LMInferOptions): Promise<number[]> {
  const r = await model.infer(idsOf(rows), opts);
  const all = await r.logits.data();
  const n = rows[0]!.length;
  return rows.flatMap((_, b) => Array.from(all.subarray((b * n + n - s) * VOCAB, (b + 1) * n * VOCAB)));
}

function token(seed: number, i: number): number {
  return ((((Math.imul(seed + 1, 2654435761) + i * 7) % VOCAB) + VOCAB) % VOCAB);
}

/**
 * On the software GPUs every new shape is a kernel compiled (tenths of a
 * second each), and a case feeds a dozen lengths: there the shapes are
 * fixed — one sequence, a prompt of 2, chunks of 2 and 1 — so that later
 * cases reuse the kernels of the first, and the cases vary the rest.
 */
function casesOn(name: string): fc.Arbitrary<Case> {
  return isSoftwareGpu(name) ? cases.map((c) => ({ ...c, batch: 1, prompt: 2, chunks: [2, 1] })) : cases;
}

describe('LanguageModel.decode', () => {
  for (const name of BACKENDS) {
    it(`${name}: each chunk's logits are those of a full recompute, within and past the window`, async () => {
      await setBackend(name);
      expect(getBackend().name).toBe(name);
      await fc.assert(fc.asyncProperty(casesOn(name), async (c) => {
        const model = makeModel(c);
        const state = new DecodeState(model, { batch: c.batch });
        const rows = Array.from({ length: c.batch }, (_, b) => Array.from({ length: c.prompt }, (_, i) => token(c.seed + b, i)));
        const feed = async (fresh: number[][], what: string): Promise<void> => {
          const s = fresh[0]!.length;
          const before = state.length;
          const r = await model.decode(state, idsOf(fresh), c.opts);
          expect(r.logits.shape).toEqual([c.batch, s, VOCAB]);
          // One token per sequence after a prefill, inside the window, runs as direct backend calls where the backend allows (direct-decode.ts).
          const direct = (name === 'cpu' || name.startsWith('wasm')) && s === 1 && before > 0 && before + s <= WINDOW;
          expect(r.path, what).toBe(direct ? 'direct' : 'graph');
          const held = Array.from({ length: c.batch }, (_, b) => state.tokens(b));
          expectClose(await r.logits.data(), await recompute(model, held, s, c.opts), 2e-4, 2e-4, { what });
          r.logits.dispose();
        };
        await feed(rows, 'prefill');
        // Enough chunks to pass the window at least once.
        for (let step = 0, i = c.prompt; step < 12; step++) {
          const s = c.chunks[step % c.chunks.length]!;
          const fresh = Array.from({ length: c.batch }, (_, b) => Array.from({ length: s }, (_, j) => token(c.seed + b, i + j)));
          await feed(fresh, `step ${step} at length ${state.length}`);
          i += s;
        }
        expect(state.length).toBeLessThanOrEqual(WINDOW);
        state.dispose();
      }), { numRuns: name === 'cpu' ? 30 : 10 });
    });
  }

  it('greedy decoding with the cache picks the tokens full recompute picks', async () => {
    await setBackend('wasm');
    await fc.assert(fc.asyncProperty(cases, async (c) => {
      const model = makeModel(c);
      const prompt = Array.from({ length: c.prompt }, (_, i) => token(c.seed, i));
      const argmax = (xs: ArrayLike<number>, from: number): number => {
        let best = 0;
        for (let j = 1; j < VOCAB; j++) if (xs[from + j]! > xs[from + best]!) best = j;
        return best;
      };
      const cached: number[] = [];
      const state = new DecodeState(model);
      let next = prompt;
      while (prompt.length + cached.length < WINDOW) {
        const r = await model.decode(state, idsOf([next]), c.opts);
        const id = argmax(await r.logits.data(), (next.length - 1) * VOCAB);
        r.logits.dispose();
        cached.push(id);
        next = [id];
      }
      const full: number[] = [];
      while (full.length < cached.length) {
        const ctx = [...prompt, ...full];
        const r = await model.infer(idsOf([ctx]), c.opts);
        full.push(argmax(await r.logits.data(), (ctx.length - 1) * VOCAB));
      }
      expect(cached).toEqual(full);
      state.dispose();
    }), { numRuns: 20 });
  });

  it('refuses another model, a disposed state and ids that do not fit, by name', async () => {
    await setBackend('cpu');
    const c = { kind: 'dsmoe' as const, positions: 'rotary' as const, norm: 'rms' as const, seed: 1 };
    const [a, b] = [makeModel(c), makeModel(c)];
    const opts: LMInferOptions = { mode: { mode: 'dense' } };
    const state = new DecodeState(a, { batch: 2 });
    await expect(b.decode(state, idsOf([[1], [2]]), opts)).rejects.toThrow(/made for another model/);
    await expect(a.decode(state, idsOf([[1]]), opts)).rejects.toThrow(/expected ids \[2, S ≥ 1\]/);
    await expect(a.decode(state, idsOf([Array(11).fill(1), Array(11).fill(1)]), opts)).rejects.toThrow(/11 new tokens at once exceed the window \(maxSeqLen 10\)/);
    await expect(a.decode(state, fromData(new Float32Array(2), [2, 1]), opts)).rejects.toThrow(/ids must be int32/);
    expect(() => new DecodeState(a, { batch: 0 })).toThrow(/batch must be a positive integer, got 0/);
    await a.decode(state, idsOf([[1, 2], [3, 4]]), opts);
    expect(state.length).toBe(2);
    state.clear();
    expect(state.length).toBe(0);
    state.dispose();
    await expect(a.decode(state, idsOf([[1], [2]]), opts)).rejects.toThrow(/used after dispose/);
  });
});
