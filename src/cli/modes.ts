/**
 * Inference modes on the command line: 'dense', 'topK:2', 'threshold:0.5',
 * 'thresholdTopK:0.5', 'topP:0.9' (case-insensitive names), and the eval sweep. (Their
 * labels in tables are modeLabel's, src/train/sparse-eval.ts.)
 */
import type { InferMode } from '../moe/routing.js';
import { UsageError } from './args.js';

export function parseMode(text: string, flag = 'mode'): InferMode {
  const [name = '', arg, extra] = text.split(':');
  const value = (): number => {
    const v = Number(arg);
    if (arg === undefined || arg.trim() === '' || !Number.isFinite(v) || extra !== undefined) {
      const example = { topk: 2, topp: 0.9 }[name.toLowerCase()] ?? 0.5;
      throw new UsageError(`--${flag} '${text}': ${name} needs one number after a colon, e.g. ${name}:${example}`);
    }
    return v;
  };
  switch (name.toLowerCase()) {
    case 'dense':
      if (arg !== undefined) throw new UsageError(`--${flag} '${text}': dense takes no argument`);
      return { mode: 'dense' };
    case 'topk': {
      const k = value();
      if (!Number.isInteger(k) || k < 1) throw new UsageError(`--${flag} '${text}': k must be a positive integer`);
      return { mode: 'topK', k };
    }
    case 'threshold':
      return { mode: 'threshold', eps: nonNegative(value(), text, flag) };
    case 'thresholdtopk':
      return { mode: 'thresholdTopK', eps: nonNegative(value(), text, flag) };
    case 'topp': {
      const p = value();
      if (!(p > 0 && p <= 1)) throw new UsageError(`--${flag} '${text}': p=${p} must be in (0, 1]`);
      return { mode: 'topP', p };
    }
    default:
      throw new UsageError(`--${flag} '${text}': unknown mode (expected dense, topK:K, threshold:EPS, thresholdTopK:EPS or topP:P)`);
  }
}

function nonNegative(v: number, text: string, flag: string): number {
  if (v < 0) throw new UsageError(`--${flag} '${text}': eps must be ≥ 0`);
  return v;
}

/** The eval sweep: dense, topK for every k, the thresholds under both threshold modes, and top-p at each mass. */
export function sweepModes(nExperts: number, thresholds: readonly number[], masses: readonly number[] = DEFAULT_TOP_P): InferMode[] {
  const modes: InferMode[] = [{ mode: 'dense' }];
  for (let k = 1; k <= nExperts; k++) modes.push({ mode: 'topK', k });
  for (const eps of thresholds) modes.push({ mode: 'threshold', eps });
  for (const eps of thresholds) modes.push({ mode: 'thresholdTopK', eps });
  for (const p of masses) modes.push({ mode: 'topP', p });
  return modes;
}

export const DEFAULT_THRESHOLDS: readonly number[] = [0.25, 0.5, 0.75, 1, 1.5, 2];
export const DEFAULT_TOP_P: readonly number[] = [0.5, 0.7, 0.8, 0.9];
