/**
 * Cross-language check: an independent reader/writer in Python (json +
 * struct + numpy, see safetensors_ref.py) reads what dsmoe writes, and dsmoe
 * reads what it writes. python3 and numpy must be installed: if they are
 * missing this test fails (it is not skipped), because then nothing here
 * shows that other tools can open our checkpoints.
 */
import { describe, expect, test } from 'vitest';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { decodeSafetensors, encodeSafetensors } from '../../src/io/safetensors.js';
import { floatToF16, halfToFloat32, float32ToHalf } from '../../src/io/half.js';

const script = fileURLToPath(new URL('./safetensors_ref.py', import.meta.url));
const python = (...args: string[]): string => execFileSync('python3', [script, ...args], { encoding: 'utf8' });
const list = (a: ArrayLike<number | bigint>): (number | bigint)[] => Array.from(a);
const dir = mkdtempSync(join(tmpdir(), 'st-py-'));

describe('python3 + numpy', () => {
  test('reads a file dsmoe wrote: every dtype, shape, value and the metadata', () => {
    const path = join(dir, 'from-js.safetensors');
    const f32 = Float32Array.of(0.5, -1, 3.25, 1e-3, 7, -0);
    writeFileSync(path, encodeSafetensors({
      'blocks.0.w': { shape: [2, 3], data: f32 },
      'x64': { shape: [1], data: Float64Array.of(Math.PI) },
      'idx': { shape: [3], data: Int32Array.of(-1, 0, 2 ** 31 - 1) },
      'big': { shape: [2], data: BigInt64Array.of(-(2n ** 40n), 9n) },
      'h': { dtype: 'F16', shape: [2], data: float32ToHalf([0.1, -2], 'F16') },
      'b': { dtype: 'BF16', shape: [2], data: float32ToHalf([1.5, 3.140625], 'BF16') },
      'mask': { dtype: 'BOOL', shape: [3], data: Uint8Array.of(1, 0, 1) },
      'none': { shape: [0, 5], data: new Float32Array(0) },
    }, { config: '{"dModel":64}', tokenizer: 'byte' }));
    const seen = JSON.parse(python('read', path)) as { metadata: Record<string, string>; tensors: Record<string, { dtype: string; shape: number[]; values: number[] }> };
    expect(seen.metadata).toEqual({ config: '{"dModel":64}', tokenizer: 'byte' });
    expect(seen.tensors['blocks.0.w']).toMatchObject({ dtype: 'F32', shape: [2, 3], values: Array.from(f32) });
    expect(seen.tensors['x64']!.values).toEqual([Math.PI]);
    expect(seen.tensors['idx']!.values).toEqual([-1, 0, 2 ** 31 - 1]);
    expect(seen.tensors['big']!.values).toEqual([-(2 ** 40), 9]);
    expect(seen.tensors['h']!.values).toEqual([0.0999755859375, -2]);
    expect(seen.tensors['b']!.values).toEqual([1.5, 3.140625]);
    expect(seen.tensors['mask']!.values).toEqual([1, 0, 1]);
    expect(seen.tensors['none']!.shape).toEqual([0, 5]);
  });

  test('dsmoe reads a file numpy wrote, with unaligned tensors', () => {
    const path = join(dir, 'from-py.safetensors');
    python('write', path);
    const { tensors, metadata } = decodeSafetensors(readFileSync(path));
    expect(metadata).toEqual({ format: 'pt', note: 'written by numpy' });
    expect(list(tensors['a.u8']!.data)).toEqual([1, 2, 3]);
    expect(tensors['b.f32']!.shape).toEqual([2, 3]);
    expect(list(tensors['b.f32']!.data)).toEqual([0, 0.25, 0.5, 0.75, 1, 1.25]);
    expect(Array.from(halfToFloat32(tensors['c.f16']!.data as Uint16Array, 'F16'))).toEqual([0.5, -1.25, 65504, Math.fround(6.097555160522461e-5)]);
    expect(Array.from(halfToFloat32(tensors['d.bf16']!.data as Uint16Array, 'BF16'))).toEqual([1.5, -2, 3.140625]);
    expect(list(tensors['e.i64']!.data)).toEqual([-(2n ** 40n), 7n]);
    expect(list(tensors['f.f64']!.data)).toEqual([Math.PI]);
    expect(list(tensors['g.bool']!.data)).toEqual([1, 0, 1]);
    expect(tensors['h.empty']!.shape).toEqual([0, 4]);
    expect(tensors['i.scalar']).toMatchObject({ dtype: 'I32', shape: [] });
    expect(list(tensors['i.scalar']!.data)).toEqual([-5]);
  });

  test('float32 → float16 rounds as numpy does (ties to even, overflow, subnormals)', () => {
    const xs = [0, -0, 1, 0.1, 1 / 3, 65504, 65519, 65520, 1e6, -1e-8, 6e-8, 2 ** -24, 3 * 2 ** -25, 2 ** -14, 1.00048828125, 1.00146484375, 0.000060975551605224609];
    const { f16 } = JSON.parse(python('f16', ...xs.map((x) => (Object.is(x, -0) ? '-0' : String(x))))) as { f16: number[] };
    expect(xs.map(floatToF16)).toEqual(f16);
  });
});
