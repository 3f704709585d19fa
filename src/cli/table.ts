/**
 * Markdown tables: what eval and compare print, readable in a terminal and
 * pasteable into a README as is. Columns are padded to a common width and
 * numbers are right-aligned (the `---:` marker), so digits line up.
 */

export type Cell = string | number;

export interface Column {
  header: string;
  align?: 'left' | 'right';
}

export function markdownTable(columns: readonly (Column | string)[], rows: readonly (readonly Cell[])[]): string {
  const cols = columns.map((c) => (typeof c === 'string' ? { header: c } : c));
  const text = rows.map((r) => cols.map((_, i) => cellText(r[i])));
  const align = cols.map((c, i) => c.align ?? (rows.length > 0 && rows.every((r) => typeof r[i] === 'number') ? 'right' : 'left'));
  const width = cols.map((c, i) => Math.max(3, c.header.length, ...text.map((r) => r[i]!.length)));
  const pad = (s: string, i: number): string => (align[i] === 'right' ? s.padStart(width[i]!) : s.padEnd(width[i]!));
  const line = (cells: string[]): string => `| ${cells.map(pad).join(' | ')} |`;
  const rule = `| ${width.map((w, i) => (align[i] === 'right' ? '-'.repeat(w - 1) + ':' : '-'.repeat(w))).join(' | ')} |`;
  return [line(cols.map((c) => c.header)), rule, ...text.map(line)].join('\n');
}

function cellText(c: Cell | undefined): string {
  if (c === undefined) return '';
  if (typeof c === 'string') return c.replace(/\|/g, '\\|');
  return formatNumber(c);
}

/** Up to 4 significant digits, never exponent notation for table-sized values. */
function formatNumber(x: number): string {
  if (!Number.isFinite(x)) return String(x);
  if (Number.isInteger(x)) return String(x);
  const abs = Math.abs(x);
  const digits = abs >= 100 ? 1 : abs >= 10 ? 2 : abs >= 1 ? 3 : 4;
  return x.toFixed(digits);
}

/** 1234567 → '1.23M': parameter counts at a glance. */
export function formatCount(n: number): string {
  if (n >= 1e9) return `${(n / 1e9).toFixed(2)}B`;
  if (n >= 1e6) return `${(n / 1e6).toFixed(2)}M`;
  if (n >= 1e3) return `${(n / 1e3).toFixed(1)}k`;
  return String(n);
}

export function formatPercent(fraction: number): string {
  return `${(100 * fraction).toFixed(1)}%`;
}

/** Seconds as '1m 05s' or '42s'. */
export function formatDuration(seconds: number): string {
  if (!Number.isFinite(seconds) || seconds < 0) return '?';
  const s = Math.round(seconds);
  if (s < 60) return `${s}s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m}m ${String(s % 60).padStart(2, '0')}s`;
  return `${Math.floor(m / 60)}h ${String(m % 60).padStart(2, '0')}m`;
}
