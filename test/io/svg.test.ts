import { describe, expect, test } from 'vitest';
import fc from 'fast-check';
import { barChart, heatmap, lineChart, niceTicks } from '../../src/io/svg.js';
import { fmt, logTicks } from '../../src/io/svg-kit.js';
import { allText, parseXml, walk, type XmlElement } from './xml-check.js';

const name = fc.string({ unit: 'binary', maxLength: 12 });
const value = fc.oneof(fc.double({ min: -1e6, max: 1e6, noNaN: true }), fc.constantFrom(NaN, Infinity, -Infinity, 0, 1e-12));

/** The document parses, is a standalone SVG, and holds no non-numbers in its drawing. */
function checkSvg(svg: string): XmlElement {
  const root = parseXml(svg);
  expect(root.name).toBe('svg');
  expect(root.attrs.xmlns).toBe('http://www.w3.org/2000/svg');
  const [w, h] = [Number(root.attrs.width), Number(root.attrs.height)];
  for (const el of walk(root)) {
    for (const [k, v] of Object.entries(el.attrs)) {
      if (k !== 'd' && !['x', 'y', 'x1', 'x2', 'y1', 'y2', 'cx', 'cy', 'width', 'height', 'transform', 'r'].includes(k)) continue;
      expect(v).not.toMatch(/NaN|Infinity|undefined/);
      if (['x', 'x1', 'x2', 'cx'].includes(k)) expect(Number(v)).toBeGreaterThanOrEqual(-1), expect(Number(v)).toBeLessThanOrEqual(w + 1);
      if (['y', 'y1', 'y2', 'cy'].includes(k)) expect(Number(v)).toBeGreaterThanOrEqual(-1), expect(Number(v)).toBeLessThanOrEqual(h + 1);
    }
  }
  return root;
}

describe('lineChart', () => {
  test('valid SVG with axes, one path per unbroken run, and a legend, for any data', () => {
    const series = fc.array(fc.record({ name, points: fc.array(fc.tuple(value, value), { maxLength: 30 }) }), { minLength: 1, maxLength: 4 });
    fc.assert(fc.property(series, fc.boolean(), fc.option(name, { nil: undefined }), (s, logY, title) => {
      const root = checkSvg(lineChart({ series: s, logY, title, xLabel: 'step', yLabel: 'loss' }));
      const texts = allText(root);
      for (const one of s) {
        // Characters XML cannot hold at all are shown as U+FFFD.
        const shown = one.name.replace(/[\u0000-\u0008\u000b\u000c\u000e-\u001f\ufffe\uffff]|\p{Cs}/gu, '\uFFFD');
        if (shown !== '') expect(texts).toContain(shown);
      }
      expect(texts).toContain('step');
    }), { numRuns: 100 });
  });

  test('draws the expected elements', () => {
    const svg = lineChart({
      title: 'Loss', xLabel: 'step', yLabel: 'nats',
      series: [
        { name: 'train <a&b>', points: [[0, 3], [1, 2], [2, NaN], [3, 1.5], [4, 1.2]] },
        { name: 'val', points: [[0, 3.1]], dashed: true },
      ],
    });
    const root = checkSvg(svg);
    const paths = [...walk(root)].filter((e) => e.name === 'path');
    expect(paths).toHaveLength(2); // the NaN splits 'train' in two runs; 'val' is one point
    expect([...walk(root)].filter((e) => e.name === 'circle')).toHaveLength(1);
    const texts = allText(root);
    expect(texts).toEqual(expect.arrayContaining(['Loss', 'step', 'nats', 'train <a&b>', 'val']));
    expect(svg).toContain('train &lt;a&amp;b&gt;');
  });

  test('log axis leaves out values ≤ 0; empty data says so; bad sizes are errors', () => {
    const root = checkSvg(lineChart({ logY: true, series: [{ name: 'x', points: [[0, -1], [1, 0]] }] }));
    expect(allText(root)).toContain('no data');
    expect(() => lineChart({ series: [] })).toThrow(/no series/);
    expect(() => lineChart({ series: [{ name: 'a', points: [] }], width: 10 })).toThrow(/width and height must be between/);
  });
});

describe('heatmap', () => {
  test('one cell per value, labels, a colour bar; nested or flat input', () => {
    const values = [[0, 0.5, 1], [0.25, NaN, 0.75]];
    const a = heatmap({ values, rowLabels: ['layer 0', 'layer 1'], colLabels: ['E0', 'E1', 'E2'], title: 'Load' });
    const b = heatmap({ values: values.flat(), rows: 2, cols: 3, rowLabels: ['layer 0', 'layer 1'], colLabels: ['E0', 'E1', 'E2'], title: 'Load' });
    expect(a).toBe(b);
    const root = checkSvg(a);
    const cells = [...walk(root)].filter((e) => e.name === 'rect' && e.children.some((c) => c.name === 'title'));
    expect(cells).toHaveLength(6);
    expect(cells.map((c) => c.attrs.fill)).toContain('#bbbbbb'); // the NaN cell
    expect(allText(root)).toEqual(expect.arrayContaining(['layer 0', 'layer 1', 'E0', 'E2', 'n/a', '0.50', 'Load']));
    expect([...walk(root)].some((e) => e.name === 'linearGradient')).toBe(true);
  });

  test('valid for any grid', () => {
    const grid = fc.integer({ min: 1, max: 6 }).chain((c) => fc.array(fc.array(value, { minLength: c, maxLength: c }), { minLength: 1, maxLength: 6 }));
    fc.assert(fc.property(grid, fc.array(name, { minLength: 6, maxLength: 6 }), (g, labels) => {
      checkSvg(heatmap({ values: g, rowLabels: labels.slice(0, g.length), colLabels: labels.slice(0, g[0]!.length) }));
    }), { numRuns: 100 });
  });

  test('mismatched input is a clear error', () => {
    expect(() => heatmap({ values: [[1, 2], [3]] })).toThrow(/row 1 has 1 values, row 0 has 2/);
    expect(() => heatmap({ values: [1, 2, 3], rows: 2, cols: 2 })).toThrow(/3 values for 2×2 cells/);
    expect(() => heatmap({ values: [[1]], rowLabels: ['a', 'b'] })).toThrow(/2 row labels for 1 rows/);
    expect(() => heatmap({ values: [] })).toThrow(/no cells/);
  });
});

describe('barChart', () => {
  test('one bar per (category, series), a legend for several series, bars from zero', () => {
    const root = checkSvg(barChart({
      title: 'Perplexity', categories: ['dense', 'top-1', 'top-2'],
      series: [{ name: 'DS-MoE', values: [12, 19, 13] }, { name: 'SMoE', values: [14, 15, -2] }],
    }));
    const bars = [...walk(root)].filter((e) => e.name === 'rect' && e.children.some((c) => c.name === 'title'));
    expect(bars).toHaveLength(6);
    expect(allText(root)).toEqual(expect.arrayContaining(['dense', 'top-2', 'DS-MoE', 'SMoE', '0']));
  });

  test('valid for any values; bad input is a clear error', () => {
    fc.assert(fc.property(fc.array(name, { minLength: 1, maxLength: 8 }), fc.integer({ min: 1, max: 3 }), fc.double({ min: -1e4, max: 1e4, noNaN: true }), (cats, k, v) => {
      checkSvg(barChart({ categories: cats, series: Array.from({ length: k }, (_, i) => ({ name: `s${i}`, values: cats.map((_, j) => v * (j - i)) })) }));
    }), { numRuns: 100 });
    expect(() => barChart({ categories: ['a'], series: [{ name: 's', values: [NaN] }] })).toThrow(/series 's' has NaN for 'a'/);
    expect(() => barChart({ categories: ['a', 'b'], series: [{ name: 's', values: [1] }] })).toThrow(/1 values for 2 categories/);
  });
});

describe('ticks', () => {
  test('nice ticks cover the range in 1-2-5 steps', () => {
    fc.assert(fc.property(fc.double({ min: -1e6, max: 1e6, noNaN: true }), fc.double({ min: 1e-6, max: 1e6, noNaN: true }), (lo, span) => {
      const t = niceTicks(lo, lo + span);
      expect(t[0]!).toBeLessThanOrEqual(lo);
      expect(t[t.length - 1]!).toBeGreaterThanOrEqual(lo + span - 1e-9 * Math.abs(lo + span));
      expect(t.length).toBeLessThanOrEqual(12);
      const step = t[1]! - t[0]!;
      const unit = 10 ** Math.floor(Math.log10(step) + 1e-9);
      const m = step / unit;
      // Two ticks near ±1e4 a step of 5e-6 apart differ in their last bits: allow the float error of the subtraction.
      const tol = 1e-6 + (4 * Number.EPSILON * Math.max(Math.abs(t[0]!), Math.abs(t[1]!))) / unit;
      expect([1, 2, 5, 10].some((x) => Math.abs(m - x) < tol), `step ${step} (m = ${m})`).toBe(true);
    }), { numRuns: 300 });
  });

  test('log ticks and labels', () => {
    expect(logTicks(0.01, 2000)).toEqual([0.01, 0.1, 1, 10, 100, 1000]);
    expect(logTicks(2, 30)).toEqual([2, 5, 10, 20]);
    expect(logTicks(2.1, 2.6).length).toBeGreaterThan(0);
    expect([1500, 2e6, 0.25, 0.00012, 0].map(fmt)).toEqual(['1500', '2M', '0.25', '1.2e-4', '0']);
  });
});

test('a log axis over one subnormal value still draws', () => {
  checkSvg(lineChart({ logY: true, series: [{ name: 'tiny', points: [[0, 5e-324], [1, 5e-324]] }] }));
  checkSvg(lineChart({ logY: true, series: [{ name: 'flat', points: [[0, 2], [1, 2]] }] }));
});
