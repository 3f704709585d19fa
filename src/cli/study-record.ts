/**
 * The study folder on disk:
 *
 *   study.json                      the plan: every run's config and budget
 *                                   and the corpus; a folder made by another
 *                                   plan is refused, not mixed in
 *   <preset>/<arm>/seed-<s>/        one run: its checkpoint (resumable) and
 *     record.json                   what it measured, written last, so a
 *                                   run with a record is finished
 *
 * A stopped study continues where it was: finished runs are read back,
 * a run with a checkpoint but no record resumes from the checkpoint, the
 * others start.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { writeFileAtomic } from '../io/fs.js';
import { configUsed, withAbsentFields, type LMConfig } from '../moe/lm-config.js';
import type { CorpusOptions } from '../data/corpus.js';
import type { PlannedRun } from './study-plan.js';

const FORMAT = 'dsmoe-study';
const STUDY_FILE = 'study.json';
const RECORD_FILE = 'record.json';

/** One evaluated inference mode of a run. */
export interface RecordRow {
  label: string;
  /** 'dense', 'topK', 'threshold', 'thresholdTopK' or 'topP'. */
  mode: string;
  /** k, ε or p, when the mode has one. */
  param?: number;
  perplexity: number;
  totalParams: number;
  activeParams: number;
  ffnActive: number;
}

export interface RunRecord {
  dir: string;
  preset: string;
  arm: string;
  seed: number;
  kind: string;
  backend: string;
  /** Seconds of training in the process(es) that trained it, and evaluation. */
  trainSeconds: number;
  evalSeconds: number;
  rows: RecordRow[];
  /** Validation loss (nats per token) at each validation step. */
  curve: [number, number][];
}

interface StudyFile {
  format: typeof FORMAT;
  corpus: Omit<CorpusOptions, 'reuse'>;
  runs: Record<string, { config: unknown; settings: unknown }>;
}

/**
 * Creates the folder's study.json, or checks the one there: the same corpus,
 * and every run both plans have identical (a plan may add seeds or arms to a
 * study, never change one it already has). The error names the first run
 * and field that differ.
 */
export function openStudyFolder(dir: string, corpus: Omit<CorpusOptions, 'reuse'>, runs: readonly PlannedRun[]): void {
  const file = join(dir, STUDY_FILE);
  const mine: StudyFile = { format: FORMAT, corpus, runs: Object.fromEntries(runs.map((r) => [r.dir, { config: r.config, settings: r.settings }])) };
  if (!existsSync(file)) {
    if (existsSync(dir) && readdirSync(dir).length > 0) throw new Error(`study folder ${dir} holds files but no ${STUDY_FILE}: not a study folder (choose another --out)`);
    writeFileAtomic(file, `${JSON.stringify(mine, null, 2)}\n`);
    return;
  }
  const theirs = readStudyFile(file);
  const corpusDiff = firstDifference(corpus, theirs.corpus);
  if (corpusDiff) throw new Error(`study folder ${dir} was made by another plan: its corpus ${corpusDiff}`);
  for (const [runDir, spec] of Object.entries(mine.runs)) {
    const old = theirs.runs[runDir];
    if (!old) continue;
    // Configs compare by the fields their models read: a Dense run does not change when attnExperts does.
    // A plan written before a config field existed reads it at its old meaning (withAbsentFields).
    const used = (r: { config: unknown; settings: unknown }): unknown => ({ config: configUsed(withAbsentFields(r.config as Record<string, unknown>) as unknown as LMConfig), settings: r.settings });
    const diff = firstDifference(used(spec), used(old));
    if (diff) throw new Error(`study folder ${dir} was made by another plan: run ${runDir} ${diff} (choose another --out, or the plan it was made with)`);
  }
  writeFileAtomic(file, `${JSON.stringify({ ...theirs, runs: { ...theirs.runs, ...mine.runs } }, null, 2)}\n`);
}

function readStudyFile(file: string): StudyFile {
  let json: unknown;
  try {
    json = JSON.parse(readFileSync(file, 'utf8'));
  } catch (e) {
    throw new Error(`${file}: not valid JSON (${(e as Error).message})`);
  }
  const s = json as Partial<StudyFile>;
  if (s?.format !== FORMAT || typeof s.runs !== 'object' || s.runs === null || typeof s.corpus !== 'object') {
    throw new Error(`${file}: not a dsmoe study file (format '${String(s?.format)}')`);
  }
  return s as StudyFile;
}

/** 'field.path: A here, B in the folder', or null when a and b are equal as JSON. */
function firstDifference(a: unknown, b: unknown, path = ''): string | null {
  if (typeof a === 'object' && a !== null && typeof b === 'object' && b !== null) {
    const keys = [...new Set([...Object.keys(a), ...Object.keys(b)])];
    for (const k of keys) {
      const d = firstDifference((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k], path ? `${path}.${k}` : k);
      if (d) return d;
    }
    return null;
  }
  return a === b ? null : `${path || 'value'}: ${JSON.stringify(a)} here, ${JSON.stringify(b)} in the folder`;
}

/** The run's record, or null when it has not finished. */
export function readRecord(studyDir: string, run: PlannedRun): RunRecord | null {
  const file = join(studyDir, run.dir, RECORD_FILE);
  if (!existsSync(file)) return null;
  let rec: RunRecord;
  try {
    rec = JSON.parse(readFileSync(file, 'utf8')) as RunRecord;
  } catch (e) {
    throw new Error(`${file}: not valid JSON (${(e as Error).message}); delete it to re-evaluate the run`);
  }
  if (rec.dir !== run.dir || !Array.isArray(rec.rows) || rec.rows.some((r) => typeof r.perplexity !== 'number')) {
    throw new Error(`${file}: not the record of run ${run.dir}; delete it to re-evaluate the run`);
  }
  return rec;
}

export function writeRecord(studyDir: string, rec: RunRecord): void {
  writeFileAtomic(join(studyDir, rec.dir, RECORD_FILE), `${JSON.stringify(rec, null, 2)}\n`);
}
