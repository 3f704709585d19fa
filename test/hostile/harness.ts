/**
 * The hostile suite's harness: the built CLI, a child process per case with
 * its peak memory, an outcome per case, and the record the reliability
 * table is made from (scripts/reliability.mjs).
 *
 * Outcomes:
 *   error     exit 1 or 2 with the one-line `dsmoe <command>: <message>` the case expects
 *   accepted  exit 0 where the case documents acceptance (and its output passes the case's check)
 *   crash     a signal, another exit code, a stack trace, or no exit at all (out of memory)
 *   hang      still running at the case's time limit (killed)
 *   wrong     exit 0 where an error was due, or an accepted output that fails its check
 *   unexpected  any other mismatch (a different error, an error where acceptance was documented)
 */
import { spawn } from 'node:child_process';
import { appendFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, expect } from 'vitest';
import { buildNode, root } from '../../scripts/build.mjs';
import { tinyCorpus } from '../cli/helpers.js';

const PROBE = fileURLToPath(new URL('./rss-probe.mjs', import.meta.url));

/**
 * Builds the CLI (dist/node/cli.js) into a scratch folder under test-output/,
 * where its imports resolve from node_modules; `remove` deletes it.
 */
export async function buildCli(): Promise<{ cli: string; remove: () => void }> {
  mkdirSync(join(root, 'test-output'), { recursive: true });
  const out = mkdtempSync(join(root, 'test-output', 'hostile-'));
  await buildNode({ out, quiet: true });
  return { cli: join(out, 'node', 'cli.js'), remove: () => rmSync(out, { recursive: true, force: true }) };
}

/**
 * For a file whose tests run the CLI as a child process: the CLI built and a
 * tiny corpus written before its tests, both removed after. Read the fields
 * inside a test (they are set by then).
 */
export function builtCli(): { readonly cli: string; readonly corpus: string } {
  const fixture = { cli: '', corpus: '' };
  let remove = (): void => {};
  beforeAll(async () => {
    const built = await buildCli();
    fixture.cli = built.cli;
    remove = built.remove;
    fixture.corpus = tinyCorpus();
  }, 120_000);
  afterAll(() => remove());
  return fixture;
}

export interface ChildRun {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  /** Peak resident set in MiB (NaN when the process wrote no report: it did not exit normally). */
  peakMB: number;
  /** RSS samples [ms since start, bytes] when asked for. */
  samples: [number, number][];
  timedOut: boolean;
  ms: number;
}

export interface RunOptions {
  timeoutMs?: number;
  env?: Record<string, string>;
  cwd?: string;
  /** Sample RSS this often (ms). */
  sampleEveryMs?: number;
  /** Called with the child once it is spawned (the kill test aims its kills from here). */
  onSpawn?: (pid: number) => void;
  /** Called with each piece of stderr and when it came (ms since the spawn). */
  onStderr?: (text: string, ms: number) => void;
}

/** Runs `node <script> ...args` with the RSS probe preloaded; never throws for the child's failures. */
export function runNode(script: string, args: readonly string[], opts: RunOptions = {}): Promise<ChildRun> {
  const dir = mkdtempSync(join(tmpdir(), 'dsmoe-probe-'));
  const report = join(dir, 'rss.json');
  const t0 = performance.now();
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', PROBE, script, ...args], {
      cwd: opts.cwd,
      env: { ...process.env, DSMOE_RSS_OUT: report, DSMOE_RSS_EVERY_MS: String(opts.sampleEveryMs ?? 0), ...opts.env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    // Keep the ends: a case may print a lot (generate), and the message is at the end.
    const keep = (s: string, more: Buffer): string => (s + more.toString()).slice(-65_536);
    child.stdout.on('data', (b: Buffer) => (stdout = keep(stdout, b)));
    child.stderr.on('data', (b: Buffer) => {
      stderr = keep(stderr, b);
      opts.onStderr?.(b.toString(), performance.now() - t0);
    });
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGKILL');
    }, opts.timeoutMs ?? 60_000);
    child.on('error', reject);
    if (child.pid !== undefined) opts.onSpawn?.(child.pid);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      let peakMB = NaN;
      let samples: [number, number][] = [];
      try {
        const r = JSON.parse(readFileSync(report, 'utf8')) as { maxRssKB: number; samples: [number, number][] };
        peakMB = r.maxRssKB / 1024;
        samples = r.samples;
      } catch {
        // No report: the process did not exit through Node's exit event.
      }
      rmSync(dir, { recursive: true, force: true });
      resolve({ code, signal, stdout, stderr, peakMB, samples, timedOut, ms: performance.now() - t0 });
    });
  });
}

/** Runs `jobs` with a few at a time (the cases are independent processes). */
export async function pool<T, R>(items: readonly T[], job: (item: T) => Promise<R>, width = Math.max(1, Math.min(4, availableParallelism()))): Promise<R[]> {
  const out = new Array<R>(items.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const i = next++;
      out[i] = await job(items[i]!);
    }
  };
  await Promise.all(Array.from({ length: width }, worker));
  return out;
}

/** 'survived': a kill -9 after which the run folder loaded and the run resumed (kill.test.ts). */
export type Outcome = 'error' | 'accepted' | 'crash' | 'hang' | 'wrong' | 'unexpected' | 'survived';

/**
 * What a case may end in: an error whose message matches `error`, and/or
 * acceptance (documented by `why`) whose output passes `accept`.
 */
export interface Expectation {
  error?: RegExp;
  accept?: (stdout: string) => void;
  why?: string;
}

export interface CaseRecord {
  suite: string;
  name: string;
  outcome: Outcome;
  /** The error's message, or what was wrong. */
  detail: string;
  peakMB: number;
  limitMB: number;
  fileBytes?: number;
}

const STACK = /^\s+at .+(:\d+:\d+\)?|\(native\))$/m;
const FATAL = /FATAL ERROR|heap out of memory|Segmentation fault|Aborted|Maximum call stack/;

/** The outcome of a CLI run against what the case expects. */
export function classify(run: ChildRun, want: Expectation): { outcome: Outcome; detail: string } {
  if (run.timedOut) return { outcome: 'hang', detail: `still running after ${Math.round(run.ms)} ms` };
  // The one-line message; failing that the first line said (the usage, for a bare `dsmoe`).
  const message = /\ndsmoe [a-z]+: (.+)\n/.exec(`\n${run.stderr}`)?.[1] ?? (run.stderr.trim() || run.stdout.trim()).split('\n')[0] ?? '';
  if (run.signal !== null || (run.code !== 0 && run.code !== 1 && run.code !== 2) || STACK.test(run.stderr) || FATAL.test(run.stderr) || Number.isNaN(run.peakMB)) {
    return { outcome: 'crash', detail: `exit ${run.code ?? run.signal}: ${run.stderr.trim().slice(-300)}` };
  }
  if (run.code === 0) {
    if (!want.accept) return { outcome: 'wrong', detail: `exit 0 where ${String(want.error)} was due; printed ${run.stdout.slice(0, 200)}` };
    try {
      want.accept(run.stdout);
    } catch (e) {
      return { outcome: 'wrong', detail: `accepted, but ${(e as Error).message}` };
    }
    return { outcome: 'accepted', detail: want.why ?? '' };
  }
  if (want.error?.test(message)) return { outcome: 'error', detail: message };
  return { outcome: 'unexpected', detail: `exit ${run.code}: ${message}` };
}

/** Appends the case to the file DSMOE_RELIABILITY_LOG names, if any: scripts/reliability.mjs makes the table from it. */
export function record(rec: CaseRecord): void {
  const log = process.env.DSMOE_RELIABILITY_LOG;
  if (log) appendFileSync(log, `${JSON.stringify(rec)}\n`);
}

/** Records the case and asserts its outcome and its memory. */
export function settle(rec: CaseRecord, want: Expectation): void {
  record(rec);
  const allowed = [...(want.error ? ['error'] : []), ...(want.accept ? ['accepted'] : [])];
  expect(`${rec.outcome}: ${rec.detail}`, `${rec.suite} / ${rec.name}`).toMatch(new RegExp(`^(${allowed.join('|')}): `));
  expect(rec.peakMB, `${rec.suite} / ${rec.name}: peak ${rec.peakMB.toFixed(0)} MiB, limit ${rec.limitMB.toFixed(0)} MiB`).toBeLessThanOrEqual(rec.limitMB);
}

/**
 * The memory a case may take: what the same command takes on a good input
 * (`baseMB`), plus the collector's slack, plus a small multiple of the
 * hostile file — never an amount the file's contents can claim.
 */
export function memoryLimit(baseMB: number, fileBytes = 0): number {
  return baseMB + SLACK_MB + FILE_MULTIPLE * (fileBytes / 2 ** 20);
}

/** Young-generation growth and allocator slack any busy Node process shows (measured: up to ~60 MiB). */
export const SLACK_MB = 64;
/** The reader keeps at most this multiple of a file (safetensors-header.ts; measured worst: ~7x retained). */
export const FILE_MULTIPLE = 16;
