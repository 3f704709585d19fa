/**
 * `bench kernels [sizes]`: every primitive on every backend that starts
 * (cpu, wasm single- and multi-threaded, gpu.js modes when registered), and
 * the same work in TensorFlow.js wasm and cpu. Matmul in all four transpose
 * variants at each size (default 256, 512, 1024), every implementation
 * timed in interleaved rounds with TensorFlow.js wasm; the speedup column is
 * against TensorFlow.js wasm on the same case, and for matmul also against
 * its best (untransposed) case of that size — the target. On wasm
 * each matmul also gets a row through the public API (tensors, the
 * transposes as views, a tidy), which is what a user's code pays.
 */
import type { Backend, DeviceBuffer, GroupedMatmulSpec, MatmulSpec } from '../src/gpu/backend.js';
import { columnStrides } from '../src/gpu/grouped-layout.js';
import { startBackend } from '../src/gpu/registry.js';
import { fromData, tidy, type Tensor } from '../src/index.js';
import { useTf, tf } from './tfjs.js';
import { interleave, printTable, values, type Row, type Runner } from './util.js';

const VARIANTS = [
  [false, false, 'A·B'],
  [false, true, 'A·Bᵀ'],
  [true, false, 'Aᵀ·B'],
  [true, true, 'Aᵀ·Bᵀ'],
] as const;

const OURS = ['cpu', 'wasm:1', 'wasm', 'gpujs:webasm', 'gpujs:headlessgl', 'gpujs:webgpu', 'gpujs:cpu'];
/** The plain-loop backends get only the smaller sizes (a 1024³ matmul takes them seconds). */
const SLOW = new Set(['cpu', 'gpujs:cpu']);
/** TFJS-wasm's A·B of the same size, measured alongside a transposed case. */
const BEST = 'tfjs wasm A·B, same size';
const BUDGET = { budgetMs: 1500, minRounds: 3, maxRounds: 10, warmup: 1, slowMs: 1000 };

interface Case {
  name: string;
  /** Work per run, and its unit: flops → GFLOP/s, bytes → GB/s. */
  work: number;
  unit: 'GFLOP/s' | 'GB/s';
  ours?: (be: Backend, up: (x: Float32Array | Int32Array) => DeviceBuffer) => () => unknown;
  tf?: (t: typeof tf) => { run: () => unknown; dispose: () => void };
  /** For matmul: TFJS-wasm's untransposed product of the same size, timed in the same rounds (the target's yardstick). */
  tfBest?: (t: typeof tf) => { run: () => unknown; dispose: () => void };
  /** The same work through the API users call (tensors, a view, tidy), on a backend that runs it. */
  api?: (be: Backend) => () => Promise<unknown>;
  big?: boolean;
}

/** Backends that also get a public-API row. */
const API_BACKENDS = new Set(['wasm:1', 'wasm']);

function tfMatmul(t: typeof tf, n: number, ta: boolean, tb: boolean): { run: () => unknown; dispose: () => void } {
  const a = t.tensor2d(values(n * n, 1), [n, n]), b = t.tensor2d(values(n * n, 2), [n, n]);
  return { run: () => t.matMul(a, b, ta, tb).dispose(), dispose: () => t.dispose([a, b]) };
}

function matmulCases(sizes: number[]): Case[] {
  const out: Case[] = [];
  for (const n of sizes) {
    for (const [ta, tb, label] of VARIANTS) {
      const spec: MatmulSpec = { batch: 1, m: n, k: n, n, transA: ta, transB: tb, aBatchStride: 0, bBatchStride: 0 };
      out.push({
        name: `matmul ${n}³ ${label}`,
        work: 2 * n * n * n,
        unit: 'GFLOP/s',
        big: n > 512,
        ours: (be, up) => {
          const a = up(values(n * n, 1)), b = up(values(n * n, 2));
          return () => settle(be, be.matmul(a, b, spec));
        },
        tf: (t) => tfMatmul(t, n, ta, tb),
        tfBest: ta || tb ? (t) => tfMatmul(t, n, false, false) : undefined,
        // a.transpose(0, 1).matmul(b) and friends: the view is read in place (ops/matmul.ts), not copied.
        api: (be) => {
          const a = fromData(values(n * n, 1), [n, n], { backend: be }), b = fromData(values(n * n, 2), [n, n], { backend: be });
          const op = (x: Tensor, t: boolean): Tensor => (t ? x.transpose(0, 1) : x);
          return async () => (await tidy(() => op(a, ta).matmul(op(b, tb)))).dispose();
        },
      });
    }
  }
  out.push(headsCase());
  // The weight-gradient shape of the table: Aᵀ·B with A 512×256, B 512×1024.
  out.push({
    name: 'matmul Aᵀ·B 256×512·512×1024 (weight grad)',
    work: 2 * 256 * 512 * 1024,
    unit: 'GFLOP/s',
    ours: (be, up) => {
      const a = up(values(512 * 256, 1)), b = up(values(512 * 1024, 2));
      const spec: MatmulSpec = { batch: 1, m: 256, k: 512, n: 1024, transA: true, transB: false, aBatchStride: 0, bBatchStride: 0 };
      return () => settle(be, be.matmul(a, b, spec));
    },
    tf: (t) => {
      const a = t.tensor2d(values(512 * 256, 1), [512, 256]), b = t.tensor2d(values(512 * 1024, 2), [512, 1024]);
      return { run: () => t.matMul(a, b, true, false).dispose(), dispose: () => t.dispose([a, b]) };
    },
  });
  return out;
}

/**
 * Attention's scores Q·Kᵀ per head, with Q and K as a projection leaves
 * them, [B, S, H, D], split into heads by a transpose to [B, H, S, D]. The
 * primitive row multiplies heads already laid out [B·H, S, D]; the Tensor
 * API row starts from [B, S, H, D] and transposes, which the GEMM reads in
 * place (matmul-views.ts). TensorFlow.js's transpose copies.
 */
function headsCase(): Case {
  const [B, S, H, D] = [4, 256, 8, 64];
  const size = B * S * H * D;
  const spec: MatmulSpec = { batch: B * H, m: S, k: D, n: S, transA: false, transB: true, aBatchStride: S * D, bBatchStride: S * D };
  return {
    name: `attention heads Q·Kᵀ [${B},${S},${H},${D}] (transposed views)`,
    work: 2 * B * H * S * S * D,
    unit: 'GFLOP/s',
    big: true,
    ours: (be, up) => {
      const q = up(values(size, 1)), k = up(values(size, 2));
      return () => settle(be, be.matmul(q, k, spec));
    },
    tf: (t) => {
      const q = t.tensor4d(values(size, 1), [B, S, H, D]), k = t.tensor4d(values(size, 2), [B, S, H, D]);
      const run = () => t.tidy(() => t.matMul(t.transpose(q, [0, 2, 1, 3]), t.transpose(k, [0, 2, 1, 3]), false, true)).dispose();
      return { run, dispose: () => t.dispose([q, k]) };
    },
    api: (be) => {
      const q = fromData(values(size, 1), [B, S, H, D], { backend: be }), k = fromData(values(size, 2), [B, S, H, D], { backend: be });
      return async () => (await tidy(() => q.transpose(1, 2).matmul(k.transpose(1, 2).transpose(2, 3)))).dispose();
    },
  };
}

const N = 1 << 20;
const otherCases: Case[] = [
  ...(['exp', 'gelu', 'relu'] as const).map((op): Case => ({
    name: `unary ${op} 1M`,
    work: 8 * N,
    unit: 'GB/s',
    ours: (be, up) => {
      const x = up(values(N));
      return () => settle(be, be.unary(op, x));
    },
    tf: (t) => {
      const x = t.tensor1d(values(N));
      const f = op === 'exp' ? () => t.exp(x) : op === 'relu' ? () => t.relu(x) : () => t.mul(x, t.sigmoid(t.mul(x, 1.5957691)));
      return { run: () => t.tidy(f).dispose(), dispose: () => x.dispose() };
    },
  })),
  {
    name: 'binary add 1M (same shape)',
    work: 12 * N,
    unit: 'GB/s',
    ours: (be, up) => {
      const a = up(values(N, 1)), b = up(values(N, 2));
      return () => settle(be, be.binary('add', a, [N], b, [N], [N]));
    },
    tf: (t) => {
      const a = t.tensor1d(values(N, 1)), b = t.tensor1d(values(N, 2));
      return { run: () => t.add(a, b).dispose(), dispose: () => t.dispose([a, b]) };
    },
  },
  {
    name: 'binary mul [4096,8,32]·[4096,8,1] (gate)',
    work: 8 * N + 4 * 4096 * 8,
    unit: 'GB/s',
    ours: (be, up) => {
      const a = up(values(N, 1)), b = up(values(4096 * 8, 2));
      return () => settle(be, be.binary('mul', a, [4096, 8, 32], b, [4096, 8, 1], [4096, 8, 32]));
    },
    tf: (t) => {
      const a = t.tensor3d(values(N, 1), [4096, 8, 32]), b = t.tensor3d(values(4096 * 8, 2), [4096, 8, 1]);
      return { run: () => t.mul(a, b).dispose(), dispose: () => t.dispose([a, b]) };
    },
  },
  ...([
    ['reduce sum [1024,1024] last axis', 1024, 1024, 1, 1],
    ['reduce sum [1024,1024] axis 0', 1, 1024, 1024, 0],
  ] as const).map(([name, outer, n, inner, axis]): Case => ({
    name,
    work: 4 * N,
    unit: 'GB/s',
    ours: (be, up) => {
      const x = up(values(N));
      return () => settle(be, be.reduce('sum', x, outer, n, inner));
    },
    tf: (t) => {
      const x = t.tensor2d(values(N), [1024, 1024]);
      return { run: () => t.sum(x, axis).dispose(), dispose: () => x.dispose() };
    },
  })),
  {
    name: 'view transpose [1024,1024]',
    work: 8 * N,
    unit: 'GB/s',
    ours: (be, up) => {
      const x = up(values(N));
      return () => settle(be, be.view(x, { shape: [1024, 1024], strides: [1, 1024], offset: 0 }));
    },
    tf: (t) => {
      const x = t.tensor2d(values(N), [1024, 1024]);
      return { run: () => t.transpose(x).dispose(), dispose: () => x.dispose() };
    },
  },
  groupedCase(),
  {
    name: 'gather 4096 rows of 256',
    work: 8 * 4096 * 256,
    unit: 'GB/s',
    ours: (be, up) => {
      const src = up(values(1024 * 256)), idx = up(Int32Array.from({ length: 4096 }, (_, i) => (i * 7) % 1024));
      return () => settle(be, be.gather(src, 1024, 256, idx));
    },
    tf: (t) => {
      const src = t.tensor2d(values(1024 * 256), [1024, 256]), idx = t.tensor1d(Int32Array.from({ length: 4096 }, (_, i) => (i * 7) % 1024), 'int32');
      return { run: () => t.gather(src, idx).dispose(), dispose: () => t.dispose([src, idx]) };
    },
  },
  {
    name: 'scatterAdd 4096 rows of 256 into 1024',
    work: 8 * 4096 * 256,
    unit: 'GB/s',
    ours: (be, up) => {
      const src = up(values(4096 * 256)), idx = up(Int32Array.from({ length: 4096 }, (_, i) => (i * 7) % 1024));
      return () => settle(be, be.scatterAdd(src, 256, idx, 1024));
    },
  },
];

/**
 * The top-2 expert GEMM of moe-infer's layer: 2048 token rows sorted into 8
 * experts of 256, each times its own 256×128 column block of W1 [256, 1024],
 * read in place. TensorFlow.js has no grouped matmul: its way is a slice of
 * rows and of W1's columns per expert, 8 matMuls and a concat.
 */
function groupedCase(): Case {
  const [G, M, K, H] = [8, 256, 256, 128];
  const spec: GroupedMatmulSpec = { kind: 'rows', groups: G, rows: G * M, k: K, n: H, bStrides: columnStrides(G, H, false) };
  const offsets = Int32Array.from({ length: G + 1 }, (_, g) => g * M);
  return {
    name: `groupedMatmul ${G} groups × ${M} rows, ${K}→${H} (W1 column blocks)`,
    work: 2 * G * M * K * H,
    unit: 'GFLOP/s',
    ours: (be, up) => {
      const a = up(values(G * M * K, 1)), b = up(values(K * G * H, 2)), o = up(offsets);
      return () => settle(be, be.groupedMatmul(a, b, o, spec));
    },
    tf: (t) => {
      const a = t.tensor2d(values(G * M * K, 1), [G * M, K]), b = t.tensor2d(values(K * G * H, 2), [K, G * H]);
      const run = (): void => {
        const parts = Array.from({ length: G }, (_, g) => t.tidy(() => t.matMul(t.slice(a, [g * M, 0], [M, K]), t.slice(b, [0, g * H], [K, H]))));
        t.concat(parts, 0).dispose();
        t.dispose(parts);
      };
      return { run, dispose: () => t.dispose([a, b]) };
    },
  };
}

/**
 * Device modes whose kernels run asynchronously: a launch returns before the
 * work is done, so their timing includes reading the result back (the only
 * way gpu.js offers to wait for it).
 */
const ASYNC_DEVICES = new Set(['gpujs:headlessgl', 'gpujs:webgl', 'gpujs:webgl2', 'gpujs:webgpu']);

/** Awaits a result that may be a promise (and, on an asynchronous device, its readback), then frees it. */
async function settle(be: Backend, r: DeviceBuffer | Promise<DeviceBuffer>): Promise<void> {
  const buf = r instanceof Promise ? await r : r;
  if (ASYNC_DEVICES.has(be.name)) await be.read(buf);
  be.dispose(buf);
}

/** Our backends that start here (the reason is printed for those that don't). */
async function ourBackends(): Promise<Backend[]> {
  const out: Backend[] = [];
  for (const name of OURS) {
    try {
      out.push(await startBackend(name));
    } catch (e) {
      console.log(`- skipped dsmoe ${name}: ${(e as Error).message.split('\n')[0]}`);
    }
  }
  return out;
}

/** Every case: tfjs wasm and each of our backends timed in interleaved rounds; then tfjs cpu on its own. */
async function measure(cases: Case[], backends: Backend[]): Promise<Row[]> {
  const rows: Row[] = [];
  const row = (c: Case, impl: string, ms: number): Row => ({ bench: 'kernels', case: c.name, impl, ms, rate: c.work / ms / 1e6, unit: c.unit });
  const t = await useTf('wasm');
  for (const c of cases) {
    const runners: Runner[] = [];
    const peer = c.tf?.(t);
    if (peer) runners.push({ impl: 'tfjs wasm', fn: peer.run });
    const best = c.tfBest?.(t);
    if (best) runners.push({ impl: BEST, fn: best.run });
    for (const be of backends) {
      if (!c.ours || (c.big && SLOW.has(be.name))) continue;
      runners.push({ impl: `dsmoe ${be.name}${ASYNC_DEVICES.has(be.name) ? ' (+readback)' : ''}`, fn: c.ours(be, (x) => be.upload(x)) });
      if (c.api && API_BACKENDS.has(be.name)) runners.push({ impl: `dsmoe ${be.name} (Tensor API)`, fn: c.api(be) });
    }
    try {
      const ms = await interleave(runners, BUDGET);
      for (const r of runners) rows.push(row(c, r.impl, ms.get(r.impl)!));
    } catch (e) {
      console.log(`- ${c.name} failed: ${(e as Error).message.split('\n')[0]}`);
    }
    peer?.dispose();
    best?.dispose();
  }
  const tc = await useTf('cpu');
  for (const c of cases) {
    if (!c.tf || c.big) continue;
    const { run, dispose } = c.tf(tc);
    rows.push(row(c, 'tfjs cpu', (await interleave([{ impl: 'tfjs cpu', fn: run }], BUDGET)).get('tfjs cpu')!));
    dispose();
  }
  return rows;
}

export async function kernels(sizes: number[]): Promise<Row[]> {
  const cases = [...matmulCases(sizes.length ? sizes : [256, 512, 1024]), ...otherCases];
  const rows = await measure(cases, await ourBackends());
  // Speedup against tfjs wasm on the same case; for matmul, against tfjs wasm's untransposed GFLOP/s at that size.
  const tfw = new Map(rows.filter((r) => r.impl === 'tfjs wasm').map((r) => [r.case, r]));
  const out = rows.map((r) => {
    const peer = tfw.get(r.case);
    if (!r.impl.startsWith('dsmoe') || !peer) return r;
    // The yardstick: TFJS-wasm's untransposed GFLOP/s, from the same case's rounds.
    const best = r.case.startsWith('matmul') && r.case.match(/³/) ? (rows.find((q) => q.case === r.case && q.impl === BEST) ?? (r.case.endsWith(' A·B') ? peer : undefined)) : undefined;
    return { ...r, speedup: peer.ms / r.ms, note: best ? `${(r.rate! / best.rate!).toFixed(2)}× tfjs-wasm best` : undefined };
  });
  const order = cases.map((c) => c.name);
  out.sort((a, b) => order.indexOf(a.case) - order.indexOf(b.case));
  printTable('kernels (speedup: tfjs-wasm ms ÷ ours on the same case)', out);
  return out;
}
