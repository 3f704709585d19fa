/**
 * What every chart needs: XML escaping, "nice" tick values, number
 * formatting, colour scales and the SVG document wrapper. Pure string
 * building, no DOM, so charts render the same in Node and in a browser.
 */

/** Escapes text for SVG content and attribute values. */
export function esc(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!)
    // Characters XML 1.0 forbids outright (control codes, lone surrogates) cannot even be escaped.
    .replace(/[\u0000-\u0008\u000b\u000c\u000e-\u001f\ufffe\uffff]|\p{Cs}/gu, '\uFFFD');
}

/** A coordinate with at most two decimals (keeps files small and diffs stable). */
export function n(x: number): string {
  return String(Math.round(x * 100) / 100);
}

/** Colour-blind-safe categorical palette (Okabe & Ito 2008), then Tableau's for more series. */
export const PALETTE = Object.freeze([
  '#0072B2', '#E69F00', '#009E73', '#D55E00', '#CC79A7', '#56B4E9', '#F0E442', '#000000',
  '#4E79A7', '#F28E2B', '#59A14F', '#E15759', '#B07AA1', '#76B7B2', '#EDC948', '#9C755F',
]);

export function seriesColor(i: number): string {
  return PALETTE[i % PALETTE.length]!;
}

/**
 * About `count` round tick values covering [lo, hi]: steps of 1, 2 or 5
 * times a power of ten, the way a person would label an axis.
 */
export function niceTicks(lo: number, hi: number, count = 5): number[] {
  const scale = Math.max(Math.abs(lo), Math.abs(hi));
  if (!(hi - lo > scale * 1e-9 && hi - lo > 1e-300)) {
    // One value, or a span too thin to label: widen it around the data.
    const pad = scale > 1e-300 ? scale * 0.1 : 1;
    return niceTicks(Math.min(lo, hi) - pad, Math.max(lo, hi) + pad, count);
  }
  const raw = (hi - lo) / Math.max(1, count);
  const mag = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 5, 10].map((m) => m * mag).find((s) => s >= raw) ?? 10 * mag;
  // Ticks are k·step for whole k (multiplied, not accumulated, so rounding cannot drift).
  let k = Math.floor(lo / step + 1e-9);
  if (k * step > lo) k--;
  const ticks: number[] = [];
  for (let i = 0; i < 100; i++, k++) {
    ticks.push(Number((k * step).toPrecision(12)));
    if (k * step >= hi) break; // exact: a tolerance would let the last tick fall short of the data
  }
  return ticks;
}

/**
 * Ticks for a log axis over [lo, hi] (lo > 0): powers of ten when the range
 * spans several decades, 1-2-5 steps when it spans one or two, and plain
 * linear ticks when it is narrower than that (a loss falling from 2.6 to 2.1).
 */
export function logTicks(lo: number, hi: number): number[] {
  const candidates: number[] = [];
  for (let e = Math.floor(Math.log10(lo)); e <= Math.ceil(Math.log10(hi)); e++) {
    for (const m of [1, 2, 5]) candidates.push(Number((m * 10 ** e).toPrecision(12)));
  }
  const inside = candidates.filter((t) => t >= lo * (1 - 1e-9) && t <= hi * (1 + 1e-9));
  const decades = inside.filter((t) => Number.isInteger(Math.log10(t)));
  if (decades.length >= 3) return decades;
  if (inside.length >= 3) return inside;
  return niceTicks(lo, hi, 4).filter((t) => t > 0 && t >= lo * (1 - 1e-9) && t <= hi * (1 + 1e-9));
}

/** Short tick labels: 1500 → "1.5k", 0.00012 → "1.2e-4", 0.25 → "0.25". */
export function fmt(v: number): string {
  if (v === 0) return '0';
  const a = Math.abs(v);
  if (a >= 1e9) return trim(v / 1e9) + 'G';
  if (a >= 1e6) return trim(v / 1e6) + 'M';
  if (a >= 1e4) return trim(v / 1e3) + 'k';
  if (a < 1e-3) return v.toExponential(1).replace(/\.0e/, 'e');
  return trim(v);
}

function trim(v: number): string {
  return String(Number(v.toPrecision(4)));
}

/** Viridis (perceptually uniform, colour-blind-safe), t in [0, 1]. */
const VIRIDIS = ['#440154', '#482878', '#3e4989', '#31688e', '#26828e', '#1f9e89', '#35b779', '#6ece58', '#b5de2b', '#fde725'];

export function viridis(t: number): string {
  const x = Math.min(1, Math.max(0, t)) * (VIRIDIS.length - 1);
  const i = Math.min(VIRIDIS.length - 2, Math.floor(x));
  return mix(VIRIDIS[i]!, VIRIDIS[i + 1]!, x - i);
}

function mix(a: string, b: string, t: number): string {
  const pa = [1, 3, 5].map((k) => parseInt(a.slice(k, k + 2), 16));
  const pb = [1, 3, 5].map((k) => parseInt(b.slice(k, k + 2), 16));
  return '#' + pa.map((v, k) => Math.round(v + (pb[k]! - v) * t).toString(16).padStart(2, '0')).join('');
}

/** Dark text on light cells, light text on dark ones. */
export function textOn(hex: string): string {
  const [r, g, b] = [1, 3, 5].map((k) => parseInt(hex.slice(k, k + 2), 16) / 255) as [number, number, number];
  return 0.2126 * r + 0.7152 * g + 0.0722 * b > 0.5 ? '#111' : '#fff';
}

/** Rough width of a label in px (SVG has no text metrics without a renderer). */
export function textWidth(s: string, fontSize: number): number {
  return [...s].length * fontSize * 0.58;
}

export const FONT = "font-family=\"system-ui, -apple-system, 'Segoe UI', Helvetica, Arial, sans-serif\"";

/** A standalone SVG document: white background, the title on top. */
export function svgDocument(width: number, height: number, title: string | undefined, body: string[]): string {
  const head = title ? [`<title>${esc(title)}</title>`, `<text x="${n(width / 2)}" y="24" text-anchor="middle" font-size="16" font-weight="600" fill="#222">${esc(title)}</text>`] : [];
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${n(width)}" height="${n(height)}" viewBox="0 0 ${n(width)} ${n(height)}" ${FONT} font-size="12">`,
    `<rect width="100%" height="100%" fill="#fff"/>`,
    ...head,
    ...body,
    '</svg>',
    '',
  ].join('\n');
}

/** Plot area inside the margins. */
export interface Frame {
  left: number;
  top: number;
  width: number;
  height: number;
}

/** Axis titles: x under the plot, y rotated along its left edge. */
export function axisTitles(f: Frame, xLabel: string | undefined, yLabel: string | undefined, yTitleX: number): string[] {
  const out: string[] = [];
  if (xLabel) out.push(`<text x="${n(f.left + f.width / 2)}" y="${n(f.top + f.height + 40)}" text-anchor="middle" font-size="13" fill="#333">${esc(xLabel)}</text>`);
  if (yLabel) out.push(`<text transform="translate(${n(yTitleX)} ${n(f.top + f.height / 2)}) rotate(-90)" text-anchor="middle" font-size="13" fill="#333">${esc(yLabel)}</text>`);
  return out;
}

/** A category's label under the plot, centred at x; turned 45° (ending at x) when the labels are too wide to sit side by side. */
export function categoryLabel(x: number, y: number, text: string, rotated: boolean): string {
  return rotated
    ? `<text transform="translate(${n(x + 4)} ${n(y - 6)}) rotate(-45)" text-anchor="end" fill="#333">${esc(text)}</text>`
    : `<text x="${n(x)}" y="${n(y)}" text-anchor="middle" fill="#333">${esc(text)}</text>`;
}

/** Horizontal grid lines with labels on the left, for a y scale. */
export function yAxis(f: Frame, ticks: number[], y: (v: number) => number): string[] {
  const out: string[] = [];
  for (const t of ticks) {
    const py = y(t);
    out.push(`<line x1="${n(f.left)}" x2="${n(f.left + f.width)}" y1="${n(py)}" y2="${n(py)}" stroke="#e5e5e5"/>`);
    out.push(`<text x="${n(f.left - 6)}" y="${n(py + 4)}" text-anchor="end" fill="#555">${esc(fmt(t))}</text>`);
  }
  out.push(`<line x1="${n(f.left)}" x2="${n(f.left)}" y1="${n(f.top)}" y2="${n(f.top + f.height)}" stroke="#888"/>`);
  return out;
}

/** Legend entries stacked in a column at (x, y): a colour swatch and the name. */
export function legend(x: number, y: number, items: { name: string; color: string; dashed?: boolean }[], line: boolean): string[] {
  const out = [`<g class="legend">`];
  items.forEach((it, i) => {
    const cy = y + i * 18;
    out.push(line
      ? `<line x1="${n(x)}" x2="${n(x + 18)}" y1="${n(cy)}" y2="${n(cy)}" stroke="${it.color}" stroke-width="2.5"${it.dashed ? ' stroke-dasharray="5 3"' : ''}/>`
      : `<rect x="${n(x + 3)}" y="${n(cy - 6)}" width="12" height="12" fill="${it.color}"/>`);
    out.push(`<text x="${n(x + 24)}" y="${n(cy + 4)}" fill="#222">${esc(it.name)}</text>`);
  });
  out.push('</g>');
  return out;
}

export function legendWidth(names: string[]): number {
  return names.length === 0 ? 0 : 24 + Math.max(...names.map((s) => textWidth(s, 12))) + 12;
}

export function checkSize(what: string, width: number, height: number): void {
  if (!(width >= 100 && height >= 80 && width <= 20000 && height <= 20000)) {
    throw new Error(`${what}: width and height must be between 100×80 and 20000×20000 px, got ${width}×${height}`);
  }
}
