// The interpretation layer on host snapshots of machines this one is not: a TDX host,
// an SNP host, a guest without KVM, and a user without permission. Expected values are
// the facts each fixture records (see its fixtureNotes), read the way a person would.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { decodeCapabilityValue, decodeVmTypes, formatDecoded } from '../lib/decode/capabilities.js';
import { failureFix } from '../lib/check/failure-fixes.js';
import { decodeSnapshot } from '../lib/decode/model.js';
import { parameterValue } from '../lib/decode/sev-kvm-amd.js';
import { buildReport, reportChecks, type Report } from '../lib/render/report.js';
import { fixtureNames, fixtureSnapshot } from './helpers/fixtures.js';

const fixture = (name: string): Report => buildReport(fixtureSnapshot(name));

function value<T>(traced: { value: T } | { error: unknown } | { missing: string }): T {
  assert.ok('value' in traced, `expected a value, got ${JSON.stringify(traced)}`);
  return traced.value;
}

function known<T>(fact: { value: T } | { error: unknown } | { missing: string }): T {
  assert.ok('value' in fact, `expected a known fact, got ${JSON.stringify(fact)}`);
  return fact.value;
}

test('TDX host: KVM offers the TDX VM type, and the CPU flag and kvm_intel.tdx agree', () => {
  const report = fixture('tdx-host');
  assert.equal(report.kvm.usable, true);
  assert.deepEqual(value(report.kvm.vmTypes).offered, ['DEFAULT', 'TDX']);
  const tdx = report.confidential.tdx;
  assert.equal(known(tdx.vmType).offered, true);
  assert.equal(known(tdx.cpuFlag), true);
  assert.equal(tdx.parameters.find((row) => row.module === 'kvm_intel' && row.parameter === 'tdx')?.value, 'Y');
  assert.equal(known(report.confidential.sev.kvmAmd.module).loaded, false);
  assert.deepEqual(
    report.confidential.sev.vmTypes.map((t) => t.offered),
    [false, false, false],
  );
  const cpu = value(report.host.cpu);
  assert.deepEqual([cpu.vendor, cpu.family, cpu.model, cpu.stepping], ['GenuineIntel', 6, 143, 8]);
  assert.equal(value(report.host.isGuest), false);
  // 0x602e7: x87, SSE, AVX, the three AVX-512 components, PKRU and both AMX components.
  assert.equal(value(report.kvm.xsaveGuestComponents).components.length, 9);
  const modules = value(report.host.modules);
  assert.deepEqual(
    modules.backends.map((b) => [b.name, b.vendor, b.state]),
    [['kvm_intel', 'intel', 'loaded']],
  );
});

test('SNP host: SEV, SEV-ES and SNP VM types offered, flags and kvm_amd parameters shown', () => {
  const report = fixture('snp-host');
  assert.deepEqual(value(report.kvm.vmTypes).offered, ['DEFAULT', 'SEV', 'SEV_ES', 'SNP']);
  assert.deepEqual(
    report.confidential.sev.vmTypes.map(({ name, offered }) => ({ name, offered })),
    [
      { name: 'SEV', offered: true },
      { name: 'SEV_ES', offered: true },
      { name: 'SNP', offered: true },
    ],
  );
  // "sme" shows only while SME is active (mem_encrypt=on), which this host does not boot with.
  assert.deepEqual(report.confidential.sev.cpu.flags, { sme: false, sev: true, sev_es: true, sev_snp: true });
  assert.equal(report.confidential.sev.cpuinfo.source, 'file /proc/cpuinfo');
  assert.equal(parameterValue(report.confidential.sev.kvmAmd.parameters.sev_snp)?.raw, 'Y');
  assert.equal(known(report.confidential.tdx.vmType).offered, false);
  assert.equal(report.problems.length, 0);
});

test('a guest without KVM: nothing invented, the failure explained with what to do', () => {
  const report = fixture('no-kvm-guest');
  assert.equal(report.kvm.usable, false);
  assert.equal(value(report.host.isGuest), true);
  assert.deepEqual(value(report.host.modules), { kvm: null, backends: [] });
  const open = report.device.open;
  assert.ok('error' in open);
  assert.equal(open.error.code, 'ENOENT');
  assert.match(failureFix(open.error, report.kvmDiagnosis) ?? '', /modprobe kvm_intel/);
  assert.match(failureFix(open.error, report.kvmDiagnosis) ?? '', /nested/);
  // Facts that need the device are missing, with the reason, not zero or false.
  assert.deepEqual(report.kvm.apiVersion, { missing: 'not probed: the KVM device could not be opened' });
  assert.ok('missing' in report.cpuid);
  assert.equal('value' in report.confidential.tdx.vmType, false);
  assert.deepEqual(
    report.problems.map((p) => [p.fact, p.error.code]),
    [
      ['host.device', 'ENOENT'],
      ['kvm.open', 'ENOENT'],
    ],
  );
});

test('no permission: EACCES says which group to join', () => {
  const report = fixture('no-permission');
  const open = report.device.open;
  assert.ok('error' in open);
  assert.equal(open.error.code, 'EACCES');
  assert.equal(open.error.errno, -13);
  assert.match(failureFix(open.error, report.kvmDiagnosis) ?? '', /kvm/);
  assert.equal(value(report.device.node).mode, '0660');
  assert.equal(value(report.device.node).group, 'kvm');
});

test('capability values: masks by flag name, unknown bits by number, limits with units', () => {
  // KVM_X86_DISABLE_EXITS: bit 1 is HLT and bit 3 CSTATE in the kernel's uapi header.
  assert.deepEqual(decodeCapabilityValue('KVM_CAP_X86_DISABLE_EXITS', 0b1010), {
    flags: ['KVM_X86_DISABLE_EXITS_HLT', 'KVM_X86_DISABLE_EXITS_CSTATE'],
    unknownBits: [],
  });
  assert.deepEqual(decodeCapabilityValue('KVM_CAP_X86_DISABLE_EXITS', 1 << 30), { flags: [], unknownBits: [30] });
  // KVM_CAP_EXIT_HYPERCALL is a mask of 1 << KVM_HC_* (KVM_HC_MAP_GPA_RANGE = 12).
  assert.deepEqual(decodeCapabilityValue('KVM_CAP_EXIT_HYPERCALL', 4096), {
    flags: ['KVM_HC_MAP_GPA_RANGE'],
    unknownBits: [],
  });
  assert.deepEqual(decodeCapabilityValue('KVM_CAP_MAX_VCPUS', 1024), { count: 1024, unit: 'vCPUs' });
  assert.equal(decodeCapabilityValue('KVM_CAP_IRQCHIP', 1), undefined);
  assert.deepEqual(decodeVmTypes(0x21), { vmTypes: ['DEFAULT', 'TDX'], unknownBits: [] });
  assert.deepEqual(decodeVmTypes(0x41), { vmTypes: ['DEFAULT'], unknownBits: [6] });
  assert.equal(formatDecoded(decodeVmTypes(0x41)), 'DEFAULT, bit 6');
  assert.equal(formatDecoded({ flags: [], unknownBits: [] }), 'none');
});

test("the report's KVM diagnosis and TDX explanations are the check run's own, not judged again", () => {
  for (const name of fixtureNames()) {
    const snapshot = fixtureSnapshot(name);
    const model = decodeSnapshot(snapshot);
    const checks = reportChecks(snapshot, model);
    const report = buildReport(snapshot, model, checks);
    assert.equal(report.kvmDiagnosis, checks.kvmDiagnosis, name);
    assert.ok(checks.tdxExplanations !== undefined, `${name}: the report's run covers TDX`);
    assert.equal(report.confidential.tdx.explanations, checks.tdxExplanations, name);
  }
});
