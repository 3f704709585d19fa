/**
 * The gpujs backend in a real browser: Debian's Chromium, headless, with
 * SwiftShader for WebGL and WebGPU (docs/gpu-setup.md), running the browser
 * bundle. There gpu.js uses navigator.gpu and WebGL2/WebGL as the page has
 * them; each mode must start, run on its own kernel class, and agree with
 * the cpu backend, forward and backward.
 */
import { createServer, type Server } from 'node:http';
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildBrowser } from '../../scripts/build.mjs';
import { KERNEL_CLASS, type GpujsMode } from '../../src/gpu/gpujs/api.js';

const BROWSER_MODES: readonly GpujsMode[] = ['webgpu', 'webgl2', 'webgl', 'webasm', 'cpu'];

/** The page: `window.check(name)` computes a small MLP's loss and gradients on backend `name`. */
const PAGE = `<!doctype html><script type="module">
import * as d from './browser/index.js';
window.check = async (name) => {
  const be = await d.setBackend(name);
  const x = d.tensor([[1, -2, 3], [4, 5, -6], [0.5, 0, 1]]);
  const w = d.tensor([[0.1, 0.2], [-0.3, 0.4], [0.5, -0.6]], { requiresGrad: true });
  const b = d.tensor([0.5, -1.5], { requiresGrad: true });
  const loss = d.crossEntropy(x.matmul(w).add(b).gelu(), d.tensor([1, 0, 1], { dtype: 'int32' }));
  loss.backward();
  const top = d.tensor([[0.1, 0.9, 0.5, 0.9]]).topk(2).indices;
  const long = d.tensor(Array.from({ length: 1500 }, (_, i) => i % 7)).sum();
  const out = {
    name: be.name,
    loss: await loss.item(),
    gw: Array.from(await w.grad.data()),
    gb: Array.from(await b.grad.data()),
    top: Array.from(await top.data()),
    long: await long.item(),
    ranOn: be.kernelClass ?? null,
  };
  await d.setBackend('cpu');
  return out;
};
window.ready = true;
</script>`;

interface Result {
  name: string;
  loss: number;
  gw: number[];
  gb: number[];
  top: number[];
  long: number;
  ranOn: string | null;
}

let dir: string;
let server: Server;
let browser: Browser;
let page: Page;

beforeAll(async () => {
  // Inside node_modules/.cache: ignored by git, and never the dist/ another test serves.
  mkdirSync(resolve('node_modules/.cache'), { recursive: true });
  dir = mkdtempSync(resolve('node_modules/.cache/dsmoe-gpujs-browser-'));
  await buildBrowser({ out: dir, quiet: true });
  server = createServer((req, res) => {
    if (req.url === '/') {
      res.setHeader('content-type', 'text/html');
      res.end(PAGE);
      return;
    }
    try {
      const body = readFileSync(join(dir, (req.url ?? '').replace(/\.\./g, '')));
      res.setHeader('content-type', req.url!.endsWith('.js') ? 'text/javascript' : 'application/octet-stream');
      res.end(body);
    } catch {
      res.statusCode = 404;
      res.end();
    }
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as { port: number }).port;
  browser = await chromium.launch({
    executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
    args: ['--no-sandbox', '--enable-unsafe-webgpu', '--enable-unsafe-swiftshader', '--use-angle=swiftshader', '--enable-features=Vulkan', '--use-webgpu-adapter=swiftshader'],
  });
  page = await browser.newPage();
  await page.goto(`http://127.0.0.1:${port}/`);
  await page.waitForFunction(() => (window as unknown as { ready?: boolean }).ready === true);
}, 180_000);

afterAll(async () => {
  await browser?.close();
  server?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

const check = (name: string): Promise<Result> => page.evaluate((n) => (window as unknown as { check(n: string): Promise<Result> }).check(n), name);

describe('gpujs in Chromium', () => {
  it.each(BROWSER_MODES)('gpujs:%s runs on its kernel class and equals the cpu backend, forward and backward', async (mode) => {
    const want = await check('cpu');
    const got = await check(`gpujs:${mode}`);
    expect(got.name).toBe(`gpujs:${mode}`);
    expect(got.ranOn).toBe(KERNEL_CLASS[mode]);
    expect(Math.abs(got.loss - want.loss)).toBeLessThan(1e-5);
    got.gw.forEach((g, i) => expect(Math.abs(g - want.gw[i]!)).toBeLessThan(1e-5));
    got.gb.forEach((g, i) => expect(Math.abs(g - want.gb[i]!)).toBeLessThan(1e-5));
    expect(got.top).toEqual(want.top);
    expect(got.long).toBe(want.long);
  });

  it("plain 'gpujs' picks WebGPU when the browser has an adapter", async () => {
    expect((await check('gpujs')).name).toBe('gpujs:webgpu');
  });
});
