/**
 * The reproduction study's plan: which models are trained, at which sizes,
 * on which budget and seeds. A plan is plain data, so the study folder can
 * keep it (study.json) and refuse to mix in runs of another plan.
 *
 * Every run of one size reads the same tokens: the corpus split is drawn
 * once (SPLIT_SEED), and the run's seed moves only its initialisation and
 * its batch order. The spread across seeds is then the training's own
 * variance, and perplexities of different seeds are on the same text.
 *
 * Arms are the rows of the study. The main arms (every size) are the
 * paper's comparison: Dense, SMoE (top-2 training, Switch loss) and DS-MoE,
 * in its default configuration and in the paper's (mixture-of-attention
 * heads, convex gates). The ablations (the first size only) each change one
 * thing of the default DS-MoE, or of a baseline, and say which question
 * they answer; the last four are the routing options beyond the paper
 * (shared and zero-computation experts, the DTS gate).
 */
import { lmConfig, type LMConfig, type ModelKind } from '../moe/lm-config.js';
import { UsageError } from './args.js';
import { trainPreset, validateSettings, type TrainSettings } from '../train/settings.js';

export const SPLIT_SEED = 1;

/** A size: a model preset and the budget every arm of that size trains on. */
export interface StudySize {
  preset: string;
  settings: TrainSettings;
}

export interface StudyArm {
  /** A folder name: letters, digits and dashes. */
  id: string;
  label: string;
  kind: ModelKind;
  /** Config fields changed from the preset (as the preset's defaults are, for the default arms). */
  config: Partial<LMConfig>;
  /** Multiplies the size's steps (the training-length ablation). */
  stepsScale?: number;
  /** A DTS gate annealing from tauStart at step 0 to tauEnd at the run's last step (its `to` is the budget's steps). */
  dtsOverRun?: { tauStart: number; tauEnd: number };
  lr?: number;
  /** The question the arm answers, for the report. */
  question: string;
}

export interface StudyPlan {
  sizes: StudySize[];
  /** The main arms' ids the plan trains (default all four). */
  mainIds: string[];
  /** The main arms' seeds, and the ablations' (a prefix of them). */
  seeds: number[];
  ablationSeeds: number[];
  main: StudyArm[];
  ablations: StudyArm[];
}

/** One run of the plan: an arm at a size and a seed. */
export interface PlannedRun {
  size: StudySize;
  arm: StudyArm;
  seed: number;
  config: LMConfig;
  settings: TrainSettings;
  /** Relative to the study folder: <preset>/<arm>/seed-<s>. */
  dir: string;
}

/**
 * The budgets of the default sizes. tiny's is its preset's (what `npm
 * start` trains); small's is cut to 500 steps of 16×64 tokens so that
 * twelve of its runs fit in the study's hour on two cores.
 */
const STUDY_BUDGETS: Record<string, Partial<TrainSettings>> = {
  tiny: {},
  small: { steps: 500, seqLen: 64, warmup: 50, evalEvery: 100, evalTokens: 16384, checkpointEvery: 100 },
};

/** The paper's DS-MoE: attention heads grouped into experts of one head (at most 8), every gate convex. */
function paperConfig(preset: string): Partial<LMConfig> {
  const c = lmConfig(preset);
  return { attnExperts: paperAttnExperts(c.nHeads), ffnGate: 'convex', attnGate: 'convex' };
}

/** The most attention experts ≤ 8 that divide the heads: one head each on the small presets. */
function paperAttnExperts(heads: number): number {
  for (let n = Math.min(8, heads); n > 1; n--) if (heads % n === 0) return n;
  return 1;
}

export function mainArms(preset: string): StudyArm[] {
  return [
    { id: 'dense', label: 'Dense', kind: 'dense', config: {}, question: 'the dense model of the same total size' },
    { id: 'smoe', label: 'SMoE', kind: 'smoe', config: {}, question: 'sparse top-2 training with the Switch loss' },
    { id: 'dsmoe', label: 'DS-MoE', kind: 'dsmoe', config: {}, question: 'dsmoe\'s default DS-MoE' },
    { id: 'dsmoe-paper', label: 'DS-MoE (paper)', kind: 'dsmoe', config: paperConfig(preset), question: 'the paper\'s architecture: MoA attention experts, convex gates' },
  ];
}

/**
 * The ablations, each one change to the default DS-MoE (or to a baseline):
 * the attention experts put back (how many heads each, how they are gated,
 * their MI loss), the FFN gate, the MI weight, the router, the learning
 * rate and the training length.
 */
function ablationArms(preset: string): StudyArm[] {
  const c = lmConfig(preset);
  const moa = paperAttnExperts(c.nHeads);
  const hpe = c.nHeads / moa;
  return [
    { id: 'moa', label: `MoA: ${moa} attention experts of ${hpe} head${hpe > 1 ? 's' : ''}`, kind: 'dsmoe', config: { attnExperts: moa }, question: 'attention experts on (the paper\'s MoA)' },
    { id: 'moa-wide', label: `MoA: ${moa / 2} attention experts of ${2 * hpe} heads`, kind: 'dsmoe', config: { attnExperts: moa / 2 }, question: 'heads per attention expert' },
    { id: 'moa-scaled', label: `MoA ×${moa}, gate N·S_e`, kind: 'dsmoe', config: { attnExperts: moa, attnGate: 'scaled' }, question: 'MoA gating: the paper\'s S_e against N·S_e' },
    { id: 'moa-alpha-0', label: `MoA ×${moa}, α_att = 0`, kind: 'dsmoe', config: { attnExperts: moa, alphaAttn: 0 }, question: 'does the attention routers\' MI loss cost quality?' },
    { id: 'moa-alpha-high', label: `MoA ×${moa}, α_att = ${c.alphaAttn * 3}`, kind: 'dsmoe', config: { attnExperts: moa, alphaAttn: c.alphaAttn * 3 }, question: 'a stronger attention MI loss' },
    { id: 'ffn-gate-convex', label: 'FFN gate S_e (convex, the paper\'s)', kind: 'dsmoe', config: { ffnGate: 'convex' }, question: 'the 1/N scale that Σ S_e = 1 puts on the FFN' },
    { id: 'alpha-ffn-0', label: 'α_ffn = 0', kind: 'dsmoe', config: { alphaFfn: 0 }, question: 'no MI loss: dense quality, sparse quality' },
    { id: 'alpha-ffn-low', label: `α_ffn = ${+(c.alphaFfn / 3).toPrecision(2)}`, kind: 'dsmoe', config: { alphaFfn: c.alphaFfn / 3 }, question: 'a weaker MI loss' },
    { id: 'alpha-ffn-high', label: `α_ffn = ${c.alphaFfn * 3}`, kind: 'dsmoe', config: { alphaFfn: c.alphaFfn * 3 }, question: 'a stronger MI loss' },
    { id: 'router-mlp', label: 'MLP router', kind: 'dsmoe', config: { router: 'mlp' }, question: 'router kind' },
    { id: 'router-mlp-convex', label: 'MLP router, FFN gate S_e', kind: 'dsmoe', config: { router: 'mlp', ffnGate: 'convex' }, question: 'the MLP router with the paper\'s gate' },
    { id: 'smoe-gate-scaled', label: 'SMoE, gate N·S_e', kind: 'smoe', config: { ffnGate: 'scaled' }, question: 'does the gate scale help the baseline too?' },
    { id: 'lr-high-dense', label: 'Dense, 2× learning rate', kind: 'dense', config: {}, lr: 2, question: 'is the budget\'s learning rate the dense model\'s best?' },
    { id: 'lr-high-dsmoe', label: 'DS-MoE, 2× learning rate', kind: 'dsmoe', config: {}, lr: 2, question: 'is it DS-MoE\'s best?' },
    { id: 'long-dense', label: 'Dense, 2× tokens', kind: 'dense', config: {}, stepsScale: 2, question: 'does the gap change with more tokens?' },
    { id: 'long-smoe', label: 'SMoE, 2× tokens', kind: 'smoe', config: {}, stepsScale: 2, question: 'does the gap change with more tokens?' },
    { id: 'long-dsmoe', label: 'DS-MoE, 2× tokens', kind: 'dsmoe', config: {}, stepsScale: 2, question: 'does the gap change with more tokens?' },
    ...routingArms(c.nExperts),
  ];
}

/** The ids of the routing-extension ablations (their every mode gets its own table in the report). */
export const ROUTING_ABLATIONS = ['shared', 'zero', 'shared-zero', 'dts'] as const;

/**
 * The routing options beyond the paper, each on the default DS-MoE: a
 * quarter of the experts shared (DeepSeekMoE), one zero-computation expert
 * of each kind (MoE++), both, and the DTS gate annealing τ 2 → 0.5 over the
 * run (EvoMoE). Every one keeps the model's FFN width.
 */
function routingArms(nExperts: number): StudyArm[] {
  const shared = Math.max(1, Math.floor(nExperts / 4));
  const zero: LMConfig['zeroExperts'] = ['zero', 'copy', 'constant'];
  return [
    { id: 'shared', label: `${shared} shared + ${nExperts - shared} routed experts`, kind: 'dsmoe', config: { sharedExperts: shared }, question: 'shared experts (DeepSeekMoE): does a dense core help the routed experts?' },
    { id: 'zero', label: 'zero-computation experts: zero, copy, constant', kind: 'dsmoe', config: { zeroExperts: zero }, question: 'zero-computation experts (MoE++): do tokens choose to do less?' },
    { id: 'shared-zero', label: `${shared} shared experts and zero, copy, constant`, kind: 'dsmoe', config: { sharedExperts: shared, zeroExperts: zero }, question: 'both together' },
    { id: 'dts', label: 'DTS gate, τ 2 → 0.5 over the run', kind: 'dsmoe', config: {}, dtsOverRun: { tauStart: 2, tauEnd: 0.5 }, question: 'the dense-to-sparse gate (EvoMoE): annealing in training beside the MI loss' },
  ];
}

export interface PlanOptions {
  presets: string[];
  seeds: number;
  /** Seeds per ablation (default: min(seeds, 2), to keep the default study inside its hour). */
  ablationSeeds?: number;
  /** Ablation ids to run, 'all' (default) or none (empty list). */
  ablations?: string[] | 'all';
  /** Training tokens per run at the first size (default: the budget's steps × batch × seqLen). */
  tokens?: number;
  /** Main arm ids to train (default all four). */
  main?: string[];
}

/** The plan the options describe; every bad value is refused by name. */
export function makePlan(o: PlanOptions): StudyPlan {
  if (!Number.isInteger(o.seeds) || o.seeds < 1) throw new UsageError(`--seeds must be a positive integer, got ${o.seeds}`);
  if (o.presets.length === 0) throw new UsageError('--sizes: give at least one preset');
  const sizes = o.presets.map((p) => studySize(p));
  if (o.tokens !== undefined) {
    const s = sizes[0]!.settings;
    const batch = s.batchSize * s.seqLen;
    if (!Number.isInteger(o.tokens) || o.tokens < batch) throw new UsageError(`--tokens ${o.tokens} is less than one batch of ${s.batchSize}×${s.seqLen} = ${batch} tokens`);
    const scale = Math.floor(o.tokens / batch) / s.steps;
    for (const size of sizes) rescaleSteps(size.settings, scale);
  }
  const all = ablationArms(sizes[0]!.preset);
  const wanted = o.ablations ?? 'all';
  const ablations = wanted === 'all' ? all : wanted.map((id) => {
    const arm = all.find((a) => a.id === id);
    if (!arm) throw new UsageError(`--ablations: unknown ablation '${id}' (known: ${all.map((a) => a.id).join(', ')})`);
    return arm;
  });
  const ablationSeeds = o.ablationSeeds ?? Math.min(o.seeds, 2);
  if (!Number.isInteger(ablationSeeds) || ablationSeeds < 1 || ablationSeeds > o.seeds) {
    throw new UsageError(`--ablation-seeds must be an integer in [1, --seeds = ${o.seeds}], got ${ablationSeeds}`);
  }
  const seeds = (n: number): number[] => Array.from({ length: n }, (_, i) => i + 1);
  const allMain = mainArms(sizes[0]!.preset);
  const mainIds = o.main ?? allMain.map((a) => a.id);
  for (const id of mainIds) if (!allMain.some((a) => a.id === id)) throw new UsageError(`--main: unknown main arm '${id}' (known: ${allMain.map((a) => a.id).join(', ')})`);
  return { sizes, mainIds, seeds: seeds(o.seeds), ablationSeeds: seeds(ablationSeeds), main: allMain.filter((a) => mainIds.includes(a.id)), ablations };
}

function studySize(preset: string): StudySize {
  lmConfig(preset); // refuses an unknown preset by name
  const settings = { ...trainPreset(preset), ...(STUDY_BUDGETS[preset] ?? {}) };
  return { preset, settings };
}

/** Scales steps (and the warmup, evaluation and checkpoint intervals with them), at least one step. */
function rescaleSteps(s: TrainSettings, scale: number): void {
  const steps = Math.max(1, Math.round(s.steps * scale));
  const ratio = steps / s.steps;
  s.steps = steps;
  s.warmup = Math.min(steps, Math.round(s.warmup * ratio));
  s.evalEvery = Math.max(0, Math.round(s.evalEvery * ratio));
  s.checkpointEvery = Math.max(0, Math.round(s.checkpointEvery * ratio));
}

/** Every run of the plan, in the order the study trains them: size, then seed, then arm. */
export function plannedRuns(plan: StudyPlan): PlannedRun[] {
  const runs: PlannedRun[] = [];
  plan.sizes.forEach((size, i) => {
    for (const seed of plan.seeds) {
      for (const arm of mainArms(size.preset).filter((a) => plan.mainIds.includes(a.id))) runs.push(plannedRun(size, arm, seed));
      if (i === 0 && plan.ablationSeeds.includes(seed)) for (const arm of plan.ablations) runs.push(plannedRun(size, arm, seed));
    }
  });
  return runs;
}

function plannedRun(size: StudySize, arm: StudyArm, seed: number): PlannedRun {
  const settings: TrainSettings = { ...size.settings, seed };
  if (arm.stepsScale) rescaleSteps(settings, arm.stepsScale);
  const dts = arm.dtsOverRun ? { dts: { ...arm.dtsOverRun, from: 0, to: settings.steps } } : {};
  const config = lmConfig(size.preset, { ...arm.config, ...dts, kind: arm.kind });
  if (arm.lr) {
    settings.lr *= arm.lr;
    settings.minLr *= arm.lr;
  }
  validateSettings(settings, config.maxSeqLen);
  return { size, arm, seed, config, settings, dir: `${size.preset}/${arm.id}/seed-${seed}` };
}
