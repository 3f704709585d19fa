/**
 * Checkpoints: two safetensors files in the run folder.
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
 * Each file is written to a temporary name and renamed over the old one
 * (an atomic replace on POSIX filesystems), so a kill at any moment leaves
 * the previous complete checkpoint, never a torn one.
 */
import { closeSync, existsSync, openSync, readSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { readFileChecked, removeStaleTemps, writeFileAtomic } from '../io/fs.js';
import { safetensorsToTensors, stateDictToSafetensors } from '../io/state-dict.js';
import { decodeSafetensorsMetadata, safetensorsHeaderLength } from '../io/safetensors.js';
import { fileTensorName, formatMetadata, formatVersionOf, LM_FORMAT, toFileNames, toModuleNames } from '../io/checkpoint-names.js';
import { tokenizerFromJSON } from '../data/tokenizer-json.js';
import type { Tokenizer } from '../data/tokenizer.js';
import { configFromJSON, type LMConfig } from '../moe/lm-config.js';
import { LanguageModel } from '../moe/lm.js';
import { stateDictEntries } from '../moe/lm-shapes.js';
import { fmt, sameShape } from '../base/shape.js';
import { defaultGenerator } from '../tensor/random.js';
import type { Tensor } from '../tensor/tensor.js';
import type { CorpusOptions } from './corpus.js';
import type { HistoryPoint, Trainer } from './trainer.js';
import type { TrainSettings } from './train-settings.js';

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

/** Writes checkpoint.safetensors, then model.safetensors, each atomically. */
export async function saveCheckpoint(dir: string, trainer: Trainer, tokenizer: Tokenizer, info: RunInfo): Promise<void> {
  const model = trainer.model;
  const base = modelMetadata(model.config, tokenizer, trainer.step, info);
  const opt = trainer.optimizer.stateDict();
  const slots = Object.fromEntries(Object.entries(opt.slots).map(([k, t]) => [OPTIM_PREFIX + k, t]));
  const weights = toFileNames(model.stateDict());
  const full = await stateDictToSafetensors({ ...weights, ...slots }, {
    ...base,
    optimizer: JSON.stringify({ lr: opt.lr, steps: opt.steps }),
    rng: JSON.stringify({ data: trainer.dataRng.getState(), default: defaultGenerator.getState() }),
    history: JSON.stringify(trainer.history),
    seconds: String(trainer.seconds),
  });
  // Leftovers of a writer killed mid-save (this run's earlier life, usually) go first.
  for (const f of [CHECKPOINT_FILE, MODEL_FILE]) removeStaleTemps(join(dir, f));
  writeFileAtomic(join(dir, CHECKPOINT_FILE), full);
  writeFileAtomic(join(dir, MODEL_FILE), await stateDictToSafetensors(weights, base));
}

/** Config and tokenizer rebuild the model; settings and corpus let eval find the same validation split. */
function modelMetadata(config: LMConfig, tokenizer: Tokenizer, step: number, info: RunInfo): Record<string, string> {
  return {
    ...formatMetadata(),
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
 * A run folder, or a .safetensors file of either kind. In a folder, the
 * newer of model.safetensors and checkpoint.safetensors (by their step): a
 * run killed between the two writes has a checkpoint one save ahead, and
 * the checkpoint holds the same weights.
 */
export function resolveModelPath(path: string): string {
  if (!existsSync(path)) throw new Error(`checkpoint '${path}' does not exist`);
  const isDir = statSync(path).isDirectory();
  if (path.endsWith('.safetensors') && !isDir) return path;
  if (!isDir) throw new Error(`checkpoint '${path}' is neither a run folder nor a .safetensors file`);
  const found = [MODEL_FILE, CHECKPOINT_FILE].map((f) => join(path, f)).filter((f) => existsSync(f) && statSync(f).isFile());
  if (found.length === 0) throw new Error(`no ${MODEL_FILE} or ${CHECKPOINT_FILE} in '${path}': train a model there first (dsmoe train --out ${path})`);
  if (found.length === 1) return found[0]!;
  const [model, checkpoint] = found as [string, string];
  return stepOf(checkpoint) > stepOf(model) ? checkpoint : model;
}

/** A safetensors file's metadata, reading its header only. */
export function readSafetensorsMetadata(file: string): Record<string, string> {
  const fd = openSync(file, 'r');
  try {
    const first = new Uint8Array(8);
    readSync(fd, first, 0, 8, 0);
    const n = safetensorsHeaderLength(first);
    const size = statSync(file).size;
    if (8 + n > size) throw new Error(`${file}: header length ${n} runs past the file's ${size} bytes`);
    const head = new Uint8Array(8 + n);
    readSync(fd, head, 0, 8 + n, 0);
    return decodeSafetensorsMetadata(head);
  } finally {
    closeSync(fd);
  }
}

/** The step a file was written at, from its header alone (−1 when unreadable: the other file wins). */
function stepOf(file: string): number {
  try {
    const step = Number(readSafetensorsMetadata(file).step);
    return Number.isInteger(step) ? step : -1;
  } catch {
    return -1;
  }
}

/** Rebuilds the model from a file written by saveCheckpoint; errors name the file and what is wrong. */
export function loadModel(path: string): LoadedModel {
  const file = resolveModelPath(path);
  let parsed;
  try {
    parsed = safetensorsToTensors(readFileChecked(file, { what: 'checkpoint' }), { finite: true });
  } catch (e) {
    throw new Error(`${file}: ${(e as Error).message}`);
  }
  const { tensors, metadata } = parsed;
  if (metadata.format !== LM_FORMAT) throw new Error(`${file}: not a dsmoe language model (metadata format is ${JSON.stringify(metadata.format)}, expected '${LM_FORMAT}')`);
  const version = formatVersionOf(metadata, file);
  const config = configFromJSON(parseJSON(file, metadata, 'config'));
  const tokenizer = tokenizerFromJSON(parseJSON(file, metadata, 'tokenizer'));
  if (tokenizer.vocabSize !== config.vocabSize) throw new Error(`${file}: tokenizer has ${tokenizer.vocabSize} ids but the model's vocabSize is ${config.vocabSize}`);
  const step = Number(metadata.step ?? 0);
  if (!Number.isSafeInteger(step) || step < 0) throw new Error(`${file}: metadata step ${JSON.stringify(metadata.step)} is not a non-negative integer`);
  // The config must describe the tensors the file holds before it is allowed to allocate anything.
  checkTensorsMatch(file, config, tensors, version);
  const model = new LanguageModel(config);
  const own = new Set(Object.keys(model.stateDict()));
  const named = toModuleNames(tensors, version, own, file);
  const weights = Object.fromEntries(Object.entries(named).filter(([k]) => own.has(k)));
  const extra = Object.fromEntries(Object.entries(named).filter(([k]) => !own.has(k)));
  try {
    model.loadStateDict(weights);
  } catch (e) {
    throw new Error(`${file}: ${(e as Error).message}`);
  }
  model.eval();
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
  const opt = parseJSON(file, m, 'optimizer') as { lr: number; steps: number[] };
  const rng = parseJSON(file, m, 'rng') as { data: number[]; default: number[] };
  const slots = Object.fromEntries(Object.entries(loaded.extra)
    .filter(([k]) => k.startsWith(OPTIM_PREFIX))
    .map(([k, t]) => [k.slice(OPTIM_PREFIX.length), t]));
  trainer.optimizer.loadStateDict({ lr: opt.lr, steps: opt.steps, slots });
  trainer.dataRng.setState(rng.data);
  defaultGenerator.setState(rng.default);
  trainer.step = loaded.step;
  trainer.history = parseJSON(file, m, 'history') as HistoryPoint[];
  trainer.seconds = Number(m.seconds ?? 0);
}

export function parseJSON(file: string, metadata: Record<string, string>, key: string): unknown {
  const raw = metadata[key];
  if (raw === undefined) throw new Error(`${file}: metadata has no '${key}' (is this a ${CHECKPOINT_FILE} written by dsmoe train?)`);
  try {
    return JSON.parse(raw);
  } catch {
    throw new Error(`${file}: metadata '${key}' is not valid JSON`);
  }
}
