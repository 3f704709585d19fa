/**
 * Line charts (training and validation loss against steps). Points that
 * are not finite, or not positive on a log axis, break the line rather than
 * bend it, so a diverged run shows as a gap, not a lie. A series may carry
 * a vertical interval per point (min–max over seeds, say), drawn as an
 * error bar, and markers at its points.
 */
import {
  axisTitles, checkSize, esc, fmt, legend, legendWidth, logTicks, n, niceTicks, seriesColor, svgDocument, yAxis, type Frame,
} from './svg-kit.js';

export interface LineSeries {
  name: string;
  points: readonly (readonly [number, number])[];
  color?: string;
  dashed?: boolean;
  /** Per point, the [low, high] of its y: an error bar (same length as points). */
  errors?: readonly (readonly [number, number])[];
  /** A dot at every point, not only at lone ones. */
  markers?: boolean;
}

export interface LineChartOptions {
  series: readonly LineSeries[];
  title?: string;
  xLabel?: string;
  yLabel?: string;
  /** Logarithmic y axis (values ≤ 0 are left out). */
  logY?: boolean;
  width?: number;
  height?: number;
}

export function lineChart(opts: LineChartOptions): string {
  const { width = 720, height = 420, logY = false } = opts;
  checkSize('lineChart', width, height);
  if (opts.series.length === 0) throw new Error('lineChart: no series to draw');
  const usable = (p: readonly [number, number]): boolean => Number.isFinite(p[0]) && Number.isFinite(p[1]) && (!logY || p[1] > 0);
  for (const s of opts.series) {
    if (s.errors && s.errors.length !== s.points.length) throw new Error(`lineChart: series '${s.name}' has ${s.points.length} points but ${s.errors.length} error bars`);
  }
  // The bars' ends are in the range too, so a bar never runs off the plot.
  const all = opts.series.flatMap((s) => [
    ...s.points.filter(usable),
    ...(s.errors ?? []).flatMap((e, i) => [[s.points[i]![0], e[0]], [s.points[i]![0], e[1]]] as const).filter(usable),
  ]);

  const names = opts.series.map((s) => s.name);
  const f: Frame = { left: 64, top: opts.title ? 44 : 20, width: 0, height: 0 };
  f.width = width - f.left - 16 - legendWidth(names);
  f.height = height - f.top - (opts.xLabel ? 56 : 36);
  if (f.width < 40 || f.height < 40) throw new Error(`lineChart: ${width}×${height} px leaves no room for the plot (legend names are long?)`);

  const body: string[] = [];
  if (all.length === 0) {
    body.push(`<text x="${n(f.left + f.width / 2)}" y="${n(f.top + f.height / 2)}" text-anchor="middle" fill="#888">no data</text>`);
  } else {
    const xs = all.map((p) => p[0]);
    const ys = all.map((p) => p[1]);
    const xTicks = niceTicks(Math.min(...xs), Math.max(...xs), 6);
    const [x0, x1] = [xTicks[0]!, xTicks[xTicks.length - 1]!];
    const x = (v: number): number => f.left + ((v - x0) / (x1 - x0)) * f.width;
    let y: (v: number) => number;
    let yTicks: number[];
    if (logY) {
      // Padded in log space, so even one tiny value (5e-324) gives a range of positive width.
      const l0 = Math.log(Math.min(...ys)) - 0.05;
      const l1 = Math.log(Math.max(...ys)) + 0.05;
      y = (v) => f.top + f.height - ((Math.log(v) - l0) / (l1 - l0)) * f.height;
      yTicks = logTicks(Math.max(Math.exp(l0), Number.MIN_VALUE), Math.exp(l1));
    } else {
      yTicks = niceTicks(Math.min(...ys), Math.max(...ys), 5);
      const [y0, y1] = [yTicks[0]!, yTicks[yTicks.length - 1]!];
      y = (v) => f.top + f.height - ((v - y0) / (y1 - y0)) * f.height;
    }
    body.push(...yAxis(f, yTicks, y));
    body.push(...xAxis(f, xTicks, x));
    body.push(`<g fill="none" stroke-width="2" stroke-linejoin="round" stroke-linecap="round">`);
    opts.series.forEach((s, i) => body.push(...seriesPath(s, s.color ?? seriesColor(i), usable, x, y)));
    body.push('</g>');
  }
  body.push(...axisTitles(f, opts.xLabel, opts.yLabel, 16));
  body.push(...legend(f.left + f.width + 16, f.top + 8, opts.series.map((s, i) => ({ name: s.name, color: s.color ?? seriesColor(i), dashed: s.dashed })), true));
  return svgDocument(width, height, opts.title, body);
}

function xAxis(f: Frame, ticks: number[], x: (v: number) => number): string[] {
  const bottom = f.top + f.height;
  const out = [`<line x1="${n(f.left)}" x2="${n(f.left + f.width)}" y1="${n(bottom)}" y2="${n(bottom)}" stroke="#888"/>`];
  for (const t of ticks) {
    out.push(`<line x1="${n(x(t))}" x2="${n(x(t))}" y1="${n(bottom)}" y2="${n(bottom + 5)}" stroke="#888"/>`);
    out.push(`<text x="${n(x(t))}" y="${n(bottom + 18)}" text-anchor="middle" fill="#555">${esc(fmt(t))}</text>`);
  }
  return out;
}

/** One <path> per unbroken run of usable points; a lone point is drawn as a dot. */
function seriesPath(
  s: LineSeries, color: string, usable: (p: readonly [number, number]) => boolean,
  x: (v: number) => number, y: (v: number) => number,
): string[] {
  const runs: (readonly [number, number])[][] = [[]];
  for (const p of s.points) {
    if (usable(p)) runs[runs.length - 1]!.push(p);
    else if (runs[runs.length - 1]!.length > 0) runs.push([]);
  }
  const out: string[] = [];
  s.errors?.forEach(([lo, hi], i) => {
    const [px] = s.points[i]!;
    if (!usable([px, lo]) || !usable([px, hi])) return;
    const [cx, y0, y1] = [n(x(px)), n(y(lo)), n(y(hi))];
    out.push(`<path d="M${cx} ${y0}L${cx} ${y1}M${n(x(px) - 4)} ${y0}h8M${n(x(px) - 4)} ${y1}h8" stroke="${color}" stroke-width="1.2"/>`);
  });
  for (const run of runs) {
    if (s.markers && run.length > 1) for (const p of run) out.push(`<circle cx="${n(x(p[0]))}" cy="${n(y(p[1]))}" r="3" fill="${color}" stroke="none"/>`);
    if (run.length === 1) out.push(`<circle cx="${n(x(run[0]![0]))}" cy="${n(y(run[0]![1]))}" r="2.5" fill="${color}" stroke="none"/>`);
    if (run.length < 2) continue;
    const d = run.map((p, i) => `${i ? 'L' : 'M'}${n(x(p[0]))} ${n(y(p[1]))}`).join('');
    out.push(`<path d="${d}" stroke="${color}"${s.dashed ? ' stroke-dasharray="6 4"' : ''}><title>${esc(s.name)}</title></path>`);
  }
  return out;
}
