/**
 * `dsmoe study`: does DS-MoE beat SMoE here? Trains the plan of
 * study-plan.ts (Dense, SMoE, DS-MoE and the paper's DS-MoE at every size,
 * the ablations at the first, each for several seeds) on one corpus split,
 * evaluates every run in its sparse modes, and writes report.md and the
 * pictures into the study folder. Resumable (study-record.ts): run it again
 * and it continues where it stopped; with every run finished it only
 * reprints the report.
 */
import { join } from 'node:path';
import { existsSync } from 'node:fs';
import { makeFolder } from '../io/fs.js';
import { routerExperts, type LMConfig } from '../moe/lm-config.js';
import type { InferMode } from '../moe/routing.js';
import { writeFileAtomic } from '../io/fs.js';
import { bool, commandFlags, num, str, UsageError } from './args.js';
import { useBackend } from './backend.js';
import { CHECKPOINT_FILE } from '../train/checkpoint.js';
import type { CorpusOptions, PreparedCorpus } from '../data/corpus.js';
import { loadCorpus } from './load-corpus.js';
import { evaluateModes } from '../train/sparse-eval.js';
import { releaseDeviceMemory } from '../train/memory.js';
import { COMMON_FLAGS } from './run-flags.js';
import { runTraining } from './run.js';
import { makePlan, plannedRuns, ROUTING_ABLATIONS, SPLIT_SEED, type PlannedRun, type StudyPlan } from './study-plan.js';
import { openStudyFolder, readRecord, writeRecord, type RunRecord } from './study-record.js';
import { ablationTable, claimsTable, mainTable, modesTable, writeStudyPictures } from './study-report.js';
import { formatDuration } from './table.js';

export const STUDY_USAGE = `dsmoe study [options]

The reproduction study (docs/results.md): Dense, SMoE, DS-MoE and the
paper's DS-MoE trained on the same tokens and budget for several seeds at
each size, plus the ablations at the first size; every run evaluated in its
sparse modes; mean and min–max over seeds, the paper's comparisons paired by
seed, and the pictures, into --out. Stopped, it continues where it was.

  --sizes LIST        presets, the first also runs the ablations (default tiny,small)
  --seeds N           seeds 1…N per main row (default 3)
  --ablation-seeds N  seeds 1…N per ablation row (default 2)
  --ablations LIST    ablation ids, 'all' (default) or 'none'
  --main LIST         main arm ids to train: dense, smoe, dsmoe, dsmoe-paper
                      (default all; the ablations compare with their kind's)
  --tokens N          training tokens per run at the first size (default:
                      its budget); the other sizes scale with it
  --out DIR           the study folder (default runs/study)
  --corpus PATH       a text file or folder instead of Brown
  --backend NAME      (default wasm, else cpu)
  --quiet             no progress lines`;

const FLAGS = {
  ...COMMON_FLAGS, sizes: { type: 'string' }, seeds: { type: 'string' }, 'ablation-seeds': { type: 'string' }, ablations: { type: 'string' }, tokens: { type: 'string' }, corpus: { type: 'string' },
  main: { type: 'string' },
} as const;

export async function studyCommand(argv: readonly string[]): Promise<void> {
  const flags = commandFlags('study', argv, FLAGS, STUDY_USAGE);
  if (!flags) return;
  const plan = makePlan({
    presets: (str(flags, 'sizes') ?? 'tiny,small').split(',').map((s) => s.trim()),
    seeds: num(flags, 'seeds', { integer: true, min: 1 }) ?? 3,
    ablationSeeds: num(flags, 'ablation-seeds', { integer: true, min: 1 }),
    ablations: ablationList(str(flags, 'ablations')),
    tokens: num(flags, 'tokens', { integer: true, min: 1 }),
    main: str(flags, 'main')?.split(',').map((id) => id.trim()),
  });
  const backend = await useBackend(str(flags, 'backend'));
  const outDir = str(flags, 'out') ?? join('runs', 'study');
  const corpus: Omit<CorpusOptions, 'reuse'> = { corpus: str(flags, 'corpus'), tokenizer: 'byte', bpeVocab: 512, valFraction: 0.1, seed: SPLIT_SEED };
  const runs = plannedRuns(plan);
  makeFolder(outDir);
  openStudyFolder(outDir, corpus, runs);
  const quiet = bool(flags, 'quiet');
  const log = (s: string): void => {
    if (!quiet) process.stderr.write(`${s}\n`);
  };
  const data = loadCorpus(corpus);
  const t0 = performance.now();
  const records: RunRecord[] = [];
  for (const [i, run] of runs.entries()) {
    const done = readRecord(outDir, run);
    if (done) {
      records.push(done);
      continue;
    }
    const rec = await trainAndEvaluate(outDir, run, data, corpus, backend);
    writeRecord(outDir, rec);
    records.push(rec);
    log(`[${i + 1}/${runs.length}] ${run.dir}: ${formatDuration(rec.trainSeconds + rec.evalSeconds)}, ${rec.rows.map((r) => `${r.label} ${r.perplexity.toFixed(3)}`).join(', ')}`);
  }
  const report = studyReport(outDir, plan, records, (performance.now() - t0) / 1000);
  writeFileAtomic(join(outDir, 'report.md'), report);
  process.stdout.write(report);
}

function ablationList(raw: string | undefined): string[] | 'all' | undefined {
  if (raw === undefined || raw === 'all') return raw;
  if (raw === 'none') return [];
  const ids = raw.split(',').map((s) => s.trim());
  if (ids.some((s) => s === '')) throw new UsageError(`--ablations: empty item in '${raw}'`);
  return ids;
}

async function trainAndEvaluate(outDir: string, run: PlannedRun, data: PreparedCorpus, corpus: Omit<CorpusOptions, 'reuse'>, backend: string): Promise<RunRecord> {
  const dir = join(outDir, run.dir);
  const resume = existsSync(join(dir, CHECKPOINT_FILE));
  const res = await runTraining({
    config: run.config, settings: run.settings, data, outDir: dir, resume, quiet: true,
    info: { settings: run.settings, corpus, backend }, label: `${run.dir}`,
  });
  const t0 = performance.now();
  const s = run.settings;
  const evals = await evaluateModes(res.trainer.model, data.val, data.tokenizer, studyModes(run.config), {
    batchSize: s.batchSize, seqLen: s.seqLen, maxTokens: s.evalTokens,
    // As in compare: sparse rows prune FFN experts only (SMoE's attention is dense).
    attention: 'dense',
  });
  const evalSeconds = (performance.now() - t0) / 1000;
  const curve = res.trainer.history.filter((h) => h.valLoss !== undefined).map((h): [number, number] => [h.step, h.valLoss!]);
  await releaseDeviceMemory();
  return {
    dir: run.dir, preset: run.size.preset, arm: run.arm.id, seed: run.seed, kind: run.config.kind, backend,
    trainSeconds: res.trainer.seconds, evalSeconds,
    rows: evals.map((r) => ({
      label: r.label, mode: r.mode.mode, ...modeParam(r.mode),
      perplexity: r.perplexity, totalParams: r.totalParams, activeParams: r.activeParams, ffnActive: r.ffnActive,
    })),
    curve,
  };
}

/** k, ε or p of a mode, for the record. */
function modeParam(m: InferMode): { param?: number } {
  switch (m.mode) {
    case 'dense': return {};
    case 'topK': return { param: m.k };
    case 'topP': return { param: m.p };
    default: return { param: m.eps };
  }
}

/** Dense models densely; SMoE at top-1, its training k and twice it; DS-MoE densely, at top-1/2/4, two thresholds and three top-p masses. */
function studyModes(c: LMConfig): InferMode[] {
  const ks = (list: number[]): InferMode[] => [...new Set(list.filter((k) => k <= routerExperts(c)))].map((k) => ({ mode: 'topK', k }));
  if (c.kind === 'dense') return [{ mode: 'dense' }];
  if (c.kind === 'smoe') return ks([1, c.smoeTopK, 2 * c.smoeTopK]);
  return [
    { mode: 'dense' }, ...ks([1, c.smoeTopK, 2 * c.smoeTopK]), { mode: 'threshold', eps: 0.5 }, { mode: 'threshold', eps: 1 },
    ...STUDY_TOP_P.map((p): InferMode => ({ mode: 'topP', p })),
  ];
}

/** The top-p masses every DS-MoE run is evaluated at. */
const STUDY_TOP_P = [0.6, 0.8, 0.9];

function studyReport(outDir: string, plan: StudyPlan, records: readonly RunRecord[], wallSeconds: number): string {
  const topK = plannedRuns(plan).find((r) => r.config.kind === 'smoe')?.config.smoeTopK ?? 2;
  const parts: string[] = ['# dsmoe study\n'];
  const compute = records.reduce((a, r) => a + r.trainSeconds + r.evalSeconds, 0);
  parts.push(`${records.length} runs, seeds ${plan.seeds.join(', ')} (ablations ${plan.ablationSeeds.join(', ')}); training and evaluation ${formatDuration(compute)} in all (this invocation ${formatDuration(wallSeconds)}); backend ${[...new Set(records.map((r) => r.backend))].join(', ')}.\n`);
  for (const size of plan.sizes) {
    const s = size.settings;
    parts.push(`## ${size.preset}: ${s.steps} steps of ${s.batchSize}×${s.seqLen} tokens, lr ${s.lr}\n`);
    parts.push(`${mainTable(records, size.preset)}\n`);
    parts.push(`${claimsTable(records, size.preset, topK)}\n`);
    const pics = writeStudyPictures(outDir, records, size.preset);
    parts.push(`${pics.map((p) => `![${p.slice(outDir.length + 1)}](${p.slice(outDir.length + 1)})`).join('\n')}\n`);
  }
  if (plan.ablations.length) {
    parts.push(`## Ablations (${plan.sizes[0]!.preset})\n`);
    parts.push(`${ablationTable(records, plan, topK)}\n`);
  }
  const routing = plan.ablations.filter((a) => (ROUTING_ABLATIONS as readonly string[]).includes(a.id));
  if (routing.length) {
    parts.push(`## Routing beyond the paper (${plan.sizes[0]!.preset}): every mode, against DS-MoE\n`);
    parts.push(`${modesTable(records, plan.sizes[0]!.preset, routing)}\n`);
  }
  return parts.join('\n');
}
