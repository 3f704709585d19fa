import { startBackend } from '../src/gpu/registry.js';
import { oursMoeStep } from './moe-step.js';
import { oursLmStep } from './lm-train.js';
const name = process.argv[2] ?? 'wasm';
const be = await startBackend(name) as any;
const stats = new Map<string, { n: number; ms: number }>();
for (const m of ['unary', 'binary', 'where', 'reduce', 'argReduce', 'topk', 'matmul', 'gather', 'scatterAdd', 'view', 'cast', 'upload', 'readSync']) {
  const orig = be[m].bind(be);
  be[m] = (...args: any[]) => {
    const t0 = performance.now();
    const r = orig(...args);
    let key = m;
    if (m === 'unary' || m === 'binary' || m === 'reduce') key += ' ' + args[0] + (m === 'binary' ? ` ${JSON.stringify(args[2])}x${JSON.stringify(args[4])}` : m === 'reduce' ? ` ${args.slice(2).join('/')}` : ` ${args[1].size}`);
    if (m === 'matmul') key += ' ' + JSON.stringify(args[2]);
    if (m === 'view') key += ' ' + JSON.stringify(args[1]).slice(0, 60);
    const s = stats.get(key) ?? { n: 0, ms: 0 };
    s.n++; s.ms += performance.now() - t0;
    stats.set(key, s);
    return r;
  };
}
const step = process.argv[3] === 'lm' ? await oursLmStep(name) : await oursMoeStep(name);
for (let i = 0; i < 3; i++) await step();
stats.clear();
const reps = 5;
const t0 = performance.now();
for (let i = 0; i < reps; i++) await step();
const total = (performance.now() - t0) / reps;
const rows = [...stats.entries()].sort((a, b) => b[1].ms - a[1].ms);
let acc = 0;
for (const [k, s] of rows) acc += s.ms / reps;
console.log('step ms', total.toFixed(1), 'in primitives', acc.toFixed(1));
for (const [k, s] of rows.slice(0, 40)) console.log((s.ms / reps).toFixed(2).padStart(8), String(s.n / reps).padStart(4), k.slice(0, 150));
