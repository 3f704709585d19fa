/**
 * `dsmoe compare`: the paper's comparison (Table 3 / Table 5 in shape).
 * Dense, SMoE (sparse top-k training with the Switch load-balancing loss)
 * and DS-MoE are trained with the same dimensions, data, seed and budget,
 * then evaluated on the same validation tokens: perplexity, total and
 * active parameters, and inference throughput dense vs sparse.
 */
import { join } from 'node:path';
import { routerExperts, type LMConfig, type ModelKind } from '../moe/lm-config.js';
import type { InferMode } from '../moe/routing.js';
import { bool, commandFlags, num, str } from './args.js';
import { useBackend } from './backend.js';
import { loadCorpus } from './load-corpus.js';
import { evaluateModes, type EvalRow } from '../train/sparse-eval.js';
import { writeTrainingPictures } from './pictures.js';
import { COMMON_FLAGS, DATA_FLAGS, MODEL_FLAGS, TRAIN_FLAGS, configFromFlags, corpusFromFlags, settingsFromFlags } from './run-flags.js';
import { runTraining } from './run.js';
import { formatCount, formatPercent, markdownTable } from './table.js';

export const COMPARE_USAGE = `dsmoe compare [options]

Trains Dense, SMoE and DS-MoE models of the same shape on the same data and
budget, then prints perplexity, total and active parameters, and inference
tokens/s in dense and sparse mode (FFN experts pruned, attention dense, as
the SMoE baseline has it). Runs go to --out/<kind>.

  --preset tiny|small|base  and every model/budget flag of dsmoe train
                            (except --kind)
  --out DIR                 (default runs/compare-<preset>)
  --topk K                  DS-MoE's sparse topK row (default: N/4)
  --threshold EPS           DS-MoE's threshold row (default 0.5)
  --top-p P                 DS-MoE's top-p row (default 0.8)
  --json                    print JSON instead of a table
  --backend NAME`;

const FLAGS = { ...COMMON_FLAGS, ...MODEL_FLAGS, ...TRAIN_FLAGS, ...DATA_FLAGS, topk: { type: 'string' }, threshold: { type: 'string' }, 'top-p': { type: 'string' }, json: { type: 'boolean' } } as const;

interface CompareRow {
  model: string;
  inference: string;
  perplexity: number;
  totalParams: number;
  activeParams: number;
  ffnActive: number;
  inferTokensPerSecond: number;
  trainTokensPerSecond: number;
}

export async function compareCommand(argv: readonly string[]): Promise<void> {
  const flags = commandFlags('compare', argv, FLAGS, COMPARE_USAGE);
  if (!flags) return;
  if (flags.kind !== undefined) throw new Error('dsmoe compare trains all three kinds; drop --kind');
  const backend = await useBackend(str(flags, 'backend'));
  const base = configFromFlags(flags, 'dsmoe');
  const settings = settingsFromFlags(flags, base.maxSeqLen);
  const corpusOpts = corpusFromFlags(flags, settings.seed);
  const data = loadCorpus(corpusOpts);
  const outDir = str(flags, 'out') ?? join('runs', `compare-${str(flags, 'preset') ?? 'tiny'}`);
  const choices = routerExperts(base);
  const topK = num(flags, 'topk', { integer: true, min: 1, max: choices }) ?? Math.max(1, Math.round(choices / 4));
  const eps = num(flags, 'threshold', { min: 0 }) ?? 0.5;
  const p = num(flags, 'top-p', { min: Number.MIN_VALUE, max: 1 }) ?? 0.8;
  const quiet = bool(flags, 'quiet');
  const rows: CompareRow[] = [];
  for (const kind of ['dense', 'smoe', 'dsmoe'] as const) {
    const config = configFromFlags(flags, kind);
    const dir = join(outDir, kind);
    const res = await runTraining({ config, settings, data, outDir: dir, info: { settings, corpus: corpusOpts, backend }, label: LABEL[kind], quiet });
    writeTrainingPictures(dir, res.trainer.history, kind);
    const evals = await evaluateModes(res.trainer.model, data.val, data.tokenizer, modesFor(kind, config, topK, eps, p), {
      batchSize: settings.batchSize, seqLen: settings.seqLen, maxTokens: settings.evalTokens,
      // Like the SMoE baseline (whose attention is dense), DS-MoE's rows prune FFN experts only.
      attention: 'dense',
    });
    rows.push(...evals.map((r) => compareRow(kind, r, res.tokensPerSecond)));
  }
  if (bool(flags, 'json')) {
    process.stdout.write(`${JSON.stringify({ settings, rows }, null, 2)}\n`);
    return;
  }
  process.stdout.write(`${compareTable(rows)}\n`);
}

const LABEL: Record<ModelKind, string> = { dense: 'Dense', smoe: 'SMoE', dsmoe: 'DS-MoE' };

/** Dense runs densely; SMoE in the top-k it was trained with; DS-MoE densely and in three sparse modes. */
function modesFor(kind: ModelKind, c: LMConfig, topK: number, eps: number, p: number): InferMode[] {
  if (kind === 'dense') return [{ mode: 'dense' }];
  if (kind === 'smoe') return [{ mode: 'topK', k: c.smoeTopK }];
  return [{ mode: 'dense' }, { mode: 'topK', k: Math.min(topK, routerExperts(c)) }, { mode: 'threshold', eps }, { mode: 'topP', p }];
}

function compareRow(kind: ModelKind, r: EvalRow, trainTps: number): CompareRow {
  return {
    model: LABEL[kind],
    inference: r.label,
    perplexity: r.perplexity,
    totalParams: r.totalParams,
    activeParams: r.activeParams,
    ffnActive: r.ffnActive,
    inferTokensPerSecond: r.tokensPerSecond,
    trainTokensPerSecond: trainTps,
  };
}

function compareTable(rows: readonly CompareRow[]): string {
  const denseTps = rows.find((r) => r.model === 'Dense')?.inferTokensPerSecond ?? 0;
  return markdownTable(
    ['Model', 'Inference', { header: 'PPL', align: 'right' }, { header: 'Total params', align: 'right' }, { header: 'Active params', align: 'right' },
      { header: 'FFN active', align: 'right' }, { header: 'Infer tok/s', align: 'right' }, { header: 'vs Dense', align: 'right' }, { header: 'Train tok/s', align: 'right' }],
    rows.map((r) => [
      r.model, r.inference, r.perplexity.toFixed(3), formatCount(r.totalParams), formatCount(Math.round(r.activeParams)),
      formatPercent(r.ffnActive), String(Math.round(r.inferTokensPerSecond)),
      denseTps > 0 ? `${(r.inferTokensPerSecond / denseTps).toFixed(2)}×` : '', String(Math.round(r.trainTokensPerSecond)),
    ]),
  );
}
