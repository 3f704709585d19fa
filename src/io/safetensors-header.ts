/**
 * The safetensors header's JSON, read by a parser that knows its one
 * shape — { "__metadata__": { string: string }, name: { "dtype": string,
 * "shape": [numbers], "data_offsets": [numbers] } } — and builds nothing
 * else. JSON.parse would build whatever the text describes, at 20–60 times
 * the bytes for small values (measured: `{}` ×5 M, a million metadata keys,
 * a shape of 10 M zeros, 10^6 nested brackets; a million empty tensors cost
 * 2 GB), so a hostile header could make the reader allocate far more than
 * the file. Here every value the reader keeps is bounded per entry:
 *
 *   - at most MAX_TENSORS tensors and MAX_METADATA_ENTRIES metadata keys,
 *   - a shape of at most MAX_RANK numbers, data_offsets of at most 2,
 *   - any other field of a tensor entry (the format defines none; serde,
 *     which the reference reader uses, ignores them) is skipped without
 *     being built, to a nesting depth of MAX_DEPTH,
 *   - strings are slices of the header text (a copy only where they hold
 *     escapes, no longer than the escaped text).
 *
 * So what it keeps is at most a small multiple of the header's bytes
 * (test/hostile measures the peak of a child process).
 */

/** At most this many tensors in one file; real files hold hundreds to a few thousand. */
export const MAX_TENSORS = 65_536;
/** At most this many metadata keys; writers put a handful there. */
export const MAX_METADATA_ENTRIES = 1024;
/** At most this many dimensions (NumPy's limit, NPY_MAXDIMS, is 64). */
export const MAX_RANK = 64;
/** How deep an ignored field may nest. */
const MAX_DEPTH = 64;
export const METADATA_KEY = '__metadata__';

/** A tensor's header entry as written: each field undefined when absent; checked by the caller. */
export interface RawTensorEntry {
  name: string;
  dtype?: string;
  shape?: number[];
  data_offsets?: number[];
}

export interface ParsedHeader {
  metadata: Record<string, string>;
  tensors: RawTensorEntry[];
}

const NUMBER = /-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?/y;
const FIELDS = (['dtype', 'shape', 'data_offsets'] as const).map((name) => ({ name, quoted: `"${name}"` }));

/**
 * Parses the header `text` (decoded from file offsets 8 … headerEnd) or
 * throws an Error naming what is wrong and its file offset.
 */
export function parseHeader(text: string, headerEnd: number): ParsedHeader {
  return new HeaderParser(text, headerEnd).header();
}

class HeaderParser {
  private pos = 0;
  private readonly scratch = new Array<number>(MAX_RANK).fill(0);

  constructor(
    private readonly text: string,
    private readonly headerEnd: number,
  ) {}

  header(): ParsedHeader {
    this.ws();
    const c = this.text[this.pos];
    if (c !== '{' && c !== undefined) throw this.error(`the header must be a JSON object, got ${kindAt(c)}`);
    const metadata: [string, string][] = [];
    const tensors: RawTensorEntry[] = [];
    const names = new Set<string>();
    let sawMetadata = false;
    this.members(() => {
      const name = this.key();
      if (name === METADATA_KEY ? sawMetadata : names.has(name)) throw this.error(`the header names ${JSON.stringify(name)} twice`);
      if (name === METADATA_KEY) {
        sawMetadata = true;
        this.metadata(metadata);
      } else {
        if (tensors.length === MAX_TENSORS) throw this.error(`the header (file offsets 8–${this.headerEnd}) has more than ${MAX_TENSORS} tensors`);
        names.add(name);
        tensors.push(this.tensor(name));
      }
    });
    this.ws();
    if (this.pos < this.text.length) throw this.syntax('text after the closing brace');
    return { metadata: Object.fromEntries(metadata), tensors };
  }

  private metadata(into: [string, string][]): void {
    if (this.peek() !== '{') throw this.error(`header '${METADATA_KEY}' must be an object of strings`);
    const keys = new Set<string>();
    this.members(() => {
      const key = this.key();
      if (keys.has(key)) throw this.error(`header '${METADATA_KEY}' names ${JSON.stringify(key)} twice`);
      if (keys.size === MAX_METADATA_ENTRIES) throw this.error(`header '${METADATA_KEY}' has more than ${MAX_METADATA_ENTRIES} entries`);
      const c = this.peek();
      if (c !== '"') throw this.error(`header '${METADATA_KEY}': the value of '${key}' must be a string, got ${typeNameAt(c)}`);
      keys.add(key);
      into.push([key, this.string()]);
    });
  }

  private tensor(name: string): RawTensorEntry {
    const where = `tensor '${name}'`;
    if (this.peek() !== '{') throw this.error(`${where}: its header entry must be an object`);
    const entry: RawTensorEntry = { name, dtype: undefined, shape: undefined, data_offsets: undefined };
    this.members(() => {
      const field = this.field();
      if (field === 'dtype' || field === 'shape' || field === 'data_offsets') {
        if (entry[field] !== undefined) throw this.error(`${where} gives "${field}" twice`);
        if (field === 'dtype') {
          if (this.peek() !== '"') throw this.error(`${where} has unknown dtype ${this.excerpt()}: expected a string such as "F32"`);
          entry.dtype = this.string();
        } else if (field === 'shape') {
          entry.shape = this.numbers(MAX_RANK, () => `${where} has a bad shape ${this.excerpt()}: expected an array of at most ${MAX_RANK} non-negative integers`);
        } else {
          entry.data_offsets = this.numbers(2, () => `${where} has bad data_offsets ${this.excerpt()}: expected [begin, end], non-negative integers`);
        }
      } else {
        this.skipValue();
      }
    });
    return entry;
  }

  /** An array of at most `most` numbers; anything else is `bad()`. */
  private numbers(most: number, bad: () => string): number[] {
    const start = this.pos;
    if (this.peek() !== '[') throw this.error(bad());
    // Read into a scratch array and keep an exact-size copy: a pushed-to array reserves room for 17.
    const scratch = this.scratch;
    let n = 0;
    this.pos++;
    this.ws();
    if (this.text[this.pos] === ']') {
      this.pos++;
      return [];
    }
    for (;;) {
      this.ws();
      const v = n < most ? this.number() : undefined;
      if (v === undefined) {
        this.pos = start;
        throw this.error(bad());
      }
      scratch[n++] = v;
      this.ws();
      const c = this.text[this.pos++];
      if (c === ']') return scratch.slice(0, n);
      if (c !== ',') throw this.syntax("',' or ']' expected");
    }
  }

  /** The JSON number at pos (undefined if none): plain digits read in place, anything else through Number. */
  private number(): number | undefined {
    let v = 0;
    let i = this.pos;
    for (let c = this.text.charCodeAt(i); c >= 0x30 && c <= 0x39 && i - this.pos < 15; c = this.text.charCodeAt(++i)) v = v * 10 + (c - 0x30);
    const next = this.text.charCodeAt(i);
    const plain = i > this.pos && !(next >= 0x30 && next <= 0x39) && next !== 0x2e && next !== 0x65 && next !== 0x45 && !(this.text[this.pos] === '0' && i - this.pos > 1);
    if (plain) {
      this.pos = i;
      return v;
    }
    NUMBER.lastIndex = this.pos;
    const m = NUMBER.exec(this.text);
    if (!m) return undefined;
    this.pos += m[0].length;
    return Number(m[0]);
  }

  /** Calls `member` for each member of the object at pos (pos on its '{'), consuming the '}' . */
  private members(member: () => void): void {
    this.expect('{');
    this.ws();
    if (this.text[this.pos] === '}') {
      this.pos++;
      return;
    }
    for (;;) {
      this.ws();
      member();
      this.ws();
      const c = this.text[this.pos++];
      if (c === '}') return;
      if (c !== ',') throw this.syntax("',' or '}' expected");
    }
  }

  /** A tensor entry's key: one of the format's three fields without building a string for it (the common case), else any key. */
  private field(): string {
    for (const f of FIELDS) {
      if (this.text.startsWith(f.quoted, this.pos)) {
        this.pos += f.quoted.length;
        this.colon();
        return f.name;
      }
    }
    return this.key();
  }

  /** A member's key and its colon; pos ends on the value's first character. */
  private key(): string {
    if (this.text[this.pos] !== '"') throw this.syntax('a quoted key expected');
    const k = this.string();
    this.colon();
    return k;
  }

  /** The colon after a key; pos ends on the value's first character. */
  private colon(): void {
    this.ws();
    this.expect(':');
    this.ws();
    if (this.pos >= this.text.length) throw this.syntax('a value expected');
  }

  /** The string at pos: a slice of the text, or (with escapes) JSON.parse of the quoted slice. */
  private string(): string {
    const start = this.pos++;
    let escaped = false;
    for (;;) {
      const c = this.text.charCodeAt(this.pos);
      if (Number.isNaN(c)) throw this.syntax('unterminated string');
      if (c === 0x22) break;
      if (c < 0x20) throw this.syntax('a control character in a string');
      if (c === 0x5c) {
        escaped = true;
        this.pos++;
      }
      this.pos++;
    }
    this.pos++;
    if (!escaped) return this.text.slice(start + 1, this.pos - 1);
    try {
      return JSON.parse(this.text.slice(start, this.pos)) as string;
    } catch {
      this.pos = start;
      throw this.syntax('a bad escape in a string');
    }
  }

  /**
   * Steps over any JSON value without building it: only the kinds of the
   * open containers are kept (at most MAX_DEPTH of them).
   */
  private skipValue(): void {
    const open: boolean[] = []; // true: an object, whose members start with a key
    for (;;) {
      this.ws();
      const c = this.text[this.pos];
      if (c === '{' || c === '[') {
        if (open.length === MAX_DEPTH) throw this.error(`the header nests deeper than ${MAX_DEPTH} levels`);
        this.pos++;
        this.ws();
        if (this.text[this.pos] !== (c === '{' ? '}' : ']')) {
          open.push(c === '{');
          if (c === '{') this.key();
          continue;
        }
        this.pos++; // an empty container: a whole value
      } else if (c === '"') {
        this.string();
      } else if (c === 't' || c === 'f' || c === 'n') {
        const word = c === 't' ? 'true' : c === 'f' ? 'false' : 'null';
        if (!this.text.startsWith(word, this.pos)) throw this.syntax('a value expected');
        this.pos += word.length;
      } else if (this.number() === undefined) {
        throw this.syntax('a value expected');
      }
      // After a value: close the containers it ends, or go on to the next member.
      for (;;) {
        if (open.length === 0) return;
        this.ws();
        const inObject = open[open.length - 1]!;
        const d = this.text[this.pos++];
        if (d === ',') {
          if (inObject) {
            this.ws();
            this.key();
          }
          break;
        }
        if (d !== (inObject ? '}' : ']')) throw this.syntax(`',' or '${inObject ? '}' : ']'}' expected`);
        open.pop();
      }
    }
  }

  private ws(): void {
    for (;;) {
      const c = this.text.charCodeAt(this.pos);
      if (c !== 0x20 && c !== 0x0a && c !== 0x0d && c !== 0x09) return;
      this.pos++;
    }
  }

  private peek(): string | undefined {
    return this.text[this.pos];
  }

  private expect(c: string): void {
    if (this.text[this.pos] !== c) throw this.syntax(`'${c}' expected`);
    this.pos++;
  }

  /** Up to 40 characters of the value at pos, for a message. */
  private excerpt(): string {
    const s = this.text.slice(this.pos, this.pos + 40).trim();
    return this.text.length > this.pos + 40 ? `${s}…` : s;
  }

  /** The file offset of text position `at`: 8 plus the UTF-8 length of the text before it. */
  private fileOffset(at = this.pos): number {
    return 8 + new TextEncoder().encode(this.text.slice(0, at)).length;
  }

  private syntax(what: string): Error {
    const where = this.pos >= this.text.length ? 'at the end' : `at file offset ${this.fileOffset()}`;
    return new Error(`safetensors: the header (file offsets 8–${this.headerEnd}) is not valid JSON: ${what} ${where}`);
  }

  private error(message: string): Error {
    return new Error(`safetensors: ${message} (file offset ${this.fileOffset()})`);
  }
}

/** The JSON type a value starting with `c` has, as typeof names it (an array and null as JSON.parse's typeof would). */
function typeNameAt(c: string | undefined): string {
  if (c === 'n') return 'null';
  if (c === 't' || c === 'f') return 'boolean';
  if (c === '{' || c === '[') return 'object';
  return 'number';
}

function kindAt(c: string): string {
  if (c === '[') return 'an array';
  if (c === 'n') return 'null';
  if (c === '"') return 'a string';
  if (c === 't' || c === 'f') return 'a boolean';
  return 'a number';
}
