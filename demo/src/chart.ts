/** The loss curve: an SVG line over steps, with a few gridlines and labelled ticks. */

const NS = 'http://www.w3.org/2000/svg';
const W = 560;
const H = 220;
const PAD = { left: 44, right: 14, top: 12, bottom: 30 };

function el<K extends keyof SVGElementTagNameMap>(name: K, attrs: Record<string, string | number>, text?: string): SVGElementTagNameMap[K] {
  const node = document.createElementNS(NS, name);
  for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, String(v));
  if (text !== undefined) node.textContent = text;
  return node;
}

/** Round numbers for axis ticks: about `count` of them between lo and hi. */
function ticks(lo: number, hi: number, count: number): number[] {
  const span = hi - lo || 1;
  const raw = span / count;
  const mag = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 5, 10].map((m) => m * mag).find((s) => s >= raw) ?? raw;
  const out: number[] = [];
  for (let v = Math.ceil(lo / step) * step; v <= hi + 1e-9; v += step) out.push(Number(v.toFixed(10)));
  return out;
}

export function drawLossChart(svg: SVGSVGElement, losses: readonly number[]): void {
  svg.replaceChildren();
  const x0 = PAD.left;
  const x1 = W - PAD.right;
  const y0 = H - PAD.bottom;
  const y1 = PAD.top;
  if (losses.length === 0) {
    svg.append(el('text', { x: W / 2, y: H / 2, 'text-anchor': 'middle', class: 'empty' }, 'press Train: the loss per step appears here'));
    return;
  }
  const lo = Math.min(...losses);
  const hi = Math.max(...losses);
  const pad = (hi - lo) * 0.08 || 0.1;
  const yMin = Math.max(0, lo - pad);
  const yMax = hi + pad;
  const steps = Math.max(losses.length, 2);
  const sx = (i: number): number => x0 + ((x1 - x0) * i) / (steps - 1);
  const sy = (v: number): number => y0 - ((y0 - y1) * (v - yMin)) / (yMax - yMin);

  for (const v of ticks(yMin, yMax, 4)) {
    svg.append(el('line', { x1: x0, x2: x1, y1: sy(v), y2: sy(v), class: 'grid-line' }));
    svg.append(el('text', { x: x0 - 6, y: sy(v) + 4, 'text-anchor': 'end', class: 'tick' }, v.toFixed(v < 10 ? 2 : 1)));
  }
  for (const i of ticks(1, steps, 5).filter((s) => Number.isInteger(s))) {
    svg.append(el('text', { x: sx(i - 1), y: y0 + 18, 'text-anchor': 'middle', class: 'tick' }, String(i)));
  }
  svg.append(el('line', { x1: x0, x2: x1, y1: y0, y2: y0, class: 'axis' }));
  svg.append(el('line', { x1: x0, x2: x0, y1: y0, y2: y1, class: 'axis' }));
  svg.append(el('text', { x: x1, y: y1 + 10, 'text-anchor': 'end', class: 'tick' }, 'loss (nats/byte) per training step'));
  const points = losses.map((v, i) => `${sx(i).toFixed(1)},${sy(v).toFixed(1)}`).join(' ');
  svg.append(el('polyline', { points, class: 'curve' }));
  const last = losses.length - 1;
  svg.append(el('circle', { cx: sx(last), cy: sy(losses[last]!), r: 3.5, fill: 'var(--accent)' }));
}
