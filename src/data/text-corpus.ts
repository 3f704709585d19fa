/**
 * A corpus of your own: one UTF-8 text file, or a folder of them. Node only.
 *
 * In a folder we take every `.txt` and `.md` file (any case), recursively,
 * skipping hidden entries (names starting with '.') and `node_modules`, in
 * sorted path order so the corpus is the same on every machine. Each file is
 * one document; its genre is the first sub-folder it sits in ('' at the top),
 * so a folder per source gives stratified splits for free. A single file
 * given by path may have any name. Line endings become '\n' and a leading
 * byte-order mark is dropped; otherwise the text is kept as it is.
 */
import { readdirSync, readFileSync, statSync, type Stats } from 'node:fs';
import { basename, join, relative, sep } from 'node:path';
import { decodeUtf8 } from '../io/utf8.js';
import type { TextDocument } from './document.js';

const TEXT_FILE = /\.(txt|md)$/i;

export function loadTextCorpus(path: string): TextDocument[] {
  const st = statOrThrow(path);
  if (st.isFile()) {
    const doc = readDocument(path, basename(path), '');
    if (doc.text.trim() === '') throw new Error(`corpus file ${path} is empty`);
    return [doc];
  }
  if (!st.isDirectory()) throw new Error(`corpus path ${path} is neither a file nor a folder`);
  const files = listTextFiles(path);
  if (files.length === 0) throw new Error(`corpus folder ${path} holds no .txt or .md files`);
  const docs = files
    .map((f) => {
      const id = relative(path, f).split(sep).join('/');
      const genre = id.includes('/') ? id.slice(0, id.indexOf('/')) : '';
      return readDocument(f, id, genre);
    })
    .filter((d) => d.text.trim() !== '');
  if (docs.length === 0) throw new Error(`corpus folder ${path}: all ${files.length} text files are empty`);
  return docs;
}

function statOrThrow(path: string): Stats {
  try {
    return statSync(path);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new Error(code === 'ENOENT' ? `corpus path ${path} does not exist` : `cannot read corpus path ${path}: ${(e as Error).message}`);
  }
}

function readDocument(file: string, id: string, genre: string): TextDocument {
  const text = decodeUtf8(readFileSync(file), `corpus file ${file}`);
  return { id, genre, text: text.replace(/^\uFEFF/, '').replace(/\r\n?/g, '\n') };
}

/** Text files under `dir`, recursively, sorted by path. */
function listTextFiles(dir: string): string[] {
  const out: string[] = [];
  const entries = readdirSync(dir, { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  for (const e of entries) {
    if (e.name.startsWith('.') || e.name === 'node_modules') continue;
    const p = join(dir, e.name);
    if (e.isDirectory()) out.push(...listTextFiles(p));
    else if (e.isFile() && TEXT_FILE.test(e.name)) out.push(p);
  }
  return out;
}
