/**
 * The test set-up's decision (requirements.ts) on made-up machines: what
 * it finds missing, whether it installs (root on Debian) or stops, and the
 * one command it prints.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { GL_BUILD_PACKAGES, installCommand, missingOnLinux, planSetup, type MachineFacts } from './requirements.js';

const READY: MachineFacts = {
  platform: 'linux', isRoot: false, apt: true, display: false, xvfb: true, chromium: true, vulkanDriver: true, vulkanLoader: true, glBuilt: true, torch: true, noInstall: false,
};
/** Debian after `npm install`, before any of .ci/run's packages. */
const BARE: MachineFacts = { ...READY, xvfb: false, chromium: false, vulkanDriver: false, vulkanLoader: false };

/** The indented command lines of a stop message. */
const commands = (message: string): string[] => message.split('\n').filter((l) => /^ {2}(sudo )?apt-get /.test(l)).map((l) => l.trim());

describe('planSetup', () => {
  it('a machine with everything is ready', () => {
    expect(planSetup(READY)).toEqual({ kind: 'ready' });
  });

  it('bare Debian, not root: stops with the one sudo command for Xvfb, Chromium and the Vulkan loader', () => {
    const plan = planSetup(BARE);
    expect(plan.kind).toBe('stop');
    if (plan.kind !== 'stop') return;
    expect(commands(plan.message)).toEqual(['sudo apt-get update && sudo apt-get install -y xvfb chromium libvulkan1']);
    for (const what of ['Xvfb', 'Chromium', 'Vulkan loader']) expect(plan.message).toContain(what);
  });

  it('bare Debian as root: installs the same packages, as .ci/run does', () => {
    expect(planSetup({ ...BARE, isRoot: true })).toEqual({ kind: 'install', packages: ['xvfb', 'chromium', 'libvulkan1'], rebuildGl: false });
  });

  it('root with DSMOE_NO_INSTALL: stops with the command, without sudo', () => {
    const plan = planSetup({ ...BARE, isRoot: true, noInstall: true });
    expect(plan.kind === 'stop' && commands(plan.message)).toEqual(['apt-get update && apt-get install -y xvfb chromium libvulkan1']);
  });

  it('asks only for what is missing: a DISPLAY needs no Xvfb, chromium brings a Vulkan loader', () => {
    expect(planSetup({ ...BARE, display: true, chromium: true, vulkanDriver: true, vulkanLoader: true })).toEqual({ kind: 'ready' });
    expect(planSetup({ ...READY, xvfb: false, isRoot: true })).toEqual({ kind: 'install', packages: ['xvfb'], rebuildGl: false });
    // Chromium's binary without its SwiftShader driver (and no VK_ICD_FILENAMES) still leaves WebGPU without a device.
    expect(planSetup({ ...READY, vulkanDriver: false, isRoot: true })).toEqual({ kind: 'install', packages: ['chromium'], rebuildGl: false });
  });

  it('headless-gl that did not build: its build packages, then npm rebuild gl, in the same one command', () => {
    const plan = planSetup({ ...READY, glBuilt: false });
    expect(plan.kind === 'stop' && commands(plan.message)).toEqual([`sudo apt-get update && sudo apt-get install -y ${GL_BUILD_PACKAGES.join(' ')} && npm rebuild gl`]);
    expect(planSetup({ ...READY, glBuilt: false, isRoot: true })).toEqual({ kind: 'install', packages: [...GL_BUILD_PACKAGES], rebuildGl: true });
  });

  it('Linux without apt-get: stops, names what is missing and gives the Debian command as the reference', () => {
    const plan = planSetup({ ...BARE, apt: false, isRoot: true });
    expect(plan.kind).toBe('stop');
    if (plan.kind !== 'stop') return;
    expect(plan.message).toContain('not Debian');
    expect(commands(plan.message)).toEqual(['sudo apt-get update && sudo apt-get install -y xvfb chromium libvulkan1']);
  });

  it('a machine without Debian\'s torch for /usr/bin/python3: installs python3-torch and python3-numpy, or names them', () => {
    expect(planSetup({ ...READY, torch: false, isRoot: true })).toEqual({ kind: 'install', packages: ['python3-torch', 'python3-numpy'], rebuildGl: false });
    const plan = planSetup({ ...READY, torch: false });
    expect(plan.kind === 'stop' && plan.message).toContain('apt-get install -y python3-torch python3-numpy');
  });

  it('another platform: goes on, warning when there is no Chromium for the browser tests', () => {
    expect(planSetup({ ...BARE, platform: 'darwin', chromium: true })).toEqual({ kind: 'ready' });
    expect(planSetup({ ...BARE, platform: 'darwin' }).kind).toBe('warn');
  });

  it('for any Linux machine: ready exactly when nothing is missing, and what it installs or prints is exactly what is missing', () => {
    const facts = fc.record({
      platform: fc.constant('linux'), isRoot: fc.boolean(), apt: fc.boolean(), display: fc.boolean(), xvfb: fc.boolean(), chromium: fc.boolean(),
      vulkanDriver: fc.boolean(), vulkanLoader: fc.boolean(), glBuilt: fc.boolean(), torch: fc.boolean(), noInstall: fc.boolean(),
    });
    fc.assert(fc.property(facts, (f) => {
      const want = missingOnLinux(f).flatMap((m) => m.packages);
      const plan = planSetup(f);
      if (want.length === 0) {
        expect(plan).toEqual({ kind: 'ready' });
      } else if (plan.kind === 'install') {
        expect(f.isRoot && f.apt && !f.noInstall).toBe(true);
        expect(plan.packages).toEqual(want);
        expect(plan.rebuildGl).toBe(!f.glBuilt);
      } else {
        expect(plan.kind).toBe('stop');
        expect(plan.kind === 'stop' && commands(plan.message)).toEqual([installCommand(want, !f.glBuilt, !(f.apt && f.isRoot))]);
      }
    }), { numRuns: 200 });
  });
});
