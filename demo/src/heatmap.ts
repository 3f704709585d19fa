/**
 * The routing heatmap. For each layer and each router (attention experts,
 * FFN experts): one column per byte of the sentence, one row per expert.
 * A cell's colour is the router probability S_e(x) of that expert for that
 * byte (dense scores); a dark outline marks the experts that actually run
 * under the chosen sparse mode.
 */
import type { LayerRouting, RouteView } from './model.js';

/** White → the page's accent blue; t in [0, 1]. */
export function ramp(t: number): string {
  const a = [246, 247, 251];
  const b = [52, 84, 209];
  const u = Math.max(0, Math.min(1, t));
  const c = a.map((v, i) => Math.round(v + (b[i]! - v) * u));
  return `rgb(${c[0]}, ${c[1]}, ${c[2]})`;
}

function div(cls: string, text?: string): HTMLDivElement {
  const d = document.createElement('div');
  d.className = cls;
  if (text !== undefined) d.textContent = text;
  return d;
}

function grid(name: string, tokens: readonly string[], routing: LayerRouting): HTMLElement[] {
  const nExperts = routing.scores[0]?.length ?? 0;
  const title = div('layer-name', name);
  const g = div('layer');
  g.style.gridTemplateColumns = `auto repeat(${tokens.length}, minmax(16px, 1fr))`;
  g.dataset.layer = name;
  for (let e = 0; e < nExperts; e++) {
    g.append(div('ex', `E${e}`));
    tokens.forEach((tok, t) => {
      const s = routing.scores[t]![e]!;
      const on = routing.fired[t]?.includes(e) ?? false;
      const cell = div(on ? 'cell on' : 'cell');
      cell.style.background = ramp(s);
      cell.title = `“${tok}” → expert ${e}: S = ${s.toFixed(3)}${on ? ' (runs)' : ''}`;
      g.append(cell);
    });
  }
  g.append(div('ex'));
  for (const tok of tokens) g.append(div('tok', tok));
  return [title, g];
}

export function drawHeatmap(host: HTMLElement, view: RouteView): void {
  host.replaceChildren();
  view.layers.forEach((layer, l) => {
    if (layer.attn) host.append(...grid(`layer ${l + 1} · attention experts`, view.tokens, layer.attn));
    host.append(...grid(`layer ${l + 1} · FFN experts`, view.tokens, layer.ffn));
  });
}

export function drawLegend(host: HTMLElement): void {
  host.replaceChildren();
  const r = div('ramp');
  r.style.background = `linear-gradient(90deg, ${ramp(0)}, ${ramp(1)})`;
  const on = document.createElement('span');
  on.className = 'swatch';
  on.style.background = ramp(0.7);
  host.append('router probability S_e: 0', r, '1', ' ', on, 'expert runs in the sparse mode');
}
