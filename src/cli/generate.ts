/**
 * `dsmoe generate`: sample text from a trained model, in any inference mode,
 * optionally with the experts each token went through; one prompt streamed,
 * or a file of prompts decoded as one batch.
 */
import { readFileChecked } from '../io/fs.js';
import { decodeUtf8 } from '../io/utf8.js';
import { bool, choice, commandFlags, num, str, UsageError } from './args.js';
import { useBackend } from './backend.js';
import { loadModel } from './run-folder.js';
import { generate, generateBatch, StreamDecoder, type GeneratedToken } from '../train/sample.js';
import { parseMode } from './modes.js';

export const GENERATE_USAGE = `dsmoe generate --run DIR [options]

  --run DIR | --checkpoint FILE   the run folder, or a .safetensors file
  --prompt TEXT         text to continue (default "The "); an empty one starts from a newline
  --prompts FILE        one prompt per line, generated together as a batch (each
                        sequence routed and sampled on its own, seeded seed + line − 1);
                        printed in order once all are done
  --tokens N            tokens to generate per prompt (default 200)
  --temperature T       0 is greedy (default 0.8)
  --top-p P             nucleus sampling mass (default 0.95)
  --mode MODE           dense, topK:K, threshold:EPS, thresholdTopK:EPS, topP:P (default dense)
  --attention dense|follow   attention experts' mode (see dsmoe eval --help)
  --trace               print each token with the FFN experts it used, per layer
  --seed N              (default 0)
  --backend NAME

Decoding is incremental (a KV cache per layer): each new token costs one position.
The context is a sliding window of the model's maxSeqLen tokens: a longer prompt
keeps its last maxSeqLen tokens, and when the window fills, the oldest half is
dropped and the rest encoded again, so every prediction sees between half and
all of the window.`;

const FLAGS = {
  run: { type: 'string' }, checkpoint: { type: 'string' }, prompt: { type: 'string' }, prompts: { type: 'string' }, tokens: { type: 'string' },
  temperature: { type: 'string' }, 'top-p': { type: 'string' }, mode: { type: 'string' }, attention: { type: 'string' },
  trace: { type: 'boolean' }, seed: { type: 'string' }, backend: { type: 'string' }, help: { type: 'boolean', short: 'h' },
} as const;

export async function generateCommand(argv: readonly string[]): Promise<void> {
  const flags = commandFlags('generate', argv, FLAGS, GENERATE_USAGE);
  if (!flags) return;
  await useBackend(str(flags, 'backend'));
  if (str(flags, 'checkpoint') !== undefined && str(flags, 'run') !== undefined) throw new UsageError('dsmoe generate: give --run DIR or --checkpoint FILE, not both');
  const path = str(flags, 'checkpoint') ?? str(flags, 'run');
  if (!path) throw new Error('dsmoe generate: give --run DIR or --checkpoint FILE');
  const { model, tokenizer } = loadModel(path);
  const trace = bool(flags, 'trace');
  const opts = {
    maxTokens: num(flags, 'tokens', { integer: true, min: 1 }) ?? 200,
    temperature: num(flags, 'temperature', { min: 0 }) ?? 0.8,
    topP: num(flags, 'top-p', { min: 1e-6, max: 1 }) ?? 0.95,
    seed: num(flags, 'seed', { integer: true, min: 0 }) ?? 0,
    infer: { mode: parseMode(str(flags, 'mode') ?? 'dense'), attention: choice(flags, 'attention', ['dense', 'follow'] as const) },
  };
  const write = (s: string): boolean => process.stdout.write(s);
  const file = str(flags, 'prompts');
  if (file !== undefined) {
    if (str(flags, 'prompt') !== undefined) throw new Error('dsmoe generate: give --prompt or --prompts, not both');
    const prompts = readPrompts(file);
    const outs = await generateBatch(model, tokenizer, prompts, opts);
    outs.forEach((toks, b) => {
      write(`--- prompt ${b + 1} ---\n`);
      write(trace ? toks.map((t) => traceLine(t, tokenizer.decode([t.id]))).join('') : `${prompts[b]}${tokenizer.decode(toks.map((t) => t.id))}\n`);
    });
    return;
  }
  const prompt = str(flags, 'prompt') ?? 'The ';
  const decoder = new StreamDecoder(tokenizer);
  if (!trace) write(prompt);
  await generate(model, tokenizer, prompt, opts, (t) => write(trace ? traceLine(t, tokenizer.decode([t.id])) : decoder.push(t.id)));
  write(trace ? '' : `${decoder.flush()}\n`);
}

/** The prompts of a --prompts file: one per line (a final newline ends the last); an empty line is an error, naming it. */
export function readPrompts(file: string): string[] {
  const bytes = readFileChecked(file, { what: '--prompts', allowEmpty: true });
  if (bytes.length === 0) throw new Error(`dsmoe generate: --prompts ${file} is empty (one prompt per line)`);
  const text = decodeUtf8(bytes, `--prompts ${file}`);
  const lines = text.replace(/\r?\n$/, '').split(/\r?\n/);
  const empty = lines.findIndex((l) => l.length === 0);
  if (empty >= 0) throw new Error(`dsmoe generate: --prompts ${file}: line ${empty + 1} is empty (one prompt per line; use --prompt "" for an empty prompt)`);
  return lines;
}

/** One line per token: its text (escaped) and, per layer, the FFN experts it used. */
function traceLine(t: GeneratedToken, text: string): string {
  const shown = JSON.stringify(text).padEnd(8);
  const layers = t.ffnExperts.map((es, l) => `L${l}:[${es.join(',')}]`).join(' ');
  const attn = t.attnExperts.some((es) => es.length) ? `  attn ${t.attnExperts.map((es, l) => `L${l}:[${es.join(',')}]`).join(' ')}` : '';
  return `${shown} ffn ${layers}${attn}\n`;
}
