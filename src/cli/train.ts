/**
 * `dsmoe train`: train a language model (DS-MoE by default, or the Dense and
 * SMoE baselines with --kind) and leave in the run folder the checkpoint,
 * the weights, and the training curves as an SVG.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { tokenizerFromJSON } from '../data/tokenizer-json.js';
import { configFromJSON, type LMConfig } from '../moe/lm-config.js';
import { bool, commandFlags, num, str, UsageError, type Flags } from './args.js';
import { CHECKPOINT_FILE, MODEL_FILE, metadataJSON } from '../train/checkpoint.js';
import { readSafetensorsMetadata } from './run-folder.js';
import { corpusOptionsFromJSON, type CorpusOptions, type PreparedCorpus } from '../data/corpus.js';
import { loadCorpus } from './load-corpus.js';
import { useBackend } from './backend.js';
import { writeEvalPictures, writeGenrePicture, writeTrainingPictures } from './pictures.js';
import { evaluateMode } from '../train/sparse-eval.js';
import { expertUseByGenre } from '../train/genre-use.js';
import type { LanguageModel } from '../moe/lm.js';
import { COMMON_FLAGS, DATA_FLAGS, MODEL_FLAGS, TRAIN_FLAGS, configFromFlags, corpusFromFlags, settingsFromFlags } from './run-flags.js';
import { runTraining } from './run.js';
import { settingsFromJSON, type TrainSettings } from '../train/settings.js';

export const TRAIN_USAGE = `dsmoe train [options]

Trains a language model on the Brown Corpus (or --corpus) and writes
checkpoint.safetensors, model.safetensors and the pictures training-curves,
expert-load and expert-genre (.svg) to --out.

  --preset tiny|small|base   sizes and budget to start from (default tiny)
  --kind dsmoe|dense|smoe    DS-MoE, or a baseline (default dsmoe)
  --out DIR                  run folder (default runs/<kind>-<preset>)
  --resume                   continue the run in --out from its checkpoint
  --force                    start over in an --out that already holds a run
  --backend NAME             wasm, cpu, gpujs[:mode] (default wasm, else cpu;
                             a resumed run keeps its own)
  --corpus PATH              a UTF-8 text file or folder instead of Brown
  --tokenizer byte|bpe       (default byte); --bpe-vocab N (default 512)
  --val-fraction F           documents held out for validation (default 0.1)
  --steps N  --batch-size N  --seq-len N  --lr X  --min-lr X  --warmup N
  --weight-decay X  --clip X  --eval-every N  --eval-tokens N
  --checkpoint-every N  --seed N
  --d-model N  --layers N  --heads N  --kv-heads N  --head-dim N
  --attn-experts N  --experts N  --expert-hidden N  --max-seq-len N
  --router linear|mlp  --router-hidden N  --positions rotary|learned
  --norm rms|layer  --activation gelu|relu|silu|tanh  --dropout P
  --alpha-ffn X  --alpha-attn X      MI-loss weights (dsmoe)
  --ffn-gate convex|scaled  --attn-gate convex|scaled
                             experts weighed by S_e, or by N·S_e (a uniform
                             router is then the dense layer; default convex)
  --smoe-top-k K  --balance-weight X  --z-loss-weight X   (smoe)
  Routing beyond the paper (dsmoe and smoe; each off by default):
  --shared-experts S         S of the --experts outside the router, used by
                             every token (DeepSeekMoE's shared experts)
  --zero-experts LIST        router choices that run no GEMM: zero, copy,
                             constant, comma-separated (MoE++)
  --dts T0:T1:FROM:TO        the dense-to-sparse gate: router temperature T0
                             until step FROM, annealed to T1 at step TO (EvoMoE)
  --stop-after N             stop after step N with a checkpoint (as if killed)
  --quiet                    no progress output`;

const FLAGS = { ...COMMON_FLAGS, ...MODEL_FLAGS, ...TRAIN_FLAGS, ...DATA_FLAGS, resume: { type: 'boolean' }, force: { type: 'boolean' }, 'stop-after': { type: 'string' } } as const;

export async function trainCommand(argv: readonly string[]): Promise<void> {
  const flags = commandFlags('train', argv, FLAGS, TRAIN_USAGE);
  if (!flags) return;
  const stopAfter = num(flags, 'stop-after', { integer: true, min: 1 });
  const quiet = bool(flags, 'quiet');
  const run = bool(flags, 'resume') ? resumeSetup(flags) : freshSetup(flags);
  // A resumed run continues on the backend it trained on (bit-identical there) unless told otherwise.
  const backend = await useBackend(str(flags, 'backend') ?? run.backend);
  const data = loadCorpus(run.corpus);
  const { reuse: _tokenizer, ...corpusInfo } = run.corpus;
  const result = await runTraining({
    config: run.config,
    settings: run.settings,
    data,
    outDir: run.outDir,
    resume: run.resume,
    stopAfter,
    info: { settings: run.settings, corpus: corpusInfo, backend },
    quiet,
  });
  writeTrainingPictures(run.outDir, result.trainer.history, run.config.kind);
  if (run.config.kind !== 'dense') await writeRoutingPictures(run.outDir, result.trainer.model, data, run.settings);
  if (!quiet) process.stderr.write(`wrote ${join(run.outDir, CHECKPOINT_FILE)}, model.safetensors and the pictures (.svg)\n`);
}

/** Where the routers send tokens: load per expert under top-1 routing, and use by genre. */
async function writeRoutingPictures(dir: string, model: LanguageModel, data: PreparedCorpus, s: TrainSettings): Promise<void> {
  const top1 = await evaluateMode(model, data.val, data.tokenizer, { mode: 'topK', k: 1 }, { batchSize: s.batchSize, seqLen: s.seqLen, maxTokens: Math.min(s.evalTokens, 4096) });
  writeEvalPictures(dir, [top1]);
  writeGenrePicture(dir, await expertUseByGenre(model, data.val, data.valSpans, s.seqLen, 256));
}

interface Setup {
  config: LMConfig;
  settings: TrainSettings;
  corpus: CorpusOptions;
  outDir: string;
  resume: boolean;
  backend?: string;
}

function freshSetup(flags: Flags): Setup {
  const config = configFromFlags(flags);
  const settings = settingsFromFlags(flags, config.maxSeqLen);
  const corpus = corpusFromFlags(flags, settings.seed);
  const outDir = str(flags, 'out') ?? join('runs', `${config.kind}-${str(flags, 'preset') ?? 'tiny'}`);
  // A run's checkpoint is hours of work: starting over on top of it must be asked for.
  const held = [CHECKPOINT_FILE, MODEL_FILE].filter((f) => existsSync(join(outDir, f)));
  if (held.length && !bool(flags, 'force')) {
    throw new UsageError(`'${outDir}' already holds a run (${held.join(', ')}): continue it with --resume, or pass --force to start over there`);
  }
  return { config, settings, corpus, outDir, resume: false };
}

/** Flags that --resume takes from the checkpoint instead: giving one is a mistake worth naming. */
const FIXED_ON_RESUME = [...Object.keys(MODEL_FLAGS), ...Object.keys(TRAIN_FLAGS), ...Object.keys(DATA_FLAGS)];

function resumeSetup(flags: Flags): Setup {
  const outDir = str(flags, 'out');
  if (!outDir) throw new UsageError('--resume needs --out DIR, the run folder to continue');
  const clash = FIXED_ON_RESUME.filter((k) => flags[k] !== undefined);
  if (clash.length) throw new UsageError(`--resume continues with the checkpoint's own settings; drop --${clash.join(', --')}`);
  const file = join(outDir, CHECKPOINT_FILE);
  if (!existsSync(file)) throw new UsageError(`--resume: no ${CHECKPOINT_FILE} in '${outDir}'`);
  const metadata = readSafetensorsMetadata(file);
  const config = configFromJSON(metadataJSON(file, metadata, 'config'));
  const settings = settingsFromJSON(file, metadataJSON(file, metadata, 'settings'), config.maxSeqLen);
  const corpus: CorpusOptions = { ...corpusOptionsFromJSON(file, metadataJSON(file, metadata, 'corpus')), reuse: tokenizerFromJSON(metadataJSON(file, metadata, 'tokenizer')) };
  return { config, settings, corpus, outDir, resume: true, backend: metadata.backend };
}
