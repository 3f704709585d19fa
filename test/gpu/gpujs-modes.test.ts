/**
 * Choosing and starting gpu.js modes: 'gpujs' picks the best mode that works
 * and says which; a pinned mode runs on its own kernel class or fails
 * clearly; float64 is refused; importing dsmoe loads neither gpu.js nor Dawn.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { build } from 'esbuild';
import { describe, expect, it } from 'vitest';
import { getBackend, setBackend, tensor, fromData } from '../../src/index.js';
import { GPUJS_MODES, KERNEL_CLASS } from '../../src/gpu/gpujs/api.js';
import { preferredModes } from '../../src/gpu/gpujs/modes.js';
import { CI_MODES, gpujs } from './gpujs-helpers.js';

describe('gpujs mode selection', () => {
  it("setBackend('gpujs') starts the best mode (webgpu, which CI provides) and names it", async () => {
    const be = await setBackend('gpujs');
    try {
      expect(be.name).toBe('gpujs:webgpu');
      expect(getBackend()).toBe(be);
      expect(preferredModes()[0]).toBe('webgpu');
      const t = tensor([1, 2, 3]).mul(2);
      expect([...(await t.data())]).toEqual([2, 4, 6]);
      expect(t.backend.name).toBe('gpujs:webgpu');
      // The same backend (one kernel cache) under either name.
      expect(await setBackend('gpujs:webgpu')).toBe(be);
    } finally {
      await setBackend('cpu');
    }
  });

  it.each(CI_MODES)("setBackend('gpujs:%s') pins the mode and runs on its kernel class", async (mode) => {
    const be = await gpujs(mode);
    expect(be.name).toBe(`gpujs:${mode}`);
    await be.read(await be.unary('exp', be.upload(Float32Array.from([0, 1]))));
    expect(be.kernelClass).toBe(KERNEL_CLASS[mode]);
  });

  it('a mode that cannot start here fails naming it, instead of falling back', async () => {
    // WebGL2 exists only in browsers: in Node gpu.js would quietly pick another kernel class.
    await expect(setBackend('gpujs:webgl2')).rejects.toThrow(/gpujs:webgl2 cannot start/);
    expect(getBackend().name).toBe('cpu');
  });

  it('an unknown mode is an error listing the modes', async () => {
    await expect(setBackend('gpujs:metal')).rejects.toThrow(new RegExp(`unknown gpujs mode 'metal'.*${GPUJS_MODES.join(', ')}`));
  });

  it('float64 is refused with a clear error', async () => {
    const be = await gpujs('cpu');
    expect(() => fromData(new Float64Array([1]), [1], { backend: be })).toThrow(/does not support float64/);
    expect(() => be.upload(new Float64Array([1]))).toThrow(/float32 only/);
    expect(() => be.cast(be.upload(Float32Array.from([1])), 'float64')).toThrow(/float32 only/);
  });

  it('int32 tensors keep their dtype: stored as float32, read back as Int32Array', async () => {
    const be = await gpujs('webgpu');
    const idx = tensor([3, 0, 2], { dtype: 'int32', backend: be });
    const got = await idx.data();
    expect(got).toBeInstanceOf(Int32Array);
    expect([...got]).toEqual([3, 0, 2]);
    const arg = await tensor([[1, 5, 2], [7, 0, 7]], { backend: be }).argmax(-1).data();
    expect(arg).toBeInstanceOf(Int32Array);
    expect([...arg]).toEqual([1, 0]);
  });

  it('webgpu has no synchronous readback, and says so', async () => {
    const be = await gpujs('webgpu');
    expect(be.readSync).toBeUndefined();
    expect(() => tensor([1, 2], { backend: be }).exp().dataSync()).toThrow(/asynchronous|no synchronous readback/);
  });

  it('tensors move between gpujs modes and the cpu backend', async () => {
    const gl = await gpujs('headlessgl');
    const wg = await gpujs('webgpu');
    const x = tensor([[1, -2], [3, -4]], { backend: gl }).relu();
    const y = x.to(wg).add(1).to('cpu');
    expect(y.backend.name).toBe('cpu');
    expect([...(await y.data())]).toEqual([2, 1, 4, 1]);
  });

  it('concurrent reads of values sharing intermediates (webgpu is asynchronous) each get the right answer', async () => {
    const be = await gpujs('webgpu');
    const h = tensor([1, 2, 3, 4], { backend: be }).mul(3);
    const [a, b, c] = await Promise.all([h.add(1).data(), h.sub(1).data(), h.data()]);
    expect([...a!]).toEqual([4, 7, 10, 13]);
    expect([...b!]).toEqual([2, 5, 8, 11]);
    expect([...c!]).toEqual([3, 6, 9, 12]);
  });
});

describe('disposal', () => {
  it.each(CI_MODES)('gpujs:%s: a disposed buffer frees its storage and cannot be read', async (mode) => {
    const be = await gpujs(mode);
    const y = await be.unary('neg', be.upload(Float32Array.from([1, 2])));
    expect([...(await be.read(y))]).toEqual([-1, -2]);
    be.dispose(y);
    be.dispose(y); // twice is harmless
    await expect(be.read(y)).rejects.toThrow(/disposed/);
    expect(() => be.unary('neg', y)).toThrow(/disposed/);
  });
});

describe('lazy loading', () => {
  it('importing dsmoe loads neither gpu.js nor webgpu; starting gpujs loads gpu.js', async () => {
    // Inside node_modules, so the bundle resolves gpu.js the way an installed dsmoe would.
    mkdirSync(resolve('node_modules/.cache'), { recursive: true });
    const dir = mkdtempSync(resolve('node_modules/.cache/dsmoe-lazy-'));
    const bundle = join(dir, 'dsmoe.mjs');
    await build({ entryPoints: [resolve('src/index.ts')], bundle: true, platform: 'node', format: 'esm', packages: 'external', outfile: bundle, logLevel: 'error' });
    const probe = join(dir, 'probe.mjs');
    writeFileSync(probe, [
      `import { createRequire } from 'node:module';`,
      `const require = createRequire(${JSON.stringify(resolve('package.json'))});`,
      `const loaded = () => Object.keys(require.cache).filter((k) => /node_modules\\/(gpu\\.js|webgpu)\\//.test(k)).length;`,
      `const dsmoe = await import(${JSON.stringify(bundle)});`,
      `const before = loaded();`,
      `await dsmoe.setBackend('gpujs:cpu');`,
      `console.log(JSON.stringify({ before, after: loaded(), name: dsmoe.getBackend().name }));`,
    ].join('\n'));
    const out = JSON.parse(execFileSync(process.execPath, [probe], { cwd: resolve('.'), encoding: 'utf8' }).trim().split('\n').pop()!);
    rmSync(dir, { recursive: true, force: true });
    expect(out.before).toBe(0);
    expect(out.after).toBeGreaterThan(0);
    expect(out.name).toBe('gpujs:cpu');
  });
});
