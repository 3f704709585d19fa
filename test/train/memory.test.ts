/**
 * releaseDeviceMemory lets the event loop turn on every backend — on cpu
 * too, where finalizers (which free dead tensors) otherwise never run in a
 * loop that never yields.
 */
import { describe, expect, it } from 'vitest';
import { getBackend, setBackend } from '../../src/index.js';
import { releaseDeviceMemory } from '../../src/train/memory.js';

describe('releaseDeviceMemory', () => {
  for (const name of ['cpu', 'wasm']) {
    it(`${name}: yields to the event loop before returning`, async () => {
      await setBackend(name);
      expect(getBackend().name).toBe(name);
      let turned = false;
      setImmediate(() => { turned = true; });
      await releaseDeviceMemory();
      expect(turned).toBe(true);
    });
  }
});
