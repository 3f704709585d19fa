/**
 * `dsmoe generate`: sample text from a trained model, in any inference mode,
 * optionally with the experts each token went through.
 */
import { bool, choice, commandFlags, num, str } from './args.js';
import { useBackend } from './backend.js';
import { loadModel } from './checkpoint.js';
import { generate, StreamDecoder, type GeneratedToken } from './generation.js';
import { parseMode } from './modes.js';

export const GENERATE_USAGE = `dsmoe generate --run DIR [options]

  --run DIR | --checkpoint FILE   the run folder, or a .safetensors file
  --prompt TEXT         text to continue (default "The ")
  --tokens N            tokens to generate (default 200)
  --temperature T       0 is greedy (default 0.8)
  --top-p P             nucleus sampling mass (default 0.95)
  --mode MODE           dense, topK:K, threshold:EPS, thresholdTopK:EPS (default dense)
  --attention dense|follow   attention experts' mode (see dsmoe eval --help)
  --trace               print each token with the FFN experts it used, per layer
  --seed N              (default 0)
  --backend NAME`;

const FLAGS = {
  run: { type: 'string' }, checkpoint: { type: 'string' }, prompt: { type: 'string' }, tokens: { type: 'string' },
  temperature: { type: 'string' }, 'top-p': { type: 'string' }, mode: { type: 'string' }, attention: { type: 'string' },
  trace: { type: 'boolean' }, seed: { type: 'string' }, backend: { type: 'string' }, help: { type: 'boolean', short: 'h' },
} as const;

export async function generateCommand(argv: readonly string[]): Promise<void> {
  const flags = commandFlags('generate', argv, FLAGS, GENERATE_USAGE);
  if (!flags) return;
  await useBackend(str(flags, 'backend'));
  const path = str(flags, 'checkpoint') ?? str(flags, 'run');
  if (!path) throw new Error('dsmoe generate: give --run DIR or --checkpoint FILE');
  const { model, tokenizer } = loadModel(path);
  const prompt = str(flags, 'prompt') ?? 'The ';
  const trace = bool(flags, 'trace');
  const decoder = new StreamDecoder(tokenizer);
  const write = (s: string): boolean => process.stdout.write(s);
  if (!trace) write(prompt);
  await generate(model, tokenizer, prompt, {
    maxTokens: num(flags, 'tokens', { integer: true, min: 1 }) ?? 200,
    temperature: num(flags, 'temperature', { min: 0 }) ?? 0.8,
    topP: num(flags, 'top-p', { min: 1e-6, max: 1 }) ?? 0.95,
    seed: num(flags, 'seed', { integer: true, min: 0 }) ?? 0,
    infer: { mode: parseMode(str(flags, 'mode') ?? 'dense'), attention: choice(flags, 'attention', ['dense', 'follow'] as const) },
  }, (t) => write(trace ? traceLine(t, tokenizer.decode([t.id])) : decoder.push(t.id)));
  write(trace ? '' : `${decoder.flush()}\n`);
}

/** One line per token: its text (escaped) and, per layer, the FFN experts it used. */
function traceLine(t: GeneratedToken, text: string): string {
  const shown = JSON.stringify(text).padEnd(8);
  const layers = t.ffnExperts.map((es, l) => `L${l}:[${es.join(',')}]`).join(' ');
  const attn = t.attnExperts.some((es) => es.length) ? `  attn ${t.attnExperts.map((es, l) => `L${l}:[${es.join(',')}]`).join(' ')}` : '';
  return `${shown} ffn ${layers}${attn}\n`;
}
