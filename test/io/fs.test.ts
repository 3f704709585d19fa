import { describe, expect, test } from 'vitest';
import { spawn } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildSync } from 'esbuild';
import { readFileChecked, writeFileAtomic } from '../../src/io/fs.js';

const fresh = (): string => mkdtempSync(join(tmpdir(), 'atomic-'));

describe('writeFileAtomic', () => {
  test('writes, replaces, keeps the file mode and leaves no temp files', () => {
    const dir = fresh();
    const p = join(dir, 'ckpt.safetensors');
    writeFileAtomic(p, Uint8Array.of(1, 2, 3));
    expect(Array.from(readFileSync(p))).toEqual([1, 2, 3]);
    chmodSync(p, 0o640);
    writeFileAtomic(p, 'text');
    expect(readFileSync(p, 'utf8')).toBe('text');
    expect(statSync(p).mode & 0o777).toBe(0o640);
    expect(readdirSync(dir)).toEqual(['ckpt.safetensors']);
  });

  test('a failure before the rename leaves the target untouched and cleans up', () => {
    const dir = fresh();
    const target = join(dir, 'taken');
    mkdirSync(target);
    writeFileSync(join(target, 'inside'), 'x'); // renaming a file over a non-empty folder fails
    expect(() => writeFileAtomic(target, 'new')).toThrow(/cannot write .*taken/);
    expect(readdirSync(dir)).toEqual(['taken']);
    expect(readFileSync(join(target, 'inside'), 'utf8')).toBe('x');
    expect(() => writeFileAtomic(join(dir, 'no', 'such', 'folder.bin'), 'x')).toThrow(/cannot write .*folder.bin: ENOENT/);
  });

  test('a process killed at random moments leaves the old file or the new one, never a partial one', async () => {
    // Bundle the module so a plain `node` child can run it.
    const dir = fresh();
    const entry = fileURLToPath(new URL('../../src/io/fs.ts', import.meta.url));
    const bundle = join(dir, 'fs.mjs');
    buildSync({ entryPoints: [entry], bundle: true, platform: 'node', format: 'esm', outfile: bundle, logLevel: 'silent' });
    const target = join(dir, 'state.bin');
    const SIZE = 4 << 20;
    writeFileSync(target, new Uint8Array(SIZE).fill(0));
    // The child rewrites the file forever, each generation filled with its own byte,
    // and reports each finished write, so we can kill it once it is busy writing.
    const child = `
      const { writeFileAtomic } = await import(${JSON.stringify(bundle)});
      for (let g = 1; ; g = (g % 250) + 1) {
        writeFileAtomic(${JSON.stringify(target)}, new Uint8Array(${SIZE}).fill(g));
        process.stdout.write('w');
      }
    `;
    for (let round = 0; round < 12; round++) {
      const p = spawn(process.execPath, ['--input-type=module', '-e', child], { stdio: ['ignore', 'pipe', 'ignore'] });
      await new Promise((resolve, reject) => {
        p.stdout.once('data', resolve);
        p.once('exit', (code) => reject(new Error(`the writer child exited (${code}) before its first write`)));
      });
      await new Promise((r) => setTimeout(r, Math.random() * 40));
      p.kill('SIGKILL');
      await new Promise((r) => p.once('exit', r));
      const bytes = readFileSync(target);
      expect(bytes.length).toBe(SIZE);
      expect(bytes[0]).not.toBe(0); // at least the first write landed
      expect(bytes.every((b) => b === bytes[0])).toBe(true);
    }
    // Most of the child's time is spent inside writeFileAtomic, so some kills interrupted a write.
    expect(readdirSync(dir).some((f) => f.endsWith('.tmp'))).toBe(true);
    // Temp files of killed writers may remain beside it; the target is always whole.
    for (const f of readdirSync(dir)) expect(f === 'state.bin' || f === 'fs.mjs' || /^\.state\.bin\.\d+\.[0-9a-f]{8}\.tmp$/.test(f)).toBe(true);
  });
});

describe('readFileChecked', () => {
  test('reads a file', () => {
    const p = join(fresh(), 'f');
    writeFileSync(p, 'abc');
    expect(Array.from(readFileChecked(p))).toEqual([97, 98, 99]);
  });

  test('missing, empty, folder and too-large files are clear errors', () => {
    const dir = fresh();
    writeFileSync(join(dir, 'empty'), '');
    writeFileSync(join(dir, 'big'), 'x'.repeat(100));
    expect(() => readFileChecked(join(dir, 'nope'), { what: 'checkpoint' })).toThrow(/checkpoint .*nope does not exist/);
    expect(() => readFileChecked(join(dir, 'empty'), { what: 'checkpoint' })).toThrow(/checkpoint .*empty is empty/);
    expect(readFileChecked(join(dir, 'empty'), { allowEmpty: true }).length).toBe(0);
    expect(() => readFileChecked(dir)).toThrow(/is a folder, not a file/);
    expect(() => readFileChecked(join(dir, 'big'), { maxBytes: 10 })).toThrow(/is 100 bytes, more than the 10-byte limit/);
    expect(existsSync(join(dir, 'big'))).toBe(true);
  });
});
