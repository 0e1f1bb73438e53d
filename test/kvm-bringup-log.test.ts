// The kernel's KVM bring-up lines, read as users paste them. Each fixture
// (test/fixtures/kernel-logs/kvm-*.txt) holds lines of one kernel source and era, with the
// row ids it must yield (`# expect:`); every fixture is written out in each log format users
// paste (the writers below follow each tool's documented output, not the parser) and must
// come back as the same messages, matched by the same rows. Rows claimed for 7.2 are checked
// against the printk formats of linux-source-7.2.
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { KVM_BRINGUP_MESSAGES, matchKvmBringupMessage } from '../lib/knowledge/kvm-bringup.js';
import { kernelLogFromFile, parseDmesgText } from '../lib/snapshot/kernel-log.js';
import { parsePastedLog } from '../lib/snapshot/log-formats.js';
import { fixturesDir } from './helpers/fixtures.js';
import { formatToRegExp, kernelFiles, kernelSource, printkFormats } from './helpers/kernel-sources.js';
import { FORMATS, type FixtureLine } from './helpers/log-writers.js';

interface Fixture {
  name: string;
  expect: string[];
  lines: FixtureLine[];
}

const logDir = join(fixturesDir, 'kernel-logs');

function readFixture(name: string): Fixture {
  const text = readFileSync(join(logDir, name), 'utf8');
  assert.match(text, /^# source: \S/m, `${name} names its source`);
  const expect =
    /^# expect:(.*)$/m
      .exec(text)?.[1]
      ?.trim()
      .split(/\s+/)
      .filter((id) => id !== '') ?? [];
  const lines = text
    .split('\n')
    .filter((line) => line !== '' && !line.startsWith('#'))
    .map((line) => {
      const match = /^\[\s*(\d+)\.(\d{6})\] (.*)$/.exec(line);
      assert.ok(match, `${name}: "${line}" is a dmesg line`);
      return { timestampUs: Number(match[1]) * 1e6 + Number(match[2]), message: match[3] ?? '' };
    });
  return { name, expect, lines };
}

const fixtures = readdirSync(logDir)
  .filter((name) => name.startsWith('kvm-'))
  .sort()
  .map(readFixture);

test('every kvm fixture line is matched by the row its fixture expects, and lookalikes by none', () => {
  assert.ok(fixtures.length >= 10, `found ${fixtures.length} kvm fixtures`);
  for (const fixture of fixtures) {
    const ids = fixture.lines.map((line) => matchKvmBringupMessage(line.message)?.row.id ?? 'none');
    const expected = fixture.lines.map((_, i) => fixture.expect[i] ?? 'none');
    assert.deepEqual(ids, expected, fixture.name);
  }
});

test('each wording, in each log format, comes back as the same message, time and row', () => {
  for (const fixture of fixtures) {
    for (const format of FORMATS) {
      const records = parsePastedLog(fixture.lines.map(format.write).join('\n'));
      const where = `${fixture.name} as ${format.name}`;
      assert.deepEqual(
        records.map((r) => r.message),
        fixture.lines.map((l) => l.message),
        where,
      );
      assert.deepEqual(
        records.map((r) => r.timestampUs),
        fixture.lines.map((l) => (format.monotonic ? l.timestampUs : null)),
        `${where}: time since boot`,
      );
      assert.deepEqual(
        records.map((r) => matchKvmBringupMessage(r.message)?.row.id ?? 'none'),
        fixture.lines.map((_, i) => fixture.expect[i] ?? 'none'),
        `${where}: rows`,
      );
    }
  }
});

test('levels are kept where the format gives them (dmesg -r, dmesg -x)', () => {
  const [raw] = parsePastedLog('<3>[    6.912345] kvm_intel: VMX not supported by CPU 0');
  assert.equal(raw?.priority, 3);
  const [decoded] = parsePastedLog('kern  :notice: [    0.052101] SVM disabled (by BIOS) in MSR_VM_CR');
  assert.equal(decoded?.priority, 5);
  assert.equal(decoded?.message, 'SVM disabled (by BIOS) in MSR_VM_CR');
});

test('other programs in a journal or syslog paste are not kernel records; journal notes are skipped', () => {
  const text = [
    '-- Logs begin at Wed 2026-12-02 05:41:00 UTC, end at Wed 2026-12-02 09:30:00 UTC. --',
    'Dec 02 09:01:12 host systemd[1]: Started kvm-ok.service - disabled by bios.',
    'Dec 02 09:01:13 host kernel: kvm: disabled by bios',
    '2026-12-02T09:01:14.000001+00:00 host libvirtd[812]: kvm: disabled by bios',
  ].join('\n');
  assert.deepEqual(
    parsePastedLog(text).map((r) => r.message),
    ['kvm: disabled by bios'],
  );
});

test('a log of several boots is split at each boot; records count boots back from the newest', () => {
  const lines = (boot: string): string[] => [
    `[    0.000000] Linux version ${boot} (builder@host) (gcc 12) #1 SMP`,
    '[    0.081233] x86/cpu: VMX (outside TXT) disabled by BIOS',
    '[    6.912345] kvm_intel: VMX not fully enabled on CPU 0.  Check kernel logs and/or BIOS',
  ];
  const byVersion = parsePastedLog([...lines('6.1.0'), ...lines('6.12.0'), ...lines('7.2.0')].join('\n'));
  assert.deepEqual(
    byVersion.map((r) => r.boot),
    [2, 2, 2, 1, 1, 1, 0, 0, 0],
  );
  // Without the Linux version line (the ring buffer wrapped, or it was not pasted): the time going back starts a boot.
  const byTime = parsePastedLog(
    [
      '[  812.000001] kvm: enabling virtualization on CPU1 failed',
      '[    0.052101] SVM disabled (by BIOS) in MSR_VM_CR',
      '[    8.311470] kvm_amd: SVM not supported by CPU 0',
    ].join('\n'),
  );
  assert.deepEqual(
    byTime.map((r) => r.boot),
    [1, 0, 0],
  );
  // journalctl --boot=all marks each boot; wall-clock times cannot be compared to boot time.
  const journal = parsePastedLog(
    [
      'Dec 01 10:00:00 host kernel: kvm: disabled by bios',
      '-- Boot 0123456789abcdef0123456789abcdef --',
      'Dec 02 09:01:13 host kernel: kvm_intel: VMX not supported by CPU 0',
    ].join('\n'),
  );
  assert.deepEqual(
    journal.map((r) => [r.boot, r.message]),
    [
      [1, 'kvm: disabled by bios'],
      [0, 'kvm_intel: VMX not supported by CPU 0'],
    ],
  );
  // kern.log keeps no time since boot: only the Linux version line tells where a boot starts.
  const kernLog = parsePastedLog(
    [
      'Dec  1 10:00:00 host kernel: Linux version 6.1.0-28-amd64',
      'Dec  1 10:00:09 host kernel: kvm: disabled by bios',
      'Dec  2 09:00:00 host kernel: Linux version 7.2.0',
      'Dec  2 09:00:08 host kernel: kvm_intel: VMX not supported by CPU 0',
    ].join('\n'),
  );
  assert.deepEqual(
    kernLog.map((r) => r.boot),
    [1, 1, 0, 0],
  );
  // One boot, no markers: every record is the newest boot's.
  assert.deepEqual(
    parsePastedLog(lines('7.2.0').join('\n')).map((r) => r.boot),
    [0, 0, 0],
  );
  // Small reorderings between CPUs are not a new boot.
  assert.deepEqual(
    parsePastedLog('[    5.000200] kvm: a\n[    5.000100] kvm: b').map((r) => r.boot),
    [0, 0],
  );
});

test('a saved multi-boot log keeps each boot after the relevance filter', () => {
  const dir = mkdtempSync(join(tmpdir(), 'kvm-caps-log-'));
  const path = join(dir, 'dmesg.txt');
  writeFileSync(
    path,
    [
      '[    0.000000] Linux version 6.1.0',
      "[    9.336402] kvm: support for 'kvm_intel' disabled by bios",
      '[    0.000000] Linux version 7.2.0',
      '[    0.000000] Hypervisor detected: KVM',
      '[    0.369955] kvm-pvm: this kernel is itself a kvm-pvm guest; not binding',
    ].join('\n'),
  );
  try {
    const fact = kernelLogFromFile(path);
    assert.ok('value' in fact, JSON.stringify(fact));
    assert.deepEqual(
      fact.value.map((r) => [r.boot, r.message]),
      [
        [1, "kvm: support for 'kvm_intel' disabled by bios"],
        [0, 'Hypervisor detected: KVM'],
        [0, 'kvm-pvm: this kernel is itself a kvm-pvm guest; not binding'],
      ],
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('parseDmesgText is the pasted-log reader', () => {
  assert.deepEqual(parseDmesgText('> [    1.000000] kvm: disabled by bios'), [
    { priority: null, timestampUs: 1_000_000, message: 'kvm: disabled by bios', boot: 0 },
  ]);
});

test('row ids are unique and every row has a source, meaning and fix', () => {
  const ids = KVM_BRINGUP_MESSAGES.map((row) => row.id);
  assert.equal(new Set(ids).size, ids.length);
  for (const row of KVM_BRINGUP_MESSAGES) {
    assert.ok(row.sources.length > 0 && row.meaning !== '' && row.fix !== '', row.id);
    assert.ok(
      row.pattern.source.startsWith('^') && row.pattern.source.endsWith('$'),
      `${row.id}: anchored, so lookalikes cannot match part of a line`,
    );
  }
  for (const row of KVM_BRINGUP_MESSAGES) {
    assert.ok(
      fixtures.some((f) => f.expect.includes(row.id)),
      `${row.id} has a fixture`,
    );
  }
});

test(
  'the 7.2 wordings are printk formats of linux-source-7.2, ' + 'and print the fixture lines their rows match',
  async (t) => {
    const source = await kernelFiles(t, 'linux-source', kernelSource);
    if (!source) return;
    const fixtureLines = fixtures.flatMap((f) => f.lines.map((l) => l.message));
    let checked = 0;
    for (const row of KVM_BRINGUP_MESSAGES) {
      if (!row.format7_2) continue;
      const { file, format, modname } = row.format7_2;
      const formats = printkFormats(source.root, [file], modname);
      assert.ok(
        formats.some((f) => f.format === format),
        `${row.id}: ${JSON.stringify(format)} is printed in ${file} (found: ${formats
          .map((f) => JSON.stringify(f.format))
          .filter((f) => /VMX|SVM|AMD|kvm|Hypervisor|virtuali/i.test(f))
          .join(', ')})`,
      );
      const lines = fixtureLines.filter((line) => row.pattern.test(line) && formatToRegExp(format).test(line));
      assert.ok(lines.length > 0, `${row.id}: a fixture line is both printed by the 7.2 format and matched by the row`);
      checked++;
    }
    assert.ok(checked >= 10, `checked ${checked} rows against 7.2`);
    // The other way round: each 7.2 line of the bring-up paths (the vendor checks, the boot code
    // that reads the firmware switch, KVM's vendor registration and enabling) has its row.
    const claimed = new Set(KVM_BRINGUP_MESSAGES.flatMap((row) => (row.format7_2 ? [row.format7_2.format] : [])));
    const bringup: [string, string, RegExp][] = [
      ['arch/x86/kvm/vmx/vmx.c', 'kvm_intel', /not supported|not enabled|not fully enabled|VMCS config/],
      ['arch/x86/kvm/svm/svm.c', 'kvm_amd', /not supported by|isn't AMD|SEV guest|NX/],
      ['arch/x86/kernel/cpu/feat_ctl.c', '', /^x86\/cpu: VMX/], // Its SGX lines are not about KVM's bring-up.
      ['arch/x86/kernel/cpu/amd.c', '', /SVM/],
      ['arch/x86/kernel/cpu/hygon.c', '', /SVM/],
      ['arch/x86/kvm/x86.c', 'kvm', /already loaded/],
      ['virt/kvm/kvm_main.c', 'kvm', /enabling virtualization/],
      ['arch/x86/virt/hw.c', '', /VMXON/],
    ];
    for (const [file, modname, wanted] of bringup) {
      const found = printkFormats(source.root, [file], modname).filter((f) => wanted.test(f.format));
      assert.ok(found.length > 0, `${file}: bring-up lines found`);
      for (const f of found)
        assert.ok(claimed.has(f.format), `${file}:${f.line} ${JSON.stringify(f.format)} has a row`);
    }
    // Wordings the row table marks as gone in 7.2 are indeed not printed there any more.
    const x86 = printkFormats(source.root, ['arch/x86/kvm/x86.c'], 'kvm').map((f) => f.format);
    assert.ok(
      !x86.some((f) => /disabled by bios|no hardware support/.test(f)),
      '7.2 x86.c no longer prints the 5.10/6.1 kvm_arch_init() lines',
    );
  },
);
