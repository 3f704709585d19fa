/**
 * kill -9 during training. One run folder is trained by `dsmoe train`
 * processes that are killed, again and again, at drawn points: early (while
 * it starts), in the middle of a step, as the checkpoint's temp file
 * appears (a torn write), and between the checkpoint and the model file.
 * After every kill the folder must load (the newer of its two files) and
 * its step must not go back; a new process resumes from it. Finally the
 * run is let finish, and its files must equal, bit for bit, those of the
 * same run never interrupted (every tensor and every metadata field but the
 * wall-clock seconds) — so each resume was exact — and no temp file may be
 * left behind.
 */
import fc from 'fast-check';
import { existsSync, mkdirSync, readdirSync, readFileSync, watch } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import '../../src/index.js';
import { loadModel } from '../../src/cli/run-folder.js';
import { decodeSafetensors } from '../../src/io/safetensors.js';
import { tempDir, tinyFlags } from '../cli/helpers.js';
import { builtCli, record, runNode } from './harness.js';

const STEPS = 120;
const KILLS = 24;
const TEMP = /^\.(checkpoint|model)\.safetensors\.(\d+)\.[0-9a-f]+\.tmp$/;

type Aim =
  | { kind: 'early'; ms: number } // a drawn moment of the first 250 ms (start-up, the first step)
  | { kind: 'mid-step'; after: number; ms: number } // ms after the after-th model file appeared
  | { kind: 'checkpoint write'; at: number } // as the at-th checkpoint temp file appears
  | { kind: 'between files'; at: number }; // as the at-th model temp file appears: the checkpoint is one save ahead

const aims = fc.sample(
  fc.oneof(
    fc.record({ kind: fc.constant('early' as const), ms: fc.integer({ min: 0, max: 250 }) }),
    fc.record({ kind: fc.constant('mid-step' as const), after: fc.integer({ min: 1, max: 3 }), ms: fc.integer({ min: 0, max: 25 }) }),
    fc.record({ kind: fc.constant('checkpoint write' as const), at: fc.integer({ min: 1, max: 3 }) }),
    fc.record({ kind: fc.constant('between files' as const), at: fc.integer({ min: 1, max: 3 }) }),
  ),
  { numRuns: KILLS, seed: 2024 },
) as Aim[];

const built = builtCli();

const flags = (out: string): string[] => [...tinyFlags(built.corpus, out), '--steps', String(STEPS), '--checkpoint-every', '1', '--eval-every', '0'];

/**
 * Starts a training process on `dir` (fresh, or resuming its checkpoint)
 * and kills it as `aim` says; resolves when it is gone, false if it
 * finished first. Saves are told apart by their temp files, each created
 * under a new random name.
 */
async function killOnce(dir: string, aim: Aim): Promise<boolean> {
  const resume = existsSync(join(dir, 'checkpoint.safetensors'));
  const args = resume ? ['train', '--resume', '--out', dir, '--quiet'] : ['train', ...flags(dir), '--force'];
  let pid = 0;
  let killed = false;
  const seen = { checkpoint: new Set<string>(), model: new Set<string>() };
  const kill = (): void => {
    if (killed || pid === 0) return;
    killed = true;
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // Already gone.
    }
  };
  mkdirSync(dir, { recursive: true });
  const watcher = watch(dir, (_, name) => {
    const m = name ? TEMP.exec(name) : null;
    if (!m || Number(m[2]) !== pid || killed) return;
    const which = m[1] as 'checkpoint' | 'model';
    if (seen[which].has(name!)) return; // its rename
    seen[which].add(name!);
    const n = seen[which].size;
    if ((aim.kind === 'checkpoint write' && which === 'checkpoint' && n === aim.at) || (aim.kind === 'between files' && which === 'model' && n === aim.at)) kill();
    else if (aim.kind === 'mid-step' && which === 'model' && n === aim.after) setTimeout(kill, aim.ms);
    else if (aim.kind === 'early') kill(); // a save came before the drawn moment: now, so that a cycle never runs far
  });
  // However the events arrive, no cycle runs longer than this.
  let fallback: NodeJS.Timeout | undefined;
  const r = await runNode(built.cli, args, {
    timeoutMs: 60_000,
    onSpawn: (p) => {
      pid = p;
      if (aim.kind === 'early') setTimeout(kill, aim.ms);
      fallback = setTimeout(kill, 1500);
    },
  });
  clearTimeout(fallback);
  watcher.close();
  return !killed && r.code === 0;
}

function stepOf(file: string): number {
  return Number(decodeSafetensors(new Uint8Array(readFileSync(file))).metadata.step);
}

/** Tensors (as bytes) and metadata of a file, the wall-clock seconds left out. */
function contents(file: string): { tensors: Record<string, number[]>; metadata: Record<string, string> } {
  const f = decodeSafetensors(new Uint8Array(readFileSync(file)));
  const tensors = Object.fromEntries(Object.entries(f.tensors).map(([k, t]) => [k, Array.from(new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength))]));
  const { seconds: _, ...metadata } = f.metadata;
  return { tensors, metadata };
}

describe('kill -9 during training', () => {
  it(`${KILLS} kills, each followed by a load and a resume; the finished run equals one never interrupted`, async () => {
    const root = tempDir();
    const reference = join(root, 'reference');
    const ref = await runNode(built.cli, ['train', ...flags(reference)], { timeoutMs: 300_000 });
    expect(ref.code, ref.stderr).toBe(0);

    const dir = join(root, 'killed');
    let last = -1;
    let kills = 0;
    for (const aim of aims) {
      const exited = await killOnce(dir, aim);
      expect(exited, `the run finished before kill ${kills + 1}: make it longer`).toBe(false);
      kills++;
      let step = -1;
      if (existsSync(join(dir, 'checkpoint.safetensors'))) {
        // The folder loads (the newer of its files), the checkpoint itself loads, and no save was lost.
        expect(loadModel(dir).step).toBeGreaterThanOrEqual(last);
        step = loadModel(join(dir, 'checkpoint.safetensors')).step;
        expect(step).toBe(stepOf(join(dir, 'checkpoint.safetensors')));
        expect(step).toBeGreaterThanOrEqual(last);
        last = step;
      }
      const temps = readdirSync(dir).filter((n) => TEMP.test(n)).length;
      record({ suite: 'kill -9', name: `kill ${kills}: ${describeAim(aim)}`, outcome: 'survived', detail: `${step < 0 ? 'no checkpoint yet (the next start is fresh)' : `loads at step ${step}`}; ${temps} temp file(s) of killed writers in the folder, for the next save to clear`, peakMB: NaN, limitMB: NaN });
    }
    expect(kills).toBeGreaterThanOrEqual(20);
    expect(aims.filter((a) => a.kind === 'checkpoint write').length).toBeGreaterThanOrEqual(3);

    const done = await runNode(built.cli, ['train', '--resume', '--out', dir, '--quiet'], { timeoutMs: 300_000 });
    expect(done.code, done.stderr).toBe(0);
    for (const file of ['checkpoint.safetensors', 'model.safetensors']) {
      expect(contents(join(dir, file)), file).toEqual(contents(join(reference, file)));
    }
    expect(readdirSync(dir).filter((n) => TEMP.test(n))).toEqual([]);
  }, 600_000);
});

function describeAim(a: Aim): string {
  switch (a.kind) {
    case 'early': return `${a.ms} ms after start`;
    case 'mid-step': return `${a.ms} ms after save ${a.after}`;
    case 'checkpoint write': return `as checkpoint write ${a.at} began`;
    case 'between files': return `between the checkpoint and the model file, save ${a.at}`;
  }
}
