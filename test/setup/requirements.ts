/**
 * What `npm test` needs from the machine beyond `npm install`, and what to
 * do when something is missing — decided from facts alone, so that the
 * decision is a plain function (gpu-env.ts gathers the facts and acts).
 *
 * On Linux the gpu.js suites run on software devices (docs/gpu-setup.md):
 *   xvfb        an X display for headless-gl (unless DISPLAY is set)
 *   chromium    the browser tests, and its SwiftShader Vulkan driver, which
 *               Dawn runs WebGPU on in Node (unless VK_ICD_FILENAMES names another)
 *   libvulkan1  the Vulkan loader Dawn opens (chromium's own copy will do)
 *   the headers and tools that build headless-gl's native addon, when
 *   `npm install` could not build it (then `npm rebuild gl`);
 *   python3-torch, python3-numpy  Debian's torch for /usr/bin/python3, which
 *               the PyTorch twin's tests run (PyPI is not reachable).
 * As root on Debian the set-up installs what is missing, as .ci/run does;
 * anywhere else it stops before any test runs, with the one command that
 * installs it — never a page of failing tests.
 */

export interface MachineFacts {
  readonly platform: string;
  readonly isRoot: boolean;
  /** Debian's apt-get is there. */
  readonly apt: boolean;
  /** DISPLAY is set: an X server is already running. */
  readonly display: boolean;
  /** Xvfb is on the PATH. */
  readonly xvfb: boolean;
  /** A Chromium binary where the browser tests look (CHROMIUM_PATH, else /usr/bin/chromium). */
  readonly chromium: boolean;
  /** A Vulkan driver for Dawn: chromium's SwiftShader ICD, or one VK_ICD_FILENAMES names. */
  readonly vulkanDriver: boolean;
  /** A Vulkan loader, libvulkan.so.1: the system's or chromium's copy. */
  readonly vulkanLoader: boolean;
  /** headless-gl's native addon loads. */
  readonly glBuilt: boolean;
  /** Debian's /usr/bin/python3 imports torch and numpy (the PyTorch twin's tests, test/python/). */
  readonly torch: boolean;
  /** DSMOE_NO_INSTALL is set: print the command instead of running it, even as root. */
  readonly noInstall: boolean;
}

/** A Debian package the machine lacks, and what the tests need it for. */
export interface Missing {
  readonly packages: readonly string[];
  readonly forWhat: string;
}

export type Plan =
  | { readonly kind: 'ready' }
  /** Root on Debian: install these (then rebuild headless-gl, if asked), as .ci/run does. */
  | { readonly kind: 'install'; readonly packages: readonly string[]; readonly rebuildGl: boolean }
  /** Stop before any test runs, saying this. */
  | { readonly kind: 'stop'; readonly message: string }
  /** Go on, after saying this: a platform whose GPU set-up the project does not know. */
  | { readonly kind: 'warn'; readonly message: string };

/** The packages that build headless-gl from source (its addon has no prebuilt binary for Node 20 on Linux). */
export const GL_BUILD_PACKAGES = ['libx11-dev', 'libxi-dev', 'libxext-dev', 'pkg-config', 'python3', 'make', 'g++'] as const;

/** What a Linux machine lacks, in install order. */
export function missingOnLinux(f: MachineFacts): Missing[] {
  const missing: Missing[] = [];
  if (!f.display && !f.xvfb) missing.push({ packages: ['xvfb'], forWhat: 'Xvfb, an X display for headless-gl' });
  if (!f.chromium || !f.vulkanDriver) missing.push({ packages: ['chromium'], forWhat: 'Chromium, for the browser tests and its SwiftShader Vulkan driver (WebGPU in Node)' });
  // Chromium carries a loader of its own: without chromium there is neither.
  if (!f.vulkanLoader) missing.push({ packages: ['libvulkan1'], forWhat: 'the Vulkan loader, which Dawn (WebGPU in Node) opens' });
  if (!f.glBuilt) missing.push({ packages: [...GL_BUILD_PACKAGES], forWhat: 'the X11 headers and tools that build headless-gl (then npm rebuild gl)' });
  if (!f.torch) missing.push({ packages: ['python3-torch', 'python3-numpy'], forWhat: 'Debian\'s torch and numpy for /usr/bin/python3, which the PyTorch twin\'s tests run' });
  return missing;
}

/** The one shell command that installs `packages` on Debian (and rebuilds headless-gl when asked). */
export function installCommand(packages: readonly string[], rebuildGl: boolean, sudo: boolean): string {
  const su = sudo ? 'sudo ' : '';
  const apt = `${su}apt-get update && ${su}apt-get install -y ${packages.join(' ')}`;
  return rebuildGl ? `${apt} && npm rebuild gl` : apt;
}

export function planSetup(f: MachineFacts): Plan {
  if (f.platform !== 'linux') {
    if (f.chromium) return { kind: 'ready' };
    return { kind: 'warn', message: `gpu-env: the software GPU set-up is known for Debian Linux only (docs/gpu-setup.md); on ${f.platform}, set CHROMIUM_PATH to a Chromium for the browser tests` };
  }
  const missing = missingOnLinux(f);
  if (missing.length === 0) return { kind: 'ready' };
  const packages = missing.flatMap((m) => m.packages);
  const rebuildGl = !f.glBuilt;
  if (f.apt && f.isRoot && !f.noInstall) return { kind: 'install', packages, rebuildGl };
  const lines = missing.map((m) => `  ${m.packages.join(' ')}: ${m.forWhat}`);
  const how = f.apt
    ? `Install it with:\n\n  ${installCommand(packages, rebuildGl, !f.isRoot)}\n`
    : `This is not Debian (no apt-get): install the same with your package manager. On Debian it is:\n\n  ${installCommand(packages, rebuildGl, true)}\n`;
  return { kind: 'stop', message: `npm test needs what this machine lacks (docs/gpu-setup.md):\n${lines.join('\n')}\n\n${how}` };
}
