import type { DeviceBuffer } from '../backend.js';
import type { DType, TypedArray } from '../../base/dtype.js';
import { dtypeOf } from '../../base/dtype.js';

/** On the cpu backend a device buffer is just a typed array in host memory. */
export class CpuBuffer implements DeviceBuffer {
  readonly dtype: DType;
  constructor(readonly data: TypedArray) {
    this.dtype = dtypeOf(data);
  }
  get size(): number {
    return this.data.length;
  }
}

export function cpu(buf: DeviceBuffer): TypedArray {
  if (!(buf instanceof CpuBuffer)) throw new Error(`cpu backend: got a buffer from another backend (${buf.constructor.name}); move the tensor with .to('cpu') first`);
  return buf.data;
}
