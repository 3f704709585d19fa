/**
 * Strict UTF-8 decoding that says *where* the bytes went wrong. TextDecoder
 * with `fatal` rejects bad input but gives no position; a user looking at a
 * broken file wants the byte offset, so on failure we walk the bytes once.
 */
const strict = new TextDecoder('utf-8', { fatal: true, ignoreBOM: false });

/** Decodes `bytes` or throws an Error naming `what` and the first bad byte offset. */
export function decodeUtf8(bytes: Uint8Array, what: string): string {
  try {
    return strict.decode(bytes);
  } catch {
    const at = firstInvalidUtf8(bytes);
    const hex = (bytes[at] ?? 0).toString(16).padStart(2, '0');
    throw new Error(`${what} is not valid UTF-8: bad byte 0x${hex} at offset ${at}`);
  }
}

/** Offset of the first byte that starts an ill-formed sequence, or -1 if the bytes are valid. */
export function firstInvalidUtf8(b: Uint8Array): number {
  let i = 0;
  while (i < b.length) {
    const len = sequenceLength(b, i);
    if (len === 0) return i;
    i += len;
  }
  return -1;
}

/** Length of the well-formed sequence at i (1–4), or 0 (Unicode Table 3-7). */
function sequenceLength(b: Uint8Array, i: number): number {
  const c = b[i]!;
  if (c < 0x80) return 1;
  const cont = (k: number, lo = 0x80, hi = 0xbf): boolean => i + k < b.length && b[i + k]! >= lo && b[i + k]! <= hi;
  if (c >= 0xc2 && c <= 0xdf) return cont(1) ? 2 : 0;
  if (c >= 0xe0 && c <= 0xef) {
    // E0 needs A0.. (no overlongs), ED needs ..9F (no surrogates).
    const lo = c === 0xe0 ? 0xa0 : 0x80;
    const hi = c === 0xed ? 0x9f : 0xbf;
    return cont(1, lo, hi) && cont(2) ? 3 : 0;
  }
  if (c >= 0xf0 && c <= 0xf4) {
    // F0 needs 90.. (no overlongs), F4 needs ..8F (nothing above U+10FFFF).
    const lo = c === 0xf0 ? 0x90 : 0x80;
    const hi = c === 0xf4 ? 0x8f : 0xbf;
    return cont(1, lo, hi) && cont(2) && cont(3) ? 4 : 0;
  }
  return 0;
}
