/**
 * `bench moe-step`: one DS-MoE FFN layer training step — T = 512 tokens,
 * d = 256, N = 8 experts × h = 128, GELU experts, linear router — forward,
 * MSE to a fixed target plus α·MI loss, backward to every parameter, all
 * gradients realized. Ours is the real MoEFeedForward layer; the peers are
 * the same maths written here in TensorFlow.js (wasm and cpu).
 *
 * Also the issue's plain FFN step (d = 256, h = 512, ReLU, MSE, 512 tokens),
 * where js-pytorch can do the work too.
 */
import { fromData, manualSeed, setBackend, tidy, type Tensor } from '../src/index.js';
import { MoEFeedForward } from '../src/moe/index.js';
import { Linear } from '../src/nn/linear.js';
import { useTf, type tf } from './tfjs.js';
import { interleave, printTable, time, values, type Row, type Runner } from './util.js';

const [T, D, N, H] = [512, 256, 8, 128];
const ALPHA = 0.01;
const GELU_C = Math.sqrt(2 / Math.PI);

export async function oursMoeStep(backend: string): Promise<() => Promise<void>> {
  await setBackend(backend);
  manualSeed(0);
  const layer = new MoEFeedForward({ dModel: D, nExperts: N, expertHidden: H, activation: 'gelu' });
  const x = fromData(values(T * D, 3), [T, D]);
  const target = fromData(values(T * D, 4), [T, D]);
  const params = layer.parameters();
  return async () => {
    for (const p of params) p.grad = null;
    // As the tfjs peer runs in tf.tidy: the step's intermediates are freed as soon as the gradients are computed.
    await tidy(() => {
      const { y, aux } = layer.forward(x);
      const loss = y.sub(target).square().mean().add(aux.mi.mul(ALPHA));
      loss.backward();
      return [loss, ...params.map((p) => p.grad!)];
    });
  };
}

function tfMoeStep(t: typeof tf): { run: () => void; dispose: () => void } {
  const v = (shape: number[], seed: number, scale: number): tf.Variable => t.variable(t.tensor(values(shape.reduce((a, b) => a * b, 1), seed), shape).mul(scale));
  const w1 = v([D, N * H], 11, 1 / Math.sqrt(D)), b1 = v([N * H], 12, 0.01);
  const w2 = v([N * H, D], 13, 1 / Math.sqrt(H)), b2 = v([D], 14, 0.01);
  const wr = v([D, N], 15, 1 / Math.sqrt(D));
  const x = t.tensor2d(values(T * D, 3), [T, D]), target = t.tensor2d(values(T * D, 4), [T, D]);
  const vars = [w1, b1, w2, b2, wr];
  const loss = (): tf.Scalar => {
    const logits = t.matMul(x, wr);
    const s = t.softmax(logits);
    const pre = t.add(t.matMul(x, w1), b1);
    // GELU, tanh form (tfjs has no gelu op).
    const act = t.mul(t.mul(pre, 0.5), t.add(1, t.tanh(t.mul(t.add(pre, t.mul(t.pow(pre, 3), 0.044715)), GELU_C))));
    const gated = t.reshape(t.mul(t.reshape(act, [T, N, H]), t.reshape(s, [T, N, 1])), [T, N * H]);
    const y = t.add(t.matMul(gated, w2), b2);
    const mse = t.mean(t.square(t.sub(y, target)));
    // MI loss: mean_x H(e|x) − H(mean_x S).
    const condH = t.neg(t.mean(t.sum(t.mul(s, t.logSoftmax(logits)), -1)));
    const p = t.mean(s, 0);
    const margH = t.neg(t.sum(t.mul(p, t.log(t.add(p, 1e-8)))));
    return t.add(mse, t.mul(t.sub(condH, margH), ALPHA)) as tf.Scalar;
  };
  return {
    run: () => {
      const { value, grads } = t.variableGrads(loss, vars);
      // Read outside tidy; reading forces every gradient.
      for (const g of Object.values(grads)) g.dataSync();
      value.dataSync();
      t.dispose([value, ...Object.values(grads)]);
    },
    dispose: () => t.dispose([...vars, x, target]),
  };
}

/** The issue's plain FFN step: Linear(256→512) → ReLU → Linear(512→256), MSE, 512 tokens. */
export async function oursFfnStep(backend: string): Promise<() => Promise<void>> {
  await setBackend(backend);
  manualSeed(0);
  const l1 = new Linear(256, 512), l2 = new Linear(512, 256);
  const x = fromData(values(512 * 256, 3), [512, 256]), target = fromData(values(512 * 256, 4), [512, 256]);
  const params: Tensor[] = [...l1.parameters(), ...l2.parameters()];
  return async () => {
    for (const p of params) p.grad = null;
    await tidy(() => {
      const loss = l2.forward(l1.forward(x).relu()).sub(target).square().mean();
      loss.backward();
      return [loss, ...params.map((p) => p.grad!)];
    });
  };
}

function tfFfnStep(t: typeof tf): { run: () => void; dispose: () => void } {
  const w1 = t.variable(t.tensor2d(values(256 * 512, 11), [256, 512]).mul(0.06)), b1 = t.variable(t.zeros([512]));
  const w2 = t.variable(t.tensor2d(values(512 * 256, 12), [512, 256]).mul(0.04)), b2 = t.variable(t.zeros([256]));
  const x = t.tensor2d(values(512 * 256, 3), [512, 256]), target = t.tensor2d(values(512 * 256, 4), [512, 256]);
  const vars = [w1, b1, w2, b2];
  const loss = (): tf.Scalar => t.mean(t.square(t.sub(t.add(t.matMul(t.relu(t.add(t.matMul(x, w1), b1)), w2), b2), target))) as tf.Scalar;
  return {
    run: () => {
      const { value, grads } = t.variableGrads(loss, vars);
      for (const g of Object.values(grads)) g.dataSync();
      value.dataSync();
      t.dispose([value, ...Object.values(grads)]);
    },
    dispose: () => t.dispose([...vars, x, target]),
  };
}

async function jsPytorchFfnStep(): Promise<() => void> {
  const { torch } = await import('js-pytorch');
  const l1 = new torch.nn.Linear(256, 512), relu = new torch.nn.ReLU(), l2 = new torch.nn.Linear(512, 256), mse = new torch.nn.MSELoss();
  const x = torch.randn([512, 256]), target = torch.randn([512, 256]);
  const params = [...l1.parameters(), ...l2.parameters()];
  return () => {
    for (const p of params) p.zero_grad();
    const loss = mse.forward(l2.forward(relu.forward(l1.forward(x))), target);
    loss.backward();
  };
}

export async function moeStep(): Promise<Row[]> {
  const rows: Row[] = [];
  const moe = `DS-MoE FFN step T=${T} d=${D} N=${N}×h=${H}`;
  const ffn = 'FFN step d=256 h=512, 512 tokens';
  // Ours and tfjs wasm in interleaved rounds (same background load); the slow peers on their own.
  const cases = [
    [moe, oursMoeStep, tfMoeStep],
    [ffn, oursFfnStep, tfFfnStep],
  ] as const;
  for (const [name, ours, peer] of cases) {
    const runners: Runner[] = [];
    for (const backend of ['wasm', 'wasm:1']) runners.push({ impl: `dsmoe ${backend}`, fn: await ours(backend) });
    const t = await useTf('wasm');
    const tfw = peer(t);
    runners.push({ impl: 'tfjs wasm', fn: tfw.run });
    const ms = await interleave(runners, { warmup: 2, minRounds: 5, maxRounds: 9, budgetMs: 20000, slowMs: 60000 });
    tfw.dispose();
    for (const r of runners) rows.push({ bench: 'moe-step', case: name, impl: r.impl, ms: ms.get(r.impl)! });
    const tc = await useTf('cpu');
    const tfc = peer(tc);
    rows.push({ bench: 'moe-step', case: name, impl: 'tfjs cpu', ms: await time(tfc.run, { budgetMs: 1, minReps: 3, maxReps: 3, warmup: 1 }) });
    tfc.dispose();
    rows.push({ bench: 'moe-step', case: name, impl: 'dsmoe cpu', ms: await time(await ours('cpu'), { budgetMs: 1, minReps: 2, maxReps: 2, warmup: 1 }) });
  }
  try {
    rows.push({ bench: 'moe-step', case: ffn, impl: 'js-pytorch', ms: await time(await jsPytorchFfnStep(), { budgetMs: 1, minReps: 3, maxReps: 3, warmup: 1 }) });
  } catch (e) {
    console.log(`- js-pytorch FFN step failed: ${(e as Error).message}`);
  }
  await setBackend('cpu');
  const peerMs = new Map(rows.filter((r) => r.impl === 'tfjs wasm').map((r) => [r.case, r.ms]));
  const out = rows.map((r) => (r.impl.startsWith('dsmoe') && peerMs.has(r.case) ? { ...r, speedup: peerMs.get(r.case)! / r.ms, note: `${(r.ms / peerMs.get(r.case)!).toFixed(3)}× tfjs-wasm time` } : r));
  printTable('moe-step (speedup: tfjs-wasm ms ÷ ours; target ≤ 0.10× tfjs-wasm time)', out);
  return out;
}
