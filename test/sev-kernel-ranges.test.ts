// SEV and SNP judged by what each kernel range really does (issue items on VM types by
// release, messages by release, AMD-SB-3023, cpuinfo flags, log lines, snphost/sevctl parity,
// the PSP's sysfs facts and the read-only promise): each test is built on a fixture, or on a
// fixture changed in the one fact the rule is about, so that the rule is the only thing that moves.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { flattenChecks, runChecks } from '../lib/check/run.js';
import type { CheckResult, Technology } from '../lib/check/types.js';
import { sevView, type SevView } from '../lib/decode/sev.js';
import { firmwareStatusOf } from '../lib/decode/sev-fields.js';
import { hostCpuidBits, snpMsrValues } from '../lib/decode/sev-host.js';
import { sevDeviceUsers } from '../lib/decode/sev-platform.js';
import { failureOf, known, valueOrNull } from '../lib/decode/sourced.js';
import type { Snapshot } from '../lib/snapshot/types.js';
import { fixtureSnapshot } from './helpers/fixtures.js';
import { decodeSnapshot } from '../lib/decode/model.js';
import { sevSection, type SevSection } from '../lib/render/report.js';
import { renderSev, sevLines } from '../lib/render/sev.js';
import type { SevLine } from '../lib/render/sev-line.js';
import { logLines } from '../lib/render/sev-kvm-amd.js';
import { plainStyle } from '../lib/render/style.js';
import { CPUID_FEATURE_REGISTERS } from '../lib/knowledge/cpuid-features.js';
import { projectRoot } from './helpers/compile.js';

const fixture = (name: string): Snapshot => fixtureSnapshot(name);
const copy = (name: string): Snapshot => structuredClone(fixture(name));

/** One line of the SEV view that comes from the model. */
function line(v: SevView, id: string): SevLine {
  const lines = sevLines({ ...v, technologies: [] });
  const found = lines.find((l) => l.id === id);
  assert.ok(found, `line ${id} (have ${lines.map((l) => l.id).join(', ')})`);
  return found;
}

/** A rendered line of the SEV view of this snapshot. */
const kvmAmdLine = (s: Snapshot, id: string): SevLine => line(sevView(s), id);

/** The first rendered line of those groups whose id starts with `prefix` and whose value matches. */
function kvmAmdLineLike(s: Snapshot, prefix: string, value: RegExp): SevLine | undefined {
  const v: SevSection = { ...sevView(s), technologies: [] };
  return logLines(v).find((l) => l.id.startsWith(prefix) && value.test(l.value));
}

function check(snapshot: Snapshot, technology: Technology, id: string): CheckResult {
  const t = runChecks(snapshot, [technology]).technologies.find((x) => x.technology === technology);
  assert.ok(t, technology);
  const found = flattenChecks(t.checks).find((c) => c.id === id);
  assert.ok(
    found,
    `${id} in ${flattenChecks(t.checks)
      .map((c) => c.id)
      .join(', ')}`,
  );
  return found;
}

/** A contradiction's status; the run lists only the WARN and FAIL ones, so absent means PASS. */
function cross(snapshot: Snapshot, technology: Technology, id: string): string {
  return runChecks(snapshot, [technology]).crossChecks.find((c) => c.id === id)?.status ?? 'PASS';
}

describe('VM types by kernel: KVM_CAP_VM_TYPES since 6.8, the SEV types since 6.10', () => {
  test(
    '6.8 with a mask of 0x1: SEV and SEV-ES use the legacy commands; ' + 'the rule and the cross-check do not FAIL',
    () => {
      const s = fixture('sev-no-dev-sev-6.8');
      const v = sevView(s);
      for (const id of ['kvm.vmType.SEV', 'kvm.vmType.SEV_ES']) {
        assert.equal(line(v, id).value, 'not a VM type on this kernel');
        assert.match(line(v, id).meaning ?? '', /KVM_SEV_INIT \/ KVM_SEV_ES_INIT on a default VM/);
      }
      assert.notEqual(check(s, 'sev-es', 'sev-es.kvm.vm-type').status, 'FAIL');
      assert.notEqual(check(s, 'sev', 'sev.kvm.vm-type').status, 'FAIL');
      assert.match(check(s, 'sev', 'sev.kvm.vm-type').found, /legacy KVM_SEV_INIT/);
      assert.equal(cross(s, 'sev', 'cross.sev.parameter-vs-vm-type'), 'PASS');
    },
  );

  test('the same mask on 6.10 is SEV off: the rule FAILs', () => {
    const s = copy('sev-no-dev-sev-6.8');
    s.host.kernelRelease = { ...s.host.kernelRelease, value: '6.10.0-generic' } as Snapshot['host']['kernelRelease'];
    assert.equal(line(sevView(s), 'kvm.vmType.SEV').value, 'not offered');
    assert.equal(check(s, 'sev', 'sev.kvm.vm-type').status, 'FAIL');
    assert.match(check(s, 'sev', 'sev.kvm.vm-type').found, /^not offered: KVM_CREATE_VM\(2\) will fail with EINVAL/);
    assert.equal(cross(s, 'sev', 'cross.sev.parameter-vs-vm-type'), 'FAIL');
  });
});

describe('cpuinfo flags (early_detect_mem_encrypt, bsp_determine_snp)', () => {
  test('"sme" absent is neither a FAIL nor a BIOS fix: it shows only while SME is active', () => {
    const s = fixture('sev-snp-genoa-6.11');
    const v = sevView(s);
    assert.equal(v.cpu.flags.sme, false);
    const sme = line(v, 'cpu.flag.sme');
    assert.equal(sme.value, 'absent');
    assert.match(sme.meaning ?? '', /mem_encrypt=on/);
    // No check judges sme: none names it, let alone FAILs or WARNs with a BIOS fix.
    for (const t of ['sev', 'sev-es', 'snp'] as const)
      for (const c of flattenChecks(runChecks(s, [t]).technologies[0]!.checks))
        assert.ok(!/\bsme\b/.test(`${c.title} ${c.found} ${c.fix ?? ''}`), c.id);
  });
});

describe('parity with snphost ok / sevctl ok', () => {
  test('a TCB mismatch and an incomplete alias check are FAIL, as snphost has them (virtee/snphost#127)', () => {
    const s = fixture('sev-milan-tcb-mismatch-6.11');
    assert.equal(check(s, 'snp', 'snp.firmware.tcb').status, 'FAIL');
    assert.match(check(s, 'snp', 'snp.firmware.tcb').fix ?? '', /snphost commit.*or reboot/);
    assert.equal(check(s, 'snp', 'snp.firmware.alias-check').status, 'FAIL');
    assert.match(check(s, 'snp', 'snp.firmware.alias-check').fix ?? '', /DIMM population.*AMD-SB-3015/);
    const v = sevView(s);
    assert.equal(line(v, 'snp.tcb.match').value, 'no');
    assert.equal(line(v, 'snp.aliasCheck').value, 'no');
    assert.equal(cross(s, 'snp', 'cross.snp.tcb'), 'FAIL');
    assert.equal(cross(s, 'snp', 'cross.snp.alias-check'), 'FAIL');
  });

  test(
    'SYSCFG bit 23/24 and RMP_BASE/RMP_END: clear bits FAIL with a ' + 'BIOS fix; an unreadable MSR is "cannot tell"',
    () => {
      const s = copy('sev-snp-genoa-6.11');
      const msr = (value: string) => ({ value, source: { kind: 'file' as const, path: '/dev/cpu/0/msr' } });
      // AMDESE/AMDSEV#140's rdmsr 0xc0010010 = 0x3fc0000 (bits 18-25) with bit 24 (SNPEn) cleared, and no RMP.
      s.host.msrs = { '0xc0010010': msr('0x2fc0000'), '0xc0010132': msr('0x0'), '0xc0010133': msr('0x0') } as never;
      const v = sevView(s);
      assert.equal(snpMsrValues(v.msrs).smee, true);
      assert.equal(snpMsrValues(v.msrs).snpEn, false);
      assert.equal(line(v, 'msr.syscfg.smee').value, 'set');
      assert.equal(line(v, 'msr.syscfg.smee').meaning, undefined);
      assert.equal(line(v, 'msr.syscfg.snpEn').value, 'clear');
      assert.equal(line(v, 'msr.rmp_base').value, '0x0');
      assert.match(line(v, 'msr.rmp_base').meaning ?? '', /no RMP table reserved/);
      assert.equal(cross(s, 'snp', 'cross.snp.syscfg-snp'), 'FAIL');
      const snpFail = runChecks(s, ['snp']).crossChecks.find((c) => c.id === 'cross.snp.syscfg-snp')!;
      assert.match(snpFail.found, /bit 24 \(SNPEn\) clear; RMP_BASE = 0; RMP_END = 0/);
      assert.match(snpFail.fix ?? '', /SEV-SNP Support.*RMP Table/);
      assert.equal(cross(s, 'sev', 'cross.sev.syscfg-smee'), 'PASS');
      s.host.msrs = { '0xc0010010': msr('0x0') } as never;
      assert.equal(cross(s, 'sev', 'cross.sev.syscfg-smee'), 'FAIL');
      const denied = {
        error: { code: 'EACCES', errno: -13, syscall: 'open', message: 'permission denied' },
        source: { kind: 'file' as const, path: '/dev/cpu/0/msr' },
      };
      s.host.msrs = { '0xc0010010': denied, '0xc0010132': denied, '0xc0010133': denied } as never;
      const unread = sevView(s);
      assert.equal(snpMsrValues(unread.msrs).smee, null);
      assert.equal(line(unread, 'msr.syscfg').value, 'EACCES');
      assert.match(line(unread, 'msr.syscfg').meaning ?? '', /^cannot tell/);
      assert.equal(cross(s, 'sev', 'cross.sev.syscfg-smee'), 'PASS');
      assert.equal(cross(s, 'snp', 'cross.snp.syscfg-snp'), 'PASS');
    },
  );

  test(
    '/dev/sev access for the probing user, the memlock limit and the ' +
      'EPYC brand are shown (virtee/snphost#193: memlock 8388608)',
    () => {
      const s = copy('sev-snp-genoa-6.11');
      const source = { kind: 'file' as const, path: '/dev/sev' };
      s.host.sevDeviceAccess = { value: { read: true, write: false }, source } as never;
      s.host.memlockLimit = {
        value: { soft: 8388608, hard: 8388608 },
        source: { kind: 'file' as const, path: '/proc/self/limits' },
      } as never;
      const v = sevView(s);
      assert.deepEqual(v.sevAccess && 'value' in v.sevAccess && v.sevAccess.value, { read: true, write: false });
      assert.match(line(v, 'device.access').value, /^read-only; mode 0600/);
      assert.match(line(v, 'device.access').meaning ?? '', /QEMU opens \/dev\/sev read-write/);
      assert.equal(line(v, 'host.memlock').value, 'soft 8388608 bytes, hard 8388608 bytes');
      // Shown, not judged: the check JSON does not move.
      assert.deepEqual(
        runChecks(s, ['sev', 'sev-es', 'snp']),
        runChecks(fixture('sev-snp-genoa-6.11'), ['sev', 'sev-es', 'snp']),
      );
      assert.equal(line(v, 'cpu.epyc').value, 'yes');
    },
  );
});

describe('parity with snphost ok: VMPLs and page flush from the host CPUID, who may open /dev/sev', () => {
  // virtee/snphost#187's Genoa (`snphost ok`): VMPLs with "Number of VMPLs: 4", "Page flush MSR:
  // DISABLED", C-bit 51, reduction 6, 1006 guests, min ASID 100; EAX also has SME_COHERENT (bit 10).
  const leaf = (eax: number, ebx = 0x41b3) =>
    ({
      source: { syscall: 'pread', path: '/dev/cpu/0/cpuid' },
      value: { eax: `0x${eax.toString(16)}`, ebx: `0x${ebx.toString(16)}`, ecx: '0x3ee', edx: '0x64' },
    }) as never;
  const render = (s: Snapshot) => {
    const model = decodeSnapshot(s);
    const section = sevSection(model, runChecks(s, ['sev', 'sev-es', 'snp'], model));
    return { text: renderSev(section, plainStyle), json: JSON.parse(JSON.stringify(section)) as SevSection };
  };

  test('VMPL support and count: shown from the raw leaf; an SNP CPU without VMPLs is not SNP-capable (FAIL)', () => {
    const s = copy('sev-snp-genoa-6.11');
    s.host.hostCpuid8000001f = leaf(0x43b);
    const v = sevView(s);
    assert.deepEqual(v.hostCpuid, { value: { eax: '0x43b', ebx: '0x41b3' }, source: 'pread /dev/cpu/0/cpuid' });
    assert.deepEqual(hostCpuidBits(v.hostCpuid), {
      sev: true,
      snp: true,
      vmpl: true,
      vmplCount: 4,
      pageFlush: false,
      smeCoherent: true,
    });
    assert.equal(line(v, 'cpuid.host.vmplCount').value, '4');
    assert.equal(check(s, 'snp', 'snp.cpu.vmpl').status, 'PASS');
    const { text, json } = render(s);
    assert.match(text, /VM Permission Levels \(host CPUID\)\s+supported/);
    assert.match(text, /PASS\s+VM Permission Levels \(host CPUID 0x8000001F EAX bit 5\)/);
    assert.match(text, /Number of VMPLs \(host CPUID\)\s+4/);
    assert.deepEqual(json.hostCpuid, { value: { eax: '0x43b', ebx: '0x41b3' }, source: 'pread /dev/cpu/0/cpuid' });
    s.host.hostCpuid8000001f = leaf(0x43b & ~(1 << 5), 0x01b3);
    const failed = check(s, 'snp', 'snp.cpu.vmpl');
    assert.equal(failed.status, 'FAIL');
    assert.match(failed.found, /bit 5 \(VMPL\) clear while bit 4 \(SEV-SNP\) is set, 0 VMPLs: not SEV-SNP-capable/);
    const verdict = runChecks(s, ['snp']).technologies[0]!.verdict;
    assert.equal(verdict.capable, false, verdict.summary);
  });

  test(
    'page flush: WARN only without SME_COHERENT (Linux 7.2 ' +
      "sev_flush_encrypted_page); snphost#187's DISABLED Genoa passes",
    () => {
      const s = copy('sev-snp-genoa-6.11');
      s.host.hostCpuid8000001f = leaf(0x43b);
      assert.equal(line(sevView(s), 'cpuid.host.pageFlush').value, 'not supported (not needed: SME_COHERENT)');
      assert.equal(check(s, 'sev', 'sev.cpu.page-flush').status, 'PASS');
      s.host.hostCpuid8000001f = leaf(0x43b & ~(1 << 10));
      assert.equal(line(sevView(s), 'cpuid.host.pageFlush').value, 'not supported');
      assert.equal(check(s, 'sev', 'sev.cpu.page-flush').status, 'WARN');
      assert.match(check(s, 'sev', 'sev.cpu.page-flush').fix ?? '', /BIOS \/ microcode/);
      assert.match(render(s).text, /VM page flush MSR \(host CPUID\)\s+not supported/);
      assert.match(render(s).text, /WARN\s+VM page flush MSR \(host CPUID 0x8000001F EAX bit 2\)/);
      s.host.hostCpuid8000001f = leaf(0x43b | (1 << 2));
      assert.equal(check(s, 'sev', 'sev.cpu.page-flush').found, 'supported');
    },
  );

  test(
    'a CPU whose leaf reports no SEV (all zero, as in a guest) gets ' + 'neither rule: the CPU-flag rules say why',
    () => {
      const s = copy('sev-snp-genoa-6.11');
      s.host.hostCpuid8000001f = leaf(0, 0);
      assert.equal(line(sevView(s), 'cpuid.host.vmpl').value, 'not supported');
      assert.equal(line(sevView(s), 'cpuid.host.vmpl').meaning, undefined);
      assert.equal(line(sevView(s), 'cpuid.host.pageFlush').value, 'not supported');
      const ids = (t: Technology) => flattenChecks(runChecks(s, [t]).technologies[0]!.checks).map((c) => c.id);
      assert.ok(!ids('snp').includes('snp.cpu.vmpl'));
      assert.ok(!ids('sev').includes('sev.cpu.page-flush'));
    },
  );

  test('an unreadable /dev/cpu/0/cpuid is "cannot tell", never a FAIL; old snapshots have no such rule', () => {
    const s = copy('sev-snp-genoa-6.11');
    const before = runChecks(s, ['snp']).technologies[0]!.verdict;
    s.host.hostCpuid8000001f = {
      source: { syscall: 'pread', path: '/dev/cpu/0/cpuid' },
      error: { code: 'ENOENT', errno: -2, syscall: 'open', message: 'no such file' },
    } as never;
    const v = sevView(s);
    assert.ok('error' in v.hostCpuid && v.hostCpuid.error.code === 'ENOENT');
    assert.equal(line(v, 'cpuid.host').value, 'ENOENT');
    assert.match(line(v, 'cpuid.host').meaning ?? '', /cpuid module is not loaded/);
    assert.equal(hostCpuidBits(v.hostCpuid), null);
    assert.deepEqual(runChecks(s, ['snp']).technologies[0]!.verdict, before);
  });

  test('/dev/sev: who may open it read-write from mode, owner, group and ACL; root only is a WARN with the fix', () => {
    const s = copy('sev-snp-genoa-6.11'); // crw------- root:root, as the ccp driver creates it
    const users = sevDeviceUsers(sevView(s));
    assert.deepEqual(users && { holders: users.holders, rootOnly: users.rootOnly }, {
      holders: [{ who: 'owner', name: 'root', root: true, via: 'mode' }],
      rootOnly: true,
    });
    assert.match(line(sevView(s), 'device.users').value, /^root only \(mode 0600, root:root\)$/);
    assert.match(line(sevView(s), 'device.users').meaning ?? '', /by the mode alone: the ACL was not read/);
    const warned = check(s, 'sev', 'sev.usable.device-users');
    assert.equal(warned.status, 'WARN');
    assert.match(warned.fix ?? '', /chmod 0660 \/dev\/sev.*setfacl -m u:qemu:rw \/dev\/sev/);
    const acl = (entries: string[]) =>
      ({ source: { syscall: 'spawn getfacl', path: '/dev/sev' }, value: { entries } }) as never;
    s.host.sevDeviceAcl = acl(['user::rw-', 'user:107:rw-', 'group::---', 'group:36:rw-', 'mask::rw-', 'other::---']);
    const v = sevView(s);
    assert.deepEqual(
      sevDeviceUsers(v)?.holders.map((h) => [h.who, h.name, h.via]),
      [
        ['owner', 'root', 'acl'],
        ['user', '107', 'acl'],
        ['group', '36', 'acl'],
      ],
    );
    assert.equal(check(s, 'sev', 'sev.usable.device-users').status, 'PASS');
    assert.match(line(v, 'device.users').value, /ACL user::rw-,user:107:rw-/);
    assert.doesNotMatch(line(v, 'device.users').meaning ?? '', /ACL was not read/);
    const { text, json } = render(s);
    assert.match(
      text,
      new RegExp(
        [
          String.raw`\/dev\/sev read-write for\s+user root \(owner\), user 1`,
          String.raw`07 \(ACL\), group 36 \(ACL\) \(mode 0600, root:root; AC`,
          'L ',
        ].join(''),
      ),
    );
    assert.deepEqual(json.sevAcl, {
      value: ['user::rw-', 'user:107:rw-', 'group::---', 'group:36:rw-', 'mask::rw-', 'other::---'],
      source: 'spawn getfacl /dev/sev',
    });
    // The ACL mask limits named entries: r-- leaves only the owner.
    s.host.sevDeviceAcl = acl(['user::rw-', 'user:107:rw-', 'group::---', 'mask::r--', 'other::---']);
    assert.equal(sevDeviceUsers(sevView(s))?.rootOnly, true);
  });
});

describe('/dev/sev present but not usable', () => {
  test('an open that fails for a reason other than permission FAILs the device check; EACCES stays "cannot tell"', () => {
    const s = copy('sev-snp-genoa-6.11');
    const sev = s.sev;
    assert.ok(sev);
    const source = sev.open.source;
    sev.open = { source, error: { code: 'EIO', errno: -5, syscall: 'open', path: '/dev/sev', message: 'EIO' } };
    delete sev.platformStatus;
    delete sev.snpPlatformStatus;
    delete sev.chipId;
    assert.equal(line(sevView(s), 'device.open').value, 'EIO');
    const device = check(s, 'sev', 'sev.firmware.sev-device');
    assert.equal(device.status, 'FAIL');
    assert.match(device.found, /^character 10:124, mode 0600, root:root; open: EIO: /);
    assert.ok(device.fix);
    sev.open = { source, error: { code: 'EACCES', errno: -13, syscall: 'open', path: '/dev/sev', message: 'EACCES' } };
    assert.equal(check(s, 'sev', 'sev.firmware.sev-device').status, 'PASS');
    assert.equal(check(s, 'sev', 'sev.firmware.state').status, 'UNKNOWN');
  });
});

describe("the PSP's sysfs facts (sp-pci.c, hsti.c)", () => {
  test('shown with the firmware facts; a part that is not fused or not debug-locked is a warning', () => {
    const s = copy('sev-snp-genoa-6.11');
    const pspAt = (fused: string, debug: string) =>
      ({
        value: {
          device: '0000:02:00.5',
          attributes: { fused_part: fused, debug_lock_on: debug, tsme_status: '0', bootloader_version: '00.2c.00.7b' },
        },
        source: { kind: 'file' as const, path: '/sys/bus/pci/drivers/ccp/0000:02:00.5' },
      }) as never;
    s.host.pspSysfs = pspAt('1', '1');
    const good = sevView(s);
    assert.deepEqual([known(good.psp!)?.fusedPart, known(good.psp!)?.debugLockOn], [true, true]);
    assert.equal(check(s, 'sev', 'sev.firmware.psp-production').status, 'PASS');
    assert.equal(line(good, 'psp.fused_part').meaning, undefined);
    assert.equal(line(good, 'psp.bootloader_version').value, '00.2c.00.7b');
    assert.equal(line(good, 'psp.tsme_status').value, '0');
    s.host.pspSysfs = pspAt('0', '1');
    const bad = sevView(s);
    assert.equal(known(bad.psp!)?.fusedPart, false);
    assert.match(line(bad, 'psp.fused_part').meaning ?? '', /engineering or unfused part/);
    for (const t of ['sev', 'sev-es', 'snp'] as const) {
      const unfused = check(s, t, `${t}.firmware.psp-production`);
      assert.equal(unfused.status, 'WARN');
      assert.match(unfused.found, /fused_part 0, debug_lock_on 1: not a fused \(production\) part/);
      assert.ok(unfused.fix);
    }
    s.host.pspSysfs = pspAt('1', '0');
    assert.match(check(s, 'snp', 'snp.firmware.psp-production').found, /the PSP debug lock is off/);
    // A platform whose PSP does not show the two flags has nothing to judge.
    delete s.host.pspSysfs;
    assert.ok(
      !flattenChecks(runChecks(s, ['snp']).technologies[0]!.checks).some((c) => c.id === 'snp.firmware.psp-production'),
    );
  });
});

/** The fixture with one kvm_amd log line replaced. */
function withLogLine(s: Snapshot, from: RegExp, to: string): void {
  const log = s.host.kernelLog;
  assert.ok(log && 'value' in log);
  const record = log.value.find((r) => from.test(r.message));
  assert.ok(record, String(from));
  record.message = to;
}

describe('AMD-SB-3023 and ciphertext hiding: SEV-ES gone for a reason other than ASID exhaustion', () => {
  test(
    'Genoa firmware with SNP SVN 0x1b: the kernel drops the SEV-ES ' +
      'VM type; the cause is the firmware, no reload advice',
    () => {
      const s = copy('sev-snp-genoa-6.11');
      const status = s.sev?.snpPlatformStatus;
      assert.ok(status && 'value' in status);
      status.value.currentTcbVersion = '0x3e1b000000000007';
      status.value.reportedTcbVersion = '0x3e1b000000000007';
      const system = s.kvm.capabilities?.system;
      assert.ok(system && 'value' in system);
      system.value[235] = 0x15; // DEFAULT, SEV, SNP: no SEV_ES
      withLogLine(s, /SEV-ES enabled/, 'kvm_amd: SEV-ES unusable (ASIDs 1 - 99)');
      const vmType = check(s, 'sev-es', 'sev-es.kvm.vm-type');
      assert.equal(vmType.status, 'FAIL');
      assert.match(vmType.found, /AMD-SB-3023/);
      assert.doesNotMatch(`${vmType.found} ${vmType.fix}`, /reload|modprobe|ASIDs? (are )?(in use|exhausted)/i);
      assert.match(vmType.fix ?? '', /SEV-SNP guests/);
    },
  );

  test(
    'ciphertext hiding that took the whole range: "SEV-ES unusable ' +
      '(ASIDs 100 - 99)" points at ciphertext_hiding_asids',
    () => {
      const s = copy('sev-snp-genoa-6.11');
      const system = s.kvm.capabilities?.system;
      assert.ok(system && 'value' in system);
      system.value[235] = 0x15;
      withLogLine(s, /SEV-ES enabled/, 'kvm_amd: SEV-ES unusable (ASIDs 100 - 99)');
      withLogLine(s, /TSC scaling supported/, 'kvm_amd: SEV-SNP ciphertext hiding enabled');
      const vmType = check(s, 'sev-es', 'sev-es.kvm.vm-type');
      assert.equal(vmType.status, 'FAIL');
      assert.match(vmType.found, /ciphertext hiding/);
      assert.match(vmType.fix ?? '', /ciphertext_hiding_asids on the kernel command line/);
      assert.doesNotMatch(vmType.fix ?? '', /reload|modprobe/);
      assert.equal(sevView(s).log?.asids.sevEs?.value.count, 0);
      // The "unusable" line itself is judged too, with the same cause and fix, never a module reload.
      const unusable = runChecks(s, ['sev-es']).crossChecks.find((c) => c.id === 'cross.sev-es.asids-unusable');
      assert.equal(unusable?.status, 'WARN');
      assert.match(unusable?.found ?? '', /unusable \(ASIDs 100 - 99\).*ciphertext hiding/);
      assert.match(unusable?.fix ?? '', /ciphertext_hiding_asids on the kernel command line/);
      assert.doesNotMatch(unusable?.fix ?? '', /reload|modprobe/);
    },
  );
});

/** Removes the log records whose message matches. */
function dropLogLines(s: Snapshot, pattern: RegExp): void {
  const log = s.host.kernelLog;
  assert.ok(log && 'value' in log);
  log.value = log.value.filter((r) => !pattern.test(r.message));
}

describe('messages by kernel: what each release prints, and what it does not', () => {
  test('"SEV-SNP: failed to INIT rc %d, error %#x" on 6.18 is not this kernel\'s line: not a cause, said why', () => {
    const s = copy('sev-snp-init-failed-6.18');
    withLogLine(s, /SNP_INIT_EX failed/, 'ccp 0000:42:00.1: SEV-SNP: failed to INIT rc -5, error 0x3');
    const line = kvmAmdLineLike(s, 'log.failure.', /SNP INIT/);
    assert.ok(line);
    assert.match(line.meaning ?? '', /only Linux 6\.9-6\.15 print this line/);
    assert.doesNotMatch(check(s, 'sev', 'sev.kvm.parameter').found, /failed to INIT|SNP INIT failed/);
    assert.equal(cross(s, 'snp', 'cross.snp.firmware-log'), 'PASS');
    // The same line on 6.12 is the kernel's own.
    s.host.kernelRelease = { ...s.host.kernelRelease, value: '6.12.9-amd64' } as Snapshot['host']['kernelRelease'];
    assert.equal(cross(s, 'snp', 'cross.snp.firmware-log'), 'FAIL');
    assert.doesNotMatch(kvmAmdLine(s, line.id).meaning ?? '', /only Linux/);
  });

  test(
    'SNP_PLATFORM_STATUS failing with 0x1 on 6.16-6.19 is the ' + 'implicit SNP INIT failing, not a firmware state',
    () => {
      const v = sevView(fixture('sev-snp-init-failed-6.18'));
      assert.equal(firmwareStatusOf(failureOf(v.snpPlatformStatus)!.error)?.name, 'SEV_RET_INVALID_PLATFORM_STATE');
      const status = line(v, 'snp.status');
      assert.equal(status.value, 'EIO; firmware SEV_RET_INVALID_PLATFORM_STATE (0x1)');
      assert.match(status.meaning ?? '', /implicit SNP INIT this kernel runs first failed/);
    },
  );

  test(
    '6.16+: everything disabled, no failure line, SEV firmware 1.49: ' +
      'the silent -EOPNOTSUPP, with the firmware fix',
    () => {
      const s = copy('sev-snp-init-failed-6.18');
      dropLogLines(s, /SNP_INIT_EX failed/);
      const ps = s.sev?.platformStatus;
      assert.ok(ps && 'value' in ps);
      ps.value.apiMinor = 49;
      const parameter = check(s, 'sev', 'sev.kvm.parameter');
      assert.equal(parameter.status, 'FAIL');
      assert.match(parameter.found, /-EOPNOTSUPP when the SEV firmware is older than 1\.51 \(this one: API 1\.49\)/);
      assert.match(parameter.fix ?? '', /SEV firmware 1\.51 or later/);
    },
  );

  test(
    '6.16+: SEV on, SNP off, no failure line: the silent -ENODEV (no ' + 'SNP host support), which leaves SEV working',
    () => {
      const s = copy('sev-snp-init-failed-6.18');
      dropLogLines(s, /SNP_INIT_EX failed/);
      const modules = s.host.modules;
      assert.ok('value' in modules);
      modules.value.kvm_amd!.parameters.sev = 'Y';
      const parameter = check(s, 'snp', 'snp.kvm.parameter');
      assert.equal(parameter.status, 'FAIL');
      assert.match(parameter.found, /-ENODEV when the host has no SNP support/);
    },
  );
});

describe('log lines and what they mean', () => {
  test('6.16+: "SNP PLATFORM_STATUS command failed" is offered as the reason /dev/sev is missing', () => {
    const s = copy('sev-snp-init-failed-6.18');
    withLogLine(s, /SNP_INIT_EX failed/, 'ccp 0000:42:00.1: SNP PLATFORM_STATUS command failed, ret = -5, error = 0x3');
    s.host.sevDevice = {
      error: { code: 'ENOENT', errno: -2, syscall: 'stat', path: '/dev/sev', message: 'no such file' },
      source: { file: '/dev/sev' },
    } as never;
    delete s.sev;
    const node = line(sevView(s), 'device.node');
    assert.match(
      node.meaning ?? '',
      /SNP PLATFORM_STATUS command failed, ret = -5, error = 0x3.*does not register \/dev\/sev/,
    );
    assert.match(
      check(s, 'sev', 'sev.firmware.sev-device').found,
      /SNP PLATFORM_STATUS command failed, ret = -5, error = 0x3.*does not register \/dev\/sev/,
    );
  });

  test(
    "a PSP timeout: the command's own line shows error 0 and rc -110; " + 'later commands fail with -EBUSY; reboot',
    () => {
      const s = copy('sev-snp-init-failed-6.18');
      withLogLine(s, /SNP_INIT_EX failed/, 'ccp 0000:42:00.1: sev command 0x1 timed out, disabling PSP');
      withLogLine(s, /psp enabled/, 'ccp 0000:42:00.1: SEV: INIT failed 0x0, rc -110');
      const timeout = kvmAmdLine(s, 'log.psp.timeout.0');
      assert.match(timeout.meaning ?? '', /rc -110.*-EBUSY until reboot/);
      const judged = runChecks(s, ['sev']).crossChecks.find((c) => c.id === 'cross.sev.firmware-log');
      assert.equal(judged?.status, 'FAIL');
      assert.match(judged?.found ?? '', /command 0x1 timed out; PSP disabled/);
      assert.match(judged?.fix ?? '', /^reboot/);
      const failure = kvmAmdLineLike(s, 'log.failure.', /INIT failed/);
      assert.match(failure?.meaning ?? '', /ETIMEDOUT/);
    },
  );

  test(
    '"AMD-Vi: SNP: RMP initialization failed" points at the RMP, and ' + '"retrying INIT" is shown as the retry it is',
    () => {
      const s = copy('sev-snp-init-failed-6.18');
      withLogLine(s, /IOMMU SNP support enabled/, 'AMD-Vi: SNP: RMP initialization failed, SNP cannot be supported.');
      withLogLine(
        s,
        /psp enabled/,
        'ccp 0000:42:00.1: SEV: retrying INIT command because of ' +
          'SECURE_DATA_INVALID error. Retrying once to reset PSP SEV state.',
      );
      const iommu = kvmAmdLine(s, 'log.iommu.problem.0');
      assert.match(iommu.meaning ?? '', /setting up the RMP table failed/);
      assert.match(check(s, 'snp', 'snp.kernel.iommu').fix ?? '', /RMP/);
      assert.match(
        kvmAmdLine(s, 'log.psp.initRetried').meaning ?? '',
        /a failure line after this one is the real error/,
      );
    },
  );
});

describe('the read-only promise in the output (6.16-6.19)', () => {
  test(
    'SNP_PLATFORM_STATUS withheld: shown as not asked, with the ' +
      'opt-in; the log\'s "SEV-SNP API:" line does not stand in for it',
    () => {
      const s = copy('sev-snp-init-failed-6.18');
      dropLogLines(s, /SNP_INIT_EX failed|kvm_amd: SEV/);
      withLogLine(s, /psp enabled/, 'ccp 0000:42:00.1: SEV-SNP API:1.55 build:37');
      const sev = s.sev;
      assert.ok(sev);
      delete sev.snpPlatformStatus;
      sev.withheld = {
        SNP_PLATFORM_STATUS: {
          reason: 'would initialise SNP',
          kernelChange: 'sev.snp-platform-status-inits',
          snpInitialized: 'no',
          override: '--snp-platform-status',
        },
      };
      const v = sevView(s);
      assert.equal(v.snpPlatformStatusWithheld?.override, '--snp-platform-status');
      assert.equal(valueOrNull(v.snpPlatformStatus), null);
      const withheld = line(v, 'snp.withheld');
      assert.equal(withheld.value, 'not asked (SNP initialised: no)');
      assert.equal(withheld.source, 'kvm-caps (sev.snp-platform-status-inits)');
      assert.match(withheld.meaning ?? '', /initialises SNP firmware and shuts it down again.*IOMMU out of SNP mode/);
      assert.match(withheld.meaning ?? '', /run with --snp-platform-status to ask anyway/);
      const model = decodeSnapshot(s);
      const text = renderSev(sevSection(model, runChecks(s, ['sev', 'sev-es', 'snp'], model)), plainStyle);
      assert.match(text, /SNP_PLATFORM_STATUS\s+not asked \(SNP initialised: no\)/);
      assert.match(kvmAmdLine(s, 'log.snpApi').meaning ?? '', /does not prove that SNP is running/);
      const state = check(s, 'snp', 'snp.firmware.state');
      assert.equal(state.status, 'UNKNOWN');
      assert.match(state.found, /not asked/);
      assert.match(state.needs ?? '', /--snp-platform-status/);
      // Its fields are missing for the same reason, said the same way.
      for (const id of ['snp.firmware.rmp', 'snp.firmware.alias-check', 'snp.firmware.tcb']) {
        const field = check(s, 'snp', id);
        assert.equal(field.status, 'UNKNOWN', id);
        assert.match(
          field.found,
          /not read: SNP_PLATFORM_STATUS not asked \(on Linux 6\.16 up to 7\.0 it initialises SNP firmware\)$/,
          id,
        );
        assert.match(field.needs ?? '', /--snp-platform-status/, id);
      }
    },
  );
});

describe('CPUID 0x8000001F EAX', () => {
  test("bit 31 is IbpbOnEntry and bit 25 carries the kernel's name (MSR_AMD64_SNP_SMT_PROT)", () => {
    const table = CPUID_FEATURE_REGISTERS.find((f) => f.function === 0x8000001f && f.register === 'eax');
    assert.ok(table);
    assert.equal(table.bits[31], 'ibpb_on_entry');
    assert.equal(table.bits[25], 'smt_prot');
  });
});

describe('README: the read-only guarantee and --deep as they really are', () => {
  const readme = readFileSync(join(projectRoot, 'README.md'), 'utf8');
  test(
    'a read-only fd does not make the kernel refuse every ' +
      'state-changing command; the per-kernel table of what each ' +
      'command does',
    () => {
      assert.doesNotMatch(readme, /so the kernel itself refuses every command that needs a\s+writable fd/);
      assert.match(readme, /`SNP_COMMIT` needs none/);
      assert.match(readme, /only on some commands/);
      for (const row of ['| up to 6.8 |', '| 6.9 to 6.15 |', '| 6.16 to 6.19 |', '| 7.0 and later |'])
        assert.ok(readme.includes(row), row);
      assert.match(readme, /`--snp-platform-status` sends/);
      assert.match(readme, /ceac7fb89e8d[\s\S]{0,200}551120148b67/);
    },
  );

  test(
    '--deep side effects: the ASID reclaim (WBINVD on every CPU plus ' +
      'DF_FLUSH) and SEV INIT left done before 6.16 with ' +
      'psp_init_on_probe=0',
    () => {
      assert.match(readme, /reclaim list[\s\S]{0,200}WBINVD on every CPU plus a DF_FLUSH/);
      assert.match(
        readme,
        /Before Linux\s+6\.16, on a host with the ccp module's `psp_init_on_probe=0`[\s\S]{0,120}SEV stays initialised/,
      );
    },
  );
});
