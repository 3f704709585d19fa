/**
 * The benchmark entry: `npm run bench -- <kernels|moe-step|moe-infer|lm-train|lm-infer> [--json] [sizes]`.
 * Prints markdown tables (ours and every peer from the same run, with the
 * speedup); --json prints the rows as JSON as well. `sizes` (comma or space
 * separated numbers) overrides the matmul sizes of `kernels`, the steps of
 * `lm-train`; `lm-infer` (the whole model's prefill and decode tokens/s in
 * every routing mode) takes none. `profile <moe-step|lm-train> [backend]`
 * breaks a step down by primitive.
 */
import { kernels } from './kernels.js';
import { moeStep } from './moe-step.js';
import { moeInfer } from './moe-infer.js';
import { lmTrain } from './lm-train.js';
import { lmInfer } from './lm-infer.js';
import { profile } from './profile.js';
import type { Row } from './util.js';

const BENCHES: Record<string, (sizes: number[], args: string[]) => Promise<Row[]>> = {
  kernels,
  'moe-step': () => moeStep(),
  'moe-infer': () => moeInfer(),
  'lm-train': lmTrain,
  'lm-infer': () => lmInfer(),
  profile: (_, args) => profile(args[0] ?? 'moe-step', args[1]),
};

export async function main(argv: string[]): Promise<void> {
  const json = argv.includes('--json');
  const rest = argv.filter((a) => a !== '--json');
  const name = rest[0];
  if (!name || !BENCHES[name]) {
    console.error(`usage: npm run bench -- <${Object.keys(BENCHES).join('|')}> [--json] [sizes]`);
    process.exitCode = 2;
    return;
  }
  const sizes = name === 'profile' ? [] : rest.slice(1).flatMap((s) => s.split(',')).filter(Boolean).map(Number);
  if (sizes.some((n) => !Number.isInteger(n) || n < 1)) {
    console.error(`bench: sizes must be positive integers, got ${rest.slice(1).join(' ')}`);
    process.exitCode = 2;
    return;
  }
  const os = await import('node:os');
  console.log(`# dsmoe bench ${name} — ${new Date().toISOString()} — ${os.cpus()[0]?.model ?? 'cpu'} × ${os.availableParallelism()} — Node ${process.version}`);
  const rows = await BENCHES[name]!(sizes, rest.slice(1));
  if (json) console.log(JSON.stringify({ bench: name, date: new Date().toISOString(), node: process.version, cores: os.availableParallelism(), rows }, null, 1));
}
