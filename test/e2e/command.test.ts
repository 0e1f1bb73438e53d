// The installed command as the build makes it (lib/cli/bundle.ts): the launcher, the
// bundle and its V8 code cache, built into a scratch package. It must print exactly what
// the command run from source prints, take the cache when it fits, and run correctly
// without it when it does not.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import {
  copyFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { runCli, type CliResult } from '../helpers/cli.js';
import { projectRoot } from '../helpers/compile.js';
import { fixturePath as fixture } from '../helpers/fixtures.js';
import { kvmSkipReason } from '../helpers/kvm-device.js';

const pkg = mkdtempSync(join(tmpdir(), 'kvm-caps-command-'));
const cli = join(pkg, 'dist', 'cli');
const launcher = join(cli, 'kvm-caps.cjs');
const cacheFile = join(cli, 'app.cjs.cache');
after(() => rmSync(pkg, { recursive: true, force: true }));

let goodCache: Buffer;
before(() => {
  mkdirSync(cli, { recursive: true });
  copyFileSync(join(projectRoot, 'package.json'), join(pkg, 'package.json'));
  // The addon, for the live runs: the bundle looks for build/ and prebuilds/ at its package root.
  for (const dir of ['build', 'prebuilds'])
    if (existsSync(join(projectRoot, dir))) symlinkSync(join(projectRoot, dir), join(pkg, dir));
  const build = spawnSync(
    process.execPath,
    ['--import', 'tsx', join(projectRoot, 'lib', 'cli', 'bundle.ts'), '--outdir', cli],
    {
      cwd: projectRoot,
      encoding: 'utf8',
    },
  );
  assert.equal(build.status, 0, `${build.stdout}${build.stderr}`);
  assert.match(build.stdout, /accepted by node/);
  goodCache = readFileSync(cacheFile);
});

function runBuilt(args: string[]): CliResult {
  const result = spawnSync(process.execPath, [launcher, ...args], {
    cwd: projectRoot,
    encoding: 'utf8',
    timeout: 60_000,
  });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

/**
 * How a fresh node process loads the bundle: the launcher's answer, and V8's own, which
 * tells whether any cache was handed to it at all (undefined when none was).
 */
function cacheUse(): { cache: string; rejected: boolean | null } {
  const script = `const { cache, script } = require(${JSON.stringify(launcher)}).loadApp(${JSON.stringify(cli)});
    process.stdout.write(JSON.stringify({ cache, rejected: script.cachedDataRejected ?? null }))`;
  return JSON.parse(spawnSync(process.execPath, ['-e', script], { encoding: 'utf8' }).stdout) as {
    cache: string;
    rejected: boolean | null;
  };
}

const REPLAYS = [
  ['--version'],
  ['help'],
  ['report', '--from', fixture('tdx-host')],
  ['report', '--from', fixture('snp-host'), '--json'],
  ['check', '--from', fixture('sev-milan-tcb-mismatch-6.11')],
  ['tdx', '--from', fixture('tdx-module-init-failed')],
  ['cpuid', '--from', fixture('tdx-host'), '--json'],
  ['sev', '--from', fixture('sev-turin-7.2'), '--json'],
  ['report', '--from', fixture('snp-host'), '--format', 'prometheus'],
  ['diff', fixture('tdx-host'), fixture('tdx-usable-6.16')],
  ['lifecycle', '--from', fixture('no-kvm-guest')],
  ['caps', '--from', fixture('sev-snp-genoa-6.11')],
  ['caps', '--from', join(pkg, 'missing.json')],
  ['report', '--no-such-option'],
];

function assertSameAsSource(args: string[]): void {
  const built = runBuilt(args);
  const source = runCli(args);
  assert.deepEqual(built, source, `kvm-caps ${args.join(' ')}`);
}

describe('the built command', () => {
  test('a fresh node accepts the code cache the build wrote', () => {
    assert.deepEqual(cacheUse(), { cache: 'accepted', rejected: false });
  });

  test('prints what the command run from source prints, with the same exit status', () => {
    for (const args of REPLAYS) assertSameAsSource(args);
  });

  // caps: the live output that does not change between runs (CPUID leaf 1 names the CPU the
  // process ran on, and a report names the time it was taken).
  test('on this host, live: the same capabilities as from source', { skip: kvmSkipReason }, () => {
    assertSameAsSource(['caps', '--json']);
    assertSameAsSource(['caps']);
  });

  test('runs correctly when the cache is missing, for another bundle, or damaged', () => {
    const lines = goodCache.indexOf(10);
    const cases: Array<[{ cache: string; rejected: boolean | null }, Buffer | null]> = [
      [{ cache: 'absent', rejected: null }, null],
      // Another build's line over this build's data: V8 would take the data (it checks only
      // the source's length), so the launcher must not hand it over at all.
      [
        { cache: 'stale', rejected: null },
        Buffer.concat([Buffer.from(`// kvm-caps build sha256:${'0'.repeat(64)}\n`), goodCache.subarray(lines + 1)]),
      ],
      // The right line with data V8 refuses.
      [
        { cache: 'rejected', rejected: true },
        Buffer.concat([goodCache.subarray(0, lines + 1), Buffer.alloc(4096, 0x5a)]),
      ],
    ];
    try {
      for (const [expected, data] of cases) {
        rmSync(cacheFile, { force: true });
        if (data !== null) writeFileSync(cacheFile, data);
        assert.deepEqual(cacheUse(), expected);
        assertSameAsSource(['report', '--from', fixture('tdx-host')]);
        assertSameAsSource(['--version']);
      }
    } finally {
      writeFileSync(cacheFile, goodCache);
    }
  });

  test('a command that cannot be loaded exits 70 (internal error) and says why', () => {
    const app = join(cli, 'app.cjs');
    const bundle = readFileSync(app);
    rmSync(app);
    try {
      const result = runBuilt(['check', '--from', fixture('tdx-host')]);
      assert.equal(result.status, 70);
      assert.equal(result.stdout, '');
      assert.match(result.stderr, /^kvm-caps: internal error: cannot load the command from .*ENOENT/);
    } finally {
      writeFileSync(app, bundle);
    }
  });
});
