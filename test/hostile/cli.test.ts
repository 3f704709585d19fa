/**
 * Hostile command lines, each run as the real `dsmoe` in a child process:
 * bad numbers, missing and absurd values, paths that are devices, pipes,
 * folders or unwritable, conflicting flags. Each must end in a one-line
 * error naming what was wrong (exit 1 or 2), or in a documented acceptance
 * — never a crash, a hang or a silent wrong answer — within the memory a
 * good run takes plus slack (harness.ts).
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, it } from 'vitest';
import '../../src/index.js';
import { trainCommand } from '../../src/cli/train.js';
import { capture, tempDir, tinyCorpus, tinyFlags } from '../cli/helpers.js';
import { buildCli, classify, memoryLimit, pool, runNode, settle, type CaseRecord, type Expectation } from './harness.js';

interface Paths {
  corpus: string;
  run: string;
  model: string;
  /** A fresh folder per case, for train's --out. */
  fresh: () => string;
  fifo: string;
  file: string;
  folderNamedLikeAFile: string;
  emptyFolder: string;
  binary: string;
  emptyFile: string;
  prompts: { emptyLine: string; notUtf8: string; good: string };
}

interface CliCase {
  name: string;
  args: (p: Paths) => string[];
  want: Expectation;
}

const error = (re: RegExp): Expectation => ({ error: re });
const accept = (why: string, check: (stdout: string) => void = () => {}): Expectation => ({ accept: check, why });
/** eval --json: every loss and perplexity a finite number. */
const finiteRows = (stdout: string): void => {
  const nums = [...stdout.matchAll(/"(loss|perplexity)":\s*([^,}\]]+)/g)].map((m) => Number(m[2]));
  if (nums.length === 0 || nums.some((v) => !Number.isFinite(v))) throw new Error(`rows ${nums.join(', ')}`);
};

/** Tiny training flags into a fresh folder, with `extra` appended (a later flag wins). */
const train = (...extra: string[]) => (p: Paths): string[] => ['train', ...tinyFlags(p.corpus, p.fresh()), '--steps', '1', ...extra];
const evalRun = (...extra: string[]) => (p: Paths): string[] => ['eval', '--run', p.run, '--corpus', p.corpus, '--backend', 'cpu', '--tokens', '64', ...extra];
const generate = (...extra: string[]) => (p: Paths): string[] => ['generate', '--run', p.run, '--backend', 'cpu', '--tokens', '4', ...extra];

const CASES: CliCase[] = [
  // The dispatcher.
  { name: 'no command (the usage, exit 1)', args: () => [], want: error(/^dsmoe <command> \[options\]/) },
  { name: 'an unknown command', args: () => ['trian'], want: error(/dsmoe: unknown command 'trian'/) },
  { name: 'dsmoe --help', args: () => ['--help'], want: accept('the usage, exit 0', (o) => { if (!o.includes('dsmoe <command>')) throw new Error('no usage'); }) },
  { name: 'dsmoe train --help', args: () => ['train', '--help'], want: accept('the command\'s usage, exit 0', (o) => { if (!o.includes('--steps')) throw new Error('no usage'); }) },
  // Numbers.
  { name: '--steps -5', args: train('--steps', '-5'), want: error(/^--steps must be ≥ 1, got -5$/) },
  { name: '--steps 0', args: train('--steps', '0'), want: error(/^--steps must be ≥ 1, got 0$/) },
  { name: '--steps 2.5', args: train('--steps', '2.5'), want: error(/^--steps must be an integer, got '2\.5'$/) },
  { name: '--steps 1e400', args: train('--steps', '1e400'), want: error(/^--steps must be an integer, got '1e400'$/) },
  { name: '--steps 0x10', args: train('--steps', '0x10'), want: error(/^--steps must be an integer, got '0x10'$/) },
  { name: '--steps "" (empty)', args: train('--steps', ''), want: error(/^--steps must be an integer, got ''$/) },
  { name: '--steps " 3" (a space)', args: train('--steps', ' 3'), want: error(/^--steps must be an integer, got ' 3'$/) },
  { name: '--steps with no value', args: (p) => ['train', ...tinyFlags(p.corpus, p.fresh()), '--steps'], want: error(/--steps.*argument missing/) },
  { name: '--lr NaN', args: train('--lr', 'NaN'), want: error(/^--lr must be a number, got 'NaN'$/) },
  { name: '--lr Infinity', args: train('--lr', 'Infinity'), want: error(/^--lr must be a number, got 'Infinity'$/) },
  { name: '--lr -0.5', args: train('--lr', '-0.5'), want: error(/^--lr must be ≥ 0, got -0\.5$/) },
  { name: '--lr 1e-400 (underflows to 0)', args: train('--lr', '1e-400', '--min-lr', '0'), want: accept('a learning rate that rounds to 0 is a rate of 0: training runs and changes nothing') },
  { name: '--batch-size 1000000000', args: train('--batch-size', '1000000000'), want: error(/--batch-size 1000000000 × \(--seq-len 16 \+ 1\) is 17000000000 tokens per step, more than 16777216/) },
  { name: '--seq-len 100000', args: train('--seq-len', '100000'), want: error(/maxSeqLen must be ≤ 8192/) },
  { name: '--seq-len 0', args: train('--seq-len', '0'), want: error(/^--seq-len must be ≥ 1, got 0$/) },
  { name: '--warmup past --steps', args: train('--warmup', '10'), want: error(/^--warmup 10 exceeds --steps 1$/) },
  { name: '--min-lr above --lr', args: train('--lr', '0.1', '--min-lr', '1'), want: error(/^--min-lr 1 exceeds --lr 0\.1$/) },
  { name: '--dropout 1.5', args: train('--dropout', '1.5'), want: error(/^--dropout must be ≤ 0\.99, got 1\.5$/) },
  { name: '--val-fraction 1', args: train('--val-fraction', '1'), want: error(/^--val-fraction must be ≤ 0\.9, got 1$/) },
  { name: '--experts 0', args: train('--experts', '0'), want: error(/^--experts must be ≥ 1, got 0$/) },
  { name: '--heads 3 for --kv-heads 2', args: train('--heads', '3', '--kv-heads', '2'), want: error(/^model config: nKvHeads=2 must divide nHeads=3$/) },
  { name: '--stop-after -1', args: train('--stop-after', '-1'), want: error(/--stop-after must be ≥/) },
  // Choices and flags.
  { name: '--kind gpt', args: train('--kind', 'gpt'), want: error(/^--kind must be one of dsmoe, dense, smoe; got 'gpt'$/) },
  { name: '--preset huge', args: train('--preset', 'huge'), want: error(/^unknown preset 'huge' \(known: tiny, small, base\)$/) },
  { name: '--backend nope', args: train('--backend', 'nope'), want: error(/unknown backend 'nope'/) },
  { name: '--tokenizer sentencepiece', args: train('--tokenizer', 'sentencepiece'), want: error(/--tokenizer must be one of byte, bpe; got 'sentencepiece'/) },
  { name: 'an unknown flag', args: train('--stpes', '3'), want: error(/Unknown option '--stpes'/) },
  { name: 'a stray argument', args: train('extra'), want: error(/Unexpected argument 'extra'/) },
  // Paths.
  { name: '--corpus that does not exist', args: (p) => ['train', ...tinyFlags(join(p.corpus, 'nope'), p.fresh()), '--steps', '1'], want: error(/nope.* does not exist/) },
  { name: '--corpus /dev/zero', args: (p) => ['train', ...tinyFlags('/dev/zero', p.fresh()), '--steps', '1'], want: error(/\/dev\/zero is neither a file nor a folder/) },
  { name: '--corpus a named pipe', args: (p) => ['train', ...tinyFlags(p.fifo, p.fresh()), '--steps', '1'], want: error(/is neither a file nor a folder/) },
  { name: '--corpus an empty folder', args: (p) => ['train', ...tinyFlags(p.emptyFolder, p.fresh()), '--steps', '1'], want: error(/corpus folder .*empty holds no \.txt or \.md files/) },
  { name: '--corpus a binary file', args: (p) => ['train', ...tinyFlags(p.binary, p.fresh()), '--steps', '1'], want: error(/not valid UTF-8: bad byte 0x[0-9a-f]{2} at offset \d+/) },
  { name: '--out a file', args: (p) => ['train', ...tinyFlags(p.corpus, p.file), '--steps', '1'], want: error(/is a file, not a folder/) },
  { name: '--out under /proc', args: (p) => ['train', ...tinyFlags(p.corpus, '/proc/dsmoe-run'), '--steps', '1'], want: error(/^cannot create folder \/proc\/dsmoe-run: \/proc does not take new folders \(ENOENT\)$/) },
  { name: '--out over an existing run', args: (p) => ['train', ...tinyFlags(p.corpus, p.run), '--steps', '1'], want: error(/already holds a run .*: continue it with --resume, or pass --force/) },
  { name: '--resume where no run is', args: (p) => ['train', '--resume', '--out', p.fresh(), '--quiet'], want: error(/^--resume: no checkpoint\.safetensors in '.*out-\d+'$/) },
  // eval.
  { name: 'eval with no model', args: (p) => ['eval', '--corpus', p.corpus, '--backend', 'cpu'], want: error(/^give --run DIR or --checkpoint FILE$/) },
  { name: 'eval --run and --checkpoint', args: (p) => ['eval', '--run', p.run, '--checkpoint', p.model, '--corpus', p.corpus, '--backend', 'cpu'], want: error(/^give --run DIR or --checkpoint FILE, not both$/) },
  { name: 'eval --checkpoint that does not exist', args: (p) => ['eval', '--checkpoint', join(p.run, 'nope.safetensors'), '--corpus', p.corpus], want: error(/nope\.safetensors' does not exist/) },
  { name: 'eval --checkpoint a folder named x.safetensors', args: (p) => ['eval', '--checkpoint', p.folderNamedLikeAFile, '--corpus', p.corpus], want: error(/no model\.safetensors or checkpoint\.safetensors in/) },
  { name: 'eval --checkpoint /dev/null', args: (p) => ['eval', '--checkpoint', '/dev/null', '--corpus', p.corpus], want: error(/'\/dev\/null' is neither a run folder nor a \.safetensors file/) },
  { name: 'eval --checkpoint a named pipe called .safetensors', args: (p) => ['eval', '--checkpoint', p.fifo, '--corpus', p.corpus], want: error(/checkpoint .*pipe\.safetensors is not a regular file \(a device, pipe or socket\)/) },
  { name: 'eval --checkpoint /etc/passwd', args: (p) => ['eval', '--checkpoint', '/etc/passwd', '--corpus', p.corpus], want: error(/'\/etc\/passwd' is neither a run folder nor a \.safetensors file/) },
  { name: 'eval without --corpus (the run names its own)', args: (p) => ['eval', '--run', p.run, '--backend', 'cpu'], want: error(/eval reads a path from a checkpoint only when asked: pass --corpus/) },
  { name: 'eval --modes ""', args: evalRun('--modes', ''), want: error(/--modes is empty/) },
  { name: 'eval --modes dense,,topK:1', args: evalRun('--modes', 'dense,,topK:1'), want: error(/^--modes '': unknown mode/) },
  { name: 'eval --modes topK:0', args: evalRun('--modes', 'topK:0'), want: error(/^--modes 'topK:0': k must be a positive integer$/) },
  { name: 'eval --modes topK:99', args: evalRun('--modes', 'topK:99'), want: error(/^topK: k=99 must be an integer in \[1, 4\] \(the number of experts\)$/) },
  { name: 'eval --modes threshold:NaN', args: evalRun('--modes', 'threshold:NaN'), want: error(/^--modes 'threshold:NaN': threshold needs one number after a colon/) },
  { name: 'eval --modes threshold:-1', args: evalRun('--modes', 'threshold:-1'), want: error(/^--modes 'threshold:-1': eps must be ≥ 0$/) },
  { name: 'eval --modes bogus', args: evalRun('--modes', 'bogus'), want: error(/^--modes 'bogus': unknown mode/) },
  { name: 'eval --thresholds a,b', args: evalRun('--thresholds', 'a,b'), want: error(/--thresholds must be a number, got 'a'/) },
  { name: 'eval --tokens 0', args: evalRun('--tokens', '0'), want: error(/^--tokens must be ≥ 2, got 0$/) },
  { name: 'eval --batch-size 0', args: evalRun('--batch-size', '0'), want: error(/--batch-size must be ≥ 1, got 0/) },
  { name: 'eval --batch-size 1000000000', args: evalRun('--batch-size', '1000000000', '--modes', 'dense', '--json'), want: accept('a batch larger than the tokens asked for holds only those tokens', finiteRows) },
  { name: 'eval --attention bogus', args: evalRun('--attention', 'bogus'), want: error(/--attention must be one of dense, follow; got 'bogus'/) },
  { name: 'eval of the good run', args: evalRun('--modes', 'dense,topK:1', '--json'), want: accept('finite perplexities', finiteRows) },
  // generate.
  { name: 'generate --tokens 0', args: generate('--tokens', '0'), want: error(/--tokens must be ≥ 1, got 0/) },
  { name: 'generate --tokens -3', args: generate('--tokens', '-3'), want: error(/--tokens must be ≥ 1, got -3/) },
  { name: 'generate --temperature -1', args: generate('--temperature', '-1'), want: error(/^--temperature must be ≥ 0, got -1$/) },
  { name: 'generate --top-p 2', args: generate('--top-p', '2'), want: error(/^--top-p must be ≤ 1, got 2$/) },
  { name: 'generate --top-p 0', args: generate('--top-p', '0'), want: error(/^--top-p must be ≥ 0\.000001, got 0$/) },
  { name: 'generate --mode topK:0', args: generate('--mode', 'topK:0'), want: error(/^--mode 'topK:0': k must be a positive integer$/) },
  { name: 'generate --prompt and --prompts', args: (p) => generate('--prompt', 'a', '--prompts', p.prompts.good)(p), want: error(/give --prompt or --prompts, not both/) },
  { name: 'generate --prompts /dev/zero', args: generate('--prompts', '/dev/zero'), want: error(/--prompts \/dev\/zero is not a regular file/) },
  { name: 'generate --prompts a named pipe', args: (p) => generate('--prompts', p.fifo)(p), want: error(/--prompts .*pipe\.safetensors is not a regular file/) },
  { name: 'generate --prompts that does not exist', args: (p) => generate('--prompts', join(p.run, 'nope.txt'))(p), want: error(/nope\.txt does not exist/) },
  { name: 'generate --prompts an empty file', args: (p) => generate('--prompts', p.emptyFile)(p), want: error(/is empty \(one prompt per line\)/) },
  { name: 'generate --prompts with an empty line', args: (p) => generate('--prompts', p.prompts.emptyLine)(p), want: error(/line 2 is empty/) },
  { name: 'generate --prompts not UTF-8', args: (p) => generate('--prompts', p.prompts.notUtf8)(p), want: error(/not valid UTF-8: bad byte 0xff at offset 2/) },
  { name: 'generate a 100,000-character prompt', args: generate('--prompt', 'a'.repeat(100_000)), want: accept('a prompt longer than the context keeps its last maxSeqLen tokens', (o) => { if (!o.startsWith('aaaa')) throw new Error('no prompt echoed'); }) },
  { name: 'generate --seed -1', args: generate('--seed', '-1'), want: error(/--seed must be ≥ 0, got -1/) },
  { name: 'generate from the good run', args: generate('--prompt', 'The '), want: accept('the prompt and a continuation', (o) => { if (!o.startsWith('The ')) throw new Error('no prompt echoed'); }) },
  // The other commands.
  { name: 'compare --topk 0', args: (p) => ['compare', '--corpus', p.corpus, '--topk', '0'], want: error(/--topk must be ≥ 1, got 0/) },
  { name: 'compare with an unknown flag', args: () => ['compare', '--bogus'], want: error(/Unknown option '--bogus'/) },
  { name: 'study with an unknown flag', args: () => ['study', '--bogus'], want: error(/Unknown option '--bogus'/) },
  { name: 'demo with an unknown flag', args: () => ['demo', '--bogus'], want: error(/Unknown option '--bogus'/) },
];

const results = new Map<string, CaseRecord>();
let removeCli = (): void => {};

beforeAll(async () => {
  const { cli, remove } = await buildCli();
  removeCli = remove;
  const root = tempDir();
  const corpus = tinyCorpus();
  const run = join(root, 'run');
  await capture(() => trainCommand([...tinyFlags(corpus, run), '--steps', '2']));
  const at = (name: string, data?: string | Uint8Array): string => {
    const f = join(root, name);
    if (data !== undefined) writeFileSync(f, data);
    return f;
  };
  const fifo = at('pipe.safetensors');
  execFileSync('mkfifo', [fifo]);
  const folderNamedLikeAFile = at('x.safetensors');
  mkdirSync(folderNamedLikeAFile);
  const emptyFolder = at('empty');
  mkdirSync(emptyFolder);
  let n = 0;
  const paths: Paths = {
    corpus, run, model: join(run, 'model.safetensors'), fifo, folderNamedLikeAFile, emptyFolder,
    fresh: () => join(root, `out-${n++}`),
    file: at('a-file.txt', 'not a folder\n'),
    binary: at('binary.txt', Uint8Array.from({ length: 256 }, (_, i) => 255 - i)),
    emptyFile: at('empty.txt', ''),
    prompts: { emptyLine: at('prompts-gap.txt', 'one\n\nthree\n'), notUtf8: at('prompts-bad.txt', Uint8Array.of(0x61, 0x62, 0xff, 0x0a)), good: at('prompts.txt', 'The \nA \n') },
  };
  const base = await runNode(cli, evalRun('--modes', 'dense', '--json')(paths));
  if (classify(base, accept('', finiteRows)).outcome !== 'accepted') throw new Error(`the good run does not evaluate: ${base.stderr}`);
  await pool(CASES, async (c) => {
    const r = await runNode(cli, c.args(paths), { timeoutMs: 60_000 });
    const { outcome, detail } = classify(r, c.want);
    results.set(c.name, { suite: 'command lines', name: c.name, outcome, detail, peakMB: r.peakMB, limitMB: memoryLimit(base.peakMB) });
  });
}, 600_000);

afterAll(() => removeCli());

describe('hostile command lines', () => {
  it.each(CASES.map((c) => [c.name, c] as const))('%s', (name, c) => {
    settle(results.get(name)!, c.want);
  });
});
