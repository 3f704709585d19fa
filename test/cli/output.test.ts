/** What the CLI prints: markdown tables and the progress bar. */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { formatCount, formatDuration, markdownTable } from '../../src/cli/table.js';
import { ProgressBar } from '../../src/cli/progress.js';

describe('markdownTable', () => {
  it('every line has the same width and as many cells as there are columns', () => {
    const cell = fc.oneof(fc.string({ maxLength: 12 }).filter((s) => !/[\n\r]/.test(s)), fc.double({ noNaN: true, min: -1e6, max: 1e6 }));
    fc.assert(fc.property(fc.integer({ min: 1, max: 5 }).chain((c) => fc.tuple(fc.constant(c), fc.array(fc.array(cell, { minLength: c, maxLength: c }), { maxLength: 6 }))), ([c, rows]) => {
      const headers = Array.from({ length: c }, (_, i) => `col${i}`);
      const lines = markdownTable(headers, rows).split('\n');
      expect(lines.length).toBe(rows.length + 2);
      const width = [...lines[0]!].length;
      for (const l of lines) {
        expect([...l].length).toBe(width);
        expect(l.startsWith('| ') && l.endsWith(' |')).toBe(true);
      }
    }), { numRuns: 30 });
  });

  it('formats counts and durations for people', () => {
    expect(formatCount(999)).toBe('999');
    expect(formatCount(109_000)).toBe('109.0k');
    expect(formatCount(6_186_000_000)).toBe('6.19B');
    expect(formatDuration(42)).toBe('42s');
    expect(formatDuration(65)).toBe('1m 05s');
    expect(formatDuration(NaN)).toBe('?');
  });
});

describe('ProgressBar', () => {
  it('shows step, fields, tokens per second and an ETA from an injected clock', () => {
    let t = 0;
    let written = '';
    const bar = new ProgressBar({ total: 10, out: { write: (s: string) => (written += s), isTTY: false }, now: () => t, every: 5 });
    t = 2000;
    bar.update(5, 5000, { loss: 2.5 });
    expect(written).toContain(' 5/10');
    expect(written).toContain('loss 2.500');
    expect(written).toContain('2500 tok/s');
    expect(written).toContain('ETA 2s');
  });

  it('prints a plain line every `every` steps when the output is not a terminal', () => {
    fc.assert(fc.property(fc.integer({ min: 1, max: 40 }), fc.integer({ min: 1, max: 10 }), (total, every) => {
      let lines = 0;
      const bar = new ProgressBar({ total, every, out: { write: (s: string) => ((lines += s.split('\n').length - 1), true), isTTY: false }, now: () => 0 });
      for (let s = 1; s <= total; s++) bar.update(s, s, {});
      const expected = new Set([1, total, ...Array.from({ length: total }, (_, i) => i + 1).filter((s) => s % every === 0)]).size;
      expect(lines).toBe(expected);
    }), { numRuns: 30 });
  });
});
