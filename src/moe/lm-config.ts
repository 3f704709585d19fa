/**
 * The language model's configuration: named presets, every dimension
 * overridable, checked once up front so a bad combination (heads that do not
 * divide into experts, a K larger than N) fails here with its name rather
 * than as a shape error deep in a forward pass.
 *
 * DS-MoE is a dense transformer sliced into experts (docs/design.md): the FFN's
 * nExperts·expertHidden columns are the dense FFN's width, and the nHeads
 * query heads are grouped into attnExperts experts. So the three kinds below
 * have the same shapes and differ only in routers and how they are trained:
 *   dense  no routers: the FFN and the attention are plain dense layers;
 *   dsmoe  routers on FFN and attention, trained densely with the MI loss;
 *   smoe   a router on the FFN trained sparsely (top-K) with the Switch
 *          load-balancing loss, dense attention (the paper's SMoE baseline).
 */
import { ACTIVATIONS, type ActivationName } from '../nn/activations.js';
import { checkDtsSchedule, type DtsSchedule } from './dts-gate.js';
import { GATE_SCALES, type GateScale } from './gate.js';
import { ROUTER_KINDS, type RouterKind } from './router.js';
import { checkZeroExperts, type ZeroExpertKind } from './zero-experts.js';

/** The choices of each string field, listed once: validateConfig and the command-line flags both check against them. */
export const MODEL_KINDS = ['dsmoe', 'dense', 'smoe'] as const;
export const POSITIONS = ['rotary', 'learned'] as const;
export const NORM_KINDS = ['rms', 'layer'] as const;

export type ModelKind = (typeof MODEL_KINDS)[number];
export type Positions = (typeof POSITIONS)[number];
export type NormKind = (typeof NORM_KINDS)[number];

export interface LMConfig {
  kind: ModelKind;
  vocabSize: number;
  /** Longest context (learned positions have this many rows). */
  maxSeqLen: number;
  dModel: number;
  nLayers: number;
  /** Query heads in all; each is headDim wide. */
  nHeads: number;
  /** Shared key/value heads (grouped-query attention); divides nHeads. */
  nKvHeads: number;
  headDim: number;
  /** Attention experts: nHeads/attnExperts query heads each (dsmoe only). */
  attnExperts: number;
  /** FFN experts; nExperts·expertHidden is the FFN width for every kind. */
  nExperts: number;
  expertHidden: number;
  activation: ActivationName;
  router: RouterKind;
  /** Hidden width of the MLP router. */
  routerHidden: number;
  positions: Positions;
  norm: NormKind;
  dropout: number;
  /** MI-loss weights (dsmoe): the FFN routers' and the attention routers'. */
  alphaFfn: number;
  alphaAttn: number;
  /** How the FFN and attention experts' outputs are weighed (gate.ts): S_e ('convex', eq. 1) or N·S_e ('scaled'). */
  ffnGate: GateScale;
  attnGate: GateScale;
  /** SMoE baseline: experts per token in training, Switch-loss and z-loss weights. */
  smoeTopK: number;
  balanceWeight: number;
  zLossWeight: number;
  /**
   * Shared experts (DeepSeekMoE): this many of the nExperts FFN experts sit
   * outside the router, a dense block every token uses, ungated; the router
   * chooses among the other nExperts − sharedExperts. 0 (default): none.
   */
  sharedExperts: number;
  /**
   * Zero-computation experts (MoE++): router choices that run no GEMM, in
   * router order after the FFN experts (zero-experts.ts). Empty (default): none.
   */
  zeroExperts: readonly ZeroExpertKind[];
  /** The dense-to-sparse gate's temperature schedule (EvoMoE, dts-gate.ts), every router's; null (default): temperature 1. */
  dts: Readonly<DtsSchedule> | null;
}

const base: Omit<LMConfig, 'dModel' | 'nLayers' | 'nHeads' | 'nKvHeads' | 'headDim' | 'attnExperts' | 'nExperts' | 'expertHidden' | 'maxSeqLen'> = {
  kind: 'dsmoe',
  vocabSize: 256,
  activation: 'gelu',
  router: 'linear',
  routerHidden: 64,
  positions: 'rotary',
  norm: 'rms',
  dropout: 0,
  alphaFfn: 0.01,
  alphaAttn: 0.005,
  ffnGate: 'convex',
  attnGate: 'convex',
  smoeTopK: 2,
  balanceWeight: 0.01,
  zLossWeight: 0.001,
  sharedExperts: 0,
  zeroExperts: [],
  dts: null,
};

/**
 * tiny trains in minutes on two CPU cores (what `npm start` runs); small
 * is the serving preset (1.2M parameters, 8 experts of 128 hidden units:
 * expert GEMMs big enough for sparse inference to pay, bench lm-infer);
 * base is the same shape grown for a real backend. The MI weights are
 * far above the paper's 2e-4…6e-4: those were for 0.5M–2M-token batches
 * and 100k+ steps; a few hundred steps on 1k-token batches need a stronger
 * push for the routers to become sparse in time (the study's α rows).
 *
 * The DS-MoE defaults are what the reproduction study (`dsmoe study`,
 * docs/results.md; 3 seeds per row) measured best at each size:
 *   small  the paper's architecture: attention heads grouped into 8 experts
 *          of one head (MoA), convex gates S_e. It beat Dense by 7–11% and
 *          SMoE at top-2 by 3–9%, on every seed.
 *   tiny   departs from it: dense attention (attnExperts 1) and scaled FFN
 *          gates (N·S_e, so a uniform router is the dense FFN: gate.ts). Its
 *          mean was 3% better than the paper's configuration, but on one
 *          seed of three the paper's was as good: at 109k parameters and
 *          800 steps the seeds move every row by ±4%.
 * `dsmoe train --attn-experts 4 --ffn-gate convex` is the paper's DS-MoE at tiny.
 * The SMoE baseline keeps the Switch Transformer's convex gate unless
 * --ffn-gate says otherwise (lmConfig): it is the baseline as published.
 * base keeps the paper's MoA (8 experts of one head): not measured here.
 */
export const PRESETS: Readonly<Record<string, LMConfig>> = Object.freeze({
  tiny: { ...base, maxSeqLen: 64, dModel: 64, nLayers: 2, nHeads: 4, nKvHeads: 2, headDim: 16, attnExperts: 1, nExperts: 8, expertHidden: 32, ffnGate: 'scaled' },
  small: { ...base, maxSeqLen: 128, dModel: 128, nLayers: 4, nHeads: 8, nKvHeads: 2, headDim: 16, attnExperts: 8, nExperts: 8, expertHidden: 128, alphaFfn: 0.005, alphaAttn: 0.002 },
  base: { ...base, maxSeqLen: 256, dModel: 256, nLayers: 6, nHeads: 8, nKvHeads: 2, headDim: 32, attnExperts: 8, nExperts: 32, expertHidden: 32, alphaFfn: 0.002, alphaAttn: 0.001 },
});

export function presetNames(): string[] {
  return Object.keys(PRESETS);
}

/** The preset `name` with `overrides` applied, validated. */
export function lmConfig(name: string, overrides: Partial<LMConfig> = {}): LMConfig {
  const preset = PRESETS[name];
  if (!preset) throw new Error(`unknown preset '${name}' (known: ${presetNames().join(', ')})`);
  const given = withoutUndefined(overrides);
  // A preset's FFN gate is DS-MoE's; the SMoE baseline is the published one (convex) unless asked.
  const kindDefaults: Partial<LMConfig> = given.kind === 'smoe' ? { ffnGate: 'convex' } : {};
  const cfg = { ...preset, ...kindDefaults, ...given };
  validateConfig(cfg);
  return cfg;
}

function withoutUndefined<T extends object>(o: Partial<T>): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}

export const MAX_SEQ_LEN = 8192;

const COUNTS = ['sharedExperts'] as const;
const POSITIVE_INTS = ['vocabSize', 'maxSeqLen', 'dModel', 'nLayers', 'nHeads', 'nKvHeads', 'headDim', 'attnExperts', 'nExperts', 'expertHidden', 'routerHidden', 'smoeTopK'] as const;
const NON_NEGATIVE = ['alphaFfn', 'alphaAttn', 'balanceWeight', 'zLossWeight', 'dropout'] as const;

/** Throws an Error naming the first field that is wrong, and why. */
export function validateConfig(c: LMConfig): void {
  const oneOf = <T extends string>(field: keyof LMConfig, v: T, ok: readonly T[]): void => {
    if (!ok.includes(v)) throw new Error(`model config: ${field} must be one of ${ok.join(', ')}; got '${v}'`);
  };
  oneOf('kind', c.kind, MODEL_KINDS);
  oneOf('positions', c.positions, POSITIONS);
  oneOf('norm', c.norm, NORM_KINDS);
  oneOf('router', c.router, ROUTER_KINDS);
  oneOf('activation', c.activation, ACTIVATIONS);
  oneOf('ffnGate', c.ffnGate, GATE_SCALES);
  oneOf('attnGate', c.attnGate, GATE_SCALES);
  for (const k of POSITIVE_INTS) {
    if (!Number.isInteger(c[k]) || c[k] < 1) throw new Error(`model config: ${k} must be a positive integer, got ${c[k]}`);
  }
  for (const k of NON_NEGATIVE) {
    if (!(Number.isFinite(c[k]) && c[k] >= 0)) throw new Error(`model config: ${k} must be a finite number ≥ 0, got ${c[k]}`);
  }
  for (const k of COUNTS) {
    if (!Number.isInteger(c[k]) || c[k] < 0) throw new Error(`model config: ${k} must be an integer ≥ 0, got ${c[k]}`);
  }
  // The router needs at least one FFN expert to choose: the shared ones are taken from the nExperts.
  if (c.sharedExperts >= c.nExperts) throw new Error(`model config: sharedExperts=${c.sharedExperts} must be less than nExperts=${c.nExperts} (at least one routed expert)`);
  checkZeroExperts('model config: zeroExperts', c.zeroExperts);
  if (c.dts !== null) checkDtsSchedule('model config: dts', c.dts);
  // Attention materialises an S×S score matrix per head: past this it cannot be allocated on any backend here.
  if (c.maxSeqLen > MAX_SEQ_LEN) throw new Error(`model config: maxSeqLen must be ≤ ${MAX_SEQ_LEN} (attention builds S×S scores), got ${c.maxSeqLen}`);
  if (c.dropout >= 1) throw new Error(`model config: dropout must be < 1, got ${c.dropout}`);
  if (c.nHeads % c.nKvHeads !== 0) throw new Error(`model config: nKvHeads=${c.nKvHeads} must divide nHeads=${c.nHeads}`);
  if (c.nHeads % c.attnExperts !== 0) throw new Error(`model config: attnExperts=${c.attnExperts} must divide nHeads=${c.nHeads}`);
  if (c.positions === 'rotary' && c.headDim % 2 !== 0) throw new Error(`model config: rotary positions need an even headDim, got ${c.headDim}`);
  if (c.smoeTopK > routerExperts(c)) throw new Error(`model config: smoeTopK=${c.smoeTopK} exceeds the FFN router's ${routerExperts(c)} choices (nExperts ${c.nExperts} − sharedExperts ${c.sharedExperts} + ${c.zeroExperts.length} zero-computation)`);
}

/** What the FFN router chooses among: the routed FFN experts, then the zero-computation experts. */
export function routerExperts(c: Pick<LMConfig, 'nExperts' | 'sharedExperts' | 'zeroExperts'>): number {
  return c.nExperts - c.sharedExperts + c.zeroExperts.length;
}


/**
 * The fields each kind reads besides the shared shape ones: a Dense model is
 * the same function whatever its attnExperts or ffnGate say. Comparing two
 * configs by what their models use (configUsed) keeps a study or a cache
 * from treating two identical models as different.
 */
const SHARED_FIELDS = ['kind', 'vocabSize', 'maxSeqLen', 'dModel', 'nLayers', 'nHeads', 'nKvHeads', 'headDim', 'nExperts', 'expertHidden', 'activation', 'positions', 'norm', 'dropout'] as const;
const KIND_FIELDS: Record<ModelKind, readonly (keyof LMConfig)[]> = {
  dense: [],
  smoe: ['router', 'routerHidden', 'ffnGate', 'smoeTopK', 'balanceWeight', 'zLossWeight', 'sharedExperts', 'zeroExperts', 'dts'],
  dsmoe: ['attnExperts', 'router', 'routerHidden', 'ffnGate', 'attnGate', 'alphaFfn', 'alphaAttn', 'sharedExperts', 'zeroExperts', 'dts'],
};

/** The fields of `c` that its kind's model reads (test/moe/lm.test.ts checks that the others change nothing). */
export function configUsed(c: LMConfig): Partial<LMConfig> {
  const keys = [...SHARED_FIELDS, ...KIND_FIELDS[c.kind]];
  return Object.fromEntries(keys.map((k) => [k, c[k]])) as Partial<LMConfig>;
}

/** Parses a config read back from a checkpoint: every field present and valid. */
export function configFromJSON(json: unknown): LMConfig {
  if (typeof json !== 'object' || json === null) throw new Error('model config: expected a JSON object');
  // Checkpoints written before the gate fields existed were all trained with convex gates, and those
  // before the routing extensions had none of them. (Filled in after the fields read, so a new
  // checkpoint's config keeps its order and a resumed run writes the same bytes.)
  const c = withAbsentFields(json as Record<string, unknown>);
  const missing = (Object.keys(PRESETS.tiny!) as (keyof LMConfig)[]).filter((k) => !(k in c));
  if (missing.length) throw new Error(`model config: missing fields ${missing.join(', ')}`);
  const cfg = c as unknown as LMConfig;
  validateConfig(cfg);
  return cfg;
}

/** What a config written before a field existed means, that field filled in (configFromJSON; a study folder's older plans). */
export function withAbsentFields(json: Record<string, unknown>): Record<string, unknown> {
  const c: Record<string, unknown> = { ...json };
  const absent: Partial<LMConfig> = { ffnGate: 'convex', attnGate: 'convex', sharedExperts: 0, zeroExperts: [], dts: null };
  for (const [k, v] of Object.entries(absent)) if (!(k in c)) c[k] = v;
  return c;
}
