import { describe, expect, test } from 'vitest';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadTextCorpus } from '../../src/data/text-corpus.js';

function tree(files: Record<string, string | Uint8Array>): string {
  const root = mkdtempSync(join(tmpdir(), 'corpus-'));
  for (const [rel, content] of Object.entries(files)) {
    const p = join(root, rel);
    mkdirSync(join(p, '..'), { recursive: true });
    writeFileSync(p, content);
  }
  return root;
}

describe('loadTextCorpus', () => {
  test('a folder: .txt and .md files, recursively, sorted; genre is the first sub-folder', () => {
    const root = tree({
      'b.txt': 'second', 'a.md': 'first', 'news/x.TXT': 'news one', 'news/deep/y.txt': 'news two',
      'skip.json': '{}', '.hidden/z.txt': 'no', 'node_modules/m.txt': 'no', 'empty.txt': '  \n',
    });
    const docs = loadTextCorpus(root);
    expect(docs.map((d) => [d.id, d.genre, d.text])).toEqual([
      ['a.md', '', 'first'], ['b.txt', '', 'second'], ['news/deep/y.txt', 'news', 'news two'], ['news/x.TXT', 'news', 'news one'],
    ]);
  });

  test('a single file of any name; CRLF becomes LF and a BOM is dropped', () => {
    const root = tree({ 'book.text': '\uFEFFline one\r\nline two\r\n' });
    expect(loadTextCorpus(join(root, 'book.text'))).toEqual([{ id: 'book.text', genre: '', text: 'line one\nline two\n' }]);
  });

  test('missing, empty and non-UTF-8 input are clear errors', () => {
    const root = tree({ 'empty.txt': '', 'bad.txt': Uint8Array.of(0x61, 0x62, 0xc3, 0x28), 'sub/data.bin': 'x' });
    expect(() => loadTextCorpus(join(root, 'nope'))).toThrow(/corpus path .*nope does not exist/);
    expect(() => loadTextCorpus(join(root, 'empty.txt'))).toThrow(/corpus file .*empty.txt is empty/);
    expect(() => loadTextCorpus(join(root, 'bad.txt'))).toThrow(/bad.txt is not valid UTF-8: bad byte 0xc3 at offset 2/);
    expect(() => loadTextCorpus(join(root, 'sub'))).toThrow(/holds no .txt or .md files/);
    expect(() => loadTextCorpus(tree({ 'a.txt': '', 'b.md': '\n' }))).toThrow(/all 2 text files are empty/);
  });
});
