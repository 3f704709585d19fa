/**
 * The dense-to-sparse gate of EvoMoE (Nie et al. 2021): the router's scores
 * are S = softmax(h(x)/τ), and the temperature τ falls during training, so
 * routing starts spread over every expert (dense: each one trained) and
 * ends concentrated on few (near one-hot: what sparse inference keeps loses
 * little). The schedule is geometric, EvoMoE's exponential decay,
 *
 *   τ(step) = τ₁                                      step ≥ to
 *           = τ₀                                      step ≤ from (and < to)
 *           = τ₀·(τ₁/τ₀)^((step − from)/(to − from))  from < step < to
 *
 * (a step from τ₀ to τ₁ at `from` when to = from). EvoMoE also adds Gumbel
 * noise to the logits during training and drops gates under a threshold;
 * here the gate stays deterministic and dense, DS-MoE's training, and the
 * inference modes do the dropping.
 *
 * Why the entropy falls with τ: with z the logits, d/dτ of the entropy of
 * softmax(z/τ) is Var_S(z)/τ³ ≥ 0, so a lower temperature never spreads a
 * token's scores.
 *
 * A model's temperature is that of the steps it was trained for: the
 * trainer sets it after every step, and a checkpoint's step sets it on load
 * (LanguageModel.setTrainedSteps).
 */

export interface DtsSchedule {
  /** τ₀, the temperature until `from` (> 0; above 1 spreads the scores). */
  tauStart: number;
  /** τ₁, the temperature from `to` on (> 0). */
  tauEnd: number;
  /** The steps the anneal runs between (integers, from ≤ to). */
  from: number;
  to: number;
}

/** Refuses a schedule with a bad value, naming it (`where` starts the error). */
export function checkDtsSchedule(where: string, s: DtsSchedule): void {
  if (typeof s !== 'object' || s === null) throw new Error(`${where} must be an object { tauStart, tauEnd, from, to } or null, got ${JSON.stringify(s)}`);
  const keys = Object.keys(s).filter((k) => !['tauStart', 'tauEnd', 'from', 'to'].includes(k));
  if (keys.length) throw new Error(`${where}: unknown field ${keys.map((k) => `'${k}'`).join(', ')} (expected tauStart, tauEnd, from, to)`);
  for (const k of ['tauStart', 'tauEnd'] as const) {
    if (typeof s[k] !== 'number' || !(Number.isFinite(s[k]) && s[k] > 0)) throw new Error(`${where}.${k} must be a finite number > 0, got ${JSON.stringify(s[k])}`);
  }
  for (const k of ['from', 'to'] as const) {
    if (!Number.isSafeInteger(s[k]) || s[k] < 0) throw new Error(`${where}.${k} must be an integer ≥ 0, got ${JSON.stringify(s[k])}`);
  }
  if (s.to < s.from) throw new Error(`${where}: the schedule ends (to=${s.to}) before it starts (from=${s.from})`);
}

/** τ at `step` (a count of steps taken, ≥ 0). */
export function dtsTemperature(s: DtsSchedule, step: number): number {
  if (step >= s.to) return s.tauEnd;
  if (step <= s.from) return s.tauStart;
  return s.tauStart * (s.tauEnd / s.tauStart) ** ((step - s.from) / (s.to - s.from));
}
