/**
 * Sparse evaluation: the validation stream through the model in one
 * inference mode, every token predicted once. Perplexity and bits per byte
 * measure the quality; the routing statistics, averaged over tokens, give
 * what that mode costs (active parameters, active share of FFN and
 * attention). One row per mode is the table of the paper's Fig. 4.
 */
import { batchTensors, sequentialBatches } from '../data/batches.js';
import type { Tokenizer } from '../data/tokenizer.js';
import type { LanguageModel } from '../moe/lm.js';
import type { InferMode } from '../moe/routing.js';
import { attentionMode, type LMInferOptions } from '../moe/lm-stats.js';
import { noGrad } from '../tensor/grad-mode.js';
import { crossEntropy } from '../tensor/ops/functional.js';
import { bytesOf } from '../data/corpus.js';
import { freeResults, tidy } from '../tensor/tidy.js';

export interface EvalRow {
  mode: InferMode;
  /** The mode the attention experts ran in (dense unless pruned too). */
  attention: InferMode;
  label: string;
  /** Mean cross-entropy, nats per token. */
  loss: number;
  perplexity: number;
  bitsPerByte: number;
  totalParams: number;
  activeParams: number;
  /** Active share of the FFN and attention parameters (routers included). */
  ffnActive: number;
  attnActive: number;
  /** Mean computing experts per token. */
  ffnExperts: number;
  attnExperts: number;
  /** Mean zero-computation experts per token (FFN). */
  ffnZeroExperts: number;
  /** Inference throughput of this mode on this machine. */
  tokensPerSecond: number;
  tokens: number;
  /** Tokens routed to each FFN expert, per layer. */
  ffnLoad: number[][];
}

export interface EvalOptions {
  batchSize: number;
  seqLen: number;
  /** Use at most this many validation tokens. */
  maxTokens: number;
  attention?: LMInferOptions['attention'];
}

export async function evaluateMode(model: LanguageModel, val: Int32Array, tokenizer: Tokenizer, mode: InferMode, o: EvalOptions): Promise<EvalRow> {
  model.eval();
  const stream = val.subarray(0, Math.min(val.length, o.maxTokens + 1));
  let nats = 0;
  let tokens = 0;
  let bytes = 0;
  let seconds = 0;
  const acc = { active: 0, ffn: 0, attn: 0, ffnE: 0, attnE: 0, ffnZ: 0 };
  let total = 0;
  let ffnLoad: number[][] = [];
  for (const batch of sequentialBatches(stream, o.batchSize, o.seqLen)) {
    const { inputs, targets } = batchTensors(batch);
    const t0 = performance.now();
    const r = await model.infer(inputs, { mode, attention: o.attention });
    const ce = await tidy(() => noGrad(() => crossEntropy(r.logits, targets, { reduction: 'sum' })));
    const sum = await ce.item();
    freeResults(r.logits, ce); // the call leaves nothing else on the device (LanguageModel.infer)
    // A NaN or infinite loss is no perplexity to report: weights that overflow float32, or a diverged run.
    if (!Number.isFinite(sum)) throw new Error(`${rowLabel(model, mode, o.attention)}: the cross-entropy of a validation batch is not finite (${sum}): the model's weights overflow float32 or its training diverged`);
    seconds += (performance.now() - t0) / 1000;
    const n = targets.size;
    nats += sum;
    tokens += n;
    bytes += bytesOf(tokenizer, batch.targets);
    const s = r.stats;
    total = s.totalParams;
    acc.active += s.activeParams * n;
    acc.ffn += s.ffnActiveFraction * n;
    acc.attn += s.attnActiveFraction * n;
    acc.ffnE += s.ffnActiveExperts * n;
    acc.attnE += s.attnActiveExperts * n;
    acc.ffnZ += s.ffnZeroExperts * n;
    ffnLoad = addLoads(ffnLoad, s.layers.map((l) => l.ffn.load));
  }
  const loss = nats / Math.max(tokens, 1);
  return {
    mode,
    attention: attentionMode({ mode, attention: o.attention }),
    label: rowLabel(model, mode, o.attention),
    loss,
    perplexity: Math.exp(loss),
    bitsPerByte: nats / Math.LN2 / Math.max(bytes, 1),
    totalParams: total,
    activeParams: acc.active / tokens,
    ffnActive: acc.ffn / tokens,
    attnActive: acc.attn / tokens,
    ffnExperts: acc.ffnE / tokens,
    attnExperts: acc.attnE / tokens,
    ffnZeroExperts: acc.ffnZ / tokens,
    tokensPerSecond: seconds > 0 ? tokens / seconds : 0,
    tokens,
    ffnLoad,
  };
}

export async function evaluateModes(model: LanguageModel, val: Int32Array, tokenizer: Tokenizer, modes: readonly InferMode[], o: EvalOptions, onRow?: (r: EvalRow) => void): Promise<EvalRow[]> {
  const rows: EvalRow[] = [];
  for (const mode of modes) {
    const row = await evaluateMode(model, val, tokenizer, mode, o);
    rows.push(row);
    onRow?.(row);
  }
  return rows;
}

/**
 * The mode, and whether attention experts were pruned too: the paper's TopK
 * keeps attention dense, its threshold modes prune both, and --attention
 * overrides either way, so a row says which it was.
 */
function rowLabel(model: LanguageModel, mode: InferMode, attention: EvalOptions['attention']): string {
  const attnSparse = model.config.kind === 'dsmoe' && attentionMode({ mode, attention }).mode !== 'dense';
  return attnSparse && mode.mode !== 'dense' ? `${modeLabel(mode)} +attn` : modeLabel(mode);
}

/** A mode as the tables write it: 'dense', 'topK k=2', 'threshold ε=0.5', 'topP p=0.9'. */
export function modeLabel(m: InferMode): string {
  switch (m.mode) {
    case 'dense': return 'dense';
    case 'topK': return `topK k=${m.k}`;
    case 'threshold': return `threshold ε=${m.eps}`;
    case 'thresholdTopK': return `thresholdTopK ε=${m.eps}`;
    case 'topP': return `topP p=${m.p}`;
  }
}

function addLoads(a: number[][], b: number[][]): number[][] {
  if (a.length === 0) return b.map((l) => [...l]);
  return a.map((l, i) => l.map((v, e) => v + (b[i]?.[e] ?? 0)));
}

/** The best sparse row (lowest perplexity) among those with at most `maxFfnActive` of the FFN active, and its perplexity over dense. */
export function sparseVsDense(rows: readonly EvalRow[], maxFfnActive = 0.5): { dense: EvalRow; best: EvalRow | null; ratio: number } {
  const dense = rows.find((r) => r.mode.mode === 'dense');
  if (!dense) throw new Error('sparseVsDense: no dense row');
  const sparse = rows.filter((r) => r.mode.mode !== 'dense' && r.ffnActive <= maxFfnActive);
  const best = sparse.reduce<EvalRow | null>((b, r) => (!b || r.perplexity < b.perplexity ? r : b), null);
  return { dense, best, ratio: best ? best.perplexity / dense.perplexity : Infinity };
}

/** The sparse row with the fewest active parameters whose perplexity stays within `tolerance` of dense. */
export function sparsestWithin(rows: readonly EvalRow[], tolerance = 0.05): EvalRow | null {
  const dense = rows.find((r) => r.mode.mode === 'dense');
  if (!dense) return null;
  const ok = rows.filter((r) => r.mode.mode !== 'dense' && r.perplexity <= dense.perplexity * (1 + tolerance));
  return ok.reduce<EvalRow | null>((b, r) => (!b || r.activeParams < b.activeParams ? r : b), null);
}
