/**
 * The `dsmoe` command (main.ts runs it). Each subcommand has its own file
 * (train.ts, eval.ts, generate.ts, compare.ts, study.ts, demo.ts, tokens.ts); the rest of this
 * folder is what they share: flags, printing and files. What they compute
 * (training, evaluation, sampling, the checkpoint format) is the library's,
 * src/train. Errors end the process with a one-line
 * message (and the usage for command-line mistakes), not a stack trace: the
 * user needs to know what to fix, not where in our code it was noticed.
 * DSMOE_DEBUG=1 shows the stack.
 */
import { UsageError } from './args.js';
import { compareCommand, COMPARE_USAGE } from './compare.js';
import { demoCommand, DEMO_USAGE } from './demo.js';
import { evalCommand, EVAL_USAGE } from './eval.js';
import { generateCommand, GENERATE_USAGE } from './generate.js';
import { studyCommand, STUDY_USAGE } from './study.js';
import { tokensCommand, TOKENS_USAGE } from './tokens.js';
import { trainCommand, TRAIN_USAGE } from './train.js';

type Command = (argv: readonly string[]) => Promise<void>;

const COMMANDS: Record<string, { run: Command; usage: string; summary: string }> = {
  demo: { run: demoCommand, usage: DEMO_USAGE, summary: 'train the tiny DS-MoE on Brown, then show sparse perplexity and a sample (what npm start runs)' },
  train: { run: trainCommand, usage: TRAIN_USAGE, summary: 'train a DS-MoE, Dense or SMoE language model' },
  eval: { run: evalCommand, usage: EVAL_USAGE, summary: 'perplexity in dense and every sparse mode, with active parameters' },
  generate: { run: generateCommand, usage: GENERATE_USAGE, summary: 'sample text, optionally with the experts each token used' },
  compare: { run: compareCommand, usage: COMPARE_USAGE, summary: 'train Dense, SMoE and DS-MoE on the same budget: the paper-shaped table' },
  study: { run: studyCommand, usage: STUDY_USAGE, summary: 'the reproduction study: seeds, sizes, ablations, spreads and pictures' },
  tokens: { run: tokensCommand, usage: TOKENS_USAGE, summary: 'write a corpus\'s token streams for the PyTorch twin (python/)' },
};

const USAGE = `dsmoe <command> [options]     (dsmoe <command> --help for its options)

${Object.entries(COMMANDS).map(([name, c]) => `  ${name.padEnd(9)} ${c.summary}`).join('\n')}`;

export async function main(argv: readonly string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    process.stdout.write(`${USAGE}\n`);
    return name === undefined ? 1 : 0;
  }
  const command = COMMANDS[name];
  if (!command) {
    process.stderr.write(`dsmoe: unknown command '${name}'\n\n${USAGE}\n`);
    return 2;
  }
  try {
    await command.run(rest);
    return 0;
  } catch (e) {
    const err = e as Error;
    if (process.env.DSMOE_DEBUG) process.stderr.write(`${err.stack}\n`);
    // Some messages already name the command (parseFlags's): say it once.
    const prefix = `dsmoe ${name}: `;
    process.stderr.write(`\n${prefix}${err.message.startsWith(prefix) ? err.message.slice(prefix.length) : err.message}\n`);
    if (err instanceof UsageError) process.stderr.write(`\n${command.usage}\n`);
    return err instanceof UsageError ? 2 : 1;
  }
}
