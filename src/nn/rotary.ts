/**
 * Rotary position embedding, RoPE (Su et al., 2021). Each pair of features
 * (x_i, x_{i+D/2}) of a query or key at position t is rotated by the angle
 * t·θ_i, θ_i = base^(−2i/D):
 *   x'_i       = x_i·cos(tθ_i) − x_{i+D/2}·sin(tθ_i)
 *   x'_{i+D/2} = x_{i+D/2}·cos(tθ_i) + x_i·sin(tθ_i)
 * Rotations compose, R(m)ᵀR(n) = R(n − m), so after rotating q at m and k
 * at n their dot product depends only on n − m: attention sees relative
 * positions, with no learned table and no length limit. The pairing of i
 * with i + D/2 ("rotate half") is GPT-NeoX's and HF LLaMA's layout.
 */
import type { Backend } from '../gpu/backend.js';
import type { DType } from '../base/dtype.js';
import { fromData } from '../tensor/create.js';
import { fmt } from '../base/shape.js';
import { cat } from '../tensor/ops/movement.js';
import { fusedRotary } from '../tensor/ops/fused.js';
import { untracked } from '../tensor/tidy.js';
import type { Tensor } from '../tensor/tensor.js';

export interface RotaryOptions {
  /** The wavelength base; 10000 in the paper and in LLaMA. */
  base?: number;
}

interface Tables {
  cos: Tensor;
  sin: Tensor;
}

/** Most recently used tables per backend; a bounded map, since offsets grow during generation. */
const cache = new WeakMap<Backend, Map<string, Tables>>();
const MAX_TABLES = 64;

/** cos and sin of (offset + t)·θ_i, each [S, D/2], computed on the host in float64. */
function buildTables(s: number, d: number, offset: number, base: number, dtype: DType, backend: Backend): Tables {
  const half = d / 2;
  const make = dtype === 'float64' ? (n: number) => new Float64Array(n) : (n: number) => new Float32Array(n);
  const cos = make(s * half);
  const sin = make(s * half);
  for (let t = 0; t < s; t++) {
    for (let i = 0; i < half; i++) {
      const angle = (offset + t) * Math.pow(base, (-2 * i) / d);
      cos[t * half + i] = Math.cos(angle);
      sin[t * half + i] = Math.sin(angle);
    }
  }
  return { cos: fromData(cos, [s, half], { backend }), sin: fromData(sin, [s, half], { backend }) };
}

export function rotaryTables(s: number, d: number, offset: number, dtype: DType, backend: Backend, base = 10000): Tables {
  let perBackend = cache.get(backend);
  if (!perBackend) cache.set(backend, (perBackend = new Map()));
  const key = `${dtype}:${s}:${d}:${offset}:${base}`;
  let t = perBackend.get(key);
  if (t) {
    perBackend.delete(key); // re-insert: Map order is the recency order
  } else {
    t = untracked(() => buildTables(s, d, offset, base, dtype, backend)); // a cache: no tidy may free it
    if (perBackend.size >= MAX_TABLES) perBackend.delete(perBackend.keys().next().value!);
  }
  perBackend.set(key, t);
  return t;
}

/** Rotates x [B, H, S, D] (D even) for positions offset … offset+S−1. */
export function applyRotary(x: Tensor, offset = 0, opts: RotaryOptions = {}): Tensor {
  if (x.rank !== 4) throw new Error(`applyRotary: expected [B, H, S, D], got ${fmt(x.shape)}`);
  const [, , s, d] = x.shape as [number, number, number, number];
  if (d % 2 !== 0) throw new Error(`applyRotary: head dimension must be even, got ${d} in ${fmt(x.shape)}`);
  if (!Number.isInteger(offset) || offset < 0) throw new Error(`applyRotary: offset must be a non-negative integer, got ${offset}`);
  const base = opts.base ?? 10000;
  if (!(base > 1)) throw new Error(`applyRotary: base must be greater than 1, got ${base}`);
  const { cos, sin } = rotaryTables(s, d, offset, x.dtype, x.backend, base);
  return rotateHalves(x, cos, sin);
}

/**
 * The rotation itself, for any cos and sin that broadcast against the two
 * halves of x's last axis: (x1, x2) → (x1·cos − x2·sin, x2·cos + x1·sin).
 * applyRotary passes the tables of consecutive positions; sparse attention
 * experts pass rows gathered at each token's own position.
 */
export function rotateHalves(x: Tensor, cos: Tensor, sin: Tensor): Tensor {
  // One kernel where the backend has it (cpu, wasm), in training too: its gradient is the rotation back (tensor/ops/fused.ts).
  return fusedRotary(x, cos, sin) ?? rotateHalvesComposite(x, cos, sin);
}

/** The same rotation in primitives: what gpu.js runs, and the fused kernel's reference in the tests. */
export function rotateHalvesComposite(x: Tensor, cos: Tensor, sin: Tensor): Tensor {
  const half = x.shape[x.rank - 1]! / 2;
  const x1 = x.slice(-1, 0, half);
  const x2 = x.slice(-1, half);
  return cat([x1.mul(cos).sub(x2.mul(sin)), x2.mul(cos).add(x1.mul(sin))], -1);
}
