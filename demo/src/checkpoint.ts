/**
 * Reading a checkpoint written by `dsmoe train`: a safetensors file whose
 * tensors are the LanguageModel's state dict and whose metadata carries the
 * model config (and the training step). The model is rebuilt from the
 * config, then the weights are copied in by name — strictly, so a file from a
 * different model shape fails with the names that do not match.
 */
import { LanguageModel, configFromJSON, decodeSafetensors } from 'dsmoe';

export interface CheckpointInfo {
  name: string;
  tensors: number;
  parameters: number;
  /** The training step recorded in the file, when there is one. */
  step: number | null;
}

export function readCheckpoint(bytes: Uint8Array, name: string): { lm: LanguageModel; info: CheckpointInfo } {
  const { tensors, metadata } = decodeSafetensors(bytes);
  const configText = metadata['config'];
  if (!configText) throw new Error(`${name}: no 'config' in the safetensors metadata (was it written by dsmoe train?)`);
  const lm = new LanguageModel(configFromJSON(JSON.parse(configText)));
  lm.loadStateDict(tensors);
  const step = metadata['step'] !== undefined ? Number(metadata['step']) : null;
  return { lm, info: { name, tensors: Object.keys(tensors).length, parameters: lm.numParameters(), step } };
}
