/**
 * The flags that describe a training run, shared by `train`, `compare` and
 * `demo`: the preset, every model dimension, the optimisation budget, the
 * data. Each flag maps onto one field of LMConfig or TrainSettings; the
 * preset supplies whatever is not given.
 */
import { ACTIVATIONS } from '../nn/activations.js';
import { lmConfig, MODEL_KINDS, NORM_KINDS, POSITIONS, type LMConfig, type ModelKind } from '../moe/lm-config.js';
import { GATE_SCALES } from '../moe/gate.js';
import { ROUTER_KINDS } from '../moe/router.js';
import { choice, num, str, UsageError, type FlagSpec, type Flags } from './args.js';
import { checkDtsSchedule, type DtsSchedule } from '../moe/dts-gate.js';
import { ZERO_EXPERT_KINDS, type ZeroExpertKind } from '../moe/zero-experts.js';
import type { CorpusOptions, TokenizerKind } from '../data/corpus.js';
import { trainPreset, validateSettings, type TrainSettings } from '../train/settings.js';

export const MODEL_FLAGS: FlagSpec = {
  preset: { type: 'string' },
  kind: { type: 'string' },
  'd-model': { type: 'string' },
  layers: { type: 'string' },
  heads: { type: 'string' },
  'kv-heads': { type: 'string' },
  'head-dim': { type: 'string' },
  'attn-experts': { type: 'string' },
  experts: { type: 'string' },
  'expert-hidden': { type: 'string' },
  'max-seq-len': { type: 'string' },
  router: { type: 'string' },
  'router-hidden': { type: 'string' },
  positions: { type: 'string' },
  norm: { type: 'string' },
  activation: { type: 'string' },
  dropout: { type: 'string' },
  'alpha-ffn': { type: 'string' },
  'alpha-attn': { type: 'string' },
  'ffn-gate': { type: 'string' },
  'attn-gate': { type: 'string' },
  'smoe-top-k': { type: 'string' },
  'balance-weight': { type: 'string' },
  'z-loss-weight': { type: 'string' },
  'shared-experts': { type: 'string' },
  'zero-experts': { type: 'string' },
  dts: { type: 'string' },
};

export const TRAIN_FLAGS: FlagSpec = {
  steps: { type: 'string' },
  'batch-size': { type: 'string' },
  'seq-len': { type: 'string' },
  lr: { type: 'string' },
  'min-lr': { type: 'string' },
  warmup: { type: 'string' },
  'weight-decay': { type: 'string' },
  clip: { type: 'string' },
  'eval-every': { type: 'string' },
  'eval-tokens': { type: 'string' },
  'checkpoint-every': { type: 'string' },
  seed: { type: 'string' },
};

export const DATA_FLAGS: FlagSpec = {
  corpus: { type: 'string' },
  tokenizer: { type: 'string' },
  'bpe-vocab': { type: 'string' },
  'val-fraction': { type: 'string' },
};

export const COMMON_FLAGS: FlagSpec = {
  backend: { type: 'string' },
  out: { type: 'string' },
  quiet: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
};

const int = { integer: true, min: 1 };

/** The model config the flags describe, on top of the preset. */
export function configFromFlags(f: Flags, kind?: ModelKind): LMConfig {
  const preset = str(f, 'preset') ?? 'tiny';
  const overrides: Partial<LMConfig> = {
    kind: kind ?? choice(f, 'kind', MODEL_KINDS),
    dModel: num(f, 'd-model', int),
    nLayers: num(f, 'layers', int),
    nHeads: num(f, 'heads', int),
    nKvHeads: num(f, 'kv-heads', int),
    headDim: num(f, 'head-dim', int),
    attnExperts: num(f, 'attn-experts', int),
    nExperts: num(f, 'experts', int),
    expertHidden: num(f, 'expert-hidden', int),
    maxSeqLen: num(f, 'max-seq-len', int),
    router: choice(f, 'router', ROUTER_KINDS),
    routerHidden: num(f, 'router-hidden', int),
    positions: choice(f, 'positions', POSITIONS),
    norm: choice(f, 'norm', NORM_KINDS),
    activation: choice(f, 'activation', ACTIVATIONS),
    dropout: num(f, 'dropout', { min: 0, max: 0.99 }),
    alphaFfn: num(f, 'alpha-ffn', { min: 0 }),
    alphaAttn: num(f, 'alpha-attn', { min: 0 }),
    ffnGate: choice(f, 'ffn-gate', GATE_SCALES),
    attnGate: choice(f, 'attn-gate', GATE_SCALES),
    smoeTopK: num(f, 'smoe-top-k', int),
    balanceWeight: num(f, 'balance-weight', { min: 0 }),
    zLossWeight: num(f, 'z-loss-weight', { min: 0 }),
    sharedExperts: num(f, 'shared-experts', { integer: true, min: 0 }),
    zeroExperts: zeroExpertsFlag(f),
    dts: dtsFlag(f),
  };
  // A longer --seq-len than the preset's context raises the context with it.
  const seqLen = num(f, 'seq-len', int);
  if (seqLen !== undefined && overrides.maxSeqLen === undefined) overrides.maxSeqLen = Math.max(seqLen, lmConfig(preset).maxSeqLen);
  return lmConfig(preset, overrides);
}

/** --zero-experts zero,copy,constant (a kind may repeat; 'none' for none). */
function zeroExpertsFlag(f: Flags): ZeroExpertKind[] | undefined {
  const raw = str(f, 'zero-experts');
  if (raw === undefined) return undefined;
  if (raw.trim() === 'none') return [];
  return raw.split(',').map((part) => {
    const k = part.trim();
    if (!(ZERO_EXPERT_KINDS as readonly string[]).includes(k)) throw new UsageError(`--zero-experts: unknown kind '${k}' in '${raw}' (known: ${ZERO_EXPERT_KINDS.join(', ')}, or none)`);
    return k as ZeroExpertKind;
  });
}

/** --dts TAU_START:TAU_END:FROM:TO, the DTS gate's temperature schedule (dts-gate.ts), e.g. 2:0.5:0:600. */
function dtsFlag(f: Flags): DtsSchedule | null | undefined {
  const raw = str(f, 'dts');
  if (raw === undefined) return undefined;
  if (raw.trim() === 'none') return null;
  const parts = raw.split(':').map((p) => (p.trim() === '' ? NaN : Number(p)));
  if (parts.length !== 4 || parts.some((v) => !Number.isFinite(v))) throw new UsageError(`--dts '${raw}': expected TAU_START:TAU_END:FROM:TO, four numbers, e.g. 2:0.5:0:600`);
  const [tauStart, tauEnd, from, to] = parts as [number, number, number, number];
  const schedule = { tauStart, tauEnd, from, to };
  try {
    checkDtsSchedule('--dts', schedule);
  } catch (e) {
    throw new UsageError((e as Error).message);
  }
  return schedule;
}

export function settingsFromFlags(f: Flags, maxSeqLen: number): TrainSettings {
  const s = trainPreset(str(f, 'preset') ?? 'tiny');
  const set = <K extends keyof TrainSettings>(key: K, v: TrainSettings[K] | undefined): void => {
    if (v !== undefined) s[key] = v;
  };
  set('steps', num(f, 'steps', int));
  set('batchSize', num(f, 'batch-size', int));
  set('seqLen', num(f, 'seq-len', int));
  set('lr', num(f, 'lr', { min: 0 }));
  set('minLr', num(f, 'min-lr', { min: 0 }));
  set('warmup', num(f, 'warmup', { integer: true, min: 0 }));
  set('weightDecay', num(f, 'weight-decay', { min: 0 }));
  set('clip', num(f, 'clip', { min: 1e-9 }));
  set('evalEvery', num(f, 'eval-every', { integer: true, min: 0 }));
  set('evalTokens', num(f, 'eval-tokens', int));
  set('checkpointEvery', num(f, 'checkpoint-every', { integer: true, min: 0 }));
  set('seed', num(f, 'seed', { integer: true, min: 0 }));
  // A short run (--steps 20) keeps a tenth of itself for warmup rather than failing on the preset's.
  if (num(f, 'warmup', { integer: true, min: 0 }) === undefined) s.warmup = Math.min(s.warmup, Math.floor(s.steps / 10));
  validateSettings(s, maxSeqLen);
  return s;
}

export function corpusFromFlags(f: Flags, seed: number): CorpusOptions {
  return {
    corpus: str(f, 'corpus'),
    tokenizer: choice<TokenizerKind>(f, 'tokenizer', ['byte', 'bpe']) ?? 'byte',
    bpeVocab: num(f, 'bpe-vocab', { integer: true, min: 257 }) ?? 512,
    valFraction: num(f, 'val-fraction', { min: 0.001, max: 0.9 }) ?? 0.1,
    seed,
  };
}
