/**
 * Inference modes on the command line: 'dense', 'topK:2', 'threshold:0.5',
 * 'thresholdTopK:0.5' (case-insensitive names), and the eval sweep. (Their
 * labels in tables are modeLabel's, src/train/sparse-eval.ts.)
 */
import type { InferMode } from '../moe/routing.js';
import { UsageError } from './args.js';

export function parseMode(text: string, flag = 'mode'): InferMode {
  const [name = '', arg, extra] = text.split(':');
  const value = (): number => {
    const v = Number(arg);
    if (arg === undefined || arg.trim() === '' || !Number.isFinite(v) || extra !== undefined) {
      throw new UsageError(`--${flag} '${text}': ${name} needs one number after a colon, e.g. ${name}:${name.toLowerCase() === 'topk' ? 2 : 0.5}`);
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
    default:
      throw new UsageError(`--${flag} '${text}': unknown mode (expected dense, topK:K, threshold:EPS or thresholdTopK:EPS)`);
  }
}

function nonNegative(v: number, text: string, flag: string): number {
  if (v < 0) throw new UsageError(`--${flag} '${text}': eps must be ≥ 0`);
  return v;
}

/** The eval sweep: dense, topK for every k, and the thresholds under both threshold modes. */
export function sweepModes(nExperts: number, thresholds: readonly number[]): InferMode[] {
  const modes: InferMode[] = [{ mode: 'dense' }];
  for (let k = 1; k <= nExperts; k++) modes.push({ mode: 'topK', k });
  for (const eps of thresholds) modes.push({ mode: 'threshold', eps });
  for (const eps of thresholds) modes.push({ mode: 'thresholdTopK', eps });
  return modes;
}

export const DEFAULT_THRESHOLDS: readonly number[] = [0.25, 0.5, 0.75, 1, 1.5, 2];
