/**
 * vitest globalSetup: the environment every gpu.js mode needs on a machine
 * without a GPU (docs/gpu-setup.md), set in the main process before the
 * test workers (forked processes) start, so they inherit it.
 *
 * First it checks the machine (requirements.ts decides): what is missing
 * is installed as root on Debian, as .ci/run does; otherwise the run stops
 * here with the command that installs it. Then:
 *   headlessgl: an X display. When DISPLAY is unset, starts an Xvfb of this
 *               run's own (Xvfb picks a free display number: runs side by
 *               side never share, or kill, each other's server).
 *   webgpu:     Dawn on SwiftShader's Vulkan driver (Debian's chromium package
 *               ships it), a Vulkan loader (libvulkan1; failing that, the copy
 *               in chromium's folder, through LD_LIBRARY_PATH, which the
 *               dynamic linker reads only when a process starts), and an
 *               XDG_RUNTIME_DIR.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { delimiter, join } from 'node:path';
import { tmpdir } from 'node:os';
import type { Readable } from 'node:stream';
import { planSetup, type MachineFacts } from './requirements.js';

const CHROMIUM_LIBS = '/usr/lib/chromium';
const SWIFTSHADER_ICD = `${CHROMIUM_LIBS}/vk_swiftshader_icd.json`;
const SYSTEM_VULKAN = ['/usr/lib/x86_64-linux-gnu/libvulkan.so.1', '/usr/lib/aarch64-linux-gnu/libvulkan.so.1', '/usr/lib64/libvulkan.so.1', '/usr/lib/libvulkan.so.1'];

let xvfb: ChildProcess | null = null;

const onPath = (program: string): boolean => (process.env.PATH ?? '').split(delimiter).some((dir) => dir !== '' && existsSync(join(dir, program)));

/** headless-gl's native addon loads (npm builds it from source at install; without the X11 headers that build fails quietly). */
function glLoads(): boolean {
  try {
    return typeof createRequire(import.meta.url)('gl') === 'function';
  } catch {
    return false;
  }
}

/** Debian's python imports torch and numpy (a second or two: torch is large). */
function torchImports(): boolean {
  return existsSync('/usr/bin/python3') && spawnSync('/usr/bin/python3', ['-c', 'import torch, numpy'], { stdio: 'ignore', timeout: 60_000 }).status === 0;
}

/** The facts requirements.ts decides from, read from this machine. */
export function machineFacts(): MachineFacts {
  const env = process.env;
  return {
    platform: process.platform,
    isRoot: process.getuid?.() === 0,
    apt: onPath('apt-get'),
    display: !!env.DISPLAY,
    xvfb: onPath('Xvfb'),
    chromium: existsSync(env.CHROMIUM_PATH ?? '/usr/bin/chromium'),
    vulkanDriver: !!env.VK_ICD_FILENAMES || existsSync(SWIFTSHADER_ICD),
    vulkanLoader: SYSTEM_VULKAN.some((p) => existsSync(p)) || existsSync(`${CHROMIUM_LIBS}/libvulkan.so.1`),
    glBuilt: glLoads(),
    torch: torchImports(),
    noInstall: !!env.DSMOE_NO_INSTALL,
  };
}

/** Runs a command for the install, its output shown; throws naming it if it fails. */
function run(command: string, args: string[]): void {
  const r = spawnSync(command, args, { stdio: 'inherit', env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' } });
  if (r.status !== 0) throw new Error(`gpu-env: \`${command} ${args.join(' ')}\` failed (${r.error?.message ?? `exit status ${r.status}`})`);
}

/** Installs what is missing where it may (root on Debian), or stops the run saying how; returns once the machine is ready. */
function ensureMachine(): void {
  const plan = planSetup(machineFacts());
  if (plan.kind === 'ready') return;
  if (plan.kind === 'warn') {
    console.warn(plan.message);
    return;
  }
  if (plan.kind === 'stop') throw new Error(plan.message);
  console.log(`gpu-env: installing ${plan.packages.join(' ')} (apt-get, as root, as .ci/run does)${plan.rebuildGl ? ', then rebuilding headless-gl' : ''}`);
  run('apt-get', ['update', '-qq']);
  run('apt-get', ['install', '-y', '-qq', ...plan.packages]);
  if (plan.rebuildGl) run('npm', ['rebuild', 'gl']);
  const after = planSetup({ ...machineFacts(), noInstall: true });
  if (after.kind === 'stop') throw new Error(`gpu-env: still missing after the install.\n${after.message}`);
}

/** Starts Xvfb on a free display (it writes the number it chose to fd 3) and resolves to ':<n>'. */
function startXvfb(): Promise<string> {
  return new Promise((resolve, reject) => {
    const proc = spawn('Xvfb', ['-displayfd', '3', '-screen', '0', '1024x768x24', '-nolisten', 'tcp'], { stdio: ['ignore', 'ignore', 'ignore', 'pipe'] });
    xvfb = proc;
    const timer = setTimeout(() => reject(new Error('Xvfb did not report a display within 10 s')), 10_000);
    let text = '';
    (proc.stdio[3] as Readable).on('data', (chunk: Buffer) => {
      text += chunk.toString();
      if (!text.includes('\n')) return;
      clearTimeout(timer);
      resolve(`:${text.trim()}`);
    });
    proc.on('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
  });
}

export async function setup(): Promise<void> {
  ensureMachine();
  if (process.platform !== 'linux') return;
  if (!process.env.DISPLAY) {
    try {
      process.env.DISPLAY = await startXvfb();
    } catch (e) {
      throw new Error(`gpu-env: Xvfb is installed but did not start (${(e as Error).message}); the headlessgl tests need an X display (or set DISPLAY to one)`);
    }
  }
  if (!process.env.VK_ICD_FILENAMES && existsSync(SWIFTSHADER_ICD)) process.env.VK_ICD_FILENAMES = SWIFTSHADER_ICD;
  process.env.XDG_RUNTIME_DIR ??= tmpdir();
  if (!SYSTEM_VULKAN.some((p) => existsSync(p)) && existsSync(`${CHROMIUM_LIBS}/libvulkan.so.1`)) {
    process.env.LD_LIBRARY_PATH = [CHROMIUM_LIBS, process.env.LD_LIBRARY_PATH].filter(Boolean).join(':');
  }
}

export function teardown(): void {
  xvfb?.kill();
  xvfb = null;
}
