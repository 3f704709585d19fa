import { describe, expect, test } from 'vitest';
import { randn } from '../../src/index.js';
import { checkEps, checkLastAxis, checkPositiveInt } from '../../src/nn/checks.js';

describe('nn argument checks', () => {
  test('checkPositiveInt names the owner, the argument and the value', () => {
    expect(() => checkPositiveInt('Router', 'nExperts', 3)).not.toThrow();
    expect(() => checkPositiveInt('Router', 'nExperts', 0)).toThrow('Router: nExperts must be a positive integer, got 0');
    expect(() => checkPositiveInt('Router', 'nExperts', 2.5)).toThrow(/got 2\.5/);
  });

  test('checkLastAxis names the expected size and the shape', () => {
    expect(() => checkLastAxis('LayerNorm', randn([2, 4]), 4)).not.toThrow();
    expect(() => checkLastAxis('LayerNorm', randn([2, 3]), 4)).toThrow("LayerNorm(4): input's last axis must be 4, got shape [2, 3]");
  });

  test('checkEps refuses zero, negatives, NaN and infinity', () => {
    expect(() => checkEps('RMSNorm', 1e-6)).not.toThrow();
    for (const bad of [0, -1, NaN, Infinity]) expect(() => checkEps('RMSNorm', bad)).toThrow(/RMSNorm: eps must be a positive number/);
  });
});
