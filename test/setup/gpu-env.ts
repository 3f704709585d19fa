/**
 * vitest globalSetup: the environment every gpu.js mode needs on a machine
 * without a GPU (GPU-PATHS.md), set in the main process before the test
 * workers start, so they inherit it.
 *   headlessgl: an X display. Starts `Xvfb :99` when DISPLAY is unset.
 *   webgpu:     Dawn on SwiftShader's Vulkan driver (Debian's chromium package
 *               ships it), a Vulkan loader (libvulkan1; failing that, the copy
 *               in chromium's folder, through LD_LIBRARY_PATH, which the
 *               dynamic linker reads only when a process starts: the test
 *               workers are forked processes, so they see it), and an
 *               XDG_RUNTIME_DIR.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { tmpdir } from 'node:os';

const CHROMIUM_LIBS = '/usr/lib/chromium';
const SWIFTSHADER_ICD = `${CHROMIUM_LIBS}/vk_swiftshader_icd.json`;
const SYSTEM_VULKAN = ['/usr/lib/x86_64-linux-gnu/libvulkan.so.1', '/usr/lib/aarch64-linux-gnu/libvulkan.so.1', '/usr/lib64/libvulkan.so.1', '/usr/lib/libvulkan.so.1'];
const DISPLAY_NUMBER = 99;

let xvfb: ChildProcess | null = null;

async function waitFor(test: () => boolean, ms: number): Promise<boolean> {
  for (const end = Date.now() + ms; Date.now() < end; ) {
    if (test()) return true;
    await new Promise((r) => setTimeout(r, 50));
  }
  return test();
}

/** Starts Xvfb unless a display is set or one already serves :99. */
async function ensureDisplay(): Promise<void> {
  if (process.env.DISPLAY) return;
  const socket = `/tmp/.X11-unix/X${DISPLAY_NUMBER}`;
  if (!existsSync(socket)) {
    xvfb = spawn('Xvfb', [`:${DISPLAY_NUMBER}`, '-screen', '0', '1024x768x24', '-nolisten', 'tcp'], { stdio: 'ignore' });
    xvfb.on('error', (e) => console.error(`gpu-env: could not start Xvfb (${e.message}); headlessgl tests will fail`));
    if (!(await waitFor(() => existsSync(socket), 10_000))) console.error('gpu-env: Xvfb did not come up within 10 s');
  }
  process.env.DISPLAY = `:${DISPLAY_NUMBER}`;
}

export async function setup(): Promise<void> {
  await ensureDisplay();
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
