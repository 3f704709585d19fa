/**
 * Which backend new tensors live on. 'cpu' is built in; other backends
 * register a factory (the gpujs module does so for 'gpujs' and
 * 'gpujs:<mode>'), so that importing dsmoe never loads a device it won't use.
 */
import type { Backend } from './backend.js';
import { CpuBackend } from './cpu/index.js';

export type BackendFactory = (name: string) => Promise<Backend>;

const factories = new Map<string, BackendFactory>();
const started = new Map<string, Backend>();
const cpuBackend = new CpuBackend();
started.set('cpu', cpuBackend);
let current: Backend = cpuBackend;

/** Registers a family of backends: `prefix` matches 'prefix' and 'prefix:anything'. */
export function registerBackend(prefix: string, factory: BackendFactory): void {
  factories.set(prefix, factory);
}

// The WebAssembly SIMD backend ships with the engine; its module loads (and compiles its kernels) on first use.
registerBackend('wasm', async (name) => (await import('./wasm/index.js')).createWasmBackend(name));

/** The names setBackend takes, for messages. */
function known(): string {
  return `cpu${[...factories.keys()].map((k) => `, ${k}, ${k}:<mode>`).join('')}`;
}

/** Starts (once) and returns the backend called `name`, without making it current. */
export async function startBackend(name: string): Promise<Backend> {
  const existing = started.get(name);
  if (existing) return existing;
  const factory = factories.get(name.split(':')[0]!);
  if (!factory) throw new Error(`setBackend: unknown backend '${name}' (known: ${known()})`);
  const backend = await factory(name);
  started.set(name, backend);
  started.set(backend.name, backend);
  return backend;
}

/** Makes `name` the backend for new tensors; resolves to the backend actually started. */
export async function setBackend(name: string): Promise<Backend> {
  if (name === 'cpu') {
    current = cpuBackend;
    return current;
  }
  current = await startBackend(name);
  return current;
}

/** The backend new tensors are created on (a Backend object; `.name` says which, e.g. 'gpujs:webasm'). */
export function getBackend(): Backend {
  return current;
}

/** A backend already started, by name; throws if it has not been started. */
export function backendNamed(name: string): Backend {
  const b = started.get(name);
  if (!b && !factories.has(name.split(':')[0]!)) throw new Error(`unknown backend '${name}' (known: ${known()})`);
  if (!b) throw new Error(`backend '${name}' has not been started: call await setBackend('${name}') (or startBackend) first`);
  return b;
}

/** Runs `fn` with `backend` as the current one, restoring the previous afterwards. */
export function withBackend<T>(backend: Backend, fn: () => T): T {
  const prev = current;
  current = backend;
  try {
    return fn();
  } finally {
    current = prev;
  }
}
