/**
 * A training progress bar: step, loss, tokens/s and ETA on one line.
 * On a terminal the line redraws in place (\r); when output goes to a file
 * or a CI log, it prints a plain line every `every` steps instead, so logs
 * stay readable rather than filling with carriage returns.
 */
import { formatDuration } from './table.js';

export interface ProgressSink {
  write(s: string): unknown;
  isTTY?: boolean;
}

export interface ProgressOptions {
  total: number;
  /** First step (a resumed run starts part-way). */
  start?: number;
  label?: string;
  width?: number;
  /** Non-terminal output: a line every this many steps (and at the end). */
  every?: number;
  out?: ProgressSink;
  /** Clock in ms (injectable so tests are deterministic). */
  now?: () => number;
}

export class ProgressBar {
  private readonly t0: number;
  private readonly start: number;
  private readonly out: ProgressSink;
  private readonly now: () => number;
  private lastLine = '';

  constructor(private readonly opts: ProgressOptions) {
    this.now = opts.now ?? (() => performance.now());
    this.t0 = this.now();
    this.start = opts.start ?? 0;
    this.out = opts.out ?? process.stderr;
  }

  /** Reports that `step` steps are done; `fields` are shown as name=value. */
  update(step: number, tokens: number, fields: Record<string, number | string>): void {
    const line = this.render(step, tokens, fields);
    this.lastLine = line;
    if (this.out.isTTY) {
      this.out.write(`\r${line}\x1b[K`);
      if (step >= this.opts.total) this.out.write('\n');
    } else {
      const every = this.opts.every ?? Math.max(1, Math.round(this.opts.total / 20));
      if (step % every === 0 || step >= this.opts.total || step === this.start + 1) this.out.write(`${line}\n`);
    }
  }

  /** Prints a message on its own line without garbling the bar. */
  log(message: string): void {
    if (this.out.isTTY) this.out.write(`\r\x1b[K${message}\n${this.lastLine}`);
    else this.out.write(`${message}\n`);
  }

  render(step: number, tokens: number, fields: Record<string, number | string>): string {
    const { total } = this.opts;
    const width = this.opts.width ?? 24;
    const frac = total > 0 ? Math.min(1, step / total) : 1;
    const filled = Math.round(frac * width);
    const bar = '█'.repeat(filled) + '░'.repeat(width - filled);
    const elapsed = (this.now() - this.t0) / 1000;
    const done = step - this.start;
    const tokPerSec = elapsed > 0 ? tokens / elapsed : 0;
    const eta = done > 0 ? (elapsed / done) * (total - step) : NaN;
    const shown = Object.entries(fields).map(([k, v]) => `${k} ${typeof v === 'number' ? v.toFixed(3) : v}`);
    const label = this.opts.label ? `${this.opts.label} ` : '';
    return `${label}${bar} ${String(step).padStart(String(total).length)}/${total}  ${shown.join('  ')}  ${Math.round(tokPerSec)} tok/s  ETA ${formatDuration(eta)}`;
  }
}
