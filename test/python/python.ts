/**
 * The Python that runs the PyTorch twin: Debian's python3 with python3-torch
 * and python3-numpy (apt), which is /usr/bin/python3 and not necessarily the
 * python3 first on PATH. Found once; when none imports torch the tests fail
 * (never skip) with the command that installs it.
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { delimiter, join } from 'node:path';

export const APT_COMMAND = 'DEBIAN_FRONTEND=noninteractive apt-get install -y python3-torch python3-numpy';
export const PYTHON_DIR = join(import.meta.dirname, '..', '..', 'python');
export const SCRIPTS = import.meta.dirname;

let found: string | null = null;

/** The first python3 (/usr/bin/python3, then each on PATH) that imports torch and numpy. */
export function torchPython(): string {
  if (found) return found;
  const onPath = (process.env.PATH ?? '').split(delimiter).filter(Boolean).map((d) => join(d, 'python3'));
  const candidates = [...new Set(['/usr/bin/python3', ...onPath])].filter((p) => existsSync(p));
  for (const p of candidates) {
    const r = spawnSync(p, ['-c', 'import torch, numpy, torch.distributed as d; assert d.is_gloo_available()'], { encoding: 'utf8' });
    if (r.status === 0) return (found = p);
  }
  throw new Error(`no python3 here imports torch and numpy with gloo (tried ${candidates.join(', ') || 'none found'}): install Debian's packages with\n  ${APT_COMMAND}\n(.ci/run does this on CI)`);
}

/** Runs python with python/ on its path; returns stdout, or throws with stderr's tail. */
export function python(args: readonly string[], opts: { cwd?: string; timeout?: number } = {}): string {
  const r = spawnSync(torchPython(), args, {
    encoding: 'utf8', cwd: opts.cwd, timeout: opts.timeout ?? 300_000,
    env: { ...process.env, PYTHONPATH: PYTHON_DIR, OMP_NUM_THREADS: '1' },
  });
  if (r.status !== 0) throw new Error(`python ${args.join(' ')} exited ${r.status ?? r.signal}:\n${(r.stderr ?? '').slice(-3000)}${r.error ? `\n${r.error.message}` : ''}`);
  return r.stdout;
}

/** Like python(), but a non-zero exit is the answer: { status, stdout, stderr }. */
export function pythonStatus(args: readonly string[]): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(torchPython(), args, { encoding: 'utf8', timeout: 300_000, env: { ...process.env, PYTHONPATH: PYTHON_DIR, OMP_NUM_THREADS: '1' } });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}
