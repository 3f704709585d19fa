/**
 * `dsmoe tokens`: a corpus's training and validation token streams, as a
 * run (or `dsmoe eval`) sees them, in one safetensors file — what the
 * PyTorch twin (python/) trains and evaluates on, so that both sides read
 * the same tokens without the Python side re-implementing the corpus
 * loader, the split or the BPE tokenizer (docs/checkpoint-format.md).
 */
import { tokenizerFromJSON } from '../data/tokenizer-json.js';
import { writeFileAtomic } from '../io/fs.js';
import { encodeSafetensors } from '../io/safetensors.js';
import { commandFlags, num, str, UsageError } from './args.js';
import { metadataJSON } from '../train/checkpoint.js';
import { corpusOptionsFromJSON, type CorpusOptions } from '../data/corpus.js';
import { readSafetensorsMetadata, resolveModelPath } from './run-folder.js';
import { loadCorpus } from './load-corpus.js';
import { corpusFromFlags, DATA_FLAGS } from './run-flags.js';

export const TOKENS_FORMAT = 'dsmoe-tokens';
export const TOKENS_FORMAT_VERSION = 1;

export const TOKENS_USAGE = `dsmoe tokens --out FILE [--run DIR | --checkpoint FILE | data options]

Writes a corpus's token streams (tensors 'train' and 'val', int32) with the
tokenizer and the corpus options in the metadata: the data the PyTorch twin
in python/ trains and evaluates on.

  --out FILE                the .safetensors file to write
  --run DIR | --checkpoint FILE   a run's own split and tokenizer (what dsmoe eval uses)
  --corpus PATH             a UTF-8 file or folder instead of Brown (with --run:
                            needed when the run was trained on one)
  --tokenizer byte|bpe  --bpe-vocab N  --val-fraction F  --seed N
                            without --run: how to tokenize and split (defaults
                            byte, 512, 0.1, 1, as dsmoe train)`;

const FLAGS = { ...DATA_FLAGS, out: { type: 'string' }, run: { type: 'string' }, checkpoint: { type: 'string' }, seed: { type: 'string' }, help: { type: 'boolean', short: 'h' } } as const;

export async function tokensCommand(argv: readonly string[]): Promise<void> {
  const flags = commandFlags('tokens', argv, FLAGS, TOKENS_USAGE);
  if (!flags) return;
  const out = str(flags, 'out');
  if (!out) throw new UsageError('dsmoe tokens: give --out FILE');
  const run = str(flags, 'checkpoint') ?? str(flags, 'run');
  const options = run === undefined ? corpusFromFlags(flags, num(flags, 'seed', { integer: true, min: 0 }) ?? 1) : fromRun(run, flags);
  const data = loadCorpus(options);
  const { reuse: _tokenizer, ...corpus } = options;
  const bytes = encodeSafetensors({
    train: { shape: [data.train.length], data: data.train },
    val: { shape: [data.val.length], data: data.val },
  }, {
    format: TOKENS_FORMAT,
    format_version: String(TOKENS_FORMAT_VERSION),
    tokenizer: JSON.stringify(data.tokenizer.toJSON()),
    corpus: JSON.stringify(corpus),
  });
  writeFileAtomic(out, bytes);
  process.stderr.write(`wrote ${out}: ${data.train.length} training and ${data.val.length} validation tokens (${data.tokenizer.kind} tokenizer, ${data.tokenizer.vocabSize} ids)\n`);
}

/** The corpus options and tokenizer a run recorded; a corpus path is read only when the user names it (as in eval). */
function fromRun(path: string, flags: Record<string, string | boolean | undefined>): CorpusOptions {
  const data = ['tokenizer', 'bpe-vocab', 'val-fraction', 'seed'].filter((k) => flags[k] !== undefined);
  if (data.length) throw new UsageError(`dsmoe tokens: --run uses the run's own split and tokenizer; drop --${data.join(', --')}`);
  const file = resolveModelPath(path);
  const metadata = readSafetensorsMetadata(file);
  const corpus = corpusOptionsFromJSON(file, metadataJSON(file, metadata, 'corpus'));
  const given = str(flags, 'corpus');
  if (given === undefined && corpus.corpus !== undefined) {
    throw new UsageError(`${file} was trained on the corpus '${corpus.corpus}'; pass --corpus '${corpus.corpus}' (or another corpus) to read it`);
  }
  return { ...corpus, corpus: given ?? corpus.corpus, reuse: tokenizerFromJSON(metadataJSON(file, metadata, 'tokenizer')) };
}
