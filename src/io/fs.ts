/**
 * Files that survive crashes. Node only.
 *
 * writeFileAtomic never leaves a half-written file behind: it writes a temp
 * file in the same folder, flushes it to disk (fsync), then renames it over
 * the target. A rename within one file system replaces the name in one step,
 * so a reader, or a process killed at any moment, sees either the old file
 * or the new one. The folder is fsynced too, so after a power cut the rename
 * itself is not lost. A process killed before the rename leaves a temp file
 * named `.<name>.<pid>.<random>.tmp` beside the target; the target is intact,
 * and removeStaleTemps clears such leftovers once their writer is gone.
 */
import { randomBytes } from 'node:crypto';
import {
  closeSync, fstatSync, fsyncSync, mkdirSync, openSync, readdirSync, readFileSync, renameSync, statSync, unlinkSync, writeSync,
} from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';

export function writeFileAtomic(path: string, data: Uint8Array | string): void {
  const bytes = typeof data === 'string' ? new TextEncoder().encode(data) : data;
  const tmp = join(dirname(path), `.${basename(path)}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`);
  let fd: number | null = null;
  try {
    fd = openSync(tmp, 'wx', modeOf(path));
    for (let at = 0; at < bytes.length;) at += writeSync(fd, bytes, at, bytes.length - at);
    fsyncSync(fd);
    closeSync(fd);
    fd = null;
    renameSync(tmp, path);
  } catch (e) {
    if (fd !== null) closeSync(fd);
    try {
      unlinkSync(tmp);
    } catch {
      // The temp file may never have been created; the original error is what matters.
    }
    throw new Error(`cannot write ${path}: ${(e as Error).message}`);
  }
  syncFolder(dirname(path));
}

/**
 * Deletes the temp files that killed writers of `path` left behind
 * (`.<name>.<pid>.<random>.tmp`), except those of a process still alive,
 * which may be writing right now. Returns how many were removed.
 */
export function removeStaleTemps(path: string): number {
  const dir = dirname(path);
  const prefix = `.${basename(path)}.`;
  let removed = 0;
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return 0;
  }
  for (const name of names) {
    const m = name.startsWith(prefix) ? /^(\d+)\.[0-9a-f]+\.tmp$/.exec(name.slice(prefix.length)) : null;
    if (!m || isAlive(Number(m[1]))) continue;
    try {
      unlinkSync(join(dir, name));
      removed++;
    } catch {
      // Gone already, or not ours to delete: either way not this writer's concern.
    }
  }
  return removed;
}

function isAlive(pid: number): boolean {
  if (pid === process.pid) return true;
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    // EPERM: alive, but another user's.
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Keep an existing file's permissions; new files get the usual 0666 (less umask). */
function modeOf(path: string): number {
  try {
    return statSync(path).mode & 0o777;
  } catch {
    return 0o666;
  }
}

/** Makes the rename durable. Some systems cannot fsync a folder; the write itself has succeeded then. */
function syncFolder(dir: string): void {
  let fd: number | null = null;
  try {
    fd = openSync(dir, 'r');
    fsyncSync(fd);
  } catch {
    // EISDIR / EPERM / EINVAL on platforms without folder fsync (Windows).
  } finally {
    if (fd !== null) closeSync(fd);
  }
}

export interface ReadOptions {
  /** What the file is, for error messages ('checkpoint', 'corpus file'); 'file' by default. */
  what?: string;
  /** Refuse files larger than this many bytes (checked before reading). */
  maxBytes?: number;
  /** Allow an empty file (default false: an empty checkpoint or corpus is always a mistake). */
  allowEmpty?: boolean;
}

/** Reads a whole file, turning the usual failures into errors a person can act on. */
export function readFileChecked(path: string, opts: ReadOptions = {}): Uint8Array {
  const what = opts.what ?? 'file';
  // Checked before opening: opening a named pipe blocks until something writes to it.
  try {
    const st = statSync(path);
    if (!st.isFile() && !st.isDirectory()) throw new Error(`${what} ${path} is not a regular file (a device, pipe or socket)`);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === undefined) throw e;
  }
  let fd: number;
  try {
    fd = openSync(path, 'r');
  } catch (e) {
    throw new Error(describe(e, what, path));
  }
  try {
    const st = fstatSync(fd);
    if (st.isDirectory()) throw new Error(`${what} ${path} is a folder, not a file`);
    // A device or a pipe has no size to check and may never end (/dev/zero, a FIFO nobody writes): refused.
    if (!st.isFile()) throw new Error(`${what} ${path} is not a regular file (a device, pipe or socket)`);
    if (opts.maxBytes !== undefined && st.size > opts.maxBytes) {
      throw new Error(`${what} ${path} is ${st.size} bytes, more than the ${opts.maxBytes}-byte limit`);
    }
    if (st.size === 0 && !opts.allowEmpty) throw new Error(`${what} ${path} is empty`);
    return readFileSync(fd);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'EISDIR') throw new Error(`${what} ${path} is a folder, not a file`);
    throw e;
  } finally {
    closeSync(fd);
  }
}

function describe(e: unknown, what: string, path: string): string {
  switch ((e as NodeJS.ErrnoException).code) {
    case 'ENOENT': return `${what} ${path} does not exist`;
    case 'EACCES': case 'EPERM': return `${what} ${path} cannot be read: permission denied`;
    case 'EISDIR': return `${what} ${path} is a folder, not a file`;
    default: return `${what} ${path} cannot be read: ${(e as Error).message}`;
  }
}

/**
 * mkdir -p, one folder at a time. Node's `mkdirSync(path, { recursive: true })`
 * spins forever where a parent exists but cannot hold children (any path
 * under /proc, a dangling symlink: mkdir says ENOENT, the parent EEXIST, and
 * it retries); here each missing folder is created once, and a failure
 * names the folder and why.
 */
export function makeFolder(path: string): void {
  const missing: string[] = [];
  let at = resolve(path);
  for (;;) {
    let st;
    try {
      st = statSync(at);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT' || dirname(at) === at) throw new Error(`cannot create folder ${path}: ${(e as Error).message}`);
      missing.push(at);
      at = dirname(at);
      continue;
    }
    if (!st.isDirectory()) throw new Error(`cannot create folder ${path}: ${at} is a file, not a folder`);
    break;
  }
  for (const dir of missing.reverse()) {
    try {
      mkdirSync(dir);
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code === 'EEXIST') continue;
      // ENOENT with the parent present: a file system that takes no new folders (/proc, /sys).
      const why = code === 'ENOENT' ? `${dirname(dir)} does not take new folders (ENOENT)` : (e as Error).message;
      throw new Error(`cannot create folder ${path}: ${why}`);
    }
  }
}
