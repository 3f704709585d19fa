/**
 * The wasm backend's memory: one shared WebAssembly.Memory that every kernel
 * and worker thread sees, carved up by a size-class allocator. A training
 * loop allocates the same shapes every step, so freed blocks go on a free
 * list per size class and come straight back on the next step; the memory
 * only grows while the working set grows.
 *
 * Size classes: multiples of 64 bytes up to 4 KiB, then 8 classes per power
 * of two (at most 12.5% waste). Every block is 64-byte aligned, so SIMD loads
 * never straddle a cache line needlessly.
 */
const PAGE = 65536;
const SLACK = 64;
// 2 GiB: kernels compare addresses as signed i32, so memory stays below 2³¹.
const MAX_PAGES = 32768;

export function sizeClass(bytes: number): number {
  if (bytes <= 4096) return Math.max(64, Math.ceil(bytes / 64) * 64);
  const step = 2 ** (Math.floor(Math.log2(bytes)) - 3);
  return Math.ceil(bytes / step) * step;
}

export class Heap {
  readonly memory: WebAssembly.Memory;
  private top: number;
  private readonly free = new Map<number, number[]>();
  private f32View: Float32Array;
  private i32View: Int32Array;
  /** Bytes handed out and not yet freed (for tests and leak checks). */
  live = 0;

  /** `reserved` bytes at address 0 stay out of the allocator (thread control block, scratch). */
  constructor(reserved: number, initialPages = 256) {
    this.memory = new WebAssembly.Memory({ initial: initialPages, maximum: MAX_PAGES, shared: true });
    this.top = Math.ceil(reserved / 64) * 64;
    this.f32View = new Float32Array(this.memory.buffer);
    this.i32View = new Int32Array(this.memory.buffer);
  }

  static get maxPages(): number {
    return MAX_PAGES;
  }

  /** A block of at least `bytes` bytes (64-byte aligned); its address. */
  alloc(bytes: number): number {
    const cls = sizeClass(bytes);
    const reuse = this.free.get(cls)?.pop();
    this.live += cls;
    if (reuse !== undefined) return reuse;
    const ptr = this.top;
    this.top += cls;
    const have = this.memory.buffer.byteLength;
    // SLACK bytes stay mapped past the last block: SIMD kernels may over-read a partial vector.
    if (this.top + SLACK > have) {
      // Grow by at least a quarter of what we have, so growth is amortised.
      const need = Math.ceil((this.top + SLACK - have) / PAGE);
      const pages = Math.min(Math.max(need, Math.ceil(have / PAGE / 4)), MAX_PAGES - have / PAGE);
      if (pages < need) throw new Error(`wasm backend: out of memory (asked for ${bytes} bytes with ${have} in use; the limit is 2 GiB)`);
      this.memory.grow(pages);
      this.refresh();
    }
    return ptr;
  }

  release(ptr: number, bytes: number): void {
    const cls = sizeClass(bytes);
    this.live -= cls;
    let list = this.free.get(cls);
    if (!list) this.free.set(cls, (list = []));
    list.push(ptr);
  }

  /** Bytes of memory the heap has reserved from the system. */
  get capacity(): number {
    return this.memory.buffer.byteLength;
  }

  /** Views of the whole memory. Only alloc grows it, and renews them then (old views of a shared buffer keep their length). */
  get f32(): Float32Array {
    return this.f32View;
  }
  get i32(): Int32Array {
    return this.i32View;
  }
  private refresh(): void {
    this.f32View = new Float32Array(this.memory.buffer);
    this.i32View = new Int32Array(this.memory.buffer);
  }
}
