import { describe, expect, test } from 'vitest';
import { KvCache, randn } from '../../src/index.js';

describe('KvCache', () => {
  test('appends along the sequence axis and reports its length', async () => {
    const c = new KvCache();
    expect(c.length).toBe(0);
    const k1 = randn([1, 2, 3, 4]);
    const v1 = randn([1, 2, 3, 4]);
    c.append(k1, v1);
    const { k, v } = c.append(randn([1, 2, 1, 4]), randn([1, 2, 1, 4]));
    expect(c.length).toBe(4);
    expect(k.shape).toEqual([1, 2, 4, 4]);
    expect(Array.from(await v.slice(2, 0, 3).data())).toEqual(Array.from(await v1.data()));
    c.clear();
    expect(c.length).toBe(0);
  });
});
