// Why KVM is not usable, end to end: scratch hosts modelled on public facts (test/helpers/
// bringup-hosts.ts) probed, saved and replayed through `kvm-caps`, `kvm-caps check` and the
// stderr note, in this process. The specific cause comes first, with the kernel's line quoted
// and the fix that applies; modprobe is never suggested where it cannot work (built in,
// nomodule, module_blacklist=); each "disabled by BIOS" wording, pasted in every log format,
// reads as "disabled in the firmware" with the BIOS/UEFI setting; kvm-ok's cases are covered.
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { kernelLogWithoutKvm } from './helpers/kvm-device.js';
import { join } from 'node:path';
import { test, type TestContext } from 'node:test';
import { failureFix } from '../lib/check/failure-fixes.js';
import { kvmDiagnosis, specificCause, type KvmDiagnosis } from '../lib/check/kvm-causes.js';
import { bringupFailedFix, loadKvmIntelFix } from '../lib/check/tdx-causes.js';
import { probeFailure } from '../lib/decode/failure.js';
import { runChecks } from '../lib/check/run.js';
import type { CheckResult } from '../lib/check/types.js';
import { flattenChecks } from '../lib/check/run.js';
import { KVM_BRINGUP_MESSAGES, matchKvmBringupMessage } from '../lib/knowledge/kvm-bringup.js';
import { MSR_IA32_FEATURE_CONTROL, MSR_VM_CR } from '../lib/snapshot/bringup-files.js';
import { kernelLogFromFile } from '../lib/snapshot/kernel-log.js';
import type { Snapshot } from '../lib/snapshot/types.js';
import {
  AMD_FIRMWARE_OFF,
  cpuinfo,
  INTEL_FIRMWARE_OFF,
  probedSnapshot,
  PVM_GUEST,
  scratchDir,
  type ScratchHost,
} from './helpers/bringup-hosts.js';
import { runMain } from './helpers/cli.js';
import { fixtureSnapshot } from './helpers/fixtures.js';
import { fixturesDir } from './helpers/fixtures.js';
import { FORMATS } from './helpers/log-writers.js';

function kvmCheck(snapshot: Snapshot, id: string): CheckResult {
  const kvm = runChecks(snapshot, ['kvm']).technologies[0];
  const found = kvm && flattenChecks(kvm.checks).find((c) => c.id === id);
  assert.ok(found, `check ${id}`);
  return found;
}

function kvmVerdict(snapshot: Snapshot): [boolean | null, boolean | null, boolean | null] {
  const v = runChecks(snapshot, ['kvm']).technologies[0]?.verdict;
  assert.ok(v);
  return [v.capable, v.enabled, v.usable];
}

function causeOf(snapshot: Snapshot): NonNullable<ReturnType<typeof specificCause>> {
  const cause = specificCause(kvmDiagnosis(snapshot));
  assert.ok(cause, 'a specific cause');
  return cause;
}

/** Saves a snapshot for `--from`. */
function save(t: TestContext, snapshot: Snapshot): string {
  const path = join(scratchDir(t), 'snapshot.json');
  writeFileSync(path, JSON.stringify(snapshot));
  return path;
}

const ENOENT = (path: string, syscall: string) => ({
  source: { syscall, path },
  error: {
    code: 'ENOENT',
    errno: -2,
    syscall,
    path,
    message: `ENOENT: no such file or directory, ${syscall} '${path}'`,
  },
});

// --- the kvm-pvm guest whose backend would not bind --------------------------------------

test(
  'a kvm-pvm guest whose backend did not bind: report, check and the stderr note name that cause and suggest ' +
    'no modprobe',
  async (t) => {
    const { saved } = await probedSnapshot(t, PVM_GUEST);
    const report = await runMain(['--from', saved]);
    const check = await runMain(['check', '--from', saved]);
    const checkKvm = await runMain(['check', 'kvm', '--from', saved, '--verbose']);
    const line = 'kvm-pvm: this kernel is itself a kvm-pvm guest; not binding';
    for (const [name, result] of [
      ['report', report],
      ['check', check],
      ['check kvm --verbose', checkKvm],
    ] as const) {
      assert.doesNotMatch(result.stdout + result.stderr, /modprobe/, `${name} suggests no modprobe`);
      assert.doesNotMatch(result.stdout, /KVM is not loaded, or this machine cannot virtualize/, name);
      assert.ok(result.stdout.includes(line), `${name} quotes the kernel's line`);
    }
    // The report: the cause first, before the host facts, with its source and the fix.
    const why = report.stdout.indexOf('Why KVM is not usable here');
    assert.ok(why > 0 && why < report.stdout.indexOf('\nHost\n'), report.stdout);
    assert.match(
      report.stdout,
      /Cause\s+the kvm_pvm backend did not bind to KVM \(this kernel is itself a kvm-pvm guest\)/,
    );
    assert.match(report.stdout, /kernel-log\.txt\]/);
    assert.match(report.stdout, /fix\s+No module load helps here/);
    // The stderr note: the same cause, the line with its source, the fix.
    assert.equal(report.status, 3);
    assert.match(report.stderr, /cause: the kvm_pvm backend did not bind/);
    assert.ok(report.stderr.includes(`the kernel logged: "${line}" [file `), report.stderr);
    assert.match(report.stderr, /fix: No module load helps here/);
    // check: not capable, the cause is the first thing said, with where it was read and the fix.
    assert.equal(check.status, 1);
    const kvmBlock = check.stdout.split('\n\n')[0] ?? '';
    assert.match(kvmBlock, /^KVM: not capable: CPU virtualization extensions: the kvm_pvm backend did not bind/);
    assert.match(kvmBlock, /\n {2}read from: file .*kernel-log\.txt\n {2}fix: No module load helps here/);
    assert.doesNotMatch(check.stdout, /runs guests without VMX\/SVM/);
    // JSON: the verdict and the diagnosis agree.
    const json = JSON.parse((await runMain(['--from', saved, '--json'])).stdout) as {
      technologies: { technology: string; verdict: { capable: boolean } }[];
      kvmDiagnosis: KvmDiagnosis;
    };
    assert.equal(json.technologies.find((x) => x.technology === 'kvm')?.verdict.capable, false);
    assert.equal(json.kvmDiagnosis.causes[0]?.id, 'kvm.backend-not-bound');
    assert.equal(json.kvmDiagnosis.causes[0]?.evidence[0]?.quote, line);
    assert.deepEqual(json.kvmDiagnosis.modprobe, { kvm: false, kvm_intel: false, kvm_amd: false });
    assert.deepEqual(json.kvmDiagnosis.hypervisor, { logged: 'KVM', exposesExtension: false });
  },
);

test(
  'a kvm_pvm backend counts only where it bound: present but ' + 'not bound is not capable; bound and answering is',
  async (t) => {
    const { snapshot } = await probedSnapshot(t, PVM_GUEST);
    assert.equal(kvmCheck(snapshot, 'kvm.cpu.virtualization').status, 'FAIL');
    assert.deepEqual(kvmVerdict(snapshot), [false, false, false]);
    // The same kernel where the backend bound: its own line, "kvm-pvm: loaded (...)".
    const bound = await probedSnapshot(t, {
      ...PVM_GUEST,
      log: '[    0.369955] kvm-pvm: loaded (native=1 pcid=1 pge_off=1 emul_batch=1024 emul_ibpb=0)\n',
    });
    const virt = kvmCheck(bound.snapshot, 'kvm.cpu.virtualization');
    assert.equal(virt.status, 'PASS');
    assert.match(virt.found, /svm absent, but a software backend bound to KVM/);
    // A firmware that left SVM off does not matter to a backend that needs no SVM.
    const svmOff = await probedSnapshot(t, {
      ...PVM_GUEST,
      log:
        '[    0.052101] SVM disabled (by BIOS) in MSR_VM_CR\n[    0.369955] kvm-pvm: loaded (native=1 pcid=1 ' +
        'pge_off=1 emul_batch=1024 emul_ibpb=0)\n',
    });
    assert.equal(kvmCheck(svmOff.snapshot, 'kvm.cpu.virtualization').status, 'PASS');
    assert.equal(kvmVerdict(svmOff.snapshot)[0], true);
  },
);

// --- "disabled by BIOS", every wording, every log format ---------------------------------

/**
 * Each firmware-disabled wording's line, from the log fixtures (their `# source` names the kernel file and release).
 */
function firmwareLines(): { id: string; line: string; era: string; vendor: 'intel' | 'amd' }[] {
  const dir = join(fixturesDir, 'kernel-logs');
  const out: { id: string; line: string; era: string; vendor: 'intel' | 'amd' }[] = [];
  for (const name of readdirSync(dir).filter((n) => n.startsWith('kvm-'))) {
    for (const raw of readFileSync(join(dir, name), 'utf8').split('\n')) {
      const message = /^\[\s*\d+\.\d+\] (.*)$/.exec(raw)?.[1];
      const found = message === undefined ? undefined : matchKvmBringupMessage(message);
      if (found?.row.cause !== 'firmware-disabled' || out.some((o) => o.id === found.row.id)) continue;
      const era =
        /-(\d+\.\d+)\.txt$/.exec(name)?.[1] ?? (found.row.sources.some((s) => /7\.2/.test(s.kernels)) ? '7.2' : '6.1');
      out.push({ id: found.row.id, line: raw, era, vendor: found.row.vendor === 'amd' ? 'amd' : 'intel' });
    }
  }
  return out;
}

const RELEASE: Readonly<Record<string, string>> = {
  '5.10': '5.10.0-32-amd64',
  '6.1': '6.1.0-28-amd64',
  '7.2': '7.2.0-1-amd64',
};

test(
  'each "disabled by BIOS" wording, in every log format, reads "disabled in the firmware" with the line quoted ' +
    'and the BIOS/UEFI setting',
  async (t) => {
    const lines = firmwareLines();
    const ids = KVM_BRINGUP_MESSAGES.filter((r) => r.cause === 'firmware-disabled')
      .map((r) => r.id)
      .sort();
    assert.deepEqual(lines.map((l) => l.id).sort(), ids, 'a fixture line for every firmware-disabled wording');
    // The hosts without their MSR (no msr driver): only the kernel's line can tell.
    const intel = (await probedSnapshot(t, { ...INTEL_FIRMWARE_OFF, msr: undefined, log: '' } as ScratchHost)).snapshot;
    const amd = (
      await probedSnapshot(t, { ...AMD_FIRMWARE_OFF, msr: undefined, container: undefined, log: '' } as ScratchHost)
    ).snapshot;
    const dir = scratchDir(t);
    for (const { id, line, era, vendor } of lines) {
      const message = /^\[\s*(\d+)\.(\d+)\] (.*)$/.exec(line);
      assert.ok(message);
      const base: Snapshot = structuredClone(vendor === 'amd' ? amd : intel);
      base.host.kernelRelease = { source: base.host.kernelRelease.source, value: `${RELEASE[era] ?? era}\n` };
      const setting =
        vendor === 'amd'
          ? /Enable "SVM Mode" \(AMD-V\) in the BIOS\/UEFI setup/
          : /Enable "Intel Virtualization Technology" \(VT-x.*\) in the BIOS\/UEFI setup/;
      for (const format of FORMATS) {
        const file = join(dir, `${id}.log`);
        const record = { timestampUs: Number(message[1]) * 1e6 + Number(message[2]), message: message[3] ?? '' };
        writeFileSync(file, `${format.write(record, 0)}\n`);
        const snapshot: Snapshot = { ...base, host: { ...base.host, kernelLog: kernelLogFromFile(file) } };
        const what = `${id} as ${format.name}`;
        const cause = causeOf(snapshot);
        assert.equal(cause.id, 'kvm.firmware-disabled', what);
        const virt = kvmCheck(snapshot, 'kvm.cpu.virtualization');
        assert.equal(virt.status, 'FAIL', what);
        assert.match(virt.found, /is disabled in the firmware/, what);
        assert.ok(virt.found.includes(`the kernel logged "${message[3]}"`), `${what}: ${virt.found}`);
        assert.match(virt.fix ?? '', setting, what);
        assert.doesNotMatch(`${virt.found} ${virt.fix}`, /modprobe/, what);
        assert.equal(kvmVerdict(snapshot)[0], false, `${what}: not capable`);
      }
      // Through the command line as a user pastes it: the report, check and the note.
      const saved = save(t, base);
      const file = join(dir, `${id}.journal`);
      writeFileSync(file, `Dec 02 09:01:07 host kernel: ${message[3]}\n`);
      const report = await runMain(['--from', saved, '--kernel-log', file]);
      assert.match(report.stdout, /Why KVM is not usable here\n {2}Cause\s+.*is disabled in the firmware/, id);
      assert.ok(report.stdout.includes(`the kernel logged: "${message[3]}"`), id);
      assert.match(report.stdout, setting, id);
      assert.match(report.stderr, /cause: .*disabled in the firmware/, id);
      assert.match(report.stderr, setting, id);
      const check = await runMain(['check', 'kvm', '--from', saved, '--kernel-log', file]);
      assert.match(check.stdout, /^KVM: not capable: CPU virtualization extensions: .*disabled in the firmware/m, id);
      assert.match(check.stdout, setting, id);
    }
  },
);

// --- kvm-ok's cases -----------------------------------------------------------------------

test('kvm-ok: disabled by BIOS through the MSR alone (IA32_FEATURE_CONTROL 0x1, VM_CR 0x18)', async (t) => {
  const intel = (
    await probedSnapshot(t, { ...INTEL_FIRMWARE_OFF, log: '[    0.000000] Linux version 6.1.0-28-amd64\n' })
  ).snapshot;
  const cause = causeOf(intel);
  assert.equal(cause.id, 'kvm.firmware-disabled');
  assert.match(cause.found, /VT-x \(VMX\) is disabled in the firmware/);
  assert.deepEqual(
    cause.evidence.map((e) => e.quote),
    ['IA32_FEATURE_CONTROL = 0x1 (locked, VMX inside SMX off, VMX outside SMX off)'],
  );
  assert.match(cause.evidence[0]?.source ?? '', /pread .*dev\/cpu\/0\/msr \(CPU 0, MSR 0x3a\)/);
  assert.match(cause.fix ?? '', /Intel Virtualization Technology/);
  const amd = (await probedSnapshot(t, { ...AMD_FIRMWARE_OFF, container: undefined, log: '' } as ScratchHost)).snapshot;
  const amdCause = causeOf(amd);
  assert.equal(amdCause.id, 'kvm.firmware-disabled');
  assert.equal(amdCause.evidence[0]?.quote, 'VM_CR = 0x18 (locked, SVMDIS set: SVM disabled)');
  assert.match(amdCause.fix ?? '', /SVM Mode/);
  // VMX on and locked (0x5): the firmware is not the cause.
  const on = (
    await probedSnapshot(t, { ...INTEL_FIRMWARE_OFF, msr: { index: MSR_IA32_FEATURE_CONTROL, value: 0x5n }, log: '' })
  ).snapshot;
  assert.notEqual(specificCause(kvmDiagnosis(on))?.id, 'kvm.firmware-disabled');
  assert.equal(MSR_VM_CR, 0xc0010114);
});

test(
  'kvm-ok: no VMX/SVM flag — the CPU lacks it on bare metal, a ' + 'guest lacks nested: each its own cause and fix',
  async (t) => {
    // Bare metal, the kernel says the CPU has no VMX (7.2 vmx.c).
    const bare = (
      await probedSnapshot(t, {
        ...INTEL_FIRMWARE_OFF,
        release: '7.2.0-1-amd64',
        msr: undefined,
        log: '[    9.336402] kvm_intel: VMX not supported by CPU 0\n',
      })
    ).snapshot;
    const lacks = causeOf(bare);
    assert.equal(lacks.id, 'kvm.cpu-lacks-extension');
    assert.match(lacks.found, /the CPU has no VT-x \(VMX\)/);
    assert.match(lacks.fix ?? '', /use a CPU with VT-x or AMD-V/);
    assert.deepEqual(kvmVerdict(bare), [false, false, false]);
    // Bare metal, no line and no MSR on a 5.6+ kernel: missing and firmware-disabled look alike; both are said.
    const silent = (
      await probedSnapshot(t, {
        ...INTEL_FIRMWARE_OFF,
        msr: undefined,
        log: '[    0.000000] Linux version 6.1.0-28-amd64\n',
      })
    ).snapshot;
    const either = causeOf(silent);
    assert.equal(either.id, 'kvm.cpu-lacks-extension');
    assert.match(
      either.found,
      /lacks VT-x, or the firmware disabled it .*could not be read \(ENOENT: the msr driver is not loaded\)/,
    );
    assert.match(either.fix ?? '', /Intel Virtualization Technology/);
    // A cloud guest without nested virtualization (the no-kvm-guest fixture: hypervisor flag, no svm, no /dev/kvm).
    const guest = fixtureSnapshot('no-kvm-guest');
    const nested = causeOf(guest);
    assert.equal(nested.id, 'kvm.guest-without-nested');
    assert.match(nested.found, /does not expose SVM/);
    assert.match(nested.fix ?? '', /kvm_amd\.nested=1/);
    assert.notEqual(nested.fix, lacks.fix);
    const check = kvmCheck(guest, 'kvm.cpu.virtualization');
    assert.equal(check.status, 'FAIL');
    assert.match(check.fix ?? '', /On the outer host, enable nested virtualization/);
  },
);

test(
  'kvm-ok: no /dev/kvm — modprobe only for a loadable module; ' + 'built in with nomodule, or blacklisted, never',
  async (t) => {
    const vtOn = {
      ...INTEL_FIRMWARE_OFF,
      cpuinfo: cpuinfo('GenuineIntel', 'Intel(R) Xeon(R) CPU E5-2620 v4', 'fpu vme de pse tsc msr pae vmx ssse3'),
      msr: { index: MSR_IA32_FEATURE_CONTROL, value: 0x5n },
      log: '',
    };
    const loadable = (await probedSnapshot(t, vtOn)).snapshot;
    const notLoaded = causeOf(loadable);
    assert.equal(notLoaded.id, 'kvm.module-not-loaded');
    assert.match(notLoaded.fix ?? '', /^`modprobe kvm_intel`/);
    assert.deepEqual(kvmVerdict(loadable), [true, false, false]);
    // module_blacklist=kvm_intel: the kernel refuses it; modprobe cannot help.
    const blacklisted = (
      await probedSnapshot(t, {
        ...vtOn,
        cmdline: `${vtOn.cmdline} module_blacklist=kvm_intel`,
        log: '[  215.004411] Module kvm_intel is blacklisted\n',
      })
    ).snapshot;
    const refused = causeOf(blacklisted);
    assert.equal(refused.id, 'kvm.module-blacklisted');
    assert.doesNotMatch(refused.fix ?? '', /modprobe/);
    assert.match(refused.fix ?? '', /module_blacklist=/);
    // nomodule on a kernel without kvm_intel built in: no module can load this boot.
    const nomodule = (await probedSnapshot(t, { ...vtOn, cmdline: `${vtOn.cmdline} nomodule` })).snapshot;
    const none = causeOf(nomodule);
    assert.equal(none.id, 'kvm.nomodule');
    assert.doesNotMatch(none.fix ?? '', /modprobe/);
    for (const snapshot of [blacklisted, nomodule]) {
      const note = await runMain(['--from', save(t, snapshot)]);
      assert.doesNotMatch(note.stdout + note.stderr, /modprobe kvm/);
    }
    // modprobe.blacklist= stops only automatic loading (kmod's modprobe.d(5) "blacklist"): modprobe NAME still works.
    const autoOff = causeOf(
      (await probedSnapshot(t, { ...vtOn, cmdline: `${vtOn.cmdline} modprobe.blacklist=kvm_intel` })).snapshot,
    );
    assert.match(autoOff.fix ?? '', /`modprobe kvm_intel` \(modprobe\.blacklist= .* stops only its automatic loading/);
  },
);

test(
  'SEV on a host whose KVM cannot load: the KVM cause first, SEV checks under KVM skipped naming it, no ' +
    '`modprobe kvm_amd sev=1`',
  async (t) => {
    // The Genoa 6.11 host with kvm_amd listed in module_blacklist=: the kernel refuses it, so no /dev/kvm.
    const snapshot = fixtureSnapshot('sev-snp-genoa-6.11');
    const modules = snapshot.host.modules;
    assert.ok('value' in modules);
    delete modules.value.kvm_amd;
    snapshot.host.cmdline = {
      source: { file: '/proc/cmdline' },
      value: 'BOOT_IMAGE=/boot/vmlinuz-6.11.0 root=UUID=0e2f ro module_blacklist=kvm_amd\n',
    };
    snapshot.host.device = ENOENT('/dev/kvm', 'stat') as Snapshot['host']['device'];
    snapshot.kvm = { open: ENOENT('/dev/kvm', 'open') as Snapshot['kvm']['open'] };
    const report = runChecks(snapshot, ['kvm', 'sev', 'snp']);
    const kvm = report.technologies.find((x) => x.technology === 'kvm');
    assert.match(kvm?.verdict.summary ?? '', /kvm_amd is listed in module_blacklist=/);
    for (const tech of ['sev', 'snp'] as const) {
      const param = flattenChecks(report.technologies.find((x) => x.technology === tech)?.checks ?? []).find(
        (c) => c.id === `${tech}.kvm.parameter`,
      );
      assert.equal(param?.status, 'SKIP', tech);
      assert.equal(param?.skippedBecause, 'kvm.kernel.modules', tech);
    }
    const saved = save(t, snapshot);
    for (const args of [
      ['--from', saved],
      ['check', '--from', saved, '--verbose'],
      ['sev', '--from', saved],
    ]) {
      const out = await runMain(args);
      assert.doesNotMatch(out.stdout + out.stderr, /modprobe kvm_amd/, args.join(' '));
    }
  },
);

test('device access: not in the group, a security policy, a container without the device', async (t) => {
  const base = fixtureSnapshot('no-permission');
  const cause = causeOf(base);
  assert.equal(cause.id, 'kvm.device-permission');
  assert.match(cause.fix ?? '', /usermod -aG kvm|setfacl|Allow the device/);
  // A container that was not given the device (kvm_amd loaded on the host, /dev/kvm absent inside).
  const inside = (
    await probedSnapshot(t, {
      ...AMD_FIRMWARE_OFF,
      cpuinfo: cpuinfo('AuthenticAMD', 'AMD EPYC 9124 16-Core Processor', 'fpu vme de pse tsc msr pae svm'),
      msr: undefined,
      sysModules: { kvm: { initstate: 'live' }, kvm_amd: { initstate: 'live', parameters: { nested: '1' } } },
      log: '',
    })
  ).snapshot;
  const container = causeOf(inside);
  assert.equal(container.id, 'kvm.device-not-in-container');
  assert.match(container.fix ?? '', /docker run --device \/dev\/kvm/);
  assert.deepEqual(
    container.evidence.map((e) => e.quote),
    ['/.dockerenv', '/proc/1/cgroup: 0::/system.slice/docker-3f2a.scope'],
  );
  // The nested parameter of the loaded vendor module is reported.
  assert.deepEqual(kvmDiagnosis(inside).nested, { module: 'kvm_amd', value: '1', enabled: true });
});

test('an earlier boot in a pasted log is shown as such and never judged', async (t) => {
  const log =
    `[    0.000000] Linux version 6.12.0\n[    9.336402] kvm: disabled by bios\n[    0.000000] Linux version ` +
    `6.18.44\n${PVM_GUEST.log}`;
  const { saved } = await probedSnapshot(t, { ...PVM_GUEST, log });
  const report = await runMain(['--from', saved]);
  assert.match(
    report.stdout,
    /In an earlier boot\s+\(not judged: the newest boot decides\)\n\s+"kvm: disabled by bios"/,
  );
  assert.doesNotMatch(report.stdout, /disabled in the firmware/);
});

// --- the other causes, one kernel line each -----------------------------------------------

test('the other bring-up lines each give their own cause, status and fix', async (t) => {
  // An Intel host with VT-x on (IA32_FEATURE_CONTROL 0x5) whose kvm_intel did not register; each line from its log
  // fixture.
  const vtOn: ScratchHost = {
    ...INTEL_FIRMWARE_OFF,
    release: '7.2.0-1-amd64',
    cpuinfo: cpuinfo('GenuineIntel', 'Intel(R) Xeon(R) CPU E5-2620 v4', 'fpu vme de pse tsc msr pae vmx ssse3'),
    msr: { index: MSR_IA32_FEATURE_CONTROL, value: 0x5n },
  };
  const cases: [string, string, string, RegExp][] = [
    [
      "[   44.019232] kvm: already loaded vendor module 'kvm_amd'",
      'kvm.vendor-module-conflict',
      'FAIL',
      /unload it|cannot be unloaded/,
    ],
    ['[  120.551820] kvm: enabling virtualization on CPU1 failed', 'kvm.enable-failed', 'FAIL', /vboxdrv/],
    [
      '[ 9811.000342] VMXON faulted, MSR_IA32_FEAT_CTL (0x3a) = 0x0',
      'kvm.enable-failed',
      'FAIL',
      /Intel Virtualization Technology/,
    ],
    ['[    7.340012] kvm_intel: Failed to setup VMCS config on CPU 4', 'kvm.cpus-differ', 'FAIL', /microcode/],
    ['[    6.102030] kvm_intel: NX (Execute Disable) not supported', 'kvm.nx-disabled', 'FAIL', /Execute Disable Bit/],
    [
      "[  401.112200] kvm_intel: `2' invalid for parameter `nested'",
      'kvm.parameter-rejected',
      'FAIL',
      /options kvm_intel nested=/,
    ],
  ];
  for (const [line, id, status, fix] of cases) {
    const snapshot = (await probedSnapshot(t, { ...vtOn, log: `${line}\n` })).snapshot;
    const cause = causeOf(snapshot);
    assert.deepEqual([cause.id, cause.status], [id, status], line);
    assert.match(cause.fix ?? '', fix, line);
    assert.ok(
      cause.evidence.some((e) => line.endsWith(e.quote)),
      `${line}: quoted`,
    );
  }
  // VMXON's IA32_FEATURE_CONTROL value is decoded.
  const vmxon = causeOf(
    (await probedSnapshot(t, { ...vtOn, log: '[ 9811.000342] VMXON faulted, MSR_IA32_FEAT_CTL (0x3a) = 0x0\n' }))
      .snapshot,
  );
  assert.match(vmxon.found, /IA32_FEATURE_CONTROL = 0x0: not locked, VMX inside SMX off, VMX outside SMX off/);
  // A wrong-vendor line on a host whose own module works is a warning, not a failure.
  const withIntel = (
    await probedSnapshot(t, {
      ...vtOn,
      sysModules: { kvm: { initstate: 'live' }, kvm_intel: { initstate: 'live', parameters: { nested: 'Y' } } },
      log: "[  312.400113] kvm_amd: CPU 0 isn't AMD or Hygon\n",
    })
  ).snapshot;
  const amdOnIntel = kvmDiagnosis(withIntel).causes.find((c) => c.id === 'kvm.wrong-vendor-module');
  assert.deepEqual([amdOnIntel?.status, amdOnIntel?.effect], ['WARN', null]);
  assert.deepEqual(kvmDiagnosis(withIntel).nested, { module: 'kvm_intel', value: 'Y', enabled: true });
  // An SEV guest (its 7.2 wording), on an AMD guest.
  const sevGuest = causeOf(
    (
      await probedSnapshot(t, {
        ...PVM_GUEST,
        release: '7.2.0-1-amd64',
        sysModules: { kvm: { initstate: 'live' } },
        log:
          '[    0.000000] Hypervisor detected: KVM\n[    4.118002] kvm_amd: KVM is unsupported when running as ' +
          'an SEV guest\n',
      })
    ).snapshot,
  );
  assert.equal(sevGuest.id, 'kvm.sev-guest');
});

test('a fix suggests a module load only where the diagnosis says modprobe can load it', () => {
  const intel = {
    vendorModule: 'kvm_intel',
    nomodule: false,
    modprobe: { kvm: true, kvm_intel: true, kvm_amd: false },
  } as KvmDiagnosis;
  const builtIn = { ...intel, modprobe: { kvm: false, kvm_intel: false, kvm_amd: true } };
  const nomodule = { ...intel, nomodule: true, modprobe: { kvm: false, kvm_intel: false, kvm_amd: false } };
  const failure = (syscall: string, path: string, code: string, errno: number) =>
    probeFailure({ syscall, path }, { code, errno, syscall, path, message: code });
  const noNode = failure('open', '/dev/kvm', 'ENOENT', -2);
  // kvm_amd is not this CPU's module: that it cannot be loaded takes nothing away on Intel.
  assert.match(failureFix(noNode, intel) ?? '', /^load kvm and the vendor module \(`modprobe kvm_intel`/);
  assert.equal(
    failureFix(noNode, builtIn),
    'in a VM, enable nested virtualization on the outer host; in a container, pass the device in (--device ' +
      '/dev/kvm) (no module load: modprobe cannot load it here: built in, not in this kernel, or in module_blacklist=)',
  );
  assert.equal(
    failureFix(failure('open', '/dev/kvm', 'ENXIO', -6), nomodule),
    'a module load cannot help here (nomodule is on the kernel command line): see why KVM is not usable',
  );
  // The BIOS half of the SEV device's fix stays where only the ccp load cannot work.
  const noSev = failure('stat', '/dev/sev', 'ENOENT', -2);
  assert.equal(failureFix(noSev, intel), 'enable SEV (and SNP) in the BIOS, then load ccp (`modprobe ccp`)');
  assert.equal(
    failureFix(noSev, nomodule),
    'enable SEV (and SNP) in the BIOS (no module load: nomodule is on the kernel command line)',
  );
  // The TDX fixes for a kvm_intel that is not loaded: modprobe, or the kernel command line.
  assert.equal(loadKvmIntelFix(intel), 'modprobe kvm_intel tdx=1');
  assert.match(loadKvmIntelFix(builtIn), /^boot with kvm_intel\.tdx=1 on the kernel command line/);
  assert.match(bringupFailedFix(intel), /`modprobe kvm_intel tdx=0`/);
  assert.doesNotMatch(bringupFailedFix(builtIn), /modprobe kvm_intel/);
  assert.match(bringupFailedFix(builtIn), /boot with kvm_intel\.tdx=0 on the kernel command line.*Retrying tdx=1/);
});

test("live: without /dev/kvm, the stated cause quotes this machine's own kernel log", async (t) => {
  const lines = kernelLogWithoutKvm(t, 'there is no missing device whose cause to compare');
  if (lines === undefined) return;
  const { probeHost } = await import('../lib/snapshot/probe.js');
  const cause = specificCause(kvmDiagnosis(await probeHost()));
  assert.ok(cause, 'a missing /dev/kvm always has a stated cause');
  t.diagnostic(`stated cause: ${cause.id}: ${cause.found}`);
  // Every kernel line the cause quotes is a line of this machine's own dmesg.
  for (const e of cause.evidence.filter((x) => x.kernelSource !== undefined))
    assert.ok(lines.includes(e.quote), `"${e.quote}" is in dmesg`);
});
