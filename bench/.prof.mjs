var __defProp = Object.defineProperty;
var __getOwnPropNames = Object.getOwnPropertyNames;
var __esm = (fn, res, err) => function __init() {
  if (err) throw err[0];
  try {
    return fn && (res = (0, fn[__getOwnPropNames(fn)[0]])(fn = 0)), res;
  } catch (e) {
    throw err = [e], e;
  }
};
var __export = (target, all) => {
  for (var name2 in all)
    __defProp(target, name2, { get: all[name2], enumerable: true });
};

// src/tensor/dtype.ts
function arrayFor(dtype, size) {
  switch (dtype) {
    case "float32":
      return new Float32Array(size);
    case "float64":
      return new Float64Array(size);
    case "int32":
      return new Int32Array(size);
  }
}
function toTypedArray(values2, dtype) {
  const out = arrayFor(dtype, values2.length);
  for (let i = 0; i < values2.length; i++) out[i] = values2[i];
  return out;
}
function isFloat(dtype) {
  return dtype !== "int32";
}
function dtypeOf(a) {
  if (a instanceof Float64Array) return "float64";
  if (a instanceof Int32Array) return "int32";
  return "float32";
}
var init_dtype = __esm({
  "src/tensor/dtype.ts"() {
    "use strict";
  }
});

// src/tensor/shape.ts
function sizeOf(shape) {
  let n2 = 1;
  for (const d of shape) n2 *= d;
  return n2;
}
function stridesOf(shape) {
  const strides = new Array(shape.length);
  let s = 1;
  for (let i = shape.length - 1; i >= 0; i--) {
    strides[i] = s;
    s *= shape[i];
  }
  return strides;
}
function fmt(shape) {
  return `[${shape.join(", ")}]`;
}
function sameShape(a, b) {
  return a.length === b.length && a.every((d, i) => d === b[i]);
}
function broadcastShapes(op2, a, b) {
  const n2 = Math.max(a.length, b.length);
  const out = new Array(n2);
  for (let i = 0; i < n2; i++) {
    const da = a[a.length - n2 + i] ?? 1;
    const db = b[b.length - n2 + i] ?? 1;
    if (da !== db && da !== 1 && db !== 1) {
      throw new Error(`${op2}: shapes ${fmt(a)} and ${fmt(b)} cannot be broadcast (axis ${i - n2}: ${da} vs ${db})`);
    }
    out[i] = da === 1 ? db : da;
  }
  return out;
}
function normAxis(op2, axis, rank) {
  if (!Number.isInteger(axis)) throw new Error(`${op2}: axis ${axis} is not an integer`);
  if (axis < -rank || axis >= rank) {
    const valid = rank === 0 ? "a tensor of rank 0 has no axes" : `valid axes are ${-rank} to ${rank - 1}`;
    throw new Error(`${op2}: axis ${axis} is out of range for a tensor of rank ${rank} (${valid})`);
  }
  return axis < 0 ? axis + rank : axis;
}
function broadcastedAxes(from, to) {
  const axes = [];
  const lead = to.length - from.length;
  for (let i = 0; i < to.length; i++) {
    if (i < lead || from[i - lead] === 1 && to[i] !== 1) axes.push(i);
  }
  return axes;
}
function splitAt(shape, axis) {
  let outer = 1;
  let inner = 1;
  for (let i = 0; i < axis; i++) outer *= shape[i];
  for (let i = axis + 1; i < shape.length; i++) inner *= shape[i];
  return [outer, shape[axis], inner];
}
function checkShape(op2, shape) {
  for (const d of shape) {
    if (!Number.isInteger(d) || d < 0) throw new Error(`${op2}: invalid shape ${fmt(shape)} (sizes must be non-negative integers)`);
  }
}
var init_shape = __esm({
  "src/tensor/shape.ts"() {
    "use strict";
  }
});

// src/gpu/cpu/elementwise.ts
function gelu(x) {
  return 0.5 * x * (1 + Math.tanh(SQRT_2_OVER_PI * (x + 0.044715 * x * x * x)));
}
function sigmoid(x) {
  if (x >= 0) return 1 / (1 + Math.exp(-x));
  const e = Math.exp(x);
  return e / (1 + e);
}
function unary(op2, x) {
  const f = UNARY[op2];
  const out = arrayFor(dtypeOf(x), x.length);
  for (let i = 0; i < x.length; i++) out[i] = f(x[i]);
  return out;
}
function alignedStrides(shape, outShape) {
  const own = stridesOf(shape);
  const lead = outShape.length - shape.length;
  return outShape.map((d, i) => i < lead || shape[i - lead] === 1 ? 0 : own[i - lead]);
}
function forEachBroadcast(outShape, inputs, visit) {
  const rank = outShape.length;
  const strides = inputs.map((s) => alignedStrides(s, outShape));
  const idx = new Array(rank).fill(0);
  const offs = new Array(inputs.length).fill(0);
  const total2 = sizeOf(outShape);
  for (let o = 0; o < total2; o++) {
    visit(o, offs);
    for (let d = rank - 1; d >= 0; d--) {
      idx[d]++;
      for (let j = 0; j < offs.length; j++) offs[j] += strides[j][d];
      if (idx[d] < outShape[d]) break;
      for (let j = 0; j < offs.length; j++) offs[j] -= strides[j][d] * outShape[d];
      idx[d] = 0;
    }
  }
}
function binary(op2, a, aShape, b, bShape, outShape, dtype) {
  const f = BINARY[op2];
  const out = arrayFor(dtype, sizeOf(outShape));
  if (sameShape(aShape, outShape) && sameShape(bShape, outShape)) {
    for (let i = 0; i < out.length; i++) out[i] = f(a[i], b[i]);
  } else if (sameShape(aShape, outShape) && b.length === 1) {
    const s = b[0];
    for (let i = 0; i < out.length; i++) out[i] = f(a[i], s);
  } else {
    forEachBroadcast(outShape, [aShape, bShape], (o, [ia, ib]) => {
      out[o] = f(a[ia], b[ib]);
    });
  }
  return out;
}
function where(c, cShape, a, aShape, b, bShape, outShape, dtype) {
  const out = arrayFor(dtype, sizeOf(outShape));
  forEachBroadcast(outShape, [cShape, aShape, bShape], (o, [ic, ia, ib]) => {
    out[o] = c[ic] !== 0 ? a[ia] : b[ib];
  });
  return out;
}
var SQRT_2_OVER_PI, UNARY, BINARY;
var init_elementwise = __esm({
  "src/gpu/cpu/elementwise.ts"() {
    "use strict";
    init_shape();
    init_dtype();
    SQRT_2_OVER_PI = Math.sqrt(2 / Math.PI);
    UNARY = {
      neg: (x) => -x,
      exp: Math.exp,
      log: Math.log,
      sqrt: Math.sqrt,
      abs: Math.abs,
      tanh: Math.tanh,
      sigmoid,
      relu: (x) => x > 0 ? x : 0,
      gelu,
      silu: (x) => x * sigmoid(x),
      sign: Math.sign,
      sin: Math.sin,
      cos: Math.cos
    };
    BINARY = {
      add: (a, b) => a + b,
      sub: (a, b) => a - b,
      mul: (a, b) => a * b,
      div: (a, b) => a / b,
      pow: Math.pow,
      max: (a, b) => a >= b || Number.isNaN(a) ? a : b,
      min: (a, b) => a <= b || Number.isNaN(a) ? a : b,
      eq: (a, b) => a === b ? 1 : 0,
      ne: (a, b) => a !== b ? 1 : 0,
      lt: (a, b) => a < b ? 1 : 0,
      le: (a, b) => a <= b ? 1 : 0,
      gt: (a, b) => a > b ? 1 : 0,
      ge: (a, b) => a >= b ? 1 : 0
    };
  }
});

// src/gpu/cpu/reduce.ts
function reduce(op2, x, outer, n2, inner) {
  const out = arrayFor(dtypeOf(x), outer * inner);
  for (let o = 0; o < outer; o++) {
    for (let i = 0; i < inner; i++) {
      const base2 = o * n2 * inner + i;
      let acc2 = op2 === "sum" ? 0 : x[base2];
      for (let j = op2 === "sum" ? 0 : 1; j < n2; j++) {
        const v = x[base2 + j * inner];
        if (op2 === "sum") acc2 += v;
        else if (op2 === "max" ? v > acc2 || Number.isNaN(v) : v < acc2 || Number.isNaN(v)) acc2 = v;
      }
      out[o * inner + i] = n2 === 0 && op2 !== "sum" ? NaN : acc2;
    }
  }
  return out;
}
function argReduce(op2, x, outer, n2, inner) {
  const out = new Int32Array(outer * inner);
  for (let o = 0; o < outer; o++) {
    for (let i = 0; i < inner; i++) {
      const base2 = o * n2 * inner + i;
      let best = 0;
      let bestV = x[base2];
      for (let j = 1; j < n2; j++) {
        const v = x[base2 + j * inner];
        if (Number.isNaN(bestV)) break;
        if (Number.isNaN(v) || (op2 === "argmax" ? v > bestV : v < bestV)) {
          best = j;
          bestV = v;
        }
      }
      out[o * inner + i] = best;
    }
  }
  return out;
}
var init_reduce = __esm({
  "src/gpu/cpu/reduce.ts"() {
    "use strict";
    init_dtype();
  }
});

// src/gpu/cpu/indexing.ts
function checkIndex(op2, i, value, rows2) {
  if (!(value >= 0 && value < rows2)) throw new Error(`${op2}: index ${value} at position ${i} is out of range for ${rows2} rows`);
}
function gather(src, rows2, cols, idx) {
  const out = arrayFor(dtypeOf(src), idx.length * cols);
  for (let i = 0; i < idx.length; i++) {
    const r = idx[i];
    checkIndex("gather", i, r, rows2);
    out.set(src.subarray(r * cols, (r + 1) * cols), i * cols);
  }
  return out;
}
function scatterAdd(src, cols, idx, outRows) {
  const out = arrayFor(dtypeOf(src), outRows * cols);
  for (let i = 0; i < idx.length; i++) {
    const r = idx[i];
    checkIndex("scatterAdd", i, r, outRows);
    for (let c = 0; c < cols; c++) out[r * cols + c] += src[i * cols + c];
  }
  return out;
}
function topk(x, rows2, n2, k) {
  const out = new Int32Array(rows2 * k);
  const order = new Array(n2);
  for (let r = 0; r < rows2; r++) {
    const base2 = r * n2;
    for (let j = 0; j < n2; j++) order[j] = j;
    order.sort((i, j) => {
      const a = x[base2 + i];
      const b = x[base2 + j];
      const aNaN = Number.isNaN(a);
      const bNaN = Number.isNaN(b);
      if (aNaN || bNaN) return aNaN && bNaN ? i - j : aNaN ? -1 : 1;
      return a < b ? 1 : a > b ? -1 : i - j;
    });
    for (let j = 0; j < k; j++) out[r * k + j] = order[j];
  }
  return out;
}
var init_indexing = __esm({
  "src/gpu/cpu/indexing.ts"() {
    "use strict";
    init_dtype();
  }
});

// src/gpu/cpu/view.ts
function view(x, spec) {
  const { shape, strides, offset, window } = spec;
  const rank = shape.length;
  const out = arrayFor(dtypeOf(x), sizeOf(shape));
  const idx = new Array(rank).fill(0);
  for (let o = 0; o < out.length; o++) {
    let src = offset;
    let inside = true;
    for (let d = 0; d < rank; d++) {
      const i = idx[d];
      if (window && (i < window[d][0] || i >= window[d][1])) inside = false;
      src += i * strides[d];
    }
    out[o] = inside ? x[src] : 0;
    for (let d = rank - 1; d >= 0; d--) {
      if (++idx[d] < shape[d]) break;
      idx[d] = 0;
    }
  }
  return out;
}
var init_view = __esm({
  "src/gpu/cpu/view.ts"() {
    "use strict";
    init_dtype();
    init_shape();
  }
});

// src/gpu/wasm/buffer.ts
function wasmBuf(buf) {
  if (!(buf instanceof WasmBuffer)) throw new Error(`wasm backend: got a buffer from another backend (${buf.constructor.name}); move the tensor with .to('wasm') first`);
  if (!buf.live) throw new Error("wasm backend: buffer used after dispose");
  return buf;
}
var WasmBuffer;
var init_buffer = __esm({
  "src/gpu/wasm/buffer.ts"() {
    "use strict";
    WasmBuffer = class {
      constructor(dtype, size, ptr) {
        this.dtype = dtype;
        this.size = size;
        this.ptr = ptr;
      }
      dtype;
      size;
      ptr;
      /** Cleared by dispose, so a second dispose or a late read is caught. */
      live = true;
      get bytes() {
        return this.size * 4;
      }
    };
  }
});

// src/gpu/wasm/emit.ts
function uleb(out, v) {
  do {
    let byte = v & 127;
    v >>>= 7;
    if (v !== 0) byte |= 128;
    out.push(byte);
  } while (v !== 0);
}
function sleb(out, v) {
  for (; ; ) {
    const byte = v & 127;
    v >>= 7;
    const done = v === 0 && (byte & 64) === 0 || v === -1 && (byte & 64) !== 0;
    out.push(done ? byte : byte | 128);
    if (done) return;
  }
}
function section(id, payload) {
  const out = [id];
  uleb(out, payload.length);
  return out.concat(payload);
}
function str(out, s) {
  const bytes = new TextEncoder().encode(s);
  uleb(out, bytes.length);
  out.push(...bytes);
}
function assemble(funcs, maxPages) {
  const sigs = [];
  const sigOf = funcs.map((f) => {
    const key = `${f.params.join(",")}>${f.results.join(",")}`;
    if (!sigs.includes(key)) sigs.push(key);
    return sigs.indexOf(key);
  });
  const types = [];
  uleb(types, sigs.length);
  for (const key of sigs) {
    const [p, r] = key.split(">").map((s) => s ? s.split(",").map(Number) : []);
    types.push(96);
    uleb(types, p.length);
    types.push(...p);
    uleb(types, r.length);
    types.push(...r);
  }
  const imports = [1];
  str(imports, "env");
  str(imports, "mem");
  imports.push(2, 3);
  uleb(imports, 1);
  uleb(imports, maxPages);
  const fnSec = [];
  uleb(fnSec, funcs.length);
  for (const s of sigOf) uleb(fnSec, s);
  const exports = [];
  uleb(exports, funcs.length);
  funcs.forEach((f, i) => {
    str(exports, f.name);
    exports.push(0);
    uleb(exports, i);
  });
  const code = [];
  uleb(code, funcs.length);
  for (const f of funcs) code.push(...f.encode());
  return new Uint8Array([
    0,
    97,
    115,
    109,
    1,
    0,
    0,
    0,
    ...section(1, types),
    ...section(2, imports),
    ...section(3, fnSec),
    ...section(7, exports),
    ...section(10, code)
  ]);
}
var I32, V128, op, simd, Func;
var init_emit = __esm({
  "src/gpu/wasm/emit.ts"() {
    "use strict";
    I32 = 127;
    V128 = 123;
    op = {
      block: 2,
      loop: 3,
      if: 4,
      else: 5,
      end: 11,
      br: 12,
      brIf: 13,
      return: 15,
      call: 16,
      drop: 26,
      select: 27,
      localGet: 32,
      localSet: 33,
      localTee: 34,
      i32Load: 40,
      f32Load: 42,
      i32Store: 54,
      f32Store: 56,
      i32Const: 65,
      f32Const: 67,
      i32Eqz: 69,
      i32Eq: 70,
      i32Ne: 71,
      i32LtS: 72,
      i32LtU: 73,
      i32GtS: 74,
      i32LeS: 76,
      i32GeS: 78,
      f32Eq: 91,
      f32Ne: 92,
      f32Lt: 93,
      f32Gt: 94,
      f32Le: 95,
      f32Ge: 96,
      i32Add: 106,
      i32Sub: 107,
      i32Mul: 108,
      i32DivS: 109,
      i32And: 113,
      i32Or: 114,
      i32Shl: 116,
      i32ShrS: 117,
      f32ConvertI32S: 178,
      f32Abs: 139,
      f32Neg: 140,
      f32Sqrt: 145,
      f32Add: 146,
      f32Sub: 147,
      f32Mul: 148,
      f32Div: 149,
      f32Min: 150,
      f32Max: 151
    };
    simd = {
      load: 0,
      load32Splat: 9,
      store: 11,
      const: 12,
      i32x4Splat: 17,
      f32x4Splat: 19,
      f32x4ExtractLane: 31,
      f32x4ReplaceLane: 32,
      f32x4Eq: 65,
      f32x4Ne: 66,
      f32x4Lt: 67,
      f32x4Gt: 68,
      f32x4Le: 69,
      f32x4Ge: 70,
      not: 77,
      and: 78,
      andNot: 79,
      or: 80,
      xor: 81,
      bitselect: 82,
      f32x4Floor: 104,
      f32x4Nearest: 106,
      i32x4Shl: 171,
      i32x4ShrS: 172,
      i32x4ShrU: 173,
      i32x4Add: 174,
      i32x4Sub: 177,
      f32x4Abs: 224,
      f32x4Neg: 225,
      f32x4Sqrt: 227,
      f32x4Add: 228,
      f32x4Sub: 229,
      f32x4Mul: 230,
      f32x4Div: 231,
      f32x4Min: 232,
      f32x4Max: 233,
      f32x4Pmin: 234,
      f32x4Pmax: 235,
      i32x4TruncSatF32x4S: 248,
      f32x4ConvertI32x4S: 250
    };
    Func = class {
      constructor(name2, params, results = []) {
        this.name = name2;
        this.params = params;
        this.results = results;
      }
      name;
      params;
      results;
      code = [];
      locals = [];
      consts = /* @__PURE__ */ new Map();
      local(type) {
        this.locals.push(type);
        return this.params.length + this.locals.length - 1;
      }
      /** Raw opcodes, each followed by its immediates (unsigned LEB128). */
      emit(opcode, ...imm) {
        this.code.push(opcode);
        for (const v of imm) uleb(this.code, v);
        return this;
      }
      get(i) {
        return this.emit(op.localGet, i);
      }
      set(i) {
        return this.emit(op.localSet, i);
      }
      tee(i) {
        return this.emit(op.localTee, i);
      }
      i32(v) {
        this.code.push(op.i32Const);
        sleb(this.code, v | 0);
        return this;
      }
      f32(v) {
        this.code.push(op.f32Const, ...new Uint8Array(new Float32Array([v]).buffer));
        return this;
      }
      /** A load or store: alignment (log2 bytes) and a constant byte offset. */
      mem(opcode, offset = 0, alignLog2 = 2) {
        return this.emit(opcode, alignLog2, offset);
      }
      v(sub) {
        this.code.push(253);
        uleb(this.code, sub);
        return this;
      }
      vmem(sub, offset = 0, alignLog2 = 4) {
        this.v(sub);
        uleb(this.code, sub === simd.load32Splat ? 2 : alignLog2);
        uleb(this.code, offset);
        return this;
      }
      /** A v128 with four equal f32 lanes. */
      vf32(x) {
        return this.vconst(new Uint8Array(new Float32Array([x]).buffer));
      }
      /** A v128 with four equal i32 lanes (bit masks, exponent biases). */
      vi32(x) {
        return this.vconst(new Uint8Array(new Int32Array([x]).buffer));
      }
      /**
       * Vector constants live in locals set once at the function's entry, so a
       * kernel's loop reads a register instead of rebuilding the 128-bit
       * immediate (a few instructions on x64) at every use.
       */
      vconst(lane) {
        const key = lane.join(",");
        let local = this.consts.get(key);
        if (local === void 0) {
          local = this.local(V128);
          this.consts.set(key, local);
        }
        return this.get(local);
      }
      /** A lane instruction: the SIMD opcode, then the lane index byte. */
      lane(sub, index) {
        this.v(sub);
        this.code.push(index);
        return this;
      }
      call(index) {
        return this.emit(op.call, index);
      }
      /** local[i] += delta (i32). */
      inc(i, delta) {
        this.get(i);
        if (typeof delta === "number") this.i32(delta);
        else delta();
        return this.emit(op.i32Add).set(i);
      }
      /** `while (local[i] < local[end]) { body(); local[i] += step }` — i32, signed. */
      loopLt(i, end, step3, body) {
        this.emit(op.block, 64).emit(op.loop, 64);
        this.get(i).get(end).emit(op.i32GeS).emit(op.brIf, 1);
        body();
        this.inc(i, step3).emit(op.br, 0).emit(op.end).emit(op.end);
        return this;
      }
      /** `for (local[i] = 0; local[i] < local[end]; local[i] += step) body()`. */
      forUp(i, end, step3, body) {
        this.i32(0).set(i);
        return this.loopLt(i, end, step3, body);
      }
      /** `if (<cond on stack>) then() else otherwise()`. */
      ifThen(then, otherwise) {
        this.emit(op.if, 64);
        then();
        if (otherwise) {
          this.emit(op.else);
          otherwise();
        }
        return this.emit(op.end);
      }
      /** The code-section entry: size, local declarations, body, end. */
      encode() {
        const body = [];
        uleb(body, this.locals.length);
        for (const t of this.locals) body.push(1, t);
        for (const [key, local] of this.consts) {
          body.push(253);
          uleb(body, simd.const);
          const lane = key.split(",").map(Number);
          for (let i = 0; i < 4; i++) body.push(...lane);
          body.push(op.localSet);
          uleb(body, local);
        }
        body.push(...this.code, op.end);
        const out = [];
        uleb(out, body.length);
        return out.concat(body);
      }
    };
  }
});

// src/gpu/wasm/gemm-kernel.ts
function gemmWorkBytes(g) {
  const ceil = (x, q) => Math.ceil(x / q) * q;
  return 4 * (ceil(g.mc, g.mr) * g.kc + g.kc * ceil(g.nc, g.nr) + g.mr * g.nr) + 64;
}
function packFunc(name2, W) {
  const f = new Func(name2, [I32, I32, I32, I32, I32, I32]);
  const [src, rs, cs, rows2, depth, dst] = [0, 1, 2, 3, 4, 5];
  const r0 = f.local(I32), w = f.local(I32), p = f.local(I32), i = f.local(I32);
  const s = f.local(I32), d = f.local(I32), panelBytes = f.local(I32), end = f.local(I32);
  f.get(depth).i32(W * 4).emit(op.i32Mul).set(panelBytes);
  f.forUp(r0, rows2, W, () => {
    f.get(rows2).get(r0).emit(op.i32Sub).tee(w).i32(W).get(w).i32(W).emit(op.i32LtS).emit(op.select).set(w);
    f.get(w).i32(W).emit(op.i32LtS).ifThen(() => {
      f.get(dst).get(panelBytes).emit(op.i32Add).set(end);
      f.get(dst).set(d);
      f.loopLt(d, end, 4, () => {
        f.get(d).f32(0).mem(op.f32Store);
      });
    });
    f.get(src).get(r0).get(rs).emit(op.i32Mul).emit(op.i32Add).set(s);
    const contiguousPanel = W % 4 === 0;
    f.get(rs).i32(4).emit(op.i32Eq).get(w).i32(W).emit(op.i32Eq).emit(op.i32And).i32(contiguousPanel ? 1 : 0).emit(op.i32And).ifThen(
      () => {
        f.get(dst).set(d);
        f.forUp(p, depth, 1, () => {
          for (let v = 0; v < W / 4; v++) f.get(d).get(s).vmem(simd.load, v * 16, 0).vmem(simd.store, v * 16, 0);
          f.inc(s, () => f.get(cs));
          f.inc(d, W * 4);
        });
      },
      () => {
        f.get(cs).get(rs).emit(op.i32LeS).ifThen(
          () => {
            f.forUp(i, w, 1, () => {
              f.get(src).get(r0).get(i).emit(op.i32Add).get(rs).emit(op.i32Mul).emit(op.i32Add).set(s);
              f.get(dst).get(i).i32(4).emit(op.i32Mul).emit(op.i32Add).set(d);
              f.forUp(p, depth, 1, () => {
                f.get(d).get(s).mem(op.f32Load).mem(op.f32Store);
                f.inc(s, () => f.get(cs));
                f.inc(d, W * 4);
              });
            });
          },
          () => {
            f.get(dst).set(d);
            f.forUp(p, depth, 1, () => {
              f.get(src).get(r0).get(rs).emit(op.i32Mul).emit(op.i32Add).get(p).get(cs).emit(op.i32Mul).emit(op.i32Add).set(s);
              f.forUp(i, w, 1, () => {
                f.get(d).get(i).i32(4).emit(op.i32Mul).emit(op.i32Add).get(s).mem(op.f32Load).mem(op.f32Store);
                f.inc(s, () => f.get(rs));
              });
              f.inc(d, W * 4);
            });
          }
        );
      }
    );
    f.inc(dst, () => f.get(panelBytes));
  });
  return f;
}
function macroFunc(g) {
  const { mr: MR, nr: NR } = g;
  const NV = NR / 4;
  const f = new Func("gemmMacro", [I32, I32, I32, I32, I32, I32, I32, I32, I32]);
  const [aPack, bPack, c, ldc, mc, nc, kc, accumulate2, scratch] = [0, 1, 2, 3, 4, 5, 6, 7, 8];
  const jp = f.local(I32), ip = f.local(I32), ap = f.local(I32), bp = f.local(I32), pEnd = f.local(I32);
  const full2 = f.local(I32), tgt = f.local(I32), ld = f.local(I32), i = f.local(I32), j = f.local(I32);
  const rowsLeft = f.local(I32), colsLeft = f.local(I32), cp = f.local(I32);
  const acc2 = [];
  for (let r = 0; r < MR; r++) acc2.push(Array.from({ length: NV }, () => f.local(V128)));
  const bv = Array.from({ length: NV }, () => f.local(V128));
  const av = f.local(V128);
  f.forUp(jp, nc, NR, () => {
    f.forUp(ip, mc, MR, () => {
      f.get(aPack).get(ip).get(kc).emit(op.i32Mul).i32(4).emit(op.i32Mul).emit(op.i32Add).set(ap);
      f.get(bPack).get(jp).get(kc).emit(op.i32Mul).i32(4).emit(op.i32Mul).emit(op.i32Add).set(bp);
      f.get(ap).get(kc).i32(MR * 4).emit(op.i32Mul).emit(op.i32Add).set(pEnd);
      for (const row of acc2) for (const x of row) f.vf32(0).set(x);
      f.loopLt(ap, pEnd, MR * 4, () => {
        bv.forEach((x, v) => f.get(bp).vmem(simd.load, v * 16).set(x));
        for (let r = 0; r < MR; r++) {
          f.get(ap).vmem(simd.load32Splat, r * 4).set(av);
          for (let v = 0; v < NV; v++) {
            f.get(acc2[r][v]).get(av).get(bv[v]).v(simd.f32x4Mul).v(simd.f32x4Add).set(acc2[r][v]);
          }
        }
        f.inc(bp, NR * 4);
      });
      f.get(mc).get(ip).emit(op.i32Sub).tee(rowsLeft).i32(MR).emit(op.i32GeS);
      f.get(nc).get(jp).emit(op.i32Sub).tee(colsLeft).i32(NR).emit(op.i32GeS).emit(op.i32And).set(full2);
      f.get(c).get(ip).get(ldc).emit(op.i32Mul).emit(op.i32Add).get(jp).i32(4).emit(op.i32Mul).emit(op.i32Add).set(cp);
      f.get(cp).get(scratch).get(full2).emit(op.select).set(tgt);
      f.get(ldc).i32(NR * 4).get(full2).emit(op.select).set(ld);
      const storeTile = (add) => {
        for (let r = 0; r < MR; r++) {
          for (let v = 0; v < NV; v++) {
            f.get(tgt);
            if (add) f.get(tgt).vmem(simd.load, v * 16, 0).get(acc2[r][v]).v(simd.f32x4Add);
            else f.get(acc2[r][v]);
            f.vmem(simd.store, v * 16, 0);
          }
          f.inc(tgt, () => f.get(ld));
        }
      };
      f.get(full2).get(accumulate2).emit(op.i32And).ifThen(() => storeTile(true), () => storeTile(false));
      f.get(full2).emit(op.i32Eqz).ifThen(() => {
        f.get(rowsLeft).i32(MR).get(rowsLeft).i32(MR).emit(op.i32LtS).emit(op.select).set(rowsLeft);
        f.get(colsLeft).i32(NR).get(colsLeft).i32(NR).emit(op.i32LtS).emit(op.select).set(colsLeft);
        f.forUp(i, rowsLeft, 1, () => {
          f.forUp(j, colsLeft, 1, () => {
            const cAddr = () => {
              f.get(cp).get(i).get(ldc).emit(op.i32Mul).emit(op.i32Add).get(j).i32(4).emit(op.i32Mul).emit(op.i32Add);
            };
            cAddr();
            f.get(scratch).get(i).i32(NR * 4).emit(op.i32Mul).emit(op.i32Add).get(j).i32(4).emit(op.i32Mul).emit(op.i32Add).mem(op.f32Load);
            cAddr();
            f.mem(op.f32Load).f32(0).get(accumulate2).emit(op.select).emit(op.f32Add).mem(op.f32Store);
          });
        });
      });
    });
  });
  return f;
}
function gemmFunc(g, base2) {
  const f = new Func("gemm", [I32, I32, I32, I32, I32, I32, I32, I32, I32, I32, I32, I32]);
  const [a, b, c, m, n2, k, rsA, csA, rsB, csB, ldc, work] = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11];
  const jc = f.local(I32), pc = f.local(I32), ic = f.local(I32), nc = f.local(I32), kc = f.local(I32), mc = f.local(I32);
  const aBuf = f.local(I32), bBuf = f.local(I32), scratch = f.local(I32);
  const min = (x, cap, into) => {
    x();
    f.tee(into).i32(cap).get(into).i32(cap).emit(op.i32LtS).emit(op.select).set(into);
  };
  f.get(work).set(aBuf);
  f.get(work).i32(4 * Math.ceil(g.mc / g.mr) * g.mr * g.kc).emit(op.i32Add).set(bBuf);
  f.get(bBuf).i32(4 * g.kc * Math.ceil(g.nc / g.nr) * g.nr).emit(op.i32Add).set(scratch);
  f.forUp(jc, n2, g.nc, () => {
    min(() => f.get(n2).get(jc).emit(op.i32Sub), g.nc, nc);
    f.forUp(pc, k, g.kc, () => {
      min(() => f.get(k).get(pc).emit(op.i32Sub), g.kc, kc);
      f.get(b).get(pc).get(rsB).emit(op.i32Mul).emit(op.i32Add).get(jc).get(csB).emit(op.i32Mul).emit(op.i32Add);
      f.get(csB).get(rsB).get(nc).get(kc).get(bBuf).call(base2 + 1);
      f.forUp(ic, m, g.mc, () => {
        min(() => f.get(m).get(ic).emit(op.i32Sub), g.mc, mc);
        f.get(a).get(ic).get(rsA).emit(op.i32Mul).emit(op.i32Add).get(pc).get(csA).emit(op.i32Mul).emit(op.i32Add);
        f.get(rsA).get(csA).get(mc).get(kc).get(aBuf).call(base2);
        f.get(aBuf).get(bBuf);
        f.get(c).get(ic).get(ldc).emit(op.i32Mul).emit(op.i32Add).get(jc).i32(4).emit(op.i32Mul).emit(op.i32Add);
        f.get(ldc).get(mc).get(nc).get(kc).get(pc).i32(0).emit(op.i32GtS).get(scratch).call(base2 + 2);
      });
    });
  });
  return f;
}
function gemmFuncs(g, base2) {
  if (g.nr % 4 !== 0) throw new Error(`gemm: NR must be a multiple of 4 (got ${g.nr})`);
  return [packFunc("packA", g.mr), packFunc("packB", g.nr), macroFunc(g), gemmFunc(g, base2)];
}
var GEMM;
var init_gemm_kernel = __esm({
  "src/gpu/wasm/gemm-kernel.ts"() {
    "use strict";
    init_emit();
    GEMM = { mr: 4, nr: 8, kc: 256, mc: 64, nc: 1024 };
  }
});

// src/gpu/wasm/heap.ts
function sizeClass(bytes) {
  if (bytes <= 4096) return Math.max(64, Math.ceil(bytes / 64) * 64);
  const step3 = 2 ** (Math.floor(Math.log2(bytes)) - 3);
  return Math.ceil(bytes / step3) * step3;
}
var PAGE, SLACK, MAX_PAGES, Heap;
var init_heap = __esm({
  "src/gpu/wasm/heap.ts"() {
    "use strict";
    PAGE = 65536;
    SLACK = 64;
    MAX_PAGES = 32768;
    Heap = class {
      memory;
      top;
      free = /* @__PURE__ */ new Map();
      f32View;
      i32View;
      /** Bytes handed out and not yet freed (for tests and leak checks). */
      live = 0;
      /** `reserved` bytes at address 0 stay out of the allocator (thread control block, scratch). */
      constructor(reserved, initialPages = 256) {
        this.memory = new WebAssembly.Memory({ initial: initialPages, maximum: MAX_PAGES, shared: true });
        this.top = Math.ceil(reserved / 64) * 64;
        this.f32View = new Float32Array(this.memory.buffer);
        this.i32View = new Int32Array(this.memory.buffer);
      }
      static get maxPages() {
        return MAX_PAGES;
      }
      /** A block of at least `bytes` bytes (64-byte aligned); its address. */
      alloc(bytes) {
        const cls = sizeClass(bytes);
        const reuse = this.free.get(cls)?.pop();
        this.live += cls;
        if (reuse !== void 0) return reuse;
        const ptr = this.top;
        this.top += cls;
        const have = this.memory.buffer.byteLength;
        if (this.top + SLACK > have) {
          const need = Math.ceil((this.top + SLACK - have) / PAGE);
          const pages = Math.min(Math.max(need, Math.ceil(have / PAGE / 4)), MAX_PAGES - have / PAGE);
          if (pages < need) throw new Error(`wasm backend: out of memory (asked for ${bytes} bytes with ${have} in use; the limit is 2 GiB)`);
          this.memory.grow(pages);
          this.refresh();
        }
        return ptr;
      }
      release(ptr, bytes) {
        const cls = sizeClass(bytes);
        this.live -= cls;
        let list = this.free.get(cls);
        if (!list) this.free.set(cls, list = []);
        list.push(ptr);
      }
      /** Bytes of memory the heap has reserved from the system. */
      get capacity() {
        return this.memory.buffer.byteLength;
      }
      /** Views of the whole memory. Only alloc grows it, and renews them then (old views of a shared buffer keep their length). */
      get f32() {
        return this.f32View;
      }
      get i32() {
        return this.i32View;
      }
      refresh() {
        this.f32View = new Float32Array(this.memory.buffer);
        this.i32View = new Int32Array(this.memory.buffer);
      }
    };
  }
});

// src/gpu/wasm/vmath.ts
function horner(f, t, coeffs) {
  f.vf32(coeffs[0]);
  for (const c of coeffs.slice(1)) f.get(t).v(simd.f32x4Mul).vf32(c).v(simd.f32x4Add);
}
function select(f, pushA, pushB, pushMask) {
  pushA();
  pushB();
  pushMask();
  f.v(simd.bitselect);
}
function vexp(f, x) {
  const t = f.local(V128), fx = f.local(V128), r = f.local(V128);
  f.get(x).vf32(-86.5).v(simd.f32x4Max).vf32(88.7228).v(simd.f32x4Min).set(t);
  f.get(t).vf32(LOG2E).v(simd.f32x4Mul).v(simd.f32x4Nearest).set(fx);
  f.get(t).get(fx).vf32(LN2_HI).v(simd.f32x4Mul).v(simd.f32x4Sub).get(fx).vf32(LN2_LO).v(simd.f32x4Mul).v(simd.f32x4Sub).set(t);
  horner(f, t, [198756915e-12, 0.0013981999507, 0.0083334519073, 0.041665795894, 0.16666665459, 0.50000001201]);
  f.get(t).v(simd.f32x4Mul).get(t).v(simd.f32x4Mul).get(t).v(simd.f32x4Add).vf32(1).v(simd.f32x4Add);
  f.vf32(2).v(simd.f32x4Mul);
  f.get(fx).v(simd.i32x4TruncSatF32x4S).vi32(126).v(simd.i32x4Add).i32(23).v(simd.i32x4Shl).v(simd.f32x4Mul).set(r);
  select(f, () => f.vf32(Infinity), () => f.get(r), () => f.get(x).vf32(88.7228).v(simd.f32x4Gt));
  f.get(x).vf32(-87.3365).v(simd.f32x4Lt).v(simd.andNot).set(r);
  select(f, () => f.get(x), () => f.get(r), () => f.get(x).get(x).v(simd.f32x4Ne));
}
function vlog(f, x) {
  const xs = f.local(V128), d = f.local(V128), e = f.local(V128), m = f.local(V128), small = f.local(V128), z = f.local(V128), r = f.local(V128);
  f.get(x).vf32(117549435e-46).v(simd.f32x4Lt).set(d);
  select(f, () => f.get(x).vf32(8388608).v(simd.f32x4Mul), () => f.get(x), () => f.get(d));
  f.set(xs);
  f.get(xs).i32(23).v(simd.i32x4ShrU).vi32(126).v(simd.i32x4Sub).v(simd.f32x4ConvertI32x4S);
  f.vf32(23).get(d).v(simd.and).v(simd.f32x4Sub).set(e);
  f.get(xs).vi32(2155872255).v(simd.and).vi32(1056964608).v(simd.or).set(m);
  f.get(m).vf32(Math.SQRT1_2).v(simd.f32x4Lt).set(small);
  f.get(e).vf32(1).get(small).v(simd.and).v(simd.f32x4Sub).set(e);
  f.get(m).get(m).get(small).v(simd.and).v(simd.f32x4Add).vf32(1).v(simd.f32x4Sub).set(m);
  f.get(m).get(m).v(simd.f32x4Mul).set(z);
  horner(f, m, [0.070376836292, -0.1151461031, 0.1167699874, -0.12420140846, 0.14249322787, -0.16668057665, 0.20000714765, -0.24999993993, 0.33333331174]);
  f.get(m).v(simd.f32x4Mul).get(z).v(simd.f32x4Mul);
  f.get(e).vf32(LN2_LO).v(simd.f32x4Mul).v(simd.f32x4Add);
  f.get(z).vf32(0.5).v(simd.f32x4Mul).v(simd.f32x4Sub);
  f.get(m).v(simd.f32x4Add).get(e).vf32(LN2_HI).v(simd.f32x4Mul).v(simd.f32x4Add).set(r);
  select(f, () => f.vf32(-Infinity), () => f.get(r), () => f.get(x).vf32(0).v(simd.f32x4Eq));
  f.set(r);
  select(f, () => f.vf32(NaN), () => f.get(r), () => f.get(x).vf32(0).v(simd.f32x4Lt));
  f.set(r);
  select(f, () => f.get(x), () => f.get(r), () => {
    f.get(x).get(x).v(simd.f32x4Ne).get(x).vf32(Infinity).v(simd.f32x4Eq).v(simd.or);
  });
}
function vtanh(f, x) {
  const ax = f.local(V128), two = f.local(V128), big = f.local(V128), z = f.local(V128), small = f.local(V128);
  f.get(x).v(simd.f32x4Abs).set(ax);
  f.get(ax).get(ax).v(simd.f32x4Add).set(two);
  f.vf32(1).vf32(2);
  vexp(f, two);
  f.vf32(1).v(simd.f32x4Add).v(simd.f32x4Div).v(simd.f32x4Sub).set(big);
  f.get(x).get(x).v(simd.f32x4Mul).set(z);
  horner(f, z, [-0.00570498872745, 0.0206390887954, -0.0537397155531, 0.133314422036, -0.333332819422]);
  f.get(z).v(simd.f32x4Mul).get(ax).v(simd.f32x4Mul).get(ax).v(simd.f32x4Add).set(small);
  select(f, () => f.get(small), () => f.get(big), () => f.get(ax).vf32(0.625).v(simd.f32x4Lt));
  f.get(x).vi32(-2147483648).v(simd.and).v(simd.or);
}
function overOnePlusExp(f, numerator, negArg) {
  numerator();
  f.vf32(1);
  vexp(f, negArg);
  f.v(simd.f32x4Add).v(simd.f32x4Div);
}
function vsigmoid(f, x) {
  const nx = f.local(V128);
  f.get(x).v(simd.f32x4Neg).set(nx);
  overOnePlusExp(f, () => f.vf32(1), nx);
}
function vsilu(f, x) {
  const nx = f.local(V128);
  f.get(x).v(simd.f32x4Neg).set(nx);
  overOnePlusExp(f, () => f.get(x), nx);
}
function vgelu(f, x) {
  const u = f.local(V128);
  const k = -2 * Math.sqrt(2 / Math.PI);
  f.get(x).get(x).v(simd.f32x4Mul).vf32(0.044715).v(simd.f32x4Mul).vf32(1).v(simd.f32x4Add).get(x).v(simd.f32x4Mul).vf32(k).v(simd.f32x4Mul).set(u);
  overOnePlusExp(f, () => f.get(x), u);
}
var LOG2E, LN2_HI, LN2_LO;
var init_vmath = __esm({
  "src/gpu/wasm/vmath.ts"() {
    "use strict";
    init_emit();
    LOG2E = 1.4426950408889634;
    LN2_HI = 0.693359375;
    LN2_LO = -21219444e-11;
  }
});

// src/gpu/wasm/elementwise-kernel.ts
function storeLanes(f, out, r, rem) {
  for (let k = 0; k < 3; k++) {
    f.get(rem).i32(k).emit(op.i32GtS).ifThen(() => {
      f.get(out).get(r).lane(simd.f32x4ExtractLane, k).mem(op.f32Store, k * 4);
    });
  }
}
function unaryFunc(name2, body) {
  const f = new Func(`u_${name2}`, [I32, I32, I32]);
  const [x, out, n2] = [0, 1, 2];
  const end = f.local(I32), rem = f.local(I32), v = f.local(V128), r = f.local(V128);
  f.get(n2).i32(3).emit(op.i32And).set(rem);
  f.get(out).get(n2).get(rem).emit(op.i32Sub).i32(2).emit(op.i32Shl).emit(op.i32Add).set(end);
  f.loopLt(out, end, 16, () => {
    f.get(x).vmem(simd.load, 0, 0).set(v);
    f.get(out);
    body(f, v);
    f.vmem(simd.store, 0, 0);
    f.inc(x, 16);
  });
  f.get(rem).ifThen(() => {
    f.get(x).vmem(simd.load, 0, 0).set(v);
    body(f, v);
    f.set(r);
    storeLanes(f, out, r, rem);
  });
  return f;
}
function binaryFunc(name2, body, mode) {
  const f = new Func(`b_${name2}_${mode}`, [I32, I32, I32, I32, I32, I32, I32]);
  const [a, b, out, outer, inner, aOuter, bOuter] = [0, 1, 2, 3, 4, 5, 6];
  const o = f.local(I32), pa = f.local(I32), pb = f.local(I32), end = f.local(I32), rem = f.local(I32);
  const va = f.local(V128), vb = f.local(V128), r = f.local(V128);
  const [aVec, bVec] = [mode[0] === "v", mode[1] === "v"];
  f.get(inner).i32(3).emit(op.i32And).set(rem);
  f.forUp(o, outer, 1, () => {
    f.get(a).set(pa);
    f.get(b).set(pb);
    if (!aVec) f.get(a).vmem(simd.load32Splat).set(va);
    if (!bVec) f.get(b).vmem(simd.load32Splat).set(vb);
    f.get(out).get(inner).get(rem).emit(op.i32Sub).i32(2).emit(op.i32Shl).emit(op.i32Add).set(end);
    const step3 = () => {
      if (aVec) f.get(pa).vmem(simd.load, 0, 0).set(va);
      if (bVec) f.get(pb).vmem(simd.load, 0, 0).set(vb);
      f.get(va).get(vb);
      body(f);
    };
    f.loopLt(out, end, 16, () => {
      f.get(out);
      step3();
      f.vmem(simd.store, 0, 0);
      if (aVec) f.inc(pa, 16);
      if (bVec) f.inc(pb, 16);
    });
    f.get(rem).ifThen(() => {
      step3();
      f.set(r);
      storeLanes(f, out, r, rem);
      f.get(out).get(rem).i32(2).emit(op.i32Shl).emit(op.i32Add).set(out);
    });
    f.inc(a, () => f.get(aOuter));
    f.inc(b, () => f.get(bOuter));
  });
  return f;
}
function elementwiseFuncs() {
  const out = [];
  for (const [name2, body] of Object.entries(SIMD_UNARY)) out.push(unaryFunc(name2, body));
  for (const [name2, body] of Object.entries(SIMD_BINARY)) for (const m of MODES) out.push(binaryFunc(name2, body, m));
  return out;
}
var SIMD_UNARY, cmp, SIMD_BINARY, MODES;
var init_elementwise_kernel = __esm({
  "src/gpu/wasm/elementwise-kernel.ts"() {
    "use strict";
    init_emit();
    init_vmath();
    SIMD_UNARY = {
      neg: (f, x) => f.get(x).v(simd.f32x4Neg),
      abs: (f, x) => f.get(x).v(simd.f32x4Abs),
      sqrt: (f, x) => f.get(x).v(simd.f32x4Sqrt),
      // pmax(0, x) = 0 < x ? x : 0, so NaN → 0 as the reference's x > 0 ? x : 0.
      relu: (f, x) => f.vf32(0).get(x).v(simd.f32x4Pmax),
      exp: vexp,
      log: vlog,
      tanh: vtanh,
      sigmoid: vsigmoid,
      silu: vsilu,
      gelu: vgelu
    };
    cmp = (code) => (f) => {
      f.v(code).vf32(1).v(simd.and);
    };
    SIMD_BINARY = {
      add: (f) => f.v(simd.f32x4Add),
      sub: (f) => f.v(simd.f32x4Sub),
      mul: (f) => f.v(simd.f32x4Mul),
      div: (f) => f.v(simd.f32x4Div),
      max: (f) => f.v(simd.f32x4Max),
      min: (f) => f.v(simd.f32x4Min),
      eq: cmp(simd.f32x4Eq),
      ne: cmp(simd.f32x4Ne),
      lt: cmp(simd.f32x4Lt),
      le: cmp(simd.f32x4Le),
      gt: cmp(simd.f32x4Gt),
      ge: cmp(simd.f32x4Ge)
    };
    MODES = ["vv", "vs", "sv"];
  }
});

// src/gpu/wasm/reduce-kernel.ts
function rowReduceFunc(name2) {
  const f = new Func(`r_${name2}_rows`, [I32, I32, I32, I32]);
  const [x, out, rows2, n2] = [0, 1, 2, 3];
  const r = f.local(I32), end = f.local(I32), tailEnd = f.local(I32), acc2 = f.local(V128);
  f.forUp(r, rows2, 1, () => {
    if (name2 === "sum") f.vf32(0).set(acc2);
    else f.get(x).vmem(simd.load32Splat).set(acc2);
    f.get(x).get(n2).i32(-4).emit(op.i32And).i32(2).emit(op.i32Shl).emit(op.i32Add).set(end);
    f.get(x).get(n2).i32(2).emit(op.i32Shl).emit(op.i32Add).set(tailEnd);
    f.loopLt(x, end, 16, () => {
      f.get(acc2).get(x).vmem(simd.load, 0, 0).v(VEC[name2]).set(acc2);
    });
    f.get(out);
    f.get(acc2).lane(simd.f32x4ExtractLane, 0).get(acc2).lane(simd.f32x4ExtractLane, 1).emit(SCALAR[name2]);
    f.get(acc2).lane(simd.f32x4ExtractLane, 2).get(acc2).lane(simd.f32x4ExtractLane, 3).emit(SCALAR[name2]).emit(SCALAR[name2]);
    f.mem(op.f32Store);
    f.loopLt(x, tailEnd, 4, () => {
      f.get(out).get(out).mem(op.f32Load).get(x).mem(op.f32Load).emit(SCALAR[name2]).mem(op.f32Store);
    });
    f.inc(out, 4);
  });
  return f;
}
function reduceFuncs() {
  return ["sum", "max", "min"].map(rowReduceFunc);
}
var VEC, SCALAR;
var init_reduce_kernel = __esm({
  "src/gpu/wasm/reduce-kernel.ts"() {
    "use strict";
    init_emit();
    VEC = { sum: simd.f32x4Add, max: simd.f32x4Max, min: simd.f32x4Min };
    SCALAR = { sum: op.f32Add, max: op.f32Max, min: op.f32Min };
  }
});

// src/gpu/wasm/module.ts
function buildKernels(memory) {
  const funcs = [...gemmFuncs(GEMM, 0), ...elementwiseFuncs(), ...reduceFuncs()];
  const module = new WebAssembly.Module(assemble(funcs, Heap.maxPages));
  const instance = new WebAssembly.Instance(module, { env: { mem: memory } });
  return { module, names: funcs.map((f) => f.name), fn: instance.exports };
}
var init_module = __esm({
  "src/gpu/wasm/module.ts"() {
    "use strict";
    init_emit();
    init_gemm_kernel();
    init_elementwise_kernel();
    init_reduce_kernel();
    init_heap();
  }
});

// src/gpu/wasm/threads.ts
function runShare(call, share) {
  const args = [...share.args];
  const reps2 = share.reps ?? 1;
  for (let r = 0; r < reps2; r++) {
    call(...args);
    if (share.incs) for (let i = 0; i < share.incs.length; i++) args[i] += share.incs[i];
  }
}
var SEQ, DONE, FN, NARGS, REPS, ARGS, INCS, SLOT, MAX_ARGS, CONTROL_BYTES_PER_WORKER, WORKER_SOURCE, ThreadPool;
var init_threads = __esm({
  "src/gpu/wasm/threads.ts"() {
    "use strict";
    SEQ = 0;
    DONE = 1;
    FN = 2;
    NARGS = 3;
    REPS = 4;
    ARGS = 5;
    INCS = 17;
    SLOT = 32;
    MAX_ARGS = 12;
    CONTROL_BYTES_PER_WORKER = SLOT * 4;
    WORKER_SOURCE = `
const { workerData, parentPort } = require('node:worker_threads');
const { module, memory, ctrl, names } = workerData;
const exp = new WebAssembly.Instance(module, { env: { mem: memory } }).exports;
const fns = names.map((n) => exp[n]);
const s = new Int32Array(memory.buffer, ctrl, ${SLOT});
parentPort.postMessage('ready');
let seen = 0;
for (;;) {
  Atomics.wait(s, ${SEQ}, seen);
  seen = Atomics.load(s, ${SEQ});
  const fi = s[${FN}];
  if (fi < 0) break;
  const f = fns[fi], n = s[${NARGS}], reps = s[${REPS}];
  const args = Array.from(s.subarray(${ARGS}, ${ARGS} + n));
  const incs = s.subarray(${INCS}, ${INCS} + n);
  for (let r = 0; r < reps; r++) {
    f(...args);
    for (let i = 0; i < n; i++) args[i] += incs[i];
  }
  Atomics.store(s, ${DONE}, seen);
  Atomics.notify(s, ${DONE});
}
`;
    ThreadPool = class _ThreadPool {
      constructor(workers, memory, ctrl, names) {
        this.workers = workers;
        this.names = names;
        this.slots = workers.map((_, w) => new Int32Array(memory.buffer, ctrl + w * SLOT * 4, SLOT));
      }
      workers;
      names;
      seq = 0;
      slots;
      /** Starts `count` workers (0 gives a pool that runs everything on the calling thread). */
      static async start(count, module, memory, ctrl, names) {
        const workers = [];
        if (count > 0) {
          const { Worker } = await import("node:worker_threads");
          for (let w = 0; w < count; w++) {
            const worker = new Worker(WORKER_SOURCE, { eval: true, workerData: { module, memory, ctrl: ctrl + w * SLOT * 4, names } });
            await new Promise((resolve, reject) => {
              worker.once("message", () => resolve());
              worker.once("error", reject);
            });
            worker.unref();
            workers.push(worker);
          }
        }
        return new _ThreadPool(workers, memory, ctrl, names);
      }
      /** Threads that can share a kernel: the workers plus the calling thread. */
      get size() {
        return this.workers.length + 1;
      }
      /**
       * Runs shares[0] on this thread and shares[1..] on the workers, and returns
       * when all are done. `call` is this thread's instance of the export `fn`.
       */
      run(fn, call, shares) {
        if (shares.length > this.size) throw new Error(`wasm threads: ${shares.length} shares for ${this.size} threads`);
        const fi = this.names.indexOf(fn);
        if (fi < 0) throw new Error(`wasm threads: unknown kernel ${fn}`);
        const seq = ++this.seq;
        for (let w = 1; w < shares.length; w++) this.post(this.slots[w - 1], fi, shares[w], seq);
        runShare(call, shares[0]);
        for (let w = 1; w < shares.length; w++) {
          const s = this.slots[w - 1];
          for (let v = Atomics.load(s, DONE); v !== seq; v = Atomics.load(s, DONE)) Atomics.wait(s, DONE, v);
        }
      }
      post(s, fi, share, seq) {
        const n2 = share.args.length;
        if (n2 > MAX_ARGS) throw new Error(`wasm threads: at most ${MAX_ARGS} arguments`);
        s[FN] = fi;
        s[NARGS] = n2;
        s[REPS] = share.reps ?? 1;
        for (let i = 0; i < n2; i++) {
          s[ARGS + i] = share.args[i];
          s[INCS + i] = share.incs?.[i] ?? 0;
        }
        Atomics.store(s, SEQ, seq);
        Atomics.notify(s, SEQ);
      }
      /** Stops the workers (the backend lives as long as the process, so this is for tests and tools). */
      async close() {
        const seq = ++this.seq;
        for (const s of this.slots) {
          s[FN] = -1;
          Atomics.store(s, SEQ, seq);
          Atomics.notify(s, SEQ);
        }
        await Promise.all(this.workers.map((w) => w.terminate()));
      }
    };
  }
});

// src/gpu/wasm/device.ts
async function findCollector() {
  if (typeof process === "undefined" || !process.versions?.node) return null;
  try {
    const [v8, vm] = await Promise.all([import("node:v8"), import("node:vm")]);
    v8.setFlagsFromString("--expose-gc");
    return vm.runInNewContext("gc");
  } catch {
    return null;
  }
}
var MAX_WORKERS, RECLAIM_BYTES, WasmDevice;
var init_device = __esm({
  "src/gpu/wasm/device.ts"() {
    "use strict";
    init_buffer();
    init_gemm_kernel();
    init_heap();
    init_module();
    init_threads();
    MAX_WORKERS = 15;
    RECLAIM_BYTES = 64 * 2 ** 20;
    WasmDevice = class _WasmDevice {
      constructor(heap, kernels, pool, gemmWork, collect2) {
        this.heap = heap;
        this.kernels = kernels;
        this.pool = pool;
        this.gemmWork = gemmWork;
        this.collect = collect2;
      }
      heap;
      kernels;
      pool;
      gemmWork;
      collect;
      baseline = 0;
      reclaiming = false;
      /**
       * True (after a full collection) when live bytes have grown well past what
       * was live after the last reclaim: the caller then lets the event loop
       * turn, the finalizers of dead tensors run, and their blocks come back.
       */
      wantsReclaim() {
        const live = this.heap.live;
        if (this.reclaiming) {
          this.baseline = live;
          this.reclaiming = false;
        }
        if (live < this.baseline + Math.max(RECLAIM_BYTES, this.baseline)) return false;
        this.collect?.();
        this.reclaiming = true;
        return true;
      }
      /** `threads` counts the calling thread: 1 runs everything here, 2 adds one worker. */
      static async create(threads) {
        const workers = Math.min(Math.max(0, threads - 1), MAX_WORKERS);
        const heap = new Heap((MAX_WORKERS + 1) * CONTROL_BYTES_PER_WORKER);
        const kernels = buildKernels(heap.memory);
        const pool = await ThreadPool.start(workers, kernels.module, heap.memory, 0, kernels.names);
        const gemmWork = Array.from({ length: workers + 1 }, () => heap.alloc(gemmWorkBytes(GEMM)));
        return new _WasmDevice(heap, kernels, pool, gemmWork, await findCollector());
      }
      get threads() {
        return this.pool.size;
      }
      fn(name2) {
        const k = this.kernels.fn[name2];
        if (!k) throw new Error(`wasm backend: no kernel ${name2}`);
        return k;
      }
      /** Runs the kernel `name` split into shares across the threads (one share runs here). */
      run(name2, shares) {
        this.pool.run(name2, this.fn(name2), shares);
      }
      alloc(dtype, size) {
        return new WasmBuffer(dtype, size, this.heap.alloc(Math.max(size, 1) * 4));
      }
      free(buf) {
        buf.live = false;
        this.heap.release(buf.ptr, Math.max(buf.size, 1) * 4);
      }
      /** A live view of the buffer in the shared memory (valid until the heap grows). */
      view(buf) {
        const at = buf.ptr >> 2;
        return buf.dtype === "int32" ? this.heap.i32.subarray(at, at + buf.size) : this.heap.f32.subarray(at, at + buf.size);
      }
      /** A new buffer holding a copy of host data (float32 or int32). */
      fromArray(data) {
        const dtype = data instanceof Int32Array ? "int32" : "float32";
        const out = this.alloc(dtype, data.length);
        this.view(out).set(data);
        return out;
      }
    };
  }
});

// src/gpu/wasm/matmul.ts
function partOf(n2, parts, t, align) {
  const cut = (i) => i >= parts ? n2 : Math.min(n2, Math.round(n2 * i / parts / align) * align);
  return [cut(t), cut(t + 1)];
}
function matmul2(dev, a, b, s) {
  const { batch, m, k, n: n2 } = s;
  const out = dev.alloc("float32", batch * m * n2);
  if (out.size === 0) return out;
  if (k === 0) {
    dev.view(out).fill(0);
    return out;
  }
  const rsA = s.transA ? 4 : k * 4, csA = s.transA ? m * 4 : 4;
  const rsB = s.transB ? 4 : n2 * 4, csB = s.transB ? k * 4 : 4;
  const incs = [s.aBatchStride * 4, s.bBatchStride * 4, m * n2 * 4];
  const flops = 2 * batch * m * n2 * k;
  const threads = flops >= PARALLEL_FLOPS ? dev.threads : 1;
  const shares = [];
  for (let t = 0; t < threads; t++) {
    const work = dev.gemmWork[t];
    if (threads === 1 || batch >= 2 * threads || batch % threads === 0) {
      const [b0, b1] = partOf(batch, threads, t, 1);
      const args = [a.ptr + b0 * incs[0], b.ptr + b0 * incs[1], out.ptr + b0 * incs[2], m, n2, k, rsA, csA, rsB, csB, n2 * 4, work];
      shares.push({ args, reps: b1 - b0, incs });
    } else if (n2 >= m) {
      const [j0, j1] = partOf(n2, threads, t, GEMM.nr);
      const args = [a.ptr, b.ptr + j0 * csB, out.ptr + j0 * 4, m, j1 - j0, k, rsA, csA, rsB, csB, n2 * 4, work];
      shares.push({ args, reps: batch, incs });
    } else {
      const [i0, i1] = partOf(m, threads, t, GEMM.mr);
      const args = [a.ptr + i0 * rsA, b.ptr, out.ptr + i0 * n2 * 4, i1 - i0, n2, k, rsA, csA, rsB, csB, n2 * 4, work];
      shares.push({ args, reps: batch, incs });
    }
  }
  dev.run("gemm", shares.filter((sh) => (sh.reps ?? 1) > 0 && sh.args[3] > 0 && sh.args[4] > 0));
  return out;
}
var PARALLEL_FLOPS;
var init_matmul = __esm({
  "src/gpu/wasm/matmul.ts"() {
    "use strict";
    init_gemm_kernel();
    PARALLEL_FLOPS = 1 << 22;
  }
});

// src/gpu/wasm/elementwise.ts
function unary2(dev, op2, x) {
  const out = dev.alloc(x.dtype, x.size);
  if (x.dtype === "float32" && SIMD_UNARY[op2]) {
    const threads = x.size >= PARALLEL_ELEMENTS ? dev.threads : 1;
    const shares = [];
    for (let t = 0; t < threads; t++) {
      const [i0, i1] = partOf(x.size, threads, t, 4);
      if (i1 > i0) shares.push({ args: [x.ptr + i0 * 4, out.ptr + i0 * 4, i1 - i0] });
    }
    if (shares.length) dev.run(`u_${op2}`, shares);
  } else {
    const f = UNARY[op2];
    const src = dev.view(x), dst = dev.view(out);
    for (let i = 0; i < dst.length; i++) dst[i] = f(src[i]);
  }
  return out;
}
function collapse(aShape, bShape, outShape) {
  const as = alignedStrides(aShape, outShape);
  const bs = alignedStrides(bShape, outShape);
  const dims = [], sa = [], sb = [];
  outShape.forEach((d, i) => {
    if (d === 1) return;
    const last = dims.length - 1;
    if (last >= 0 && sa[last] === as[i] * d && sb[last] === bs[i] * d) {
      dims[last] *= d;
      sa[last] = as[i];
      sb[last] = bs[i];
    } else {
      dims.push(d);
      sa.push(as[i]);
      sb.push(bs[i]);
    }
  });
  return { dims, sa, sb };
}
function binary2(dev, op2, a, aShape, b, bShape, outShape) {
  const out = dev.alloc(a.dtype, sizeOf(outShape));
  if (out.size === 0) return out;
  if (a.dtype !== "float32" || !SIMD_BINARY[op2]) {
    dev.view(out).set(binary(op2, dev.view(a), aShape, dev.view(b), bShape, outShape, a.dtype));
    return out;
  }
  const { dims, sa, sb } = collapse(aShape, bShape, outShape);
  if (dims.length === 0) dims.push(1), sa.push(1), sb.push(1);
  const r = dims.length;
  const inner = dims[r - 1];
  const mode = `${sa[r - 1] === 0 ? "s" : "v"}${sb[r - 1] === 0 ? "s" : "v"}`;
  const name2 = `b_${op2}_${mode}`;
  const outer = r >= 2 ? dims[r - 2] : 1;
  const aOuter = r >= 2 ? sa[r - 2] * 4 : 0, bOuter = r >= 2 ? sb[r - 2] * 4 : 0;
  const planes = sizeOf(dims.slice(0, -2));
  if (planes === 1) {
    const threads = out.size >= PARALLEL_ELEMENTS ? dev.threads : 1;
    const shares = [];
    for (let t = 0; t < threads; t++) {
      if (outer >= threads) {
        const [o0, o1] = partOf(outer, threads, t, 1);
        if (o1 > o0) shares.push({ args: [a.ptr + o0 * aOuter, b.ptr + o0 * bOuter, out.ptr + o0 * inner * 4, o1 - o0, inner, aOuter, bOuter] });
      } else {
        const [i0, i1] = partOf(inner, threads, t, 4);
        const da = sa[r - 1] === 0 ? 0 : i0 * 4, db = sb[r - 1] === 0 ? 0 : i0 * 4;
        if (i1 > i0) shares.push({ args: [a.ptr + da, b.ptr + db, out.ptr + i0 * 4, 1, i1 - i0, 0, 0] });
      }
    }
    dev.run(name2, shares);
    return out;
  }
  const kernel = dev.fn(name2);
  const lead = dims.slice(0, -2);
  const idx = new Array(lead.length).fill(0);
  let ao = 0, bo = 0;
  const planeBytes = outer * inner * 4;
  for (let p = 0; p < planes; p++) {
    kernel(a.ptr + ao * 4, b.ptr + bo * 4, out.ptr + p * planeBytes, outer, inner, aOuter, bOuter);
    for (let d = lead.length - 1; d >= 0; d--) {
      idx[d]++;
      ao += sa[d];
      bo += sb[d];
      if (idx[d] < lead[d]) break;
      ao -= sa[d] * lead[d];
      bo -= sb[d] * lead[d];
      idx[d] = 0;
    }
  }
  return out;
}
function where2(dev, c, cShape, a, aShape, b, bShape, outShape) {
  const out = dev.alloc(a.dtype, sizeOf(outShape));
  dev.view(out).set(where(dev.view(c), cShape, dev.view(a), aShape, dev.view(b), bShape, outShape, a.dtype));
  return out;
}
var PARALLEL_ELEMENTS;
var init_elementwise2 = __esm({
  "src/gpu/wasm/elementwise.ts"() {
    "use strict";
    init_elementwise();
    init_shape();
    init_elementwise_kernel();
    init_matmul();
    PARALLEL_ELEMENTS = 1 << 16;
  }
});

// src/gpu/wasm/reduce.ts
function reduce2(dev, op2, x, outer, n2, inner) {
  const out = dev.alloc(x.dtype, outer * inner);
  if (out.size === 0) return out;
  if (x.dtype !== "float32" || n2 === 0 || inner > 1 && inner < MIN_SIMD_INNER) {
    dev.view(out).set(reduce(op2, dev.view(x), outer, n2, inner));
  } else if (inner === 1) {
    const threads = x.size >= PARALLEL_ELEMENTS2 && outer > 1 ? dev.threads : 1;
    const shares = [];
    for (let t = 0; t < threads; t++) {
      const [r0, r1] = partOf(outer, threads, t, 1);
      if (r1 > r0) shares.push({ args: [x.ptr + r0 * n2 * 4, out.ptr + r0 * 4, r1 - r0, n2] });
    }
    dev.run(`r_${op2}_rows`, shares);
  } else {
    const fold = dev.fn(`b_${op2 === "sum" ? "add" : op2}_vv`);
    const o32 = dev.view(out), x32 = dev.view(x);
    const rowBytes = inner * 4;
    for (let o = 0; o < outer; o++) {
      const dst = out.ptr + o * rowBytes;
      const src = x.ptr + o * n2 * rowBytes;
      o32.set(x32.subarray(o * n2 * inner, o * n2 * inner + inner), o * inner);
      for (let j = 1; j < n2; j++) fold(dst, src + j * rowBytes, dst, 1, inner, 0, 0);
    }
  }
  return out;
}
function argReduce2(dev, op2, x, outer, n2, inner) {
  return dev.fromArray(argReduce(op2, dev.view(x), outer, n2, inner));
}
var PARALLEL_ELEMENTS2, MIN_SIMD_INNER;
var init_reduce2 = __esm({
  "src/gpu/wasm/reduce.ts"() {
    "use strict";
    init_reduce();
    init_matmul();
    PARALLEL_ELEMENTS2 = 1 << 16;
    MIN_SIMD_INNER = 16;
  }
});

// src/gpu/wasm/view.ts
function view2(dev, x, spec) {
  const out = dev.alloc(x.dtype, sizeOf(spec.shape));
  if (out.size === 0) return out;
  const src = dev.view(x), dst = dev.view(out);
  if (spec.window) {
    dst.set(view(src, spec));
    return out;
  }
  const dims = [], strides = [];
  spec.shape.forEach((d, i) => {
    if (d === 1) return;
    const last = dims.length - 1;
    if (last >= 0 && strides[last] === spec.strides[i] * d) {
      dims[last] *= d;
      strides[last] = spec.strides[i];
    } else {
      dims.push(d);
      strides.push(spec.strides[i]);
    }
  });
  if (dims.length === 0) dims.push(1), strides.push(1);
  const r = dims.length;
  const len = dims[r - 1], step3 = strides[r - 1];
  const runs = out.size / len;
  const idx = new Array(r - 1).fill(0);
  let off = spec.offset;
  for (let run = 0, o = 0; run < runs; run++, o += len) {
    if (step3 === 1) dst.set(src.subarray(off, off + len), o);
    else if (step3 === 0) dst.fill(src[off], o, o + len);
    else for (let i = 0, s = off; i < len; i++, s += step3) dst[o + i] = src[s];
    for (let d = r - 2; d >= 0; d--) {
      idx[d]++;
      off += strides[d];
      if (idx[d] < dims[d]) break;
      off -= strides[d] * dims[d];
      idx[d] = 0;
    }
  }
  return out;
}
var init_view2 = __esm({
  "src/gpu/wasm/view.ts"() {
    "use strict";
    init_view();
    init_shape();
  }
});

// src/gpu/wasm/index.ts
var wasm_exports = {};
__export(wasm_exports, {
  WasmBackend: () => WasmBackend,
  createWasmBackend: () => createWasmBackend
});
function ints2(dev, buf) {
  const b = wasmBuf(buf);
  if (b.dtype !== "int32") throw new Error(`wasm backend: expected an int32 index buffer, got ${b.dtype}`);
  return dev.view(b);
}
async function threadsFor(name2) {
  const mode = name2.split(":")[1];
  if (mode !== void 0) {
    const n2 = Number(mode);
    if (!Number.isInteger(n2) || n2 < 1 || n2 > 16) throw new Error(`setBackend: '${name2}': the wasm mode is a thread count from 1 to 16`);
    return n2;
  }
  if (typeof process === "undefined" || !process.versions?.node) return 1;
  const os = await import("node:os");
  return Math.min(16, os.availableParallelism());
}
async function createWasmBackend(name2) {
  return new WasmBackend(name2, await WasmDevice.create(await threadsFor(name2)));
}
var WasmBackend;
var init_wasm = __esm({
  "src/gpu/wasm/index.ts"() {
    "use strict";
    init_indexing();
    init_dtype();
    init_buffer();
    init_device();
    init_elementwise2();
    init_matmul();
    init_reduce2();
    init_view2();
    WasmBackend = class {
      constructor(name2, device) {
        this.name = name2;
        this.device = device;
      }
      name;
      device;
      dtypes = ["float32", "int32"];
      upload(data) {
        if (data instanceof Float64Array) throw new Error(`backend ${this.name} does not support float64 (float64 runs on the cpu backend only)`);
        return this.device.fromArray(data);
      }
      read(buf) {
        return Promise.resolve(this.readSync(buf));
      }
      /** A copy: the heap block may be reused once the tensor is freed. */
      readSync(buf) {
        return this.device.view(wasmBuf(buf)).slice();
      }
      /** Idempotent: the finalizer may come after an explicit dispose. */
      dispose(buf) {
        if (buf instanceof WasmBuffer && buf.live) this.device.free(buf);
      }
      wantsReclaim() {
        return this.device.wantsReclaim();
      }
      unary(op2, x) {
        return unary2(this.device, op2, wasmBuf(x));
      }
      binary(op2, a, aShape, b, bShape, outShape) {
        return binary2(this.device, op2, wasmBuf(a), aShape, wasmBuf(b), bShape, outShape);
      }
      where(c, cShape, a, aShape, b, bShape, outShape) {
        return where2(this.device, wasmBuf(c), cShape, wasmBuf(a), aShape, wasmBuf(b), bShape, outShape);
      }
      reduce(op2, x, outer, n2, inner) {
        return reduce2(this.device, op2, wasmBuf(x), outer, n2, inner);
      }
      argReduce(op2, x, outer, n2, inner) {
        return argReduce2(this.device, op2, wasmBuf(x), outer, n2, inner);
      }
      topk(x, rows2, n2, k) {
        return this.device.fromArray(topk(this.device.view(wasmBuf(x)), rows2, n2, k));
      }
      matmul(a, b, spec) {
        return matmul2(this.device, wasmBuf(a), wasmBuf(b), spec);
      }
      gather(src, rows2, cols, idx) {
        return this.device.fromArray(gather(this.device.view(wasmBuf(src)), rows2, cols, ints2(this.device, idx)));
      }
      scatterAdd(src, cols, idx, outRows) {
        return this.device.fromArray(scatterAdd(this.device.view(wasmBuf(src)), cols, ints2(this.device, idx), outRows));
      }
      view(x, spec) {
        return view2(this.device, wasmBuf(x), spec);
      }
      cast(x, to) {
        if (to === "float64") throw new Error(`backend ${this.name} does not support float64 (float64 runs on the cpu backend only)`);
        const src = this.device.view(wasmBuf(x));
        const out = this.device.alloc(to, src.length);
        const dst = this.device.view(out);
        if (to === "int32" && dtypeOf(src) !== "int32") for (let i = 0; i < src.length; i++) dst[i] = Math.trunc(src[i]);
        else dst.set(src);
        return out;
      }
    };
  }
});

// src/gpu/cpu/index.ts
init_dtype();

// src/gpu/cpu/buffer.ts
init_dtype();
var CpuBuffer = class {
  constructor(data) {
    this.data = data;
    this.dtype = dtypeOf(data);
  }
  data;
  dtype;
  get size() {
    return this.data.length;
  }
};
function cpu(buf) {
  if (!(buf instanceof CpuBuffer)) throw new Error(`cpu backend: got a buffer from another backend (${buf.constructor.name}); move the tensor with .to('cpu') first`);
  return buf.data;
}

// src/gpu/cpu/index.ts
init_elementwise();
init_reduce();

// src/gpu/cpu/matmul.ts
init_dtype();
function matmul(a, b, s) {
  const { batch, m, k, n: n2 } = s;
  const out = arrayFor(dtypeOf(a), batch * m * n2);
  const acc2 = new Float64Array(m * n2);
  for (let bi = 0; bi < batch; bi++) {
    const ao = bi * s.aBatchStride;
    const bo = bi * s.bBatchStride;
    acc2.fill(0);
    if (!s.transA && !s.transB) {
      for (let i = 0; i < m; i++) {
        for (let p = 0; p < k; p++) {
          const av = a[ao + i * k + p];
          const bRow = bo + p * n2;
          const cRow = i * n2;
          for (let j = 0; j < n2; j++) acc2[cRow + j] += av * b[bRow + j];
        }
      }
    } else if (!s.transA && s.transB) {
      for (let i = 0; i < m; i++) {
        for (let j = 0; j < n2; j++) {
          let sum2 = 0;
          const aRow = ao + i * k;
          const bRow = bo + j * k;
          for (let p = 0; p < k; p++) sum2 += a[aRow + p] * b[bRow + p];
          acc2[i * n2 + j] = sum2;
        }
      }
    } else if (s.transA && !s.transB) {
      for (let p = 0; p < k; p++) {
        for (let i = 0; i < m; i++) {
          const av = a[ao + p * m + i];
          const bRow = bo + p * n2;
          const cRow = i * n2;
          for (let j = 0; j < n2; j++) acc2[cRow + j] += av * b[bRow + j];
        }
      }
    } else {
      for (let i = 0; i < m; i++) {
        for (let j = 0; j < n2; j++) {
          let sum2 = 0;
          for (let p = 0; p < k; p++) sum2 += a[ao + p * m + i] * b[bo + j * k + p];
          acc2[i * n2 + j] = sum2;
        }
      }
    }
    out.set(acc2, bi * m * n2);
  }
  return out;
}

// src/gpu/cpu/index.ts
init_indexing();
init_view();
function ints(buf) {
  const d = cpu(buf);
  if (!(d instanceof Int32Array)) throw new Error(`cpu backend: expected an int32 index buffer, got ${buf.dtype}`);
  return d;
}
var CpuBackend = class {
  name = "cpu";
  dtypes = ["float32", "float64", "int32"];
  upload(data) {
    return new CpuBuffer(data);
  }
  /** A copy: a buffer never changes once computed (other tensors may share it), so the caller gets its own. */
  read(buf) {
    return Promise.resolve(cpu(buf).slice());
  }
  readSync(buf) {
    return cpu(buf).slice();
  }
  dispose() {
  }
  unary(op2, x) {
    return new CpuBuffer(unary(op2, cpu(x)));
  }
  binary(op2, a, aShape, b, bShape, outShape) {
    return new CpuBuffer(binary(op2, cpu(a), aShape, cpu(b), bShape, outShape, a.dtype));
  }
  where(c, cShape, a, aShape, b, bShape, outShape) {
    return new CpuBuffer(where(cpu(c), cShape, cpu(a), aShape, cpu(b), bShape, outShape, a.dtype));
  }
  reduce(op2, x, outer, n2, inner) {
    return new CpuBuffer(reduce(op2, cpu(x), outer, n2, inner));
  }
  argReduce(op2, x, outer, n2, inner) {
    return new CpuBuffer(argReduce(op2, cpu(x), outer, n2, inner));
  }
  topk(x, rows2, n2, k) {
    return new CpuBuffer(topk(cpu(x), rows2, n2, k));
  }
  matmul(a, b, spec) {
    return new CpuBuffer(matmul(cpu(a), cpu(b), spec));
  }
  gather(src, rows2, cols, idx) {
    return new CpuBuffer(gather(cpu(src), rows2, cols, ints(idx)));
  }
  scatterAdd(src, cols, idx, outRows) {
    return new CpuBuffer(scatterAdd(cpu(src), cols, ints(idx), outRows));
  }
  view(x, spec) {
    return new CpuBuffer(view(cpu(x), spec));
  }
  cast(x, to) {
    const src = cpu(x);
    return new CpuBuffer(to === "int32" ? Int32Array.from(src, Math.trunc) : toTypedArray(src, to));
  }
};

// src/gpu/registry.ts
var factories = /* @__PURE__ */ new Map();
var started = /* @__PURE__ */ new Map();
var cpuBackend = new CpuBackend();
started.set("cpu", cpuBackend);
var current = cpuBackend;
function registerBackend(prefix, factory) {
  factories.set(prefix, factory);
}
registerBackend("wasm", async (name2) => (await Promise.resolve().then(() => (init_wasm(), wasm_exports))).createWasmBackend(name2));
async function startBackend(name2) {
  const existing = started.get(name2);
  if (existing) return existing;
  const factory = factories.get(name2.split(":")[0]);
  if (!factory) {
    throw new Error(`setBackend: unknown backend '${name2}' (known: cpu${[...factories.keys()].map((k) => `, ${k}, ${k}:<mode>`).join("")})`);
  }
  const backend = await factory(name2);
  started.set(name2, backend);
  started.set(backend.name, backend);
  return backend;
}
async function setBackend(name2) {
  if (name2 === "cpu") {
    current = cpuBackend;
    return current;
  }
  current = await startBackend(name2);
  return current;
}
function getBackend() {
  return current;
}
function backendNamed(name2) {
  const b = started.get(name2);
  if (!b) throw new Error(`backend '${name2}' has not been started: call await setBackend('${name2}') (or startBackend) first`);
  return b;
}

// src/tensor/grad-mode.ts
var enabled = true;
function isGradEnabled() {
  return enabled;
}
function noGrad(fn) {
  const prev = enabled;
  enabled = false;
  try {
    return fn();
  } finally {
    enabled = prev;
  }
}
function enableGrad(fn) {
  const prev = enabled;
  enabled = true;
  try {
    return fn();
  } finally {
    enabled = prev;
  }
}
var eager = false;
function isEager() {
  return eager;
}

// src/autograd/backward.ts
init_shape();

// src/tensor/tensor.ts
init_dtype();

// src/tensor/lazy.ts
var reaper = new FinalizationRegistry(({ backend, buf }) => backend.dispose(buf));
var nextId = 0;
var LazyBuffer = class _LazyBuffer {
  constructor(backend, shape, dtype, op2, srcs) {
    this.backend = backend;
    this.shape = shape;
    this.dtype = dtype;
    this.op = op2;
    this.srcs = srcs;
  }
  backend;
  shape;
  dtype;
  op;
  srcs;
  id = nextId++;
  _buf = null;
  /** For reshape: the LazyBuffer whose device buffer this one shares. */
  owner = null;
  disposed = false;
  static realized(backend, shape, buf) {
    const lb = new _LazyBuffer(backend, shape, buf.dtype, null, []);
    lb.setBuffer(buf);
    return lb;
  }
  get isRealized() {
    return this._buf !== null && !this.isDisposed;
  }
  /** Disposed itself, or a reshaped view of a buffer that was disposed. */
  get isDisposed() {
    return this.disposed || (this.owner?.isDisposed ?? false);
  }
  get buffer() {
    if (this.isDisposed) throw disposedError();
    if (!this._buf) throw new Error(`internal: LazyBuffer ${this.id} read before it was realized`);
    return this._buf;
  }
  /** Records the result and forgets how it was computed. */
  setBuffer(buf, sharedWith) {
    this._buf = buf;
    if (sharedWith) this.owner = sharedWith;
    else reaper.register(this, { backend: this.backend, buf }, this);
    this.op = null;
    this.srcs = [];
  }
  /**
   * Frees the device buffer now (explicit disposal). Later use of this value,
   * or of a reshaped view sharing its buffer, throws instead of reading freed memory.
   */
  dispose() {
    if (this._buf && !this.owner && !this.disposed) {
      reaper.unregister(this);
      this.backend.dispose(this._buf);
    }
    this.disposed = true;
    this._buf = null;
    this.owner = null;
    this.op = null;
    this.srcs = [];
  }
};
function disposedError() {
  return new Error("tensor used after dispose(): its buffer (shared with any reshaped view of it) was freed");
}

// src/tensor/realize.ts
function schedule(targets) {
  const order = [];
  const seen = /* @__PURE__ */ new Set();
  const stack2 = targets.map((t) => [t, false]);
  while (stack2.length) {
    const [lb, expanded] = stack2.pop();
    if (expanded) {
      order.push(lb);
      continue;
    }
    if (lb.isDisposed) throw disposedError();
    if (lb.isRealized || seen.has(lb.id)) continue;
    seen.add(lb.id);
    stack2.push([lb, true]);
    for (let i = lb.srcs.length - 1; i >= 0; i--) stack2.push([lb.srcs[i], false]);
  }
  return order;
}
function launch(lb) {
  const be2 = lb.backend;
  const op2 = lb.op;
  const s = lb.srcs;
  const b = (i) => s[i].buffer;
  switch (op2.kind) {
    case "unary":
      return be2.unary(op2.op, b(0));
    case "binary":
      return be2.binary(op2.op, b(0), s[0].shape, b(1), s[1].shape, lb.shape);
    case "where":
      return be2.where(b(0), s[0].shape, b(1), s[1].shape, b(2), s[2].shape, lb.shape);
    case "reduce":
      return be2.reduce(op2.op, b(0), op2.outer, op2.n, op2.inner);
    case "argReduce":
      return be2.argReduce(op2.op, b(0), op2.outer, op2.n, op2.inner);
    case "topk":
      return be2.topk(b(0), op2.rows, op2.n, op2.k);
    case "matmul":
      return be2.matmul(b(0), b(1), op2.spec);
    case "gather":
      return be2.gather(b(0), op2.rows, op2.cols, b(1));
    case "scatterAdd":
      return be2.scatterAdd(b(0), op2.cols, b(1), op2.outRows);
    case "view":
      return be2.view(b(0), op2.spec);
    case "cast":
      return be2.cast(b(0), op2.to);
    case "reshape":
      return b(0);
    case "transfer": {
      const from = s[0];
      const data = from.backend.readSync?.(from.buffer);
      if (data) return be2.upload(data);
      return from.backend.read(from.buffer).then((d) => be2.upload(d));
    }
  }
}
function finish(lb, buf) {
  const shared = lb.op?.kind === "reshape" ? lb.srcs[0] : void 0;
  lb.setBuffer(buf, shared);
}
var inFlight = /* @__PURE__ */ new WeakMap();
function nextTurn() {
  return new Promise((resolve) => setTimeout(resolve, 0));
}
async function realizeBuffers(targets) {
  if (targets[0]?.backend.wantsReclaim?.()) await nextTurn();
  for (const lb of schedule(targets)) {
    if (lb.isRealized) continue;
    const running = inFlight.get(lb);
    if (running) {
      await running;
      continue;
    }
    const r = launch(lb);
    if (!(r instanceof Promise)) {
      finish(lb, r);
      continue;
    }
    inFlight.set(lb, r);
    try {
      finish(lb, await r);
    } finally {
      inFlight.delete(lb);
    }
  }
}
function realizeBuffersSync(targets) {
  for (const lb of schedule(targets)) {
    const r = launch(lb);
    if (r instanceof Promise) {
      throw new Error(`backend ${lb.backend.name} is asynchronous: use await realize(...) / await t.data() instead of the synchronous API`);
    }
    finish(lb, r);
  }
}

// src/tensor/tensor.ts
init_shape();

// src/gpu/backend.ts
var BINARY_OPS = ["add", "sub", "mul", "div", "pow", "max", "min", "eq", "ne", "lt", "le", "gt", "ge"];

// src/tensor/ops/elementwise.ts
init_dtype();
init_shape();

// src/tensor/ops/core.ts
init_dtype();
init_shape();
function make(op2, inputs, shape, dtype, grad2, backend) {
  const be2 = backend ?? inputs[0].backend;
  const lb = new LazyBuffer(be2, Object.freeze([...shape]), dtype, op2, inputs.map((t) => t.lazy));
  const needsGrad = grad2 !== null && isFloat(dtype) && isGradEnabled() && inputs.some((t) => t.requiresGrad);
  const out = new Tensor(lb, needsGrad);
  if (needsGrad) out.gradNode = { op: grad2, inputs, versions: inputs.map((t) => t.version) };
  if (isEager()) realizeBuffersSync([lb]);
  return out;
}
function sameBackend(op2, ...ts) {
  const be2 = ts[0].backend;
  for (const t of ts) {
    if (t.backend !== be2) throw new Error(`${op2}: tensors are on different backends (${be2.name} and ${t.backend.name}); move one with .to()`);
  }
}
function lift(op2, x, like2) {
  if (x instanceof Tensor) return x;
  if (typeof x !== "number" || Number.isNaN(x)) throw new Error(`${op2}: expected a tensor or a number, got ${String(x)}`);
  if (like2.dtype === "int32" && !(Number.isInteger(x) && x >= -(2 ** 31) && x < 2 ** 31)) {
    throw new Error(`${op2}: the int32 tensor ${fmt(like2.shape)} cannot be combined with ${x}, which is not an int32; cast the tensor first (.float())`);
  }
  return scalarOn(like2.backend, x, like2.dtype);
}
function scalarOn(backend, value, dtype) {
  const data = dtype === "float64" ? new Float64Array([value]) : dtype === "int32" ? new Int32Array([value]) : new Float32Array([value]);
  return new Tensor(LazyBuffer.realized(backend, [], backend.upload(data)));
}

// src/tensor/ops/elementwise.ts
var COMPARISONS = ["eq", "ne", "lt", "le", "gt", "ge"];
function unary3(op2, x) {
  if (!isFloat(x.dtype) && op2 !== "neg" && op2 !== "abs" && op2 !== "sign") {
    throw new Error(`${op2}: needs a floating-point tensor, got ${x.dtype} (cast with .float())`);
  }
  return make({ kind: "unary", op: op2 }, [x], x.shape, x.dtype, { kind: "unary", op: op2 });
}
function binary3(op2, a, b) {
  if (!BINARY_OPS.includes(op2)) throw new Error(`unknown binary op ${op2}`);
  if (!(a instanceof Tensor) && !(b instanceof Tensor)) throw new Error(`${op2}: at least one operand must be a tensor`);
  const ta = a instanceof Tensor ? a : lift(op2, a, b);
  const tb = lift(op2, b, ta);
  sameBackend(op2, ta, tb);
  if (ta.dtype !== tb.dtype) throw new Error(`${op2}: dtypes differ (${ta.dtype} ${fmt(ta.shape)} and ${tb.dtype} ${fmt(tb.shape)}); cast one first`);
  const shape = broadcastShapes(op2, ta.shape, tb.shape);
  const grad2 = COMPARISONS.includes(op2) ? null : { kind: "binary", op: op2 };
  return make({ kind: "binary", op: op2 }, [ta, tb], shape, ta.dtype, grad2);
}
function where3(cond, a, b) {
  const ta = a instanceof Tensor ? a : b instanceof Tensor ? lift("where", a, b) : lift("where", a, cond.dtype === "int32" ? cond.float() : cond);
  const tb = lift("where", b, ta);
  sameBackend("where", cond, ta, tb);
  if (ta.dtype !== tb.dtype) throw new Error(`where: dtypes differ (${ta.dtype} and ${tb.dtype})`);
  const shape = broadcastShapes("where", broadcastShapes("where", cond.shape, ta.shape), tb.shape);
  return make({ kind: "where" }, [cond, ta, tb], shape, ta.dtype, { kind: "where" });
}
function clamp(x, min, max) {
  if (min !== void 0 && Number.isNaN(min)) throw new Error("clamp: min is NaN");
  if (max !== void 0 && Number.isNaN(max)) throw new Error("clamp: max is NaN");
  if (min !== void 0 && max !== void 0 && min > max) throw new Error(`clamp: min ${min} is greater than max ${max}`);
  let y = x;
  if (min !== void 0) y = binary3("max", y, lift("clamp", min, x));
  if (max !== void 0) y = binary3("min", y, lift("clamp", max, x));
  return y;
}
function cast(x, to) {
  if (x.dtype === to) return x;
  if (!x.backend.dtypes.includes(to)) throw new Error(`cast: backend ${x.backend.name} has no ${to}`);
  return make({ kind: "cast", to }, [x], x.shape, to, isFloat(to) ? { kind: "cast" } : null);
}

// src/tensor/ops/reduce.ts
init_shape();

// src/tensor/ops/movement.ts
init_shape();
function viewOf(x, spec, grad2) {
  return make({ kind: "view", spec }, [x], spec.shape, x.dtype, grad2);
}
function reshape(x, shape) {
  const infer = shape.filter((d) => d === -1).length;
  if (infer > 1) throw new Error(`reshape: at most one -1 in ${fmt(shape)}`);
  const known = shape.reduce((p, d) => d === -1 ? p : p * d, 1);
  const out = shape.map((d) => d === -1 ? known === 0 ? 0 : x.size / known : d);
  if (out.some((d) => !Number.isInteger(d) || d < 0) || sizeOf(out) !== x.size) {
    throw new Error(`reshape: cannot reshape ${fmt(x.shape)} (${x.size} elements) into ${fmt(shape)}`);
  }
  if (out.length === x.rank && out.every((d, i) => d === x.shape[i])) return x;
  return make({ kind: "reshape" }, [x], out, x.dtype, { kind: "reshape" });
}
function permute(x, perm) {
  const p = perm.map((a) => normAxis("permute", a, x.rank));
  if (p.length !== x.rank || new Set(p).size !== p.length) {
    throw new Error(`permute: ${fmt(perm)} is not a permutation of the ${x.rank} axes of ${fmt(x.shape)}`);
  }
  if (p.every((a, i) => a === i)) return x;
  const strides = stridesOf(x.shape);
  return viewOf(x, { shape: p.map((a) => x.shape[a]), strides: p.map((a) => strides[a]), offset: 0 }, { kind: "permute", perm: p });
}
function transpose(x, dim0, dim1) {
  const a = normAxis("transpose", dim0, x.rank);
  const b = normAxis("transpose", dim1, x.rank);
  const perm = x.shape.map((_, i) => i);
  perm[a] = b;
  perm[b] = a;
  return permute(x, perm);
}
function expand(x, shape) {
  const lead = shape.length - x.rank;
  if (lead < 0) throw new Error(`expand: cannot expand ${fmt(x.shape)} to fewer axes ${fmt(shape)}`);
  const out = shape.map((d, i) => d === -1 && i >= lead ? x.shape[i - lead] : d);
  if (out.some((d) => !Number.isInteger(d) || d < 0)) {
    throw new Error(`expand: invalid target shape ${fmt(shape)} for ${fmt(x.shape)} (sizes must be non-negative integers; -1 keeps an existing axis)`);
  }
  const own = stridesOf(x.shape);
  const strides = out.map((d, i) => {
    const src = i < lead ? 1 : x.shape[i - lead];
    if (src !== d && src !== 1) throw new Error(`expand: cannot expand ${fmt(x.shape)} to ${fmt(shape)} (axis ${i}: ${src} vs ${d})`);
    return i < lead || src !== d ? 0 : own[i - lead];
  });
  if (lead === 0 && out.every((d, i) => d === x.shape[i])) return x;
  return viewOf(x, { shape: out, strides, offset: 0 }, { kind: "expand" });
}
function shrink(x, starts, ends) {
  if (starts.every((s, i) => s === 0 && ends[i] === x.shape[i])) return x;
  const strides = stridesOf(x.shape);
  const offset = starts.reduce((o, s, i) => o + s * strides[i], 0);
  return viewOf(x, { shape: ends.map((e, i) => e - starts[i]), strides, offset }, { kind: "slice", starts, ends });
}
function slice(x, axis, start, end) {
  const a = normAxis("slice", axis, x.rank);
  const n2 = x.shape[a];
  const s = start < 0 ? start + n2 : start;
  const e = end === void 0 ? n2 : end < 0 ? end + n2 : end;
  if (!Number.isInteger(s) || !Number.isInteger(e) || s < 0 || e > n2 || s > e) {
    throw new Error(`slice: range [${start}, ${end ?? n2}) is out of bounds for axis ${axis} of size ${n2} in ${fmt(x.shape)}`);
  }
  const starts = x.shape.map((_, i) => i === a ? s : 0);
  const ends = x.shape.map((d, i) => i === a ? e : d);
  return shrink(x, starts, ends);
}
function pad(x, pads) {
  if (pads.length > x.rank || pads.some(([b, a]) => !Number.isInteger(b) || !Number.isInteger(a) || b < 0 || a < 0)) {
    throw new Error(`pad: ${JSON.stringify(pads)} is not a list of non-negative [before, after] pairs for ${fmt(x.shape)}`);
  }
  const before = x.shape.map((_, i) => pads[i]?.[0] ?? 0);
  const after = x.shape.map((_, i) => pads[i]?.[1] ?? 0);
  if (before.every((b) => b === 0) && after.every((a) => a === 0)) return x;
  const strides = stridesOf(x.shape);
  const shape = x.shape.map((d, i) => d + before[i] + after[i]);
  const offset = -before.reduce((o, b, i) => o + b * strides[i], 0);
  const window = x.shape.map((d, i) => [before[i], before[i] + d]);
  return viewOf(x, { shape, strides, offset, window }, { kind: "pad", before, after });
}
function squeeze(x, axis) {
  if (axis === void 0) return reshape(x, x.shape.filter((d) => d !== 1));
  const a = normAxis("squeeze", axis, x.rank);
  if (x.shape[a] !== 1) throw new Error(`squeeze: axis ${axis} of ${fmt(x.shape)} has size ${x.shape[a]}, not 1`);
  return reshape(x, x.shape.filter((_, i) => i !== a));
}
function unsqueeze(x, axis) {
  const a = normAxis("unsqueeze", axis, x.rank + 1);
  const shape = [...x.shape];
  shape.splice(a, 0, 1);
  return reshape(x, shape);
}
function cat(ts, axis = 0) {
  if (ts.length === 0) throw new Error("cat: needs at least one tensor");
  const first = ts[0];
  const a = normAxis("cat", axis, first.rank);
  sameBackend("cat", ...ts);
  for (const t of ts) {
    if (t.rank !== first.rank || t.dtype !== first.dtype || t.shape.some((d, i) => i !== a && d !== first.shape[i])) {
      throw new Error(`cat: ${t.dtype} ${fmt(t.shape)} does not match ${first.dtype} ${fmt(first.shape)} outside axis ${axis}`);
    }
  }
  if (ts.length === 1) return first;
  const total2 = ts.reduce((s, t) => s + t.shape[a], 0);
  let at = 0;
  let out = null;
  for (const t of ts) {
    const pads = t.shape.map((_, i) => i === a ? [at, total2 - at - t.shape[a]] : [0, 0]);
    const placed = pad(t, pads);
    out = out ? binary3("add", out, placed) : placed;
    at += t.shape[a];
  }
  return out;
}
function transfer(x, to) {
  if (x.backend === to) return x;
  if (!to.dtypes.includes(x.dtype)) throw new Error(`to: backend ${to.name} has no ${x.dtype} (cast first)`);
  return make({ kind: "transfer" }, [x], x.shape, x.dtype, { kind: "transfer" }, to);
}

// src/tensor/ops/reduce.ts
function axesOf(op2, x, axis) {
  if (axis === void 0) return x.shape.map((_, i) => i);
  const list = typeof axis === "number" ? [axis] : [...axis];
  const norm = list.map((a) => normAxis(op2, a, x.rank));
  if (new Set(norm).size !== norm.length) throw new Error(`${op2}: repeated axis in ${fmt(list)}`);
  return norm.sort((p, q) => q - p);
}
function reduce1(op2, x, axis) {
  const [outer, n2, inner] = splitAt(x.shape, axis);
  if (n2 === 0 && op2 !== "sum") throw new Error(`${op2}: cannot reduce an empty axis ${axis} of ${fmt(x.shape)}`);
  const shape = x.shape.map((d, i) => i === axis ? 1 : d);
  return make({ kind: "reduce", op: op2, outer, n: n2, inner }, [x], shape, x.dtype, { kind: "reduce", op: op2, axis });
}
function reduce3(op2, x, axis, keepDims = false) {
  const axes = axesOf(op2, x, axis);
  let y = x;
  for (const a of axes) y = reduce1(op2, y, a);
  return keepDims ? y : reshape(y, x.shape.filter((_, i) => !axes.includes(i)));
}
function countOf(x, axes) {
  return axes.reduce((n2, a) => n2 * x.shape[a], 1);
}
function mean(x, axis, keepDims = false) {
  const n2 = countOf(x, axesOf("mean", x, axis));
  return binary3("div", reduce3("sum", x, axis, keepDims), n2);
}
function variance(x, axis, keepDims = false) {
  const d = binary3("sub", x, mean(x, axis, true));
  return mean(binary3("mul", d, d), axis, keepDims);
}
function argReduce3(op2, x, axis, keepDims = false) {
  const src = axis === void 0 ? reshape(x, [x.size]) : x;
  const a = axis === void 0 ? 0 : normAxis(op2, axis, x.rank);
  const [outer, n2, inner] = splitAt(src.shape, a);
  if (n2 === 0) throw new Error(`${op2}: empty axis in ${fmt(x.shape)}`);
  const kept = src.shape.map((d, i) => i === a ? 1 : d);
  const out = make({ kind: "argReduce", op: op2, outer, n: n2, inner }, [src], kept, "int32", null);
  if (keepDims) return axis === void 0 ? reshape(out, x.shape.map(() => 1)) : out;
  return reshape(out, axis === void 0 ? [] : src.shape.filter((_, i) => i !== a));
}

// src/tensor/ops/matmul.ts
init_shape();
function bmm(a, b, transA = false, transB = false) {
  sameBackend("matmul", a, b);
  if (a.rank !== 3 || b.rank !== 3) {
    throw new Error(`bmm: expects two rank-3 tensors [batch, rows, cols], got ${fmt(a.shape)} and ${fmt(b.shape)}`);
  }
  if (a.dtype !== b.dtype) throw new Error(`matmul: dtypes differ (${a.dtype} ${fmt(a.shape)} and ${b.dtype} ${fmt(b.shape)})`);
  const [ba, ra, ca] = a.shape;
  const [bb, rb, cb] = b.shape;
  const [m, k] = transA ? [ca, ra] : [ra, ca];
  const [k2, n2] = transB ? [cb, rb] : [rb, cb];
  if (k !== k2) {
    throw new Error(`matmul: inner dimensions differ: ${fmt(a.shape)}${transA ? "\u1D40" : ""} \xB7 ${fmt(b.shape)}${transB ? "\u1D40" : ""} (${k} vs ${k2})`);
  }
  if (ba !== bb && ba !== 1 && bb !== 1) throw new Error(`matmul: batch sizes ${ba} and ${bb} differ (${fmt(a.shape)} and ${fmt(b.shape)})`);
  const batch = ba === 1 ? bb : ba;
  const spec = { batch, m, k, n: n2, transA, transB, aBatchStride: ba === 1 ? 0 : m * k, bBatchStride: bb === 1 ? 0 : k * n2 };
  return make({ kind: "matmul", spec }, [a, b], [batch, m, n2], a.dtype, { kind: "matmul", transA, transB });
}
function matmul3(a, b) {
  if (a.rank === 0 || b.rank === 0) throw new Error(`matmul: scalars have no matrix product (${fmt(a.shape)} \xB7 ${fmt(b.shape)}); use mul`);
  const a2 = a.rank === 1 ? reshape(a, [1, a.shape[0]]) : a;
  const b2 = b.rank === 1 ? reshape(b, [b.shape[0], 1]) : b;
  const [m, k] = a2.shape.slice(-2);
  const [k2, n2] = b2.shape.slice(-2);
  if (k !== k2) throw new Error(`matmul: inner dimensions differ: ${fmt(a.shape)} \xB7 ${fmt(b.shape)} (${k} vs ${k2})`);
  const aBatch = a2.shape.slice(0, -2);
  const bBatch = b2.shape.slice(0, -2);
  let batch;
  try {
    batch = broadcastShapes("matmul", aBatch, bBatch);
  } catch {
    throw new Error(`matmul: batch dimensions of ${fmt(a.shape)} and ${fmt(b.shape)} cannot be broadcast (${fmt(aBatch)} vs ${fmt(bBatch)})`);
  }
  let out;
  if (bBatch.length === 0) {
    out = reshape(bmm(reshape(a2, [1, sizeOf(aBatch) * m, k]), reshape(b2, [1, k, n2])), [...aBatch, m, n2]);
  } else {
    const flat = (t, tb, r, c) => sizeOf(tb) === 1 ? reshape(t, [1, r, c]) : reshape(tb.length === batch.length && tb.every((d, i) => d === batch[i]) ? t : expand(t, [...batch, r, c]), [sizeOf(batch), r, c]);
    out = reshape(bmm(flat(a2, aBatch, m, k), flat(b2, bBatch, k, n2)), [...batch, m, n2]);
  }
  if (a.rank === 1) out = reshape(out, [...out.shape.slice(0, -2), n2]);
  if (b.rank === 1) out = reshape(out, out.shape.slice(0, -1));
  return out;
}

// src/tensor/ops/indexing.ts
init_shape();
function checkIndex2(op2, idx, size, what = `size ${size}`) {
  if (idx.dtype !== "int32") throw new Error(`${op2}: index must be int32, got ${idx.dtype} ${fmt(idx.shape)}`);
  const lb = idx.lazy;
  if (!lb.isRealized || !lb.backend.readSync) return false;
  const values2 = lb.backend.readSync(lb.buffer);
  for (let i = 0; i < values2.length; i++) {
    const v = values2[i];
    if (!(v >= 0 && v < size)) throw new Error(`${op2}: index ${v} at position ${i} is out of range for ${what}`);
  }
  return true;
}
function gatherRows(src, idx, op2 = "gatherRows") {
  if (src.rank !== 2 || idx.rank !== 1) throw new Error(`${op2}: expected src [R, C] and index [M], got ${fmt(src.shape)} and ${fmt(idx.shape)}`);
  sameBackend(op2, src, idx);
  const [rows2, cols] = src.shape;
  checkIndex2(op2, idx, rows2);
  return make({ kind: "gather", rows: rows2, cols }, [src, idx], [idx.shape[0], cols], src.dtype, { kind: "gather" });
}
function scatterAddRows(src, idx, outRows, op2 = "scatterAddRows") {
  if (src.rank !== 2 || idx.rank !== 1 || idx.shape[0] !== src.shape[0]) {
    throw new Error(`${op2}: expected src [M, C] and index [M], got ${fmt(src.shape)} and ${fmt(idx.shape)}`);
  }
  if (!Number.isInteger(outRows) || outRows < 0) throw new Error(`${op2}: the number of output rows must be a non-negative integer, got ${outRows}`);
  sameBackend(op2, src, idx);
  checkIndex2(op2, idx, outRows);
  const cols = src.shape[1];
  return make({ kind: "scatterAdd", cols, outRows }, [src, idx], [outRows, cols], src.dtype, { kind: "scatterAdd", outRows });
}
function rowsAlong(x, axis) {
  const perm = [axis, ...x.shape.map((_, i) => i).filter((i) => i !== axis)];
  const moved = permute(x, perm);
  return { rows: reshape(moved, [x.shape[axis], sizeOf(moved.shape.slice(1))]), perm };
}
function unrows(rows2, like2, perm) {
  const moved = reshape(rows2, [rows2.shape[0], ...perm.slice(1).map((a) => like2[a])]);
  const inverse = perm.map((_, i) => perm.indexOf(i));
  return permute(moved, inverse);
}
function indexSelect(x, axis, index) {
  const a = normAxis("indexSelect", axis, x.rank);
  if (index.rank !== 1) throw new Error(`indexSelect: index must be 1-D, got ${fmt(index.shape)}`);
  checkIndex2("indexSelect", index, x.shape[a], `axis ${axis} of ${fmt(x.shape)}`);
  const { rows: rows2, perm } = rowsAlong(x, a);
  return unrows(gatherRows(rows2, index, "indexSelect"), x.shape, perm);
}
function indexAdd(x, axis, index, src) {
  const a = normAxis("indexAdd", axis, x.rank);
  const want = x.shape.map((d, i) => i === a ? index.shape[0] : d);
  if (index.rank !== 1 || src.rank !== x.rank || src.shape.some((d, i) => d !== want[i])) {
    throw new Error(`indexAdd: src ${fmt(src.shape)} should be ${fmt(want)} for x ${fmt(x.shape)} and index ${fmt(index.shape)}`);
  }
  sameBackend("indexAdd", x, index, src);
  if (x.dtype !== src.dtype) throw new Error(`indexAdd: dtypes differ (x ${x.dtype} ${fmt(x.shape)}, src ${src.dtype} ${fmt(src.shape)})`);
  checkIndex2("indexAdd", index, x.shape[a], `axis ${axis} of ${fmt(x.shape)}`);
  const { rows: rows2, perm } = rowsAlong(src, a);
  return binary3("add", x, unrows(scatterAddRows(rows2, index, x.shape[a], "indexAdd"), x.shape, perm));
}
function flatOffsets(op2, target, axis, index, trusted = false) {
  if (index.dtype !== "int32") throw new Error(`${op2}: index must be int32, got ${index.dtype} ${fmt(index.shape)}`);
  if (index.rank !== target.length || index.shape.some((d, i) => i !== axis && d > target[i])) {
    throw new Error(`${op2}: index ${fmt(index.shape)} does not fit ${fmt(target)} along axis ${axis} (same rank, and no larger than it on the other axes)`);
  }
  const n2 = target[axis];
  const checked = checkIndex2(op2, index, n2, `size ${n2} (axis ${axis} of ${fmt(target)})`);
  const strides = stridesOf(target);
  const base2 = new Int32Array(index.size);
  const idx = new Array(index.rank).fill(0);
  for (let p = 0; p < base2.length; p++) {
    let off = 0;
    for (let d = 0; d < idx.length; d++) if (d !== axis) off += idx[d] * strides[d];
    base2[p] = off;
    for (let d = idx.length - 1; d >= 0; d--) {
      if (++idx[d] < index.shape[d]) break;
      idx[d] = 0;
    }
  }
  const baseT = new Tensor(LazyBuffer.realized(index.backend, index.shape, index.backend.upload(base2)));
  let flat = binary3("add", baseT, binary3("mul", index, strides[axis]));
  if (!checked && !trusted) flat = where3(binary3("mul", binary3("ge", index, 0), binary3("lt", index, n2)), flat, -1);
  return reshape(flat, [index.size]);
}
function gather2(x, axis, index, trusted = false) {
  const a = normAxis("gather", axis, x.rank);
  const flat = flatOffsets("gather", x.shape, a, index, trusted);
  return reshape(gatherRows(reshape(x, [x.size, 1]), flat, "gather"), index.shape);
}
function scatterAdd2(x, axis, index, src) {
  const a = normAxis("scatterAdd", axis, x.rank);
  if (src.rank !== index.rank || src.shape.some((d, i) => d !== index.shape[i])) {
    throw new Error(`scatterAdd: src ${fmt(src.shape)} and index ${fmt(index.shape)} must have the same shape`);
  }
  if (x.dtype !== src.dtype) throw new Error(`scatterAdd: dtypes differ (x ${x.dtype} ${fmt(x.shape)}, src ${src.dtype} ${fmt(src.shape)})`);
  const flat = flatOffsets("scatterAdd", x.shape, a, index);
  return binary3("add", x, reshape(scatterAddRows(reshape(src, [src.size, 1]), flat, x.size, "scatterAdd"), x.shape));
}
function topk2(x, k) {
  if (x.rank === 0) throw new Error("topk: needs at least one axis");
  const n2 = x.shape[x.rank - 1];
  if (!Number.isInteger(k) || k < 1 || k > n2) throw new Error(`topk: k=${k} must be an integer in [1, ${n2}] for ${fmt(x.shape)}`);
  const rows2 = x.size / n2;
  const shape = [...x.shape.slice(0, -1), k];
  const indices = make({ kind: "topk", rows: rows2, n: n2, k }, [x], shape, "int32", null);
  return { values: gather2(x, -1, indices, true), indices };
}

// src/tensor/ops/functional.ts
init_shape();

// src/tensor/create.ts
init_dtype();

// src/tensor/random.ts
var Generator = class {
  s = new Uint32Array(4);
  spare = null;
  constructor(seed = 0) {
    this.seed(seed);
  }
  seed(seed) {
    let x = seed >>> 0;
    for (let i = 0; i < 4; i++) {
      x = x + 2654435769 >>> 0;
      let z = x;
      z = Math.imul(z ^ z >>> 16, 2246822507) >>> 0;
      z = Math.imul(z ^ z >>> 13, 3266489909) >>> 0;
      this.s[i] = (z ^ z >>> 16) >>> 0;
    }
    this.spare = null;
  }
  /** Uniform 32-bit unsigned integer. */
  nextU32() {
    const s = this.s;
    const result = Math.imul(rotl(Math.imul(s[1], 5) >>> 0, 7), 9) >>> 0;
    const t = s[1] << 9 >>> 0;
    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = rotl(s[3], 11);
    return result;
  }
  /** Uniform in [0, 1). */
  uniform() {
    return this.nextU32() / 4294967296;
  }
  /** Standard normal. */
  normal() {
    if (this.spare !== null) {
      const v2 = this.spare;
      this.spare = null;
      return v2;
    }
    let u = 0;
    while (u === 0) u = this.uniform();
    const v = this.uniform();
    const r = Math.sqrt(-2 * Math.log(u));
    this.spare = r * Math.sin(2 * Math.PI * v);
    return r * Math.cos(2 * Math.PI * v);
  }
  /** Integer in [0, n). */
  int(n2) {
    return Math.floor(this.uniform() * n2);
  }
  /** The state, to save with a checkpoint so a resumed run draws the same numbers. */
  getState() {
    return [...this.s, this.spare ?? NaN];
  }
  setState(state) {
    for (let i = 0; i < 4; i++) this.s[i] = state[i] >>> 0;
    const spare = state[4];
    this.spare = spare === void 0 || Number.isNaN(spare) ? null : spare;
  }
};
function rotl(x, k) {
  return (x << k | x >>> 32 - k) >>> 0;
}
var defaultGenerator = new Generator(0);
function manualSeed(seed) {
  defaultGenerator.seed(seed);
}

// src/tensor/create.ts
init_shape();
function backendOf(opts) {
  if (opts.backend === void 0) return getBackend();
  return typeof opts.backend === "string" ? backendNamed(opts.backend) : opts.backend;
}
function fromData(data, shape, opts = {}) {
  checkShape("fromData", shape);
  const be2 = backendOf(opts);
  const dtype = dtypeOf(data);
  if (!be2.dtypes.includes(dtype)) {
    throw new Error(`backend ${be2.name} does not support ${dtype}${dtype === "float64" ? " (float64 runs on the cpu backend only)" : ""}`);
  }
  if (sizeOf(shape) !== data.length) throw new Error(`tensor: shape ${fmt(shape)} needs ${sizeOf(shape)} values, got ${data.length}`);
  return new Tensor(LazyBuffer.realized(be2, Object.freeze([...shape]), be2.upload(data)), opts.requiresGrad ?? false);
}
function full(shape, value, opts = {}) {
  checkShape("full", shape);
  if (opts.dtype === "int32" && !Number.isInteger(value)) throw new Error(`full: int32 tensor got a non-integer value ${value}`);
  const data = arrayFor(opts.dtype ?? "float32", sizeOf(shape));
  data.fill(value);
  return fromData(data, shape, opts);
}
var zeros = (shape, opts = {}) => full(shape, 0, opts);
var ones = (shape, opts = {}) => full(shape, 1, opts);
function like(t, opts) {
  return { dtype: t.dtype, backend: t.backend, ...opts };
}
var zerosLike = (t, opts = {}) => full(t.shape, 0, like(t, opts));
var onesLike = (t, opts = {}) => full(t.shape, 1, like(t, opts));
function arange(start, end, step3 = 1, opts = {}) {
  const [lo, hi] = end === void 0 ? [0, start] : [start, end];
  if (step3 === 0 || !Number.isFinite(step3) || !Number.isFinite(lo) || !Number.isFinite(hi)) {
    throw new Error(`arange: bad range (${lo}, ${hi}, step ${step3})`);
  }
  const n2 = Math.max(0, Math.ceil((hi - lo) / step3));
  const dtype = opts.dtype ?? (Number.isInteger(lo) && Number.isInteger(step3) ? "int32" : "float32");
  const data = arrayFor(dtype, n2);
  for (let i = 0; i < n2; i++) data[i] = lo + i * step3;
  return fromData(data, [n2], { ...opts, dtype });
}
function arangeOn(backend, n2) {
  return arange(0, n2, 1, { backend, dtype: "int32" });
}
function randomTensor(shape, opts, draw) {
  checkShape("random", shape);
  const dtype = opts.dtype ?? "float32";
  if (dtype === "int32") throw new Error("rand/randn: dtype must be float32 or float64");
  const g = opts.generator ?? defaultGenerator;
  const data = arrayFor(dtype, sizeOf(shape));
  for (let i = 0; i < data.length; i++) data[i] = draw(g);
  return fromData(data, shape, opts);
}
var rand = (shape, opts = {}) => randomTensor(shape, opts, (g) => g.uniform());
var randn = (shape, opts = {}) => randomTensor(shape, opts, (g) => g.normal());

// src/tensor/ops/functional.ts
function shift(x, axis) {
  const m = reduce3("max", x, axis, true).detach();
  return where3(binary3("lt", unary3("abs", m), Infinity), m, 0);
}
function softmax(x, axis = -1) {
  const a = normAxis("softmax", axis, x.rank);
  const e = unary3("exp", binary3("sub", x, shift(x, a)));
  return binary3("div", e, reduce3("sum", e, a, true));
}
function logSoftmax(x, axis = -1) {
  const a = normAxis("logSoftmax", axis, x.rank);
  const z = binary3("sub", x, shift(x, a));
  return binary3("sub", z, unary3("log", reduce3("sum", unary3("exp", z), a, true)));
}
function logsumexp(x, axis = -1, keepDims = false) {
  const a = normAxis("logsumexp", axis, x.rank);
  const m = shift(x, a);
  const out = binary3("add", unary3("log", reduce3("sum", unary3("exp", binary3("sub", x, m)), a, true)), m);
  return keepDims ? out : reshape(out, x.shape.filter((_, i) => i !== a));
}
function oneHot(index, n2) {
  if (index.dtype !== "int32") throw new Error(`oneHot: index must be int32, got ${index.dtype}`);
  if (!Number.isInteger(n2) || n2 < 1) throw new Error(`oneHot: number of classes must be a positive integer, got ${n2}`);
  checkIndex2("oneHot", index, n2, `${n2} classes`);
  const classes2 = arangeOn(index.backend, n2);
  return cast(binary3("eq", reshape(index, [...index.shape, 1]), classes2), "float32");
}
function crossEntropy(logits, targets, opts = {}) {
  if (targets.dtype !== "int32") throw new Error(`crossEntropy: targets must be int32 class indices, got ${targets.dtype}`);
  if (logits.rank !== targets.rank + 1 || targets.shape.some((d, i) => d !== logits.shape[i])) {
    throw new Error(`crossEntropy: logits ${fmt(logits.shape)} need targets of shape ${fmt(logits.shape.slice(0, -1))}, got ${fmt(targets.shape)}`);
  }
  const classes2 = logits.shape[logits.rank - 1];
  checkIndex2("crossEntropy", targets, classes2, `${classes2} classes (logits ${fmt(logits.shape)})`);
  const logp = logSoftmax(logits, -1);
  const picked = reshape(gather2(logp, -1, reshape(targets, [...targets.shape, 1])), targets.shape);
  const nll = unary3("neg", picked);
  const reduction = opts.reduction ?? "mean";
  if (reduction === "none") return nll;
  const total2 = reduce3("sum", nll);
  return reduction === "sum" ? total2 : binary3("div", total2, Math.max(targets.size, 1));
}

// src/tensor/tensor.ts
var nextTensorId = 0;
var backwardImpl = null;
function installBackward(impl) {
  backwardImpl = impl;
}
var Tensor = class _Tensor {
  id = nextTensorId++;
  /** The value. Swapped (never mutated) by assign(). */
  lazy;
  requiresGrad;
  /** The accumulated gradient, after backward(). A lazy tensor like any other. */
  grad = null;
  /** null for leaves (created by the user, or made with gradients off). */
  gradNode = null;
  /** Bumped by assign(): backward refuses to use an input that changed after it was used. */
  version = 0;
  constructor(lazy, requiresGrad = false) {
    this.lazy = lazy;
    this.requiresGrad = requiresGrad;
    if (requiresGrad && !isFloat(lazy.dtype)) throw new Error(`only floating-point tensors can require gradients (got ${lazy.dtype})`);
  }
  get shape() {
    return this.lazy.shape;
  }
  get dtype() {
    return this.lazy.dtype;
  }
  get backend() {
    return this.lazy.backend;
  }
  get rank() {
    return this.shape.length;
  }
  get size() {
    return sizeOf(this.shape);
  }
  get isLeaf() {
    return this.gradNode === null;
  }
  // ---- reading values -------------------------------------------------------
  /** Runs whatever is pending and reads the values back: Float32Array, Float64Array or Int32Array. */
  async data() {
    await realizeBuffers([this.lazy]);
    return this.backend.read(this.lazy.buffer);
  }
  /** Synchronous read, on backends that allow it (cpu and the synchronous gpu.js modes). */
  dataSync() {
    realizeBuffersSync([this.lazy]);
    const read = this.backend.readSync;
    if (!read) throw new Error(`backend ${this.backend.name} has no synchronous readback: use await t.data()`);
    return read.call(this.backend, this.lazy.buffer);
  }
  /** Nested arrays (a number for a scalar). */
  async toArray() {
    return nest(await this.data(), this.shape);
  }
  async item() {
    if (this.size !== 1) throw new Error(`item: tensor of shape ${fmt(this.shape)} has ${this.size} elements, not 1`);
    return (await this.data())[0];
  }
  itemSync() {
    if (this.size !== 1) throw new Error(`item: tensor of shape ${fmt(this.shape)} has ${this.size} elements, not 1`);
    return this.dataSync()[0];
  }
  toString() {
    return `Tensor(shape=${fmt(this.shape)}, dtype=${this.dtype}, backend=${this.backend.name}${this.requiresGrad ? ", requiresGrad" : ""})`;
  }
  // ---- autograd -------------------------------------------------------------
  /** Accumulates d(this)/d(leaf) into every leaf's .grad. Needs a scalar, or an explicit gradient. */
  backward(grad2, opts = {}) {
    if (!backwardImpl) throw new Error("autograd is not loaded: import from the dsmoe package entry");
    backwardImpl(this, grad2, opts);
  }
  /** Same value, cut from the graph. */
  detach() {
    return new _Tensor(this.lazy, false);
  }
  requiresGrad_(on = true) {
    if (on && !isFloat(this.dtype)) throw new Error(`only floating-point tensors can require gradients (got ${this.dtype})`);
    this.requiresGrad = on;
    return this;
  }
  /**
   * Replaces this tensor's value with `v`'s (same shape and dtype): how
   * optimizers update parameters. Graphs built earlier keep the old value.
   */
  assign(v) {
    if (v.dtype !== this.dtype || v.shape.length !== this.shape.length || v.shape.some((d, i) => d !== this.shape[i])) {
      throw new Error(`assign: expected ${this.dtype} ${fmt(this.shape)}, got ${v.dtype} ${fmt(v.shape)}`);
    }
    if (v.backend !== this.backend) throw new Error(`assign: value is on ${v.backend.name}, tensor on ${this.backend.name}`);
    this.lazy = v.lazy;
    this.version++;
    return this;
  }
  /**
   * Frees the device memory now instead of at garbage collection. The value
   * is gone for every tensor sharing it (detach() and reshape views share
   * it): using any of them afterwards throws.
   */
  dispose() {
    this.lazy.dispose();
  }
  /** This tensor on another (started) backend, e.g. t.to('cpu'). Differentiable. */
  to(backend) {
    const be2 = typeof backend === "string" ? backendNamed(backend) : backend;
    return transfer(this, be2);
  }
  // ---- elementwise ----------------------------------------------------------
  add(o) {
    return binary3("add", this, o);
  }
  sub(o) {
    return binary3("sub", this, o);
  }
  mul(o) {
    return binary3("mul", this, o);
  }
  div(o) {
    return binary3("div", this, o);
  }
  pow(o) {
    return binary3("pow", this, o);
  }
  maximum(o) {
    return binary3("max", this, o);
  }
  minimum(o) {
    return binary3("min", this, o);
  }
  eq(o) {
    return binary3("eq", this, o);
  }
  ne(o) {
    return binary3("ne", this, o);
  }
  lt(o) {
    return binary3("lt", this, o);
  }
  le(o) {
    return binary3("le", this, o);
  }
  gt(o) {
    return binary3("gt", this, o);
  }
  ge(o) {
    return binary3("ge", this, o);
  }
  neg() {
    return unary3("neg", this);
  }
  exp() {
    return unary3("exp", this);
  }
  log() {
    return unary3("log", this);
  }
  sqrt() {
    return unary3("sqrt", this);
  }
  abs() {
    return unary3("abs", this);
  }
  tanh() {
    return unary3("tanh", this);
  }
  sigmoid() {
    return unary3("sigmoid", this);
  }
  relu() {
    return unary3("relu", this);
  }
  gelu() {
    return unary3("gelu", this);
  }
  silu() {
    return unary3("silu", this);
  }
  sign() {
    return unary3("sign", this);
  }
  sin() {
    return unary3("sin", this);
  }
  cos() {
    return unary3("cos", this);
  }
  square() {
    return binary3("mul", this, this);
  }
  rsqrt() {
    return unary3("sqrt", this).reciprocal();
  }
  reciprocal() {
    return binary3("div", 1, this);
  }
  clamp(min, max) {
    return clamp(this, min, max);
  }
  /** cond ≠ 0 ? this : other (PyTorch's x.where(cond, y)). */
  where(cond, other) {
    return where3(cond, this, other);
  }
  cast(dtype) {
    return cast(this, dtype);
  }
  float() {
    return cast(this, "float32");
  }
  double() {
    return cast(this, "float64");
  }
  int() {
    return cast(this, "int32");
  }
  // ---- reductions -----------------------------------------------------------
  sum(axis, keepDims = false) {
    return reduce3("sum", this, axis, keepDims);
  }
  max(axis, keepDims = false) {
    return reduce3("max", this, axis, keepDims);
  }
  min(axis, keepDims = false) {
    return reduce3("min", this, axis, keepDims);
  }
  mean(axis, keepDims = false) {
    return mean(this, axis, keepDims);
  }
  variance(axis, keepDims = false) {
    return variance(this, axis, keepDims);
  }
  argmax(axis, keepDims = false) {
    return argReduce3("argmax", this, axis, keepDims);
  }
  argmin(axis, keepDims = false) {
    return argReduce3("argmin", this, axis, keepDims);
  }
  /** The k largest along the last axis, descending (lower index first on ties). */
  topk(k) {
    return topk2(this, k);
  }
  softmax(axis = -1) {
    return softmax(this, axis);
  }
  logSoftmax(axis = -1) {
    return logSoftmax(this, axis);
  }
  logsumexp(axis = -1, keepDims = false) {
    return logsumexp(this, axis, keepDims);
  }
  // ---- shape ----------------------------------------------------------------
  reshape(shape) {
    return reshape(this, shape);
  }
  view(shape) {
    return reshape(this, shape);
  }
  flatten() {
    return reshape(this, [this.size]);
  }
  permute(perm) {
    return permute(this, perm);
  }
  transpose(dim0 = -2, dim1 = -1) {
    return transpose(this, dim0, dim1);
  }
  get T() {
    return transpose(this, -2, -1);
  }
  expand(shape) {
    return expand(this, shape);
  }
  /** Elements start ≤ i < end along `axis` (negative values count from the end). */
  slice(axis, start, end) {
    return slice(this, axis, start, end);
  }
  narrow(axis, start, length) {
    return slice(this, axis, start, start + length);
  }
  /** Zero padding: `pads` is [before, after] per axis from the first. */
  pad(pads) {
    return pad(this, pads);
  }
  squeeze(axis) {
    return squeeze(this, axis);
  }
  unsqueeze(axis) {
    return unsqueeze(this, axis);
  }
  contiguous() {
    return this;
  }
  // ---- linear algebra and indexing -------------------------------------------
  matmul(o) {
    return matmul3(this, o);
  }
  /** Rows along `axis` picked by a 1-D int32 index. */
  indexSelect(axis, index) {
    return indexSelect(this, axis, index);
  }
  /** this + src summed into the rows along `axis` named by a 1-D int32 index. */
  indexAdd(axis, index, src) {
    return indexAdd(this, axis, index, src);
  }
  /** PyTorch's gather: out[..i..] = this[..index[..i..]..] along `axis`. */
  gather(axis, index) {
    return gather2(this, axis, index);
  }
  /** PyTorch's scatter_add (out of place): this with src added at index along `axis`. */
  scatterAdd(axis, index, src) {
    return scatterAdd2(this, axis, index, src);
  }
};
function nest(data, shape) {
  if (shape.length === 0) return data[0];
  const build = (offset, axis) => {
    const n2 = shape[axis];
    const stride = sizeOf(shape.slice(axis + 1));
    const out = [];
    for (let i = 0; i < n2; i++) {
      out.push(axis === shape.length - 1 ? data[offset + i] : build(offset + i * stride, axis + 1));
    }
    return out;
  };
  return build(0, 0);
}
async function realize(...tensors) {
  await realizeBuffers(tensors.map((t) => t.lazy));
}

// src/autograd/rules.ts
init_shape();
function unbroadcast(g, shape) {
  const axes = broadcastedAxes(shape, g.shape);
  if (axes.length === 0) return g;
  return reduce3("sum", g, axes, true).reshape(shape);
}
var SQRT_2_OVER_PI2 = Math.sqrt(2 / Math.PI);
function geluGrad(x) {
  const x2 = x.mul(x);
  const t = x.add(x2.mul(x).mul(0.044715)).mul(SQRT_2_OVER_PI2).tanh();
  const dInner = x2.mul(3 * 0.044715).add(1).mul(SQRT_2_OVER_PI2);
  return t.add(1).mul(0.5).add(x.mul(0.5).mul(t.mul(t).neg().add(1)).mul(dInner));
}
function unaryRule(op2, g, out, x) {
  switch (op2) {
    case "neg":
      return g.neg();
    case "exp":
      return g.mul(out);
    //                      d eˣ = eˣ
    case "log":
      return g.div(x);
    //                        d log x = 1/x
    case "sqrt":
      return g.div(out.mul(2));
    //              d √x = 1/(2√x)
    case "abs":
      return g.mul(x.sign());
    case "tanh":
      return g.mul(out.mul(out).neg().add(1));
    // 1 − tanh²
    case "sigmoid":
      return g.mul(out.mul(out.neg().add(1)));
    // σ(1−σ)
    case "relu":
      return g.mul(x.gt(0));
    case "gelu":
      return g.mul(geluGrad(x));
    case "silu": {
      const s = x.sigmoid();
      return g.mul(s.add(x.mul(s).mul(s.neg().add(1))));
    }
    case "sign":
      return null;
    case "sin":
      return g.mul(x.cos());
    case "cos":
      return g.mul(x.sin()).neg();
  }
}
function binaryRule(op2, g, out, a, b, needs) {
  switch (op2) {
    case "add":
      return [g, g];
    case "sub":
      return [g, g.neg()];
    case "mul":
      return [g.mul(b), g.mul(a)];
    case "div":
      return [g.div(b), needs[1] ? g.mul(a).div(b.mul(b)).neg() : null];
    case "pow":
      return [g.mul(b).mul(a.pow(b.sub(1))), needs[1] ? g.mul(out).mul(a.log()) : null];
    case "max":
    case "min": {
      const aWins = op2 === "max" ? a.gt(b) : a.lt(b);
      const share = aWins.add(a.eq(b).mul(0.5));
      return [g.mul(share), g.mul(share.neg().add(1))];
    }
    default:
      return [null, null];
  }
}
function matmulRule(g, a, b, transA, transB, needs) {
  const da = !needs[0] ? null : transA ? bmm(b, g, transB, true) : bmm(g, b, false, !transB);
  const db = !needs[1] ? null : transB ? bmm(g, a, true, transA) : bmm(a, g, !transA, false);
  const fold = (d, t) => d && t.shape[0] === 1 && d.shape[0] !== 1 ? reduce3("sum", d, 0, true) : d;
  return [fold(da, a), fold(db, b)];
}
function backwardRule(op2, g, out, x, needs) {
  const [a, b] = x;
  switch (op2.kind) {
    case "unary":
      return [unaryRule(op2.op, g, out, a)];
    case "binary":
      return binaryRule(op2.op, g, out, a, b, needs).map((d, i) => d ? unbroadcast(d, x[i].shape) : null);
    case "where": {
      const [cond, p, q] = x;
      return [null, needs[1] ? unbroadcast(where3(cond, g, 0), p.shape) : null, needs[2] ? unbroadcast(where3(cond, 0, g), q.shape) : null];
    }
    case "reduce": {
      if (op2.op === "sum") return [g.expand(a.shape)];
      const hit = a.eq(out);
      return [g.mul(hit).div(reduce3("sum", hit, op2.axis, true))];
    }
    case "matmul":
      return matmulRule(g, a, b, op2.transA, op2.transB, needs);
    case "gather":
      return [scatterAddRows(g, b, a.shape[0]), null];
    case "scatterAdd":
      return [gatherRows(g, b), null];
    case "reshape":
      return [g.reshape(a.shape)];
    case "permute":
      return [g.permute(op2.perm.map((_, i) => op2.perm.indexOf(i)))];
    case "expand":
      return [unbroadcast(g, a.shape)];
    case "slice":
      return [pad(g, a.shape.map((d, i) => [op2.starts[i], d - op2.ends[i]]))];
    case "pad":
      return [shrink(g, op2.before, a.shape.map((d, i) => op2.before[i] + d))];
    case "cast":
      return [g.cast(a.dtype)];
    case "transfer":
      return [g.to(a.backend)];
  }
}

// src/autograd/backward.ts
function topoOrder(root) {
  const order = [];
  const seen = /* @__PURE__ */ new Set();
  const stack2 = [[root, false]];
  while (stack2.length) {
    const [t, done] = stack2.pop();
    if (done) {
      order.push(t);
      continue;
    }
    if (seen.has(t.id)) continue;
    seen.add(t.id);
    stack2.push([t, true]);
    for (const x of t.gradNode?.inputs ?? []) if (x.requiresGrad && !seen.has(x.id)) stack2.push([x, false]);
  }
  return order;
}
function accumulate(grads, t, g) {
  const prev = grads.get(t.id);
  grads.set(t.id, prev ? prev.add(g) : g);
}
function propagate(root, seed, order) {
  const grads = /* @__PURE__ */ new Map([[root.id, seed]]);
  for (let i = order.length - 1; i >= 0; i--) {
    const t = order[i];
    const g = grads.get(t.id);
    const node = t.gradNode;
    if (!g || !node) continue;
    node.inputs.forEach((x, j) => {
      if (x.version !== node.versions[j]) {
        throw new Error(`backward: an input of ${node.op.kind} (shape ${fmt(x.shape)}) was assigned a new value after it was used; compute the forward pass again`);
      }
    });
    const needs = node.inputs.map((x) => x.requiresGrad);
    const dx = backwardRule(node.op, g, t, node.inputs, needs);
    dx.forEach((d, j) => {
      const x = node.inputs[j];
      if (d && needs[j]) accumulate(grads, x, d);
    });
  }
  return grads;
}
function seedFor(root, grad2) {
  if (!root.requiresGrad) {
    throw new Error("backward: this tensor does not require grad (no input had requiresGrad, or it was built under noGrad)");
  }
  if (grad2) {
    if (grad2.shape.length !== root.shape.length || grad2.shape.some((d, i) => d !== root.shape[i])) {
      throw new Error(`backward: gradient shape ${fmt(grad2.shape)} does not match tensor shape ${fmt(root.shape)}`);
    }
    return grad2;
  }
  if (root.size !== 1) throw new Error(`backward: tensor of shape ${fmt(root.shape)} is not a scalar; pass the gradient explicitly`);
  return onesLike(root);
}
function backward(root, grad2, opts = {}) {
  const run = () => {
    const order = topoOrder(root);
    const grads = propagate(root, seedFor(root, grad2), order);
    for (const t of order) {
      const g = grads.get(t.id);
      if (g && t.isLeaf) t.grad = t.grad ? t.grad.add(g) : g;
    }
  };
  if (opts.createGraph) enableGrad(run);
  else noGrad(run);
}
installBackward(backward);

// src/index.ts
init_shape();

// src/autograd/gradcheck.ts
init_dtype();

// src/nn/module.ts
init_shape();
var Module = class _Module {
  training = true;
  /** Tensors saved with the module that are not trained (e.g. rotary tables), by property name. */
  bufferNames = /* @__PURE__ */ new Set();
  /** Child modules, including those held in arrays (named 'name.i'). */
  namedChildren() {
    const out = [];
    for (const [key, value] of Object.entries(this)) {
      if (value instanceof _Module) out.push([key, value]);
      else if (Array.isArray(value)) value.forEach((v, i) => v instanceof _Module && out.push([`${key}.${i}`, v]));
    }
    return out;
  }
  /**
   * Every trainable tensor with its dotted name. A tensor shared by two
   * modules (tied weights) is listed once, under its first name, so an
   * optimizer updates it once; stateDict still saves it under every name.
   */
  namedParameters(prefix = "") {
    const seen = /* @__PURE__ */ new Set();
    return this.allNamedParameters(prefix).filter(([, p]) => {
      if (seen.has(p)) return false;
      seen.add(p);
      return true;
    });
  }
  allNamedParameters(prefix) {
    const out = [];
    for (const [key, value] of Object.entries(this)) {
      if (value instanceof Tensor && value.requiresGrad) out.push([prefix + key, value]);
    }
    for (const [name2, child] of this.namedChildren()) out.push(...child.allNamedParameters(`${prefix}${name2}.`));
    return out;
  }
  parameters() {
    return this.namedParameters().map(([, p]) => p);
  }
  namedBuffers(prefix = "") {
    const out = [];
    for (const key of this.bufferNames) {
      const value = this[key];
      if (value instanceof Tensor) out.push([prefix + key, value]);
    }
    for (const [name2, child] of this.namedChildren()) out.push(...child.namedBuffers(`${prefix}${name2}.`));
    return out;
  }
  /** Total number of trainable scalars. */
  numParameters() {
    return this.parameters().reduce((n2, p) => n2 + p.size, 0);
  }
  train(on = true) {
    this.training = on;
    for (const [, c] of this.namedChildren()) c.train(on);
    return this;
  }
  eval() {
    return this.train(false);
  }
  zeroGrad() {
    for (const p of this.parameters()) p.grad = null;
  }
  /** Parameters and buffers by dotted name (the tensors themselves, not copies). */
  stateDict() {
    return Object.fromEntries([...this.allNamedParameters(""), ...this.namedBuffers()]);
  }
  /**
   * Copies values in by name. Shapes must match exactly; with strict (the
   * default) the key sets must match too. Errors name the key and both shapes.
   */
  loadStateDict(state, opts = {}) {
    const strict2 = opts.strict ?? true;
    const own = this.stateDict();
    if (strict2) {
      const missing = Object.keys(own).filter((k) => !(k in state));
      const unexpected = Object.keys(state).filter((k) => !(k in own));
      if (missing.length || unexpected.length) {
        throw new Error(`loadStateDict: missing keys [${missing.join(", ")}], unexpected keys [${unexpected.join(", ")}]`);
      }
    }
    for (const [k, target] of Object.entries(own)) {
      const src = state[k];
      if (!src) continue;
      if (src.shape.length !== target.shape.length || src.shape.some((d, i) => d !== target.shape[i])) {
        throw new Error(`loadStateDict: '${k}' has shape ${fmt(src.shape)} in the state dict but ${fmt(target.shape)} in the module`);
      }
      noGrad(() => target.assign(src.to(target.backend).cast(target.dtype).detach()));
    }
  }
};

// src/nn/init.ts
function uniform(shape, bound, opts = {}) {
  return noGrad(() => rand(shape, opts).mul(2 * bound).sub(bound).detach()).requiresGrad_(opts.requiresGrad ?? true);
}
function normal(shape, std, opts = {}) {
  return noGrad(() => randn(shape, opts).mul(std).detach()).requiresGrad_(opts.requiresGrad ?? true);
}
function kaimingUniform(shape, fanIn, opts = {}) {
  return uniform(shape, 1 / Math.sqrt(fanIn), opts);
}
function zerosParam(shape, opts = {}) {
  return zeros(shape, { ...opts, requiresGrad: opts.requiresGrad ?? true });
}

// src/nn/linear.ts
var Linear = class extends Module {
  constructor(inFeatures, outFeatures, opts = {}) {
    super();
    this.inFeatures = inFeatures;
    this.outFeatures = outFeatures;
    if (!Number.isInteger(inFeatures) || !Number.isInteger(outFeatures) || inFeatures < 1 || outFeatures < 1) {
      throw new Error(`Linear: sizes must be positive integers, got ${inFeatures}\xD7${outFeatures}`);
    }
    const dtype = opts.dtype ?? "float32";
    this.weight = kaimingUniform([inFeatures, outFeatures], inFeatures, { dtype });
    this.bias = opts.bias === false ? null : kaimingUniform([outFeatures], inFeatures, { dtype });
  }
  inFeatures;
  outFeatures;
  weight;
  bias;
  forward(x) {
    if (x.shape[x.rank - 1] !== this.inFeatures) {
      throw new Error(`Linear(${this.inFeatures}\u2192${this.outFeatures}): input has last axis ${x.shape[x.rank - 1]} (shape [${x.shape.join(", ")}])`);
    }
    const y = x.matmul(this.weight);
    return this.bias ? y.add(this.bias) : y;
  }
};

// src/nn/embedding.ts
init_shape();
var Embedding = class extends Module {
  constructor(numEmbeddings, embeddingDim, opts = {}) {
    super();
    this.numEmbeddings = numEmbeddings;
    this.embeddingDim = embeddingDim;
    if (!Number.isInteger(numEmbeddings) || !Number.isInteger(embeddingDim) || numEmbeddings < 1 || embeddingDim < 1) {
      throw new Error(`Embedding: sizes must be positive integers, got ${numEmbeddings}\xD7${embeddingDim}`);
    }
    this.weight = normal([numEmbeddings, embeddingDim], opts.std ?? 1, { dtype: opts.dtype ?? "float32" });
  }
  numEmbeddings;
  embeddingDim;
  weight;
  /** int32 ids of any shape [...] → [..., embeddingDim]. */
  forward(ids) {
    if (ids.dtype !== "int32") throw new Error(`Embedding: ids must be int32, got ${ids.dtype} ${fmt(ids.shape)}`);
    const rows2 = gatherRows(this.weight, ids.reshape([ids.size]));
    return rows2.reshape([...ids.shape, this.embeddingDim]);
  }
};

// src/nn/positional-embedding.ts
init_shape();
var PositionalEmbedding = class extends Module {
  constructor(maxLen, dim, opts = {}) {
    super();
    this.maxLen = maxLen;
    this.dim = dim;
    if (!Number.isInteger(maxLen) || !Number.isInteger(dim) || maxLen < 1 || dim < 1) {
      throw new Error(`PositionalEmbedding: sizes must be positive integers, got ${maxLen}\xD7${dim}`);
    }
    this.weight = normal([maxLen, dim], opts.std ?? 0.02, { dtype: opts.dtype ?? "float32" });
  }
  maxLen;
  dim;
  weight;
  /** x [..., S, dim] + P[offset … offset+S−1]. */
  forward(x, offset = 0) {
    if (x.rank < 2 || x.shape[x.rank - 1] !== this.dim) {
      throw new Error(`PositionalEmbedding(${this.maxLen}, ${this.dim}): expected input [..., S, ${this.dim}], got ${fmt(x.shape)}`);
    }
    const s = x.shape[x.rank - 2];
    if (!Number.isInteger(offset) || offset < 0 || offset + s > this.maxLen) {
      throw new Error(`PositionalEmbedding: positions ${offset}\u2026${offset + s - 1} exceed maxLen ${this.maxLen}`);
    }
    return x.add(this.weight.slice(0, offset, offset + s));
  }
};

// src/nn/layer-norm.ts
init_shape();
function checkLastAxis(name2, x, dim) {
  if (x.rank === 0 || x.shape[x.rank - 1] !== dim) {
    throw new Error(`${name2}(${dim}): input's last axis must be ${dim}, got shape ${fmt(x.shape)}`);
  }
}
function checkEps(name2, eps) {
  if (!(eps > 0) || !Number.isFinite(eps)) throw new Error(`${name2}: eps must be a positive number, got ${eps}`);
}
var LayerNorm = class extends Module {
  constructor(normalizedShape, opts = {}) {
    super();
    this.normalizedShape = normalizedShape;
    if (!Number.isInteger(normalizedShape) || normalizedShape < 1) throw new Error(`LayerNorm: size must be a positive integer, got ${normalizedShape}`);
    this.eps = opts.eps ?? 1e-5;
    checkEps("LayerNorm", this.eps);
    const dtype = opts.dtype ?? "float32";
    const affine = opts.elementwiseAffine ?? true;
    this.weight = affine ? ones([normalizedShape], { dtype, requiresGrad: true }) : null;
    this.bias = affine && opts.bias !== false ? zerosParam([normalizedShape], { dtype }) : null;
  }
  normalizedShape;
  weight;
  bias;
  eps;
  forward(x) {
    checkLastAxis("LayerNorm", x, this.normalizedShape);
    const centred = x.sub(x.mean(-1, true));
    const invStd = centred.square().mean(-1, true).add(this.eps).rsqrt();
    let y = centred.mul(invStd);
    if (this.weight) y = y.mul(this.weight);
    if (this.bias) y = y.add(this.bias);
    return y;
  }
};

// src/nn/rms-norm.ts
var RMSNorm = class extends Module {
  constructor(normalizedShape, opts = {}) {
    super();
    this.normalizedShape = normalizedShape;
    if (!Number.isInteger(normalizedShape) || normalizedShape < 1) throw new Error(`RMSNorm: size must be a positive integer, got ${normalizedShape}`);
    this.eps = opts.eps ?? 1e-6;
    checkEps("RMSNorm", this.eps);
    const affine = opts.elementwiseAffine ?? true;
    this.weight = affine ? ones([normalizedShape], { dtype: opts.dtype ?? "float32", requiresGrad: true }) : null;
  }
  normalizedShape;
  weight;
  eps;
  forward(x) {
    checkLastAxis("RMSNorm", x, this.normalizedShape);
    const y = x.mul(x.square().mean(-1, true).add(this.eps).rsqrt());
    return this.weight ? y.mul(this.weight) : y;
  }
};

// src/nn/dropout.ts
var Dropout = class extends Module {
  constructor(p = 0.5, opts = {}) {
    super();
    this.p = p;
    if (!(p >= 0 && p <= 1)) throw new Error(`Dropout: p must be in [0, 1], got ${p}`);
    this.generator = opts.generator ?? defaultGenerator;
  }
  p;
  generator;
  forward(x) {
    if (!this.training || this.p === 0) return x;
    if (this.p === 1) return x.mul(0);
    const u = rand(x.shape, { dtype: x.dtype, backend: x.backend, generator: this.generator });
    const keep = u.ge(this.p);
    return x.mul(keep).mul(1 / (1 - this.p));
  }
};

// src/nn/activations.ts
function activation(name2, x) {
  switch (name2) {
    case "relu":
      return x.relu();
    case "gelu":
      return x.gelu();
    case "silu":
      return x.silu();
    case "tanh":
      return x.tanh();
    default:
      throw new Error(`unknown activation '${String(name2)}' (expected relu, gelu, silu or tanh)`);
  }
}

// src/nn/functional-call.ts
init_shape();

// src/nn/attention-core.ts
init_shape();
var masks = /* @__PURE__ */ new Map();
function causalMask(s, like2, sk = s) {
  if (sk < s) throw new Error(`causalMask: ${sk} keys cannot serve ${s} queries (need at least as many keys)`);
  const key = `${like2.backend.name}:${like2.dtype}:${s}:${sk}`;
  let m = masks.get(key);
  if (!m) {
    const data = like2.dtype === "float64" ? new Float64Array(s * sk) : new Float32Array(s * sk);
    const past = sk - s;
    for (let i = 0; i < s; i++) for (let j = past + i + 1; j < sk; j++) data[i * sk + j] = -Infinity;
    m = fromData(data, [s, sk], { backend: like2.backend });
    masks.set(key, m);
  }
  return m;
}
function repeatKv(x, groups) {
  if (groups === 1) return x;
  const [b, h, s, d] = x.shape;
  return x.reshape([b, h, 1, s, d]).expand([b, h, groups, s, d]).reshape([b, h * groups, s, d]);
}
function causalAttention(q, k, v) {
  if (q.rank !== 4 || k.rank !== 4 || v.rank !== 4) {
    throw new Error(`causalAttention: expected [B, H, S, D] tensors, got q ${fmt(q.shape)}, k ${fmt(k.shape)}, v ${fmt(v.shape)}`);
  }
  const [b, hq, s, d] = q.shape;
  const [, hkv, sk] = k.shape;
  if (hq % hkv !== 0 || k.shape[0] !== b || sk < s || k.shape[3] !== d || v.shape.some((x, i) => x !== k.shape[i])) {
    throw new Error(`causalAttention: q ${fmt(q.shape)} needs k and v of shape [${b}, Hkv, Sk \u2265 ${s}, ${d}] with Hkv dividing ${hq}; got k ${fmt(k.shape)}, v ${fmt(v.shape)}`);
  }
  const kr = repeatKv(k, hq / hkv);
  const vr = repeatKv(v, hq / hkv);
  const scores = q.matmul(kr.transpose(-2, -1)).mul(1 / Math.sqrt(d)).add(causalMask(s, q, sk));
  return scores.softmax(-1).matmul(vr);
}

// src/nn/rotary.ts
init_shape();
var cache = /* @__PURE__ */ new WeakMap();
var MAX_TABLES = 64;
function buildTables(s, d, offset, base2, dtype, backend) {
  const half = d / 2;
  const make2 = dtype === "float64" ? (n2) => new Float64Array(n2) : (n2) => new Float32Array(n2);
  const cos = make2(s * half);
  const sin = make2(s * half);
  for (let t = 0; t < s; t++) {
    for (let i = 0; i < half; i++) {
      const angle = (offset + t) * Math.pow(base2, -2 * i / d);
      cos[t * half + i] = Math.cos(angle);
      sin[t * half + i] = Math.sin(angle);
    }
  }
  return { cos: fromData(cos, [s, half], { backend }), sin: fromData(sin, [s, half], { backend }) };
}
function rotaryTables(s, d, offset, dtype, backend, base2 = 1e4) {
  let perBackend = cache.get(backend);
  if (!perBackend) cache.set(backend, perBackend = /* @__PURE__ */ new Map());
  const key = `${dtype}:${s}:${d}:${offset}:${base2}`;
  let t = perBackend.get(key);
  if (t) {
    perBackend.delete(key);
  } else {
    t = buildTables(s, d, offset, base2, dtype, backend);
    if (perBackend.size >= MAX_TABLES) perBackend.delete(perBackend.keys().next().value);
  }
  perBackend.set(key, t);
  return t;
}
function applyRotary(x, offset = 0, opts = {}) {
  if (x.rank !== 4) throw new Error(`applyRotary: expected [B, H, S, D], got ${fmt(x.shape)}`);
  const [, , s, d] = x.shape;
  if (d % 2 !== 0) throw new Error(`applyRotary: head dimension must be even, got ${d} in ${fmt(x.shape)}`);
  if (!Number.isInteger(offset) || offset < 0) throw new Error(`applyRotary: offset must be a non-negative integer, got ${offset}`);
  const base2 = opts.base ?? 1e4;
  if (!(base2 > 1)) throw new Error(`applyRotary: base must be greater than 1, got ${base2}`);
  const { cos, sin } = rotaryTables(s, d, offset, x.dtype, x.backend, base2);
  const x1 = x.slice(-1, 0, d / 2);
  const x2 = x.slice(-1, d / 2);
  return cat([x1.mul(cos).sub(x2.mul(sin)), x2.mul(cos).add(x1.mul(sin))], -1);
}

// src/nn/multi-head-attention.ts
init_shape();
function checkConfig(o) {
  const positiveInt3 = (name2, v) => {
    if (!Number.isInteger(v) || v < 1) throw new Error(`MultiHeadAttention: ${name2} must be a positive integer, got ${v}`);
  };
  positiveInt3("dModel", o.dModel);
  positiveInt3("nHeads", o.nHeads);
  const nKvHeads = o.nKvHeads ?? o.nHeads;
  positiveInt3("nKvHeads", nKvHeads);
  if (o.nHeads % nKvHeads !== 0) throw new Error(`MultiHeadAttention: nKvHeads ${nKvHeads} must divide nHeads ${o.nHeads}`);
  if (o.headDim === void 0 && o.dModel % o.nHeads !== 0) {
    throw new Error(`MultiHeadAttention: dModel ${o.dModel} is not divisible by nHeads ${o.nHeads}; give headDim explicitly`);
  }
  const headDim = o.headDim ?? o.dModel / o.nHeads;
  positiveInt3("headDim", headDim);
  const positional = o.positional ?? "rotary";
  if (positional !== "rotary" && positional !== "none") throw new Error(`MultiHeadAttention: positional must be 'rotary' or 'none', got '${String(positional)}'`);
  if (positional === "rotary" && headDim % 2 !== 0) throw new Error(`MultiHeadAttention: rotary needs an even headDim, got ${headDim}`);
  return { nKvHeads, headDim };
}
var MultiHeadAttention = class extends Module {
  dModel;
  nHeads;
  nKvHeads;
  headDim;
  positional;
  ropeBase;
  wq;
  wk;
  wv;
  wo;
  constructor(opts) {
    super();
    const { nKvHeads, headDim } = checkConfig(opts);
    this.dModel = opts.dModel;
    this.nHeads = opts.nHeads;
    this.nKvHeads = nKvHeads;
    this.headDim = headDim;
    this.positional = opts.positional ?? "rotary";
    this.ropeBase = opts.ropeBase ?? 1e4;
    const lin = { bias: opts.bias ?? false, dtype: opts.dtype };
    this.wq = new Linear(this.dModel, this.nHeads * headDim, lin);
    this.wk = new Linear(this.dModel, nKvHeads * headDim, lin);
    this.wv = new Linear(this.dModel, nKvHeads * headDim, lin);
    this.wo = new Linear(this.nHeads * headDim, this.dModel, lin);
  }
  /** [B, S, h·D] → [B, h, S, D]. */
  split(t, heads) {
    const [b, s] = t.shape;
    return t.reshape([b, s, heads, this.headDim]).transpose(1, 2);
  }
  rotate(t, offset) {
    return this.positional === "rotary" ? applyRotary(t, offset, { base: this.ropeBase }) : t;
  }
  /**
   * x [B, S, dModel] → [B, S, dModel]. With a cache, x holds only the new
   * tokens: their keys and values are appended and they attend to all.
   */
  forward(x, cache2) {
    if (x.rank !== 3 || x.shape[2] !== this.dModel) {
      throw new Error(`MultiHeadAttention(dModel=${this.dModel}): expected input [B, S, ${this.dModel}], got ${fmt(x.shape)}`);
    }
    const [b, s] = x.shape;
    const offset = cache2?.length ?? 0;
    const q = this.rotate(this.split(this.wq.forward(x), this.nHeads), offset);
    let k = this.rotate(this.split(this.wk.forward(x), this.nKvHeads), offset);
    let v = this.split(this.wv.forward(x), this.nKvHeads);
    if (cache2) ({ k, v } = cache2.append(k, v));
    const heads = causalAttention(q, k, v);
    return this.wo.forward(heads.transpose(1, 2).reshape([b, s, this.nHeads * this.headDim]));
  }
};

// src/nn/optim/optimizer.ts
init_shape();
function checkHyper(name2, value, lo, hi = Infinity, hiOpen = false) {
  const okHi = hiOpen ? value < hi : value <= hi;
  if (!(value >= lo && okHi) || Number.isNaN(value)) {
    throw new Error(`${name2} must be in [${lo}, ${hi}${hiOpen ? ")" : "]"}, got ${value}`);
  }
}
var Optimizer = class {
  /** The learning rate of the next step(); a schedule sets it before each step. */
  lr;
  entries;
  /** The optimizer's name, for messages ('AdamW'); given explicitly, since bundlers may rename classes. */
  name;
  constructor(name2, params, lr, defaultWeightDecay) {
    this.name = name2;
    checkHyper(`${name2}: lr`, lr, 0);
    this.lr = lr;
    const groups = params.length > 0 && params[0] instanceof Tensor ? [{ params }] : [...params];
    this.entries = [];
    const seen = /* @__PURE__ */ new Set();
    for (const g of groups) {
      const wd = g.weightDecay ?? defaultWeightDecay;
      checkHyper(`${this.name}: weightDecay`, wd, 0);
      for (const p of g.params) {
        if (!(p instanceof Tensor)) throw new Error(`${this.name}: parameters must be Tensors (got ${String(p)})`);
        if (!p.requiresGrad) throw new Error(`${this.name}: parameter ${fmt(p.shape)} does not require grad`);
        if (seen.has(p)) throw new Error(`${this.name}: parameter ${fmt(p.shape)} appears twice`);
        seen.add(p);
        this.entries.push({ param: p, weightDecay: wd, step: 0, slots: /* @__PURE__ */ new Map() });
      }
    }
    if (this.entries.length === 0) throw new Error(`${this.name}: got an empty parameter list`);
  }
  /** The parameters, groups flattened, in the order stateDict indexes them. */
  get params() {
    return this.entries.map((e) => e.param);
  }
  /** The largest per-parameter update count: how many steps have run. */
  get stepCount() {
    return this.entries.reduce((m, e) => Math.max(m, e.step), 0);
  }
  zeroGrad() {
    for (const e of this.entries) e.param.grad = null;
  }
  /** Records one update of every parameter that has a gradient (lazily: await to run it). */
  step() {
    checkHyper(`${this.name}: lr`, this.lr, 0);
    noGrad(() => {
      for (const e of this.entries) {
        const g = e.param.grad;
        if (!g) continue;
        e.step++;
        const next = this.update(e.param.detach(), g.detach(), { step: e.step, lr: this.lr, weightDecay: e.weightDecay, slots: e.slots });
        e.param.assign(next.detach());
      }
    });
  }
  stateDict() {
    const slots = {};
    this.entries.forEach((e, i) => e.slots.forEach((t, name2) => slots[`${i}.${name2}`] = t));
    return { lr: this.lr, steps: this.entries.map((e) => e.step), slots };
  }
  /** Restores a saved state; errors name the slot and both shapes. */
  loadStateDict(state) {
    const name2 = this.name;
    if (state.steps.length !== this.entries.length) {
      throw new Error(`${name2}.loadStateDict: state has ${state.steps.length} parameters, the optimizer has ${this.entries.length}`);
    }
    const restored = this.entries.map(() => /* @__PURE__ */ new Map());
    for (const [key, t] of Object.entries(state.slots)) {
      const m = /^(\d+)\.(\w+)$/.exec(key);
      const e = m ? this.entries[Number(m[1])] : void 0;
      if (!m || !e) throw new Error(`${name2}.loadStateDict: unexpected slot '${key}'`);
      const p = e.param;
      if (t.shape.length !== p.shape.length || t.shape.some((d, i) => d !== p.shape[i])) {
        throw new Error(`${name2}.loadStateDict: '${key}' has shape ${fmt(t.shape)} in the state but its parameter has shape ${fmt(p.shape)}`);
      }
      restored[Number(m[1])].set(m[2], noGrad(() => t.to(p.backend).cast(p.dtype).detach()));
    }
    checkHyper(`${name2}.loadStateDict: lr`, state.lr, 0);
    this.lr = state.lr;
    this.entries.forEach((e, i) => {
      e.step = state.steps[i];
      e.slots = restored[i];
    });
  }
};

// src/nn/optim/adamw.ts
function lerp(a, b, w) {
  const d = b.sub(a);
  return w < 0.5 ? a.add(d.mul(w)) : b.sub(d.mul(1 - w));
}
var AdamW = class extends Optimizer {
  betas;
  eps;
  constructor(params, opts = {}) {
    super("AdamW", params, opts.lr ?? 1e-3, opts.weightDecay ?? 0.01);
    this.betas = opts.betas ?? [0.9, 0.999];
    this.eps = opts.eps ?? 1e-8;
    checkHyper("AdamW: betas[0]", this.betas[0], 0, 1, true);
    checkHyper("AdamW: betas[1]", this.betas[1], 0, 1, true);
    checkHyper("AdamW: eps", this.eps, 0);
  }
  update(p, g, { step: step3, lr, weightDecay, slots }) {
    const [b1, b2] = this.betas;
    const decayed = weightDecay !== 0 ? p.mul(1 - lr * weightDecay) : p;
    const m = lerp(slots.get("expAvg") ?? zerosLike(p), g, 1 - b1);
    const v = (slots.get("expAvgSq") ?? zerosLike(p)).mul(b2).add(g.mul(g).mul(1 - b2));
    slots.set("expAvg", m);
    slots.set("expAvgSq", v);
    const stepSize = lr / (1 - Math.pow(b1, step3));
    const denom = v.sqrt().div(Math.sqrt(1 - Math.pow(b2, step3))).add(this.eps);
    return decayed.sub(m.div(denom).mul(stepSize));
  }
};

// src/nn/optim/clip-grad-norm.ts
function clipGradNorm(params, maxNorm) {
  if (!(maxNorm > 0) || !Number.isFinite(maxNorm)) throw new Error(`clipGradNorm: maxNorm must be a positive finite number, got ${maxNorm}`);
  const withGrad = params.filter((p) => p.grad !== null);
  return noGrad(() => {
    if (withGrad.length === 0) return zeros([]);
    const sq = withGrad.map((p) => p.grad.square().sum()).reduce((a, b) => a.add(b));
    const norm = sq.sqrt();
    const scale = norm.add(1e-6).reciprocal().mul(maxNorm).minimum(1);
    for (const p of withGrad) p.grad = p.grad.mul(scale);
    return norm;
  });
}

// src/moe/moe-ffn.ts
init_shape();

// src/moe/balance-loss.ts
init_shape();

// src/moe/mi-loss.ts
init_shape();
var MI_EPS = 1e-8;
function asTokens(scores, what) {
  if (scores.rank < 1) throw new Error(`${what}: scores must have an expert axis, got ${fmt(scores.shape)}`);
  const n2 = scores.shape[scores.rank - 1];
  return scores.reshape([scores.size / Math.max(n2, 1), n2]);
}
function conditionalEntropy(scores, logits) {
  const s = asTokens(scores, "conditionalEntropy");
  const logS = logits ? asTokens(logits, "conditionalEntropy").logSoftmax(-1) : s.add(MI_EPS).log();
  return s.mul(logS).sum(-1).mean().neg();
}
function marginalEntropy(scores) {
  const p = asTokens(scores, "marginalEntropy").mean(0);
  return p.mul(p.add(MI_EPS).log()).sum().neg();
}
function miLoss(scores, opts = {}) {
  const { logits } = opts;
  if (logits && (logits.rank !== scores.rank || logits.shape.some((d, i) => d !== scores.shape[i]))) {
    throw new Error(`miLoss: logits ${fmt(logits.shape)} and scores ${fmt(scores.shape)} must have the same shape`);
  }
  if (scores.size === 0) throw new Error(`miLoss: no tokens in scores ${fmt(scores.shape)}`);
  return conditionalEntropy(scores, logits).sub(marginalEntropy(scores));
}

// src/moe/balance-loss.ts
function assignmentMask(assignments, tokens, nExperts) {
  if (assignments.dtype === "int32") {
    const k = assignments.shape[assignments.rank - 1] ?? 0;
    if (assignments.size !== tokens * k) {
      throw new Error(`switchLoss: expert indices ${fmt(assignments.shape)} do not give k experts for each of ${tokens} tokens`);
    }
    return oneHot(assignments.reshape([tokens, k]), nExperts).sum(1);
  }
  if (assignments.size !== tokens * nExperts) {
    throw new Error(`switchLoss: assignment mask ${fmt(assignments.shape)} should have ${tokens}\xD7${nExperts} entries`);
  }
  return assignments.reshape([tokens, nExperts]);
}
function switchLoss(scores, assignments) {
  const s = asTokens(scores, "switchLoss");
  const [tokens, n2] = s.shape;
  const mask = assignmentMask(assignments, tokens, n2).detach().cast(s.dtype);
  const f = mask.sum(0).div(mask.sum().maximum(1));
  const p = s.mean(0);
  return f.mul(p).sum().mul(n2);
}
function routerZLoss(logits) {
  const z = asTokens(logits, "routerZLoss").logsumexp(-1);
  return z.square().mean();
}

// src/moe/dispatch.ts
init_shape();
function sortByExpert(routing, nExperts) {
  const counts = new Int32Array(nExperts);
  routing.experts.forEach((es) => es.forEach((e) => {
    if (!(Number.isInteger(e) && e >= 0 && e < nExperts)) throw new Error(`dispatch: expert index ${e} is out of range for ${nExperts} experts`);
    counts[e]++;
  }));
  const offsets = new Int32Array(nExperts + 1);
  for (let e = 0; e < nExperts; e++) offsets[e + 1] = offsets[e] + counts[e];
  const total2 = offsets[nExperts];
  const token = new Int32Array(total2);
  const gate = new Float64Array(total2);
  const next = offsets.slice(0, nExperts);
  routing.experts.forEach((es, t) => es.forEach((e, j) => {
    const at = next[e]++;
    token[at] = t;
    gate[at] = routing.gates[t][j];
  }));
  return { nExperts, counts, offsets, token, gate };
}
function gateColumn(x, pairs, scores) {
  const total2 = pairs.token.length;
  const opts = { backend: x.backend };
  if (!scores) {
    const data = x.dtype === "float64" ? Float64Array.from(pairs.gate) : Float32Array.from(pairs.gate);
    return fromData(data, [total2, 1], opts);
  }
  const [tokens, n2] = [x.shape[0], pairs.nExperts];
  if (scores.rank !== 2 || scores.shape[0] !== tokens || scores.shape[1] !== n2) {
    throw new Error(`dispatch: scores ${fmt(scores.shape)} should be [${tokens}, ${n2}] for tokens ${fmt(x.shape)}`);
  }
  const flat = new Int32Array(total2);
  for (let e = 0; e < n2; e++) for (let i = pairs.offsets[e]; i < pairs.offsets[e + 1]; i++) flat[i] = pairs.token[i] * n2 + e;
  return gatherRows(scores.reshape([tokens * n2, 1]), fromData(flat, [total2], opts));
}
function dispatch(x, pairs, outCols, expert, opts = {}) {
  if (x.rank !== 2) throw new Error(`dispatch: expected tokens [T, C], got ${fmt(x.shape)}`);
  const tokens = x.shape[0];
  const on = { backend: x.backend };
  let y = null;
  const total2 = pairs.offsets[pairs.nExperts];
  if (total2 > 0) {
    const xs = gatherRows(x, fromData(pairs.token, [total2], on));
    const gates = gateColumn(x, pairs, opts.scores);
    for (let e = 0; e < pairs.nExperts; e++) {
      const [start, end] = [pairs.offsets[e], pairs.offsets[e + 1]];
      if (start === end) continue;
      const tok = pairs.token.subarray(start, end);
      const out = expert({ expert: e, rows: xs.slice(0, start, end), tokens: tok });
      const gated = out.mul(gates.slice(0, start, end));
      const placed = scatterAddRows(gated, fromData(Int32Array.from(tok), [end - start], on), tokens);
      y = y ? y.add(placed) : placed;
    }
  }
  return y ?? zeros([tokens, outCols], { ...on, dtype: x.dtype });
}

// src/moe/router.ts
var Router = class extends Module {
  constructor(opts) {
    super();
    this.opts = opts;
    const { dModel, nExperts } = opts;
    this.kind = opts.kind ?? "linear";
    if (this.kind !== "linear" && this.kind !== "mlp") throw new Error(`Router: kind must be 'linear' or 'mlp', got '${String(this.kind)}'`);
    if (!Number.isInteger(nExperts) || nExperts < 1) throw new Error(`Router: nExperts must be a positive integer, got ${nExperts}`);
    const dtype = opts.dtype;
    if (this.kind === "linear") {
      this.proj = new Linear(dModel, nExperts, { bias: false, dtype });
      this.out = null;
    } else {
      const hidden = opts.hidden ?? dModel;
      this.proj = new Linear(dModel, hidden, { dtype });
      this.out = new Linear(hidden, nExperts, { bias: false, dtype });
    }
  }
  opts;
  kind;
  proj;
  out;
  /** Logits h(x): [..., dModel] → [..., nExperts]. */
  forward(x) {
    const h = this.proj.forward(x);
    return this.out ? this.out.forward(h.gelu()) : h;
  }
  /** Multiply-adds per token. */
  macsPerToken() {
    const { dModel, nExperts } = this.opts;
    if (!this.out) return dModel * nExperts;
    const hidden = this.proj.outFeatures;
    return dModel * hidden + hidden * nExperts;
  }
};

// src/moe/routing.ts
function checkMode(mode, nExperts) {
  switch (mode.mode) {
    case "dense":
      return;
    case "topK":
      if (!Number.isInteger(mode.k) || mode.k < 1 || mode.k > nExperts) {
        throw new Error(`topK: k=${mode.k} must be an integer in [1, ${nExperts}] (the number of experts)`);
      }
      return;
    case "threshold":
    case "thresholdTopK":
      if (typeof mode.eps !== "number" || !Number.isFinite(mode.eps) || mode.eps < 0) {
        throw new Error(`${mode.mode}: eps=${mode.eps} must be a finite number \u2265 0`);
      }
      return;
    default:
      throw new Error(`infer: unknown mode ${JSON.stringify(mode)} (expected dense, topK, threshold or thresholdTopK)`);
  }
}
function rankExperts(s, offset, n2) {
  const order = Array.from({ length: n2 }, (_, e) => e);
  return order.sort((a, b) => s[offset + b] - s[offset + a] || a - b);
}
function thresholdSet(ranked, s, offset, eps) {
  const n2 = ranked.length;
  const kept = ranked.filter((e) => n2 * s[offset + e] > eps);
  return kept.length > 0 ? kept : [ranked[0]];
}
function thresholdTopKCount(counts, nExperts) {
  if (counts.length === 0) return 1;
  const mean2 = counts.reduce((a, b) => a + b, 0) / counts.length;
  return Math.min(nExperts, Math.max(1, Math.round(mean2)));
}
function route(scores, tokens, nExperts, mode) {
  checkMode(mode, nExperts);
  for (let i = 0; i < tokens * nExperts; i++) {
    if (!Number.isFinite(scores[i])) {
      throw new Error(`route: router score ${scores[i]} for token ${Math.floor(i / nExperts)}, expert ${i % nExperts} is not finite`);
    }
  }
  const ranked = Array.from({ length: tokens }, (_, t) => rankExperts(scores, t * nExperts, nExperts));
  let chosen;
  let k = null;
  switch (mode.mode) {
    case "dense":
      chosen = ranked;
      break;
    case "topK":
      k = mode.k;
      chosen = ranked.map((r) => r.slice(0, mode.k));
      break;
    case "threshold":
      chosen = ranked.map((r, t) => thresholdSet(r, scores, t * nExperts, mode.eps));
      break;
    case "thresholdTopK": {
      const counts = ranked.map((r, t) => thresholdSet(r, scores, t * nExperts, mode.eps).length);
      const kk = thresholdTopKCount(counts, nExperts);
      k = kk;
      chosen = ranked.map((r) => r.slice(0, kk));
      break;
    }
  }
  const gates = chosen.map((es, t) => es.map((e) => scores[t * nExperts + e]));
  return { experts: chosen, gates, k };
}

// src/moe/stats.ts
function routingStats(routing, cost) {
  const tokens = routing.experts.length;
  const load = new Array(cost.nExperts).fill(0);
  for (const es of routing.experts) for (const e of es) load[e]++;
  const pairs = load.reduce((a, b) => a + b, 0);
  const { macsPerPair } = cost;
  const pairMacs = typeof macsPerPair === "number" ? pairs * macsPerPair : routing.experts.reduce((sum2, es, t) => sum2 + es.length * macsPerPair(t), 0);
  const activeExperts = tokens === 0 ? 0 : pairs / tokens;
  const totalParams = cost.sharedParams + cost.nExperts * cost.paramsPerExpert;
  const activeParams = cost.sharedParams + activeExperts * cost.paramsPerExpert;
  return {
    activeExperts,
    load,
    pairs,
    activeParams,
    activeFraction: totalParams === 0 ? 0 : activeParams / totalParams,
    totalParams,
    flops: 2 * (cost.sharedMacs + pairMacs),
    k: routing.k
  };
}

// src/moe/moe-ffn.ts
function positiveInt(what, v) {
  if (!Number.isInteger(v) || v < 1) throw new Error(`MoEFeedForward: ${what} must be a positive integer, got ${v}`);
}
var MoEFeedForward = class extends Module {
  dModel;
  nExperts;
  expertHidden;
  activation;
  trainingRouting;
  router;
  /** [dModel, N·h]: expert e owns columns e·h … (e+1)·h − 1. */
  w1;
  /** [N·h] or null. */
  b1;
  /** [N·h, dModel]: expert e owns rows e·h … (e+1)·h − 1. */
  w2;
  /** [dModel] or null: shared, ungated. */
  b2;
  constructor(opts) {
    super();
    const { dModel, nExperts, expertHidden } = opts;
    positiveInt("dModel", dModel);
    positiveInt("nExperts", nExperts);
    positiveInt("expertHidden", expertHidden);
    const act = opts.activation ?? "gelu";
    if (!["gelu", "relu", "silu", "tanh"].includes(act)) throw new Error(`MoEFeedForward: activation must be gelu, relu, silu or tanh, got '${act}'`);
    const training = opts.training ?? { mode: "dense" };
    if (training.mode === "topK" && (!Number.isInteger(training.k) || training.k < 1 || training.k > nExperts)) {
      throw new Error(`MoEFeedForward: training topK k=${training.k} must be an integer in [1, ${nExperts}]`);
    } else if (training.mode !== "dense" && training.mode !== "topK") {
      throw new Error(`MoEFeedForward: training mode must be 'dense' or 'topK', got '${String(training.mode)}'`);
    }
    this.dModel = dModel;
    this.nExperts = nExperts;
    this.expertHidden = expertHidden;
    this.activation = act;
    this.trainingRouting = training;
    const dtype = opts.dtype;
    this.router = new Router({ dModel, nExperts, kind: opts.router ?? "linear", hidden: opts.routerHidden, dtype });
    const width = nExperts * expertHidden;
    const bias = opts.bias ?? true;
    this.w1 = kaimingUniform([dModel, width], dModel, { dtype });
    this.b1 = bias ? kaimingUniform([width], dModel, { dtype }) : null;
    this.w2 = kaimingUniform([width, dModel], expertHidden, { dtype });
    this.b2 = bias ? zerosParam([dModel], { dtype }) : null;
  }
  /** [..., dModel] → [T, dModel], checking the feature axis. */
  tokens(x) {
    if (x.rank < 2 || x.rank > 3 || x.shape[x.rank - 1] !== this.dModel) {
      throw new Error(`MoEFeedForward: expected input [T, ${this.dModel}] or [B, S, ${this.dModel}], got ${fmt(x.shape)}`);
    }
    return x.reshape([x.size / this.dModel, this.dModel]);
  }
  withExperts(x, t) {
    return t.reshape([...x.shape.slice(0, -1), t.shape[1]]);
  }
  /** Training forward: dense (or top-k masked for the SMoE baseline). */
  forward(x) {
    const x2 = this.tokens(x);
    const logits = this.router.forward(x2);
    const scores = logits.softmax(-1);
    const [t, n2, h] = [x2.shape[0], this.nExperts, this.expertHidden];
    let gates = scores;
    const aux = { mi: miLoss(scores, { logits }), z: routerZLoss(logits) };
    if (this.trainingRouting.mode === "topK") {
      const { indices } = scores.topk(this.trainingRouting.k);
      const mask = oneHot(indices, n2).sum(1).cast(scores.dtype);
      gates = scores.mul(mask);
      aux.switch = switchLoss(scores, indices);
    }
    let hidden = x2.matmul(this.w1);
    if (this.b1) hidden = hidden.add(this.b1);
    hidden = activation(this.activation, hidden);
    const gated = hidden.reshape([t, n2, h]).mul(gates.reshape([t, n2, 1])).reshape([t, n2 * h]);
    let y = gated.matmul(this.w2);
    if (this.b2) y = y.add(this.b2);
    return { y: y.reshape(x.shape), scores: this.withExperts(x, scores), logits: this.withExperts(x, logits), aux };
  }
  /** Expert e alone on rows [M, d]: act(x·W1_e + b1_e)·W2_e, using only its weight blocks. */
  expert(e, rows2) {
    const h = this.expertHidden;
    const [lo, hi] = [e * h, (e + 1) * h];
    let hidden = rows2.matmul(this.w1.slice(1, lo, hi));
    if (this.b1) hidden = hidden.add(this.b1.slice(0, lo, hi));
    return activation(this.activation, hidden).matmul(this.w2.slice(0, lo, hi));
  }
  /**
   * Sparse training for the SMoE baseline, computed sparsely: top-k decided
   * on the host from the realized scores, then the dispatcher with the gates
   * read from the scores tensor, so only the chosen experts run and get
   * gradients, and the router gets them through the chosen gates. Same value
   * and gradients as forward() under `training: { mode: 'topK', k }`, at the
   * cost of k experts per token instead of N. k defaults to the training k.
   */
  async forwardSparse(x, k) {
    const kk = k ?? (this.trainingRouting.mode === "topK" ? this.trainingRouting.k : void 0);
    if (kk === void 0) throw new Error("MoEFeedForward.forwardSparse: give k, or build the layer with training: { mode: 'topK', k }");
    const x2 = this.tokens(x);
    const logits = this.router.forward(x2);
    const scores = logits.softmax(-1);
    const tokens = x2.shape[0];
    const routing = route(await scores.data(), tokens, this.nExperts, { mode: "topK", k: kk });
    const chosen = fromData(Int32Array.from(routing.experts.flat()), [tokens, kk], { backend: x2.backend });
    const out = dispatch(x2, sortByExpert(routing, this.nExperts), this.dModel, (b) => this.expert(b.expert, b.rows), { scores });
    const y = this.b2 ? out.add(this.b2) : out;
    const aux = { mi: miLoss(scores, { logits }), z: routerZLoss(logits), switch: switchLoss(scores, chosen) };
    return { y: y.reshape(x.shape), scores: this.withExperts(x, scores), logits: this.withExperts(x, logits), aux };
  }
  /** Sparse inference: route on the host, then one dispatcher for every mode. */
  async infer(x, mode) {
    const x2 = this.tokens(x);
    const scores = noGrad(() => this.router.forward(x2).softmax(-1));
    const routing = route(await scores.data(), x2.shape[0], this.nExperts, mode);
    const pairs = sortByExpert(routing, this.nExperts);
    const y = noGrad(() => {
      const out = dispatch(x2, pairs, this.dModel, (b) => this.expert(b.expert, b.rows));
      return (this.b2 ? out.add(this.b2) : out).reshape(x.shape);
    });
    const stats2 = routingStats(routing, this.costModel(x2.shape[0]));
    return { y, scores: this.withExperts(x, scores), routing: { experts: routing.experts, gates: routing.gates }, stats: stats2 };
  }
  /** Parameters and multiply-adds: router and b2 always on, each expert d·h + h + h·d. */
  costModel(tokens) {
    const [d, h] = [this.dModel, this.expertHidden];
    return {
      nExperts: this.nExperts,
      sharedParams: this.router.numParameters() + (this.b2 ? d : 0),
      paramsPerExpert: 2 * d * h + (this.b1 ? h : 0),
      sharedMacs: tokens * this.router.macsPerToken(),
      macsPerPair: 2 * d * h
    };
  }
};

// src/moe/oracle.ts
var SQRT_2_OVER_PI3 = Math.sqrt(2 / Math.PI);

// src/moe/moe-attention.ts
init_shape();
function positiveInt2(what, v) {
  if (!Number.isInteger(v) || v < 1) throw new Error(`MoEAttention: ${what} must be a positive integer, got ${v}`);
}
var MoEAttention = class extends Module {
  dModel;
  nExperts;
  headsPerExpert;
  headDim;
  nKvHeads;
  positional;
  ropeBase;
  router;
  /** [dModel, N·hpe·D]: expert e owns columns e·hpe·D … (e+1)·hpe·D − 1. */
  wq;
  /** [dModel, Hkv·D], shared. */
  wk;
  /** [dModel, Hkv·D], shared. */
  wv;
  /** [N·hpe·D, dModel]: expert e owns rows e·hpe·D … (e+1)·hpe·D − 1. */
  wo;
  constructor(opts) {
    super();
    const { dModel, nExperts, headsPerExpert } = opts;
    positiveInt2("dModel", dModel);
    positiveInt2("nExperts", nExperts);
    positiveInt2("headsPerExpert", headsPerExpert);
    const heads = nExperts * headsPerExpert;
    if (opts.headDim === void 0 && dModel % heads !== 0) {
      throw new Error(`MoEAttention: dModel ${dModel} is not divisible by nExperts\xB7headsPerExpert = ${heads}; give headDim explicitly`);
    }
    const headDim = opts.headDim ?? dModel / heads;
    positiveInt2("headDim", headDim);
    const nKvHeads = opts.nKvHeads ?? headsPerExpert;
    positiveInt2("nKvHeads", nKvHeads);
    if (heads % nKvHeads !== 0) throw new Error(`MoEAttention: nKvHeads ${nKvHeads} must divide nExperts\xB7headsPerExpert = ${heads}`);
    const positional = opts.positional ?? "rotary";
    if (positional !== "rotary" && positional !== "none") throw new Error(`MoEAttention: positional must be 'rotary' or 'none', got '${String(positional)}'`);
    if (positional === "rotary" && headDim % 2 !== 0) throw new Error(`MoEAttention: rotary needs an even headDim, got ${headDim}`);
    this.dModel = dModel;
    this.nExperts = nExperts;
    this.headsPerExpert = headsPerExpert;
    this.headDim = headDim;
    this.nKvHeads = nKvHeads;
    this.positional = positional;
    this.ropeBase = opts.ropeBase ?? 1e4;
    const dtype = opts.dtype;
    this.router = new Router({ dModel, nExperts, kind: opts.router ?? "linear", hidden: opts.routerHidden, dtype });
    this.wq = kaimingUniform([dModel, heads * headDim], dModel, { dtype });
    this.wk = kaimingUniform([dModel, nKvHeads * headDim], dModel, { dtype });
    this.wv = kaimingUniform([dModel, nKvHeads * headDim], dModel, { dtype });
    this.wo = kaimingUniform([heads * headDim, dModel], headsPerExpert * headDim, { dtype });
  }
  /** [B, S, d] as it is, [S, d] as one sequence. */
  sequences(x) {
    if (x.rank < 2 || x.rank > 3 || x.shape[x.rank - 1] !== this.dModel) {
      throw new Error(`MoEAttention: expected input [B, S, ${this.dModel}] or [S, ${this.dModel}], got ${fmt(x.shape)}`);
    }
    return x.rank === 3 ? x : x.reshape([1, ...x.shape]);
  }
  /** The K/V head read by expert e's local head j (see the head layout above). */
  kvHeadOf(e, j) {
    const heads = this.nExperts * this.headsPerExpert;
    return Math.floor((j * this.nExperts + e) * this.nKvHeads / heads);
  }
  /** [B, S, h·D] → [B, h, S, D]. */
  split(t, heads) {
    const [b, s] = t.shape;
    return t.reshape([b, s, heads, this.headDim]).transpose(1, 2);
  }
  /** Shared keys and values of the new tokens (rotated), appended to the cache if any. */
  keysValues(x3, offset, cache2) {
    let k = this.split(x3.matmul(this.wk), this.nKvHeads);
    if (this.positional === "rotary") k = applyRotary(k, offset, { base: this.ropeBase });
    const v = this.split(x3.matmul(this.wv), this.nKvHeads);
    return cache2 ? cache2.append(k, v) : { k, v };
  }
  /** Training forward: all experts' heads, gated by the router's scores. */
  forward(x, cache2) {
    const x3 = this.sequences(x);
    const [b, s] = x3.shape;
    const [n2, hpe, dh] = [this.nExperts, this.headsPerExpert, this.headDim];
    const logits = this.router.forward(x3);
    const scores = logits.softmax(-1);
    const offset = cache2?.length ?? 0;
    const { k, v } = this.keysValues(x3, offset, cache2);
    let q = x3.matmul(this.wq).reshape([b, s, n2, hpe, dh]).permute([0, 3, 2, 1, 4]).reshape([b, hpe * n2, s, dh]);
    if (this.positional === "rotary") q = applyRotary(q, offset, { base: this.ropeBase });
    const heads = causalAttention(q, k, v).reshape([b, hpe, n2, s, dh]).permute([0, 3, 2, 1, 4]);
    const gated = heads.mul(scores.reshape([b, s, n2, 1, 1])).reshape([b, s, n2 * hpe * dh]);
    const y = gated.matmul(this.wo).reshape(x.shape);
    const lead = x.shape.slice(0, -1);
    return {
      y,
      scores: scores.reshape([...lead, n2]),
      logits: logits.reshape([...lead, n2]),
      aux: { mi: miLoss(scores, { logits }), z: routerZLoss(logits) }
    };
  }
  /** Rotates rows q [M, H, D] at the given absolute positions (rotary's tables, gathered per row). */
  rotateRows(q, positions) {
    const dh = this.headDim;
    const longest = positions.reduce((m, p) => Math.max(m, p), 0) + 1;
    const { cos, sin } = rotaryTables(longest, dh, 0, q.dtype, q.backend, this.ropeBase);
    const at = fromData(positions, [positions.length], { backend: q.backend });
    const c = gatherRows(cos, at).reshape([positions.length, 1, dh / 2]);
    const sn = gatherRows(sin, at).reshape([positions.length, 1, dh / 2]);
    const x1 = q.slice(-1, 0, dh / 2);
    const x2 = q.slice(-1, dh / 2);
    return cat([x1.mul(c).sub(x2.mul(sn)), x2.mul(c).add(x1.mul(sn))], -1);
  }
  /** −∞ where key j lies after the query's position: [m, Sk]. */
  rowMask(positions, keys, like2) {
    const data = like2.dtype === "float64" ? new Float64Array(positions.length * keys) : new Float32Array(positions.length * keys);
    positions.forEach((p, i) => data.fill(-Infinity, i * keys + p + 1, (i + 1) * keys));
    return fromData(data, [positions.length, keys], { backend: like2.backend });
  }
  /**
   * Expert e on its block of tokens: queries for its heads only, attention
   * over each token's own sequence (shared K/V), then its W_o block.
   */
  expert(block, kv, seqLen, offset) {
    const { expert: e, rows: rows2, tokens } = block;
    const [hpe, dh] = [this.headsPerExpert, this.headDim];
    const [lo, hi] = [e * hpe * dh, (e + 1) * hpe * dh];
    const positions = tokens.map((t) => offset + t % seqLen);
    let q = rows2.matmul(this.wq.slice(1, lo, hi)).reshape([tokens.length, hpe, dh]);
    if (this.positional === "rotary") q = this.rotateRows(q, positions);
    const parts = [];
    for (let start = 0; start < tokens.length; ) {
      const b = Math.floor(tokens[start] / seqLen);
      let end = start;
      while (end < tokens.length && Math.floor(tokens[end] / seqLen) === b) end++;
      const m = end - start;
      const qb = q.slice(0, start, end).permute([1, 0, 2]).reshape([1, hpe, m, dh]);
      const { k: kb, v: vb } = kv(b, e);
      const att = qb.matmul(kb.transpose(-2, -1)).mul(1 / Math.sqrt(dh)).add(this.rowMask(positions.subarray(start, end), kb.shape[2], q));
      parts.push(att.softmax(-1).matmul(vb).reshape([hpe, m, dh]).permute([1, 0, 2]).reshape([m, hpe * dh]));
      start = end;
    }
    return cat(parts, 0).matmul(this.wo.slice(0, lo, hi));
  }
  /**
   * Sequence b's K and V heads as expert e reads them, [1, hpe, Sk, D]:
   * a view when its K/V heads are consecutive (always when Hkv = hpe), an
   * indexSelect otherwise; memoised, since experts usually share them.
   */
  expertKeysValues(all) {
    const memo = /* @__PURE__ */ new Map();
    return (b, e) => {
      const heads = Array.from({ length: this.headsPerExpert }, (_, j) => this.kvHeadOf(e, j));
      const key = `${b}:${heads.join(",")}`;
      let hit = memo.get(key);
      if (!hit) {
        const consecutive = heads.every((h, j) => h === heads[0] + j);
        const pick = (t) => {
          const seq = t.slice(0, b, b + 1);
          if (consecutive) return seq.slice(1, heads[0], heads[0] + heads.length);
          return seq.indexSelect(1, fromData(Int32Array.from(heads), [heads.length], { backend: t.backend }));
        };
        hit = { k: pick(all.k), v: pick(all.v) };
        memo.set(key, hit);
      }
      return hit;
    };
  }
  /** Sparse inference in any of the four modes (routing.ts), through the shared dispatcher. */
  async infer(x, mode, opts = {}) {
    const x3 = this.sequences(x);
    const [b, s] = x3.shape;
    const x2 = x3.reshape([b * s, this.dModel]);
    const scores = noGrad(() => this.router.forward(x2).softmax(-1));
    const routing = route(await scores.data(), b * s, this.nExperts, mode);
    const pairs = sortByExpert(routing, this.nExperts);
    const offset = opts.cache?.length ?? 0;
    const y = noGrad(() => {
      const kv = this.expertKeysValues(this.keysValues(x3, offset, opts.cache));
      return dispatch(x2, pairs, this.dModel, (blk) => this.expert(blk, kv, s, offset)).reshape(x.shape);
    });
    const stats2 = routingStats(routing, this.costModel(b * s, s, offset));
    return { y, scores: scores.reshape([...x.shape.slice(0, -1), this.nExperts]), routing: { experts: routing.experts, gates: routing.gates }, stats: stats2 };
  }
  /**
   * Router, W_k and W_v always on; each expert d·hpe·D (W_q) + hpe·D·d (W_o).
   * A pair's multiply-adds: its projections plus, per head, q·Kᵀ and A·V over
   * the p + 1 keys a token at position p sees.
   */
  costModel(tokens, seqLen, offset = 0) {
    const [d, hpe, dh, hkv] = [this.dModel, this.headsPerExpert, this.headDim, this.nKvHeads];
    return {
      nExperts: this.nExperts,
      sharedParams: this.router.numParameters() + 2 * d * hkv * dh,
      paramsPerExpert: 2 * d * hpe * dh,
      sharedMacs: tokens * (this.router.macsPerToken() + 2 * d * hkv * dh),
      macsPerPair: (t) => 2 * d * hpe * dh + hpe * 2 * dh * (offset + t % seqLen + 1)
    };
  }
};

// src/moe/lm.ts
init_shape();

// src/moe/lm-config.ts
var base = {
  kind: "dsmoe",
  vocabSize: 256,
  activation: "gelu",
  router: "linear",
  routerHidden: 64,
  positions: "rotary",
  norm: "rms",
  dropout: 0,
  alphaFfn: 0.05,
  alphaAttn: 0.02,
  smoeTopK: 2,
  balanceWeight: 0.01,
  zLossWeight: 1e-3
};
var PRESETS = Object.freeze({
  tiny: { ...base, maxSeqLen: 64, dModel: 64, nLayers: 2, nHeads: 4, nKvHeads: 2, headDim: 16, attnExperts: 4, nExperts: 8, expertHidden: 32 },
  small: { ...base, maxSeqLen: 128, dModel: 128, nLayers: 4, nHeads: 8, nKvHeads: 2, headDim: 16, attnExperts: 4, nExperts: 16, expertHidden: 32, alphaFfn: 0.02, alphaAttn: 0.01 },
  base: { ...base, maxSeqLen: 256, dModel: 256, nLayers: 6, nHeads: 8, nKvHeads: 2, headDim: 32, attnExperts: 8, nExperts: 32, expertHidden: 32, alphaFfn: 0.01, alphaAttn: 5e-3 }
});
function presetNames() {
  return Object.keys(PRESETS);
}
function lmConfig(name2, overrides = {}) {
  const preset = PRESETS[name2];
  if (!preset) throw new Error(`unknown preset '${name2}' (known: ${presetNames().join(", ")})`);
  const cfg = { ...preset, ...withoutUndefined(overrides) };
  validateConfig(cfg);
  return cfg;
}
function withoutUndefined(o) {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== void 0));
}
var POSITIVE_INTS = ["vocabSize", "maxSeqLen", "dModel", "nLayers", "nHeads", "nKvHeads", "headDim", "attnExperts", "nExperts", "expertHidden", "routerHidden", "smoeTopK"];
var NON_NEGATIVE = ["alphaFfn", "alphaAttn", "balanceWeight", "zLossWeight", "dropout"];
function validateConfig(c) {
  const oneOf = (field, v, ok) => {
    if (!ok.includes(v)) throw new Error(`model config: ${field} must be one of ${ok.join(", ")}; got '${v}'`);
  };
  oneOf("kind", c.kind, ["dsmoe", "dense", "smoe"]);
  oneOf("positions", c.positions, ["rotary", "learned"]);
  oneOf("norm", c.norm, ["rms", "layer"]);
  oneOf("router", c.router, ["linear", "mlp"]);
  oneOf("activation", c.activation, ["gelu", "relu", "silu"]);
  for (const k of POSITIVE_INTS) {
    if (!Number.isInteger(c[k]) || c[k] < 1) throw new Error(`model config: ${k} must be a positive integer, got ${c[k]}`);
  }
  for (const k of NON_NEGATIVE) {
    if (!(Number.isFinite(c[k]) && c[k] >= 0)) throw new Error(`model config: ${k} must be a finite number \u2265 0, got ${c[k]}`);
  }
  if (c.dropout >= 1) throw new Error(`model config: dropout must be < 1, got ${c.dropout}`);
  if (c.nHeads % c.nKvHeads !== 0) throw new Error(`model config: nKvHeads=${c.nKvHeads} must divide nHeads=${c.nHeads}`);
  if (c.nHeads % c.attnExperts !== 0) throw new Error(`model config: attnExperts=${c.attnExperts} must divide nHeads=${c.nHeads}`);
  if (c.positions === "rotary" && c.headDim % 2 !== 0) throw new Error(`model config: rotary positions need an even headDim, got ${c.headDim}`);
  if (c.smoeTopK > c.nExperts) throw new Error(`model config: smoeTopK=${c.smoeTopK} exceeds nExperts=${c.nExperts}`);
}

// src/moe/dense-ffn.ts
init_shape();
var DenseFeedForward = class extends Module {
  constructor(dModel, hidden, activation2 = "gelu") {
    super();
    this.dModel = dModel;
    this.hidden = hidden;
    this.activation = activation2;
    this.w1 = kaimingUniform([dModel, hidden], dModel);
    this.b1 = kaimingUniform([hidden], dModel);
    this.w2 = kaimingUniform([hidden, dModel], hidden);
    this.b2 = zerosParam([dModel]);
  }
  dModel;
  hidden;
  activation;
  w1;
  b1;
  w2;
  b2;
  forward(x) {
    if (x.shape[x.rank - 1] !== this.dModel) throw new Error(`DenseFeedForward: expected last axis ${this.dModel}, got ${fmt(x.shape)}`);
    return activation(this.activation, x.matmul(this.w1).add(this.b1)).matmul(this.w2).add(this.b2);
  }
  /** Multiply-adds per token. */
  macsPerToken() {
    return 2 * this.dModel * this.hidden;
  }
};

// src/moe/lm-stats.ts
function attentionMode(opts) {
  const a = opts.attention ?? (opts.mode.mode === "topK" ? "dense" : "follow");
  if (a === "follow") return opts.mode;
  if (a === "dense") return { mode: "dense" };
  return a;
}
function summarizeInfer(model, layers, tokens) {
  const totalParams = model.numParameters();
  const inactive = layers.reduce((s, l) => s + (l.ffn.totalParams - l.ffn.activeParams) + (l.attn.totalParams - l.attn.activeParams), 0);
  const sumOf = (f) => layers.reduce((s, l) => s + f(l), 0);
  const ratio = (a, b) => b === 0 ? 1 : a / b;
  const mean2 = (f) => layers.length ? sumOf(f) / layers.length : 0;
  const headFlops = 2 * tokens * model.config.dModel * model.config.vocabSize;
  return {
    totalParams,
    activeParams: totalParams - inactive,
    activeFraction: ratio(totalParams - inactive, totalParams),
    ffnActiveFraction: ratio(sumOf((l) => l.ffn.activeParams), sumOf((l) => l.ffn.totalParams)),
    attnActiveFraction: ratio(sumOf((l) => l.attn.activeParams), sumOf((l) => l.attn.totalParams)),
    ffnActiveExperts: mean2((l) => l.ffn.activeExperts),
    attnActiveExperts: mean2((l) => l.attn.activeExperts),
    flops: sumOf((l) => l.ffn.flops + l.attn.flops) + headFlops,
    layers
  };
}
function denseLayerStats(tokens, totalParams, macsPerToken) {
  return { activeExperts: 1, load: [tokens], pairs: tokens, activeParams: totalParams, activeFraction: 1, totalParams, flops: 2 * tokens * macsPerToken, k: null };
}

// src/moe/lm-block.ts
function makeNorm(c) {
  return c.norm === "rms" ? new RMSNorm(c.dModel) : new LayerNorm(c.dModel);
}
function clampK(mode, nExperts) {
  return mode.mode === "topK" && mode.k > nExperts ? { mode: "topK", k: nExperts } : mode;
}
var Block = class extends Module {
  constructor(config) {
    super();
    this.config = config;
    const c = config;
    this.norm1 = makeNorm(c);
    this.norm2 = makeNorm(c);
    const positional = c.positions === "rotary" ? "rotary" : "none";
    this.attn = c.kind === "dsmoe" ? new MoEAttention({
      dModel: c.dModel,
      nExperts: c.attnExperts,
      headsPerExpert: c.nHeads / c.attnExperts,
      headDim: c.headDim,
      nKvHeads: c.nKvHeads,
      positional,
      router: c.router,
      routerHidden: c.routerHidden
    }) : new MultiHeadAttention({ dModel: c.dModel, nHeads: c.nHeads, nKvHeads: c.nKvHeads, headDim: c.headDim, positional });
    const width = c.nExperts * c.expertHidden;
    this.ffn = c.kind === "dense" ? new DenseFeedForward(c.dModel, width, c.activation) : new MoEFeedForward({
      dModel: c.dModel,
      nExperts: c.nExperts,
      expertHidden: c.expertHidden,
      activation: c.activation,
      router: c.router,
      routerHidden: c.routerHidden,
      training: c.kind === "smoe" ? { mode: "topK", k: c.smoeTopK } : { mode: "dense" }
    });
    this.drop = new Dropout(c.dropout);
  }
  config;
  norm1;
  norm2;
  attn;
  ffn;
  drop;
  forward(h) {
    const aux = {};
    const xa = this.norm1.forward(h);
    if (this.attn instanceof MoEAttention) {
      const a = this.attn.forward(xa);
      aux.miAttn = a.aux.mi;
      aux.attnScores = a.scores;
      h = h.add(this.drop.forward(a.y));
    } else {
      h = h.add(this.drop.forward(this.attn.forward(xa)));
    }
    const xf = this.norm2.forward(h);
    if (this.ffn instanceof MoEFeedForward) {
      const f = this.ffn.forward(xf);
      aux.ffnScores = f.scores;
      if (this.config.kind === "smoe") {
        aux.balance = f.aux.switch;
        aux.zLoss = f.aux.z;
      } else {
        aux.miFfn = f.aux.mi;
      }
      h = h.add(this.drop.forward(f.y));
    } else {
      h = h.add(this.drop.forward(this.ffn.forward(xf)));
    }
    return { h, aux };
  }
  /** Sparse inference of the block: routing decided on the host, layer by layer. */
  async infer(h, opts) {
    const tokens = h.size / this.config.dModel;
    let attnRouting = null;
    let ffnRouting = null;
    let attnStats;
    let ffnStats;
    const xa = noGrad(() => this.norm1.forward(h));
    if (this.attn instanceof MoEAttention) {
      const a = await this.attn.infer(xa, clampK(attentionMode(opts), this.attn.nExperts));
      attnRouting = a.routing;
      attnStats = a.stats;
      h = noGrad(() => h.add(a.y));
    } else {
      const attn = this.attn;
      h = noGrad(() => h.add(attn.forward(xa)));
      attnStats = denseLayerStats(tokens, attn.numParameters(), attn.numParameters());
    }
    const xf = noGrad(() => this.norm2.forward(h));
    if (this.ffn instanceof MoEFeedForward) {
      const f = await this.ffn.infer(xf, opts.mode);
      ffnRouting = f.routing;
      ffnStats = f.stats;
      h = noGrad(() => h.add(f.y));
    } else {
      const ffn = this.ffn;
      h = noGrad(() => h.add(ffn.forward(xf)));
      ffnStats = denseLayerStats(tokens, ffn.numParameters(), ffn.macsPerToken());
    }
    return { h, attnRouting, ffnRouting, stats: { attn: attnStats, ffn: ffnStats } };
  }
};

// src/moe/lm.ts
var LanguageModel = class extends Module {
  config;
  embed;
  pos;
  blocks;
  normOut;
  constructor(config) {
    super();
    validateConfig(config);
    this.config = { ...config };
    this.embed = new Embedding(config.vocabSize, config.dModel, { std: 0.02 });
    this.pos = config.positions === "learned" ? new PositionalEmbedding(config.maxSeqLen, config.dModel) : null;
    this.blocks = Array.from({ length: config.nLayers }, () => new Block(config));
    this.normOut = makeNorm(config);
  }
  /** Dense training forward: ids [B, S] int32 → logits [B, S, vocab] and every router's auxiliary terms. */
  forward(ids) {
    let h = this.embedIds(ids);
    const aux = { miAttn: [], miFfn: [], balance: [], zLoss: [], ffnScores: [], attnScores: [] };
    for (const block of this.blocks) {
      const out = block.forward(h);
      h = out.h;
      collect(aux, out.aux);
    }
    return { logits: this.head(h), aux };
  }
  /** The training objective for next-token prediction: ids [B, S] and targets [B, S] (ids shifted by one). */
  loss(ids, targets) {
    const { logits, aux } = this.forward(ids);
    const ce = crossEntropy(logits, targets);
    const c = this.config;
    const miAttn = sum(aux.miAttn, ce);
    const miFfn = sum(aux.miFfn, ce);
    const balance = sum(aux.balance, ce);
    const zLoss = sum(aux.zLoss, ce);
    let loss = ce;
    if (aux.miFfn.length && c.alphaFfn > 0) loss = loss.add(miFfn.mul(c.alphaFfn));
    if (aux.miAttn.length && c.alphaAttn > 0) loss = loss.add(miAttn.mul(c.alphaAttn));
    if (aux.balance.length && c.balanceWeight > 0) loss = loss.add(balance.mul(c.balanceWeight));
    if (aux.zLoss.length && c.zLossWeight > 0) loss = loss.add(zLoss.mul(c.zLossWeight));
    return { loss, ce, miAttn, miFfn, balance, zLoss, logits, aux };
  }
  /**
   * Sparse inference: each MoE layer in `opts.mode`; attention follows
   * `opts.attention` ('dense' by default for topK, as the paper's TopK runs
   * attention densely, and the FFN's mode otherwise). No gradients.
   */
  async infer(ids, opts) {
    let h = noGrad(() => this.embedIds(ids));
    const layers = [];
    const stats2 = [];
    for (const block of this.blocks) {
      const out = await block.infer(h, opts);
      h = out.h;
      layers.push({ attn: out.attnRouting, ffn: out.ffnRouting });
      stats2.push(out.stats);
    }
    const logits = noGrad(() => this.head(h));
    return { logits, layers, stats: summarizeInfer(this, stats2, ids.size) };
  }
  embedIds(ids) {
    if (ids.dtype !== "int32" || ids.rank !== 2) throw new Error(`LanguageModel: ids must be int32 [B, S], got ${ids.dtype} ${fmt(ids.shape)}`);
    const s = ids.shape[1];
    if (s > this.config.maxSeqLen) throw new Error(`LanguageModel: sequence length ${s} exceeds maxSeqLen ${this.config.maxSeqLen}`);
    const x = this.embed.forward(ids);
    return this.pos ? this.pos.forward(x) : x;
  }
  /** Final norm, then the tied head: logits = h·Eᵀ. */
  head(h) {
    return this.normOut.forward(h).matmul(this.embed.weight.transpose(0, 1));
  }
};
function collect(into, a) {
  if (a.miAttn) into.miAttn.push(a.miAttn);
  if (a.miFfn) into.miFfn.push(a.miFfn);
  if (a.balance) into.balance.push(a.balance);
  if (a.zLoss) into.zLoss.push(a.zLoss);
  if (a.ffnScores) into.ffnScores.push(a.ffnScores);
  if (a.attnScores) into.attnScores.push(a.attnScores);
}
function sum(terms, like2) {
  if (terms.length === 0) return like2.detach().mul(0);
  return terms.reduce((a, b) => a.add(b));
}

// src/data/brown-genres.ts
var BROWN_GENRES = Object.freeze({
  a: "press: reportage",
  b: "press: editorial",
  c: "press: reviews",
  d: "religion",
  e: "skill and hobbies",
  f: "popular lore",
  g: "belles-lettres",
  h: "miscellaneous: government & house organs",
  j: "learned",
  k: "fiction: general",
  l: "fiction: mystery",
  m: "fiction: science",
  n: "fiction: adventure",
  p: "fiction: romance",
  r: "humor"
});

// src/data/tokenizer.ts
var encoder = new TextEncoder();
var lenient = new TextDecoder("utf-8", { fatal: false });

// src/data/byte-tokenizer.ts
var SINGLE_BYTES = Array.from({ length: 256 }, (_, b) => Uint8Array.of(b));

// src/data/bpe-train.ts
var ID_LIMIT = 2 ** 21;

// src/gpu/gpujs/api.ts
var GPUJS_MODES = ["webgpu", "headlessgl", "webgl2", "webgl", "webasm", "cpu"];
var KERNEL_CLASS = {
  webgpu: "WebGPUKernel",
  headlessgl: "HeadlessGLKernel",
  webgl2: "WebGL2Kernel",
  webgl: "WebGLKernel",
  webasm: "WebAssemblyKernel",
  cpu: "CPUKernel"
};
async function loadGpujs() {
  const mod = await import("gpu.js");
  return mod.GPU ? mod : mod.default;
}
function isDeviceHandle(x) {
  return !(x instanceof Float32Array);
}

// src/gpu/gpujs/memory.ts
var BUDGET_BYTES = 128 * 2 ** 20;
var MIN_COST_BYTES = 64 * 2 ** 10;
var collector = null;
var spent = 0;
var finalizersDue = false;
async function initCollector() {
  if (collector) return;
  const exposed = globalThis.gc;
  if (typeof exposed === "function") {
    collector = exposed;
    return;
  }
  if (typeof process === "undefined" || !process.versions?.node) return;
  try {
    const [v8Name, vmName] = ["node:v8", "node:vm"];
    const v8 = await import(v8Name);
    const vm = await import(vmName);
    v8.setFlagsFromString("--expose-gc");
    const gc = vm.runInNewContext("gc");
    if (typeof gc === "function") collector = gc;
  } catch {
    collector = null;
  }
}
function chargeDeviceBytes(bytes) {
  spent += Math.max(bytes, MIN_COST_BYTES);
  if (spent < BUDGET_BYTES || !collector) return;
  spent = 0;
  collector();
  finalizersDue = true;
}
function letFinalizersRun() {
  if (!finalizersDue) return null;
  finalizersDue = false;
  return new Promise((resolve) => typeof setImmediate === "function" ? setImmediate(resolve) : setTimeout(resolve, 0));
}

// src/gpu/gpujs/stats.ts
var counters = { compiles: 0, kernelCalls: 0, readbacks: 0, uploads: 0, liveBuffers: 0 };
var classes = /* @__PURE__ */ new Set();
function countCompile() {
  counters.compiles++;
}
function countCall(kernelClass) {
  counters.kernelCalls++;
  classes.add(kernelClass);
}
function countReadback() {
  counters.readbacks++;
}
function countUpload() {
  counters.uploads++;
}
function countLive(delta) {
  counters.liveBuffers += delta;
}

// src/gpu/gpujs/buffer.ts
var GpujsBuffer = class {
  constructor(dtype, size, store, hostInts) {
    this.dtype = dtype;
    this.size = size;
    this.hostInts = hostInts;
    this.store = store;
    if (isDeviceHandle(store)) onDeviceAllocation(size);
  }
  dtype;
  size;
  hostInts;
  store;
  /** What a kernel takes as this argument. */
  get values() {
    if (!this.store) throw new Error("gpujs: this buffer was disposed (its tensor was freed) and cannot be read");
    return this.store;
  }
  /** Host values moving to the device: the upload in flight, so two uses of one buffer upload it once. */
  uploading = null;
  /** Replaces host values by their copy on the device, once uploaded. */
  settle(onDevice) {
    if (isDeviceHandle(onDevice)) onDeviceAllocation(this.size);
    this.store = onDevice;
    this.uploading = null;
  }
  get isDisposed() {
    return this.store === null;
  }
  /** Frees the texture / GPU buffer now rather than whenever gpu.js would. */
  dispose() {
    if (this.store && isDeviceHandle(this.store)) {
      this.store.delete();
      countLive(-1);
    }
    this.store = null;
  }
};
function onDeviceAllocation(size) {
  countLive(1);
  chargeDeviceBytes(size * 4);
}
function gpujsBuffer(buf) {
  if (!(buf instanceof GpujsBuffer)) throw new Error(`gpujs backend: got a buffer from another backend (${buf.constructor.name}); move the tensor with .to(...) first`);
  return buf;
}

// src/gpu/gpujs/cache.ts
var KernelCache = class {
  constructor(gpu, mode) {
    this.gpu = gpu;
    this.mode = mode;
  }
  gpu;
  mode;
  entries = /* @__PURE__ */ new Map();
  /** The gpu.js kernel class the last launch ran on (null before the first). */
  ranOn = null;
  get size() {
    return this.entries.size;
  }
  /** Runs the kernel cached under `key`, compiling it from `spec()` on the first call. */
  run(key, spec, args) {
    const entry = this.entries.get(key) ?? this.compile(key, spec());
    const out = entry.fn(...args);
    this.check(key, entry);
    return out;
  }
  compile(key, s) {
    if (!(s.size >= 1)) throw new Error(`internal: gpujs kernel '${key}' asked for ${s.size} output cells`);
    countCompile();
    const fn = this.gpu.createKernel(s.source, {
      output: [s.size],
      constants: s.constants,
      // Outputs stay on the device and every call gets a fresh one (immutable),
      // so a tensor's buffer is never overwritten by a later launch.
      pipeline: true,
      immutable: true,
      tactic: "precision",
      precision: "single",
      loopMaxIterations: Math.max(1e3, (s.longestLoop ?? 0) + 1)
    });
    const entry = { fn, seen: null };
    this.entries.set(key, entry);
    return entry;
  }
  /** Throws if gpu.js ran the kernel on anything but its mode's class; counts recompiles it did on its own. */
  check(key, entry) {
    const k = entry.fn.kernel;
    const ran = k.constructor.name;
    const expected = KERNEL_CLASS[this.mode];
    if (ran !== expected || k.fallbackReason) {
      throw new Error(`gpujs:${this.mode}: gpu.js ran kernel '${key}' on ${ran} instead of ${expected}${k.fallbackReason ? ` (${k.fallbackReason})` : ""}`);
    }
    if (entry.seen !== null && entry.seen !== k) countCompile();
    entry.seen = k;
    this.ranOn = ran;
    countCall(ran);
  }
  destroy() {
    for (const { fn } of this.entries.values()) fn.destroy();
    this.entries.clear();
  }
};

// src/gpu/gpujs/index-math.ts
var MAX_EXACT_INDEX = 2 ** 24;
function checkIndexable(what, size) {
  if (size > MAX_EXACT_INDEX) {
    throw new Error(`gpujs: ${what} has ${size} elements, more than 2^24 = ${MAX_EXACT_INDEX}, the largest that gpu.js's float32 index arithmetic addresses exactly; split the tensor`);
  }
}
function unflatten(flat, dims, p) {
  const constants = {};
  const lines = [`let ${p}Rest = ${flat};`];
  for (let d = dims.length - 1; d >= 1; d--) {
    const n2 = `this.constants.${p}Dim${d}`;
    constants[`${p}Dim${d}`] = dims[d];
    lines.push(
      `let ${p}Q${d} = Math.floor(${p}Rest / ${n2});`,
      `let ${p}${d} = ${p}Rest - ${p}Q${d} * ${n2};`,
      `if (${p}${d} < 0) { ${p}Q${d} = ${p}Q${d} - 1; ${p}${d} = ${p}${d} + ${n2}; }`,
      `if (${p}${d} >= ${n2}) { ${p}Q${d} = ${p}Q${d} + 1; ${p}${d} = ${p}${d} - ${n2}; }`,
      `${p}Rest = ${p}Q${d};`
    );
  }
  if (dims.length > 0) lines.push(`let ${p}0 = ${p}Rest;`);
  return { code: lines.join("\n  "), constants };
}
function offsetExpr(name2, idx, strides, offset = 0) {
  const constants = {};
  const terms = [];
  if (offset !== 0) {
    constants[`${name2}Off`] = offset;
    terms.push(`this.constants.${name2}Off`);
  }
  strides.forEach((s, d) => {
    if (s === 0) return;
    if (s === 1) {
      terms.push(`${idx}${d}`);
      return;
    }
    constants[`${name2}S${d}`] = s;
    terms.push(`${idx}${d} * this.constants.${name2}S${d}`);
  });
  return { code: terms.length ? terms.join(" + ") : "0", constants };
}

// src/gpu/gpujs/maybe.ts
function andThen(x, f) {
  return x instanceof Promise ? x.then(f) : f(x);
}
function allOf(xs) {
  return xs.some((x) => x instanceof Promise) ? Promise.all(xs) : xs;
}

// src/gpu/gpujs/elementwise.ts
init_elementwise();
init_shape();

// src/gpu/gpujs/job.ts
function kernelSource(params, body) {
  return `function (${params.join(", ")}) {
  const t = this.thread.x;
  ${body.join("\n  ")}
}`;
}

// src/gpu/gpujs/elementwise.ts
var tanhOf = (u) => `e = Math.exp(-2 * Math.abs(${u})); th = (1 - e) / (1 + e); if (${u} < 0) { th = -th; }`;
var UNARY2 = {
  neg: "r = -v;",
  exp: "r = Math.exp(v);",
  log: "r = Math.log(v);",
  sqrt: "r = Math.sqrt(v);",
  abs: "r = Math.abs(v);",
  tanh: `${tanhOf("v")} r = th;`,
  sigmoid: "e = Math.exp(-Math.abs(v)); if (v >= 0) { r = 1 / (1 + e); } else { r = e / (1 + e); }",
  relu: "if (v > 0) { r = v; }",
  // GELU, tanh approximation, as the cpu reference.
  gelu: `u = 0.7978845608028654 * (v + 0.044715 * v * v * v); ${tanhOf("u")} r = 0.5 * v * (1 + th);`,
  silu: "e = Math.exp(-Math.abs(v)); if (v >= 0) { r = v / (1 + e); } else { r = v * e / (1 + e); }",
  sign: "if (v > 0) { r = 1; } if (v < 0) { r = -1; }",
  sin: "r = Math.sin(v);",
  cos: "r = Math.cos(v);"
};
var BINARY2 = {
  add: "r = x + y;",
  sub: "r = x - y;",
  mul: "r = x * y;",
  div: "r = x / y;",
  // Shader pow(x, y) is undefined for x < 0; JavaScript's is defined for whole y, with the sign of x^y.
  pow: "if (y === 0) { r = 1; } else { if (x < 0 && Math.floor(y) === y) { r = Math.pow(-x, y); if (y - 2 * Math.floor(y / 2) === 1) { r = -r; } } else { r = Math.pow(x, y); } }",
  max: "r = x; if (y > x) { r = y; }",
  min: "r = x; if (y < x) { r = y; }",
  eq: "if (x === y) { r = 1; }",
  ne: "if (x !== y) { r = 1; }",
  lt: "if (x < y) { r = 1; }",
  le: "if (x <= y) { r = 1; }",
  gt: "if (x > y) { r = 1; }",
  ge: "if (x >= y) { r = 1; }"
};
function unaryJob(op2, x) {
  return mapJob(`unary:${op2}`, UNARY2[op2], x, x.dtype);
}
function castJob(x, to) {
  const body = to === "int32" && x.dtype !== "int32" ? "r = Math.floor(Math.abs(v)); if (v < 0) { r = -r; }" : "r = v;";
  return mapJob(`cast:${to}`, body, x, to);
}
function mapJob(name2, body, x, dtype) {
  const src = kernelSource(["x"], ["const v = x[t];", "let r = 0.0;", "let e = 0.0;", "let u = 0.0;", "let th = 0.0;", body, "return r;"]);
  return { key: `${name2}:${x.size}`, spec: () => ({ source: src, constants: {}, size: x.size }), args: [x], size: x.size, dtype };
}
function broadcastRead(arg, shape, outShape, constants) {
  if (sameShape(shape, outShape)) return { expr: `${arg}[t]`, needsIndex: false };
  if (sizeOf(shape) === 1) return { expr: `${arg}[0]`, needsIndex: false };
  const off = offsetExpr(arg, "o", alignedStrides(shape, outShape));
  Object.assign(constants, off.constants);
  return { expr: `${arg}[${off.code}]`, needsIndex: true };
}
function broadcastJob(name2, inputs, outShape, body, dtype) {
  const size = sizeOf(outShape);
  checkIndexable(`the output of ${name2} ${fmt(outShape)}`, size);
  const constants = {};
  const reads = inputs.map((inp, i) => ({ ...broadcastRead(`in${i}`, inp.shape, outShape, constants), as: inp.as }));
  const lines = [];
  if (reads.some((r) => r.needsIndex)) {
    const idx = unflatten("t", outShape, "o");
    Object.assign(constants, idx.constants);
    lines.push(idx.code);
  }
  for (const r of reads) lines.push(`const ${r.as} = ${r.expr};`);
  lines.push("let r = 0.0;", body, "return r;");
  const src = kernelSource(inputs.map((_, i) => `in${i}`), lines);
  const key = `${name2}:${inputs.map((i) => fmt(i.shape)).join("|")}->${fmt(outShape)}`;
  return { key, spec: () => ({ source: src, constants, size }), args: inputs.map((i) => i.buf), size, dtype };
}
function binaryJob(op2, a, aShape, b, bShape, outShape) {
  const ins = [{ buf: a, shape: aShape, as: "x" }, { buf: b, shape: bShape, as: "y" }];
  return broadcastJob(`binary:${op2}`, ins, outShape, BINARY2[op2], a.dtype);
}
function whereJob(c, cShape, a, aShape, b, bShape, outShape) {
  const ins = [{ buf: c, shape: cShape, as: "c" }, { buf: a, shape: aShape, as: "x" }, { buf: b, shape: bShape, as: "y" }];
  return broadcastJob("where", ins, outShape, "if (c !== 0) { r = x; } else { r = y; }", a.dtype);
}

// src/gpu/gpujs/reduce.ts
function columnBase(outer, inner) {
  const idx = unflatten("t", [outer, inner], "o");
  return { code: `${idx.code}
  const base = o0 * this.constants.n * this.constants.inner + o1;`, constants: idx.constants };
}
function along(inner) {
  return inner === 1 ? "j" : "j * this.constants.inner";
}
var STEP = {
  sum: "acc = acc + v;",
  max: "if (v > acc) { acc = v; }",
  min: "if (v < acc) { acc = v; }"
};
function reduceJob(op2, x, outer, n2, inner) {
  checkIndexable("the input of reduce", x.size);
  const col = columnBase(outer, inner);
  const src = kernelSource(["x"], [
    col.code,
    `let acc = ${op2 === "sum" ? "0.0" : "x[base]"};`,
    "for (let j = 0; j < this.constants.n; j++) {",
    `  const v = x[base + ${along(inner)}];`,
    `  ${STEP[op2]}`,
    "}",
    "return acc;"
  ]);
  const size = outer * inner;
  const constants = { ...col.constants, n: n2, inner };
  return { key: `reduce:${op2}:${outer}x${n2}x${inner}`, spec: () => ({ source: src, constants, size, longestLoop: n2 }), args: [x], size, dtype: x.dtype };
}
function argReduceJob(op2, x, outer, n2, inner) {
  checkIndexable("the input of argReduce", x.size);
  const col = columnBase(outer, inner);
  const src = kernelSource(["x"], [
    col.code,
    "let best = x[base];",
    "let at = 0;",
    "for (let j = 1; j < this.constants.n; j++) {",
    `  const v = x[base + ${along(inner)}];`,
    `  if (v ${op2 === "argmax" ? ">" : "<"} best) { best = v; at = j; }`,
    "}",
    "return at;"
  ]);
  const size = outer * inner;
  const constants = { ...col.constants, n: n2, inner };
  return { key: `${op2}:${outer}x${n2}x${inner}`, spec: () => ({ source: src, constants, size, longestLoop: n2 }), args: [x], size, dtype: "int32" };
}

// src/gpu/gpujs/topk.ts
function rankJob(x, rows2, n2) {
  checkIndexable("the input of topk", x.size);
  const idx = unflatten("t", [rows2, n2], "o");
  const src = kernelSource(["x"], [
    idx.code,
    "const row = o0 * this.constants.n;",
    "const v = x[t];",
    "let rank = 0;",
    "for (let c = 0; c < this.constants.n; c++) {",
    "  const w = x[row + c];",
    "  if (w > v || (w === v && c < o1)) { rank = rank + 1; }",
    "}",
    "return rank;"
  ]);
  const constants = { ...idx.constants, n: n2 };
  return { key: `topk-rank:${rows2}x${n2}`, spec: () => ({ source: src, constants, size: rows2 * n2, longestLoop: n2 }), args: [x], size: rows2 * n2, dtype: "int32" };
}
function pickJob(ranks, rows2, n2, k) {
  const idx = unflatten("t", [rows2, k], "o");
  const src = kernelSource(["ranks"], [
    idx.code,
    "const row = o0 * this.constants.n;",
    "let at = 0;",
    "for (let c = 0; c < this.constants.n; c++) {",
    "  if (ranks[row + c] === o1) { at = c; }",
    "}",
    "return at;"
  ]);
  const constants = { ...idx.constants, n: n2 };
  return { key: `topk-pick:${rows2}x${n2}x${k}`, spec: () => ({ source: src, constants, size: rows2 * k, longestLoop: n2 }), args: [ranks], size: rows2 * k, dtype: "int32" };
}

// src/gpu/gpujs/matmul.ts
function step(name2, stride) {
  return stride === 1 ? "p" : `p * this.constants.${name2}`;
}
function matmulJob(a, b, s) {
  const size = s.batch * s.m * s.n;
  checkIndexable("the output of matmul", size);
  checkIndexable("the left operand of matmul", a.size);
  checkIndexable("the right operand of matmul", b.size);
  const idx = unflatten("t", [s.batch, s.m, s.n], "o");
  const constants = {
    ...idx.constants,
    k: s.k,
    aBatch: s.aBatchStride,
    aI: s.transA ? 1 : s.k,
    aP: s.transA ? s.m : 1,
    bBatch: s.bBatchStride,
    bP: s.transB ? 1 : s.n,
    bJ: s.transB ? s.k : 1
  };
  const src = kernelSource(["a", "b"], [
    idx.code,
    "const aRow = o0 * this.constants.aBatch + o1 * this.constants.aI;",
    "const bCol = o0 * this.constants.bBatch + o2 * this.constants.bJ;",
    "let sum = 0.0;",
    "for (let p = 0; p < this.constants.k; p++) {",
    `  sum = sum + a[aRow + ${step("aP", constants.aP)}] * b[bCol + ${step("bP", constants.bP)}];`,
    "}",
    "return sum;"
  ]);
  const key = `matmul:${s.batch}x${s.m}x${s.k}x${s.n}:${s.transA ? "T" : "N"}${s.transB ? "T" : "N"}:${s.aBatchStride},${s.bBatchStride}`;
  return { key, spec: () => ({ source: src, constants, size, longestLoop: s.k }), args: [a, b], size, dtype: a.dtype };
}

// src/gpu/gpujs/indexing.ts
function checkIndices(op2, idx, rows2) {
  for (let i = 0; i < idx.length; i++) {
    const v = idx[i];
    if (!(v >= 0 && v < rows2)) throw new Error(`${op2}: index ${v} at position ${i} is out of range for ${rows2} rows`);
  }
}
function gatherJob(src, rows2, cols, idx) {
  const size = idx.size * cols;
  checkIndexable("the output of gather", size);
  checkIndexable("the source of gather", src.size);
  const at = unflatten("t", [idx.size, cols], "o");
  const source = kernelSource(["src", "idx"], [at.code, "return src[idx[o0] * this.constants.cols + o1];"]);
  const constants = { ...at.constants, cols };
  return { key: `gather:${rows2}x${cols}:${idx.size}`, spec: () => ({ source, constants, size }), args: [src, idx], size, dtype: src.dtype };
}
function csr(idx, outRows) {
  const offsets = new Float32Array(outRows + 1);
  for (const r of idx) offsets[r + 1]++;
  let longest = 0;
  for (let r = 0; r < outRows; r++) {
    longest = Math.max(longest, offsets[r + 1]);
    offsets[r + 1] += offsets[r];
  }
  const order = new Float32Array(idx.length);
  const fill = offsets.slice(0, outRows);
  for (let i = 0; i < idx.length; i++) order[fill[idx[i]]++] = i;
  return { offsets, order, longest };
}
function scatterAddJob(src, cols, idx, outRows) {
  const size = outRows * cols;
  checkIndexable("the output of scatterAdd", size);
  checkIndexable("the source of scatterAdd", src.size);
  const { offsets, order } = csr(idx, outRows);
  const at = unflatten("t", [outRows, cols], "o");
  const source = kernelSource(["src", "offsets", "order"], [
    at.code,
    "const start = offsets[o0];",
    "const count = offsets[o0 + 1] - start;",
    "let sum = 0.0;",
    // An integer counter from 0: WGSL cannot increment a float loop variable.
    "for (let j = 0; j < count; j++) {",
    "  sum = sum + src[order[start + j] * this.constants.cols + o1];",
    "}",
    "return sum;"
  ]);
  const constants = { ...at.constants, cols };
  const key = `scatterAdd:${idx.length}x${cols}->${outRows}`;
  return { key, spec: () => ({ source, constants, size, longestLoop: idx.length }), args: [src, offsets, order], size, dtype: src.dtype };
}

// src/gpu/gpujs/view.ts
init_shape();
function viewJob(x, spec) {
  const size = sizeOf(spec.shape);
  checkIndexable(`the view ${fmt(spec.shape)}`, size);
  checkIndexable("the input of a view", x.size);
  const idx = unflatten("t", spec.shape, "o");
  const off = offsetExpr("src", "o", spec.strides, spec.offset);
  const constants = { ...idx.constants, ...off.constants };
  const inside = [];
  spec.window?.forEach(([lo, hi], d) => {
    if (lo <= 0 && hi >= spec.shape[d]) return;
    constants[`lo${d}`] = lo;
    constants[`hi${d}`] = hi;
    inside.push(`o${d} >= this.constants.lo${d} && o${d} < this.constants.hi${d}`);
  });
  const read = `x[${off.code}]`;
  const body = inside.length ? ["let r = 0.0;", `if (${inside.join(" && ")}) { r = ${read}; }`, "return r;"] : [`return ${read};`];
  const src = kernelSource(["x"], [idx.code, ...body]);
  const key = `view:${x.size}->${fmt(spec.shape)}:${spec.strides.join(",")}@${spec.offset}:${spec.window?.map((w) => w.join("-")).join(",") ?? ""}`;
  return { key, spec: () => ({ source: src, constants, size }), args: [x], size, dtype: x.dtype };
}

// src/gpu/gpujs/backend.ts
var UPLOAD_SOURCE = "function (x) {\n  return x[this.thread.x];\n}";
var GpujsBackend = class {
  constructor(gpu, mode) {
    this.gpu = gpu;
    this.mode = mode;
    this.name = `gpujs:${mode}`;
    this.cache = new KernelCache(gpu, mode);
    this.onDevice = mode !== "cpu" && mode !== "webasm";
    if (mode === "webgpu") this.readSync = void 0;
  }
  gpu;
  mode;
  name;
  dtypes = ["float32", "int32"];
  cache;
  /** cpu and webasm keep values in host memory; the GPU modes keep them on the device. */
  onDevice;
  // ---- moving data ------------------------------------------------------------
  /** Copies to the device lazily, on first use (webgpu uploads are asynchronous; upload() is not). */
  upload(data) {
    if (data instanceof Float64Array) throw new Error(`${this.name} computes in float32 only: keep float64 tensors on the cpu backend`);
    if (data instanceof Int32Array) {
      const big = data.findIndex((v) => Math.abs(v) > MAX_EXACT_INDEX);
      if (big >= 0) throw new Error(`${this.name}: int32 value ${data[big]} at position ${big} is beyond \xB12^24, which float32 storage cannot hold exactly`);
      return new GpujsBuffer("int32", data.length, Float32Array.from(data), Int32Array.from(data));
    }
    return new GpujsBuffer("float32", data.length, data);
  }
  async read(buf) {
    const values2 = await this.readValues(gpujsBuffer(buf));
    await letFinalizersRun();
    return values2;
  }
  readSync(buf) {
    const out = this.readValues(gpujsBuffer(buf));
    if (out instanceof Promise) throw new Error(`${this.name} has no synchronous readback: use await t.data()`);
    return out;
  }
  readValues(b) {
    countReadback();
    const v = b.values;
    const raw = isDeviceHandle(v) ? v.toArray() : v;
    return andThen(raw, (f) => {
      const exact = f.length === b.size ? f : f.subarray(0, b.size);
      return b.dtype === "int32" ? Int32Array.from(exact, Math.round) : exact;
    });
  }
  dispose(buf) {
    gpujsBuffer(buf).dispose();
  }
  // ---- running kernels ----------------------------------------------------------
  /** A buffer of `size` copies of `value` (for empty reductions and outputs with no inputs to read). */
  filled(size, value, dtype) {
    return new GpujsBuffer(dtype, size, new Float32Array(size).fill(value));
  }
  /** What a kernel takes for `b`: its device handle, uploading host values first on the GPU modes. */
  arg(b) {
    if (b instanceof Float32Array) return b;
    const v = b.values;
    if (!this.onDevice || isDeviceHandle(v)) return v;
    if (b.uploading) return b.uploading;
    countUpload();
    const size = v.length;
    const up = andThen(this.cache.run(`upload:${size}`, () => ({ source: UPLOAD_SOURCE, constants: {}, size }), [v]), (h) => {
      b.settle(h);
      return h;
    });
    if (up instanceof Promise) b.uploading = up;
    return up;
  }
  exec(job) {
    if (job.size === 0) return this.filled(0, 0, job.dtype);
    if (job.args.some((a) => (a instanceof GpujsBuffer ? a.size : a.length) === 0)) return this.filled(job.size, 0, job.dtype);
    return andThen(
      allOf(job.args.map((a) => this.arg(a))),
      (args) => andThen(this.cache.run(job.key, job.spec, args), (out) => new GpujsBuffer(job.dtype, job.size, out))
    );
  }
  // ---- the primitives -------------------------------------------------------------
  unary(op2, x) {
    return this.exec(unaryJob(op2, gpujsBuffer(x)));
  }
  binary(op2, a, aShape, b, bShape, outShape) {
    return this.exec(binaryJob(op2, gpujsBuffer(a), aShape, gpujsBuffer(b), bShape, outShape));
  }
  where(c, cShape, a, aShape, b, bShape, outShape) {
    return this.exec(whereJob(gpujsBuffer(c), cShape, gpujsBuffer(a), aShape, gpujsBuffer(b), bShape, outShape));
  }
  reduce(op2, x, outer, n2, inner) {
    if (n2 === 0) return this.filled(outer * inner, op2 === "sum" ? 0 : NaN, "float32");
    return this.exec(reduceJob(op2, gpujsBuffer(x), outer, n2, inner));
  }
  argReduce(op2, x, outer, n2, inner) {
    return this.exec(argReduceJob(op2, gpujsBuffer(x), outer, n2, inner));
  }
  topk(x, rows2, n2, k) {
    if (!(k >= 0 && k <= n2)) throw new Error(`topk: k = ${k} is not within 0\u2026${n2}`);
    return andThen(this.exec(rankJob(gpujsBuffer(x), rows2, n2)), (ranks) => {
      const picked = this.exec(pickJob(ranks, rows2, n2, k));
      return andThen(picked, (p) => {
        ranks.dispose();
        return p;
      });
    });
  }
  matmul(a, b, spec) {
    return this.exec(matmulJob(gpujsBuffer(a), gpujsBuffer(b), spec));
  }
  gather(src, rows2, cols, idx) {
    const ix = gpujsBuffer(idx);
    if (ix.hostInts) checkIndices("gather", ix.hostInts, rows2);
    return this.exec(gatherJob(gpujsBuffer(src), rows2, cols, ix));
  }
  /** Needs the indices on the host to build the CSR lists: free when they came from there, a readback otherwise. */
  scatterAdd(src, cols, idx, outRows) {
    const ix = gpujsBuffer(idx);
    const ints3 = ix.hostInts ?? this.readValues(ix);
    return andThen(ints3, (host) => {
      checkIndices("scatterAdd", host, outRows);
      return this.exec(scatterAddJob(gpujsBuffer(src), cols, host, outRows));
    });
  }
  view(x, spec) {
    return this.exec(viewJob(gpujsBuffer(x), spec));
  }
  cast(x, to) {
    if (to === "float64") throw new Error(`${this.name} computes in float32 only: cast to float64 on the cpu backend (t.to('cpu').double())`);
    return this.exec(castJob(gpujsBuffer(x), to));
  }
  /** The gpu.js kernel class this backend's last kernel ran on, e.g. 'WebGPUKernel' (null before any ran). */
  get kernelClass() {
    return this.cache.ranOn;
  }
  /** Compiled kernels held by this backend. */
  get kernelCount() {
    return this.cache.size;
  }
  /** Frees every compiled kernel and the gpu.js instance. Buffers already handed out become invalid. */
  destroy() {
    this.cache.destroy();
    void this.gpu.destroy();
  }
};

// src/gpu/gpujs/dawn.ts
function currentGpu() {
  return globalThis.navigator?.gpu;
}
var wiring = null;
function ensureNavigatorGpu() {
  if (currentGpu()) return Promise.resolve();
  wiring ??= wireDawn().catch((e) => {
    wiring = null;
    throw e;
  });
  return wiring;
}
async function wireDawn() {
  const isNode2 = typeof process !== "undefined" && !!process.versions?.node;
  if (!isNode2) throw new Error("WebGPU is not available: this browser has no navigator.gpu");
  let dawn;
  try {
    const name2 = "webgpu";
    dawn = await import(name2);
  } catch (e) {
    throw new Error(`WebGPU in Node needs the 'webgpu' package (Dawn), which failed to load: ${e.message}`);
  }
  Object.assign(globalThis, dawn.globals);
  const gpu = dawn.create([]);
  const nav = globalThis.navigator;
  if (nav) Object.defineProperty(nav, "gpu", { value: gpu, configurable: true });
  else Object.defineProperty(globalThis, "navigator", { value: { gpu }, configurable: true, writable: true });
}
async function hasWebGpuAdapter() {
  const gpu = currentGpu();
  if (!gpu) return false;
  return await gpu.requestAdapter() !== null;
}

// src/gpu/gpujs/modes.ts
var isNode = typeof process !== "undefined" && !!process.versions?.node;
function preferredModes() {
  return isNode ? ["webgpu", "headlessgl", "webasm", "cpu"] : ["webgpu", "webgl2", "webgl", "webasm", "cpu"];
}
function parseMode(name2) {
  const [, mode] = name2.split(":");
  if (mode === void 0) return "auto";
  if (GPUJS_MODES.includes(mode)) return mode;
  throw new Error(`setBackend: unknown gpujs mode '${mode}' (modes: ${GPUJS_MODES.join(", ")}; or plain 'gpujs' for the best that works)`);
}
var HINTS = {
  headlessgl: "headlessgl needs the `gl` package built for this Node and an X display (e.g. Xvfb :99 with DISPLAY=:99)",
  webgpu: "webgpu in Node needs the `webgpu` package and a Vulkan driver (libvulkan1; on a machine without a GPU, SwiftShader: VK_ICD_FILENAMES=/usr/lib/chromium/vk_swiftshader_icd.json)"
};
async function startMode(mode) {
  try {
    if (mode === "webgpu") {
      await ensureNavigatorGpu();
      if (!await hasWebGpuAdapter()) throw new Error("navigator.gpu.requestAdapter() gave no adapter");
    }
    const { GPU } = await loadGpujs();
    const gpu = new GPU({ mode });
    await probe(gpu, mode);
    return gpu;
  } catch (e) {
    const hint = HINTS[mode] ? ` (${HINTS[mode]})` : "";
    throw new Error(`gpujs:${mode} cannot start: ${e.message}${hint}`);
  }
}
async function probe(gpu, mode) {
  const k = gpu.createKernel("function (x) { return x[this.thread.x] * 2 + 1; }", {
    output: [4],
    constants: {},
    pipeline: true,
    immutable: true,
    tactic: "precision",
    precision: "single",
    loopMaxIterations: 1e3
  });
  try {
    const out = await k(new Float32Array([0, 1, 2, 3]));
    const ran = k.kernel.constructor.name;
    if (ran !== KERNEL_CLASS[mode] || k.kernel.fallbackReason) {
      throw new Error(`gpu.js ran ${ran} instead of ${KERNEL_CLASS[mode]}${k.kernel.fallbackReason ? `: ${k.kernel.fallbackReason}` : ""}`);
    }
    const values2 = out instanceof Float32Array ? out : await out.toArray();
    if (!(out instanceof Float32Array)) out.delete();
    if ([1, 3, 5, 7].some((v, i) => values2[i] !== v)) throw new Error(`the probe kernel computed [${[...values2].join(", ")}], not [1, 3, 5, 7]`);
  } finally {
    k.destroy();
  }
}

// src/gpu/gpujs/register.ts
async function startBest() {
  const failures = [];
  for (const mode of preferredModes()) {
    try {
      return await startBackend(`gpujs:${mode}`);
    } catch (e) {
      failures.push(e.message);
    }
  }
  throw new Error(`gpujs: no gpu.js mode could start:
  ${failures.join("\n  ")}`);
}
async function createGpujsBackend(name2) {
  const mode = parseMode(name2);
  if (mode === "auto") return startBest();
  await initCollector();
  return new GpujsBackend(await startMode(mode), mode);
}
function registerGpujs() {
  registerBackend("gpujs", createGpujsBackend);
}

// src/io/safetensors-dtype.ts
var CTOR = {
  F64: Float64Array,
  F32: Float32Array,
  F16: Uint16Array,
  BF16: Uint16Array,
  F8_E4M3: Uint8Array,
  F8_E5M2: Uint8Array,
  I64: BigInt64Array,
  I32: Int32Array,
  I16: Int16Array,
  I8: Int8Array,
  U64: BigUint64Array,
  U32: Uint32Array,
  U16: Uint16Array,
  U8: Uint8Array,
  BOOL: Uint8Array
};
var SAFETENSORS_DTYPES = Object.freeze(Object.keys(CTOR));
var LITTLE_ENDIAN_HOST = new Uint8Array(Uint16Array.of(1).buffer)[0] === 1;

// src/io/utf8.ts
var strict = new TextDecoder("utf-8", { fatal: true, ignoreBOM: false });

// src/io/half.ts
var f32 = new Float32Array(1);
var u32 = new Uint32Array(f32.buffer);

// src/io/svg-kit.ts
var PALETTE = Object.freeze([
  "#0072B2",
  "#E69F00",
  "#009E73",
  "#D55E00",
  "#CC79A7",
  "#56B4E9",
  "#F0E442",
  "#000000",
  "#4E79A7",
  "#F28E2B",
  "#59A14F",
  "#E15759",
  "#B07AA1",
  "#76B7B2",
  "#EDC948",
  "#9C755F"
]);

// src/index.ts
registerGpujs();

// bench/tfjs.ts
import * as tf from "@tensorflow/tfjs";
import "@tensorflow/tfjs-backend-wasm";

// bench/util.ts
function values(n2, seed = 1) {
  const out = new Float32Array(n2);
  let s = seed >>> 0 || 1;
  for (let i = 0; i < n2; i++) {
    s = Math.imul(s, 1664525) + 1013904223 >>> 0;
    out[i] = s / 2 ** 32 * 2 - 1;
  }
  return out;
}

// bench/moe-step.ts
var [T, D, N, H] = [512, 256, 8, 128];
var ALPHA = 0.01;
var GELU_C = Math.sqrt(2 / Math.PI);
async function oursMoeStep(backend) {
  await setBackend(backend);
  manualSeed(0);
  const layer = new MoEFeedForward({ dModel: D, nExperts: N, expertHidden: H, activation: "gelu" });
  const x = fromData(values(T * D, 3), [T, D]);
  const target = fromData(values(T * D, 4), [T, D]);
  const params = layer.parameters();
  return async () => {
    for (const p of params) p.grad = null;
    const { y, aux } = layer.forward(x);
    const loss = y.sub(target).square().mean().add(aux.mi.mul(ALPHA));
    loss.backward();
    await realize(loss, ...params.map((p) => p.grad));
  };
}

// bench/lm-train.ts
var PRESET = "tiny";
var [B, S] = [16, 64];
function randomIds(seed, n2, vocab) {
  let s = seed >>> 0 || 1;
  return Int32Array.from({ length: n2 }, () => {
    s = Math.imul(s, 1664525) + 1013904223 >>> 0;
    return s % vocab;
  });
}
async function oursLmStep(backend) {
  await setBackend(backend);
  manualSeed(1);
  const cfg = lmConfig(PRESET);
  const model = new LanguageModel(cfg);
  const opt = new AdamW(model.parameters(), { lr: 1e-3, weightDecay: 0.01 });
  let step3 = 0;
  return async () => {
    const ids = randomIds(++step3, B * (S + 1), cfg.vocabSize);
    const inputs = fromData(ids.filter((_, i) => i % (S + 1) !== S), [B, S]);
    const targets = fromData(ids.filter((_, i) => i % (S + 1) !== 0), [B, S]);
    const out = model.loss(inputs, targets);
    out.loss.backward();
    clipGradNorm(opt.params, 1);
    opt.step();
    await realize(out.loss, ...opt.params);
    opt.zeroGrad();
  };
}

// bench/_prof.ts
var name = process.argv[2] ?? "wasm";
var be = await startBackend(name);
var stats = /* @__PURE__ */ new Map();
for (const m of ["unary", "binary", "where", "reduce", "argReduce", "topk", "matmul", "gather", "scatterAdd", "view", "cast", "upload", "readSync"]) {
  const orig = be[m].bind(be);
  be[m] = (...args) => {
    const t02 = performance.now();
    const r = orig(...args);
    let key = m;
    if (m === "unary" || m === "binary" || m === "reduce") key += " " + args[0] + (m === "binary" ? ` ${JSON.stringify(args[2])}x${JSON.stringify(args[4])}` : m === "reduce" ? ` ${args.slice(2).join("/")}` : ` ${args[1].size}`);
    if (m === "matmul") key += " " + JSON.stringify(args[2]);
    if (m === "view") key += " " + JSON.stringify(args[1]).slice(0, 60);
    const s = stats.get(key) ?? { n: 0, ms: 0 };
    s.n++;
    s.ms += performance.now() - t02;
    stats.set(key, s);
    return r;
  };
}
var step2 = process.argv[3] === "lm" ? await oursLmStep(name) : await oursMoeStep(name);
for (let i = 0; i < 3; i++) await step2();
stats.clear();
var reps = 5;
var t0 = performance.now();
for (let i = 0; i < reps; i++) await step2();
var total = (performance.now() - t0) / reps;
var rows = [...stats.entries()].sort((a, b) => b[1].ms - a[1].ms);
var acc = 0;
for (const [k, s] of rows) acc += s.ms / reps;
console.log("step ms", total.toFixed(1), "in primitives", acc.toFixed(1));
for (const [k, s] of rows.slice(0, 40)) console.log((s.ms / reps).toFixed(2).padStart(8), String(s.n / reps).padStart(4), k.slice(0, 150));
