// Strings from a host reach text outputs escaped: a snapshot field, a file under --root and a
// kernel-log line carrying terminal escape sequences are fed to every text-producing command
// (text, NFD and Prometheus formats, -o files, messages on stderr), and no control character
// but the newline reaches the output raw. With colour forced, the only raw escapes left are
// kvm-caps' own SGR colours. JSON output stays JSON (the strings parse back unchanged).
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { after, describe, test } from 'node:test';
import { escapeControls, terminalSafe } from '../lib/render/escape.js';
import { runMain, type CliResult } from './helpers/cli.js';
import { fixturePath } from './helpers/fixtures.js';

/** OSC retitle + BEL, CSI clear screen, a C1 CSI, a bidi override, DEL, a NUL and a plain colour. */
const PAYLOAD = '\u001b]0;owned\u0007\u001b[2J\u009b31m\u202e\u007f\u0000\u001b[31m';
/** What may be left raw in an output: the newline, and with colour on, kvm-caps' own SGR sequences. */
const RAW_CONTROL = /[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]/;
const OWN_COLOUR = /\u001b\[\d+(?:;\d+)*m/g;

const scratch = mkdtempSync(join(tmpdir(), 'kvm-caps-text-escape-'));
after(() => rmSync(scratch, { recursive: true, force: true }));

/**
 * Keys whose strings the loader checks against a closed set, or that say where a fact came from as structure, not text.
 */
const KEEP = new Set([
  'format',
  'createdAt',
  'code',
  'syscall',
  'request',
  'ioctl',
  'fd',
  'arch',
  'platform',
  'initstate',
]);

/** Hex numbers are checked as such by the loader; they are not text. */
const HEX = /^0x[0-9a-f]+$/i;

/**
 * Every free-text string of the snapshot (fact values, error messages, file names, log lines) with the payload added.
 */
function poison(value: unknown, key = ''): unknown {
  if (typeof value === 'string') return KEEP.has(key) || HEX.test(value) ? value : `${value}${PAYLOAD}`;
  if (Array.isArray(value)) return value.map((item) => poison(item, key));
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, poison(v, k)]));
  }
  return value;
}

function poisoned(name: string): string {
  const path = join(scratch, `${name}.json`);
  writeFileSync(path, JSON.stringify(poison(JSON.parse(readFileSync(fixturePath(name), 'utf8'))), null, 2));
  return path;
}

function assertClean(what: string, result: CliResult, colour: boolean): void {
  for (const [stream, text] of [
    ['stdout', result.stdout],
    ['stderr', result.stderr],
  ] as const) {
    const rest = colour ? text.replace(OWN_COLOUR, '') : text;
    const raw = RAW_CONTROL.exec(rest);
    assert.equal(
      raw,
      null,
      `${what}: ${stream} holds a raw U+${raw?.[0].codePointAt(0)?.toString(16).padStart(4, '0')} at ` +
        `…${JSON.stringify(rest.slice(Math.max(0, (raw?.index ?? 0) - 60), (raw?.index ?? 0) + 10))}`,
    );
  }
}

/** Every text-producing command line over a snapshot (or two, for diff). */
function textCommands(from: string, other: string): string[][] {
  return [
    ['--from', from],
    ['report', '--from', from, '--format', 'nfd'],
    ['report', '--from', from, '--format', 'prometheus'],
    ['check', '--from', from],
    ['check', '--from', from, '--verbose'],
    ['check', '--from', from, '--format', 'nfd'],
    ['check', '--from', from, '--format', 'prometheus'],
    ['caps', '--from', from],
    ['cpuid', '--from', from],
    ['cpuid', '--emulated', '--from', from],
    ['tdx', '--from', from],
    ['sev', '--from', from],
    ['lifecycle', '--from', from],
    ['diff', from, other],
  ];
}

const FIXTURES = [
  'tdx-module-init-failed',
  'tdx-init-vm-refused-7.2',
  'sev-turin-7.2-snp-asids-in-use',
  'sev-root-only',
  'no-kvm-guest',
];

describe('escape sequences in a snapshot', () => {
  for (const name of FIXTURES) {
    test(`${name}: no raw control character in any text output, plain or coloured`, async () => {
      const from = poisoned(name);
      const other = poisoned(FIXTURES[(FIXTURES.indexOf(name) + 1) % FIXTURES.length]!);
      let shown = 0;
      for (const args of textCommands(from, other)) {
        const plain = await runMain(args);
        assert.notEqual(plain.status, 4, `${args.join(' ')}: the poisoned snapshot must load (${plain.stderr})`);
        assert.notEqual(plain.status, 70, `${args.join(' ')}: ${plain.stderr}`);
        assertClean(`kvm-caps ${args.join(' ')}`, plain, false);
        if (plain.stdout.includes('\\x1b]0;owned\\x07')) shown += 1;
        process.env.FORCE_COLOR = '1';
        try {
          assertClean(`FORCE_COLOR=1 kvm-caps ${args.join(' ')}`, await runMain(args, { tty: true }), true);
        } finally {
          delete process.env.FORCE_COLOR;
        }
      }
      // The strings are shown, escaped, not dropped: the report at least quotes the kernel release and the CPU.
      assert.ok(shown >= 1, 'no output showed an escaped host string');
      const report = await runMain(['--from', from]);
      if (name !== 'no-kvm-guest')
        assert.match(report.stdout, /Kernel {2,}.*\\x1b\]0;owned\\x07\\x1b\[2J\\x9b31m\\u202e\\x7f\\x00\\x1b\[31m/);
    });
  }

  test('-o FILE: a text file gets no raw control character either', async () => {
    const from = poisoned('tdx-module-init-failed');
    for (const [i, args] of [
      ['--from', from],
      ['check', '--from', from, '--verbose'],
      ['report', '--from', from, '--format', 'prometheus'],
    ].entries()) {
      const out = join(scratch, `out-${i}.txt`);
      const result = await runMain([...args, '-o', out]);
      assert.equal(result.stdout, '');
      assertClean(
        `kvm-caps ${args.join(' ')} -o FILE`,
        { status: result.status, stdout: readFileSync(out, 'utf8'), stderr: result.stderr },
        false,
      );
    }
  });

  test('JSON stays JSON: the strings parse back exactly as the snapshot holds them', async () => {
    const from = poisoned('tdx-module-init-failed');
    const result = await runMain(['--from', from, '--json']);
    const report = JSON.parse(result.stdout) as { host: { kernelRelease: { value: string } } };
    assert.ok(report.host.kernelRelease.value.endsWith(PAYLOAD));
  });
});

test('escape sequences in a kernel-log line (--kernel-log with --from)', async () => {
  const log = join(scratch, 'kernel.log');
  writeFileSync(
    log,
    [
      `[    8.972357] virt/tdx: BIOS enabled: private KeyID range [32, 64)${PAYLOAD}`,
      `[   10.798780] virt/tdx: module initialization failed (-5)${PAYLOAD}`,
      `[   10.798790] virt/tdx: SEAMCALL (0x0000000000000022) failed: 0xc000050500000000${PAYLOAD}`,
      `[   11.000000] ccp 0000:01:00.5: SEV-SNP API:1.55 build:21${PAYLOAD}`,
      `[   11.000001] kvm_amd: SEV enabled (ASIDs 100 - 1006)${PAYLOAD}`,
      `[   12.000000] ${PAYLOAD}`,
      '',
    ].join('\n'),
  );
  let shown = 0;
  for (const name of ['tdx-module-init-failed', 'sev-turin-7.2']) {
    for (const args of textCommands(fixturePath(name), fixturePath('snp-host'))) {
      // they take no --kernel-log (diff's logs are in its snapshots, poisoned above)
      if (args[0] === 'diff' || args[0] === 'caps' || args[0] === 'cpuid') continue;
      const full = [...args, '--kernel-log', log];
      const result = await runMain(full);
      assert.notEqual(result.status, 70, result.stderr);
      assertClean(`kvm-caps ${full.join(' ')}`, result, false);
      if (result.stdout.includes('\\x1b]0;owned')) shown += 1;
    }
  }
  assert.ok(shown >= 1, 'no output quoted a log line (escaped)');
});

test('escape sequences in files under --root (a live probe)', async () => {
  const root = join(scratch, 'root');
  const files: Record<string, string> = {
    '/proc/sys/kernel/osrelease': `6.16.0${PAYLOAD}\n`,
    '/proc/cpuinfo':
      `processor\t: 0\nvendor_id\t: GenuineIntel${PAYLOAD}\ncpu family\t: 6\nmodel\t\t: 143\nmodel name\t: ` +
      `Xeon${PAYLOAD}\nstepping\t: 8\nflags\t\t: fpu vmx tdx_host_platform${PAYLOAD}\n\n`,
    '/sys/module/kvm/parameters/enable_virt_at_load': `Y${PAYLOAD}\n`,
    '/sys/module/kvm_intel/parameters/tdx': `Y${PAYLOAD}\n`,
    '/sys/module/kvm_intel/parameters/ept': `Y${PAYLOAD}\n`,
    '/sys/devices/faux/tdx_host/version': `1.5.06.00.0744${PAYLOAD}\n`,
    '/sys/fs/cgroup/misc.capacity': 'tdx 63\n',
    '/sys/fs/cgroup/misc.current': 'tdx 2\n',
    '/proc/cmdline': `BOOT_IMAGE=/vmlinuz kvm_intel.tdx=1${PAYLOAD}\n`,
  };
  for (const [path, text] of Object.entries(files)) {
    mkdirSync(dirname(join(root, path)), { recursive: true });
    writeFileSync(join(root, path), text);
  }
  const device = join(scratch, 'no-kvm'); // absent: the probe reads the files and records the device's absence
  let shown = 0;
  for (const args of [
    [],
    ['check'],
    ['check', '--verbose'],
    ['--format', 'nfd'],
    ['--format', 'prometheus'],
    ['tdx'],
    ['sev'],
    ['lifecycle'],
    ['caps'],
    ['cpuid'],
  ]) {
    const full = [...args, '--root', root, '--device', device];
    const result = await runMain(full);
    assert.notEqual(result.status, 70, result.stderr);
    assert.notEqual(result.status, 2, result.stderr);
    assertClean(`kvm-caps ${full.join(' ')}`, result, false);
    if (result.stdout.includes('\\x1b]0;owned')) shown += 1;
  }
  assert.ok(shown >= 1, 'no output showed a --root file (escaped)');
});

test('escapeControls and terminalSafe', () => {
  assert.equal(escapeControls('a\u001b[2Jb\tc\nd\u009be\u202ef'), 'a\\x1b[2Jb\\tc\\nd\\x9be\\u202ef');
  assert.equal(escapeControls('plain, ünïcode ✓'), 'plain, ünïcode ✓');
  const input = { a: ['x\u0007', { 'k\u001b': 1, n: null, b: true }], s: 'ok' };
  const safe = terminalSafe(input);
  assert.deepEqual(safe, { a: ['x\\x07', { 'k\\x1b': 1, n: null, b: true }], s: 'ok' });
  assert.deepEqual(input.a[0], 'x\u0007', 'the input is not changed');
  assert.deepEqual(terminalSafe(safe), safe, 'applying it twice changes nothing');
});
