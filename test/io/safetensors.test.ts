import { describe, expect, test } from 'vitest';
import fc from 'fast-check';
import { decodeSafetensors, encodeSafetensors, type SafetensorsInput } from '../../src/io/safetensors.js';
import { bytesPerElement, SAFETENSORS_DTYPES, type SafetensorsArray, type SafetensorsDType } from '../../src/io/safetensors-dtype.js';

const enc = new TextEncoder();

/** A file from a raw header object and data bytes, with no checks: for making bad files. */
function rawFile(header: unknown, data: Uint8Array = new Uint8Array(0), headerLength?: bigint): Uint8Array {
  const json = enc.encode(typeof header === 'string' ? header : JSON.stringify(header));
  const out = new Uint8Array(8 + json.length + data.length);
  new DataView(out.buffer).setBigUint64(0, headerLength ?? BigInt(json.length), true);
  out.set(json, 8);
  out.set(data, 8 + json.length);
  return out;
}

function arrayOf(dtype: SafetensorsDType, n: number, seed: number): SafetensorsArray {
  const bytes = new Uint8Array(n * bytesPerElement(dtype)).map((_, i) => (i * 131 + seed * 17) & 0xff);
  const ctor = {
    F64: Float64Array, F32: Float32Array, F16: Uint16Array, BF16: Uint16Array, F8_E4M3: Uint8Array, F8_E5M2: Uint8Array,
    I64: BigInt64Array, I32: Int32Array, I16: Int16Array, I8: Int8Array, U64: BigUint64Array, U32: Uint32Array,
    U16: Uint16Array, U8: Uint8Array, BOOL: Uint8Array,
  }[dtype];
  return new ctor(bytes.buffer, 0, n);
}

const tensorArb = fc.record({
  dtype: fc.constantFrom(...SAFETENSORS_DTYPES),
  shape: fc.array(fc.integer({ min: 0, max: 4 }), { maxLength: 3 }),
  seed: fc.integer({ min: 0, max: 255 }),
}).map(({ dtype, shape, seed }): SafetensorsInput => ({ dtype, shape, data: arrayOf(dtype, shape.reduce((a, b) => a * b, 1), seed) }));

const filesArb = fc.record({
  tensors: fc.dictionary(fc.string({ minLength: 1, maxLength: 8 }).filter((k) => k !== '__metadata__'), tensorArb, { maxKeys: 6 }),
  metadata: fc.dictionary(fc.string({ maxLength: 8 }), fc.string({ unit: 'grapheme', maxLength: 12 }), { maxKeys: 3 }),
});

const bytesOf = (a: SafetensorsArray): number[] => Array.from(new Uint8Array(a.buffer, a.byteOffset, a.byteLength));

describe('encode then decode', () => {
  test('round trip: same names, dtypes, shapes, bytes and metadata', () => {
    fc.assert(fc.property(filesArb, ({ tensors, metadata }) => {
      const back = decodeSafetensors(encodeSafetensors(tensors, metadata));
      expect(back.metadata).toEqual(metadata);
      expect(Object.keys(back.tensors).sort()).toEqual(Object.keys(tensors).sort());
      for (const [name, t] of Object.entries(tensors)) {
        const got = back.tensors[name]!;
        expect(got.dtype).toBe(t.dtype);
        expect(got.shape).toEqual(t.shape);
        expect(got.data.constructor).toBe(t.data.constructor);
        expect(bytesOf(got.data)).toEqual(bytesOf(t.data));
      }
    }), { numRuns: 200 });
  });

  test('layout: header padded with spaces to 8 bytes; larger types first, then by name; every tensor aligned', () => {
    fc.assert(fc.property(filesArb, ({ tensors, metadata }) => {
      const file = encodeSafetensors(tensors, metadata);
      const n = Number(new DataView(file.buffer).getBigUint64(0, true));
      expect(n % 8).toBe(0);
      const text = new TextDecoder().decode(file.subarray(8, 8 + n));
      expect(text).toMatch(/^\{.*\} *$/s);
      const header = JSON.parse(text) as Record<string, { dtype: SafetensorsDType; data_offsets: [number, number] }>;
      const order = Object.entries(header).filter(([k]) => k !== '__metadata__').sort(([, a], [, b]) => a.data_offsets[0] - b.data_offsets[0] || a.data_offsets[1] - b.data_offsets[1]);
      for (let i = 1; i < order.length; i++) {
        const [pa, a] = order[i - 1]!;
        const [pb, b] = order[i]!;
        expect(a.data_offsets[1]).toBe(b.data_offsets[0]);
        const sa = bytesPerElement(a.dtype), sb = bytesPerElement(b.dtype);
        // Empty tensors share an offset with their neighbour, so only non-empty ones show the order.
        if (a.data_offsets[0] < a.data_offsets[1] && b.data_offsets[0] < b.data_offsets[1]) expect(sa > sb || (sa === sb && pa < pb)).toBe(true);
      }
      for (const [, t] of order) expect((8 + n + t.data_offsets[0]) % bytesPerElement(t.dtype)).toBe(0);
    }), { numRuns: 100 });
  });

  test('reads from a view at any offset into a larger buffer (as Node Buffers are)', () => {
    fc.assert(fc.property(filesArb, fc.integer({ min: 0, max: 9 }), ({ tensors, metadata }, pad) => {
      const file = encodeSafetensors(tensors, metadata);
      const host = new Uint8Array(file.length + pad + 3).fill(0xee);
      host.set(file, pad);
      const back = decodeSafetensors(host.subarray(pad, pad + file.length));
      for (const [name, t] of Object.entries(tensors)) expect(bytesOf(back.tensors[name]!.data)).toEqual(bytesOf(t.data));
    }), { numRuns: 100 });
  });

  test('a known file, byte for byte', () => {
    const file = encodeSafetensors({ w: { shape: [2], data: Float32Array.of(1, -2) } }, { k: 'v' });
    const header = '{"__metadata__":{"k":"v"},"w":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}}';
    const padded = header + ' '.repeat(-header.length & 7);
    expect(Array.from(file.subarray(0, 8))).toEqual([padded.length, 0, 0, 0, 0, 0, 0, 0]);
    expect(new TextDecoder().decode(file.subarray(8, 8 + padded.length))).toBe(padded);
    expect(Array.from(file.subarray(8 + padded.length))).toEqual([0, 0, 0x80, 0x3f, 0, 0, 0, 0xc0]);
  });

  test('a tensor named __proto__ is just a name', () => {
    const tensors = JSON.parse('{"__proto__": 1}') as Record<string, unknown>;
    tensors['__proto__'] = { shape: [1], data: Int32Array.of(7) };
    const back = decodeSafetensors(encodeSafetensors(tensors as Record<string, SafetensorsInput>));
    expect(Object.keys(back.tensors)).toEqual(['__proto__']);
    expect(Object.getPrototypeOf(back.tensors)).toBe(Object.prototype);
  });

  test('bad input to the writer is a clear error', () => {
    expect(() => encodeSafetensors({ w: { shape: [3], data: Float32Array.of(1, 2) } })).toThrow(/'w' has shape \[3\] \(3 values\) but 2 values/);
    expect(() => encodeSafetensors({ w: { dtype: 'F16', shape: [1], data: Float32Array.of(1) } })).toThrow(/'w' is F16 but its data is a Float32Array/);
    expect(() => encodeSafetensors({ w: { shape: [1], data: Uint16Array.of(1) } })).toThrow(/F16, BF16 or U16/);
    expect(() => encodeSafetensors({ __metadata__: { shape: [1], data: Float32Array.of(1) } })).toThrow(/cannot be a tensor name/);
    expect(() => encodeSafetensors({}, { n: 1 as unknown as string })).toThrow(/value of 'n' must be a string, got number/);
  });
});

describe('the reader rejects bad files, naming the problem and where', () => {
  const good = { w: { dtype: 'F32', shape: [2], data_offsets: [0, 8] } };
  const eight = new Uint8Array(8);
  const cases: [string, Uint8Array, RegExp][] = [
    ['shorter than 8 bytes', Uint8Array.of(1, 2, 3), /file is 3 bytes, too short for the 8-byte header length/],
    ['header length past the end', rawFile(good, eight, 10_000n), /header length 10000 \(at offset 0\) is larger than the \d+ bytes after it/],
    ['header length 2^64 − 1', rawFile(good, eight, 2n ** 64n - 1n), /header length 18446744073709551615/],
    ['header not UTF-8', (() => { const f = rawFile('{"a":1}   '); f[10] = 0xff; return f; })(), /header is not valid UTF-8: bad byte 0xff at file offset 10/],
    ['header not JSON', rawFile('{"w": '), /header \(file offsets 8–14\) is not valid JSON/],
    ['header an array', rawFile('[1, 2]  '), /header must be a JSON object, got an array/],
    ['unknown dtype', rawFile({ w: { ...good.w, dtype: 'F128' } }, eight), /tensor 'w' has unknown dtype "F128"/],
    ['entry not an object', rawFile({ w: 3 }), /tensor 'w': its header entry must be an object/],
    ['negative shape', rawFile({ w: { ...good.w, shape: [-2] } }, eight), /tensor 'w' has a bad shape \[-2\]/],
    ['fractional shape', rawFile({ w: { ...good.w, shape: [1.5] } }, eight), /tensor 'w' has a bad shape \[1.5\]/],
    ['offsets not a pair', rawFile({ w: { ...good.w, data_offsets: [0] } }, eight), /tensor 'w' has bad data_offsets \[0\]/],
    ['end before begin', rawFile({ w: { ...good.w, data_offsets: [8, 0] } }, eight), /tensor 'w' has data_offsets \[8, 0\]: end is before begin/],
    ['offsets past the data', rawFile(good, new Uint8Array(4)), /tensor 'w' ends at data offset 8 \(file offset \d+\) but the data region is 4 bytes: the file is truncated/],
    ['size disagrees with shape', rawFile({ w: { ...good.w, shape: [3] } }, eight), /tensor 'w' is F32 of shape \[3\], which needs 12 bytes, but data_offsets \[0, 8\] \(file offset \d+\) hold 8/],
    ['huge shape', rawFile({ w: { ...good.w, shape: [2 ** 40, 2 ** 40] } }, eight), /needs more than 2\^53 bytes/],
    ['overlap', rawFile({ a: { dtype: 'U8', shape: [4], data_offsets: [0, 4] }, b: { dtype: 'U8', shape: [4], data_offsets: [2, 6] } }, new Uint8Array(6)), /tensor 'b' starts at data offset 2 \(file offset \d+\) inside tensor 'a', which ends at 4: tensors overlap/],
    ['gap', rawFile({ a: { dtype: 'U8', shape: [2], data_offsets: [0, 2] }, b: { dtype: 'U8', shape: [2], data_offsets: [4, 6] } }, new Uint8Array(6)), /tensor 'b' starts at data offset 4 .* but tensor 'a' ends at 2: 2 bytes belong to no tensor/],
    ['trailing bytes', rawFile(good, new Uint8Array(12)), /data region is 12 bytes but the tensors cover only 8 .*: 4 trailing bytes/],
    ['metadata value not a string', rawFile({ __metadata__: { epoch: 3 } }), /'__metadata__': the value of 'epoch' must be a string, got number/],
    ['metadata not an object', rawFile({ __metadata__: 'x' }), /'__metadata__' must be an object of strings/],
  ];
  test.each(cases)('%s', (_, bytes, message) => {
    expect(() => decodeSafetensors(bytes)).toThrow(message);
  });
});

describe('fuzzing the reader: a consistent result or an Error, never more memory than the file', () => {
  function checkOutcome(bytes: Uint8Array): void {
    let file;
    try {
      file = decodeSafetensors(bytes);
    } catch (e) {
      expect(e).toBeInstanceOf(Error);
      expect((e as Error).message).toMatch(/^safetensors: /);
      return;
    }
    let total = 0;
    for (const t of Object.values(file.tensors)) {
      expect(t.data.length).toBe(t.shape.reduce((a, b) => a * b, 1));
      total += t.data.byteLength;
    }
    expect(total).toBeLessThanOrEqual(bytes.length);
  }

  const validFile = filesArb.map(({ tensors, metadata }) => encodeSafetensors(tensors, metadata));

  test('random bytes', () => {
    fc.assert(fc.property(fc.uint8Array({ maxLength: 200 }), (b) => checkOutcome(b)), { numRuns: 500 });
  });

  test('random bytes behind a plausible header length', () => {
    fc.assert(fc.property(fc.uint8Array({ maxLength: 200 }), fc.bigInt({ min: 0n, max: 300n }), (b, n) => {
      const f = new Uint8Array(8 + b.length);
      new DataView(f.buffer).setBigUint64(0, n, true);
      f.set(b, 8);
      checkOutcome(f);
    }), { numRuns: 500 });
  });

  test('valid files with bytes changed', () => {
    const mutation = fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 4 });
    fc.assert(fc.property(validFile, mutation, (file, edits) => {
      const f = file.slice();
      for (const [i, v] of edits) f[i % f.length] = v;
      checkOutcome(f);
    }), { numRuns: 500 });
  });

  test('valid files with header text edited (digits and names changed)', () => {
    fc.assert(fc.property(validFile, fc.nat(), fc.constantFrom('0', '9', '-', '"', ']', 'e', '.', '1'), (file, at, ch) => {
      const n = Number(new DataView(file.buffer).getBigUint64(0, true));
      const f = file.slice();
      f[8 + (at % n)] = ch.charCodeAt(0);
      checkOutcome(f);
    }), { numRuns: 500 });
  });

  test('truncated and extended files', () => {
    fc.assert(fc.property(validFile, fc.nat(), fc.boolean(), (file, cut, extend) => {
      if (extend) {
        const f = new Uint8Array(file.length + 1 + (cut % 16));
        f.set(file);
        expect(() => decodeSafetensors(f)).toThrow(/trailing bytes|tensors cover/);
      } else {
        checkOutcome(file.subarray(0, cut % (file.length + 1)));
      }
    }), { numRuns: 500 });
  });
});
