/**
 * A run folder on disk: the two checkpoint files of src/train/checkpoint.ts
 * (model.safetensors and checkpoint.safetensors), written and found.
 *
 * Each file is written to a temporary name and renamed over the old one
 * (an atomic replace on POSIX filesystems), so a kill at any moment leaves
 * the previous complete checkpoint, never a torn one.
 */
import { closeSync, existsSync, openSync, readSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { readFileChecked, removeStaleTemps, writeFileAtomic } from '../io/fs.js';
import { decodeSafetensorsMetadata, safetensorsHeaderLength } from '../io/safetensors.js';
import type { Tokenizer } from '../data/tokenizer.js';
import { CHECKPOINT_FILE, checkpointFiles, MODEL_FILE, readModel, type LoadedModel, type RunInfo } from '../train/checkpoint.js';
import type { Trainer } from '../train/trainer.js';

/** Writes checkpoint.safetensors, then model.safetensors, each atomically. */
export async function saveCheckpoint(dir: string, trainer: Trainer, tokenizer: Tokenizer, info: RunInfo): Promise<void> {
  const files = await checkpointFiles(trainer, tokenizer, info);
  // Leftovers of a writer killed mid-save (this run's earlier life, usually) go first.
  for (const f of [CHECKPOINT_FILE, MODEL_FILE]) removeStaleTemps(join(dir, f));
  writeFileAtomic(join(dir, CHECKPOINT_FILE), files.checkpoint);
  writeFileAtomic(join(dir, MODEL_FILE), files.model);
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

/** Rebuilds the model from a run folder or file written by saveCheckpoint (readModel checks it). */
export function loadModel(path: string): LoadedModel {
  const file = resolveModelPath(path);
  return readModel(readFileChecked(file, { what: 'checkpoint' }), file);
}
