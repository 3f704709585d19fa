/**
 * One training run from start (or a checkpoint) to its last step, as the
 * commands show it: the loop (trainLoop, src/train/loop.ts) with a progress
 * bar, a line per validation, and its checkpoints in the run folder.
 * `train`, `compare` and `demo` all drive it; only their flags and reports
 * differ.
 */
import { join } from 'node:path';
import type { LMConfig } from '../moe/lm-config.js';
import { makeFolder } from '../io/fs.js';
import { getBackend } from '../gpu/registry.js';
import { CHECKPOINT_FILE, restoreTrainer, type RunInfo } from '../train/checkpoint.js';
import { loadModel, saveCheckpoint } from './run-folder.js';
import type { PreparedCorpus } from '../data/corpus.js';
import { ProgressBar, type ProgressSink } from './progress.js';
import { formatCount } from './table.js';
import { newTrainer, Trainer } from '../train/trainer.js';
import { trainLoop } from '../train/loop.js';
import type { TrainSettings } from '../train/settings.js';

export interface RunOptions {
  config: LMConfig;
  settings: TrainSettings;
  data: PreparedCorpus;
  /** Where checkpoints go; none are written when absent. */
  outDir?: string;
  /** Continue from outDir's checkpoint. */
  resume?: boolean;
  /** Stop (with a checkpoint) after this step, as if killed there: for testing resume. */
  stopAfter?: number;
  info: RunInfo;
  label?: string;
  /** Progress and log lines go here (stderr by default); nothing when quiet. */
  out?: ProgressSink;
  quiet?: boolean;
}

export interface RunResult {
  trainer: Trainer;
  /** Validation cross-entropy (nats per token) at the end, on settings.evalTokens tokens. */
  valLoss: number;
  /** Training throughput over this process's steps. */
  tokensPerSecond: number;
}

export async function runTraining(o: RunOptions): Promise<RunResult> {
  const out: ProgressSink = o.quiet ? { write: () => true } : o.out ?? process.stderr;
  const log = (s: string): unknown => out.write(`${s}\n`);
  // The vocabulary is the tokenizer's: 256 bytes, or however many ids a trained BPE has.
  const trainer = o.resume ? resumeTrainer(o) : newTrainer({ ...o.config, vocabSize: o.data.tokenizer.vocabSize }, o.settings, o.data);
  const s = o.settings;
  if (o.outDir) makeFolder(o.outDir);
  log(`${o.label ?? o.config.kind}: ${formatCount(trainer.model.numParameters())} parameters, ${s.steps} steps of ${s.batchSize}×${s.seqLen} tokens on ${getBackend().name}${trainer.step > 0 ? `, resuming at step ${trainer.step}` : ''}`);
  const bar = new ProgressBar({ total: s.steps, start: trainer.step, label: o.label, out });
  const firstStep = trainer.step;
  const { valLoss, tokensPerSecond } = await trainLoop(trainer, {
    stopAfter: o.stopAfter,
    onValidation: (p) => bar.log(`step ${p.step}: train loss ${p.ce.toFixed(3)}, val loss ${p.valLoss!.toFixed(3)} (ppl ${Math.exp(p.valLoss!).toFixed(2)})`),
    onStep: (p) => {
      const fields: Record<string, number> = { loss: p.ce };
      if (o.config.kind === 'dsmoe') fields.mi = p.miFfn;
      if (o.config.kind === 'smoe') fields.bal = p.balance;
      bar.update(p.step, (p.step - firstStep) * trainer.tokensPerStep, fields);
    },
    checkpoint: o.outDir ? (t) => saveCheckpoint(o.outDir!, t, o.data.tokenizer, o.info) : undefined,
  });
  log(`${o.label ?? o.config.kind}: val loss ${valLoss.toFixed(4)} (ppl ${Math.exp(valLoss).toFixed(3)}) after ${trainer.step} steps`);
  return { trainer, valLoss, tokensPerSecond };
}

function resumeTrainer(o: RunOptions): Trainer {
  if (!o.outDir) throw new Error('--resume needs the run folder (--out) holding the checkpoint');
  const file = join(o.outDir, CHECKPOINT_FILE);
  const loaded = loadModel(file);
  const trainer = new Trainer(loaded.model, o.settings, o.data);
  restoreTrainer(trainer, loaded, file);
  return trainer;
}
