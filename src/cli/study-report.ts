/**
 * What the study's records say: each row's perplexity as mean and min–max
 * over seeds, the paper's comparisons as paired differences (the same seed
 * means the same initialisation stream and batch order for every arm, so
 * the per-seed ratio cancels what the seeds share), and the pictures:
 *
 *   <preset>-ppl-vs-active.svg   perplexity against active parameters, every
 *                                mode a point with its min–max bar (the shape
 *                                of the paper's Fig. 1)
 *   <preset>-training.svg        mean validation loss per step, main arms
 */
import { join } from 'node:path';
import { writeFileAtomic } from '../io/fs.js';
import { lineChart, type LineSeries } from '../io/svg.js';
import type { RecordRow, RunRecord } from './study-record.js';
import type { StudyArm, StudyPlan } from './study-plan.js';
import { mainArms } from './study-plan.js';
import { formatCount, formatPercent, markdownTable } from './table.js';

export interface Spread {
  mean: number;
  min: number;
  max: number;
  n: number;
}

export function spread(values: readonly number[]): Spread {
  if (values.length === 0) return { mean: NaN, min: NaN, max: NaN, n: 0 };
  return { mean: values.reduce((a, b) => a + b, 0) / values.length, min: Math.min(...values), max: Math.max(...values), n: values.length };
}

/** One row of the study: an arm's mode at one size, over its seeds. */
interface StudyRow {
  preset: string;
  arm: StudyArm;
  row: RecordRow;
  perplexity: Spread;
  activeParams: number;
  ffnActive: number;
}

type Records = readonly RunRecord[];

function ofArm(records: Records, preset: string, arm: string): RunRecord[] {
  return records.filter((r) => r.preset === preset && r.arm === arm).sort((a, b) => a.seed - b.seed);
}

/** Every mode of the arm at the preset, aggregated over the seeds that have finished. */
function armRows(records: Records, preset: string, arm: StudyArm): StudyRow[] {
  const recs = ofArm(records, preset, arm.id);
  if (recs.length === 0) return [];
  return recs[0]!.rows.map((first) => {
    const same = recs.map((r) => r.rows.find((x) => x.label === first.label)).filter((x): x is RecordRow => x !== undefined);
    return {
      preset, arm, row: first,
      perplexity: spread(same.map((x) => x.perplexity)),
      activeParams: spread(same.map((x) => x.activeParams)).mean,
      ffnActive: spread(same.map((x) => x.ffnActive)).mean,
    };
  });
}

/** The per-seed ratio pplA/pplB − 1 over the seeds both have: A against B, paired. */
export function paired(records: Records, preset: string, a: { arm: string; label: string }, b: { arm: string; label: string }): Spread {
  const bs = new Map(ofArm(records, preset, b.arm).map((r) => [r.seed, r.rows.find((x) => x.label === b.label)?.perplexity]));
  const ratios: number[] = [];
  for (const r of ofArm(records, preset, a.arm)) {
    const pa = r.rows.find((x) => x.label === a.label)?.perplexity;
    const pb = bs.get(r.seed);
    if (pa !== undefined && pb !== undefined) ratios.push(pa / pb - 1);
  }
  return spread(ratios);
}

const f3 = (v: number): string => (Number.isFinite(v) ? v.toFixed(3) : '—');
const pct = (v: number): string => (Number.isFinite(v) ? `${v >= 0 ? '+' : ''}${(100 * v).toFixed(1)}%` : '—');
const range = (s: Spread): string => (s.n > 1 ? `${f3(s.min)}–${f3(s.max)}` : '');
const pairedCell = (s: Spread): string => (s.n === 0 ? '—' : s.n === 1 ? pct(s.mean) : `${pct(s.mean)} (${pct(s.min)} … ${pct(s.max)})`);

/** The label of the mode each kind is compared in: dense models densely, SMoE and DS-MoE at the SMoE's top-k. */
function headlineLabels(kind: string, smoeTopK: number): { dense?: string; sparse?: string } {
  const sparse = `topK k=${smoeTopK}`;
  if (kind === 'dense') return { dense: 'dense' };
  if (kind === 'smoe') return { sparse };
  return { dense: 'dense', sparse };
}

/** Rows of arms and modes with their perplexity over seeds and active parameters, then one comparison column. */
function perplexityTable(rows: readonly StudyRow[], against: string, compare: (r: StudyRow) => string): string {
  return markdownTable(
    ['Model', 'Inference', { header: 'PPL (mean)', align: 'right' }, { header: 'min–max', align: 'right' }, { header: 'seeds', align: 'right' },
      { header: 'Active params', align: 'right' }, { header: 'FFN active', align: 'right' }, { header: against, align: 'right' }],
    rows.map((r) => [
      r.arm.label, r.row.label, f3(r.perplexity.mean), range(r.perplexity), String(r.perplexity.n),
      formatCount(Math.round(r.activeParams)), formatPercent(r.ffnActive), compare(r),
    ]),
  );
}

/** The main table of one size: every arm's every mode. */
export function mainTable(records: Records, preset: string): string {
  const dense = armRows(records, preset, mainArms(preset)[0]!)[0];
  const rows = mainArms(preset).flatMap((arm) => armRows(records, preset, arm));
  return perplexityTable(rows, 'vs Dense (paired, min … max)', (r) =>
    dense && r.arm.id !== 'dense' ? pairedCell(paired(records, preset, { arm: r.arm.id, label: r.row.label }, { arm: 'dense', label: 'dense' })) : '');
}

/** The paper's two claims as paired differences: DS-MoE dense against Dense, DS-MoE sparse against SMoE at equal active parameters. */
export function claimsTable(records: Records, preset: string, smoeTopK: number): string {
  const sparse = `topK k=${smoeTopK}`;
  const lines: [string, Spread][] = [];
  for (const arm of ['dsmoe', 'dsmoe-paper']) {
    const label = mainArms(preset).find((a) => a.id === arm)!.label;
    lines.push([`${label} dense ÷ Dense`, paired(records, preset, { arm, label: 'dense' }, { arm: 'dense', label: 'dense' })]);
    lines.push([`${label} ${sparse} ÷ SMoE ${sparse}`, paired(records, preset, { arm, label: sparse }, { arm: 'smoe', label: sparse })]);
  }
  // The same two claims at twice the tokens, where the training-length ablation ran.
  if (records.some((r) => r.preset === preset && r.arm === 'long-dsmoe')) {
    lines.push([`DS-MoE dense ÷ Dense, 2× tokens`, paired(records, preset, { arm: 'long-dsmoe', label: 'dense' }, { arm: 'long-dense', label: 'dense' })]);
    lines.push([`DS-MoE ${sparse} ÷ SMoE ${sparse}, 2× tokens`, paired(records, preset, { arm: 'long-dsmoe', label: sparse }, { arm: 'long-smoe', label: sparse })]);
    lines.push([`SMoE ${sparse} ÷ Dense, 2× tokens`, paired(records, preset, { arm: 'long-smoe', label: sparse }, { arm: 'long-dense', label: 'dense' })]);
    lines.push([`SMoE ${sparse} ÷ Dense`, paired(records, preset, { arm: 'smoe', label: sparse }, { arm: 'dense', label: 'dense' })]);
  }
  return markdownTable(['Comparison', { header: 'PPL ratio − 1 (mean, min … max over seeds)', align: 'right' }, { header: 'seeds', align: 'right' }, 'Separated?'],
    lines.map(([what, s]) => [what, pairedCell(s), String(s.n), s.n < 2 ? '—' : s.max < 0 ? 'yes: lower on every seed' : s.min > 0 ? 'yes: higher on every seed' : 'no: the seeds disagree']));
}

/** The ablations: each arm's headline modes against the main arm of its kind, paired by seed. */
export function ablationTable(records: Records, plan: StudyPlan, smoeTopK: number): string {
  const preset = plan.sizes[0]!.preset;
  const rows: string[][] = [];
  for (const arm of plan.ablations) {
    const h = headlineLabels(arm.kind, smoeTopK);
    const ref = arm.kind;
    const cell = (label?: string): [string, string] => {
      if (!label) return ['', ''];
      const s = armRows(records, preset, arm).find((r) => r.row.label === label)?.perplexity;
      return [s ? `${f3(s.mean)}${s.n > 1 ? ` (${range(s)})` : ''}` : '—', pairedCell(paired(records, preset, { arm: arm.id, label }, { arm: ref, label }))];
    };
    const [d, dv] = cell(h.dense);
    const [sp, sv] = cell(h.sparse);
    rows.push([arm.label, arm.question, d, dv, sp, sv]);
  }
  return markdownTable(['Ablation', 'Question', { header: 'dense PPL (min–max)', align: 'right' }, { header: 'vs main arm', align: 'right' },
    { header: `top-${smoeTopK} PPL (min–max)`, align: 'right' }, { header: 'vs main arm', align: 'right' }], rows);
}

/**
 * Every mode of each arm beside the main DS-MoE's same mode: perplexity
 * over seeds, active parameters, FFN share, and the ratio to DS-MoE paired
 * by seed (the routing-extension ablations, whose question is what they
 * cost and save in each mode, not only at top-2).
 */
export function modesTable(records: Records, preset: string, arms: readonly StudyArm[]): string {
  const main = mainArms(preset).find((a) => a.id === 'dsmoe')!;
  const rows = [main, ...arms].flatMap((arm) => armRows(records, preset, arm));
  return perplexityTable(rows, 'vs DS-MoE, same mode (paired)', (r) =>
    r.arm.id === main.id ? '' : pairedCell(paired(records, preset, { arm: r.arm.id, label: r.row.label }, { arm: main.id, label: r.row.label })));
}

/** Writes the size's two pictures into the study folder; returns their paths. */
export function writeStudyPictures(dir: string, records: Records, preset: string): string[] {
  const series: LineSeries[] = [];
  for (const arm of mainArms(preset)) {
    const rows = armRows(records, preset, arm);
    const families = arm.kind === 'dsmoe' ? [['dense', 'topK'], ['threshold'], ['topP']] : [['dense', 'topK']];
    for (const fam of families) {
      const pts = rows.filter((r) => fam.includes(r.row.mode)).sort((a, b) => a.activeParams - b.activeParams);
      if (pts.length === 0) continue;
      series.push({
        name: fam[0] === 'dense' ? arm.label : `${arm.label} ${fam[0]}`,
        points: pts.map((r) => [r.activeParams / 1000, r.perplexity.mean]),
        errors: pts.map((r) => [r.perplexity.min, r.perplexity.max]),
        markers: true,
        dashed: fam[0] !== 'dense',
      });
    }
  }
  const written: string[] = [];
  if (series.length) {
    const file = join(dir, `${preset}-ppl-vs-active.svg`);
    writeFileAtomic(file, lineChart({ series, title: `${preset}: perplexity against active parameters (mean, min–max over seeds)`, xLabel: 'active parameters (thousands)', yLabel: 'validation perplexity', width: 860 }));
    written.push(file);
  }
  const curves: LineSeries[] = mainArms(preset).map((arm) => ({ name: arm.label, points: meanCurve(ofArm(records, preset, arm.id)) })).filter((s) => s.points.length > 0);
  if (curves.length) {
    const file = join(dir, `${preset}-training.svg`);
    writeFileAtomic(file, lineChart({ series: curves, title: `${preset}: validation loss while training (mean over seeds)`, xLabel: 'step', yLabel: 'nats per token' }));
    written.push(file);
  }
  return written;
}

/** The mean of the runs' validation curves at the steps every run has. */
function meanCurve(recs: readonly RunRecord[]): [number, number][] {
  if (recs.length === 0) return [];
  const steps = recs[0]!.curve.map(([s]) => s).filter((s) => recs.every((r) => r.curve.some(([t]) => t === s)));
  return steps.map((s) => [s, spread(recs.map((r) => r.curve.find(([t]) => t === s)![1])).mean]);
}
