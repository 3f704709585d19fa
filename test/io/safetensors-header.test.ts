/**
 * The header parser against JSON.parse: on any text it either refuses with
 * a safetensors error or returns exactly the entries JSON.parse finds — it
 * never accepts text JSON.parse rejects, and never reads a value differently.
 * Its limits (counts, rank, depth) are errors that name them.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { MAX_METADATA_ENTRIES, MAX_RANK, MAX_TENSORS, parseHeader, type ParsedHeader } from '../../src/io/safetensors-header.js';

/** What JSON.parse reads from `text`, in the parser's terms (only called when the parser accepted it). */
function reference(text: string): ParsedHeader {
  const obj = JSON.parse(text) as Record<string, unknown>;
  const tensors = Object.entries(obj).filter(([k]) => k !== '__metadata__').map(([name, v]) => {
    const e = v as Record<string, unknown>;
    return { name, dtype: e.dtype as string | undefined, shape: e.shape as number[] | undefined, data_offsets: e.data_offsets as number[] | undefined };
  });
  return { metadata: (obj.__metadata__ ?? {}) as Record<string, string>, tensors };
}

function agrees(text: string): void {
  let got: ParsedHeader;
  try {
    got = parseHeader(text, 8 + text.length);
  } catch (e) {
    expect(e).toBeInstanceOf(Error);
    expect((e as Error).message).toMatch(/^safetensors: /);
    return;
  }
  expect(() => JSON.parse(text)).not.toThrow();
  expect(got).toEqual(reference(text));
}

const name = fc.oneof(fc.string({ maxLength: 6 }), fc.constantFrom('w', 'a.b', 'é', '"q"', '\\', '__proto__', 'dtype'));
const entry = fc.record({
  dtype: fc.constantFrom('F32', 'I32', 'U8', 'BF16'),
  shape: fc.array(fc.nat(5), { maxLength: 4 }),
  data_offsets: fc.tuple(fc.nat(40), fc.nat(40)),
}).chain((e) => fc.option(fc.jsonValue({ maxDepth: 3 }), { nil: undefined }).map((extra) => (extra === undefined ? e : { ...e, extra })));
const header = fc.record({
  metadata: fc.option(fc.dictionary(name, fc.string({ maxLength: 8 }), { maxKeys: 3 }), { nil: undefined }),
  tensors: fc.dictionary(name.filter((n) => n !== '__metadata__'), entry, { maxKeys: 4 }),
});
/** JSON text of a header, with whitespace between tokens where `spaced`. */
const headerText = fc.tuple(header, fc.boolean()).map(([h, spaced]) => {
  const obj = { ...(h.metadata ? { __metadata__: h.metadata } : {}), ...h.tensors };
  return spaced ? JSON.stringify(obj, null, 1) : JSON.stringify(obj);
});

describe('parseHeader agrees with JSON.parse', () => {
  it('on valid headers, extra fields of any JSON included', () => {
    fc.assert(fc.property(headerText, (text) => {
      const got = parseHeader(text, 8 + text.length);
      expect(got).toEqual(reference(text));
    }), { numRuns: 300 });
  });

  it('on headers with one character inserted, deleted or replaced', () => {
    const edit = fc.tuple(fc.nat(), fc.constantFrom('insert', 'delete', 'replace'), fc.constantFrom(...'{}[]",:0-.e \\tnu1\n\t\u0001'.split('')));
    fc.assert(fc.property(headerText, edit, (text, [at, kind, ch]) => {
      const i = at % (text.length + 1);
      const edited = kind === 'insert' ? text.slice(0, i) + ch + text.slice(i) : kind === 'delete' ? text.slice(0, i) + text.slice(i + 1) : text.slice(0, i) + ch + text.slice(i + 1);
      agrees(edited);
    }), { numRuns: 1000 });
  });

  it('on any short text', () => {
    fc.assert(fc.property(fc.string({ maxLength: 40, unit: fc.constantFrom(...'{}[]",:0123-.eE \\tnulfase"dtype\n\u0001'.split('')) }), agrees), { numRuns: 1000 });
  });
});

describe('the limits are named', () => {
  const zero = (i: number): string => `"t${i}":{"dtype":"F32","shape":[0],"data_offsets":[0,0]}`;
  it(`${MAX_TENSORS} tensors are read, one more is refused`, () => {
    const entries = Array.from({ length: MAX_TENSORS }, (_, i) => zero(i));
    expect(parseHeader(`{${entries.join(',')}}`, 0).tensors).toHaveLength(MAX_TENSORS);
    expect(() => parseHeader(`{${[...entries, zero(MAX_TENSORS)].join(',')}}`, 0)).toThrow(`has more than ${MAX_TENSORS} tensors`);
  });

  it(`${MAX_METADATA_ENTRIES} metadata keys, a shape of ${MAX_RANK} axes, nesting of 64 levels; one more of each is refused`, () => {
    const meta = (n: number): string => `{"__metadata__":{${Array.from({ length: n }, (_, i) => `"k${i}":""`).join(',')}}}`;
    expect(Object.keys(parseHeader(meta(MAX_METADATA_ENTRIES), 0).metadata)).toHaveLength(MAX_METADATA_ENTRIES);
    expect(() => parseHeader(meta(MAX_METADATA_ENTRIES + 1), 0)).toThrow(`'__metadata__' has more than ${MAX_METADATA_ENTRIES} entries`);
    const shaped = (n: number): string => `{"w":{"dtype":"U8","shape":[${Array(n).fill(1).join(',')}],"data_offsets":[0,1]}}`;
    expect(parseHeader(shaped(MAX_RANK), 0).tensors[0]!.shape).toHaveLength(MAX_RANK);
    expect(() => parseHeader(shaped(MAX_RANK + 1), 0)).toThrow(`tensor 'w' has a bad shape [1,1,`);
    const nested = (n: number): string => `{"w":{"x":${'['.repeat(n)}${']'.repeat(n)}}}`;
    expect(parseHeader(nested(64), 0).tensors[0]!.name).toBe('w');
    expect(() => parseHeader(nested(65), 0)).toThrow('the header nests deeper than 64 levels');
  });

  it('a field given twice, a metadata key given twice, and a value of the wrong type are named', () => {
    expect(() => parseHeader('{"w":{"dtype":"F32","dtype":"U8"}}', 0)).toThrow(`tensor 'w' gives "dtype" twice`);
    expect(() => parseHeader('{"__metadata__":{"a":"1","a":"2"}}', 0)).toThrow(`'__metadata__' names "a" twice`);
    expect(() => parseHeader('{"w":{"dtype":7}}', 0)).toThrow(`tensor 'w' has unknown dtype 7}}: expected a string such as "F32"`);
    expect(() => parseHeader('{"w":{"shape":{"a":1}}}', 0)).toThrow(`tensor 'w' has a bad shape {"a":1}}}`);
    expect(() => parseHeader('{"w":{"data_offsets":[0,1,2]}}', 0)).toThrow(`tensor 'w' has bad data_offsets [0,1,2]}}: expected [begin, end]`);
  });
});
