/**
 * vitest globalSetup: the environment every gpu.js mode needs on a machine
 * without a GPU (GPU-PATHS.md), set in the main process before the test
 * workers (forked processes) start, so they inherit it.
 *   headlessgl: an X display. When DISPLAY is unset, starts an Xvfb of this
 *               run's own (Xvfb picks a free display number: runs side by
 *               side never share, or kill, each other's server).
 *   webgpu:     Dawn on SwiftShader's Vulkan driver (Debian's chromium package
 *               ships it), a Vulkan loader (libvulkan1; failing that, the copy
 *               in chromium's folder, through LD_LIBRARY_PATH, which the
 *               dynamic linker reads only when a process starts), and an
 *               XDG_RUNTIME_DIR.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import type { Readable } from 'node:stream';

const CHROMIUM_LIBS = '/usr/lib/chromium';
const SWIFTSHADER_ICD = `${CHROMIUM_LIBS}/vk_swiftshader_icd.json`;
const SYSTEM_VULKAN = ['/usr/lib/x86_64-linux-gnu/libvulkan.so.1', '/usr/lib/aarch64-linux-gnu/libvulkan.so.1', '/usr/lib64/libvulkan.so.1', '/usr/lib/libvulkan.so.1'];

let xvfb: ChildProcess | null = null;

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
  if (!process.env.DISPLAY) {
    try {
      process.env.DISPLAY = await startXvfb();
    } catch (e) {
      console.error(`gpu-env: could not start Xvfb (${(e as Error).message}); the headlessgl tests will fail`);
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
