/**
 * The corpus a command trains or evaluates on, read from disk: the Brown
 * Corpus by default, or the UTF-8 file or folder the options name, turned
 * into token streams by prepareCorpus (src/data/corpus.ts).
 */
import { loadBrown } from '../data/brown.js';
import { prepareCorpus, type CorpusOptions, type PreparedCorpus } from '../data/corpus.js';
import { loadTextCorpus } from '../data/text-corpus.js';

export function loadCorpus(opts: CorpusOptions): PreparedCorpus {
  const docs = opts.corpus === undefined ? loadBrown() : loadTextCorpus(opts.corpus);
  return prepareCorpus(opts.corpus ?? 'brown', docs, opts);
}
