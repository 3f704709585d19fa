#!/usr/bin/env node
/**
 * The reliability table of docs/reliability.md: runs the hostile suite
 * (test/hostile) with every case recorded, then prints the table as
 * Markdown on stdout (vitest's own report goes to stderr).
 *
 *   node scripts/reliability.mjs > table.md
 *
 * Exits non-zero when the suite fails; the table is printed either way.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { root } from './build.mjs';

const dir = mkdtempSync(join(tmpdir(), 'dsmoe-reliability-'));
const log = join(dir, 'cases.jsonl');
const vitest = spawnSync(join(root, 'node_modules', '.bin', 'vitest'), ['run', 'test/hostile'], {
  cwd: root,
  env: { ...process.env, DSMOE_RELIABILITY_LOG: log },
  stdio: ['ignore', process.stderr, process.stderr],
});
let cases = [];
try {
  cases = readFileSync(log, 'utf8').trim().split('\n').filter(Boolean).map((l) => JSON.parse(l));
} finally {
  rmSync(dir, { recursive: true, force: true });
}

const SUITES = ['checkpoint files', 'command lines', 'API misuses', 'out-of-range indices', 'kill -9', 'memory'];
const count = (rows, outcome) => rows.filter((r) => r.outcome === outcome).length;
const mb = (v) => (v === null || v === undefined || Number.isNaN(v) ? '–' : `${Math.round(v)}`);

const lines = [];
lines.push('| Suite | Inputs tried | Clean errors | Documented acceptances | Crashes | Hangs | Silent wrong answers | Other mismatches | Kills survived | Largest peak / its limit (MiB) |');
lines.push('|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|');
const total = { tried: 0, error: 0, accepted: 0, crash: 0, hang: 0, wrong: 0, unexpected: 0, survived: 0 };
for (const suite of [...SUITES, ...new Set(cases.map((c) => c.suite).filter((s) => !SUITES.includes(s)))]) {
  const rows = cases.filter((c) => c.suite === suite);
  if (rows.length === 0) continue;
  const row = { tried: rows.length, error: count(rows, 'error'), accepted: count(rows, 'accepted'), crash: count(rows, 'crash'), hang: count(rows, 'hang'), wrong: count(rows, 'wrong'), unexpected: count(rows, 'unexpected'), survived: count(rows, 'survived') };
  for (const k of Object.keys(total)) total[k] += row[k];
  const measured = rows.filter((r) => typeof r.peakMB === 'number' && typeof r.limitMB === 'number');
  const worst = measured.sort((a, b) => b.peakMB / b.limitMB - a.peakMB / a.limitMB)[0];
  const peak = worst ? `${mb(worst.peakMB)} / ${mb(worst.limitMB)}` : '–';
  lines.push(`| ${suite} | ${row.tried} | ${row.error} | ${row.accepted} | ${row.crash} | ${row.hang} | ${row.wrong} | ${row.unexpected} | ${row.survived} | ${peak} |`);
}
lines.push(`| **all** | **${total.tried}** | **${total.error}** | **${total.accepted}** | **${total.crash}** | **${total.hang}** | **${total.wrong}** | **${total.unexpected}** | **${total.survived}** | |`);
lines.push('');
lines.push('<details><summary>Every case: its outcome, what it said, and its memory</summary>');
lines.push('');
lines.push('| Suite | Case | Outcome | Message or note | Peak / limit (MiB) |');
lines.push('|---|---|---|---|--:|');
const cell = (s) => String(s).replace(/\|/g, '\\|').replace(/\n/g, ' ').replace(/\/tmp\/[^ :']*\//g, '…/').slice(0, 160);
for (const c of cases) lines.push(`| ${c.suite} | ${cell(c.name)} | ${c.outcome} | ${cell(c.detail)} | ${mb(c.peakMB)} / ${mb(c.limitMB)} |`);
lines.push('');
lines.push('</details>');
process.stdout.write(`${lines.join('\n')}\n`);
process.exit(vitest.status ?? 1);
