import type { DeviceBuffer } from '../backend.js';
import type { DType } from '../../base/dtype.js';

/** A block of the wasm heap: `size` elements of 4 bytes at byte address `ptr`. */
export class WasmBuffer implements DeviceBuffer {
  /** Cleared by dispose, so a second dispose or a late read is caught. */
  live = true;
  constructor(
    readonly dtype: DType,
    readonly size: number,
    readonly ptr: number,
  ) {}
  get bytes(): number {
    return this.size * 4;
  }
}

export function wasmBuf(buf: DeviceBuffer): WasmBuffer {
  if (!(buf instanceof WasmBuffer)) throw new Error(`wasm backend: got a buffer from another backend (${buf.constructor.name}); move the tensor with .to('wasm') first`);
  if (!buf.live) throw new Error('wasm backend: buffer used after dispose');
  return buf;
}
