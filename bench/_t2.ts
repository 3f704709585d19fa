import { oursMoeStep } from './moe-step.js';
import { getBackend } from '../src/index.js';
const step = await oursMoeStep(process.argv[2] ?? 'wasm');
const dev = (getBackend() as any).device;
const mode = process.argv[3];
for (let i = 0; i < 40; i++) {
  const t0 = performance.now();
  await step();
  if (mode === 'imm') await new Promise((r) => setImmediate(r));
  if (mode === 'gcimm') { (globalThis as any).gc?.(); await new Promise((r) => setImmediate(r)); }
  if (i % 5 === 0) console.log(i, (performance.now() - t0).toFixed(1), 'ms', 'live MB', (dev.heap.live / 2 ** 20).toFixed(0), 'cap MB', (dev.heap.capacity / 2 ** 20).toFixed(0));
}
