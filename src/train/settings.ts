/**
 * How long and how hard to train: the optimisation half of a run's
 * configuration (the model half is LMConfig). Each model preset has a
 * matching budget here; `tiny` is sized so `npm start` finishes in minutes
 * on two CPU cores.
 */

export interface TrainSettings {
  steps: number;
  batchSize: number;
  seqLen: number;
  /** Peak learning rate, reached after `warmup` steps, then a cosine down to minLr. */
  lr: number;
  minLr: number;
  warmup: number;
  /** AdamW's decoupled weight decay, on matrices only (not norms, biases). */
  weightDecay: number;
  /** Global gradient-norm clip. */
  clip: number;
  /** Validate every this many steps (0: only at the end). */
  evalEvery: number;
  /** Validation tokens used during training (the eval command uses them all). */
  evalTokens: number;
  /** Write a checkpoint every this many steps (0: only at the end). */
  checkpointEvery: number;
  seed: number;
}

export const TRAIN_PRESETS: Readonly<Record<string, TrainSettings>> = Object.freeze({
  tiny: { steps: 800, batchSize: 16, seqLen: 64, lr: 3e-3, minLr: 3e-4, warmup: 30, weightDecay: 0.01, clip: 1, evalEvery: 100, evalTokens: 16384, checkpointEvery: 100, seed: 1 },
  small: { steps: 2000, batchSize: 16, seqLen: 128, lr: 2e-3, minLr: 2e-4, warmup: 100, weightDecay: 0.01, clip: 1, evalEvery: 250, evalTokens: 65536, checkpointEvery: 250, seed: 1 },
  base: { steps: 5000, batchSize: 32, seqLen: 256, lr: 1e-3, minLr: 1e-4, warmup: 200, weightDecay: 0.01, clip: 1, evalEvery: 500, evalTokens: 131072, checkpointEvery: 500, seed: 1 },
});

export function trainPreset(name: string): TrainSettings {
  const p = TRAIN_PRESETS[name];
  if (!p) throw new Error(`unknown preset '${name}' (known: ${Object.keys(TRAIN_PRESETS).join(', ')})`);
  return { ...p };
}

/** The most token ids one training batch may hold (2^24). */
export const MAX_TOKENS_PER_STEP = 2 ** 24;

/** Checks cross-field constraints the single-flag parsers cannot see. */
export function validateSettings(s: TrainSettings, maxSeqLen: number): void {
  if (s.seqLen > maxSeqLen) throw new Error(`--seq-len ${s.seqLen} exceeds the model's maxSeqLen ${maxSeqLen} (raise --max-seq-len)`);
  if (s.warmup > s.steps) throw new Error(`--warmup ${s.warmup} exceeds --steps ${s.steps}`);
  if (s.minLr > s.lr) throw new Error(`--min-lr ${s.minLr} exceeds --lr ${s.lr}`);
  // A batch is one int32 array of batchSize × (seqLen + 1) token ids: past 2^24 tokens per step it is
  // a typed array JavaScript refuses ("Invalid typed array length"), or gigabytes no step could use.
  const tokens = s.batchSize * (s.seqLen + 1);
  if (tokens > MAX_TOKENS_PER_STEP) {
    throw new Error(`--batch-size ${s.batchSize} × (--seq-len ${s.seqLen} + 1) is ${tokens} tokens per step, more than ${MAX_TOKENS_PER_STEP}`);
  }
}

const POSITIVE_INTS = ['steps', 'batchSize', 'seqLen', 'evalTokens'] as const;
const COUNTS = ['warmup', 'evalEvery', 'checkpointEvery', 'seed'] as const;
const RATES = ['lr', 'minLr', 'weightDecay', 'clip'] as const;

/**
 * Settings read back from a checkpoint, every field checked as the flags
 * would check it: a file is input too, and `batchSize: -3` must fail here
 * by name, not as a shape error twenty calls later. `where` prefixes errors.
 */
export function settingsFromJSON(where: string, json: unknown, maxSeqLen: number): TrainSettings {
  if (typeof json !== 'object' || json === null) throw new Error(`${where}: settings must be a JSON object`);
  const o = json as Record<string, unknown>;
  const bad = (k: string, what: string): never => { throw new Error(`${where}: settings.${k} must be ${what}, got ${JSON.stringify(o[k])}`); };
  for (const k of POSITIVE_INTS) if (!Number.isSafeInteger(o[k]) || (o[k] as number) < 1) bad(k, 'a positive integer');
  for (const k of COUNTS) if (!Number.isSafeInteger(o[k]) || (o[k] as number) < 0) bad(k, 'a non-negative integer');
  for (const k of RATES) if (typeof o[k] !== 'number' || !Number.isFinite(o[k]) || (o[k] as number) < 0) bad(k, 'a finite number ≥ 0');
  if ((o.clip as number) <= 0) bad('clip', 'positive');
  // In the file's own order, so a resumed run writes the same metadata bytes as an unbroken one.
  const known = new Set<string>([...POSITIVE_INTS, ...COUNTS, ...RATES]);
  const s = Object.fromEntries(Object.entries(o).filter(([k]) => known.has(k))) as unknown as TrainSettings;
  try {
    validateSettings(s, maxSeqLen);
  } catch (e) {
    throw new Error(`${where}: ${(e as Error).message}`);
  }
  return s;
}
