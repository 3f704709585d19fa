/** Shared by the CLI tests: a small corpus folder, tiny model flags, and captured output. */
import { mkdtempSync, mkdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { vi } from 'vitest';

const SENTENCES = [
  'The jury said it did find that the city had been ably run.',
  'A small dog ran across the field and barked at the moon.',
  'Scientists measured the rate at which the solution cooled.',
  'She opened the letter slowly and read it twice by the window.',
  'The committee will meet again next week to discuss the budget.',
  'Rain fell all night on the quiet streets of the old town.',
];

/** A folder of six short documents: enough to split by document and draw windows of 16 tokens. */
export function tinyCorpus(): string {
  const dir = mkdtempSync(join(tmpdir(), 'dsmoe-corpus-'));
  mkdirSync(join(dir, 'docs'));
  SENTENCES.forEach((s, i) => writeFileSync(join(dir, 'docs', `doc${i}.txt`), `${s} ${SENTENCES[(i + 1) % SENTENCES.length]}\n`.repeat(3)));
  return join(dir, 'docs');
}

export function tempDir(): string {
  return mkdtempSync(join(tmpdir(), 'dsmoe-run-'));
}

/** A model and budget that train in well under a second per step on the cpu backend. */
export function tinyFlags(corpus: string, out: string): string[] {
  return [
    '--corpus', corpus, '--out', out, '--backend', 'cpu', '--quiet',
    '--d-model', '16', '--layers', '1', '--heads', '2', '--kv-heads', '1', '--head-dim', '8', '--attn-experts', '2',
    '--experts', '4', '--expert-hidden', '8', '--seq-len', '16', '--batch-size', '2',
    '--eval-tokens', '64', '--eval-every', '2', '--checkpoint-every', '2', '--val-fraction', '0.34',
  ];
}

/** Runs `fn` with process.stdout and stderr captured. */
export async function capture(fn: () => Promise<void>): Promise<{ stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  const out = vi.spyOn(process.stdout, 'write').mockImplementation((s: string | Uint8Array) => ((stdout += String(s)), true));
  const err = vi.spyOn(process.stderr, 'write').mockImplementation((s: string | Uint8Array) => ((stderr += String(s)), true));
  try {
    await fn();
  } finally {
    out.mockRestore();
    err.mockRestore();
  }
  return { stdout, stderr };
}
