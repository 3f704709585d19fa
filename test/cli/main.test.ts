/** The dispatcher: usage, unknown commands, and errors as one line with the exit code, never a stack trace. */
import { describe, expect, it } from 'vitest';
import '../../src/index.js';
import { main } from '../../src/cli/dsmoe.js';
import { capture, tempDir } from './helpers.js';

describe('dsmoe', () => {
  it('prints the commands for --help (exit 0) and with no command (exit 1)', async () => {
    let code = -1;
    const help = await capture(async () => void (code = await main(['--help'])));
    expect(code).toBe(0);
    for (const c of ['demo', 'train', 'eval', 'generate', 'compare', 'study']) expect(help.stdout).toContain(`  ${c} `);
    await capture(async () => void (code = await main([])));
    expect(code).toBe(1);
  });

  it('names an unknown command (exit 2)', async () => {
    let code = -1;
    const out = await capture(async () => void (code = await main(['trian'])));
    expect(code).toBe(2);
    expect(out.stderr).toContain("unknown command 'trian'");
  });

  it('a command-line mistake prints the message and the command usage (exit 2)', async () => {
    let code = -1;
    const out = await capture(async () => void (code = await main(['train', '--steps', 'x', '--backend', 'cpu'])));
    expect(code).toBe(2);
    expect(out.stderr).toContain("dsmoe train: --steps must be an integer, got 'x'");
    expect(out.stderr).toContain('dsmoe train [options]');
    expect(out.stderr).not.toMatch(/\n\s+at /);
  });

  it('other failures print one line and exit 1', async () => {
    let code = -1;
    const out = await capture(async () => void (code = await main(['eval', '--run', tempDir(), '--backend', 'cpu'])));
    expect(code).toBe(1);
    expect(out.stderr).toMatch(/dsmoe eval: no model.safetensors or checkpoint.safetensors in/);
  });

  it('every command answers --help with its usage', async () => {
    for (const c of ['demo', 'train', 'eval', 'generate', 'compare', 'study']) {
      let code = -1;
      const out = await capture(async () => void (code = await main([c, '--help'])));
      expect(code).toBe(0);
      expect(out.stdout).toContain(`dsmoe ${c}`);
    }
  });
});
