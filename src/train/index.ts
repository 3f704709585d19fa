/**
 * The train layer's public surface, in the order a reader meets it after the
 * model: train it, evaluate it, sample from it, save and load it. Nothing
 * here touches a file system: checkpoints are bytes, so a browser page uses
 * the same code as the command line.
 */
export { TRAIN_PRESETS, trainPreset, validateSettings, settingsFromJSON, type TrainSettings } from './settings.js';
export { Trainer, newTrainer, type HistoryPoint } from './trainer.js';
export { trainLoop, type LoopOptions, type LoopResult } from './loop.js';
export { releaseDeviceMemory } from './memory.js';
export { evaluateMode, evaluateModes, sparseVsDense, sparsestWithin, modeLabel, type EvalRow, type EvalOptions } from './sparse-eval.js';
export { expertUseByGenre, type GenreUse } from './genre-use.js';
export { generate, generateBatch, StreamDecoder, type GenerateOptions, type GeneratedToken } from './sample.js';
export { sampleToken, type SamplingOptions } from './next-token.js';
export {
  checkpointFiles, readModel, restoreTrainer, metadataJSON, MODEL_FILE, CHECKPOINT_FILE, type RunInfo, type LoadedModel,
} from './checkpoint.js';
