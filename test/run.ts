// Runs one tier of the suite with node:test and ends with one line saying which
// machine-dependent parts ran and which were skipped, and why (from the record that
// helpers/requirements.ts appends to):
//   node --import tsx test/run.ts fast     test/*.test.ts        (npm test)
//   node --import tsx test/run.ts e2e      test/e2e/*.test.ts    (npm run test:e2e)
//   node --import tsx test/run.ts FILE...  the given files
// Test files run as many at a time as there are cores, at least two (most files wait on
// child processes part of the time).
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { run } from 'node:test';
import { spec } from 'node:test/reporters';
import { fileURLToPath } from 'node:url';

const testDir = fileURLToPath(new URL('.', import.meta.url));
const tiers: Record<string, string> = { fast: testDir, e2e: join(testDir, 'e2e') };

const args = process.argv.slice(2);
const files = args.flatMap((arg) => {
  const dir = tiers[arg];
  if (dir === undefined) return [arg];
  return readdirSync(dir)
    .filter((name) => name.endsWith('.test.ts'))
    .sort()
    .map((name) => join(dir, name));
});
if (files.length === 0) {
  process.stderr.write('usage: node --import tsx test/run.ts fast|e2e|FILE...\n');
  process.exit(2);
}

const recordDir = mkdtempSync(join(tmpdir(), 'kvm-caps-test-record-'));
const recordFile = join(recordDir, 'requirements.jsonl');
process.env.KVM_CAPS_TEST_RECORD = recordFile;

interface Entry {
  need: string;
  ran: boolean;
  reason?: string;
}

/**
 * A reason for the one-line summary: its first line, at most 160 characters (the test's own skip message has it
 * whole).
 */
function brief(reason: string | undefined): string {
  const first = (reason ?? 'no reason recorded').split('\n')[0]!.trim();
  return first.length > 160 ? `${first.slice(0, 159)}…` : first;
}

/** One line: each need that was asked for, as ran or skipped with its reason. */
function summary(): string {
  let lines: string[] = [];
  try {
    lines = readFileSync(recordFile, 'utf8').split('\n').filter(Boolean);
  } catch {
    // No test asked for anything machine-dependent.
  }
  const byNeed = new Map<string, { ran: boolean; skipped?: string }>();
  for (const entry of lines.map((line) => JSON.parse(line) as Entry)) {
    const seen = byNeed.get(entry.need) ?? { ran: false };
    if (entry.ran) seen.ran = true;
    else seen.skipped ??= entry.reason;
    byNeed.set(entry.need, seen);
  }
  const ran = [...byNeed].filter(([, s]) => s.ran && s.skipped === undefined).map(([n]) => n);
  const partly = [...byNeed]
    .filter(([, s]) => s.ran && s.skipped !== undefined)
    .map(([n, s]) => `${n} (partly: ${brief(s.skipped)})`);
  const skipped = [...byNeed].filter(([, s]) => !s.ran).map(([n, s]) => `${n} (${brief(s.skipped)})`);
  const list = (items: string[]): string => (items.length > 0 ? items.join(', ') : 'none');
  return `machine-dependent parts: ran: ${list(ran)}; skipped: ${list([...partly, ...skipped])}`;
}

const stream = run({ files, concurrency: Math.max(2, availableParallelism()) });
stream.on('test:fail', () => {
  process.exitCode = 1;
});
const out = stream.compose(new spec());
out.pipe(process.stdout, { end: false });
out.on('end', () => {
  process.stdout.write(`${summary()}\n`);
  rmSync(recordDir, { recursive: true, force: true });
});
