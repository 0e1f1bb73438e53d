// The kvm-caps command end to end, as a subprocess: every command on this machine,
// --json that parses and agrees with the C oracle, replay, help, and exit codes.
import assert from 'node:assert/strict';
import { chmodSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { styleFor } from '../lib/render/style.js';
import { KVM_CAPABILITIES } from '../lib/knowledge/capabilities.js';
import { runCli } from './helpers/cli.js';
import { projectRoot } from './helpers/compile.js';
import { fixturePath as fixture } from './helpers/fixtures.js';
import { kvmSkipReason } from './helpers/kvm-device.js';
import { ok, oracle } from './helpers/kvm-oracle.js';
import { skipUnless } from './helpers/requirements.js';

const dir = mkdtempSync(join(tmpdir(), 'kvm-caps-cli-'));
chmodSync(dir, 0o755);
after(() => rmSync(dir, { recursive: true, force: true }));
const ESC = '\u001b[';

describe('on this host', { skip: kvmSkipReason }, () => {
  test('the report: exit 0, the facts a person looks for, no colour when piped', () => {
    const result = runCli([]);
    assert.equal(result.status, 0, result.stderr);
    assert.equal(result.stderr, '');
    assert.match(result.stdout, new RegExp(`API version\\s+${oracle().apiVersion}\\s`));
    assert.match(result.stdout, /VM types offered\s+DEFAULT/);
    assert.match(result.stdout, /^Intel TDX$/m);
    assert.match(result.stdout, /^AMD SEV \/ SEV-ES \/ SEV-SNP$/m);
    assert.match(result.stdout, /\[ioctl KVM_GET_API_VERSION on \/dev\/kvm\]/);
    assert.ok(!result.stdout.includes(ESC), 'no ANSI escapes when stdout is not a terminal');
  });

  test('--json: the report document, with values the oracle confirms', () => {
    const result = runCli(['--json']);
    assert.equal(result.status, 0, result.stderr);
    const report = JSON.parse(result.stdout);
    assert.equal(report.format, 'kvm-caps-report');
    assert.equal(report.kvm.usable, true);
    assert.equal(report.kvm.apiVersion.value, oracle().apiVersion);
    assert.equal(report.kvm.vcpuMmapSize.value, oracle().vcpuMmapSize);
    const vmTypesCap = KVM_CAPABILITIES.find(([name]) => name === 'KVM_CAP_VM_TYPES')![1];
    assert.equal(report.kvm.vmTypes.value.mask, oracle().system[vmTypesCap]);
  });

  test('caps --json: every capability, system and VM answers equal to the oracle', () => {
    const result = runCli(['caps', '--json']);
    assert.equal(result.status, 0, result.stderr);
    const caps = JSON.parse(result.stdout) as {
      name: string;
      number: number;
      system: number | null;
      vm: number | null;
    }[];
    assert.equal(caps.length, KVM_CAPABILITIES.length);
    const vm = ok(oracle().vm, 'VM-scope KVM_CHECK_EXTENSION');
    for (const cap of caps) {
      assert.deepEqual(Object.keys(cap), ['name', 'number', 'system', 'vm']);
      assert.equal(cap.system, oracle().system[cap.number], `${cap.name} system`);
      assert.equal(cap.vm, vm[cap.number], `${cap.name} vm`);
    }
    const text = runCli(['caps']);
    assert.equal(text.status, 0);
    assert.match(text.stdout, /KVM_CAP_MAX_VCPUS\s+66\s/);
  });

  test('cpuid --json and --emulated: entries equal to the oracle, with names', () => {
    for (const [args, expected] of [
      [['cpuid', '--json'], ok(oracle().supportedCpuid, 'supported CPUID')],
      [['cpuid', '--emulated', '--json'], ok(oracle().emulatedCpuid, 'emulated CPUID')],
    ] as const) {
      const result = runCli([...args]);
      assert.equal(result.status, 0, result.stderr);
      const entries = JSON.parse(result.stdout);
      assert.equal(entries.length, expected.length);
      entries.forEach((entry: Record<string, unknown>, i: number) => {
        for (const key of ['function', 'index', 'flags'] as const) assert.equal(entry[key], expected[i]![key]);
        assert.equal(typeof entry.eax, 'number');
        assert.ok('features' in entry && 'unknownBits' in entry && 'fields' in entry);
      });
    }
    const leaf1 = JSON.parse(runCli(['cpuid', '--json']).stdout).find((e: { function: number }) => e.function === 1);
    assert.ok(leaf1.features.edx.includes('fpu'), 'leaf 1 EDX bit 0 is named fpu');
  });

  test('snapshot -o, then --from: the same report and caps as live, without opening the device', () => {
    const file = join(dir, 'host.json');
    const saved = runCli(['snapshot', '-o', file]);
    assert.equal(saved.status, 0, saved.stderr);
    assert.equal(saved.stdout, '');
    assert.deepEqual(
      readdirSync(dir).filter((name) => name.startsWith('.')),
      [],
      'no temporary file left behind',
    );
    const snapshot = JSON.parse(readFileSync(file, 'utf8'));
    assert.equal(snapshot.format, 'kvm-caps-snapshot');
    // Replay with a device path that does not exist: --from must not touch any device.
    const replay = runCli(['--json', '--from', file]);
    assert.equal(replay.status, 0, replay.stderr);
    const live = JSON.parse(runCli(['snapshot']).stdout);
    assert.equal(JSON.parse(replay.stdout).kvm.apiVersion.value, live.kvm.apiVersion.value);
    assert.deepEqual(
      JSON.parse(runCli(['caps', '--json', '--from', file]).stdout),
      JSON.parse(runCli(['caps', '--json']).stdout),
    );
  });
});

test('a user without access: exit 3, and stderr says which group to join', { skip: skipUnless('root', 'kvm') }, () => {
  const result = runCli([], { uid: 65534, gid: 65534, env: { ...process.env, HOME: dir } });
  assert.equal(result.status, 3, result.stderr);
  assert.match(result.stderr, /cannot open \/dev\/kvm: EACCES/);
  assert.match(result.stderr, /kvm/);
  assert.match(result.stdout, /Opened read-write\s+EACCES/);
});

test('no such device: exit 3, the report still printed, stderr says why and what to do', () => {
  const result = runCli(['--device', join(dir, 'kvm')]);
  assert.equal(result.status, 3);
  assert.match(result.stderr, /ENOENT/);
  // What to do depends on this machine (a module to load, a container to pass the device into, ...).
  assert.match(result.stderr, /fix: \S/);
  assert.match(result.stdout, /not probed: the KVM device could not be opened/);
});

test('replaying fixtures of other hosts: TDX and SNP', () => {
  const tdx = runCli(['--from', fixture('tdx-host')]);
  assert.equal(tdx.status, 0, tdx.stderr);
  assert.match(tdx.stdout, /VM types offered\s+DEFAULT, TDX/);
  assert.match(tdx.stdout, /TDX VM type\s+offered/);
  const snp = JSON.parse(runCli(['--json', '--from', fixture('snp-host')]).stdout);
  assert.deepEqual(snp.kvm.vmTypes.value.offered, ['DEFAULT', 'SEV', 'SEV_ES', 'SNP']);
  const guest = runCli(['--from', fixture('no-kvm-guest')]);
  assert.equal(guest.status, 3);
  assert.match(guest.stdout, /Runs under a hypervisor\s+yes/);
});

test('exit codes: usage 2, bad snapshot 4 naming the field, help 0', () => {
  for (const args of [
    ['frobnicate'],
    ['--bogus'],
    ['caps', 'extra'],
    ['snapshot', '--json'],
    ['--from', fixture('tdx-host'), '--root', '/'],
  ]) {
    const result = runCli(args);
    assert.equal(result.status, 2, `${args.join(' ')}: ${result.stderr}`);
    // The command's own usage line, or (for an unknown command) where usage is.
    assert.match(result.stderr, /^Usage: kvm-caps |kvm-caps --help/m);
  }
  const bad = join(dir, 'bad.json');
  const doc = JSON.parse(readFileSync(fixture('tdx-host'), 'utf8'));
  doc.kvm.apiVersion.value = 'twelve';
  writeFileSync(bad, JSON.stringify(doc));
  const invalid = runCli(['--from', bad]);
  assert.equal(invalid.status, 4);
  assert.match(invalid.stderr, /snapshot\.kvm\.apiVersion\.value: expected an integer/);
  assert.equal(runCli(['--from', join(dir, 'missing.json')]).status, 4);
  assert.equal(runCli(['snapshot', '-o', join(dir, 'no-such-dir', 'x.json')]).status, 4);
  for (const args of [['--help'], ['help'], ['help', 'cpuid'], ['caps', '--help'], ['-h']]) {
    const result = runCli(args);
    assert.equal(result.status, 0, args.join(' '));
    assert.match(result.stdout, /Usage: kvm-caps/);
    assert.match(result.stdout, /Exit codes:/);
  }
  const version = runCli(['--version']);
  assert.equal(version.stdout.trim(), JSON.parse(readFileSync(join(projectRoot, 'package.json'), 'utf8')).version);
});

test(
  'colour only on a terminal, and never with a non-empty NO_COLOR or TERM=dumb; ' + 'FORCE_COLOR decides when set',
  () => {
    assert.ok(styleFor({ isTTY: true }, {}).bold('x').includes(ESC));
    assert.equal(styleFor({ isTTY: false }, {}).bold('x'), 'x');
    assert.equal(styleFor({}, {}).bad('x'), 'x');
    assert.equal(styleFor({ isTTY: true }, { NO_COLOR: '1' }).bold('x'), 'x');
    // no-color.org: only a value that is not empty turns colour off.
    assert.ok(styleFor({ isTTY: true }, { NO_COLOR: '' }).bold('x').includes(ESC));
    assert.equal(styleFor({ isTTY: true }, { TERM: 'dumb' }).bold('x'), 'x');
    // force-color.org: any non-empty value forces colour, on a pipe too and over NO_COLOR; 0 and false turn it off.
    assert.ok(styleFor({ isTTY: false }, { FORCE_COLOR: '1' }).bold('x').includes(ESC));
    assert.ok(styleFor({ isTTY: false }, { FORCE_COLOR: '3', NO_COLOR: '1' }).bold('x').includes(ESC));
    assert.equal(styleFor({ isTTY: true }, { FORCE_COLOR: '0' }).bold('x'), 'x');
    assert.equal(styleFor({ isTTY: true }, { FORCE_COLOR: 'false' }).bold('x'), 'x');
    assert.equal(styleFor({ isTTY: false }, { FORCE_COLOR: '' }).bold('x'), 'x');
  },
);
