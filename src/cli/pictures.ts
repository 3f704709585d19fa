/**
 * The SVG pictures a run leaves next to its checkpoint:
 *   training-curves.svg   train and validation loss per step (and the MI
 *                         loss of the routers for DS-MoE)
 *   sparsity.svg          perplexity against active FFN share, one line per
 *                         sparse mode (the paper's Fig. 4)
 *   expert-load.svg       tokens per FFN expert per layer under top-1
 *                         routing: is the load balanced?
 *   expert-genre.svg      mean router probability per expert by Brown genre
 */
import { join } from 'node:path';
import { brownGenreName } from '../data/brown-genres.js';
import { writeFileAtomic } from '../io/fs.js';
import { heatmap, lineChart, type LineSeries } from '../io/svg.js';
import type { ModelKind } from '../moe/lm-config.js';
import type { EvalRow } from '../train/sparse-eval.js';
import type { GenreUse } from '../train/genre-use.js';
import type { HistoryPoint } from '../train/trainer.js';

export function writeTrainingPictures(dir: string, history: readonly HistoryPoint[], kind: ModelKind): void {
  if (history.length === 0) return;
  const series: LineSeries[] = [
    { name: 'train', points: smooth(history.map((h) => [h.step, h.ce])) },
    { name: 'validation', points: history.filter((h) => h.valLoss !== undefined).map((h) => [h.step, h.valLoss!]) },
  ];
  if (kind === 'dsmoe') {
    series.push({ name: 'MI (FFN, Σ layers)', points: history.map((h) => [h.step, h.miFfn]), dashed: true });
    series.push({ name: 'MI (attn, Σ layers)', points: history.map((h) => [h.step, h.miAttn]), dashed: true });
  }
  if (kind === 'smoe') series.push({ name: 'Switch loss', points: history.map((h) => [h.step, h.balance]), dashed: true });
  writeFileAtomic(join(dir, 'training-curves.svg'), lineChart({ series, title: `Training (${kind})`, xLabel: 'step', yLabel: 'nats per token' }));
}

/** An exponential moving average: per-batch losses are noisy, the trend is what the eye wants. */
function smooth(points: [number, number][], beta = 0.9): [number, number][] {
  let avg = points[0]?.[1] ?? 0;
  return points.map(([x, y], i) => {
    avg = i === 0 ? y : beta * avg + (1 - beta) * y;
    return [x, avg];
  });
}

/** Writes the eval pictures that the rows allow; returns the paths written. */
export function writeEvalPictures(dir: string, rows: readonly EvalRow[]): string[] {
  const written: string[] = [];
  // One line per mode family, FFN-only and FFN+attention pruning apart (mixing them would zigzag).
  const family = (r: EvalRow): string => `${r.mode.mode}${r.attention.mode !== 'dense' ? ' +attn' : ''}`;
  const series: LineSeries[] = [];
  for (const name of [...new Set(rows.filter((r) => r.mode.mode !== 'dense').map(family))]) {
    const pts = rows.filter((r) => family(r) === name).map((r) => [100 * r.ffnActive, r.perplexity] as [number, number]).sort((a, b) => a[0] - b[0]);
    series.push({ name, points: pts });
  }
  const dense = rows.find((r) => r.mode.mode === 'dense');
  if (dense) series.push({ name: 'dense', points: [[0, dense.perplexity], [100, dense.perplexity]], dashed: true });
  if (series.length) {
    writeFileAtomic(join(dir, 'sparsity.svg'), lineChart({ series, title: 'Perplexity vs active FFN parameters', xLabel: 'active FFN parameters (%)', yLabel: 'perplexity' }));
    written.push(join(dir, 'sparsity.svg'));
  }
  const top1 = rows.find((r) => r.mode.mode === 'topK' && r.mode.k === 1);
  if (top1 && top1.ffnLoad.length) {
    const shares = top1.ffnLoad.map((l) => {
      const total = l.reduce((a, b) => a + b, 0) || 1;
      return l.map((v) => v / total);
    });
    writeFileAtomic(join(dir, 'expert-load.svg'), heatmap({
      values: shares,
      rowLabels: shares.map((_, i) => `layer ${i}`),
      colLabels: shares[0]!.map((_, e) => `E${e}`),
      title: 'FFN expert load (share of tokens, top-1 routing)',
      xLabel: 'expert',
      min: 0,
    }));
    written.push(join(dir, 'expert-load.svg'));
  }
  return written;
}

export function writeGenrePicture(dir: string, g: GenreUse): void {
  if (g.genres.length === 0) return;
  writeFileAtomic(join(dir, 'expert-genre.svg'), heatmap({
    values: g.use,
    rowLabels: g.genres.map(genreLabel),
    colLabels: Array.from({ length: g.layers * g.experts }, (_, i) => `L${Math.floor(i / g.experts)}E${i % g.experts}`),
    title: 'Mean FFN router probability by genre',
    xLabel: 'layer, expert',
    min: 0,
  }));
}

/** A Brown genre letter as its name; other corpora's genres (folder names) pass through unchanged. */
function genreLabel(genre: string): string {
  return genre === '' ? '(none)' : brownGenreName(genre);
}
