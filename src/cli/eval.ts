/**
 * `dsmoe eval`: validation perplexity and bits per byte of a trained model
 * in dense mode and in every sparse mode — topK for k = 1..N, a threshold
 * sweep, thresholdTopK — next to what each mode keeps active. Markdown by
 * default, --json for scripts.
 */
import { join } from 'node:path';
import { bool, choice, commandFlags, num, numList, str, UsageError, type Flags } from './args.js';
import { useBackend } from './backend.js';
import { metadataJSON } from '../train/checkpoint.js';
import { loadModel, resolveModelPath } from './run-folder.js';
import { corpusOptionsFromJSON } from '../data/corpus.js';
import { loadCorpus } from './load-corpus.js';
import { evaluateModes, sparseVsDense } from '../train/sparse-eval.js';
import { DEFAULT_THRESHOLDS, DEFAULT_TOP_P, parseMode, sweepModes } from './modes.js';
import { routerExperts } from '../moe/lm-config.js';
import { writeEvalPictures } from './pictures.js';
import { evalJSON, evalTable } from './report.js';
import { settingsFromJSON } from '../train/settings.js';

export const EVAL_USAGE = `dsmoe eval --run DIR [options]

Evaluates a trained model on its validation documents in dense mode and in
every sparse mode, with the parameters each mode keeps active.

  --run DIR | --checkpoint FILE   the run folder, or a .safetensors file
  --tokens N            validation tokens to use (default: the run's --eval-tokens)
  --batch-size N        (default 16)
  --thresholds LIST     ε values for threshold and thresholdTopK (default ${DEFAULT_THRESHOLDS.join(',')})
  --top-p LIST          masses p for topP (default ${DEFAULT_TOP_P.join(',')})
  --modes LIST          evaluate only these, e.g. dense,topK:2,threshold:0.5,topP:0.9
  --attention dense|follow   attention experts: always dense, or in the FFN's mode
                        (default: dense for topK, follow for the threshold modes)
  --corpus PATH         evaluate on this corpus instead of the run's own split
  --json                print JSON instead of a table
  --backend NAME        (default wasm where available, else cpu)`;

const FLAGS = {
  run: { type: 'string' }, checkpoint: { type: 'string' }, tokens: { type: 'string' }, 'batch-size': { type: 'string' },
  thresholds: { type: 'string' }, 'top-p': { type: 'string' }, modes: { type: 'string' }, attention: { type: 'string' }, corpus: { type: 'string' },
  json: { type: 'boolean' }, backend: { type: 'string' }, help: { type: 'boolean', short: 'h' },
} as const;

export async function evalCommand(argv: readonly string[]): Promise<void> {
  const flags = commandFlags('eval', argv, FLAGS, EVAL_USAGE);
  if (!flags) return;
  await useBackend(str(flags, 'backend'));
  if (str(flags, 'checkpoint') !== undefined && str(flags, 'run') !== undefined) throw new UsageError('dsmoe eval: give --run DIR or --checkpoint FILE, not both');
  const path = str(flags, 'checkpoint') ?? str(flags, 'run');
  if (!path) throw new Error('dsmoe eval: give --run DIR or --checkpoint FILE');
  const file = resolveModelPath(path);
  const { model, tokenizer, metadata } = loadModel(file);
  const settings = settingsFromJSON(file, metadataJSON(file, metadata, 'settings'), model.config.maxSeqLen);
  const corpus = corpusOptionsFromJSON(file, metadataJSON(file, metadata, 'corpus'));
  const given = str(flags, 'corpus');
  // A path in a file's metadata is read only when the user names it: a checkpoint must not make eval read /etc/passwd.
  if (given === undefined && corpus.corpus !== undefined) {
    throw new UsageError(`${file} was trained on the corpus '${corpus.corpus}'; eval reads a path from a checkpoint only when asked: pass --corpus '${corpus.corpus}' (or another corpus)`);
  }
  const data = loadCorpus({ ...corpus, corpus: given ?? corpus.corpus, reuse: tokenizer });
  const modeList = str(flags, 'modes');
  if (modeList !== undefined && modeList.trim() === '') throw new UsageError('--modes is empty: give modes like dense,topK:2,threshold:0.5, or leave the flag out for the full sweep');
  const modes = modeList
    ? modeList.split(',').map((m) => parseMode(m.trim(), 'modes'))
    : model.config.kind === 'dense' ? [{ mode: 'dense' as const }] : sweepModes(routerExperts(model.config), numList(flags, 'thresholds', { min: 0 }) ?? DEFAULT_THRESHOLDS, topPList(flags));
  const json = bool(flags, 'json');
  const rows = await evaluateModes(model, data.val, tokenizer, modes, {
    batchSize: num(flags, 'batch-size', { integer: true, min: 1 }) ?? 16,
    seqLen: settings.seqLen,
    maxTokens: num(flags, 'tokens', { integer: true, min: 2 }) ?? settings.evalTokens,
    attention: choice(flags, 'attention', ['dense', 'follow'] as const),
  }, json ? undefined : (r) => process.stderr.write(`  ${r.label}: ppl ${r.perplexity.toFixed(3)}\n`));
  if (json) {
    process.stdout.write(`${JSON.stringify({ checkpoint: file, config: model.config, rows: evalJSON(rows) }, null, 2)}\n`);
    return;
  }
  process.stdout.write(`${evalTable(rows)}\n`);
  if (rows.some((r) => r.mode.mode === 'dense') && rows.length > 1) {
    const { best, ratio } = sparseVsDense(rows);
    if (best) process.stdout.write(`\nbest mode at ≤ 50% active FFN: ${best.label}, perplexity ${(100 * (ratio - 1)).toFixed(1)}% from dense\n`);
  }
  // A run folder gets the pictures next to its checkpoint; a lone .safetensors file has no folder of its own.
  if (!path.endsWith('.safetensors')) {
    for (const file of writeEvalPictures(path, rows)) process.stderr.write(`wrote ${file}\n`);
  }
}

/** --top-p 0.5,0.9: each mass in (0, 1]. */
function topPList(flags: Flags): number[] {
  const list = numList(flags, 'top-p', { min: 0 }) ?? DEFAULT_TOP_P;
  const bad = list.find((p) => !(p > 0 && p <= 1));
  if (bad !== undefined) throw new UsageError(`--top-p: p=${bad} must be in (0, 1]`);
  return [...list];
}
