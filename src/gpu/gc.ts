/**
 * A full garbage collection on demand, where the host allows it. Device
 * memory (textures, GPU buffers, the wasm heap) is invisible to the JS
 * collector, so dead tensors and the device blocks their finalizers would
 * free can pile up for gigabytes unless a backend asks for a collection.
 * In Node the collector is the `gc` of a fresh vm context once --expose-gc is
 * set; in a browser there is none, and memory waits for ordinary GC.
 */
let found: Promise<(() => void) | null> | null = null;

/** V8's collector (looked up once), or null where the platform offers none. */
export function findCollector(): Promise<(() => void) | null> {
  found ??= lookUp();
  return found;
}

async function lookUp(): Promise<(() => void) | null> {
  const exposed = (globalThis as { gc?: () => void }).gc;
  if (typeof exposed === 'function') return exposed;
  if (typeof process === 'undefined' || !process.versions?.node) return null;
  try {
    // Variable specifiers keep the browser bundle from resolving Node built-ins.
    const [v8Name, vmName] = ['node:v8', 'node:vm'];
    const v8 = (await import(v8Name)) as { setFlagsFromString(flags: string): void };
    const vm = (await import(vmName)) as { runInNewContext(code: string): unknown };
    v8.setFlagsFromString('--expose-gc');
    const gc = vm.runInNewContext('gc');
    return typeof gc === 'function' ? (gc as () => void) : null;
  } catch {
    return null;
  }
}
