// The text outputs say what they mean once, in columns that line up, and count what they show:
// status words (no "??"), "unknown" said once, the sev view's label column, lifecycle step
// numbers, diff's counts, --help's option list, the true reason for a missing fact, cpuid on a
// snapshot without the CPUID asked for, the kernel log's cut, counts that cannot be, and what
// EINTR means for the requests kvm-caps does not repeat.
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { flattenChecks } from '../lib/check/run.js';
import { COMMANDS } from '../lib/cli/main.js';
import { failureFix } from '../lib/check/failure-fixes.js';
import type { KvmDiagnosis } from '../lib/check/kvm-causes.js';
import { probeFailure } from '../lib/decode/failure.js';
import { decodeSnapshot } from '../lib/decode/model.js';
import { NOT_RETRIED } from '../lib/knowledge/probe-failures.js';
import { failureText } from '../lib/render/failure.js';
import { buildReport, reportChecks } from '../lib/render/report.js';
import { renderSev, sevLines } from '../lib/render/sev.js';
import { plainStyle } from '../lib/render/style.js';
import { loadSnapshot } from '../lib/snapshot/load.js';
import { runMain } from './helpers/cli.js';
import { fixtureNames, fixturePath, fixtureSnapshot } from './helpers/fixtures.js';

const scratch = mkdtempSync(join(tmpdir(), 'kvm-caps-text-defects-'));
after(() => rmSync(scratch, { recursive: true, force: true }));

const FIXTURES = fixtureNames();

/** A fixture with changes, saved in the scratch directory for --from. */
function variant(name: string, change: (snapshot: Record<string, any>) => void): string {
  const snapshot = JSON.parse(readFileSync(fixturePath(name), 'utf8')) as Record<string, any>;
  change(snapshot);
  const path = join(scratch, `${name}-${Math.random().toString(36).slice(2)}.json`);
  writeFileSync(path, JSON.stringify(snapshot));
  return path;
}

describe('status words and "unknown" once', () => {
  test('no "??" in the tdx and sev views or the report: every status is a word', async () => {
    for (const name of FIXTURES) {
      for (const command of [['tdx'], ['sev'], []]) {
        const { stdout } = await runMain([...command, '--from', fixturePath(name)]);
        assert.doesNotMatch(stdout, /\?\?/, `${name} ${command.join(' ')}`);
      }
    }
    const { stdout } = await runMain(['sev', '--from', fixturePath('sev-root-only')]);
    assert.match(stdout, / UNKNOWN +SEV firmware initialised: /, 'an unknown status is written as the word');
  });

  test('an UNKNOWN check or a not-known fact does not say "unknown" twice', async () => {
    for (const name of FIXTURES) {
      const texts = [
        (await runMain(['check', '--verbose', '--from', fixturePath(name)])).stdout,
        (await runMain(['tdx', '--from', fixturePath(name)])).stdout,
        (await runMain(['--from', fixturePath(name)])).stdout,
      ];
      for (const text of texts) {
        assert.doesNotMatch(text, /\bUNKNOWN +[^\n]*?: unknown:/, name);
        assert.doesNotMatch(text, /unknown: [^\n]{0,40}?\bunknown: /i, name);
      }
      for (const other of ['tdx-host', 'tdx-module-init-failed']) {
        assert.doesNotMatch(
          (await runMain(['diff', fixturePath(name), fixturePath(other)])).stdout,
          /unknown: [^\n]{0,40}?\bunknown: /i,
          `${name} vs ${other}`,
        );
      }
    }
  });
});

test('the sev view keeps one label column, however long a label', () => {
  for (const name of FIXTURES) {
    const snapshot = fixtureSnapshot(name);
    const model = decodeSnapshot(snapshot);
    const section = buildReport(snapshot, model, reportChecks(snapshot, model)).confidential.sev;
    if (!section.technologies.some((t) => t.applicable)) continue;
    const lines = renderSev(section, plainStyle).split('\n');
    // Where each fact's value starts: one column for the whole view.
    const starts = new Set<number>();
    const factLines = sevLines(section).map((fact) => {
      const line = lines.find((l) => l.startsWith(`  ${fact.label}  `));
      assert.ok(line !== undefined, `${name}: no line for ${fact.label}`);
      starts.add(line.length - line.slice(2 + fact.label.length).trimStart().length);
      return { fact, line };
    });
    assert.equal(starts.size, 1, `${name}: values start at ${[...starts].join(', ')}`);
    const [column] = [...starts] as [number];
    for (const { fact, line } of factLines) {
      assert.equal(line.slice(0, column), `  ${fact.label}`.padEnd(column), `${name}: ${fact.label}`);
      assert.ok(line.slice(column).startsWith(fact.value), `${name}: ${line}`);
    }
    assert.ok(
      factLines.some(({ fact }) => fact.label.length > 26),
      `${name}: a long label is part of the view (the case that broke)`,
    );
  }
});

test('lifecycle numbers each step once: 1, 2, 3, ... per technology', async () => {
  for (const name of FIXTURES) {
    const { stdout } = await runMain(['lifecycle', '--from', fixturePath(name)]);
    const blocks = stdout.split('\n\n').filter((block) => /^ {2}1\. /m.test(block));
    assert.ok(blocks.length >= 4, `${name}: four technologies`);
    for (const block of blocks) {
      const numbers = [...block.matchAll(/^ {2}(\d+)\. /gm)].map((m) => Number(m[1]));
      assert.deepEqual(
        numbers,
        numbers.map((_, i) => i + 1),
        `${name}: ${block.split('\n')[0]}`,
      );
    }
  }
  const snp = (await runMain(['lifecycle', '--from', fixturePath('snp-host')])).stdout;
  assert.match(
    snp,
    /\n {2}4\. initialise vCPUs: [^\n]+\n(?: {7}[^\n]*\n)+ {5}and finalise the launch: /,
    'the step done by the same call follows its number with "and"',
  );
});

describe('diff', () => {
  test('the headline counts what is listed, in words without "(s)" or "(1 checks)"', async () => {
    const pairs = [
      ['tdx-host', 'snp-host'],
      ['sev-turin-7.2', 'snp-host'],
      ['tdx-host', 'tdx-usable-6.16'],
      ['sev-turin-7.2', 'sev-turin-7.2-snp-asids-in-use'],
      ['tdx-host', 'tdx-host'],
    ];
    for (const [a, b] of pairs) {
      const { stdout } = await runMain(['diff', fixturePath(a!), fixturePath(b!)]);
      assert.doesNotMatch(stdout, /\(s\)|\(1 checks\)/, `${a} ${b}`);
      const body = stdout.split('\n').slice(3);
      const marked = body.filter((line) => /^! /.test(line)).length;
      // Unmarked differences: "  label" lines (two spaces then the label); feature lines start "  A ".
      const plainLabels = body.filter((line) => /^ {2}[^ A[]/.test(line) || /^ {2}A(?! )/.test(line)).length;
      const features = body
        .filter((line) => /^ {2}A [^,]+, B .*: /.test(line))
        .flatMap((line) => line.slice(line.lastIndexOf(': ') + 2).split(' '));
      const headline = body[0] ?? '';
      if (a === b) {
        assert.match(headline, /agree on everything/);
        continue;
      }
      const matter = /^(\d+) differences? that matter/.exec(headline);
      if (matter) assert.equal(Number(matter[1]), marked, `${a} ${b}: ${headline}`);
      else assert.match(headline, /agree on everything that matters/);
      const more = /(\d+) (?:more that do not|differences? that do not)/.exec(headline);
      assert.equal(more ? Number(more[1]) : 0, plainLabels, `${a} ${b}: ${headline}`);
      const named = /(\d+) CPUID features? listed by name/.exec(headline);
      assert.equal(named ? Number(named[1]) : 0, features.length, `${a} ${b}: ${headline}`);
    }
  });

  test('a readiness source says "1 check", not "1 checks"', async () => {
    const { stdout } = await runMain(['diff', fixturePath('no-kvm-guest'), fixturePath('tdx-host'), '--json']);
    assert.doesNotMatch(stdout, /\b1 checks\b/);
  });
});

test('--help and help CMD list options alphabetically, descriptions in one column', async () => {
  const pages = [await runMain(['--help']), ...(await Promise.all(COMMANDS.map((c) => runMain(['help', c.name]))))];
  for (const page of pages) {
    assert.equal(page.status, 0);
    const options = page.stdout.split('\n').filter((line) => /^ {2}-/.test(line));
    assert.ok(options.length >= 2, page.stdout.slice(0, 80));
    const names = options.map((line) => /--([a-z-]+)/.exec(line)![1]!);
    assert.deepEqual(names, [...names].sort(), `options in order: ${names.join(' ')}`);
    const columns = new Set(
      options.map(
        (line) =>
          line.length -
          line
            .slice(2)
            .replace(/^-[^\s,]+(?:, --\S+)?(?: [A-Z]+)?/, '')
            .trimStart().length,
      ),
    );
    assert.equal(
      columns.size,
      1,
      `descriptions start at one column: ${[...columns].join(', ')}\n${options.join('\n')}`,
    );
  }
});

describe('a missing fact says its true reason', () => {
  test(
    'Feature MSRs: "not recorded in this snapshot" where the device was opened, "could not be opened" where it ' +
      'was not',
    async () => {
      for (const name of FIXTURES) {
        const snapshot = fixtureSnapshot(name);
        const { stdout } = await runMain(['--from', fixturePath(name)]);
        const line = stdout.split('\n').find((l) => l.startsWith('  Feature MSRs'));
        if (line === undefined) continue;
        if ('value' in snapshot.kvm.open) assert.match(line, /not recorded in this snapshot/, name);
        else assert.match(line, /the KVM device could not be opened/, name);
      }
    },
  );

  test('a failed KVM_GET_MSR_FEATURE_INDEX_LIST is the reason given', () => {
    const snapshot = fixtureSnapshot('tdx-host');
    snapshot.kvm.msrFeatureIndexList = {
      source: { ioctl: 'KVM_GET_MSR_FEATURE_INDEX_LIST', path: '/dev/kvm', fd: 'system' },
      error: { code: 'EINVAL', errno: -22, syscall: 'ioctl', message: 'EINVAL' },
    };
    const msrs = decodeSnapshot(snapshot).kvm.featureMsrs;
    assert.ok('missing' in msrs && /KVM_GET_MSR_FEATURE_INDEX_LIST failed \(EINVAL\)/.test(msrs.missing));
  });
});

describe('cpuid on a snapshot without the CPUID asked for', () => {
  test('--emulated says the snapshot does not record it and exits 3 (could not tell)', async () => {
    for (const json of [false, true]) {
      const result = await runMain([
        'cpuid',
        '--emulated',
        '--from',
        fixturePath('tdx-host'),
        ...(json ? ['--json'] : []),
      ]);
      assert.equal(result.status, 3);
      assert.match(
        result.stderr,
        /no KVM_GET_EMULATED_CPUID answer: the snapshot \S+tdx-host\.json does not record it/,
      );
      assert.equal(result.stdout, json ? '[]\n' : '');
    }
  });

  test('a recorded failure is printed and exits 3; a recorded answer exits 0', async () => {
    const failed = variant('tdx-host', (s) => {
      s.kvm.emulatedCpuid = {
        source: { ioctl: 'KVM_GET_EMULATED_CPUID', path: '/dev/kvm', fd: 'system' },
        error: {
          code: 'ENOTTY',
          errno: -25,
          syscall: 'ioctl',
          request: 'KVM_GET_EMULATED_CPUID',
          message: "ENOTTY: inappropriate ioctl for device, ioctl KVM_GET_EMULATED_CPUID '/dev/kvm'",
        },
      };
    });
    const result = await runMain(['cpuid', '--emulated', '--from', failed]);
    assert.equal(result.status, 3);
    assert.match(result.stderr, /KVM_GET_EMULATED_CPUID failed: ENOTTY/);
    const supported = await runMain(['cpuid', '--from', fixturePath('sev-legacy-6.6')]);
    assert.equal(supported.status, 0);
    assert.match(supported.stdout, /^0x00000000\.0 /);
  });
});

test('the report shows the kernel log read, and its cut, in text and JSON', async () => {
  const cut = variant('tdx-module-init-failed', (s) => {
    s.host.kernelLog.cut = { size: 70 * 1024 * 1024, kept: 64 * 1024 * 1024 - 100 };
  });
  const text = (await runMain(['--from', cut])).stdout;
  assert.match(
    text,
    new RegExp(
      String.raw`\n {2}Kernel log +\d+ records from the newest 67108764 bytes \(64\.0 MiB\) ` +
        String.raw`only: the log is 73400320 bytes \(70\.0 MiB\)`,
    ),
  );
  const json = JSON.parse((await runMain(['--from', cut, '--json'])).stdout);
  assert.deepEqual(json.host.kernelLog.value.cut, { size: 73400320, kept: 67108764 });
  const whole = JSON.parse((await runMain(['--from', fixturePath('tdx-module-init-failed'), '--json'])).stdout);
  assert.equal(whole.host.kernelLog.value.cut, null);
  const records = loadSnapshot(fixturePath('tdx-module-init-failed')).host.kernelLog as { value: unknown[] };
  assert.equal(whole.host.kernelLog.value.records, records.value.length);
  assert.ok(records.value.length > 0);
});

describe('counts that cannot be', () => {
  const tdx = () =>
    variant('tdx-init-vm-refused-7.2', (s) => {
      s.host.miscCurrent.value.tdx = 999;
    });
  const sev = () =>
    variant('sev-snp-genoa-6.11', (s) => {
      s.host.miscCurrent.value.sev_es = 1034;
      s.host.miscCurrent.value.sev = -3;
    });

  test('TD keys in use above the capacity: WARN with both numbers, never PASS', async () => {
    const from = tdx();
    const check = JSON.parse((await runMain(['check', 'tdx', '--from', from, '--json'])).stdout);
    const keys = flattenChecks(check.technologies[0].checks).find((c) => c.id === 'tdx.usable.keys')!;
    assert.equal(keys.status, 'WARN');
    assert.match(keys.found, /999 in use of a capacity of 63/);
    const text = (await runMain(['check', 'tdx', '--from', from])).stdout;
    assert.match(text, /WARN +A free TD key: inconsistent TD key counts: 999 in use of a capacity of 63/);
    assert.doesNotMatch(text, /-936/);
    assert.doesNotMatch((await runMain(['tdx', '--from', from])).stdout, /-936/);
  });

  test('SEV ASIDs in use above the capacity or below 0: WARN with both numbers', async () => {
    const from = sev();
    const check = JSON.parse((await runMain(['check', 'all', '--from', from, '--json'])).stdout);
    const all = check.technologies.flatMap((t: { checks: never[] }) => flattenChecks(t.checks));
    const es = all.find((c: { id: string }) => c.id === 'sev-es.usable.asids');
    assert.equal(es.status, 'WARN');
    assert.match(es.found, /1034 in use of a capacity of 99/);
    const plain = all.find((c: { id: string }) => c.id === 'sev.usable.asids');
    assert.equal(plain.status, 'WARN');
    assert.match(plain.found, /-3 in use of a capacity of 907/);
    assert.match(
      (await runMain(['sev', '--from', from])).stdout,
      /SEV-ES\/SNP ASIDs +1034 in use of a capacity of 99: inconsistent/,
    );
    assert.match(
      (await runMain(['sev', '--from', from])).stdout,
      /WARN +A free SEV-ES\/SNP ASID: inconsistent SEV-ES\/SNP ASID counts: 1034 in use of a capacity of 99/,
    );
  });

  test('no negative NFD label or Prometheus sample, in report or check', async () => {
    for (const from of [tdx(), sev()]) {
      for (const command of [[], ['check']]) {
        const nfd = (await runMain([...command, '--from', from, '--format', 'nfd'])).stdout;
        assert.doesNotMatch(nfd, /=-/, nfd);
        assert.doesNotMatch(nfd, /keys\.free=|asids\.free=(?!\d)/);
        const prom = (await runMain([...command, '--from', from, '--format', 'prometheus'])).stdout;
        for (const line of prom.split('\n').filter((l) => l && !l.startsWith('#'))) assert.ok(!/ -\d/.test(line), line);
      }
    }
  });

  test('consistent counts are unchanged: free = capacity - in use', async () => {
    const text = (await runMain(['check', 'tdx', '--from', fixturePath('tdx-init-vm-refused-7.2')])).stdout;
    assert.match(text, /PASS +A free TD key: 61 of 63 TD keys free \(2 in use\)/);
  });
});

test('EINTR of the requests kvm-caps does not repeat is explained with what it leaves', () => {
  for (const request of Object.keys(NOT_RETRIED)) {
    const failure = probeFailure(
      { ioctl: 'KVM_MEMORY_ENCRYPT_OP', path: '/dev/kvm', fd: 'vm', arg: request },
      { code: 'EINTR', errno: -4, syscall: 'ioctl', request, message: 'EINTR' },
    );
    assert.equal(failureText(failure), NOT_RETRIED[request]);
    assert.equal(failureFix(failure, {} as KvmDiagnosis), 'run kvm-caps again');
  }
  const other = probeFailure(
    { ioctl: 'KVM_GET_SUPPORTED_CPUID', path: '/dev/kvm', fd: 'system' },
    { code: 'EINTR', errno: -4, syscall: 'ioctl', request: 'KVM_GET_SUPPORTED_CPUID', message: 'EINTR' },
  );
  assert.equal(failureText(other), 'a signal interrupted the request');
  assert.equal(failureFix(other, {} as KvmDiagnosis), undefined);
});
