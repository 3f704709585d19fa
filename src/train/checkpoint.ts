/**
 * Checkpoints: two safetensors files, as bytes (the command line writes
 * them to a run folder, src/cli/run-folder.ts; a browser page reads them
 * from a URL or a file input).
 *
 *   model.safetensors       the weights alone, with the model config and the
 *                           tokenizer in the metadata: what eval and generate
 *                           load, and what a PyTorch user loads with
 *                           safetensors.torch.load_file.
 *   checkpoint.safetensors  the same weights plus AdamW's moments
 *                           ('optimizer.<i>.<slot>'), and in the metadata the
 *                           step, both random generators' states, the
 *                           training settings and the loss history:
 *                           everything `train --resume` needs to continue
 *                           exactly where the run stopped.
 *
 * Reading either is one path (readModel) for every caller: the config is
 * checked against the file's own tensors before it may allocate a model,
 * every float is checked finite, and each value read back from the metadata
 * is validated by name, never cast.
 */
import { safetensorsToTensors, stateDictToSafetensors } from '../io/state-dict.js';
import { checkConfigFitsVersion, fileTensorName, formatMetadata, formatVersionOf, LM_FORMAT, toFileNames, toModuleNames } from '../io/checkpoint-names.js';
import { tokenizerFromJSON } from '../data/tokenizer-json.js';
import type { Tokenizer } from '../data/tokenizer.js';
import { configFromJSON, type LMConfig } from '../moe/lm-config.js';
import { LanguageModel } from '../moe/lm.js';
import { stateDictEntries } from '../moe/lm-shapes.js';
import { fmt, sameShape } from '../base/shape.js';
import { defaultGenerator } from '../tensor/random.js';
import type { Tensor } from '../tensor/tensor.js';
import type { CorpusOptions } from '../data/corpus.js';
import type { HistoryPoint, Trainer } from './trainer.js';
import type { TrainSettings } from './settings.js';

export const MODEL_FILE = 'model.safetensors';
export const CHECKPOINT_FILE = 'checkpoint.safetensors';
const OPTIM_PREFIX = 'optimizer.';

/** What a run records about itself besides the weights. */
export interface RunInfo {
  settings: TrainSettings;
  corpus: Omit<CorpusOptions, 'reuse'>;
  /** The backend the run trained on (resume is bit-identical on the same one). */
  backend: string;
}

/** The bytes of both files for the trainer's present state: `checkpoint` (to resume) and `model` (the weights). */
export async function checkpointFiles(trainer: Trainer, tokenizer: Tokenizer, info: RunInfo): Promise<{ checkpoint: Uint8Array; model: Uint8Array }> {
  const model = trainer.model;
  const base = modelMetadata(model.config, tokenizer, trainer.step, info);
  const opt = trainer.optimizer.stateDict();
  const slots = Object.fromEntries(Object.entries(opt.slots).map(([k, t]) => [OPTIM_PREFIX + k, t]));
  const weights = toFileNames(model.stateDict());
  const checkpoint = await stateDictToSafetensors({ ...weights, ...slots }, {
    ...base,
    optimizer: JSON.stringify({ lr: opt.lr, steps: opt.steps }),
    rng: JSON.stringify({ data: trainer.dataRng.getState(), default: defaultGenerator.getState() }),
    history: JSON.stringify(trainer.history),
    seconds: String(trainer.seconds),
  });
  return { checkpoint, model: await stateDictToSafetensors(weights, base) };
}

/** Config and tokenizer rebuild the model; settings and corpus let eval find the same validation split. */
function modelMetadata(config: LMConfig, tokenizer: Tokenizer, step: number, info: RunInfo): Record<string, string> {
  return {
    ...formatMetadata(config),
    config: JSON.stringify(config),
    tokenizer: JSON.stringify(tokenizer.toJSON()),
    step: String(step),
    settings: JSON.stringify(info.settings),
    corpus: JSON.stringify(info.corpus),
    backend: info.backend,
  };
}

export interface LoadedModel {
  model: LanguageModel;
  tokenizer: Tokenizer;
  step: number;
  metadata: Record<string, string>;
  /** Tensors in the file that are not the model's (the optimizer's, in a checkpoint). */
  extra: Record<string, Tensor>;
}

/**
 * Rebuilds the model from the bytes of either file; `name` (a path, a URL)
 * starts every error, which names what is wrong.
 */
export function readModel(bytes: Uint8Array, name: string): LoadedModel {
  let parsed;
  try {
    parsed = safetensorsToTensors(bytes, { finite: true });
  } catch (e) {
    throw new Error(`${name}: ${(e as Error).message}`);
  }
  const { tensors, metadata } = parsed;
  if (metadata.format !== LM_FORMAT) throw new Error(`${name}: not a dsmoe language model (metadata format is ${JSON.stringify(metadata.format)}, expected '${LM_FORMAT}')`);
  const version = formatVersionOf(metadata, name);
  const config = configFromJSON(metadataJSON(name, metadata, 'config'));
  checkConfigFitsVersion(config, version, name);
  const tokenizer = tokenizerFromJSON(metadataJSON(name, metadata, 'tokenizer'));
  if (tokenizer.vocabSize !== config.vocabSize) throw new Error(`${name}: tokenizer has ${tokenizer.vocabSize} ids but the model's vocabSize is ${config.vocabSize}`);
  const step = Number(metadata.step ?? 0);
  if (!Number.isSafeInteger(step) || step < 0) throw new Error(`${name}: metadata step ${JSON.stringify(metadata.step)} is not a non-negative integer`);
  // The config must describe the tensors the file holds before it is allowed to allocate anything.
  checkTensorsMatch(name, config, tensors, version);
  const model = new LanguageModel(config);
  const own = new Set(Object.keys(model.stateDict()));
  const named = toModuleNames(tensors, version, own, name);
  const weights = Object.fromEntries(Object.entries(named).filter(([k]) => own.has(k)));
  const extra = Object.fromEntries(Object.entries(named).filter(([k]) => !own.has(k)));
  try {
    model.loadStateDict(weights);
  } catch (e) {
    throw new Error(`${name}: ${(e as Error).message}`);
  }
  model.eval();
  model.setTrainedSteps(step);
  return { model, tokenizer, step, metadata, extra };
}

/** Every tensor the config implies is in the file (under its version's name), with that shape; errors name the tensor and both shapes. */
function checkTensorsMatch(file: string, config: LMConfig, tensors: Record<string, Tensor>, version: number): void {
  for (const [key, shape] of stateDictEntries(config)) {
    const k = fileTensorName(key, version);
    const t = tensors[k];
    if (!t) throw new Error(`${file}: tensor '${k}', which the config implies (nLayers ${config.nLayers}, ${config.positions} positions, ${config.norm} norm), is not in the file: the config and the weights disagree`);
    if (!sameShape(t.shape, shape)) throw new Error(`${file}: tensor '${k}' is ${fmt(t.shape)} in the file but the config implies ${fmt(shape)}`);
  }
}

/** Loads a checkpoint into a fresh trainer's state: optimizer, generators, step, history. */
export function restoreTrainer(trainer: Trainer, loaded: LoadedModel, file: string): void {
  const m = loaded.metadata;
  const opt = optimizerFromJSON(file, metadataJSON(file, m, 'optimizer'));
  const rng = rngFromJSON(file, metadataJSON(file, m, 'rng'));
  const history = historyFromJSON(file, metadataJSON(file, m, 'history'));
  const seconds = Number(m.seconds ?? 0);
  if (!(Number.isFinite(seconds) && seconds >= 0)) throw new Error(`${file}: metadata seconds ${JSON.stringify(m.seconds)} is not a finite number ≥ 0`);
  const slots = Object.fromEntries(Object.entries(loaded.extra)
    .filter(([k]) => k.startsWith(OPTIM_PREFIX))
    .map(([k, t]) => [k.slice(OPTIM_PREFIX.length), t]));
  trainer.optimizer.loadStateDict({ lr: opt.lr, steps: opt.steps, slots });
  trainer.dataRng.setState(rng.data);
  defaultGenerator.setState(rng.default);
  trainer.step = loaded.step;
  trainer.model.setTrainedSteps(loaded.step);
  trainer.history = history;
  trainer.seconds = seconds;
}

/** The metadata entry `key`, parsed as JSON; errors name the file and the key. */
export function metadataJSON(file: string, metadata: Record<string, string>, key: string): unknown {
  const raw = metadata[key];
  if (raw === undefined) throw new Error(`${file}: metadata has no '${key}' (is this a ${CHECKPOINT_FILE} written by dsmoe train?)`);
  try {
    return JSON.parse(raw);
  } catch {
    throw new Error(`${file}: metadata '${key}' is not valid JSON`);
  }
}

const isCount = (v: unknown): v is number => Number.isSafeInteger(v) && (v as number) >= 0;

function optimizerFromJSON(file: string, json: unknown): { lr: number; steps: number[] } {
  const o = json as { lr?: unknown; steps?: unknown } | null;
  if (typeof o?.lr !== 'number' || !Number.isFinite(o.lr) || o.lr < 0) throw new Error(`${file}: metadata optimizer.lr must be a finite number ≥ 0, got ${JSON.stringify(o?.lr)}`);
  if (!Array.isArray(o.steps) || !o.steps.every(isCount)) throw new Error(`${file}: metadata optimizer.steps must be a list of step counts`);
  return { lr: o.lr, steps: o.steps };
}

/**
 * A generator's state is four 32-bit words and a spare normal draw, which
 * is NaN when there is none (written by JSON as null).
 */
function generatorState(file: string, key: string, v: unknown): number[] {
  const word = (x: unknown): boolean => Number.isInteger(x) && (x as number) >= 0 && (x as number) < 2 ** 32;
  const ok = Array.isArray(v) && v.length === 5 && v.slice(0, 4).every(word) && (v[4] === null || Number.isFinite(v[4]));
  if (!ok) throw new Error(`${file}: metadata rng.${key} is not a generator state (four 32-bit words and a spare number or null)`);
  return (v as (number | null)[]).map((x) => x ?? NaN);
}

function rngFromJSON(file: string, json: unknown): { data: number[]; default: number[] } {
  const o = json as { data?: unknown; default?: unknown } | null;
  return { data: generatorState(file, 'data', o?.data), default: generatorState(file, 'default', o?.default) };
}

const HISTORY_NUMBERS = ['loss', 'ce', 'miFfn', 'miAttn', 'balance', 'lr'] as const;

function historyFromJSON(file: string, json: unknown): HistoryPoint[] {
  if (!Array.isArray(json)) throw new Error(`${file}: metadata history must be a list of logged steps`);
  json.forEach((p: Record<string, unknown> | null, i) => {
    const bad = (what: string): never => { throw new Error(`${file}: metadata history[${i}]: ${what}`); };
    if (typeof p !== 'object' || p === null) bad('not an object');
    if (!isCount(p!.step)) bad(`step must be a step count, got ${JSON.stringify(p!.step)}`);
    for (const k of HISTORY_NUMBERS) if (typeof p![k] !== 'number') bad(`${k} must be a number, got ${JSON.stringify(p![k])}`);
    if (p!.valLoss !== undefined && typeof p!.valLoss !== 'number') bad(`valLoss must be a number, got ${JSON.stringify(p!.valLoss)}`);
  });
  return json as HistoryPoint[];
}
