/**
 * safetensors: the weight format of Hugging Face and PyTorch
 * (https://github.com/huggingface/safetensors). A file is
 *
 *   [8 bytes]  N, the header length, unsigned 64-bit little-endian
 *   [N bytes]  a JSON object, UTF-8, padded with spaces:
 *              { "__metadata__": { "key": "string value", … },
 *                "tensor name": { "dtype": "F32", "shape": [2, 3], "data_offsets": [begin, end] }, … }
 *   [rest]     the tensors' bytes, little-endian, row-major; offsets count from here
 *
 * Nothing else: no code, no pickle, so loading a file cannot run anything.
 * The reader trusts nothing in the file. Every length is checked against the
 * file's size before anything is allocated; the header is read by a parser
 * that builds only the entries the format defines, each of bounded size
 * (safetensors-header.ts), so a hostile header cannot make us allocate more
 * than a small multiple of the file; the tensors must tile the data region
 * exactly (no gaps, no overlaps), as the reference implementation requires.
 */
import {
  arrayFromLittleEndian, arrayMatches, bytesPerElement, dtypeOfArray, isSafetensorsDType, littleEndianBytes,
  SAFETENSORS_DTYPES, type SafetensorsArray, type SafetensorsDType,
} from './safetensors-dtype.js';
import {
  MAX_METADATA_ENTRIES, MAX_RANK, MAX_TENSORS, METADATA_KEY, parseHeader, type ParsedHeader, type RawTensorEntry,
} from './safetensors-header.js';
import { decodeUtf8 } from './utf8.js';

export { MAX_METADATA_ENTRIES, MAX_RANK, MAX_TENSORS } from './safetensors-header.js';

export interface SafetensorsTensor {
  dtype: SafetensorsDType;
  shape: number[];
  data: SafetensorsArray;
}

/** What `encodeSafetensors` accepts: the dtype may be left out where the array type says it. */
export interface SafetensorsInput {
  dtype?: SafetensorsDType;
  shape: readonly number[];
  data: SafetensorsArray;
}

export interface SafetensorsFile {
  tensors: Record<string, SafetensorsTensor>;
  metadata: Record<string, string>;
}

const EMPTY = new Uint8Array(0);

/** The reference implementation's limit; real headers are kilobytes. */
export const MAX_HEADER_BYTES = 100_000_000;

// ---------------------------------------------------------------- writing

/**
 * Serializes tensors and string metadata. Layout follows the reference
 * writer: larger element types first, then by name, so every tensor starts
 * at a multiple of its element size (the header is padded to 8 bytes).
 */
export function encodeSafetensors(tensors: Record<string, SafetensorsInput>, metadata: Record<string, string> = {}): Uint8Array {
  const entries = Object.entries(tensors).map(([name, t]) => [name, checkInput(name, t)] as const);
  // What the reader accepts (safetensors-header.ts): a file it would refuse is not written.
  if (entries.length > MAX_TENSORS) throw new Error(`safetensors: ${entries.length} tensors, more than the ${MAX_TENSORS} a file may hold`);
  if (Object.keys(metadata).length > MAX_METADATA_ENTRIES) throw new Error(`safetensors: ${Object.keys(metadata).length} metadata entries, more than the ${MAX_METADATA_ENTRIES} a file may hold`);
  entries.sort(([a, x], [b, y]) => bytesPerElement(y.dtype) - bytesPerElement(x.dtype) || (a < b ? -1 : a > b ? 1 : 0));

  // Built as text, not as an object: JS objects list integer-like keys ('0', '12') first,
  // and we want the header to list the tensors in file order.
  const fields: string[] = [];
  const meta = checkMetadata(metadata, 'metadata');
  if (Object.keys(meta).length > 0) fields.push(`${JSON.stringify(METADATA_KEY)}:${JSON.stringify(meta)}`);
  let offset = 0;
  for (const [name, t] of entries) {
    const end = offset + t.data.byteLength;
    fields.push(`${JSON.stringify(name)}:${JSON.stringify({ dtype: t.dtype, shape: t.shape, data_offsets: [offset, end] })}`);
    offset = end;
  }
  const json = new TextEncoder().encode(`{${fields.join(',')}}`);
  const padded = Math.ceil(json.length / 8) * 8;
  const out = new Uint8Array(8 + padded + offset);
  new DataView(out.buffer).setBigUint64(0, BigInt(padded), true);
  out.set(json, 8);
  out.fill(0x20, 8 + json.length, 8 + padded); // spaces, as the reference writer pads
  let at = 8 + padded;
  for (const [, t] of entries) {
    out.set(littleEndianBytes(t.data), at);
    at += t.data.byteLength;
  }
  return out;
}

function checkInput(name: string, t: SafetensorsInput): SafetensorsTensor {
  if (name === '' || name === METADATA_KEY) throw new Error(`safetensors: '${name}' cannot be a tensor name`);
  const dtype = t.dtype ?? dtypeOfArray(t.data);
  if (!isSafetensorsDType(dtype)) throw new Error(`safetensors: tensor '${name}' has unknown dtype '${String(dtype)}'`);
  if (!arrayMatches(dtype, t.data)) throw new Error(`safetensors: tensor '${name}' is ${dtype} but its data is a ${t.data.constructor.name}`);
  const shape = [...t.shape];
  if (shape.some((d) => !Number.isSafeInteger(d) || d < 0)) throw new Error(`safetensors: tensor '${name}' has a bad shape [${shape.join(', ')}]`);
  if (shape.length > MAX_RANK) throw new Error(`safetensors: tensor '${name}' has ${shape.length} dimensions, more than ${MAX_RANK}`);
  const count = shape.reduce((a, b) => a * b, 1);
  if (count !== t.data.length) throw new Error(`safetensors: tensor '${name}' has shape [${shape.join(', ')}] (${count} values) but ${t.data.length} values`);
  return { dtype, shape, data: t.data };
}

// ---------------------------------------------------------------- reading

/** Parses a safetensors file, or throws an Error saying what is wrong and where. */
export function decodeSafetensors(bytes: Uint8Array): SafetensorsFile {
  const { header, dataStart } = readHeader(bytes);
  const dataLength = bytes.length - dataStart;
  const infos = header.tensors.map((t) => checkInfo(t, dataLength, dataStart));
  checkTiling(infos, dataLength, dataStart);
  const tensors = Object.fromEntries(infos.map((t) => [t.name, {
    dtype: t.dtype,
    shape: t.shape,
    data: arrayFromLittleEndian(t.dtype, t.end === t.begin ? EMPTY : bytes.subarray(dataStart + t.begin, dataStart + t.end)),
  }]));
  return { tensors, metadata: header.metadata };
}

/**
 * The metadata alone, from bytes that hold at least the 8-byte length and
 * the header (the tensors' bytes may be left out): for reading a file's
 * step or format without reading its weights.
 */
export function decodeSafetensorsMetadata(bytes: Uint8Array): Record<string, string> {
  return readHeader(bytes).header.metadata;
}

/** The header's length N from the first 8 bytes: the file's first 8 + N bytes hold the whole header. */
export function safetensorsHeaderLength(first8: Uint8Array): number {
  if (first8.length < 8) throw new Error(`safetensors: ${first8.length} bytes, too short for the 8-byte header length`);
  const n = new DataView(first8.buffer, first8.byteOffset, 8).getBigUint64(0, true);
  if (n > BigInt(MAX_HEADER_BYTES)) throw new Error(`safetensors: header length ${n} is over the ${MAX_HEADER_BYTES}-byte limit`);
  return Number(n);
}

/** The parsed header and where the data region starts. */
function readHeader(bytes: Uint8Array): { header: ParsedHeader; dataStart: number } {
  if (!(bytes instanceof Uint8Array)) throw new Error(`safetensors: expected the file's bytes as a Uint8Array (a Node Buffer is one), got ${bytes === null ? 'null' : typeof bytes === 'object' ? (bytes as object).constructor.name : typeof bytes}`);
  if (bytes.length < 8) throw new Error(`safetensors: the file is ${bytes.length} bytes, too short for the 8-byte header length`);
  const n = new DataView(bytes.buffer, bytes.byteOffset, 8).getBigUint64(0, true);
  if (n > BigInt(bytes.length - 8)) throw new Error(`safetensors: header length ${n} (at offset 0) is larger than the ${bytes.length - 8} bytes after it: the file is truncated or not safetensors`);
  if (n > BigInt(MAX_HEADER_BYTES)) throw new Error(`safetensors: header length ${n} is over the ${MAX_HEADER_BYTES}-byte limit`);
  const headerEnd = 8 + Number(n);
  let text: string;
  try {
    text = decodeUtf8(bytes.subarray(8, headerEnd), 'safetensors: the header');
  } catch (e) {
    // Report the offset in the file, not in the header.
    throw new Error((e as Error).message.replace(/at offset (\d+)/, (_, k: string) => `at file offset ${8 + Number(k)}`));
  }
  return { header: parseHeader(text, headerEnd), dataStart: headerEnd };
}

interface TensorInfo {
  name: string;
  dtype: SafetensorsDType;
  shape: number[];
  begin: number;
  end: number;
}

function checkInfo(entry: RawTensorEntry, dataLength: number, dataStart: number): TensorInfo {
  const { name, dtype, shape, data_offsets: offsets } = entry;
  const where = `tensor '${name}'`;
  if (!isSafetensorsDType(dtype)) {
    throw new Error(`safetensors: ${where} has unknown dtype ${JSON.stringify(dtype)} (known: ${SAFETENSORS_DTYPES.join(', ')})`);
  }
  if (!Array.isArray(shape) || shape.some((d) => !Number.isSafeInteger(d) || d < 0)) {
    throw new Error(`safetensors: ${where} has a bad shape ${JSON.stringify(shape)}: expected an array of non-negative integers`);
  }
  if (!Array.isArray(offsets) || offsets.length !== 2 || offsets.some((o) => !Number.isSafeInteger(o) || o < 0)) {
    throw new Error(`safetensors: ${where} has bad data_offsets ${JSON.stringify(offsets)}: expected [begin, end], non-negative integers`);
  }
  const [begin, end] = offsets as [number, number];
  if (end < begin) throw new Error(`safetensors: ${where} has data_offsets [${begin}, ${end}]: end is before begin`);
  if (end > dataLength) {
    throw new Error(`safetensors: ${where} ends at data offset ${end} (file offset ${dataStart + end}) but the data region is ${dataLength} bytes: the file is truncated`);
  }
  // Count elements without overflowing: stop as soon as they could not fit.
  const size = bytesPerElement(dtype);
  let bytesNeeded = size;
  for (const d of shape) bytesNeeded = Math.min(bytesNeeded * d, Number.MAX_SAFE_INTEGER);
  if (bytesNeeded !== end - begin) {
    throw new Error(`safetensors: ${where} is ${dtype} of shape [${shape.join(', ')}], which needs ${bytesNeeded === Number.MAX_SAFE_INTEGER ? 'more than 2^53' : bytesNeeded} bytes, but data_offsets [${begin}, ${end}] (file offset ${dataStart + begin}) hold ${end - begin}`);
  }
  return { name, dtype, shape, begin, end };
}

/** Sorted by offset, the tensors must cover [0, dataLength) exactly once. */
function checkTiling(infos: TensorInfo[], dataLength: number, dataStart: number): void {
  infos.sort((a, b) => a.begin - b.begin || a.end - b.end);
  let pos = 0;
  let prev = 'the start of the data region';
  for (const t of infos) {
    if (t.begin < pos) {
      throw new Error(`safetensors: tensor '${t.name}' starts at data offset ${t.begin} (file offset ${dataStart + t.begin}) inside ${prev}, which ends at ${pos}: tensors overlap`);
    }
    if (t.begin > pos) {
      throw new Error(`safetensors: tensor '${t.name}' starts at data offset ${t.begin} (file offset ${dataStart + t.begin}) but ${prev} ends at ${pos}: ${t.begin - pos} bytes belong to no tensor`);
    }
    pos = t.end;
    prev = `tensor '${t.name}'`;
  }
  if (pos !== dataLength) {
    throw new Error(`safetensors: the data region is ${dataLength} bytes but the tensors cover only ${pos} (${prev} ends at file offset ${dataStart + pos}): ${dataLength - pos} trailing bytes belong to no tensor`);
  }
}

function checkMetadata(value: unknown, what: string): Record<string, string> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new Error(`safetensors: ${what} must be an object of strings`);
  for (const [k, v] of Object.entries(value)) {
    if (typeof v !== 'string') throw new Error(`safetensors: ${what}: the value of '${k}' must be a string, got ${v === null ? 'null' : typeof v}`);
  }
  return Object.fromEntries(Object.entries(value as Record<string, string>));
}
