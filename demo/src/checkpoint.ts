/**
 * Reading a checkpoint written by `dsmoe train`: a safetensors file
 * (model.safetensors, or checkpoint.safetensors with the optimizer's moments
 * as extra tensors) whose metadata carries format 'dsmoe-lm', the model
 * config, the tokenizer and the training step. The model is rebuilt from
 * the config and its weights copied in by name, strictly: a file for a
 * different model shape fails naming the tensors that do not match. Names
 * are read by the file's format version (docs/checkpoint-format.md), so
 * files written before version 2 load too.
 */
import {
  LanguageModel, LM_FORMAT, configFromJSON, formatVersionOf, safetensorsToTensors, toModuleNames, tokenizerFromJSON, type Tokenizer,
} from 'dsmoe';

export interface CheckpointInfo {
  name: string;
  /** Tensors loaded into the model (optimizer state in the file is skipped). */
  tensors: number;
  parameters: number;
  /** The training step recorded in the file. */
  step: number | null;
  tokenizer: Tokenizer['kind'];
}

function metadataJSON(name: string, metadata: Record<string, string>, key: string): unknown {
  const raw = metadata[key];
  if (raw === undefined) throw new Error(`${name}: the metadata has no '${key}' (is it a file written by dsmoe train?)`);
  try {
    return JSON.parse(raw);
  } catch {
    throw new Error(`${name}: metadata '${key}' is not valid JSON`);
  }
}

export function readCheckpoint(bytes: Uint8Array, name: string): { lm: LanguageModel; tokenizer: Tokenizer; info: CheckpointInfo } {
  const { tensors, metadata } = safetensorsToTensors(bytes);
  if (metadata['format'] !== LM_FORMAT) {
    throw new Error(`${name}: not a dsmoe language model (metadata format is ${JSON.stringify(metadata['format'])}, expected '${LM_FORMAT}')`);
  }
  const version = formatVersionOf(metadata, name);
  const lm = new LanguageModel(configFromJSON(metadataJSON(name, metadata, 'config')));
  const tokenizer = tokenizerFromJSON(metadataJSON(name, metadata, 'tokenizer'));
  if (tokenizer.vocabSize !== lm.config.vocabSize) {
    throw new Error(`${name}: the tokenizer has ${tokenizer.vocabSize} ids but the model's vocabSize is ${lm.config.vocabSize}`);
  }
  const own = new Set(Object.keys(lm.stateDict()));
  const named = toModuleNames(tensors, version, own, name);
  const weights = Object.fromEntries(Object.entries(named).filter(([k]) => own.has(k)));
  lm.loadStateDict(weights);
  lm.eval();
  const step = metadata['step'] !== undefined ? Number(metadata['step']) : null;
  return { lm, tokenizer, info: { name, tensors: Object.keys(weights).length, parameters: lm.numParameters(), step, tokenizer: tokenizer.kind } };
}
