/** Flag parsing: numbers, choices and inference modes are checked, and bad values are named. */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { choice, num, numList, parseFlags, UsageError } from '../../src/cli/args.js';
import { parseMode, sweepModes } from '../../src/cli/modes.js';
import { modeLabel } from '../../src/train/sparse-eval.js';
import type { InferMode } from '../../src/moe/routing.js';

describe('num', () => {
  it('accepts every finite number in bounds and rejects what is outside, naming the flag', () => {
    fc.assert(fc.property(fc.double({ min: -1e6, max: 1e6, noNaN: true }), (v) => {
      const flags = { lr: String(v) };
      if (v >= 0) expect(num(flags, 'lr', { min: 0 })).toBe(Number(String(v)));
      else expect(() => num(flags, 'lr', { min: 0 })).toThrow(/--lr must be ≥ 0/);
    }), { numRuns: 50 });
  });

  it('rejects non-numbers and non-integers where a count is meant', () => {
    fc.assert(fc.property(fc.string().filter((s) => s.trim() === '' || !Number.isFinite(Number(s))), (s) => {
      expect(() => num({ steps: s }, 'steps')).toThrow(UsageError);
    }), { numRuns: 30 });
    expect(() => num({ steps: '2.5' }, 'steps', { integer: true })).toThrow(/--steps must be an integer, got '2.5'/);
    expect(num({}, 'steps')).toBeUndefined();
  });

  it('lists and choices', () => {
    expect(numList({ thresholds: '0.5,1,2' }, 'thresholds')).toEqual([0.5, 1, 2]);
    expect(() => numList({ thresholds: '0.5,,2' }, 'thresholds')).toThrow(/--thresholds/);
    expect(choice({ kind: 'smoe' }, 'kind', ['dsmoe', 'smoe'])).toBe('smoe');
    expect(() => choice({ kind: 'moe' }, 'kind', ['dsmoe', 'smoe'])).toThrow(/--kind must be one of dsmoe, smoe; got 'moe'/);
  });

  it('parseFlags names unknown flags and stray arguments', () => {
    expect(() => parseFlags('train', ['--stpes', '3'], { steps: { type: 'string' } })).toThrow(/dsmoe train: .*stpes/);
    expect(() => parseFlags('train', ['extra'], { steps: { type: 'string' } })).toThrow(/dsmoe train/);
  });
});

describe('parseMode', () => {
  const modeArb: fc.Arbitrary<InferMode> = fc.oneof(
    fc.constant<InferMode>({ mode: 'dense' }),
    fc.integer({ min: 1, max: 64 }).map<InferMode>((k) => ({ mode: 'topK', k })),
    fc.double({ min: 0, max: 10, noNaN: true }).map<InferMode>((eps) => ({ mode: 'threshold', eps })),
    fc.double({ min: 0, max: 10, noNaN: true }).map<InferMode>((eps) => ({ mode: 'thresholdTopK', eps })),
    fc.double({ min: Number.MIN_VALUE, max: 1, noNaN: true }).map<InferMode>((p) => ({ mode: 'topP', p })),
  );

  it('round-trips every mode through its command-line spelling', () => {
    fc.assert(fc.property(modeArb, (m) => {
      const text = m.mode === 'dense' ? 'dense' : m.mode === 'topK' ? `topK:${m.k}` : m.mode === 'topP' ? `topP:${m.p}` : `${m.mode}:${m.eps}`;
      expect(parseMode(text)).toEqual(m);
      expect(parseMode(text.toLowerCase())).toEqual(m);
      expect(modeLabel(m)).toContain(m.mode);
    }), { numRuns: 50 });
  });

  it('rejects malformed modes with the accepted forms', () => {
    expect(() => parseMode('topK')).toThrow(/topK needs one number after a colon/);
    expect(() => parseMode('topK:0')).toThrow(/k must be a positive integer/);
    expect(() => parseMode('topK:1.5')).toThrow(/k must be a positive integer/);
    expect(() => parseMode('threshold:-1')).toThrow(/eps must be ≥ 0/);
    expect(() => parseMode('sparse:2')).toThrow(/unknown mode .*dense, topK:K, threshold:EPS, thresholdTopK:EPS or topP:P/);
    expect(() => parseMode('topP:0')).toThrow(/p=0 must be in \(0, 1\]/);
    expect(() => parseMode('topP:1.5')).toThrow(/p=1.5 must be in \(0, 1\]/);
    expect(() => parseMode('topP')).toThrow(/topP needs one number after a colon, e.g. topP:0.9/);
    expect(() => parseMode('dense:1')).toThrow(/dense takes no argument/);
  });

  it('the eval sweep holds dense, topK 1..N, both threshold modes per ε and top-p per mass', () => {
    fc.assert(fc.property(fc.integer({ min: 1, max: 32 }), fc.array(fc.double({ min: 0, max: 4, noNaN: true }), { maxLength: 6 }), (n, eps) => {
      const modes = sweepModes(n, eps, [0.5, 0.9]);
      expect(modes.length).toBe(1 + n + 2 * eps.length + 2);
      expect(modes.filter((m) => m.mode === 'topP')).toEqual([{ mode: 'topP', p: 0.5 }, { mode: 'topP', p: 0.9 }]);
      expect(modes.filter((m) => m.mode === 'topK').map((m) => (m.mode === 'topK' ? m.k : 0))).toEqual(Array.from({ length: n }, (_, i) => i + 1));
    }), { numRuns: 20 });
  });
});
