// `kvm-caps check`: every rule judged on fixture snapshots both ways (each variation is a
// structuredClone of a fixture with the one fact the rule reads changed, and the expected
// status is what that fact means, not what the code says), SKIP under a failed parent, the
// capable / enabled / usable verdicts, the contradictions, the unprivileged cases (UNKNOWN
// with what it needs, never FAIL), the exit codes, and the command end to end on personas
// under the kernel double.
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { after, before, describe, test } from 'node:test';
import { CROSS_CHECKS, flattenChecks, RULES, runChecks, technologiesFor } from '../lib/check/run.js';
import { kvmBlocker, kvmDiagnosis } from '../lib/check/kvm-causes.js';
import {
  LAYERS,
  TECHNOLOGIES,
  type CheckReport,
  type CheckResult,
  type CheckStatus,
  type Technology,
} from '../lib/check/types.js';
import { checkCommand, checkExitCode } from '../lib/cli/commands/check.js';
import { EXIT, UsageError, type Values } from '../lib/cli/context.js';
import { renderCheck } from '../lib/render/check.js';
import { plainStyle } from '../lib/render/style.js';
import type { Fact, Snapshot } from '../lib/snapshot/types.js';
import { KVM_CAPABILITIES } from '../lib/knowledge/capabilities.js';
import { runCli } from './helpers/cli.js';
import { buildDouble, doubleSkipReason, loadPersona, preparePersona, type PreparedPersona } from './helpers/double.js';
import { fixturePath, fixtureSnapshot as fixture } from './helpers/fixtures.js';
import { uapiHeaders } from './helpers/uapi-headers.js';
import { skipUnless } from './helpers/requirements.js';

const FIXTURES = [
  'tdx-usable-6.16',
  'tdx-host',
  'tdx-module-init-failed',
  'tdx-bios-disabled',
  'tdx-kernel-6.8-intel',
  'tdx-prerequisite-off',
  'tdx-capabilities-enotty',
  'tdx-init-vm-refused-7.2',
  'sev-snp-genoa-6.11',
  'sev-milan-tcb-mismatch-6.11',
  'sev-no-dev-sev-6.8',
  'sev-snp-init-failed-6.18',
  'sev-legacy-6.6',
  'sev-turin-7.2',
  'sev-turin-7.2-snp-asids-in-use',
  'sev-root-only',
  'snp-host',
  'no-kvm-guest',
  'no-permission',
];

const VM_TYPES_CAP = String(KVM_CAPABILITIES.find(([name]) => name === 'KVM_CAP_VM_TYPES')?.[1]);
/** KVM_X86_*_VM numbers (Documentation/virt/kvm/api.rst): bit n of KVM_CAP_VM_TYPES. */
const VM_TYPE = { DEFAULT: 0, SW_PROTECTED: 1, SEV: 2, SEV_ES: 3, SNP: 4, TDX: 5 } as const;
const mask = (...types: (keyof typeof VM_TYPE)[]): number => types.reduce((m, t) => m | (1 << VM_TYPE[t]), 0);

// ---------------------------------------------------------------------------------------
// Editing snapshots

function factValue<T>(fact: Fact<T> | undefined, what: string): T {
  assert.ok(fact !== undefined && 'value' in fact, `${what} has a value in this fixture`);
  return fact.value;
}

function edit(name: string, change: (s: Snapshot) => void): Snapshot {
  const s = structuredClone(fixture(name));
  change(s);
  return s;
}

const errorFact = (
  source: Fact<unknown>['source'],
  code: string,
  errno: number,
): { source: typeof source; error: { code: string; errno: number; syscall: string; message: string } } => ({
  source,
  error: { code, errno, syscall: 'open', message: `${code}: test` },
});

function flags(s: Snapshot, change: { add?: string[]; remove?: string[] }): void {
  const cpu = factValue(s.host.cpuinfo, 'cpuinfo');
  const list = (cpu.flags ?? '').split(/\s+/).filter((f) => f && !(change.remove ?? []).includes(f));
  cpu.flags = [...list, ...(change.add ?? [])].join(' ');
}

function cpuField(s: Snapshot, key: string, value: string): void {
  factValue(s.host.cpuinfo, 'cpuinfo')[key] = value;
}

function param(s: Snapshot, module: string, name: string, value: string | undefined): void {
  const m = factValue(s.host.modules, 'modules')[module];
  assert.ok(m, `${module} is in this fixture`);
  if (value === undefined) delete m.parameters[name];
  else m.parameters[name] = `${value}\n`;
}

function release(s: Snapshot, text: string): void {
  s.host.kernelRelease = { source: s.host.kernelRelease.source, value: `${text}\n` };
}

function vmTypes(s: Snapshot, value: number): void {
  factValue(s.kvm.capabilities?.system, 'KVM capabilities')[VM_TYPES_CAP] = value;
}

function kernelLog(s: Snapshot, change: { drop?: RegExp; add?: string[] }): void {
  const log = factValue(s.host.kernelLog, 'kernel log');
  const kept = log.filter((r) => !(change.drop?.test(r.message) ?? false));
  s.host.kernelLog = {
    source: s.host.kernelLog!.source,
    value: [...kept, ...(change.add ?? []).map((message) => ({ priority: 6, timestampUs: null, message }))],
  };
}

function misc(s: Snapshot, key: string, current: 'all' | number): void {
  const capacity = factValue(s.host.miscCapacity, 'misc.capacity')[key];
  assert.ok(capacity !== undefined, `misc.capacity has ${key}`);
  factValue(s.host.miscCurrent, 'misc.current')[key] = current === 'all' ? capacity : current;
}

/** This user may not open /dev/kvm: only the open's error is recorded, as the probe does. */
function denyKvm(s: Snapshot): void {
  s.kvm = { open: errorFact(s.kvm.open.source, 'EACCES', -13) };
  s.context.uid = 1000;
  s.context.groups = [1000];
}

/** This user may not open /dev/sev: no firmware answers. */
function denySev(s: Snapshot): void {
  assert.ok(s.sev, 'the fixture probed /dev/sev');
  s.sev = { open: errorFact(s.sev.open.source, 'EACCES', -13) };
  s.context.uid = 1000;
}

function sevStatus(s: Snapshot): NonNullable<Snapshot['sev']> {
  assert.ok(s.sev, 'the fixture probed /dev/sev');
  return s.sev;
}

// ---------------------------------------------------------------------------------------
// Reading results

function checksOf(report: CheckReport, technology: Technology): CheckResult[] {
  const t = report.technologies.find((x) => x.technology === technology);
  assert.ok(t, `${technology} was checked`);
  return flattenChecks(t.checks);
}

function result(snapshot: Snapshot, technology: Technology, id: string): CheckResult {
  const found = checksOf(runChecks(snapshot, [technology]), technology).find((c) => c.id === id);
  assert.ok(found, `${id} is in the ${technology} tree`);
  return found;
}

const status = (snapshot: Snapshot, technology: Technology, id: string): CheckStatus =>
  result(snapshot, technology, id).status;

function cross(snapshot: Snapshot, technologies: Technology[]): Map<string, CheckResult> {
  return new Map(runChecks(snapshot, technologies).crossChecks.map((c) => [c.id, c]));
}

// ---------------------------------------------------------------------------------------
// The rules, each both ways

interface Case {
  id: string;
  technology: Technology;
  /** A snapshot where the fact the rule reads is as it should be. */
  pass: () => Snapshot;
  /** The same host with that one fact wrong, and what that must give. */
  bad: () => Snapshot;
  /** PASS only for an informational rule: its finding changes, its status does not. */
  expect: 'FAIL' | 'WARN' | 'UNKNOWN' | 'PASS';
}

const TDX_BASE = 'tdx-usable-6.16';
const SEV_BASE = 'sev-snp-genoa-6.11';
const tdxBase = (): Snapshot => fixture(TDX_BASE);
const sevBase = (): Snapshot => fixture(SEV_BASE);

const KVM_CASES: Case[] = [
  {
    id: 'kvm.cpu.virtualization',
    technology: 'kvm',
    pass: tdxBase,
    // VT-x off in the BIOS: the kernel hides vmx, kvm_intel refuses to load, so there is no /dev/kvm.
    bad: () =>
      edit(TDX_BASE, (s) => {
        flags(s, { remove: ['vmx'] });
        delete factValue(s.host.modules, 'modules').kvm_intel;
        s.host.device = errorFact(s.host.device.source, 'ENOENT', -2);
        s.kvm = { open: errorFact(s.kvm.open.source, 'ENOENT', -2) };
      }),
    expect: 'FAIL',
  },
  {
    id: 'kvm.cpu.bare-metal',
    technology: 'kvm',
    pass: tdxBase,
    bad: () => edit(TDX_BASE, (s) => flags(s, { add: ['hypervisor'] })),
    expect: 'WARN',
  },
  {
    id: 'kvm.kernel.modules',
    technology: 'kvm',
    pass: tdxBase,
    bad: () => edit(TDX_BASE, (s) => delete factValue(s.host.modules, 'modules').kvm_intel),
    expect: 'FAIL',
  },
  // Informational: nested = N never decides a verdict, but the finding says guests here cannot nest.
  {
    id: 'kvm.kernel.nested',
    technology: 'kvm',
    pass: tdxBase,
    bad: () => edit(TDX_BASE, (s) => param(s, 'kvm_intel', 'nested', 'N')),
    expect: 'PASS',
  },
  {
    id: 'kvm.device.present',
    technology: 'kvm',
    pass: tdxBase,
    bad: () =>
      edit(TDX_BASE, (s) => {
        s.host.device = errorFact(s.host.device.source, 'ENOENT', -2);
        s.kvm = { open: errorFact(s.kvm.open.source, 'ENOENT', -2) };
      }),
    expect: 'FAIL',
  },
  {
    id: 'kvm.api.version',
    technology: 'kvm',
    pass: tdxBase,
    bad: () => edit(TDX_BASE, (s) => (s.kvm.apiVersion = { source: s.kvm.apiVersion!.source, value: 11 })),
    expect: 'FAIL',
  },
  { id: 'kvm.device.access', technology: 'kvm', pass: tdxBase, bad: () => edit(TDX_BASE, denyKvm), expect: 'FAIL' },
  {
    id: 'kvm.vm.default',
    technology: 'kvm',
    pass: tdxBase,
    bad: () => edit(TDX_BASE, (s) => (s.kvm.defaultVm = errorFact(s.kvm.defaultVm!.source, 'ENOMEM', -12))),
    expect: 'FAIL',
  },
];

const TDX_CASES: Case[] = [
  // Another vendor makes TDX not applicable (see "all" below); what is left to judge is an unreadable cpuinfo.
  {
    id: 'tdx.cpu.intel',
    technology: 'tdx',
    pass: tdxBase,
    bad: () => edit(TDX_BASE, (s) => (s.host.cpuinfo = errorFact(s.host.cpuinfo.source, 'EACCES', -13))),
    expect: 'UNKNOWN',
  },
  // kvm_intel has a tdx parameter, so this kernel has TDX host support: the missing flag is the BIOS's.
  {
    id: 'tdx.bios.enabled',
    technology: 'tdx',
    pass: tdxBase,
    bad: () => edit(TDX_BASE, (s) => flags(s, { remove: ['tdx_host_platform'] })),
    expect: 'FAIL',
  },
  {
    id: 'tdx.kernel.module',
    technology: 'tdx',
    pass: tdxBase,
    bad: () =>
      edit(TDX_BASE, (s) =>
        kernelLog(s, { drop: /module initialized/, add: ['virt/tdx: module initialization failed (-5)'] }),
      ),
    expect: 'FAIL',
  },
  {
    id: 'tdx.kernel.version',
    technology: 'tdx',
    pass: tdxBase,
    bad: () =>
      edit(TDX_BASE, (s) => {
        release(s, '6.8.0-45-generic');
        vmTypes(s, mask('DEFAULT'));
      }),
    expect: 'FAIL',
  },
  {
    id: 'tdx.kvm.parameter',
    technology: 'tdx',
    pass: tdxBase,
    bad: () => edit(TDX_BASE, (s) => param(s, 'kvm_intel', 'tdx', 'N')),
    expect: 'FAIL',
  },
  {
    id: 'tdx.kvm.prerequisites',
    technology: 'tdx',
    pass: tdxBase,
    bad: () => edit(TDX_BASE, (s) => param(s, 'kvm', 'tdp_mmu', 'N')),
    expect: 'FAIL',
  },
  {
    id: 'tdx.kvm.vm-type',
    technology: 'tdx',
    pass: tdxBase,
    bad: () => edit(TDX_BASE, (s) => vmTypes(s, mask('DEFAULT', 'SW_PROTECTED'))),
    expect: 'FAIL',
  },
  {
    id: 'tdx.usable.td',
    technology: 'tdx',
    pass: tdxBase,
    bad: () =>
      edit(TDX_BASE, (s) => (s.kvm.tdx!.capabilities = errorFact(s.kvm.tdx!.capabilities!.source, 'ENOTTY', -25))),
    expect: 'FAIL',
  },
  {
    id: 'tdx.usable.keys',
    technology: 'tdx',
    pass: tdxBase,
    bad: () => edit(TDX_BASE, (s) => misc(s, 'tdx', 'all')),
    expect: 'FAIL',
  },
  {
    id: 'tdx.usable.init-vm',
    technology: 'tdx',
    pass: () =>
      edit(
        'tdx-init-vm-refused-7.2',
        (s) =>
          (s.kvm.tdx!.initVm!.result = {
            source: s.kvm.tdx!.initVm!.result.source,
            value: { hwError: '0x0000000000000000' },
          }),
      ),
    bad: () => fixture('tdx-init-vm-refused-7.2'),
    expect: 'FAIL',
  },
];

/** Flavour facts, as the kernel and firmware name them. */
const FLAVOURS = [
  { technology: 'sev', flag: 'sev', parameter: 'sev', vmType: 'SEV', misc: 'sev', before: '4.15.0' },
  { technology: 'sev-es', flag: 'sev_es', parameter: 'sev_es', vmType: 'SEV_ES', misc: 'sev_es', before: '5.10.0' },
  { technology: 'snp', flag: 'sev_snp', parameter: 'sev_snp', vmType: 'SNP', misc: 'sev_es', before: '6.10.0' },
] as const;

/**
 * The host's raw CPUID 0x8000001F as virtee/snphost#187 shows a Genoa's (`snphost ok`: VMPLs
 * supported, "Number of VMPLs: 4", "Physical address bit reduction: 6", "C-bit location: 51",
 * 1006 guests, minimum SEV ASID 100, "Page flush MSR: DISABLED"): the persona's KVM leaf (EAX
 * 0x41a: sev, sev_es, sev_snp, sme_coherent) plus SME (bit 0) and VMPL (bit 5), EBX 51 | 6 << 6 | 4 << 12.
 */
const GENOA_RAW_8000001F = { eax: 0x43b, ebx: 0x41b3, ecx: 1006, edx: 100 };

function hostLeaf(s: Snapshot, change: (r: typeof GENOA_RAW_8000001F) => void = () => {}): void {
  const r = { ...GENOA_RAW_8000001F };
  change(r);
  const h = (n: number): string => `0x${(n >>> 0).toString(16)}`;
  s.host.hostCpuid8000001f = {
    source: { syscall: 'pread', path: '/dev/cpu/0/cpuid' },
    value: { eax: h(r.eax), ebx: h(r.ebx), ecx: h(r.ecx), edx: h(r.edx) },
  };
}

/** /dev/sev given to the kvm group (gid 36 here), as a udev rule would. */
function sevForKvmGroup(s: Snapshot): void {
  const node = factValue(s.host.sevDevice!, 'sevDevice');
  Object.assign(node, { mode: 0o660, gid: 36, group: 'kvm' });
}

/** The PSP's sysfs attributes as sp-pci.c/hsti.c show them on a part with these two flags. */
function pspFlags(s: Snapshot, fused: string, debugLock: string): void {
  s.host.pspSysfs = {
    source: { directory: '/sys/bus/pci/drivers/ccp/0000:02:00.5' },
    value: { device: '0000:02:00.5', attributes: { fused_part: fused, debug_lock_on: debugLock, tsme_status: '0' } },
  };
}

const SEV_CASES: Case[] = FLAVOURS.flatMap((f): Case[] => [
  {
    id: `${f.technology}.cpu.amd`,
    technology: f.technology,
    pass: sevBase,
    bad: () => edit(SEV_BASE, (s) => (s.host.cpuinfo = errorFact(s.host.cpuinfo.source, 'EACCES', -13))),
    expect: 'UNKNOWN',
  },
  {
    id: `${f.technology}.bios.cpu-flag`,
    technology: f.technology,
    pass: sevBase,
    bad: () => edit(SEV_BASE, (s) => flags(s, { remove: [f.flag] })),
    expect: 'FAIL',
  },
  {
    id: `${f.technology}.firmware.sev-device`,
    technology: f.technology,
    pass: sevBase,
    bad: () =>
      edit(SEV_BASE, (s) => {
        s.host.sevDevice = errorFact(s.host.sevDevice!.source, 'ENOENT', -2);
        s.sev = { open: errorFact(sevStatus(s).open.source, 'ENOENT', -2) };
      }),
    expect: 'FAIL',
  },
  {
    id: `${f.technology}.firmware.state`,
    technology: f.technology,
    pass: sevBase,
    bad: () =>
      edit(SEV_BASE, (s) => {
        if (f.technology === 'snp')
          factValue(sevStatus(s).snpPlatformStatus, 'SNP status').state = 0; // UNINIT
        else if (f.technology === 'sev-es')
          factValue(sevStatus(s).platformStatus, 'SEV status').flags = 0; // CONFIG_ES (bit 8) clear
        else factValue(sevStatus(s).platformStatus, 'SEV status').state = 0; // UNINIT
      }),
    expect: 'FAIL',
  },
  {
    id: `${f.technology}.firmware.version`,
    technology: f.technology,
    pass: sevBase,
    bad: () =>
      edit(SEV_BASE, (s) => {
        // SNP: 1.49 is below the 1.51 minimum; SEV and SEV-ES: 0.0 is no firmware at all.
        const [major, minor] = f.technology === 'snp' ? [1, 49] : [0, 0];
        for (const st of [
          factValue(sevStatus(s).platformStatus, 'SEV status'),
          factValue(sevStatus(s).snpPlatformStatus, 'SNP status'),
        ]) {
          st.apiMajor = major;
          st.apiMinor = minor;
        }
      }),
    expect: 'FAIL',
  },
  {
    id: `${f.technology}.kernel.version`,
    technology: f.technology,
    pass: sevBase,
    bad: () =>
      edit(SEV_BASE, (s) => {
        release(s, f.before);
        vmTypes(s, mask('DEFAULT'));
      }),
    expect: 'FAIL',
  },
  {
    id: `${f.technology}.kvm.parameter`,
    technology: f.technology,
    pass: sevBase,
    bad: () => edit(SEV_BASE, (s) => param(s, 'kvm_amd', f.parameter, 'N')),
    expect: 'FAIL',
  },
  {
    id: `${f.technology}.kvm.vm-type`,
    technology: f.technology,
    pass: sevBase,
    bad: () => edit(SEV_BASE, (s) => vmTypes(s, mask('DEFAULT', 'SEV', 'SEV_ES', 'SNP') & ~(1 << VM_TYPE[f.vmType]))),
    expect: 'FAIL',
  },
  {
    id: `${f.technology}.usable.asids`,
    technology: f.technology,
    pass: sevBase,
    bad: () => edit(SEV_BASE, (s) => misc(s, f.misc, 'all')),
    expect: 'FAIL',
  },
  {
    id: `${f.technology}.usable.init2`,
    technology: f.technology,
    pass: sevBase,
    bad: () =>
      edit(SEV_BASE, (s) => {
        const entry = s.kvm.sevInit2?.[f.vmType];
        assert.ok(entry, `the fixture ran KVM_SEV_INIT2 on ${f.vmType}`);
        entry.result = errorFact(entry.result.source, 'EBUSY', -16);
      }),
    expect: 'FAIL',
  },
  // A guest's cpuinfo shows the hypervisor flag: no SEV host, whatever else it reports.
  {
    id: `${f.technology}.cpu.bare-metal`,
    technology: f.technology,
    pass: sevBase,
    bad: () => edit(SEV_BASE, (s) => flags(s, { add: ['hypervisor'] })),
    expect: 'WARN',
  },
  // Without SEV support KVM zeroes the whole leaf in KVM_GET_SUPPORTED_CPUID (arch/x86/kvm/cpuid.c).
  {
    id: `${f.technology}.kvm.cpuid`,
    technology: f.technology,
    pass: sevBase,
    bad: () =>
      edit(SEV_BASE, (s) => {
        const leaf = factValue(s.kvm.supportedCpuid, 'KVM CPUID').find((e) => e.function === 0x8000001f);
        assert.ok(leaf, 'the fixture lists leaf 0x8000001F');
        leaf.eax = leaf.ebx = leaf.ecx = leaf.edx = 0;
      }),
    expect: 'FAIL',
  },
  // snphost#187's Genoa has no page-flush MSR but SME_COHERENT: nothing to warn about; without either, WARN.
  {
    id: `${f.technology}.cpu.page-flush`,
    technology: f.technology,
    pass: () => edit(SEV_BASE, (s) => hostLeaf(s)),
    bad: () => edit(SEV_BASE, (s) => hostLeaf(s, (r) => (r.eax &= ~(1 << 10)))),
    expect: 'WARN',
  },
  {
    id: `${f.technology}.usable.device-users`,
    technology: f.technology,
    pass: () => edit(SEV_BASE, sevForKvmGroup),
    bad: sevBase,
    expect: 'WARN',
  },
  {
    id: `${f.technology}.firmware.psp-production`,
    technology: f.technology,
    pass: () => edit(SEV_BASE, (s) => pspFlags(s, '1', '1')),
    bad: () => edit(SEV_BASE, (s) => pspFlags(s, '1', '0')),
    expect: 'WARN',
  },
]);

const SNP_CASES: Case[] = [
  // KVM_X86_SNP_POLICY_BITS exists from 6.19: the Turin 7.2 host answers it; 0 means SNP is not supported.
  {
    id: 'snp.kvm.policy-bits',
    technology: 'snp',
    pass: () => fixture('sev-turin-7.2'),
    bad: () =>
      edit('sev-turin-7.2', (s) => {
        factValue(s.kvm.sevAttributes?.snpPolicyBits, 'KVM_X86_SNP_POLICY_BITS');
        s.kvm.sevAttributes!.snpPolicyBits = { source: s.kvm.sevAttributes!.snpPolicyBits.source, value: '0x0' };
      }),
    expect: 'WARN',
  },
  {
    id: 'snp.cpu.vmpl',
    technology: 'snp',
    pass: () => edit(SEV_BASE, (s) => hostLeaf(s)),
    bad: () => edit(SEV_BASE, (s) => hostLeaf(s, (r) => (r.eax &= ~(1 << 5)))),
    expect: 'FAIL',
  },
  {
    id: 'snp.cpu.generation',
    technology: 'snp',
    pass: sevBase,
    // Family 17h model 31h: EPYC 7002 "Rome", SEV-ES but no SNP.
    bad: () =>
      edit(SEV_BASE, (s) => {
        cpuField(s, 'cpu family', '23');
        cpuField(s, 'model', '49');
      }),
    expect: 'FAIL',
  },
  // rmpFlags: bit 0 RMP initialised, bit 1 alias check complete.
  {
    id: 'snp.firmware.rmp',
    technology: 'snp',
    pass: sevBase,
    bad: () => edit(SEV_BASE, (s) => (factValue(sevStatus(s).snpPlatformStatus, 'SNP status').rmpFlags = 2)),
    expect: 'FAIL',
  },
  {
    id: 'snp.firmware.alias-check',
    technology: 'snp',
    pass: sevBase,
    bad: () => edit(SEV_BASE, (s) => (factValue(sevStatus(s).snpPlatformStatus, 'SNP status').rmpFlags = 1)),
    expect: 'FAIL',
  },
  {
    id: 'snp.firmware.tcb',
    technology: 'snp',
    pass: sevBase,
    bad: () =>
      edit(
        SEV_BASE,
        (s) => (factValue(sevStatus(s).snpPlatformStatus, 'SNP status').reportedTcbVersion = '0x3e0e000000000007'),
      ),
    expect: 'FAIL',
  },
  {
    // Genoa layout: bytes 2-5 of a TCB_VERSION are reserved; byte 2 set is a layout that does not fit.
    id: 'snp.firmware.tcb-layout',
    technology: 'snp',
    pass: sevBase,
    bad: () =>
      edit(SEV_BASE, (s) => {
        const st = factValue(sevStatus(s).snpPlatformStatus, 'SNP status');
        st.currentTcbVersion = '0x3e0f000000010007';
        st.reportedTcbVersion = '0x3e0f000000010007';
      }),
    expect: 'WARN',
  },
  {
    id: 'snp.kernel.iommu',
    technology: 'snp',
    pass: sevBase,
    bad: () =>
      edit(SEV_BASE, (s) =>
        kernelLog(s, {
          drop: /IOMMU SNP support enabled/,
          add: ['AMD-Vi: SNP: IOMMU disabled or configured in passthrough mode, SNP cannot be supported.'],
        }),
      ),
    expect: 'FAIL',
  },
];

const CASES: Case[] = [...KVM_CASES, ...TDX_CASES, ...SEV_CASES, ...SNP_CASES];

describe('every rule, on a fixture where its fact is right and on one where it is wrong', () => {
  test('every rule has a case', () => {
    assert.deepEqual(CASES.map((c) => c.id).sort(), RULES.map((r) => r.id).sort());
  });
  for (const c of CASES) {
    test(c.id, () => {
      assert.equal(status(c.pass(), c.technology, c.id), 'PASS', 'on the good host');
      const bad = result(c.bad(), c.technology, c.id);
      assert.equal(bad.status, c.expect, `${c.id}: ${bad.found}`);
      assert.ok(bad.source && bad.source !== 'not probed', `${c.id} cites where it read the fact`);
      if (c.expect === 'FAIL') assert.ok(bad.fix, `${c.id} says how to fix it`);
    });
  }
});

describe('rules as data', () => {
  test('ids are unique; a parent is an earlier rule of the same technology, in the same or an earlier layer', () => {
    const seen = new Map<string, (typeof RULES)[number]>();
    for (const rule of [...RULES, ...CROSS_CHECKS]) {
      assert.ok(!seen.has(rule.id), `duplicate id ${rule.id}`);
      seen.set(rule.id, rule);
      assert.ok(rule.title.length > 0 && rule.why.length > 0, `${rule.id} has a title and says why it matters`);
      if (rule.parent === undefined) continue;
      const parent = seen.get(rule.parent);
      assert.ok(parent, `${rule.id}: parent ${rule.parent} comes first`);
      assert.equal(parent.technology, rule.technology);
      assert.ok(
        LAYERS.indexOf(parent.layer) <= LAYERS.indexOf(rule.layer),
        `${rule.id} is not in a layer before its parent's`,
      );
    }
  });

  test('each technology runs hardware -> firmware -> kernel -> kvm -> usable', () => {
    for (const technology of TECHNOLOGIES) {
      const layers = RULES.filter((r) => r.technology === technology).map((r) => LAYERS.indexOf(r.layer));
      assert.deepEqual(
        layers,
        [...layers].sort((a, b) => a - b),
        technology,
      );
      assert.equal(layers[0], LAYERS.indexOf('hardware'), `${technology} starts with the hardware`);
    }
  });

  test('on every fixture: a FAIL says how to fix it, an UNKNOWN says what it needs, a source is always named', () => {
    for (const name of FIXTURES) {
      const s = fixture(name);
      const report = runChecks(s, [...TECHNOLOGIES]);
      for (const c of [...report.technologies.flatMap((t) => flattenChecks(t.checks)), ...report.crossChecks]) {
        const where = `${name}: ${c.id}`;
        assert.ok(c.found.length > 0 && c.source.length > 0, where);
        if (c.status === 'FAIL') assert.ok(c.fix, `${where} FAILs without a fix: ${c.found}`);
        if (c.status === 'UNKNOWN') assert.ok(c.needs, `${where} is UNKNOWN without saying what it needs`);
        else assert.equal(c.needs, undefined, `${where}: only UNKNOWN carries needs`);
      }
    }
  });

  test('--deep checks appear only when --deep asked', () => {
    const ids = (s: Snapshot, t: Technology) => checksOf(runChecks(s, [t]), t).map((c) => c.id);
    assert.ok(!ids(tdxBase(), 'tdx').includes('tdx.usable.init-vm'), 'no KVM_TDX_INIT_VM in this snapshot');
    assert.ok(ids(fixture('tdx-init-vm-refused-7.2'), 'tdx').includes('tdx.usable.init-vm'));
    const noDeep = edit(SEV_BASE, (s) => delete s.kvm.sevInit2);
    for (const t of ['sev', 'sev-es', 'snp'] as const) assert.ok(!ids(noDeep, t).includes(`${t}.usable.init2`), t);
  });
});

describe('finer judgements', () => {
  test(
    'tdx_host_platform missing on a kernel without TDX host support ' +
      'says nothing about the BIOS: UNKNOWN, not FAIL',
    () => {
      const s = edit(TDX_BASE, (x) => {
        flags(x, { remove: ['tdx_host_platform'] });
        param(x, 'kvm_intel', 'tdx', undefined);
        delete x.host.kernelLog;
      });
      const r = result(s, 'tdx', 'tdx.bios.enabled');
      assert.equal(r.status, 'UNKNOWN');
      assert.match(r.needs ?? '', /TDX host support/);
    },
  );

  test('a backend that needs no VMX/SVM (kvm_pvm) makes KVM capable without the flag', () => {
    const s = edit(TDX_BASE, (x) => {
      flags(x, { remove: ['vmx'] });
      const modules = factValue(x.host.modules, 'modules');
      delete modules.kvm_intel;
      modules.kvm_pvm = { initstate: null, parameters: {} };
    });
    assert.equal(status(s, 'kvm', 'kvm.cpu.virtualization'), 'PASS');
    assert.equal(status(s, 'kvm', 'kvm.kernel.modules'), 'PASS');
    // Without it and without a working device, the missing flag is a FAIL.
    assert.equal(status(fixture('no-kvm-guest'), 'kvm', 'kvm.cpu.virtualization'), 'FAIL');
  });

  test('SNP_PLATFORM_STATUS fields on a kernel without the command: UNKNOWN for that reason, not "(ok)"', () => {
    for (const id of ['snp.firmware.rmp', 'snp.firmware.alias-check', 'snp.firmware.tcb']) {
      const r = result(fixture('sev-legacy-6.6'), 'snp', id);
      assert.equal(r.status, 'UNKNOWN', id);
      assert.match(r.found, /not read: this kernel has no SNP_PLATFORM_STATUS \(EINVAL\)$/, id);
      assert.match(r.needs ?? '', /a kernel with SNP_PLATFORM_STATUS \(Linux 6\.9 or later\)/, id);
    }
  });

  test('kvm_amd.sev_snp = N: the fix points at the kernel log without a direction; a kernel version only before 6.11', () => {
    const off = edit(SEV_BASE, (x) => param(x, 'kvm_amd', 'sev_snp', 'N'));
    const fix = result(off, 'snp', 'snp.kvm.parameter').fix ?? '';
    assert.match(fix, /the kernel log says why \(RMP, IOMMU, firmware INIT\)$/);
    assert.doesNotMatch(fix, /below|above|\d\.\d/, 'the log is above in `sev` and absent in `check`; 6.11 is running');
    // A vendor kernel older than mainline SNP host support that carries sev_snp (a backport).
    const backport = edit(SEV_BASE, (x) => {
      param(x, 'kvm_amd', 'sev_snp', 'N');
      release(x, '6.8.0-snp-host');
    });
    assert.match(
      result(backport, 'snp', 'snp.kvm.parameter').fix ?? '',
      /says why \(RMP, IOMMU, firmware INIT\); mainline SEV-SNP host support needs Linux 6\.11\+$/,
    );
  });

  test('sev_snp is never shown before Linux 6.9: its absence there is UNKNOWN', () => {
    assert.equal(status(fixture('sev-legacy-6.6'), 'snp', 'snp.bios.cpu-flag'), 'UNKNOWN');
  });

  test(
    'KVM_CAP_VM_TYPES = 0 (a kernel before 6.8): SEV and SEV-ES only through ' +
      'the legacy INIT (WARN), SNP not at all (FAIL)',
    () => {
      const s = edit(SEV_BASE, (x) => vmTypes(x, 0));
      assert.equal(status(s, 'sev', 'sev.kvm.vm-type'), 'WARN');
      assert.equal(status(s, 'sev-es', 'sev-es.kvm.vm-type'), 'WARN');
      assert.equal(status(s, 'snp', 'snp.kvm.vm-type'), 'FAIL');
    },
  );

  test('kvm_intel.tdx = N is explained by the failure the kernel log shows, and the fix follows that cause', () => {
    const r = result(moduleFailedOn72(), 'tdx', 'tdx.kvm.parameter');
    assert.equal(r.status, 'FAIL');
    assert.match(r.found, /failed to initiali[sz]e|initiali[sz]ation failed/);
    assert.match(r.source, /kmsg/);
    assert.match(r.fix ?? '', /BIOS|module/);
  });

  test(
    'without the kernel log, a usable SNP host still passes the ' + 'IOMMU check (kvm_amd.sev_snp = Y implies it)',
    () => {
      const s = edit(SEV_BASE, (x) => delete x.host.kernelLog);
      const r = result(s, 'snp', 'snp.kernel.iommu');
      assert.equal(r.status, 'PASS');
      assert.match(r.source, /^derived from .*sev_snp/);
    },
  );

  test('firmware version comes from the kernel log when /dev/sev is root-only', () => {
    const s = edit(SEV_BASE, denySev);
    const r = result(s, 'snp', 'snp.firmware.version');
    assert.equal(r.status, 'PASS');
    assert.match(r.source, /kmsg.*SEV(-SNP)? API:1\.55/);
  });
});

/**
 * A module that failed to initialise, on a kernel where KVM then loads with tdx=N: Linux 7.2,
 * where the core kernel's failure is -ENODEV to KVM (the fixture itself is Ubuntu 6.8 -intel).
 */
function moduleFailedOn72(): Snapshot {
  return edit('tdx-module-init-failed', (s) => {
    (s.host.kernelRelease as { value: string }).value = '7.2.0';
    const log = factValue(s.host.kernelLog, 'kernel log');
    s.host.kernelLog = {
      source: s.host.kernelLog!.source,
      value: log
        .filter((r) => !r.message.startsWith('kvm_intel: Failed to initialize'))
        .map((r) => ({
          ...r,
          message: r.message.replace(
            'virt/tdx: module initialization failed',
            'virt/tdx: TDX-Module initialization failed',
          ),
        })),
    };
  });
}

describe('SKIP under a failed parent', () => {
  test('kvm_intel.tdx = N: every check under it is SKIPped, naming the failed check', () => {
    const report = runChecks(moduleFailedOn72(), ['tdx']);
    const checks = checksOf(report, 'tdx');
    const parameter = checks.find((c) => c.id === 'tdx.kvm.parameter');
    assert.ok(parameter && parameter.status === 'FAIL');
    const below = flattenChecks(parameter.children);
    assert.deepEqual(below.map((c) => c.id).sort(), ['tdx.kvm.vm-type', 'tdx.usable.keys', 'tdx.usable.td']);
    for (const c of below) {
      assert.equal(c.status, 'SKIP', c.id);
      // The grandchildren name the check that failed, not the skipped one between.
      assert.equal(c.skippedBecause, 'tdx.kvm.parameter', c.id);
      assert.equal(c.fix, undefined);
      assert.equal(c.needs, undefined);
    }
    // A sibling branch is still judged.
    assert.equal(checks.find((c) => c.id === 'tdx.kvm.prerequisites')!.status, 'PASS');
  });

  test('on every fixture: under a FAIL or SKIP everything is SKIP; nothing else is', () => {
    for (const name of FIXTURES) {
      const report = runChecks(fixture(name), [...TECHNOLOGIES]);
      for (const t of report.technologies) {
        const visit = (list: CheckResult[], blocked: string | undefined): void => {
          for (const c of list) {
            if (blocked !== undefined) {
              assert.equal(c.status, 'SKIP', `${name}: ${c.id}`);
              assert.equal(c.skippedBecause, blocked, `${name}: ${c.id}`);
            } else if (c.status === 'SKIP') {
              // The one other reason: KVM itself cannot run here, so TDX/SEV's KVM-dependent checks name that KVM
              // check.
              assert.notEqual(t.technology, 'kvm', `${name}: ${c.id}`);
              assert.equal(c.skippedBecause, kvmBlocker(kvmDiagnosis(fixture(name)))?.rule, `${name}: ${c.id}`);
            }
            visit(
              c.children,
              blocked ?? (c.status === 'FAIL' ? c.id : c.status === 'SKIP' ? c.skippedBecause : undefined),
            );
          }
        };
        visit(t.checks, undefined);
      }
    }
  });
});

describe('verdicts and outcome', () => {
  const verdict = (s: Snapshot, t: Technology) => {
    const v = runChecks(s, [t]).technologies[0]!.verdict;
    return { capable: v.capable, enabled: v.enabled, usable: v.usable };
  };

  test('all layers pass: capable, enabled, usable', () => {
    assert.deepEqual(verdict(tdxBase(), 'tdx'), { capable: true, enabled: true, usable: true });
    for (const t of ['kvm', 'sev', 'sev-es', 'snp'] as const)
      assert.deepEqual(verdict(sevBase(), t), { capable: true, enabled: true, usable: true }, t);
  });

  test('TDX off in the BIOS: not capable, so neither enabled nor usable', () => {
    assert.deepEqual(verdict(fixture('tdx-bios-disabled'), 'tdx'), { capable: false, enabled: false, usable: false });
  });

  test('kernel without the TDX uAPI on a capable host: capable, not enabled', () => {
    assert.deepEqual(verdict(fixture('tdx-kernel-6.8-intel'), 'tdx'), { capable: true, enabled: false, usable: false });
  });

  test('KVM_TDX_CAPABILITIES refused: capable and enabled, not usable', () => {
    assert.deepEqual(verdict(fixture('tdx-capabilities-enotty'), 'tdx'), {
      capable: true,
      enabled: true,
      usable: false,
    });
  });

  test('warnings do not stop a technology from being usable, but the summary names them', () => {
    // 6.6: no VM types yet, so SEV runs through the legacy KVM_SEV_INIT (a warning, not a failure).
    const report = runChecks(fixture('sev-legacy-6.6'), ['sev']);
    const v = report.technologies[0]!.verdict;
    assert.equal(v.usable, true);
    assert.match(v.summary, /warning/);
    assert.equal(report.outcome, 'ready');
  });

  test(
    'outcome: ready when all usable; not-ready when one is not (even ' + 'if another is unknown); unknown otherwise',
    () => {
      assert.equal(runChecks(tdxBase(), ['kvm', 'tdx']).outcome, 'ready');
      assert.equal(runChecks(fixture('tdx-module-init-failed'), ['kvm', 'tdx']).outcome, 'not-ready');
      assert.equal(runChecks(fixture('sev-root-only'), ['kvm', 'sev']).outcome, 'unknown');
      const mixed = edit('sev-root-only', (s) => param(s, 'kvm_amd', 'sev_es', 'N'));
      assert.equal(runChecks(mixed, ['sev', 'sev-es']).outcome, 'not-ready');
    },
  );

  test(
    '"all" is every technology; those of the other CPU vendor are ' + 'not applicable, in one line, and do not count',
    () => {
      assert.deepEqual(technologiesFor('all'), ['kvm', 'tdx', 'sev', 'sev-es', 'snp']);
      assert.deepEqual(technologiesFor('snp'), ['snp']);
      const intel = runChecks(tdxBase(), technologiesFor('all'));
      assert.deepEqual(
        intel.technologies.filter((t) => !t.applicable).map((t) => t.technology),
        ['sev', 'sev-es', 'snp'],
      );
      assert.equal(intel.outcome, 'ready', 'SEV on an Intel host does not make the host not ready');
      for (const t of intel.technologies.filter((t) => !t.applicable)) {
        assert.deepEqual(t.checks, [], 'no check runs, so nothing FAILs');
        assert.match(t.reason ?? '', /needs an AMD CPU; this CPU is GenuineIntel/);
        assert.deepEqual([t.verdict.capable, t.verdict.enabled, t.verdict.usable], [false, false, false]);
      }
      const amd = runChecks(sevBase(), technologiesFor('all'));
      assert.deepEqual(
        amd.technologies.filter((t) => !t.applicable).map((t) => t.technology),
        ['tdx'],
      );
      assert.match(
        renderCheck(amd, plainStyle),
        /^Intel TDX: not applicable: needs an Intel CPU; this CPU is AuthenticAMD$/m,
      );
      // Asked for alone, a technology that does not apply leaves the host not ready for it.
      assert.equal(runChecks(tdxBase(), ['snp']).outcome, 'not-ready');
    },
  );
});

describe('contradictions', () => {
  test('a consistent host has none', () => {
    assert.deepEqual([...cross(tdxBase(), ['kvm', 'tdx']).keys()], []);
    assert.deepEqual([...cross(sevBase(), ['kvm', 'sev', 'sev-es', 'snp']).keys()], []);
  });

  test('kvm_intel.tdx = Y but KVM_CAP_VM_TYPES lacks TDX', () => {
    const found = cross(
      edit(TDX_BASE, (s) => vmTypes(s, mask('DEFAULT'))),
      ['tdx'],
    ).get('cross.tdx.parameter-vs-vm-type');
    assert.equal(found?.status, 'FAIL');
  });

  test('the log says "module initialized" but there is no TDX VM type (canonical/tdx#385)', () => {
    const found = cross(fixture('tdx-kernel-6.8-intel'), ['tdx']).get('cross.tdx.log-vs-vm-type');
    assert.equal(found?.status, 'FAIL');
    assert.match(found?.fix ?? '', /6\.16/);
  });

  test('KVM_CAP_VM_TYPES 0 on a 6.8+ kernel (which always offers the default type) is an inconsistent snapshot', () => {
    const zero = edit(TDX_BASE, (s) => vmTypes(s, 0));
    const found = cross(zero, ['tdx']).get('cross.tdx.vm-types-zero');
    assert.equal(found?.status, 'WARN');
    assert.match(found?.found ?? '', /inconsistent/);
    // Before 6.8 the capability does not exist, and 0 is what the kernel answers.
    const old = edit(TDX_BASE, (s) => {
      vmTypes(s, 0);
      (s.host.kernelRelease as { value: string }).value = '6.6.30';
    });
    assert.equal(cross(old, ['tdx']).get('cross.tdx.vm-types-zero'), undefined);
  });

  test('every TD key in use, and a key count that differs from the BIOS range', () => {
    assert.equal(
      cross(
        edit(TDX_BASE, (s) => misc(s, 'tdx', 'all')),
        ['tdx'],
      ).get('cross.tdx.keys-exhausted')?.status,
      'WARN',
    );
    const fewer = edit(TDX_BASE, (s) => (factValue(s.host.miscCapacity, 'misc.capacity').tdx = 50));
    assert.equal(cross(fewer, ['tdx']).get('cross.tdx.key-count')?.status, 'WARN');
  });

  test('kvm_amd.sev = Y but no /dev/sev (AMDSEV#191)', () => {
    assert.equal(
      cross(fixture('sev-no-dev-sev-6.8'), ['sev']).get('cross.sev.parameter-without-device')?.status,
      'FAIL',
    );
  });

  test('kvm_amd parameter Y but the VM type missing, per flavour', () => {
    const s = edit(SEV_BASE, (x) => vmTypes(x, mask('DEFAULT')));
    const found = cross(s, ['sev', 'sev-es', 'snp']);
    for (const f of FLAVOURS)
      assert.equal(found.get(`cross.${f.technology}.parameter-vs-vm-type`)?.status, 'FAIL', f.technology);
  });

  test('SNP enabled with the alias check incomplete and the TCB not committed: FAIL, as snphost has them', () => {
    const found = cross(fixture('sev-milan-tcb-mismatch-6.11'), ['snp']);
    assert.equal(found.get('cross.snp.alias-check')?.status, 'FAIL');
    assert.equal(found.get('cross.snp.tcb')?.status, 'FAIL');
  });

  test('SNP in cpuinfo, kvm_amd.sev_snp = N, and the IOMMU in passthrough (AMDSEV#113)', () => {
    const s = edit(SEV_BASE, (x) => {
      param(x, 'kvm_amd', 'sev_snp', 'N');
      kernelLog(x, {
        drop: /IOMMU SNP support enabled/,
        add: ['AMD-Vi: SNP: IOMMU disabled or configured in passthrough mode, SNP cannot be supported.'],
      });
    });
    assert.equal(cross(s, ['snp']).get('cross.snp.iommu')?.status, 'FAIL');
  });

  test('SEV-ES in cpuinfo with kvm_amd.sev = Y but sev_es = N (virtee/sevctl#116)', () => {
    const s = edit(SEV_BASE, (x) => param(x, 'kvm_amd', 'sev_es', 'N'));
    assert.equal(cross(s, ['sev-es']).get('cross.sev-es.flag-vs-parameter')?.status, 'FAIL');
  });

  test('ASIDs exhausted while the technology works', () => {
    const s = edit(SEV_BASE, (x) => misc(x, 'sev_es', 'all'));
    const found = cross(s, ['sev-es', 'snp']);
    assert.equal(found.get('cross.sev-es.asids-exhausted')?.status, 'WARN');
    assert.equal(found.get('cross.snp.asids-exhausted')?.status, 'WARN');
    assert.equal(
      cross(
        edit(SEV_BASE, (x) => misc(x, 'sev', 'all')),
        ['sev'],
      ).get('cross.sev.asids-exhausted')?.status,
      'WARN',
    );
  });

  test('kvm_amd.npt = N: SEV needs nested paging; the fix reloads kvm_amd only where it can be loaded', () => {
    const s = edit(SEV_BASE, (x) => param(x, 'kvm_amd', 'npt', 'N'));
    const npt = cross(s, ['sev']).get('cross.sev.npt');
    assert.equal(npt?.status, 'FAIL');
    assert.equal(npt?.found, 'kvm_amd.npt = N');
    assert.match(npt?.fix ?? '', /npt=1/);
    assert.equal(cross(fixture(SEV_BASE), ['sev']).get('cross.sev.npt'), undefined);
  });

  test('kvm_amd supports SEV-SNP but its ASID range is empty ("unusable"): WARN with the BIOS fix, no reload', () => {
    const s = edit(SEV_BASE, (x) =>
      kernelLog(x, { drop: /SEV-SNP enabled \(ASIDs/, add: ['kvm_amd: SEV-SNP unusable (ASIDs 1 - 0)'] }),
    );
    const unusable = cross(s, ['snp']).get('cross.snp.asids-unusable');
    assert.equal(unusable?.status, 'WARN');
    assert.match(unusable?.found ?? '', /kvm_amd: SEV-SNP: unusable \(ASIDs 1 - 0\): supported, but SNP has no ASIDs/);
    assert.match(unusable?.fix ?? '', /SEV-ES ASID Space Limit/);
    assert.doesNotMatch(unusable?.fix ?? '', /modprobe|reload/);
    assert.equal(cross(fixture(SEV_BASE), ['snp']).get('cross.snp.asids-unusable'), undefined);
  });

  test('firmware and PSP failures in the log FAIL by themselves, even where everything else works', () => {
    const s = edit(SEV_BASE, (x) =>
      kernelLog(x, {
        add: [
          'ccp 0000:02:00.5: SEV-SNP firmware shutdown failed, rc -5, error 0xf',
          'ccp 0000:02:00.5: SEV: memory encryption not enabled by BIOS',
        ],
      }),
    );
    const found = cross(s, ['sev', 'snp']);
    assert.equal(found.get('cross.snp.firmware-log')?.status, 'FAIL');
    assert.match(found.get('cross.snp.firmware-log')?.found ?? '', /SNP_SHUTDOWN_EX failed: SEV_RET_DFFLUSH_REQUIRED/);
    assert.equal(found.get('cross.sev.firmware-log')?.status, 'FAIL');
    assert.equal(found.get('cross.sev.firmware-log')?.fix, 'BIOS: enable SMEE and SEV');
    assert.equal(cross(fixture(SEV_BASE), ['sev', 'snp']).get('cross.snp.firmware-log'), undefined);
  });

  test("a kernel that is itself an SEV guest; an SME host's line is not one", () => {
    const guest = edit(SEV_BASE, (x) =>
      kernelLog(x, { add: ['Memory Encryption Features active: AMD SEV SEV-ES SEV-SNP'] }),
    );
    assert.equal(cross(guest, ['sev']).get('cross.sev.sev-guest')?.status, 'WARN');
    const sme = edit(SEV_BASE, (x) => kernelLog(x, { add: ['Memory Encryption Features active: AMD SME'] }));
    assert.equal(cross(sme, ['sev']).get('cross.sev.sev-guest'), undefined);
  });

  test('the host is itself a VM, when a confidential technology is asked about', () => {
    const guest = edit(TDX_BASE, (s) => flags(s, { add: ['hypervisor'] }));
    assert.equal(cross(guest, ['tdx']).get('cross.kvm.guest-host')?.status, 'WARN');
    assert.equal(
      cross(guest, ['kvm']).get('cross.kvm.guest-host'),
      undefined,
      'plain KVM has its own bare-metal check',
    );
  });

  test('every contradiction is exercised above', () => {
    const exercised = new Set([
      'cross.kvm.guest-host',
      'cross.tdx.parameter-vs-vm-type',
      'cross.tdx.log-vs-vm-type',
      'cross.tdx.keys-exhausted',
      'cross.tdx.key-count',
      'cross.tdx.vm-types-zero',
      'cross.sev.parameter-without-device',
      ...FLAVOURS.flatMap((f) => [
        `cross.${f.technology}.parameter-vs-vm-type`,
        `cross.${f.technology}.asids-exhausted`,
        `cross.${f.technology}.asids-unusable`, // snp above; sev-es in test/sev-kernel-ranges.test.ts
      ]),
      'cross.sev.firmware-log', // and in test/sev-kernel-ranges.test.ts
      'cross.snp.firmware-log',
      'cross.sev.npt',
      'cross.sev.sev-guest',
      'cross.snp.alias-check',
      'cross.snp.tcb',
      'cross.sev.syscfg-smee', // test/sev-kernel-ranges.test.ts
      'cross.snp.syscfg-snp', // test/sev-kernel-ranges.test.ts
      'cross.snp.iommu',
      'cross.sev-es.flag-vs-parameter',
    ]);
    assert.deepEqual(CROSS_CHECKS.map((c) => c.id).sort(), [...exercised].sort());
  });
});

describe('without privilege: UNKNOWN with what it needs, never FAIL for what could not be read', () => {
  test('no-permission: this user cannot use KVM (FAIL, with the group fix); what needed the device is UNKNOWN', () => {
    const s = fixture('no-permission');
    const checks = checksOf(runChecks(s, ['kvm']), 'kvm');
    const access = checks.find((c) => c.id === 'kvm.device.access');
    assert.equal(access?.status, 'FAIL');
    assert.match(access?.fix ?? '', /kvm/);
    for (const id of ['kvm.api.version', 'kvm.vm.default']) {
      const c = checks.find((x) => x.id === id);
      assert.equal(c?.status, 'UNKNOWN', id);
      assert.match(c?.needs ?? '', /\/dev\/kvm/, id);
    }
    assert.deepEqual(
      checks.filter((c) => c.status === 'FAIL').map((c) => c.id),
      ['kvm.device.access'],
    );
  });

  test('a TDX host read without /dev/kvm access: the device checks are UNKNOWN and TDX is "could not tell"', () => {
    const s = edit(TDX_BASE, denyKvm);
    const report = runChecks(s, ['tdx']);
    const checks = checksOf(report, 'tdx');
    for (const id of ['tdx.kvm.vm-type', 'tdx.usable.td']) {
      const c = checks.find((x) => x.id === id);
      assert.equal(c?.status, 'UNKNOWN', id);
      assert.match(c?.needs ?? '', /kvm group or root/, id);
    }
    assert.ok(
      !checks.some((c) => c.status === 'FAIL'),
      checks
        .filter((c) => c.status === 'FAIL')
        .map((c) => c.id)
        .join(', '),
    );
    assert.equal(report.outcome, 'unknown');
  });

  test(
    '/dev/sev root-only: the firmware checks are UNKNOWN needing ' + 'root, nothing FAILs, the outcome is unknown',
    () => {
      const s = fixture('sev-root-only');
      assert.equal(factValue(s.host.sevDevice, '/dev/sev node').mode & 0o077, 0, "the fixture's /dev/sev is root-only");
      const report = runChecks(s, ['sev', 'sev-es', 'snp']);
      for (const t of ['sev', 'sev-es', 'snp'] as const) {
        const checks = checksOf(report, t);
        assert.ok(
          !checks.some((c) => c.status === 'FAIL'),
          `${t}: ${checks
            .filter((c) => c.status === 'FAIL')
            .map((c) => c.id)
            .join(', ')}`,
        );
        const state = checks.find((c) => c.id === `${t}.firmware.state`);
        assert.equal(state?.status, 'UNKNOWN');
        assert.match(state?.needs ?? '', /\/dev\/sev/);
        assert.match(state?.needs ?? '', /root/);
      }
      assert.equal(report.outcome, 'unknown');
    },
  );

  test('the kernel log unreadable: the TDX module state is UNKNOWN needing CAP_SYSLOG unless KVM shows it', () => {
    const noLog = edit('tdx-prerequisite-off', (s) => delete s.host.kernelLog);
    const r = result(noLog, 'tdx', 'tdx.kernel.module');
    assert.equal(r.status, 'UNKNOWN');
    assert.match(r.needs ?? '', /CAP_SYSLOG/);
    // With the TDX VM type offered, the module must be initialised: no log needed.
    assert.equal(
      status(
        edit(TDX_BASE, (s) => delete s.host.kernelLog),
        'tdx',
        'tdx.kernel.module',
      ),
      'PASS',
    );
  });
});

// ---------------------------------------------------------------------------------------
// The command

function fakeIo(): { io: { stdout: PassThrough; stderr: PassThrough }; out: () => string; err: () => string } {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  let out = '';
  let err = '';
  stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
  stderr.on('data', (chunk: Buffer) => (err += chunk.toString()));
  return { io: { stdout, stderr }, out: () => out, err: () => err };
}

async function runCheck(args: string[], values: Values) {
  const f = fakeIo();
  const code = await checkCommand.run({ values, args, io: f.io, style: plainStyle });
  return { code, stdout: f.out(), stderr: f.err() };
}

describe('checkCommand', () => {
  test('exit codes: ready 0, not ready 1, could not tell 3', async () => {
    assert.equal((await runCheck(['tdx'], { from: fixturePath('tdx-usable-6.16') })).code, EXIT.ok);
    assert.equal((await runCheck(['tdx'], { from: fixturePath('tdx-module-init-failed') })).code, EXIT.notReady);
    assert.equal((await runCheck(['sev'], { from: fixturePath('sev-root-only') })).code, EXIT.couldNotTell);
    assert.deepEqual([EXIT.ok, EXIT.notReady, EXIT.couldNotTell], [0, 1, 3]);
  });

  test('checkExitCode maps each outcome', () => {
    const report = runChecks(tdxBase(), ['tdx']);
    assert.equal(checkExitCode({ ...report, outcome: 'ready' }), 0);
    assert.equal(checkExitCode({ ...report, outcome: 'not-ready' }), 1);
    assert.equal(checkExitCode({ ...report, outcome: 'unknown' }), 3);
  });

  test('--json and --format json: the check report', async () => {
    for (const values of [{ json: true }, { format: 'json' }] as Values[]) {
      const { stdout, code } = await runCheck([], { ...values, from: fixturePath('sev-snp-genoa-6.11') });
      const report = JSON.parse(stdout) as CheckReport;
      assert.equal(report.format, 'kvm-caps-check');
      assert.equal(report.version, 3);
      assert.deepEqual(
        report.technologies.map((t) => t.technology),
        ['kvm', 'tdx', 'sev', 'sev-es', 'snp'],
      );
      assert.deepEqual(
        report.technologies.filter((t) => !t.applicable).map((t) => t.technology),
        ['tdx'],
      );
      assert.equal(report.outcome, 'ready');
      // What the checks judged by: KVM answers here, and TDX (asked about, not applicable) says why not.
      assert.equal(report.kvmDiagnosis.vendorModule, 'kvm_amd');
      assert.ok(report.tdxExplanations?.some((e) => e.code === 'not-intel'));
      assert.equal(code, 0);
    }
  });

  test(
    'usage errors: an unknown technology lists the valid ones; ' + 'unknown or contradictory formats are refused',
    async () => {
      await assert.rejects(
        runCheck(['sgx'], { from: fixturePath('tdx-usable-6.16') }),
        (e: Error) => e instanceof UsageError && /kvm, tdx, sev, sev-es, snp, all/.test(e.message),
      );
      await assert.rejects(runCheck([], { format: 'yaml', from: fixturePath('tdx-usable-6.16') }), UsageError);
      await assert.rejects(
        runCheck([], { json: true, format: 'text', from: fixturePath('tdx-usable-6.16') }),
        UsageError,
      );
    },
  );

  test('-o FILE: written atomically, plain text', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'kvm-caps-check-'));
    try {
      const file = join(dir, 'check.txt');
      const { stdout, code } = await runCheck(['tdx'], { from: fixturePath('tdx-usable-6.16'), output: file });
      assert.equal(stdout, '');
      assert.equal(code, 0);
      assert.match(readFileSync(file, 'utf8'), /^Intel TDX: usable$/m);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('renderCheck', () => {
  test('default: a tree per technology with its verdict; no details', () => {
    const text = renderCheck(runChecks(moduleFailedOn72(), ['kvm', 'tdx']), plainStyle);
    assert.match(text, /^KVM: usable$/m);
    // The verdict follows the title once, with what it rests on; the title is not said again.
    assert.match(text, /^Intel TDX: not enabled: TDX module initialised: initialization failed \(-5 EIO\)/m);
    assert.doesNotMatch(text, /KVM is usable|Intel TDX is not enabled/);
    assert.match(text, /^ {6}FAIL {4}TDX on in KVM \(kvm_intel\.tdx\): kvm_intel\.tdx = N/m);
    assert.match(text, /^ {8}SKIP {4}KVM offers the TDX VM type: not checked/m);
    assert.match(text, /^Not ready: not usable: tdx$/m);
    assert.doesNotMatch(text, /^\s+(why|source|fix|needs|skipped because): /m);
    assert.doesNotMatch(text, /\x1b\[/);
  });

  test('--verbose: why, source, fix, needs, and what skipped a check', () => {
    const failed = renderCheck(runChecks(moduleFailedOn72(), ['tdx']), plainStyle, { verbose: true });
    assert.match(failed, /why: /);
    assert.match(failed, /source: file \/dev\/kmsg/);
    assert.match(failed, /fix: /);
    assert.match(failed, /skipped because: "TDX on in KVM \(kvm_intel\.tdx\)" \(tdx\.kvm\.parameter\) failed/);
    const unknown = renderCheck(runChecks(fixture('sev-root-only'), ['snp']), plainStyle, { verbose: true });
    assert.match(unknown, /needs: read access to \/dev\/sev/);
    assert.match(unknown, /^Could not tell: snp/m);
  });

  test('contradictions get their own section', () => {
    const text = renderCheck(runChecks(fixture('tdx-kernel-6.8-intel'), ['tdx']), plainStyle);
    assert.match(text, /^Contradictions$/m);
    assert.match(text, /\[tdx\] The kernel log says the TDX module initialised/);
  });
});

// ---------------------------------------------------------------------------------------
// The installed command line (runs once `check` is registered in lib/cli/main.ts)

describe('kvm-caps check (command line)', () => {
  test('exit codes with --from: 0, 1, 3; usage errors 2', () => {
    assert.equal(runCli(['check', 'tdx', '--from', fixturePath('tdx-usable-6.16')]).status, 0);
    assert.equal(runCli(['check', 'tdx', '--from', fixturePath('tdx-module-init-failed')]).status, 1);
    assert.equal(runCli(['check', 'sev', '--from', fixturePath('sev-root-only')]).status, 3);
    const bad = runCli(['check', 'sgx', '--from', fixturePath('tdx-usable-6.16')]);
    assert.equal(bad.status, 2);
    assert.match(bad.stderr, /unknown technology "sgx"/);
    assert.equal(runCli(['check', '--format', 'yaml', '--from', fixturePath('tdx-usable-6.16')]).status, 2);
    assert.equal(runCli(['check', 'tdx', 'sev', '--from', fixturePath('tdx-usable-6.16')]).status, 2);
  });
});

describe('kvm-caps check under the kernel double', { skip: await doubleSkipReason() }, () => {
  const prepared: PreparedPersona[] = [];
  before(async () => {
    buildDouble(await uapiHeaders());
  });
  after(() => prepared.forEach((p) => p.cleanup()));

  function check(name: string, args: string[], options: { uid?: number; gid?: number } = {}) {
    const persona = loadPersona(name);
    const p = preparePersona(persona);
    prepared.push(p);
    const result = runCli(
      ['check', ...args, '--json', '--root', p.root, '--device', p.kvmDevice, '--sev-device', p.sevDevice],
      { env: p.env, ...options },
    );
    const report = JSON.parse(result.stdout || 'null') as CheckReport | null;
    assert.ok(report, result.stderr);
    return { persona, status: result.status, report };
  }

  test('tdx-1.5-linux-6.16: ready for TDX', () => {
    const { persona, status: code, report } = check('tdx-1.5-linux-6.16', ['tdx']);
    assert.equal(persona.files['/sys/module/kvm_intel/parameters/tdx']?.trim(), 'Y');
    assert.equal(report!.outcome, 'ready');
    assert.deepEqual(report!.technologies[0]!.verdict.usable, true);
    assert.equal(code, 0);
  });

  test('tdx-module-init-failed: not ready, and the module failure is the reason', () => {
    const { persona, status: code, report } = check('tdx-module-init-failed', ['tdx']);
    assert.match(persona.files['/dev/kmsg'] ?? '', /module initialization failed/);
    assert.equal(report!.outcome, 'not-ready');
    const module = checksOf(report!, 'tdx').find((c) => c.id === 'tdx.kernel.module');
    assert.equal(module?.status, 'FAIL');
    assert.equal(code, 1);
  });

  test('snp-genoa-linux-6.11: ready for SEV-SNP', () => {
    const { status: code, report } = check('snp-genoa-linux-6.11', ['snp']);
    assert.equal(report!.outcome, 'ready', JSON.stringify(checksOf(report!, 'snp').filter((c) => c.status !== 'PASS')));
    assert.equal(code, 0);
  });

  test('dev-sev-root-only as uid 65534: could not tell for SEV, with root as what it needs', {
    skip: skipUnless('root'),
  }, () => {
    const { persona, status: code, report } = check('dev-sev-root-only', ['sev'], { uid: 65534, gid: 65534 });
    assert.equal(persona.modes?.['/dev/sev'], 0o600);
    assert.equal(report!.outcome, 'unknown');
    const checks = checksOf(report!, 'sev');
    assert.ok(!checks.some((c) => c.status === 'FAIL'));
    const state = checks.find((c) => c.id === 'sev.firmware.state');
    assert.equal(state?.status, 'UNKNOWN');
    assert.match(state?.needs ?? '', /root/);
    assert.equal(code, 3);
  });
});
