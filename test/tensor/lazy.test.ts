/**
 * The lazy execution model: building is synchronous and computes nothing,
 * realize() runs each pending node once and releases the graph, and the
 * eager debug switch realizes every op as it is built — same results, but
 * errors surface at the op that caused them.
 */
import { afterEach, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { CpuBackend, grad, realize, registerBackend, setDebug, startBackend, tensor, type Backend, type Tensor, type UnaryOp } from '../../src/index.js';
import { tensorCase } from '../helpers/arbitraries.js';
import { fromCase, i32, t64, vals } from '../helpers/tensors.js';

afterEach(() => setDebug({ eager: false }));

/** The cpu kernels under another name, counting unary launches. */
let counting: { backend: Backend; unary: number } | null = null;
async function countingBackend(): Promise<{ backend: Backend; unary: number }> {
  if (counting) return counting;
  const inner = new CpuBackend();
  const state = { backend: null as unknown as Backend, unary: 0 };
  const be = Object.create(inner, {
    name: { value: 'cpucount' },
    unary: {
      value(op: UnaryOp, x: Parameters<CpuBackend['unary']>[1]) {
        state.unary++;
        return inner.unary(op, x);
      },
    },
  }) as Backend;
  registerBackend('cpucount', async () => be);
  state.backend = await startBackend('cpucount');
  counting = state;
  return state;
}

describe('lazy tensors', () => {
  it('building infers the shape and computes nothing; reading realizes', async () => {
    const x = t64([1, 2, 3, 4, 5, 6], [2, 3]);
    const y = x.exp().matmul(x.T).softmax(-1).sum(0);
    expect([...y.shape]).toEqual([2]);
    expect(y.lazy.isRealized).toBe(false);
    const v = await y.data();
    expect(y.lazy.isRealized).toBe(true);
    // Each softmax row sums to 1; summing the two rows' columns gives 2 in total.
    expect(Array.from(v).reduce((s, a) => s + a, 0)).toBeCloseTo(2, 12);
  });

  it('realize(...) runs a shared intermediate once, and forgets the graph afterwards', async () => {
    const c = await countingBackend();
    const x = tensor([0.5, 1, 1.5], { backend: c.backend, dtype: 'float64' });
    const shared = x.exp();
    const a = shared.add(1);
    const b = shared.mul(2).tanh();
    c.unary = 0;
    await realize(a, b);
    expect(c.unary).toBe(2); // exp once, tanh once
    expect(a.lazy.op).toBeNull();
    expect(a.lazy.srcs).toEqual([]);
    await realize(a, b);
    expect(c.unary).toBe(2); // nothing pending
    expect(Array.from(await b.data())).toEqual([0.5, 1, 1.5].map((v) => Math.tanh(2 * Math.exp(v))));
  });
});

describe('eager debug mode', () => {
  /** A small random program over a [2, 3] input: a chain of shape-preserving or shape-changing ops. */
  const steps: [string, (x: Tensor) => Tensor][] = [
    ['exp', (x) => x.exp()],
    ['tanh', (x) => x.tanh()],
    ['mul', (x) => x.mul(x.sum(-1, true))],
    ['softmax', (x) => x.softmax(0)],
    ['transpose-back', (x) => x.T.mul(2).T],
    ['matmul', (x) => x.matmul(x.T).matmul(x)],
    ['pad-slice', (x) => x.pad([[1, 0]]).slice(0, 1)],
    ['gather', (x) => x.gather(1, i32([2, 0, 1, 1, 0, 2], [2, 3]))],
    ['max', (x) => x.sub(x.max(-1, true))],
  ];
  const program = fc.array(fc.integer({ min: 0, max: steps.length - 1 }), { minLength: 1, maxLength: 6 });
  const run = (c: { shape: number[]; data: number[] }, prog: number[]): [number[], number[]] => {
    const x = fromCase(c, true);
    let y = x;
    for (const i of prog) y = steps[i]![1](y);
    const [g] = grad(y.sum(), [x]);
    return [vals(y), vals(g!)];
  };

  it('gives the same values and gradients as lazy mode', () => {
    fc.assert(
      fc.property(tensorCase(fc.constant([2, 3])), program, (c, prog) => {
        setDebug({ eager: false });
        const lazy = run(c, prog);
        setDebug({ eager: true });
        const eager = run(c, prog);
        setDebug({ eager: false });
        expect(eager[0]).toEqual(lazy[0]);
        expect(eager[1]).toEqual(lazy[1]);
      }),
      { numRuns: 50 },
    );
  });

  it('realizes every op as it is built', () => {
    setDebug({ eager: true });
    const y = t64([1, 2], [2]).exp().add(1);
    expect(y.lazy.isRealized).toBe(true);
  });

  it('an error that lazy mode reports at realize time surfaces at the op that caused it', () => {
    const x = t64([1, 2, 3, 4, 5, 6], [2, 3]);
    const buildBad = (): Tensor => x.indexSelect(1, i32([1, 2]).add(2)); // indices 3, 4: out of range
    setDebug({ eager: false });
    const lazy = buildBad(); // no error yet: the index is not known until it is computed
    expect(() => lazy.dataSync()).toThrow(/out of range/);
    setDebug({ eager: true });
    expect(buildBad).toThrow('indexSelect: index 3 at position 0 is out of range for axis 1 of [2, 3]');
  });
});

describe('dispose', () => {
  it('a disposed tensor, its detached alias and its reshaped views refuse to be used', async () => {
    const x = t64([1, 2, 3, 4], [2, 2]).mul(1);
    const view = x.reshape([4]);
    const alias = x.detach();
    const pending = x.add(1);
    await realize(view);
    x.dispose();
    expect(() => alias.dataSync()).toThrow('tensor used after dispose()');
    const msg = 'tensor used after dispose()';
    expect(() => x.dataSync()).toThrow(msg);
    await expect(x.data()).rejects.toThrow(msg);
    expect(() => view.dataSync()).toThrow(msg);
    expect(() => pending.dataSync()).toThrow(msg);
    expect(() => x.exp().dataSync()).toThrow(msg);
  });

  it('disposing a view leaves the tensor it views intact', () => {
    const x = t64([1, 2, 3, 4], [2, 2]).mul(1);
    const view = x.reshape([4]);
    view.dataSync();
    view.dispose();
    expect(vals(x)).toEqual([1, 2, 3, 4]);
    expect(() => view.dataSync()).toThrow('tensor used after dispose()');
  });
});
