/**
 * A gpujs device buffer. Its values are float32 wherever they live: in a
 * GL texture or WebGPU buffer (GPU modes), or a Float32Array (cpu and webasm,
 * whose "device" is host memory). int32 tensors are stored as float32 values
 * too (gpu.js kernels compute in float32; indices below 2^24 are exact) and
 * keep the tag 'int32', so read() gives back an Int32Array.
 *
 * A tensor past 2^24 elements is chunked: kernels index in float32, exact
 * only below 2^24, so it is kept as a list of parts of CHUNK cells each
 * (index-math.ts), every part an ordinary buffer, and kernels produce or
 * read it part by part (chunks.ts).
 */
import type { DeviceBuffer } from '../backend.js';
import type { DType } from '../../base/dtype.js';
import { isDeviceHandle, type KernelOutput } from './api.js';
import { chargeDeviceBytes } from './memory.js';
import { countLive } from './stats.js';

export type GpujsDType = Exclude<DType, 'float64'>;

export class GpujsBuffer implements DeviceBuffer {
  private store: KernelOutput | null;
  /** The parts of a chunked buffer, in order (all CHUNK cells but the last); null for an ordinary one. */
  readonly parts: readonly GpujsBuffer[] | null;

  constructor(
    readonly dtype: GpujsDType,
    readonly size: number,
    store: KernelOutput | readonly GpujsBuffer[],
    /** The int32 values on the host, when they came from there: scatter-add reads them without a readback. */
    readonly hostInts?: Int32Array,
  ) {
    if (store instanceof Array) {
      this.parts = store;
      this.store = null;
      return;
    }
    this.parts = null;
    this.store = store;
    if (isDeviceHandle(store)) onDeviceAllocation(size);
  }

  /** What a kernel takes as this argument. */
  get values(): KernelOutput {
    if (this.parts) throw new Error('internal: a chunked gpujs buffer was passed to a kernel whole; pass its parts');
    if (!this.store) throw new Error('gpujs: this buffer was disposed (its tensor was freed) and cannot be read');
    return this.store;
  }

  /** Host values moving to the device: the upload in flight, so two uses of one buffer upload it once. */
  uploading: Promise<KernelOutput> | null = null;

  /** Replaces host values by their copy on the device, once uploaded. */
  settle(onDevice: KernelOutput): void {
    if (isDeviceHandle(onDevice)) onDeviceAllocation(this.size);
    this.store = onDevice;
    this.uploading = null;
  }

  get isDisposed(): boolean {
    return this.parts ? this.parts.some((p) => p.isDisposed) : this.store === null;
  }

  /** Frees the texture / GPU buffer now rather than whenever gpu.js would. */
  dispose(): void {
    this.parts?.forEach((p) => p.dispose());
    if (this.store && isDeviceHandle(this.store)) {
      this.store.delete();
      countLive(-1);
    }
    this.store = null;
  }
}

function onDeviceAllocation(size: number): void {
  countLive(1);
  chargeDeviceBytes(size * 4);
}

export function gpujsBuffer(buf: DeviceBuffer): GpujsBuffer {
  if (!(buf instanceof GpujsBuffer)) throw new Error(`gpujs backend: got a buffer from another backend (${buf.constructor.name}); move the tensor with .to(...) first`);
  return buf;
}
