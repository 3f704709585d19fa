/**
 * What the PyTorch twin is checked against: small models of every kind,
 * position, norm and router, written by dsmoe's own checkpoint writer
 * (saveCheckpoint), and beside each the answers dsmoe gave on one batch —
 * logits in every inference mode and the loss parts and gradients of one
 * training step. Python reads both and says how far its answers are.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ByteTokenizer } from '../../src/data/byte-tokenizer.js';
import { encodeSafetensors, type SafetensorsInput } from '../../src/io/safetensors.js';
import { fileTensorName } from '../../src/io/checkpoint-names.js';
import { lmConfig, type LMConfig } from '../../src/moe/lm-config.js';
import type { ZeroExpertKind } from '../../src/moe/zero-experts.js';
import { randn } from '../../src/tensor/create.js';
import { LanguageModel } from '../../src/moe/lm.js';
import type { LMInferOptions } from '../../src/moe/lm-stats.js';
import { fromData } from '../../src/tensor/create.js';
import { noGrad } from '../../src/tensor/grad-mode.js';
import { manualSeed } from '../../src/tensor/random.js';
import { readSafetensorsMetadata as metadataOf, saveCheckpoint } from '../../src/cli/run-folder.js';
import { stateDictToSafetensors } from '../../src/io/state-dict.js';
import { Trainer } from '../../src/train/trainer.js';
import { trainPreset } from '../../src/train/settings.js';
import type { Tensor } from '../../src/tensor/tensor.js';

export interface Case {
  name: string;
  config: LMConfig;
  /** Router weights set to 0: every score is 1/N, so every routing decision is a tie. */
  tiedRouters?: boolean;
}

const SMALL = { vocabSize: 256, maxSeqLen: 16, dModel: 16, nLayers: 2, nHeads: 4, headDim: 4, nExperts: 4, expertHidden: 8, routerHidden: 8 };
const ACTIVATIONS = ['gelu', 'relu', 'silu'] as const;

/** kind × positions × norm × router (dense has no router), the other options varied across the cases. */
export function twinCases(): Case[] {
  const cases: Case[] = [];
  let i = 0;
  for (const kind of ['dsmoe', 'smoe', 'dense'] as const) {
    for (const positions of ['rotary', 'learned'] as const) {
      for (const norm of ['rms', 'layer'] as const) {
        for (const router of kind === 'dense' ? (['linear'] as const) : (['linear', 'mlp'] as const)) {
          const config = lmConfig('tiny', {
            ...SMALL, kind, positions, norm, router,
            nKvHeads: [1, 2, 4][i % 3]!,
            attnExperts: i % 2 ? 4 : 2,
            activation: ACTIVATIONS[i % 3]!,
            ffnGate: i % 2 ? 'scaled' : 'convex',
            attnGate: i % 4 < 2 ? 'convex' : 'scaled',
            smoeTopK: 1 + (i % 2),
            dropout: i % 5 === 0 ? 0.1 : 0,
            alphaFfn: 0.3, alphaAttn: 0.2, balanceWeight: 0.2, zLossWeight: 0.05,
          });
          cases.push({ name: `${kind}-${positions}-${norm}-${router}`, config });
          i++;
        }
      }
    }
  }
  for (const kind of ['dsmoe', 'smoe'] as const) {
    cases.push({ name: `${kind}-tied`, tiedRouters: true, config: lmConfig('tiny', { ...SMALL, kind, nKvHeads: 2, attnExperts: 4, smoeTopK: 2, alphaFfn: 0.3, alphaAttn: 0.2 }) });
  }
  // The routing extensions (format version 3): shared and zero-computation experts, the DTS gate at τ₀ ≠ 1.
  const extensions = { sharedExperts: 1, zeroExperts: ['zero', 'copy', 'constant'] as ZeroExpertKind[], dts: { tauStart: 1.7, tauEnd: 0.4, from: 0, to: 100 } };
  cases.push({ name: 'dsmoe-extensions', config: lmConfig('tiny', { ...SMALL, kind: 'dsmoe', nKvHeads: 2, attnExperts: 2, ffnGate: 'scaled', router: 'mlp', alphaFfn: 0.3, alphaAttn: 0.2, ...extensions }) });
  cases.push({ name: 'smoe-extensions', config: lmConfig('tiny', { ...SMALL, kind: 'smoe', nKvHeads: 2, smoeTopK: 2, balanceWeight: 0.2, zLossWeight: 0.05, ...extensions, sharedExperts: 2 }) });
  return cases;
}

/** Every mode, with the attention experts dense, following the FFN's mode, or (topK) both. */
export const TWIN_MODES: LMInferOptions[] = [
  { mode: { mode: 'dense' } },
  { mode: { mode: 'topK', k: 1 } },
  { mode: { mode: 'topK', k: 2 } },
  { mode: { mode: 'topK', k: 2 }, attention: 'follow' },
  { mode: { mode: 'threshold', eps: 1 } },
  { mode: { mode: 'threshold', eps: 0.6 }, attention: 'dense' },
  { mode: { mode: 'thresholdTopK', eps: 1 } },
  { mode: { mode: 'thresholdTopK', eps: 0.6 } },
  { mode: { mode: 'topP', p: 0.7 } },
  { mode: { mode: 'topP', p: 0.5 }, attention: 'dense' },
  { mode: { mode: 'topP', p: 1 } },
];

const B = 2;
const S = 12;

/**
 * Writes case `c` under dir/<name>/: model.safetensors (by saveCheckpoint),
 * model-v1.safetensors (the same weights as format version 1 wrote them)
 * and expected.safetensors (dsmoe's answers).
 */
export async function writeCase(dir: string, c: Case, seed: number): Promise<string> {
  const out = join(dir, c.name);
  mkdirSync(out, { recursive: true });
  manualSeed(seed);
  const model = new LanguageModel(c.config);
  if (c.tiedRouters) {
    noGrad(() => {
      for (const [k, p] of model.namedParameters()) if (k.includes('router')) p.assign(p.mul(0));
    });
  }
  // The constant experts start at 0, where they are zero experts: moved off it, so that each shows in the logits.
  noGrad(() => {
    for (const [k, p] of model.namedParameters()) if (k.endsWith('.constants')) p.assign(randn([...p.shape]).mul(0.5));
  });
  const tokens = Int32Array.from({ length: B * S + 1 + 64 }, (_, t) => (t * 37 + seed * 11) % 251);
  const settings = { ...trainPreset('tiny'), seqLen: S, batchSize: B };
  const trainer = new Trainer(model, settings, { train: tokens, val: tokens });
  await saveCheckpoint(out, trainer, new ByteTokenizer(), { settings, corpus: { tokenizer: 'byte', bpeVocab: 512, valFraction: 0.1, seed: 1 }, backend: 'cpu' });

  const ids = Int32Array.from({ length: B * S }, (_, t) => (t * 53 + seed * 7 + 3) % 256);
  const targets = Int32Array.from({ length: B * S }, (_, t) => (t * 29 + seed) % 256);
  const idsT = fromData(ids, [B, S]);
  const tensors: Record<string, SafetensorsInput> = { ids: { shape: [B, S], data: ids }, targets: { shape: [B, S], data: targets } };
  model.eval();
  // Per mode and layer, the (token, expert) pairs each FFN ran: a routing difference shows as itself, not only as logits.
  const routed: (number | null)[][] = [];
  for (const [i, opts] of TWIN_MODES.entries()) {
    const r = await model.infer(idsT, opts);
    tensors[`logits.${i}`] = { shape: [...r.logits.shape], data: await r.logits.data() };
    routed.push(r.layers.map((l) => (l.ffn ? l.ffn.experts.flat().length : null)));
  }
  // The same weights as a file written before format version 2 (what saveCheckpoint wrote then: module keys, no format_version).
  const { format_version: _v, ...v1Metadata } = metadataOf(join(out, 'model.safetensors'));
  writeFileSync(join(out, 'model-v1.safetensors'), await stateDictToSafetensors(model.stateDict(), v1Metadata));
  // One training step's gradients, on the same weights with dropout off (its masks come from dsmoe's generator, not torch's).
  const learner = c.config.dropout ? new LanguageModel({ ...c.config, dropout: 0 }) : model;
  if (learner !== model) learner.loadStateDict(model.stateDict());
  learner.train();
  const loss = learner.loss(idsT, fromData(targets, [B, S]));
  loss.loss.backward();
  for (const [k, p] of learner.namedParameters()) tensors[`grad.${fileTensorName(k)}`] = { shape: [...p.shape], data: await (p.grad as Tensor).data() };
  const parts = { loss: loss.loss, ce: loss.ce, miAttn: loss.miAttn, miFfn: loss.miFfn, balance: loss.balance, zLoss: loss.zLoss };
  const values = Object.fromEntries(await Promise.all(Object.entries(parts).map(async ([k, t]) => [k, await t.item()] as const)));
  writeFileSync(join(out, 'expected.safetensors'), encodeSafetensors(tensors, { modes: JSON.stringify(TWIN_MODES), loss: JSON.stringify(values), routed: JSON.stringify(routed) }));
  return out;
}
