/**
 * The demo page: wires the model (model.ts) to the controls, the loss chart
 * (chart.ts) and the routing heatmap (heatmap.ts), and exposes
 * `window.dsmoeDemo` so that a test (or a curious reader in the console) can
 * drive the page without clicking.
 */
import { readModel, routerExperts, type InferMode, type Tokenizer } from 'dsmoe';
import { startBestBackend, type BackendChoice } from './backend.js';
import { drawLossChart } from './chart.js';
import { drawHeatmap, drawLegend } from './heatmap.js';
import { DemoModel, type RouteView } from './model.js';

/** What the page says about a loaded checkpoint. */
export interface CheckpointInfo {
  name: string;
  /** Tensors loaded into the model (optimizer state in the file is skipped). */
  tensors: number;
  parameters: number;
  /** The training step recorded in the file. */
  step: number;
  tokenizer: Tokenizer['kind'];
}

export interface DsmoeDemo {
  /** The backend the page runs on, as getBackend().name reports it (e.g. 'gpujs:webgpu'). */
  backend: string;
  /** The device under it, as the browser names it. */
  backendDetail: string;
  /** Resolves when the backend has started and the model is built; rejects with the reason otherwise. */
  ready: Promise<void>;
  /** Trains `steps` steps; resolves to the loss of each. */
  train(steps: number): Promise<number[]>;
  /** Routes `text` in the page's current mode (or `mode`) and redraws the heatmap. */
  route(text: string, mode?: InferMode): Promise<RouteView>;
  /** Sets the sparse mode controls (and redraws). */
  setMode(mode: InferMode): Promise<void>;
  /** Loads a safetensors checkpoint written by `dsmoe train` from a URL. */
  loadCheckpoint(url: string): Promise<CheckpointInfo>;
  /** Sparse generation from the current model. */
  generate(prompt: string, bytes: number, mode?: InferMode): Promise<string>;
  /** The last position's logits for `text` (dense unless `mode` is given). */
  logits(text: string, mode?: InferMode): Promise<number[]>;
}

declare global {
  interface Window {
    dsmoeDemo: DsmoeDemo;
  }
}

const $ = <T extends Element = HTMLElement>(id: string): T => {
  const el = document.querySelector<T>(`#${id}`);
  if (!el) throw new Error(`demo page: #${id} is missing`);
  return el;
};

const ui = {
  backend: $('backend'),
  backendName: $('backend-name'),
  backendDetail: $('backend-detail'),
  summary: $('model-summary'),
  trainBtn: $<HTMLButtonElement>('train-btn'),
  stopBtn: $<HTMLButtonElement>('stop-btn'),
  trainStat: $('train-stat'),
  chart: $<SVGSVGElement>('loss-chart'),
  corpusSize: $('corpus-size'),
  text: $<HTMLInputElement>('route-text'),
  k: $<HTMLInputElement>('k'),
  kOut: $<HTMLOutputElement>('k-out'),
  eps: $<HTMLInputElement>('eps'),
  epsOut: $<HTMLOutputElement>('eps-out'),
  p: $<HTMLInputElement>('p'),
  pOut: $<HTMLOutputElement>('p-out'),
  active: $('active-params'),
  heatmap: $('heatmap'),
  legend: $('legend'),
  predict: $('predict'),
  ckptFile: $<HTMLInputElement>('ckpt-file'),
  ckptStat: $('ckpt-stat'),
  genPrompt: $<HTMLInputElement>('gen-prompt'),
  genBtn: $<HTMLButtonElement>('gen-btn'),
  genOut: $('gen-out'),
  footer: $('footer-lib'),
};

let model: DemoModel | null = null;
let stopRequested = false;
/** Page work runs one job at a time (the engine is single-threaded per backend). */
let queue: Promise<unknown> = Promise.resolve();
function serial<T>(job: () => Promise<T>): Promise<T> {
  const run = queue.then(job, job);
  queue = run.catch(() => undefined);
  return run;
}

function modeRadio(value: 'dense' | 'topK' | 'threshold' | 'topP'): HTMLInputElement {
  const radio = document.querySelector<HTMLInputElement>(`input[name="mode"][value="${value}"]`);
  if (!radio) throw new Error(`demo page: no '${value}' mode control`);
  return radio;
}

function currentMode(): InferMode {
  const picked = document.querySelector<HTMLInputElement>('input[name="mode"]:checked')?.value ?? 'topK';
  if (picked === 'dense') return { mode: 'dense' };
  if (picked === 'threshold') return { mode: 'threshold', eps: Number(ui.eps.value) };
  if (picked === 'topP') return { mode: 'topP', p: Number(ui.p.value) };
  return { mode: 'topK', k: Number(ui.k.value) };
}

function modeLabel(m: InferMode): string {
  switch (m.mode) {
    case 'dense': return 'dense';
    case 'topK': return `top-${m.k}`;
    case 'threshold': return `threshold ε=${m.eps}`;
    case 'thresholdTopK': return `threshold-top-K ε=${m.eps}`;
    case 'topP': return `top-p p=${m.p}`;
  }
}

const pct = (x: number): string => `${(100 * x).toFixed(0)}%`;
const fmtInt = (x: number): string => Math.round(x).toLocaleString('en-US');

function showBackend(choice: BackendChoice): void {
  ui.backend.dataset.state = choice.gpu ? 'gpu' : 'cpu';
  ui.backendName.textContent = choice.name;
  ui.backendDetail.textContent = choice.detail;
  ui.backend.title = choice.skipped.length ? `skipped: ${choice.skipped.map((s) => `${s.name} (${s.reason})`).join('; ')}` : '';
}

function showSummary(m: DemoModel): void {
  const c = m.config;
  const plural = (n: number, what: string): string => `${n} ${what}${n === 1 ? '' : 's'}`;
  ui.summary.textContent = `${plural(c.nLayers, 'layer')} · d=${c.dModel} · ${plural(c.nExperts, 'FFN expert')} × ${c.expertHidden} hidden · ` +
    `${plural(c.attnExperts, 'attention expert')} · ${fmtInt(m.lm.numParameters())} parameters · ` +
    `${m.tokenizer.kind === 'byte' ? 'byte-level' : `BPE, ${c.vocabSize} tokens`}, context ${c.maxSeqLen}`;
  // Top-K runs over the router's choices: the routed experts and any zero-computation ones.
  ui.k.max = String(routerExperts(c));
}

function showRoute(view: RouteView, mode: InferMode): void {
  drawHeatmap(ui.heatmap, view);
  const s = view.stats;
  ui.active.innerHTML = '';
  const line = document.createElement('div');
  line.innerHTML = `<b>${modeLabel(mode)}</b>: <b>${fmtInt(s.activeParams)}</b> of ${fmtInt(s.totalParams)} parameters active per byte ` +
    `(${pct(s.activeFraction)}) · FFN ${pct(s.ffnActiveFraction)} · attention ${pct(s.attnActiveFraction)} · ` +
    `${s.ffnActiveExperts.toFixed(2)} FFN experts per byte`;
  const bar = document.createElement('div');
  bar.className = 'bar';
  const fill = document.createElement('span');
  fill.style.width = pct(s.activeFraction);
  bar.append(fill);
  ui.active.append(line, bar);

  const table = document.createElement('table');
  const head = table.insertRow();
  for (const h of ['next byte', 'dense', modeLabel(mode)]) head.append(Object.assign(document.createElement('th'), { textContent: h }));
  for (let i = 0; i < 5; i++) {
    const row = table.insertRow();
    row.insertCell().textContent = `#${i + 1}`;
    for (const p of [view.next.dense[i]!, view.next.sparse[i]!]) {
      const cell = row.insertCell();
      const code = document.createElement('code');
      code.textContent = p.token;
      cell.append(code, ` ${(100 * p.prob).toFixed(1)}%`);
    }
  }
  const same = view.next.dense[0]!.token === view.next.sparse[0]!.token;
  const note = document.createElement('p');
  note.className = 'hint';
  note.textContent = same ? 'The sparse model predicts the same next byte as the dense one.' : 'Sparsity changed the top prediction.';
  ui.predict.replaceChildren(table, note);
}

async function route(text: string, mode: InferMode = currentMode()): Promise<RouteView> {
  if (!model) throw new Error('the model is not ready');
  const view = await model.route(text, mode);
  showRoute(view, mode);
  return view;
}

function refreshRoute(): void {
  if (!model || !ui.text.value) return;
  void serial(() => route(ui.text.value)).catch(showError);
}

async function train(steps: number): Promise<number[]> {
  if (!model) throw new Error('the model is not ready');
  const m = model;
  const out: number[] = [];
  stopRequested = false;
  ui.trainBtn.disabled = true;
  ui.stopBtn.disabled = false;
  const t0 = performance.now();
  try {
    for (let i = 0; i < steps && !stopRequested; i++) {
      out.push(await m.step());
      drawLossChart(ui.chart, m.losses);
      const secs = (performance.now() - t0) / 1000;
      ui.trainStat.textContent = `step ${m.losses.length} · loss ${out[out.length - 1]!.toFixed(3)} · ${(secs / out.length).toFixed(2)} s/step`;
    }
  } finally {
    ui.trainBtn.disabled = false;
    ui.stopBtn.disabled = true;
  }
  await route(ui.text.value);
  return out;
}

async function generate(prompt: string, bytes: number, mode: InferMode = currentMode()): Promise<string> {
  if (!model) throw new Error('the model is not ready');
  ui.genBtn.disabled = true;
  const show = (text: string): void => {
    const p = document.createElement('span');
    p.className = 'prompt';
    p.textContent = prompt;
    // Control bytes (an untrained model emits plenty) shown as a middle dot rather than as boxes.
    ui.genOut.replaceChildren(p, text.slice(prompt.length).replace(/[\u0000-\u0009\u000b-\u001f\u007f]/g, '·'));
  };
  try {
    return await model.generate(prompt, bytes, mode, show);
  } finally {
    ui.genBtn.disabled = false;
  }
}

async function loadCheckpointBytes(bytes: Uint8Array, name: string): Promise<CheckpointInfo> {
  if (!model) throw new Error('the model is not ready');
  // The library's loader, as `dsmoe eval` uses it: the config is checked against the file's tensors before anything is built.
  const { model: lm, tokenizer, step } = readModel(bytes, name);
  const info: CheckpointInfo = { name, tensors: Object.keys(lm.stateDict()).length, parameters: lm.numParameters(), step, tokenizer: tokenizer.kind };
  model.replace(lm, tokenizer);
  showSummary(model);
  drawLossChart(ui.chart, model.losses);
  ui.trainStat.textContent = '';
  ui.ckptStat.textContent = `${info.name}: ${info.tensors} tensors, ${fmtInt(info.parameters)} parameters, ${info.tokenizer} tokenizer, step ${info.step}`;
  await route(ui.text.value);
  return info;
}

function showError(e: unknown): void {
  const msg = e instanceof Error ? e.message : String(e);
  ui.trainStat.textContent = `error: ${msg}`;
  console.warn('dsmoe demo:', msg);
}

/** `?backend=gpujs:webgl2` (repeatable: an order to try) pins the backend instead of taking the best that works. */
function pinnedBackends(): string[] | undefined {
  const names = new URLSearchParams(location.search).getAll('backend').filter((n) => n.length > 0);
  return names.length ? names : undefined;
}

async function start(): Promise<void> {
  drawLossChart(ui.chart, []);
  drawLegend(ui.legend);
  const [choice, corpus] = await Promise.all([
    startBestBackend(pinnedBackends()),
    fetch('./dist/corpus.txt').then(async (r) => {
      if (!r.ok) throw new Error(`corpus slice: HTTP ${r.status} (run node scripts/build.mjs demo)`);
      return r.text();
    }),
  ]);
  showBackend(choice);
  demo.backend = choice.name;
  demo.backendDetail = choice.detail;
  ui.corpusSize.textContent = `${(new TextEncoder().encode(corpus).length / 1024).toFixed(0)} KB`;
  ui.footer.textContent = `backend ${choice.name}`;
  model = new DemoModel(corpus);
  showSummary(model);
  await route(ui.text.value);
  ui.trainBtn.disabled = false;
  ui.genBtn.disabled = false;
}

const demo: DsmoeDemo = {
  backend: 'starting',
  backendDetail: '',
  ready: Promise.resolve(),
  train: (steps) => serial(() => train(steps)),
  route: (text, mode) => serial(() => route(text, mode)),
  setMode: async (mode) => {
    modeRadio(mode.mode === 'thresholdTopK' ? 'threshold' : mode.mode).checked = true;
    if (mode.mode === 'topK') ui.k.value = String(mode.k);
    if (mode.mode === 'threshold' || mode.mode === 'thresholdTopK') ui.eps.value = String(mode.eps);
    if (mode.mode === 'topP') ui.p.value = String(mode.p);
    ui.kOut.value = ui.k.value;
    ui.epsOut.value = Number(ui.eps.value).toFixed(2);
    ui.pOut.value = Number(ui.p.value).toFixed(2);
    await serial(() => route(ui.text.value));
  },
  loadCheckpoint: (url) => serial(async () => {
    const r = await fetch(url);
    if (!r.ok) throw new Error(`checkpoint ${url}: HTTP ${r.status}`);
    return loadCheckpointBytes(new Uint8Array(await r.arrayBuffer()), url.split('/').pop() ?? url);
  }),
  generate: (prompt, bytes, mode) => serial(() => generate(prompt, bytes, mode)),
  logits: (text, mode) => serial(() => {
    if (!model) throw new Error('the model is not ready');
    return model.lastLogits(text, mode ?? { mode: 'dense' });
  }),
};
window.dsmoeDemo = demo;

demo.ready = start().catch((e: unknown) => {
  ui.backend.dataset.state = 'error';
  ui.backendName.textContent = 'failed to start';
  ui.backendDetail.textContent = e instanceof Error ? e.message : String(e);
  throw e;
});

ui.trainBtn.addEventListener('click', () => void demo.train(25).catch(showError));
ui.stopBtn.addEventListener('click', () => { stopRequested = true; });
ui.text.addEventListener('input', refreshRoute);
for (const r of document.querySelectorAll<HTMLInputElement>('input[name="mode"]')) r.addEventListener('change', refreshRoute);
ui.k.addEventListener('input', () => {
  ui.kOut.value = ui.k.value;
  modeRadio('topK').checked = true;
  refreshRoute();
});
ui.eps.addEventListener('input', () => {
  ui.epsOut.value = Number(ui.eps.value).toFixed(2);
  modeRadio('threshold').checked = true;
  refreshRoute();
});
ui.p.addEventListener('input', () => {
  ui.pOut.value = Number(ui.p.value).toFixed(2);
  modeRadio('topP').checked = true;
  refreshRoute();
});
ui.genBtn.addEventListener('click', () => void demo.generate(ui.genPrompt.value, 80).catch(showError));
ui.ckptFile.addEventListener('change', () => {
  const file = ui.ckptFile.files?.[0];
  if (!file) return;
  void serial(async () => loadCheckpointBytes(new Uint8Array(await file.arrayBuffer()), file.name)).catch(showError);
});
