/**
 * The demo page in a real browser: Debian's Chromium (never a downloaded
 * one), headless, with SwiftShader standing in for the GPU (docs/gpu-setup.md),
 * driven through playwright-core and the page's `window.dsmoeDemo` handle.
 *
 * It builds what it serves first (the browser bundle and the demo page) and
 * the CLI that writes the checkpoint, so a clean clone's `npm test` needs
 * nothing prepared. One page is shared by
 * the tests below, in order: start-up, training, routing, checkpoint.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Server } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { buildBrowser, buildDemo, buildNode } from '../../scripts/build.mjs';
import { serveDemo } from '../../scripts/serve-demo.mjs';
import {
  LanguageModel, configFromJSON, decodeSafetensors, encodeSafetensors, loadSafetensorsInto, noGrad, safetensorsToTensors, setBackend, tensor,
  tokenizerFromJSON, type InferMode,
} from '../../src/index.js';

/** The page's `window.dsmoeDemo`, as far as this test uses it (demo/src/main.ts defines it). */
interface DemoHandle {
  backend: string;
  backendDetail: string;
  ready: Promise<void>;
  train(steps: number): Promise<number[]>;
  route(text: string, mode?: InferMode): Promise<{
    tokens: string[];
    layers: { ffn: { scores: number[][]; fired: number[][] }; attn: { scores: number[][]; fired: number[][] } | null }[];
    stats: { activeParams: number; totalParams: number };
  }>;
  setMode(mode: InferMode): Promise<void>;
  loadCheckpoint(url: string): Promise<{ tensors: number; parameters: number; step: number }>;
  generate(prompt: string, tokens: number, mode?: InferMode): Promise<string>;
  logits(text: string, mode?: InferMode): Promise<number[]>;
}

declare global {
  interface Window {
    dsmoeDemo: DemoHandle;
  }
}

const ROOT = join(import.meta.dirname, '..', '..');
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const OUT = join(ROOT, 'test-output');

/** The flags of docs/gpu-setup.md; --headless and the profile directory come from launchPersistentContext. */
const CHROMIUM_ARGS = [
  '--no-sandbox', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync',
  '--enable-unsafe-webgpu', '--enable-unsafe-swiftshader', '--use-angle=swiftshader',
  '--enable-features=Vulkan', '--use-webgpu-adapter=swiftshader',
];

/**
 * `dsmoe train` flags for a checkpoint shaped differently from the page's own
 * model (so loading it visibly replaces the model), trained for 3 steps.
 */
const TRAIN_FLAGS = [
  '--steps', '3', '--batch-size', '2', '--seq-len', '16', '--max-seq-len', '16', '--d-model', '24', '--layers', '1',
  '--heads', '2', '--kv-heads', '1', '--head-dim', '12', '--attn-experts', '2', '--experts', '3', '--expert-hidden', '8',
  '--positions', 'learned', '--eval-every', '1000', '--eval-tokens', '64', '--quiet',
];

let server: Server;
let context: BrowserContext;
let page: Page;
let profile: string;
let runDir: string;
const problems: string[] = [];

beforeAll(async () => {
  if (!existsSync(CHROMIUM)) throw new Error(`no Chromium at ${CHROMIUM}: apt-get install -y chromium (or set CHROMIUM_PATH)`);
  // What the page serves: dist/browser (the library) and demo/dist (the page's code and corpus slice).
  await buildBrowser({ quiet: true });
  await buildDemo({ quiet: true });

  // A real run of the CLI writes the checkpoint the page loads. Its build goes to a folder of its own
  // (under test-output/, so the bundle's dependencies resolve from node_modules), never racing dist/.
  mkdirSync(OUT, { recursive: true });
  runDir = mkdtempSync(join(OUT, 'run-'));
  await buildNode({ out: runDir, quiet: true });
  const train = spawnSync(process.execPath, [join(runDir, 'node', 'cli.js'), 'train', ...TRAIN_FLAGS, '--out', join(runDir, 'model')], { cwd: ROOT, encoding: 'utf8' });
  if (train.status !== 0) throw new Error(`dsmoe train failed:\n${train.stdout}${train.stderr}`);
  const ckpt = join(runDir, 'model', 'checkpoint.safetensors');
  // The same weights under a config that claims 100,000 layers: the page must refuse it as the CLI does.
  const hostile = join(runDir, 'hostile.safetensors');
  const f = decodeSafetensors(new Uint8Array(readFileSync(join(runDir, 'model', 'model.safetensors'))));
  f.metadata.config = JSON.stringify({ ...JSON.parse(f.metadata.config!), nLayers: 100_000 });
  writeFileSync(hostile, encodeSafetensors(f.tensors, f.metadata));

  ({ server } = await serveDemo({ port: 0, extra: { '/test/ckpt.safetensors': ckpt, '/test/hostile.safetensors': hostile } }));
  profile = mkdtempSync(join(tmpdir(), 'dsmoe-chromium-'));
  context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    args: CHROMIUM_ARGS,
    viewport: { width: 1320, height: 1000 },
  });
  page = context.pages()[0] ?? await context.newPage();
  page.on('console', (m) => { if (m.type() === 'error') problems.push(`console.error: ${m.text()}`); });
  page.on('pageerror', (e) => problems.push(`uncaught: ${e.message}`));
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  await page.goto(`http://127.0.0.1:${port}/`);
  await page.waitForFunction(() => window.dsmoeDemo !== undefined);
  await page.evaluate(() => window.dsmoeDemo.ready);
}, 180_000);

afterAll(async () => {
  await context?.close();
  await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
  if (profile) rmSync(profile, { recursive: true, force: true });
  if (runDir) rmSync(runDir, { recursive: true, force: true });
});

describe('demo page in headless Chromium', () => {
  it('starts on a GPU backend (gpu.js WebGPU or WebGL2 on SwiftShader) with no console errors', async () => {
    const { backend, detail, shown } = await page.evaluate(() => ({
      backend: window.dsmoeDemo.backend,
      detail: window.dsmoeDemo.backendDetail,
      shown: document.getElementById('backend-name')!.textContent,
    }));
    expect(['gpujs:webgpu', 'gpujs:webgl2']).toContain(backend);
    expect(shown).toBe(backend);
    expect(detail.toLowerCase()).toContain('swiftshader');
    expect(problems).toEqual([]);
  });

  it('lowers the loss over a few training steps and draws the curve', async () => {
    const losses = await page.evaluate(() => window.dsmoeDemo.train(6));
    expect(losses).toHaveLength(6);
    for (const l of losses) expect(Number.isFinite(l)).toBe(true);
    // A byte-level model starts near ln 256 ≈ 5.55 nats and learns the byte frequencies within a few steps.
    expect(losses[0]!).toBeGreaterThan(4.5);
    expect(losses[5]!).toBeLessThan(losses[0]! - 0.2);
    const points = await page.locator('#loss-chart polyline').getAttribute('points');
    expect(points?.trim().split(/\s+/)).toHaveLength(6);
  }, 180_000);

  it('renders the routing heatmap for a typed sentence, per token and per layer', async () => {
    await page.fill('#route-text', 'The jury said');
    await page.evaluate(() => window.dsmoeDemo.setMode({ mode: 'topK', k: 1 }));
    const view = await page.evaluate(() => window.dsmoeDemo.route('The jury said'));
    expect(view.tokens).toHaveLength('The jury said'.length);
    expect(view.layers.length).toBe(2);
    for (const layer of view.layers) {
      expect(layer.ffn.fired.every((es) => es.length === 1)).toBe(true);
      for (const row of layer.ffn.scores) expect(row.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 4);
    }
    const grids = page.locator('#heatmap .layer');
    // Two layers, each with an attention grid and an FFN grid.
    await expect.poll(() => grids.count()).toBe(4);
    const nExperts = view.layers[0]!.ffn.scores[0]!.length;
    const ffn = page.locator('#heatmap .layer[data-layer="layer 1 · FFN experts"]');
    expect(await ffn.locator('.cell').count()).toBe(nExperts * view.tokens.length);
    expect(await ffn.locator('.cell.on').count()).toBe(view.tokens.length);
    expect(await page.locator('#active-params').textContent()).toMatch(/parameters active/);
    expect(view.stats.activeParams).toBeLessThan(view.stats.totalParams);

    // The threshold control: a threshold above N·max S fires only each token's top expert; ε = 0 fires them all.
    await page.evaluate(() => window.dsmoeDemo.setMode({ mode: 'threshold', eps: 0 }));
    const all = await page.evaluate(() => window.dsmoeDemo.route('The jury said', { mode: 'threshold', eps: 0 }));
    expect(all.layers[0]!.ffn.fired.every((es) => es.length === nExperts)).toBe(true);
    const one = await page.evaluate(() => window.dsmoeDemo.route('The jury said', { mode: 'threshold', eps: 1e6 }));
    expect(one.layers[0]!.ffn.fired.every((es) => es.length === 1)).toBe(true);
    expect(one.stats.activeParams).toBeLessThan(all.stats.activeParams);

    // The top-p control: p = 1 fires every expert; a p below every top score (≥ 1/N) fires each token's top one.
    await page.evaluate(() => window.dsmoeDemo.setMode({ mode: 'topP', p: 1 }));
    expect(await page.locator('input[name="mode"][value="topP"]').isChecked()).toBe(true);
    expect(await page.locator('#p-out').textContent()).toBe('1.00');
    const whole = await page.evaluate(() => window.dsmoeDemo.route('The jury said', { mode: 'topP', p: 1 }));
    expect(whole.layers[0]!.ffn.fired.every((es) => es.length === nExperts)).toBe(true);
    const top = await page.evaluate(() => window.dsmoeDemo.route('The jury said', { mode: 'topP', p: 0.05 }));
    expect(top.layers[0]!.ffn.fired.every((es) => es.length === 1)).toBe(true);
    expect(await page.locator('#active-params').textContent()).toMatch(/top-p p=0\.05/);

    await page.evaluate(() => window.dsmoeDemo.setMode({ mode: 'topK', k: 2 }));
    await page.screenshot({ path: join(OUT, 'demo.png'), fullPage: true });
    expect(problems).toEqual([]);
  }, 120_000);

  it('loads a checkpoint written by dsmoe train and runs sparse generation from it', async () => {
    // checkpoint.safetensors: the weights plus AdamW's moments, which the page must skip.
    const info = await page.evaluate(() => window.dsmoeDemo.loadCheckpoint('/test/ckpt.safetensors'));
    expect(info.step).toBe(3);
    // The page now computes with the checkpoint's weights: its logits match the cpu backend's on model.safetensors.
    await setBackend('cpu');
    const file = new Uint8Array(readFileSync(join(runDir, 'model', 'model.safetensors')));
    const { metadata } = safetensorsToTensors(file);
    const lm = new LanguageModel(configFromJSON(JSON.parse(metadata['config']!)));
    const tokenizer = tokenizerFromJSON(JSON.parse(metadata['tokenizer']!));
    loadSafetensorsInto(lm, file);
    expect(info.parameters).toBe(lm.numParameters());
    expect(info.tensors).toBe(Object.keys(lm.stateDict()).length);
    const prompt = 'The jury';
    const pageLogits = await page.evaluate((p) => window.dsmoeDemo.logits(p), prompt);
    const ids = Array.from(tokenizer.encode(prompt));
    const v = lm.config.vocabSize;
    const ref = noGrad(() => lm.forward(tensor([ids], { dtype: 'int32' })).logits);
    const last = (await ref.data()).subarray((ids.length - 1) * v, ids.length * v);
    expect(pageLogits).toHaveLength(v);
    let maxErr = 0;
    pageLogits.forEach((v, i) => { maxErr = Math.max(maxErr, Math.abs(v - last[i]!)); });
    expect(maxErr).toBeLessThan(1e-3);

    // The same file through the page's <input type=file>, as a person would load it.
    await page.setInputFiles('#ckpt-file', join(runDir, 'model', 'model.safetensors'));
    await expect.poll(() => page.locator('#ckpt-stat').textContent()).toContain('model.safetensors');
    expect(await page.locator('#ckpt-stat').textContent()).toContain('step 3');

    const text = await page.evaluate(() => window.dsmoeDemo.generate('The ', 4, { mode: 'topK', k: 1 }));
    expect(text.startsWith('The ')).toBe(true);
    expect(text.length).toBeGreaterThan('The '.length);
    await page.screenshot({ path: join(OUT, 'demo-checkpoint.png'), fullPage: true });
    expect(problems).toEqual([]);
  }, 120_000);

  it('refuses a checkpoint whose config disagrees with its tensors, with the library loader\'s message, and keeps its model', async () => {
    const refused = await page.evaluate(() => window.dsmoeDemo.loadCheckpoint('/test/hostile.safetensors').then(() => 'loaded', (e: Error) => e.message));
    expect(refused).toMatch(/^hostile\.safetensors: tensor 'blocks\.1\.norm1\.weight', which the config implies \(nLayers 100000, .*\), is not in the file/);
    expect(await page.locator('#ckpt-stat').textContent()).toContain('model.safetensors');
  }, 60_000);
});
