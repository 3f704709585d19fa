/**
 * A tiny WebAssembly assembler: enough of the binary format to write SIMD
 * kernels from TypeScript at run time, with no native toolchain and no .wasm
 * files. A module is one imported shared memory plus exported functions; a
 * function is built by appending instructions to a byte list. The helpers
 * (`loop`, `ifThen`, `simd`, ...) keep the kernel code close to the text
 * format, so a reader can follow it next to the spec.
 */

export const I32 = 0x7f;
export const F32 = 0x7d;
export const V128 = 0x7b;
export type ValType = typeof I32 | typeof F32 | typeof V128;

/** Core opcodes used by the kernels (names as in the text format). */
export const op = {
  block: 0x02, loop: 0x03, if: 0x04, else: 0x05, end: 0x0b, br: 0x0c, brIf: 0x0d, return: 0x0f, call: 0x10, drop: 0x1a, select: 0x1b,
  localGet: 0x20, localSet: 0x21, localTee: 0x22,
  i32Load: 0x28, f32Load: 0x2a, i32Store: 0x36, f32Store: 0x38,
  i32Const: 0x41, f32Const: 0x43,
  i32Eqz: 0x45, i32Eq: 0x46, i32Ne: 0x47, i32LtS: 0x48, i32LtU: 0x49, i32GtS: 0x4a, i32LeS: 0x4c, i32GeS: 0x4e,
  f32Eq: 0x5b, f32Ne: 0x5c, f32Lt: 0x5d, f32Gt: 0x5e, f32Le: 0x5f, f32Ge: 0x60,
  i32Add: 0x6a, i32Sub: 0x6b, i32Mul: 0x6c, i32DivS: 0x6d, i32RemU: 0x70, i32And: 0x71, i32Or: 0x72, i32Shl: 0x74, i32ShrS: 0x75,
  f32ConvertI32S: 0xb2, f32ReinterpretI32: 0xbe, f32Abs: 0x8b, f32Neg: 0x8c, f32Sqrt: 0x91, f32Add: 0x92, f32Sub: 0x93, f32Mul: 0x94, f32Div: 0x95, f32Min: 0x96, f32Max: 0x97,
} as const;

/** SIMD opcodes (after the 0xfd prefix). */
export const simd = {
  load: 0x00, load32Splat: 0x09, store: 0x0b, const: 0x0c,
  i32x4Splat: 0x11, f32x4Splat: 0x13, f32x4ExtractLane: 0x1f, f32x4ReplaceLane: 0x20,
  f32x4Eq: 0x41, f32x4Ne: 0x42, f32x4Lt: 0x43, f32x4Gt: 0x44, f32x4Le: 0x45, f32x4Ge: 0x46,
  not: 0x4d, and: 0x4e, andNot: 0x4f, or: 0x50, xor: 0x51, bitselect: 0x52,
  f32x4Floor: 0x68, f32x4Nearest: 0x6a,
  i32x4Shl: 0xab, i32x4ShrS: 0xac, i32x4ShrU: 0xad, i32x4Add: 0xae, i32x4Sub: 0xb1,
  f32x4Abs: 0xe0, f32x4Neg: 0xe1, f32x4Sqrt: 0xe3, f32x4Add: 0xe4, f32x4Sub: 0xe5, f32x4Mul: 0xe6, f32x4Div: 0xe7,
  f32x4Min: 0xe8, f32x4Max: 0xe9, f32x4Pmin: 0xea, f32x4Pmax: 0xeb,
  i32x4TruncSatF32x4S: 0xf8, f32x4ConvertI32x4S: 0xfa,
} as const;

function uleb(out: number[], v: number): void {
  do {
    let byte = v & 0x7f;
    v >>>= 7;
    if (v !== 0) byte |= 0x80;
    out.push(byte);
  } while (v !== 0);
}

function sleb(out: number[], v: number): void {
  for (;;) {
    const byte = v & 0x7f;
    v >>= 7;
    const done = (v === 0 && (byte & 0x40) === 0) || (v === -1 && (byte & 0x40) !== 0);
    out.push(done ? byte : byte | 0x80);
    if (done) return;
  }
}

/** A function under construction: parameters are locals 0..n-1, `local()` adds more. */
export class Func {
  readonly code: number[] = [];
  private readonly locals: ValType[] = [];
  private readonly consts = new Map<string, number>();
  constructor(
    readonly name: string,
    readonly params: readonly ValType[],
    readonly results: readonly ValType[] = [],
  ) {}

  local(type: ValType): number {
    this.locals.push(type);
    return this.params.length + this.locals.length - 1;
  }

  /** Raw opcodes, each followed by its immediates (unsigned LEB128). */
  emit(opcode: number, ...imm: number[]): this {
    this.code.push(opcode);
    for (const v of imm) uleb(this.code, v);
    return this;
  }
  get(i: number): this { return this.emit(op.localGet, i); }
  set(i: number): this { return this.emit(op.localSet, i); }
  tee(i: number): this { return this.emit(op.localTee, i); }
  i32(v: number): this {
    this.code.push(op.i32Const);
    sleb(this.code, v | 0);
    return this;
  }
  f32(v: number): this {
    this.code.push(op.f32Const, ...new Uint8Array(new Float32Array([v]).buffer));
    return this;
  }
  /** A load or store: alignment (log2 bytes) and a constant byte offset. */
  mem(opcode: number, offset = 0, alignLog2 = 2): this { return this.emit(opcode, alignLog2, offset); }
  v(sub: number): this {
    this.code.push(0xfd);
    uleb(this.code, sub);
    return this;
  }
  vmem(sub: number, offset = 0, alignLog2 = 4): this {
    this.v(sub);
    uleb(this.code, sub === simd.load32Splat ? 2 : alignLog2);
    uleb(this.code, offset);
    return this;
  }
  /** A v128 with four equal f32 lanes. */
  vf32(x: number): this {
    return this.vconst(new Uint8Array(new Float32Array([x]).buffer));
  }
  /** A v128 with four equal i32 lanes (bit masks, exponent biases). */
  vi32(x: number): this {
    return this.vconst(new Uint8Array(new Int32Array([x]).buffer));
  }
  /**
   * Vector constants live in locals set once at the function's entry, so a
   * kernel's loop reads a register instead of rebuilding the 128-bit
   * immediate (a few instructions on x64) at every use.
   */
  private vconst(lane: Uint8Array): this {
    const key = lane.join(',');
    let local = this.consts.get(key);
    if (local === undefined) {
      local = this.local(V128);
      this.consts.set(key, local);
    }
    return this.get(local);
  }
  /**
   * i8x16.shuffle of the two v128 on the stack, by 32-bit lanes: result lane
   * i is lane lanes[i] of the pair (0–3 the first operand, 4–7 the second).
   */
  shuffle32(lanes: readonly [number, number, number, number]): this {
    this.v(0x0d);
    for (const l of lanes) for (let b = 0; b < 4; b++) this.code.push(4 * l + b);
    return this;
  }
  /** A lane instruction: the SIMD opcode, then the lane index byte. */
  lane(sub: number, index: number): this {
    this.v(sub);
    this.code.push(index);
    return this;
  }
  call(index: number): this { return this.emit(op.call, index); }

  /** local[i] += delta (i32). */
  inc(i: number, delta: number | (() => void)): this {
    this.get(i);
    if (typeof delta === 'number') this.i32(delta);
    else delta();
    return this.emit(op.i32Add).set(i);
  }

  /** `while (local[i] < local[end]) { body(); local[i] += step }` — i32, signed. */
  loopLt(i: number, end: number, step: number, body: () => void): this {
    this.emit(op.block, 0x40).emit(op.loop, 0x40);
    this.get(i).get(end).emit(op.i32GeS).emit(op.brIf, 1);
    body();
    this.inc(i, step).emit(op.br, 0).emit(op.end).emit(op.end);
    return this;
  }
  /** `for (local[i] = 0; local[i] < local[end]; local[i] += step) body()`. */
  forUp(i: number, end: number, step: number, body: () => void): this {
    this.i32(0).set(i);
    return this.loopLt(i, end, step, body);
  }
  /** `if (<cond on stack>) then() else otherwise()`. */
  ifThen(then: () => void, otherwise?: () => void): this {
    this.emit(op.if, 0x40);
    then();
    if (otherwise) {
      this.emit(op.else);
      otherwise();
    }
    return this.emit(op.end);
  }

  /** The code-section entry: size, local declarations, body, end. */
  encode(): number[] {
    const body: number[] = [];
    uleb(body, this.locals.length);
    for (const t of this.locals) body.push(1, t);
    for (const [key, local] of this.consts) {
      body.push(0xfd);
      uleb(body, simd.const);
      const lane = key.split(',').map(Number);
      for (let i = 0; i < 4; i++) body.push(...lane);
      body.push(op.localSet);
      uleb(body, local);
    }
    body.push(...this.code, op.end);
    const out: number[] = [];
    uleb(out, body.length);
    return out.concat(body);
  }
}

function section(id: number, payload: number[]): number[] {
  const out = [id];
  uleb(out, payload.length);
  return out.concat(payload);
}

function str(out: number[], s: string): void {
  const bytes = new TextEncoder().encode(s);
  uleb(out, bytes.length);
  out.push(...bytes);
}

/**
 * Assembles functions into a module that imports `env.mem`, a shared memory
 * of `maxPages` pages at most, and exports every function by its name.
 * Functions may call each other by their index in `funcs`.
 */
export function assemble(funcs: readonly Func[], maxPages: number): Uint8Array<ArrayBuffer> {
  const sigs: string[] = [];
  const sigOf = funcs.map((f) => {
    const key = `${f.params.join(',')}>${f.results.join(',')}`;
    if (!sigs.includes(key)) sigs.push(key);
    return sigs.indexOf(key);
  });
  const types: number[] = [];
  uleb(types, sigs.length);
  for (const key of sigs) {
    const [p, r] = key.split('>').map((s) => (s ? s.split(',').map(Number) : []));
    types.push(0x60);
    uleb(types, p!.length);
    types.push(...p!);
    uleb(types, r!.length);
    types.push(...r!);
  }
  const imports: number[] = [1];
  str(imports, 'env');
  str(imports, 'mem');
  imports.push(0x02, 0x03); // memory, limits: shared with a maximum
  uleb(imports, 1);
  uleb(imports, maxPages);
  const fnSec: number[] = [];
  uleb(fnSec, funcs.length);
  for (const s of sigOf) uleb(fnSec, s);
  const exports: number[] = [];
  uleb(exports, funcs.length);
  funcs.forEach((f, i) => {
    str(exports, f.name);
    exports.push(0x00);
    uleb(exports, i);
  });
  const code: number[] = [];
  uleb(code, funcs.length);
  for (const f of funcs) code.push(...f.encode());
  return new Uint8Array([
    0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00,
    ...section(1, types), ...section(2, imports), ...section(3, fnSec), ...section(7, exports), ...section(10, code),
  ]);
}
