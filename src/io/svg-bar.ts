/**
 * Bar charts (perplexity per sparse mode, active parameters): grouped bars,
 * one group per category and one bar per series, starting from zero so that
 * bar lengths compare honestly.
 */
import {
  axisTitles, categoryLabel, checkSize, esc, legend, legendWidth, n, niceTicks, seriesColor, svgDocument, textWidth, yAxis, type Frame,
} from './svg-kit.js';

export interface BarSeries {
  name: string;
  values: readonly number[];
  color?: string;
}

export interface BarChartOptions {
  categories: readonly string[];
  series: readonly BarSeries[];
  title?: string;
  xLabel?: string;
  yLabel?: string;
  width?: number;
  height?: number;
}

export function barChart(opts: BarChartOptions): string {
  const { categories, series, width = 720, height = 420 } = opts;
  checkSize('barChart', width, height);
  if (categories.length === 0 || series.length === 0) throw new Error('barChart: needs at least one category and one series');
  for (const s of series) {
    if (s.values.length !== categories.length) throw new Error(`barChart: series '${s.name}' has ${s.values.length} values for ${categories.length} categories`);
    const bad = s.values.findIndex((v) => !Number.isFinite(v));
    if (bad >= 0) throw new Error(`barChart: series '${s.name}' has ${s.values[bad]} for '${categories[bad]}'; bars need finite values`);
  }
  const names = series.length > 1 ? series.map((s) => s.name) : [];
  const group0 = (width - 80 - legendWidth(names)) / categories.length;
  const rotate = categories.some((c) => textWidth(c, 12) > group0 * 0.95);
  const catH = rotate ? Math.min(140, Math.max(...categories.map((c) => textWidth(c, 12))) * 0.72 + 16) : 24;
  const f: Frame = { left: 64, top: opts.title ? 44 : 20, width: 0, height: 0 };
  f.width = width - f.left - 16 - legendWidth(names);
  f.height = height - f.top - catH - (opts.xLabel ? 30 : 8);
  if (f.width < 40 || f.height < 40) throw new Error(`barChart: ${width}×${height} px leaves no room for the plot`);

  const values = series.flatMap((s) => s.values);
  const ticks = niceTicks(Math.min(0, ...values), Math.max(0, ...values), 5);
  const [y0, y1] = [ticks[0]!, ticks[ticks.length - 1]!];
  const y = (v: number): number => f.top + f.height - ((v - y0) / (y1 - y0)) * f.height;

  const body = yAxis(f, ticks, y);
  const group = f.width / categories.length;
  const barW = (group * 0.8) / series.length;
  categories.forEach((c, j) => {
    series.forEach((s, k) => {
      const v = s.values[j]!;
      const bx = f.left + j * group + group * 0.1 + k * barW;
      const [top, bottom] = [Math.min(y(v), y(0)), Math.max(y(v), y(0))];
      body.push(`<rect x="${n(bx)}" y="${n(top)}" width="${n(Math.max(1, barW - 1))}" height="${n(Math.max(0.5, bottom - top))}" fill="${s.color ?? seriesColor(k)}"><title>${esc(`${s.name} · ${c}: ${v}`)}</title></rect>`);
    });
    const cx = f.left + (j + 0.5) * group;
    const ty = f.top + f.height + 16;
    body.push(categoryLabel(cx, ty, c, rotate));
  });
  body.push(`<line x1="${n(f.left)}" x2="${n(f.left + f.width)}" y1="${n(y(0))}" y2="${n(y(0))}" stroke="#888"/>`);
  body.push(...axisTitles({ ...f, height: f.height + catH - 30 }, opts.xLabel, opts.yLabel, 16));
  body.push(...legend(f.left + f.width + 16, f.top + 8, names.map((name, k) => ({ name, color: series[k]!.color ?? seriesColor(k) })), false));
  return svgDocument(width, height, opts.title, body);
}
