/**
 * A write that fails half-way (disk full) must leave the old file as it was
 * and no temp file behind. node:fs is mocked in this file only: writeSync
 * writes half of what it is asked, then fails the next call with ENOSPC.
 */
import { expect, test, vi } from 'vitest';

let failNext = false;
vi.mock('node:fs', async (importOriginal) => {
  const real = await importOriginal<typeof import('node:fs')>();
  const writeSync = ((fd: number, buf: Uint8Array, offset: number, length: number): number => {
    if (!failNext) return real.writeSync(fd, buf, offset, length);
    if (length > 1) return real.writeSync(fd, buf, offset, Math.floor(length / 2));
    throw Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC' });
  }) as typeof real.writeSync;
  return { ...real, default: { ...real, writeSync }, writeSync };
});

const { mkdtempSync, readdirSync, readFileSync, writeFileSync } = await import('node:fs');
const { join } = await import('node:path');
const { tmpdir } = await import('node:os');
const { writeFileAtomic } = await import('../../src/io/fs.js');

test('a failure in the middle of writing keeps the old file and removes the partial temp file', () => {
  const dir = mkdtempSync(join(tmpdir(), 'enospc-'));
  const p = join(dir, 'model.safetensors');
  writeFileSync(p, 'the last good checkpoint');
  failNext = true;
  // The loop keeps writing what is left; the mock fails once only a byte remains.
  expect(() => writeFileAtomic(p, new Uint8Array(1000).fill(7))).toThrow(/cannot write .*model.safetensors: ENOSPC/);
  failNext = false;
  expect(readFileSync(p, 'utf8')).toBe('the last good checkpoint');
  expect(readdirSync(dir)).toEqual(['model.safetensors']);
});
