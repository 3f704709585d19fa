import { describe, expect, test } from 'vitest';
import { Linear } from '../../src/nn/linear.js';
import { Module } from '../../src/nn/module.js';
import { tensor } from '../../src/tensor/create.js';
import { manualSeed } from '../../src/tensor/random.js';
import type { Tensor } from '../../src/tensor/tensor.js';
import { encodeSafetensors, decodeSafetensors } from '../../src/io/safetensors.js';
import { loadSafetensorsInto, safetensorsToTensors, stateDictToSafetensors } from '../../src/io/state-dict.js';
import { float32ToHalf } from '../../src/io/half.js';

class TwoLayer extends Module {
  readonly l1: Linear;
  readonly l2: Linear;
  constructor(d = 4, h = 3) {
    super();
    this.l1 = new Linear(d, h);
    this.l2 = new Linear(h, 2, { bias: false });
  }
  forward(x: Tensor): Tensor {
    return this.l2.forward(this.l1.forward(x).relu());
  }
}

async function values(m: Module): Promise<Record<string, number[]>> {
  const out: Record<string, number[]> = {};
  for (const [k, t] of Object.entries(m.stateDict())) out[k] = Array.from(await t.data());
  return out;
}

describe('state dicts through safetensors', () => {
  test('save then load into a fresh model gives identical weights and outputs, and returns the metadata', async () => {
    manualSeed(1);
    const a = new TwoLayer();
    manualSeed(2);
    const b = new TwoLayer();
    const bytes = await stateDictToSafetensors(a.stateDict(), { config: '{"d":4}' });
    expect(Object.keys(decodeSafetensors(bytes).tensors).sort()).toEqual(['l1.bias', 'l1.weight', 'l2.weight']);
    expect(loadSafetensorsInto(b, bytes)).toEqual({ config: '{"d":4}' });
    expect(await values(b)).toEqual(await values(a));
    const x = tensor([[1, -2, 3, 0.5]]);
    expect(Array.from(await b.forward(x).data())).toEqual(Array.from(await a.forward(x).data()));
  });

  test('F16 and BF16 weights load into float32 parameters', async () => {
    const m = new Linear(2, 2, { bias: false });
    const bytes = encodeSafetensors({ weight: { dtype: 'BF16', shape: [2, 2], data: float32ToHalf([1, 2, -0.5, 0.25], 'BF16') } });
    loadSafetensorsInto(m, bytes);
    expect(Array.from(await m.weight.data())).toEqual([1, 2, -0.5, 0.25]);
    const f16 = encodeSafetensors({ weight: { dtype: 'F16', shape: [2, 2], data: float32ToHalf([3, 4, 5, 6], 'F16') } });
    loadSafetensorsInto(m, f16);
    expect(Array.from(await m.weight.data())).toEqual([3, 4, 5, 6]);
  });

  test('mismatches are clear errors and leave the model unchanged', async () => {
    manualSeed(3);
    const m = new TwoLayer();
    const before = await values(m);
    const other = await stateDictToSafetensors(new TwoLayer(5, 3).stateDict());
    expect(() => loadSafetensorsInto(m, other)).toThrow("checkpoint tensor 'l1.weight' has shape [5, 3] but the model's is [4, 3]");
    const partial = await stateDictToSafetensors({ 'l1.weight': m.l1.weight, extra: tensor([1]) });
    expect(() => loadSafetensorsInto(m, partial)).toThrow(/missing \[l1.bias, l2.weight\], unexpected \[extra\]/);
    const ints = encodeSafetensors({ weight: { shape: [2, 2], data: Int32Array.of(1, 2, 3, 4) } });
    expect(() => loadSafetensorsInto(new Linear(2, 2, { bias: false }), ints)).toThrow(/'weight' is I32, which cannot load into a float32 tensor/);
    expect(() => loadSafetensorsInto(m, new Uint8Array(3))).toThrow(/safetensors: the file is 3 bytes/);
    expect(await values(m)).toEqual(before);
  });

  test('strict: false loads the tensors that are there', async () => {
    manualSeed(4);
    const m = new TwoLayer();
    const w = tensor([[1, 2, 3], [4, 5, 6], [7, 8, 9], [10, 11, 12]]);
    loadSafetensorsInto(m, await stateDictToSafetensors({ 'l1.weight': w }), { strict: false });
    expect(Array.from(await m.l1.weight.data())).toEqual(Array.from(await w.data()));
  });

  test('safetensorsToTensors gives engine tensors', async () => {
    const bytes = encodeSafetensors({ a: { shape: [2], data: Float64Array.of(1, 2) }, b: { shape: [1], data: BigInt64Array.of(5n) } }, { k: 'v' });
    const { tensors, metadata } = safetensorsToTensors(bytes);
    expect(metadata).toEqual({ k: 'v' });
    expect(tensors.a!.dtype).toBe('float64');
    expect(tensors.b!.dtype).toBe('int32');
    expect(Array.from(await tensors.b!.data())).toEqual([5]);
  });
});
