/**
 * `bench profile <moe-step|lm-train|moe-infer[:dense|topK|threshold]|lm-decode[:mode[:preset[:batch]]]|lm-prefill[:mode[:preset]]> [backend]`: where a step's
 * time goes, primitive by primitive. Every Backend method of the started
 * backend is wrapped with a timer (keyed by op and shapes), a few steps run,
 * and the costliest keys are listed with their share of the step.
 */
import type { Backend } from '../src/gpu/backend.js';
import { startBackend } from '../src/gpu/registry.js';
import { oursLmStep } from './lm-train.js';
import { oursMoeStep } from './moe-step.js';
import { oursInfer } from './moe-infer.js';
import { oursDecodeStep, oursPrefillStep } from './lm-infer.js';
import type { Row } from './util.js';

const METHODS = ['unary', 'binary', 'where', 'reduce', 'argReduce', 'topk', 'matmul', 'groupedMatmul', 'gather', 'scatterAdd', 'view', 'cast', 'upload', 'readSync', 'softmaxRows', 'normRows', 'rotaryRows'] as const;

/** A short key for one call: the op, and the shapes or sizes that decide its cost. */
function keyOf(method: string, args: unknown[]): string {
  const json = (v: unknown): string => JSON.stringify(v);
  switch (method) {
    case 'unary': return `unary ${String(args[0])} ${(args[1] as { size: number }).size}`;
    case 'binary': return `binary ${String(args[0])} ${json(args[2])}·${json(args[4])}`;
    case 'reduce': return `reduce ${String(args[0])} [${args.slice(2).join(',')}]`;
    case 'matmul': {
      const s = args[2] as { batch: number; m: number; k: number; n: number; transA: boolean; transB: boolean; strides?: unknown };
      return `matmul ${s.batch}×${s.m}×${s.k}×${s.n}${s.transA ? ' Aᵀ' : ''}${s.transB ? ' Bᵀ' : ''}${s.strides ? ' (a view read in place)' : ''}`;
    }
    case 'groupedMatmul': {
      const s = args[3] as { kind: string; groups: number; rows: number; k?: number; m?: number; n: number; transB?: boolean };
      return `groupedMatmul ${s.kind} ${s.groups} groups, ${s.rows} rows, ${s.kind === 'rows' ? `k ${s.k}` : `m ${s.m}`}, n ${s.n}${s.transB ? ' Bᵀ' : ''}`;
    }
    case 'view': return `view ${json((args[1] as { shape: unknown }).shape)}${(args[1] as { window?: unknown }).window ? ' padded' : ''}`;
    default: return method;
  }
}

export async function profile(what: string, backend = 'wasm'): Promise<Row[]> {
  const be = await startBackend(backend);
  const stats = new Map<string, { calls: number; ms: number }>();
  const target = be as unknown as Record<string, (...a: unknown[]) => unknown>;
  for (const m of METHODS) {
    const orig = target[m]!.bind(be);
    target[m] = (...args: unknown[]) => {
      const t0 = performance.now();
      const r = orig(...args);
      const k = keyOf(m, args);
      const s = stats.get(k) ?? { calls: 0, ms: 0 };
      s.calls++;
      s.ms += performance.now() - t0;
      stats.set(k, s);
      return r;
    };
  }
  const [name, mode, preset, batch] = what.split(':');
  const step = name === 'lm-prefill' ? await oursPrefillStep(backend, preset ?? 'small', mode ?? 'topK') : name === 'lm-decode' ? await oursDecodeStep(backend, preset ?? 'tiny', mode ?? 'topK', Number(batch ?? 1)) : what === 'lm-train' ? await oursLmStep(backend) : what.startsWith('moe-infer') ? await oursInfer(backend, what.split(':')[1] ?? 'topK') : await oursMoeStep(backend);
  // Enough calls for the heap to reach its steady state (dead results reclaimed, blocks reused, no fresh pages).
  for (let i = 0; i < 100; i++) await step();
  stats.clear();
  const reps = 20;
  const t0 = performance.now();
  for (let i = 0; i < reps; i++) await step();
  const stepMs = (performance.now() - t0) / reps;
  for (const m of METHODS) delete target[m]; // back to the prototype's methods
  const rows = [...stats.entries()].sort((a, b) => b[1].ms - a[1].ms);
  const inPrims = rows.reduce((s, [, v]) => s + v.ms, 0) / reps;
  console.log(`\n## profile of ${what} on ${(be as Backend).name}: ${stepMs.toFixed(1)} ms a step, ${inPrims.toFixed(1)} ms in primitives\n`);
  console.log('| primitive | calls/step | ms/step | share |');
  console.log('|---|---:|---:|---:|');
  for (const [k, v] of rows.slice(0, 30)) console.log(`| ${k} | ${v.calls / reps} | ${(v.ms / reps).toFixed(2)} | ${((100 * v.ms) / reps / stepMs).toFixed(1)}% |`);
  return rows.map(([k, v]) => ({ bench: 'profile', case: k, impl: `dsmoe ${backend}`, ms: v.ms / reps, note: `${v.calls / reps} calls/step` }));
}
