/**
 * Choosing the next token from logits, on the host (a vocabulary row is
 * small): temperature scales the logits (→ 0: greedy; > 1: flatter), then
 * nucleus (top-p) sampling keeps the smallest set of most likely tokens
 * whose probability reaches p and draws from it renormalised (Holtzman et
 * al., 2020), which cuts the long tail of unlikely tokens that makes
 * samples derail.
 */
import type { Generator } from '../tensor/random.js';

export interface SamplingOptions {
  temperature: number;
  topP: number;
}

export function sampleToken(logits: ArrayLike<number>, o: SamplingOptions, rng: Generator): number {
  const n = logits.length;
  if (n === 0) throw new Error('sampleToken: empty logits');
  // NaN would sort and sample as garbage, silently: weights that overflow float32 (or a diverged run) show here.
  for (let i = 0; i < n; i++) {
    if (Number.isNaN(logits[i]!) || logits[i] === Infinity) throw new Error(`the model's logits are not finite (${logits[i]} for token id ${i}): its weights overflow float32`);
  }
  if (o.temperature <= 0) return argmax(logits);
  let max = -Infinity;
  for (let i = 0; i < n; i++) max = Math.max(max, logits[i]!);
  const p = new Float64Array(n);
  let z = 0;
  for (let i = 0; i < n; i++) z += p[i] = Math.exp((logits[i]! - max) / o.temperature);
  const keep = nucleus(p, z, o.topP);
  let u = rng.uniform() * keep.reduce((s, i) => s + p[i]!, 0);
  for (const i of keep) {
    u -= p[i]!;
    if (u < 0) return i;
  }
  return keep[keep.length - 1]!;
}

/** Tokens picked one by one, most likely first, before the rest is sorted: a trained model's nucleus is a handful. */
const SELECT_FIRST = 16;

/**
 * The nucleus: the most likely tokens (ties by lower id, so a seed
 * reproduces a sample exactly), in that order, until their mass reaches
 * topP of z. The first few are found by selection, a pass each; only a
 * nucleus longer than that sorts the rest, as the whole vocabulary was
 * sorted every token before (a tenth of a decoding step's time).
 */
function nucleus(p: Float64Array, z: number, topP: number): number[] {
  const n = p.length;
  const taken = new Uint8Array(n);
  const keep: number[] = [];
  let mass = 0;
  const add = (i: number): boolean => {
    taken[i] = 1;
    keep.push(i);
    mass += p[i]! / z;
    return mass >= topP || keep.length === n;
  };
  while (keep.length < SELECT_FIRST) {
    let best = -1;
    for (let i = 0; i < n; i++) if (!taken[i] && (best < 0 || p[i]! > p[best]!)) best = i;
    if (add(best)) return keep;
  }
  const rest = Array.from({ length: n }, (_, i) => i).filter((i) => !taken[i]).sort((a, b) => p[b]! - p[a]! || a - b);
  for (const i of rest) if (add(i)) break;
  return keep;
}

function argmax(x: ArrayLike<number>): number {
  let best = 0;
  for (let i = 1; i < x.length; i++) if (x[i]! > x[best]!) best = i;
  return best;
}
