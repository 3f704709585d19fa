/**
 * 16-bit floats, for reading (and writing) Hugging Face weights.
 * - IEEE half (F16): 1 sign, 5 exponent, 10 mantissa bits.
 * - bfloat16 (BF16): the top half of a float32 — 1 sign, 8 exponent, 7 mantissa.
 * Both are kept as raw bits in a Uint16Array until converted.
 */

const f32 = new Float32Array(1);
const u32 = new Uint32Array(f32.buffer);

export function bf16ToFloat(bits: number): number {
  u32[0] = (bits & 0xffff) << 16;
  return f32[0]!;
}

/** Rounds to nearest even, as PyTorch's `.to(torch.bfloat16)` does; NaN stays NaN. */
export function floatToBf16(x: number): number {
  f32[0] = x;
  const b = u32[0]!;
  if (Number.isNaN(x)) return ((b >>> 16) | 0x40) & 0xffff; // keep it a NaN (quiet bit)
  return ((b + 0x7fff + ((b >>> 16) & 1)) >>> 16) & 0xffff;
}

export function f16ToFloat(bits: number): number {
  const sign = bits & 0x8000 ? -1 : 1;
  const exp = (bits >>> 10) & 0x1f;
  const frac = bits & 0x3ff;
  if (exp === 0) return sign * frac * 2 ** -24; // zero or subnormal
  if (exp === 0x1f) return frac ? NaN : sign * Infinity;
  return sign * (1 + frac / 1024) * 2 ** (exp - 15);
}

/** Rounds to nearest even; too large becomes ±Infinity, too small ±0 or a subnormal. */
export function floatToF16(x: number): number {
  if (Number.isNaN(x)) return 0x7e00;
  const sign = x < 0 || Object.is(x, -0) ? 0x8000 : 0;
  const a = Math.abs(Math.fround(x));
  if (a >= 65520) return sign | 0x7c00; // rounds past the largest half, 65504
  if (a < 2 ** -14) return sign | roundEven(a / 2 ** -24); // subnormal (may round up into the normals: still right)
  const e = Math.floor(Math.log2(a));
  const exp = a >= 2 ** (e + 1) ? e + 1 : a < 2 ** e ? e - 1 : e; // guard log2 rounding
  const m = roundEven((a / 2 ** exp - 1) * 1024);
  return sign | (((exp + 15) << 10) + m); // m = 1024 carries into the exponent, as it should
}

function roundEven(v: number): number {
  const f = Math.floor(v);
  const d = v - f;
  return d > 0.5 || (d === 0.5 && f % 2 === 1) ? f + 1 : f;
}

/** A Uint16Array of F16 or BF16 bits as float32 values. */
export function halfToFloat32(bits: Uint16Array, kind: 'F16' | 'BF16'): Float32Array {
  const out = new Float32Array(bits.length);
  const conv = kind === 'F16' ? f16ToFloat : bf16ToFloat;
  for (let i = 0; i < bits.length; i++) out[i] = conv(bits[i]!);
  return out;
}

export function float32ToHalf(values: ArrayLike<number>, kind: 'F16' | 'BF16'): Uint16Array {
  const out = new Uint16Array(values.length);
  const conv = kind === 'F16' ? floatToF16 : floatToBf16;
  for (let i = 0; i < values.length; i++) out[i] = conv(values[i]!);
  return out;
}
