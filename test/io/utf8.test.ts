import { expect, test } from 'vitest';
import fc from 'fast-check';
import { decodeUtf8, firstInvalidUtf8 } from '../../src/io/utf8.js';

test('firstInvalidUtf8 agrees with a fatal TextDecoder on any bytes', () => {
  const fatal = new TextDecoder('utf-8', { fatal: true });
  const bytes = fc.oneof(
    fc.uint8Array({ maxLength: 40 }),
    fc.string({ unit: 'binary', maxLength: 20 }).map((s) => new TextEncoder().encode(s)),
  );
  fc.assert(fc.property(bytes, (b) => {
    let ok = true;
    try { fatal.decode(b); } catch { ok = false; }
    expect(firstInvalidUtf8(b) === -1).toBe(ok);
  }), { numRuns: 1000 });
});

test('the error names the byte and its offset', () => {
  expect(decodeUtf8(Uint8Array.of(0x68, 0x69), 'x')).toBe('hi');
  expect(() => decodeUtf8(Uint8Array.of(0x41, 0xed, 0xa0, 0x80), 'the header')).toThrow('the header is not valid UTF-8: bad byte 0xed at offset 1');
});
