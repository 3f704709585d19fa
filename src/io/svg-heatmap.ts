/**
 * Heatmaps (expert load per layer, expert use by genre): one cell per
 * value, coloured on the viridis scale, with a colour bar for the scale and
 * the value printed in the cell when the cell is big enough to read it.
 * Cells that are not finite are grey and marked "n/a".
 */
import { axisTitles, categoryLabel, checkSize, esc, fmt, n, niceTicks, svgDocument, textOn, textWidth, viridis, type Frame } from './svg-kit.js';

export interface HeatmapOptions {
  /** Rows of values (all the same length), or a flat row-major array with `rows` and `cols`. */
  values: readonly (readonly number[])[] | ArrayLike<number>;
  rows?: number;
  cols?: number;
  rowLabels?: readonly string[];
  colLabels?: readonly string[];
  title?: string;
  xLabel?: string;
  yLabel?: string;
  /** Colour scale limits; the data's min and max by default. */
  min?: number;
  max?: number;
  /** Print values in cells (default: when cells are at least 34×18 px). */
  showValues?: boolean;
  /** Digits after the point for printed values (default 2). */
  digits?: number;
  width?: number;
  height?: number;
}

export function heatmap(opts: HeatmapOptions): string {
  const { grid, rows, cols } = toGrid(opts);
  const rowLabels = opts.rowLabels ?? Array.from({ length: rows }, (_, i) => String(i));
  const colLabels = opts.colLabels ?? Array.from({ length: cols }, (_, j) => String(j));
  if (rowLabels.length !== rows) throw new Error(`heatmap: ${rowLabels.length} row labels for ${rows} rows`);
  if (colLabels.length !== cols) throw new Error(`heatmap: ${colLabels.length} column labels for ${cols} columns`);

  const labelW = Math.max(...rowLabels.map((s) => textWidth(s, 12))) + 10;
  const rotateCols = colLabels.some((s) => textWidth(s, 12) > 40);
  const colLabelH = rotateCols ? Math.min(140, Math.max(...colLabels.map((s) => textWidth(s, 12))) * 0.72 + 14) : 20;
  const width = opts.width ?? Math.max(360, labelW + (opts.yLabel ? 28 : 8) + cols * 48 + 90);
  const height = opts.height ?? Math.max(200, (opts.title ? 44 : 16) + rows * 26 + colLabelH + (opts.xLabel ? 30 : 8));
  checkSize('heatmap', width, height);

  const f: Frame = { left: labelW + (opts.yLabel ? 28 : 8), top: opts.title ? 44 : 16, width: 0, height: 0 };
  f.width = width - f.left - 90;
  f.height = height - f.top - colLabelH - (opts.xLabel ? 30 : 8);
  if (f.width < 20 || f.height < 20) throw new Error(`heatmap: ${width}×${height} px is too small for ${rows}×${cols} cells and their labels`);

  const finite = grid.flat().filter(Number.isFinite);
  const lo = opts.min ?? (finite.length ? Math.min(...finite) : 0);
  const hi = opts.max ?? (finite.length ? Math.max(...finite) : 1);
  const t = (v: number): number => (hi > lo ? (v - lo) / (hi - lo) : 0.5);
  const cw = f.width / cols;
  const ch = f.height / rows;
  const show = opts.showValues ?? (cw >= 34 && ch >= 18);
  const digits = opts.digits ?? 2;

  const body: string[] = [];
  for (let i = 0; i < rows; i++) {
    for (let j = 0; j < cols; j++) {
      const v = grid[i]![j]!;
      const [x, y] = [f.left + j * cw, f.top + i * ch];
      const fill = Number.isFinite(v) ? viridis(t(v)) : '#bbbbbb';
      body.push(`<rect x="${n(x)}" y="${n(y)}" width="${n(cw)}" height="${n(ch)}" fill="${fill}" stroke="#fff" stroke-width="1"><title>${esc(`${rowLabels[i]} × ${colLabels[j]}: ${Number.isFinite(v) ? v : 'n/a'}`)}</title></rect>`);
      if (show) body.push(`<text x="${n(x + cw / 2)}" y="${n(y + ch / 2 + 4)}" text-anchor="middle" font-size="11" fill="${textOn(fill)}">${Number.isFinite(v) ? esc(v.toFixed(digits)) : 'n/a'}</text>`);
    }
    body.push(`<text x="${n(f.left - 6)}" y="${n(f.top + (i + 0.5) * ch + 4)}" text-anchor="end" fill="#333">${esc(rowLabels[i]!)}</text>`);
  }
  const below = f.top + f.height + 14;
  colLabels.forEach((s, j) => {
    const cx = f.left + (j + 0.5) * cw;
    body.push(categoryLabel(cx, below, s, rotateCols));
  });
  body.push(...colourBar(f.left + f.width + 18, f.top, Math.min(f.height, 240), lo, hi));
  body.push(...axisTitles({ ...f, height: f.height + colLabelH - 30 }, opts.xLabel, opts.yLabel, 16));
  return svgDocument(width, height, opts.title, body);
}

/** Normalizes the two input forms to rows of numbers, with clear errors. */
function toGrid(opts: HeatmapOptions): { grid: number[][]; rows: number; cols: number } {
  const v = opts.values;
  let grid: number[][];
  if (Array.isArray(v) && (v.length === 0 || Array.isArray(v[0]))) {
    grid = (v as readonly (readonly number[])[]).map((r) => [...r]);
  } else {
    const { rows, cols } = opts;
    if (rows === undefined || cols === undefined) throw new Error('heatmap: flat values need rows and cols');
    const flat = v as ArrayLike<number>;
    if (flat.length !== rows * cols) throw new Error(`heatmap: ${flat.length} values for ${rows}×${cols} cells`);
    grid = Array.from({ length: rows }, (_, i) => Array.from({ length: cols }, (_, j) => flat[i * cols + j]!));
  }
  const rows = grid.length;
  const cols = grid[0]?.length ?? 0;
  if (rows === 0 || cols === 0) throw new Error('heatmap: no cells to draw');
  grid.forEach((r, i) => {
    if (r.length !== cols) throw new Error(`heatmap: row ${i} has ${r.length} values, row 0 has ${cols}`);
  });
  if ((opts.rows !== undefined && opts.rows !== rows) || (opts.cols !== undefined && opts.cols !== cols)) {
    throw new Error(`heatmap: values are ${rows}×${cols} but rows/cols say ${opts.rows}×${opts.cols}`);
  }
  return { grid, rows, cols };
}

/** A vertical gradient from lo (bottom) to hi (top) with a few ticks. */
function colourBar(x: number, y: number, h: number, lo: number, hi: number): string[] {
  const id = `cb${Math.abs(hashOf(`${x},${y},${h},${lo},${hi}`))}`;
  const stops = Array.from({ length: 11 }, (_, k) => `<stop offset="${k * 10}%" stop-color="${viridis(1 - k / 10)}"/>`);
  const out = [
    `<defs><linearGradient id="${id}" x1="0" x2="0" y1="0" y2="1">${stops.join('')}</linearGradient></defs>`,
    `<rect x="${n(x)}" y="${n(y)}" width="14" height="${n(h)}" fill="url(#${id})" stroke="#888" stroke-width="0.5"/>`,
  ];
  const tol = (hi - lo) * 1e-9;
  const ticks = hi > lo ? niceTicks(lo, hi, 4).filter((v) => v >= lo - tol && v <= hi + tol) : [lo];
  for (const v of ticks) {
    const py = hi > lo ? y + h - ((v - lo) / (hi - lo)) * h : y + h / 2;
    out.push(`<line x1="${n(x + 14)}" x2="${n(x + 18)}" y1="${n(py)}" y2="${n(py)}" stroke="#888"/>`);
    out.push(`<text x="${n(x + 21)}" y="${n(py + 4)}" fill="#555">${esc(fmt(v))}</text>`);
  }
  return out;
}

function hashOf(s: string): number {
  let h = 0;
  for (let i = 0; i < s.length; i++) h = (Math.imul(h, 31) + s.charCodeAt(i)) | 0;
  return h;
}
