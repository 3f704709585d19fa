import { expect, test } from 'vitest';
import fc from 'fast-check';
import { bf16ToFloat, f16ToFloat, floatToBf16, floatToF16 } from '../../src/io/half.js';

test('every float16 bit pattern survives float → half (NaNs stay NaN)', () => {
  for (let b = 0; b < 0x10000; b++) {
    const x = f16ToFloat(b);
    if (Number.isNaN(x)) expect(Number.isNaN(f16ToFloat(floatToF16(x)))).toBe(true);
    else expect(floatToF16(x)).toBe(b);
  }
});

test('every bfloat16 bit pattern survives float → bf16 (NaNs stay NaN)', () => {
  for (let b = 0; b < 0x10000; b++) {
    const x = bf16ToFloat(b);
    if (Number.isNaN(x)) expect(Number.isNaN(bf16ToFloat(floatToBf16(x)))).toBe(true);
    else expect(floatToBf16(x)).toBe(b);
  }
});

test('rounding picks a nearest representable value', () => {
  fc.assert(fc.property(fc.float({ noNaN: true, min: -60000, max: 60000 }), (x) => {
    const h = f16ToFloat(floatToF16(x));
    const b = bf16ToFloat(floatToBf16(x));
    // Neighbours one unit either side are no closer.
    const bits = floatToF16(x);
    for (const n of [bits - 1, bits + 1]) if ((n & 0x7c00) !== 0x7c00 && n >= 0 && n < 0x10000 && (n & 0x8000) === (bits & 0x8000)) expect(Math.abs(f16ToFloat(n) - x)).toBeGreaterThanOrEqual(Math.abs(h - x));
    expect(Math.abs(b - x)).toBeLessThanOrEqual(Math.abs(x) * 2 ** -8 + 2 ** -133);
  }), { numRuns: 2000 });
});
