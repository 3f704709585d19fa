/**
 * Language-model batches from one long token stream. A window of S + 1
 * tokens gives S inputs and the S next tokens as targets (targets are the
 * inputs shifted by one). Training draws windows at seeded random offsets;
 * evaluation walks the stream in order so every token is predicted exactly
 * once, whatever the batch size.
 */
import { fromData, type TensorOptions } from '../tensor/create.js';
import type { Generator as Rng } from '../tensor/random.js';
import type { Tensor } from '../tensor/tensor.js';

export interface TokenBatch {
  /** Row-major [batchSize, seqLen]. */
  inputs: Int32Array;
  /** Row-major [batchSize, seqLen]: targets[b, s] = the token after inputs[b, s]. */
  targets: Int32Array;
  batchSize: number;
  seqLen: number;
}

/** `batchSize` windows at uniformly random offsets drawn from `rng` (save its state to resume exactly). */
export function randomBatch(tokens: Int32Array, batchSize: number, seqLen: number, rng: Rng): TokenBatch {
  checkSizes(batchSize, seqLen);
  const starts = tokens.length - seqLen; // window [start, start + seqLen] must fit
  if (starts < 1) throw new Error(`a window of ${seqLen + 1} tokens does not fit in ${tokens.length} tokens: use a shorter seqLen or more text`);
  const batch = emptyBatch(batchSize, seqLen);
  for (let b = 0; b < batchSize; b++) copyWindow(tokens, rng.int(starts), batch, b);
  return batch;
}

/**
 * Consecutive windows covering the stream: window w predicts tokens
 * w·S + 1 … w·S + S. Full windows come `batchSize` at a time; a last,
 * shorter window (the tail) comes alone with its own seqLen. Every token
 * after the first is a target exactly once.
 */
export function* sequentialBatches(tokens: Int32Array, batchSize: number, seqLen: number): Generator<TokenBatch> {
  checkSizes(batchSize, seqLen);
  if (tokens.length < 2) throw new Error(`evaluation needs at least 2 tokens, got ${tokens.length}`);
  const full = Math.floor((tokens.length - 1) / seqLen);
  for (let w = 0; w < full; w += batchSize) {
    const rows = Math.min(batchSize, full - w);
    const batch = emptyBatch(rows, seqLen);
    for (let b = 0; b < rows; b++) copyWindow(tokens, (w + b) * seqLen, batch, b);
    yield batch;
  }
  const tail = tokens.length - 1 - full * seqLen;
  if (tail > 0) {
    const batch = emptyBatch(1, tail);
    copyWindow(tokens, full * seqLen, batch, 0);
    yield batch;
  }
}

/** The batch as int32 tensors of shape [batchSize, seqLen]. */
export function batchTensors(batch: TokenBatch, opts: TensorOptions = {}): { inputs: Tensor; targets: Tensor } {
  const shape = [batch.batchSize, batch.seqLen];
  return { inputs: fromData(batch.inputs, shape, opts), targets: fromData(batch.targets, shape, opts) };
}

function emptyBatch(batchSize: number, seqLen: number): TokenBatch {
  return { inputs: new Int32Array(batchSize * seqLen), targets: new Int32Array(batchSize * seqLen), batchSize, seqLen };
}

function copyWindow(tokens: Int32Array, start: number, batch: TokenBatch, row: number): void {
  const S = batch.seqLen;
  batch.inputs.set(tokens.subarray(start, start + S), row * S);
  batch.targets.set(tokens.subarray(start + 1, start + 1 + S), row * S);
}

function checkSizes(batchSize: number, seqLen: number): void {
  if (!Number.isInteger(batchSize) || batchSize < 1) throw new Error(`batchSize must be a positive integer, got ${batchSize}`);
  if (!Number.isInteger(seqLen) || seqLen < 1) throw new Error(`seqLen must be a positive integer, got ${seqLen}`);
}
