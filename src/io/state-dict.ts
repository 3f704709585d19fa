/**
 * The bridge between safetensors files and the engine: a module's state
 * dict out to bytes, bytes back into a module. Engine dtypes map to
 * float32 → F32, float64 → F64, int32 → I32. Loading converts between float
 * widths (so F16/BF16/F64 weights from elsewhere load into float32
 * parameters) but never turns floats into integers or back.
 */
import type { Module } from '../nn/module.js';
import { fromData } from '../tensor/create.js';
import type { DType, TypedArray } from '../base/dtype.js';
import { fmt, sameShape } from '../base/shape.js';
import type { Tensor } from '../tensor/tensor.js';
import { halfToFloat32 } from './half.js';
import { decodeSafetensors, encodeSafetensors, type SafetensorsInput, type SafetensorsTensor } from './safetensors.js';

const FILE_DTYPE = { float32: 'F32', float64: 'F64', int32: 'I32' } as const;

/** Realizes every tensor and serializes them with `metadata` (strings only: JSON-encode configs yourself). */
export async function stateDictToSafetensors(state: Record<string, Tensor>, metadata: Record<string, string> = {}): Promise<Uint8Array> {
  const entries = await Promise.all(Object.entries(state).map(async ([name, t]) => {
    const input: SafetensorsInput = { dtype: FILE_DTYPE[t.dtype], shape: [...t.shape], data: await t.data() };
    return [name, input] as const;
  }));
  return encodeSafetensors(Object.fromEntries(entries), metadata);
}

export interface LoadOptions {
  /** Require the file's tensor names to equal the module's (default true). */
  strict?: boolean;
}

/**
 * Loads a safetensors file into `module`, checking names (with strict),
 * shapes and dtypes first, so a mismatch changes nothing. Returns the
 * file's metadata.
 */
export function loadSafetensorsInto(module: Module, bytes: Uint8Array, opts: LoadOptions = {}): Record<string, string> {
  const file = decodeSafetensors(bytes);
  const own = module.stateDict();
  if (opts.strict ?? true) {
    const missing = Object.keys(own).filter((k) => !Object.hasOwn(file.tensors, k));
    const unexpected = Object.keys(file.tensors).filter((k) => !Object.hasOwn(own, k));
    if (missing.length || unexpected.length) {
      throw new Error(`checkpoint does not match the model: missing [${missing.join(', ')}], unexpected [${unexpected.join(', ')}]`);
    }
  }
  const state: Record<string, Tensor> = {};
  for (const [key, target] of Object.entries(own)) {
    const t = file.tensors[key];
    if (!t) continue;
    if (!sameShape(t.shape, target.shape)) {
      throw new Error(`checkpoint tensor '${key}' has shape ${fmt(t.shape)} but the model's is ${fmt(target.shape)}`);
    }
    state[key] = fromData(convert(key, t, target.dtype), t.shape, { backend: target.backend });
  }
  module.loadStateDict(state, { strict: false });
  return file.metadata;
}

/**
 * All tensors of a file as engine tensors (float32 for every float type,
 * int32 for integers that fit). With `finite`, a NaN or ±Infinity in any
 * float tensor is an error naming the tensor and the index: a model's
 * weights never hold one, and a model that does answers NaN, silently.
 */
export function safetensorsToTensors(bytes: Uint8Array, opts: { finite?: boolean } = {}): { tensors: Record<string, Tensor>; metadata: Record<string, string> } {
  const file = decodeSafetensors(bytes);
  const tensors = Object.fromEntries(Object.entries(file.tensors).map(([k, t]) => {
    const dtype: DType = t.dtype === 'F64' ? 'float64' : isFloat(t) ? 'float32' : 'int32';
    const values = convert(k, t, dtype);
    if (opts.finite && dtype !== 'int32') checkFinite(k, values);
    return [k, fromData(values, t.shape)];
  }));
  return { tensors, metadata: file.metadata };
}

function checkFinite(key: string, values: TypedArray): void {
  for (let i = 0; i < values.length; i++) {
    if (!Number.isFinite(values[i]!)) throw new Error(`checkpoint tensor '${key}' holds ${values[i]} at index ${i}`);
  }
}

function isFloat(t: SafetensorsTensor): boolean {
  return t.dtype.startsWith('F') || t.dtype === 'BF16';
}

/** The file's values as a typed array of the engine dtype `want`, or an error naming the tensor. */
function convert(key: string, t: SafetensorsTensor, want: DType): TypedArray {
  const fail = (): never => { throw new Error(`checkpoint tensor '${key}' is ${t.dtype}, which cannot load into a ${want} tensor`); };
  if (want === 'int32') {
    if (isFloat(t) || t.dtype === 'BOOL') return fail();
    const out = new Int32Array(t.data.length);
    for (let i = 0; i < out.length; i++) {
      const v = Number(t.data[i]!);
      if (v !== (v | 0)) throw new Error(`checkpoint tensor '${key}' (${t.dtype}) holds ${v} at index ${i}, outside int32`);
      out[i] = v;
    }
    return out;
  }
  if (t.dtype === 'F8_E4M3' || t.dtype === 'F8_E5M2' || !isFloat(t)) return fail();
  const values = t.dtype === 'F16' || t.dtype === 'BF16' ? halfToFloat32(t.data as Uint16Array, t.dtype) : (t.data as Float32Array | Float64Array);
  return want === 'float64' ? Float64Array.from(values) : Float32Array.from(values);
}
