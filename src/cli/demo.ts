/**
 * `dsmoe demo` — what `npm start` runs. In a few minutes on a laptop CPU:
 * train the tiny DS-MoE language model on the Brown Corpus (dense training
 * with the MI loss), then show what the paper is about — the same weights
 * served sparsely: perplexity at each sparsity level next to the parameters
 * it keeps active — and a sample of generated text. The checkpoint and the
 * pictures stay in runs/demo/.
 */
import { join } from 'node:path';
import { routerExperts } from '../moe/lm-config.js';
import type { InferMode } from '../moe/routing.js';
import { bool, commandFlags, num, str } from './args.js';
import { useBackend } from './backend.js';
import { loadCorpus } from './load-corpus.js';
import { evaluateModes, sparseVsDense, sparsestWithin, type EvalRow } from '../train/sparse-eval.js';
import { expertUseByGenre } from '../train/genre-use.js';
import { generate, StreamDecoder } from '../train/sample.js';
import { writeEvalPictures, writeGenrePicture, writeTrainingPictures } from './pictures.js';
import { evalTable } from './report.js';
import { COMMON_FLAGS, DATA_FLAGS, MODEL_FLAGS, TRAIN_FLAGS, configFromFlags, corpusFromFlags, settingsFromFlags } from './run-flags.js';
import { runTraining } from './run.js';
import { formatDuration } from './table.js';

export const DEMO_USAGE = `dsmoe demo [options]

Trains the tiny DS-MoE on the Brown Corpus, then prints its perplexity in
dense mode and at each sparsity level with the active parameters, and a
generated sample. Writes the checkpoint and SVG pictures to runs/demo/.
Every option of dsmoe train is accepted (e.g. --steps 200 for a quicker run).

  --out DIR           (default runs/demo)
  --demo-tokens N     validation tokens per sparse mode (default 8192)
  --sample N          tokens to generate (default 300)`;

const FLAGS = { ...COMMON_FLAGS, ...MODEL_FLAGS, ...TRAIN_FLAGS, ...DATA_FLAGS, 'demo-tokens': { type: 'string' }, sample: { type: 'string' } } as const;

export async function demoCommand(argv: readonly string[]): Promise<void> {
  const flags = commandFlags('demo', argv, FLAGS, DEMO_USAGE);
  if (!flags) return;
  const t0 = performance.now();
  const say = (s: string): boolean => process.stdout.write(`${s}\n`);
  const backend = await useBackend(str(flags, 'backend'));
  const config = configFromFlags(flags);
  const settings = settingsFromFlags(flags, config.maxSeqLen);
  const corpusOpts = corpusFromFlags(flags, settings.seed);
  const outDir = str(flags, 'out') ?? join('runs', 'demo');
  say('DS-MoE demo: dense training, sparse inference (Pan et al., 2024)');
  const data = loadCorpus(corpusOpts);
  say(`corpus: ${data.source}, ${data.trainDocs} training and ${data.valDocs} validation documents, ${data.train.length} + ${data.val.length} ${data.tokenizer.kind} tokens`);
  const attention = config.attnExperts > 1 ? `${config.attnExperts} attention experts (α_attn=${config.alphaAttn})` : 'dense attention';
  say(`model: ${config.nLayers} layers, d=${config.dModel}, ${attention} and ${config.nExperts} FFN experts per layer (gate ${config.ffnGate}, α_ffn=${config.alphaFfn})\n`);

  const res = await runTraining({ config, settings, data, outDir, info: { settings, corpus: corpusOpts, backend }, label: 'train', quiet: bool(flags, 'quiet') });
  const model = res.trainer.model;
  writeTrainingPictures(outDir, res.trainer.history, config.kind);

  const evalOpts = { batchSize: settings.batchSize, seqLen: settings.seqLen, maxTokens: num(flags, 'demo-tokens', { integer: true, min: 2 }) ?? 8192 };
  say(`\nSparse inference on ${evalOpts.maxTokens} validation tokens:\n`);
  const rows: EvalRow[] = [];
  for (const part of demoModes(routerExperts(config), config.attnExperts > 1)) {
    rows.push(...await evaluateModes(model, data.val, data.tokenizer, part.modes, { ...evalOpts, attention: part.attention }));
  }
  say(evalTable(rows));
  const { dense, best, ratio } = sparseVsDense(rows);
  if (best) {
    say(`\nBest at ≤ 50% of FFN parameters active: ${best.label}, ${(100 * best.ffnActive).toFixed(0)}% of the FFN, perplexity ${best.perplexity.toFixed(3)}, ${signed(ratio - 1)} from dense (${dense.perplexity.toFixed(3)}).`);
  }
  const sparsest = sparsestWithin(rows, 0.05);
  if (sparsest) {
    say(`Sparsest within 5% of dense: ${sparsest.label}, ${(100 * sparsest.ffnActive).toFixed(0)}% of the FFN and ${(100 * sparsest.activeParams / sparsest.totalParams).toFixed(0)}% of all parameters active, perplexity ${signed(sparsest.perplexity / dense.perplexity - 1)} from dense.`);
  }
  writeEvalPictures(outDir, rows);
  writeGenrePicture(outDir, await expertUseByGenre(model, data.val, data.valSpans, settings.seqLen, 512));

  const chosen = sparsest ?? best ?? dense;
  const prompt = 'The jury said ';
  say(`\nSample (${chosen.label}, temperature 0.8, top-p 0.95):\n`);
  const decoder = new StreamDecoder(data.tokenizer);
  process.stdout.write(prompt);
  await generate(model, data.tokenizer, prompt, {
    maxTokens: num(flags, 'sample', { integer: true, min: 1 }) ?? 300, temperature: 0.8, topP: 0.95, seed: settings.seed, infer: { mode: chosen.mode, attention: chosen.attention },
  }, (t) => process.stdout.write(decoder.push(t.id)));
  say(`${decoder.flush()}\n`);
  say(`Checkpoint and pictures (training-curves, sparsity, expert-load, expert-genre .svg) in ${outDir}/`);
  say(`Try: dsmoe eval --run ${outDir}    dsmoe generate --run ${outDir} --mode topK:2 --trace`);
  say(`Done in ${formatDuration((performance.now() - t0) / 1000)}.`);
}

function signed(fraction: number): string {
  return `${fraction >= 0 ? '+' : ''}${(100 * fraction).toFixed(1)}%`;
}

/**
 * A readable subset of the eval sweep: dense; topK up to N/2 (attention
 * dense, as the paper's TopK); thresholds and top-p on the FFN alone; and thresholds
 * on FFN and attention experts both (+attn), as in the paper's Fig. 5,
 * when the model has attention experts to prune.
 */
function demoModes(n: number, attentionExperts: boolean): { modes: InferMode[]; attention: 'dense' | 'follow' }[] {
  const topK: InferMode[] = Array.from({ length: Math.max(1, Math.floor(n / 2)) }, (_, i) => ({ mode: 'topK', k: i + 1 }));
  const parts: { modes: InferMode[]; attention: 'dense' | 'follow' }[] = [
    { modes: [{ mode: 'dense' }, ...topK], attention: 'dense' },
    { modes: [0.5, 1, 1.5].map((eps): InferMode => ({ mode: 'threshold', eps })), attention: 'dense' },
    { modes: [0.7, 0.9].map((p): InferMode => ({ mode: 'topP', p })), attention: 'dense' },
  ];
  if (attentionExperts) parts.push({ modes: [{ mode: 'threshold', eps: 0.5 }, { mode: 'thresholdTopK', eps: 0.5 }], attention: 'follow' });
  return parts;
}
