/**
 * Evaluation rows as the tables people read: a markdown table for eval and
 * demo, plus the JSON that --json prints for scripts.
 */
import type { EvalRow } from '../train/sparse-eval.js';
import { formatCount, formatPercent, markdownTable } from './table.js';

export function evalTable(rows: readonly EvalRow[]): string {
  const dense = rows.find((r) => r.mode.mode === 'dense');
  return markdownTable(
    ['Mode', { header: 'PPL', align: 'right' }, { header: 'Δ vs dense', align: 'right' }, { header: 'bits/byte', align: 'right' },
      { header: 'Active params', align: 'right' }, { header: 'FFN active', align: 'right' }, { header: 'Attn active', align: 'right' },
      { header: 'FFN experts/token', align: 'right' }, { header: 'tok/s', align: 'right' }],
    rows.map((r) => [
      r.label,
      r.perplexity.toFixed(3),
      dense ? `${(100 * (r.perplexity / dense.perplexity - 1)).toFixed(1)}%` : '',
      r.bitsPerByte.toFixed(3),
      `${formatCount(Math.round(r.activeParams))} / ${formatCount(r.totalParams)}`,
      formatPercent(r.ffnActive),
      formatPercent(r.attnActive),
      r.ffnZeroExperts > 0 ? `${r.ffnExperts.toFixed(2)} (+${r.ffnZeroExperts.toFixed(2)} zero)` : r.ffnExperts.toFixed(2),
      String(Math.round(r.tokensPerSecond)),
    ]),
  );
}

/** The rows without the bulky per-layer loads, for --json. */
export function evalJSON(rows: readonly EvalRow[]): object[] {
  return rows.map(({ ffnLoad: _load, ...rest }) => rest);
}
