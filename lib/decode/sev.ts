// The AMD SEV section of a report: what `snphost ok` and `sevctl ok` would check, from the
// snapshot alone - the VM types KVM offers, KVM's SEV attributes, /dev/sev and the SEV / SNP
// platform status, the CPU flags the kernel shows, kvm_amd's parameters, free ASIDs in the
// misc cgroup, the kernel log and the --deep KVM_SEV_INIT2 answers. Every item names where
// its value came from; a fact that was not collected is reported as such, never guessed.
import { hex } from '../knowledge/hex.js';
import {
  SEV_FIRMWARE_INIT_ROWS,
  SNP_PLATFORM_STATUS_ROWS,
  firstChangeHeld,
  kernelChange,
  kernelHas,
  releaseRangeText,
  type KernelChange,
} from '../knowledge/kernel-versions.js';
import type { Fact, KernelLogRecord, ProbeError, Snapshot, Source } from '../snapshot/types.js';
import { findEntry } from './cpuid-entry.js';
import { AMD_SNP_MSRS } from '../snapshot/msr.js';
import { capabilityNumber } from '../knowledge/capabilities.js';
import { KVM_X86_VM_TYPES } from '../knowledge/x86.js';
import { probeFailure, type ProbeFailure } from './failure.js';
import { describeSource } from './sourced.js';
import { failureMeaning } from '../knowledge/probe-failures.js';
import {
  decodeFirmwareError,
  decodeSevCpuid,
  decodeSevPlatformStatus,
  decodeSnpPlatformStatus,
  decodeSnpPolicy,
  decodeVmsaFeatures,
  formatTcbVersion,
  processorGeneration,
  toBigInt,
  type DecodedFirmwareError,
  type DecodedMask,
  type DecodedSevPlatformStatus,
  type DecodedSnpPlatformStatus,
  type DecodedSnpPolicy,
  type ProcessorGeneration,
  type SevCpuidSummary,
} from './sev-fields.js';
import { sevHostFacts, type SevHostFacts } from './sev-host.js';
import { sevKvmAmdFacts, type SevKvmAmdFacts } from './sev-kvm-amd.js';
import { sevPlatformFacts, type SevPlatformFacts } from './sev-platform.js';
import { inNewestBoot } from '../snapshot/log-formats.js';
import { describeFailure, parseSevLog, type SevLogFacts, type Traced as LogTraced } from './sev-log.js';
import {
  HOST_CPUID_8000001F,
  IOMMU_PROBLEMS,
  KVM_AMD_PARAMETERS,
  RMP_PROBLEM_FIX,
  RMP_PROBLEM_MEANING,
  SEV_ATTRIBUTES,
  SNP_MIN_FIRMWARE,
  parseModuleBool,
} from '../knowledge/sev.js';

const LEGACY_ONLY =
  'only the default VM type exists, and SEV/SEV-ES guests can only use the legacy KVM_SEV_INIT / ' +
  'KVM_SEV_ES_INIT; SNP needs';
const NO_SEV_VM_TYPE =
  'but has no SEV VM type yet; SEV and SEV-ES guests use KVM_SEV_INIT / KVM_SEV_ES_INIT on a default VM ' +
  '(QEMU does this). The SEV VM types came in';
const SNP_MASKED =
  'never show sev_snp: the feature was masked until "x86/cpufeatures: Enable/unmask SEV-SNP CPU feature"';
const NOT_ASKED_FOR =
  'the value is what kvm_amd could enable, not what was asked: see the kernel log below for why ' +
  '(RMP, IOMMU, firmware INIT); kernel';
const INITS_AND_SHUTS =
  'this command initialises SNP firmware and shuts it down again when SNP is not already running, ' +
  'which also takes the IOMMU out of SNP mode';
const IMPLICIT_INIT_FAILED =
  'not a firmware state problem by itself: the implicit SNP INIT this kernel runs first failed, and ' +
  'snp_move_to_init_state() reports that as SEV_RET_INVALID_PLATFORM_STATE (0x1); the INIT failure line ' +
  'in the kernel log has the real error (on this kernel:';
const ALSO_PRINTED =
  'this line is also printed when SNP_PLATFORM_STATUS, SNP_COMMIT or SNP_SET_CONFIG on /dev/sev initialise ' +
  'SNP only to answer (and shut it down again): it does not prove that SNP is running';
const NON_ROOT_VMM =
  'a VMM that does not run as root (qemu, libvirt-qemu, a member of the kvm group) cannot open /dev/sev, ' +
  'which QEMU opens read-write to start SEV guests';
const REFUSE_UNTIL_INIT = 'refuse SNP_PLATFORM_STATUS until SNP_INIT has run';
const NO_STATUS = 'SNP firmware is not initialised, or this kernel has no SNP_PLATFORM_STATUS (before';
const ACL_UNREAD = ' (by the mode alone: the ACL was not read, so an ACL entry may ' + 'still let one in)';
const UNFUSED = 'this looks like an engineering or unfused part, whose attestation a verifier should not trust';

export type SevItemStatus = 'pass' | 'fail' | 'warn' | 'info' | 'unknown';

export type SevGroup =
  | 'kvm'
  | 'cpu'
  | 'msr'
  | 'module'
  | 'device'
  | 'sev-firmware'
  | 'psp'
  | 'snp-firmware'
  | 'capacity'
  | 'log'
  | 'init2';

/** One line of the section: what was found, how it reads, and where it came from. */
export interface SevItem {
  /** Stable key, e.g. "kvm.vmType.SNP", "snp.tcb.match". */
  id: string;
  group: SevGroup;
  label: string;
  value: string;
  status: SevItemStatus;
  /** Where the value came from: the ioctl, file, log line. */
  source: string;
  /** What the value says about the host, where that needs saying. */
  meaning?: string;
  hint?: string;
  /** The probe's failure, where the item is one and gives no fix of its own: its fix is the checks' (failureFix). */
  failure?: ProbeFailure;
}

export interface SevAsidCapacity {
  capacity: number;
  /** Null when misc.current was not read. */
  current: number | null;
  free: number | null;
}

export interface SevInit2Result {
  vmType: string;
  vmsaFeatures: string;
  ok: boolean;
  error?: ProbeFailure;
  firmwareError?: DecodedFirmwareError;
}

export interface SevView extends SevHostFacts, SevPlatformFacts, SevKvmAmdFacts {
  title: string;
  items: SevItem[];
  /** The SEV VM types and whether KVM_CAP_VM_TYPES offers them (null: not known). */
  vmTypes: { name: 'SEV' | 'SEV_ES' | 'SNP'; type: number; offered: boolean | null }[];
  cpu: {
    vendor: string | null;
    family: number | null;
    model: number | null;
    generation: ProcessorGeneration | null;
    /** /proc/cpuinfo flags; null when cpuinfo was not read. */
    flags: { sme: boolean | null; sev: boolean | null; sev_es: boolean | null; sev_snp: boolean | null };
    isGuest: boolean | null;
  };
  /** Leaf 0x8000001F as KVM_GET_SUPPORTED_CPUID reports it (KVM's view). */
  cpuid: SevCpuidSummary | null;
  kvmAmd: {
    loaded: boolean | null;
    parameters: Record<string, { raw: string | null; enabled: boolean | null; error?: string }>;
  };
  attributes: { vmsaFeatures: DecodedMask | null; snpPolicyBits: DecodedSnpPolicy | null; snpReqCerts: boolean | null };
  platformStatus: DecodedSevPlatformStatus | null;
  snpPlatformStatus: DecodedSnpPlatformStatus | null;
  asids: { sev: SevAsidCapacity | null; sevEs: SevAsidCapacity | null };
  log: SevLogFacts | null;
  init2: SevInit2Result[];
  /** Where each structured field above came from, for rules that quote it. */
  sources: {
    platformStatus: string;
    snpPlatformStatus: string;
    cpuinfo: string;
    kvmAmd: string;
    vmTypes: string;
    kernelLog: string;
  };
  /** SYSCFG, RMP_BASE and RMP_END read through /dev/cpu/0/msr (null: not read or unreadable). */
  msrs: {
    syscfg: string | null;
    smee: boolean | null;
    snpEn: boolean | null;
    rmpBase: string | null;
    rmpEnd: string | null;
    source: string;
  };
  /**
   * The host's raw CPUID 0x8000001F through /dev/cpu/0/cpuid (KVM's view clears NumVMPL):
   * EAX[1] SEV, EAX[2] page-flush MSR, EAX[4] SEV-SNP, EAX[5] VMPL, EAX[10] SME_COHERENT, EBX[15:12] number of
   * VMPLs; null: not read.
   */
  hostCpuid: {
    sev: boolean | null;
    snp: boolean | null;
    vmpl: boolean | null;
    vmplCount: number | null;
    pageFlush: boolean | null;
    smeCoherent: boolean | null;
    source: string;
  };
  /** Who may open /dev/sev read-write by its mode and ACL (null: its node was not stat'ed). */
  deviceUsers: { readWrite: string[]; rootOnly: boolean; source: string } | null;
  /** The PSP's sysfs security facts that are 0/1 flags (null: not shown by this kernel/platform). */
  psp: { fusedPart: boolean | null; debugLockOn: boolean | null; source: string } | null;
  notes: { text: string; source: string }[];
}

const VM_TYPES_CAP = capabilityNumber('KVM_CAP_VM_TYPES');
const SYS_ATTRIBUTES_CAP = capabilityNumber('KVM_CAP_SYS_ATTRIBUTES');

const SEV_VM_TYPES = KVM_X86_VM_TYPES.filter(
  ([, , short]) => short === 'SEV' || short === 'SEV_ES' || short === 'SNP',
) as readonly (readonly [string, number, 'SEV' | 'SEV_ES' | 'SNP'])[];

/** errno 524: the kernel-internal ENOTSUPP that SEV_GET_ID2 leaks to userspace; Node has no name for it. */
const ENOTSUPP = 524;

function src(fact: { source: Source } | undefined, detail?: string): string {
  if (!fact) return 'not probed';
  const base = describeSource(fact.source);
  return detail === undefined ? base : `${base} (${detail})`;
}

function logSource(fact: Fact<KernelLogRecord[]>, line: string): string {
  return `${describeSource(fact.source)}: "${line.trim()}"`;
}

/**
 * The firmware status of a failed command, when the firmware was asked and said something: 0 means it was not (or it
 * succeeded).
 */
function firmwareStatus(error: ProbeError): number | undefined {
  return error.firmwareError === undefined || error.firmwareError === 0 ? undefined : error.firmwareError;
}

function firmwareText(error: ProbeError): string {
  const status = firmwareStatus(error);
  if (status === undefined) return '';
  const fw = decodeFirmwareError(status);
  return fw.name ? `; firmware ${fw.name} (${fw.hex})` : `; firmware status ${fw.hex}`;
}

class Builder {
  readonly items: SevItem[] = [];
  readonly notes: { text: string; source: string }[] = [];
  add(item: SevItem): void {
    const clean: SevItem = {
      id: item.id,
      group: item.group,
      label: item.label,
      value: item.value,
      status: item.status,
      source: item.source,
    };
    if (item.meaning !== undefined) clean.meaning = item.meaning;
    if (item.hint !== undefined) clean.hint = item.hint;
    if (item.failure !== undefined) clean.failure = item.failure;
    this.items.push(clean);
  }
  failed(
    id: string,
    group: SevGroup,
    label: string,
    fact: { source: Source; error: ProbeError },
    extra?: { meaning?: string; hint?: string; status?: SevItemStatus },
  ): ProbeFailure {
    const failure = probeFailure(fact.source, fact.error);
    const item: SevItem = {
      id,
      group,
      label,
      value: `${fact.error.code}${firmwareText(fact.error)}`,
      status: extra?.status ?? 'fail',
      source: src(fact),
      meaning: extra?.meaning ?? failureMeaning(failure),
    };
    if (extra?.hint !== undefined) item.hint = extra.hint;
    else item.failure = failure;
    this.add(item);
    return failure;
  }
}

function cpuInfo(snapshot: Snapshot): SevView['cpu'] & { fact?: Fact<Record<string, string>> } {
  const fact = snapshot.host.cpuinfo;
  if (!('value' in fact)) {
    return {
      vendor: null,
      family: null,
      model: null,
      generation: null,
      flags: { sme: null, sev: null, sev_es: null, sev_snp: null },
      isGuest: null,
    };
  }
  const fields = fact.value;
  const flags = (fields.flags ?? '').split(/\s+/).filter(Boolean);
  const number = (key: string): number | null =>
    fields[key] !== undefined && /^\d+$/.test(fields[key]!) ? Number(fields[key]) : null;
  const family = number('cpu family');
  const model = number('model');
  return {
    vendor: fields.vendor_id ?? null,
    family,
    model,
    generation: family !== null && model !== null ? processorGeneration(family, model) : null,
    flags: {
      sme: flags.includes('sme'),
      sev: flags.includes('sev'),
      sev_es: flags.includes('sev_es'),
      sev_snp: flags.includes('sev_snp'),
    },
    isGuest: flags.includes('hypervisor'),
  };
}

function vmTypes(snapshot: Snapshot, b: Builder): SevView['vmTypes'] {
  const system = snapshot.kvm.capabilities?.system;
  let mask: number | null = null;
  let why = 'not probed: /dev/kvm was not opened or not asked';
  if (system && 'value' in system) {
    const answer = system.value[VM_TYPES_CAP];
    if (typeof answer === 'number') mask = answer;
    else
      why =
        answer === undefined
          ? 'KVM_CAP_VM_TYPES was not recorded'
          : `KVM_CHECK_EXTENSION(KVM_CAP_VM_TYPES) failed: ${answer.code}`;
  } else if (system) why = `KVM_CHECK_EXTENSION failed: ${system.error.code}`;
  const source = src(system, 'KVM_CAP_VM_TYPES');
  const release = 'value' in snapshot.host.kernelRelease ? snapshot.host.kernelRelease.value : undefined;
  return SEV_VM_TYPES.map(([header, type, name]) => {
    const offered = mask === null ? null : (mask & (1 << type)) !== 0;
    const id = `kvm.vmType.${name}`;
    const label = `KVM VM type ${header} (${type})`;
    if (mask === null) b.add({ id, group: 'kvm', label, value: 'unknown', status: 'unknown', source, meaning: why });
    else if (mask === 0) {
      b.add({
        id,
        group: 'kvm',
        label,
        value: 'not enumerable (KVM_CAP_VM_TYPES is 0)',
        status: 'info',
        source,
        meaning:
          `this kernel predates KVM_CAP_VM_TYPES (Linux ${kernelChange('kvm.cap-vm-types').since}): ` +
          `${LEGACY_ONLY} ${releaseRangeText('snp.kvm-host')}`,
      });
    } else if (!offered && name !== 'SNP' && kernelHas('kvm.sev-vm-types', release) === false) {
      // 6.8 and 6.9 report VM types, but the SEV ones came in 6.10: a mask of 0x1 or 0x3 is not "SEV off".
      b.add({
        id,
        group: 'kvm',
        label,
        value: 'not a VM type on this kernel',
        status: 'info',
        source,
        meaning:
          `this kernel (Linux ${kernelChange('kvm.cap-vm-types').since} up ` +
          `to ${kernelChange('kvm.sev-vm-types').since}) reports VM types ` +
          `${NO_SEV_VM_TYPE} ${kernelChange('kvm.sev-vm-types').since}`,
      });
    } else if (!offered && name === 'SNP' && kernelHas('snp.kvm-host', release) === false) {
      const snpSince = kernelChange('snp.kvm-host').since;
      b.add({
        id,
        group: 'kvm',
        label,
        value: 'not a VM type on this kernel',
        status: 'fail',
        source,
        meaning: `KVM_X86_SNP_VM came in Linux ${snpSince}: mainline kernels before it run no SEV-SNP guests`,
      });
    } else {
      const item: SevItem = {
        id,
        group: 'kvm',
        label,
        value: offered ? 'offered' : 'not offered',
        status: offered ? 'pass' : 'fail',
        source,
      };
      if (!offered)
        item.meaning =
          `KVM_CREATE_VM(${type}) will fail with EINVAL; QEMU says ` +
          `"vm-type ${name.toLowerCase().replace('_', '-')} not supported by KVM"`;
      b.add(item);
    }
    return { name, type, offered };
  });
}

function cpuItems(snapshot: Snapshot, cpu: SevView['cpu'], b: Builder): void {
  const fact = snapshot.host.cpuinfo;
  const source = src(fact);
  if (!('value' in fact)) {
    b.failed('cpu.cpuinfo', 'cpu', 'CPU flags', fact, { status: 'unknown' });
    return;
  }
  b.add({
    id: 'cpu.model',
    group: 'cpu',
    label: 'CPU',
    value:
      `${fact.value['model name'] ?? 'unknown'} (vendor ` +
      `${cpu.vendor ?? 'unknown'}, family ${cpu.family ?? '?'}, model ` +
      `${cpu.model ?? '?'})`,
    status: cpu.vendor === 'AuthenticAMD' ? 'info' : 'fail',
    source: `${source} (vendor_id, cpu family, model)`,
    ...(cpu.vendor === 'AuthenticAMD' ? {} : { meaning: 'SEV needs an AMD CPU (snphost/sevctl "AMD CPU" check)' }),
  });
  b.add({
    id: 'cpu.generation',
    group: 'cpu',
    label: 'SEV-SNP generation',
    value: cpu.generation ?? 'none (not a Milan, Genoa, Turin or Venice family/model)',
    status: cpu.generation ? 'info' : 'warn',
    source: `${source} (cpu family, model)`,
    meaning: 'chooses the TCB_VERSION byte layout (Turin and later add an FMC byte)',
  });
  // "sme" shows only while SME is active (mem_encrypt=on, or the kernel's default set so):
  // early_detect_mem_encrypt() clears it otherwise, so its absence says nothing about SEV.
  const sme = cpu.flags.sme;
  b.add({
    id: 'cpu.flag.sme',
    group: 'cpu',
    label: 'CPU flag sme',
    value: sme ? 'present (SME active)' : 'absent',
    status: 'info',
    source: `${source} (flags)`,
    ...(sme
      ? {}
      : {
          meaning:
            'the kernel shows sme only while host memory encryption is ' +
            'active (mem_encrypt=on); its absence does not mean SEV is off',
        }),
  });
  for (const flag of ['sev', 'sev_es', 'sev_snp'] as const) {
    const present = cpu.flags[flag];
    const item: SevItem = {
      id: `cpu.flag.${flag}`,
      group: 'cpu',
      label: `CPU flag ${flag}`,
      value: present ? 'present' : 'absent',
      status: present ? 'pass' : 'fail',
      source: `${source} (flags)`,
    };
    if (!present) {
      const release = 'value' in snapshot.host.kernelRelease ? snapshot.host.kernelRelease.value : undefined;
      const preSnp = kernelHas('snp.cpu-flag', release) === false;
      item.meaning =
        flag === 'sev_snp'
          ? preSnp
            ? `kernels before ${kernelChange('snp.cpu-flag').since} ${SNP_MASKED}`
            : 'the kernel clears sev_snp when the RMP table was not reserved ' +
              'by the BIOS, the host is a VM, or the CPU is not supported ' +
              '(bsp_determine_snp)'
          : 'the kernel clears sev/sev_es when SYSCFG.MemEncryptionModeEn ' +
            '(bit 23, SMEE) or HWCR.SMMLOCK is off, i.e. the BIOS has not ' +
            'enabled memory encryption (early_detect_mem_encrypt), or the ' +
            'CPU lacks it';
      item.hint =
        flag === 'sev_snp'
          ? 'BIOS: enable "SEV-SNP Support" and "SNP Memory (RMP Table) Coverage"'
          : 'BIOS: enable SMEE and SEV (AMD CBS > CPU Common Options)';
    }
    b.add(item);
  }
  if (cpu.isGuest) {
    b.add({
      id: 'cpu.hypervisor',
      group: 'cpu',
      label: 'Running in a VM',
      value: 'yes (hypervisor flag)',
      status: 'warn',
      source: `${source} (flags)`,
      meaning: 'SEV hosts must be bare metal; a guest cannot offer SEV VMs to its own guests',
    });
  }
}

function cpuidItems(snapshot: Snapshot, b: Builder): SevCpuidSummary | null {
  const fact = snapshot.kvm.supportedCpuid;
  if (!fact) {
    b.add({
      id: 'cpuid.8000001f',
      group: 'cpu',
      label: 'CPUID 0x8000001F (KVM)',
      value: 'not probed',
      status: 'unknown',
      source: 'not probed',
    });
    return null;
  }
  if (!('value' in fact)) {
    b.failed('cpuid.8000001f', 'cpu', 'CPUID 0x8000001F (KVM)', fact, { status: 'unknown' });
    return null;
  }
  const entry = findEntry(fact.value, 0x8000001f);
  const source = src(fact, 'leaf 0x8000001F');
  if (!entry) {
    b.add({
      id: 'cpuid.8000001f',
      group: 'cpu',
      label: 'CPUID 0x8000001F (KVM)',
      value: 'absent',
      status: 'fail',
      source,
      meaning: 'KVM reports no memory-encryption leaf',
    });
    return null;
  }
  const summary = decodeSevCpuid(entry);
  if (entry.eax === 0 && entry.ebx === 0 && entry.ecx === 0 && entry.edx === 0) {
    b.add({
      id: 'cpuid.8000001f.features',
      group: 'cpu',
      label: 'CPUID 0x8000001F EAX (KVM)',
      value: 'all zero',
      status: 'fail',
      source,
      meaning:
        'KVM zeroes the memory-encryption leaf when it has no SEV support (kvm_cpu_cap_has(X86_FEATURE_SEV) is false)',
    });
    return summary;
  }
  b.add({
    id: 'cpuid.8000001f.features',
    group: 'cpu',
    label: 'CPUID 0x8000001F EAX (KVM)',
    value: summary.features.length ? summary.features.join(', ') : 'none',
    status: summary.features.includes('sev') ? 'pass' : 'fail',
    source,
    meaning:
      'KVM_GET_SUPPORTED_CPUID zeroes the leaf when KVM has no SEV, ' +
      'and sets sev/sev_es/sev_snp only for what kvm_amd enabled',
  });
  b.add({
    id: 'cpuid.8000001f.cbit',
    group: 'cpu',
    label: 'C-bit position',
    value: String(summary.cBitPosition),
    status: 'info',
    source: `${source} EBX[5:0]`,
  });
  b.add({
    id: 'cpuid.8000001f.maxGuests',
    group: 'cpu',
    label: 'Encrypted guests supported simultaneously',
    value: String(summary.maxEncryptedGuests),
    status: 'info',
    source: `${source} ECX`,
  });
  b.add({
    id: 'cpuid.8000001f.minSevAsid',
    group: 'cpu',
    label: 'Minimum ASID for SEV (non-ES) guests',
    value: String(summary.minSevAsid),
    status: 'info',
    source: `${source} EDX`,
    meaning: summary.sevEsAsids
      ? `SEV-ES/SNP ASIDs ${summary.sevEsAsids.first}-` +
        `${summary.sevEsAsids.last}; SEV ASIDs ` +
        `${summary.sevAsids ? `${summary.sevAsids.first}-${summary.sevAsids.last}` : 'none'}`
      : 'no ASIDs below it: the BIOS left none for SEV-ES/SNP ("SEV-ES ASID Space Limit")',
  });
  b.notes.push({
    text:
      'KVM clears NumVMPL (EBX[15:12]) and the physical-address ' +
      'reduction (EBX[11:6]) of leaf 0x8000001F in ' +
      'KVM_GET_SUPPORTED_CPUID; those two host values are not in the ' +
      'snapshot',
    source: 'arch/x86/kvm/cpuid.c __do_cpuid_func() case 0x8000001F',
  });
  return summary;
}

function moduleItems(snapshot: Snapshot, b: Builder): SevView['kvmAmd'] {
  const fact = snapshot.host.modules;
  const parameters: SevView['kvmAmd']['parameters'] = {};
  if (!('value' in fact)) {
    b.failed('module.kvm_amd', 'module', 'kvm_amd', fact, { status: 'unknown' });
    return { loaded: null, parameters };
  }
  const module = fact.value.kvm_amd;
  const root = snapshot.context.root.replace(/\/$/, '');
  if (!module) {
    b.add({
      id: 'module.kvm_amd',
      group: 'module',
      label: 'kvm_amd',
      value: 'not loaded',
      status: 'fail',
      source: src(fact),
      hint: 'modprobe kvm_amd',
    });
    return { loaded: false, parameters };
  }
  b.add({
    id: 'module.kvm_amd',
    group: 'module',
    label: 'kvm_amd',
    value: module.initstate === null ? 'built in' : `loaded (${module.initstate})`,
    status: 'pass',
    source: src(fact),
  });
  for (const p of KVM_AMD_PARAMETERS) {
    const raw = module.parameters[p.name];
    const source = `file ${root}/sys/module/kvm_amd/parameters/${p.name}`;
    const id = `module.kvm_amd.${p.name}`;
    const label = `kvm_amd.${p.name}`;
    if (raw === undefined) {
      parameters[p.name] = { raw: null, enabled: null };
      if (['sev', 'sev_es', 'sev_snp'].includes(p.name)) {
        b.add({
          id,
          group: 'module',
          label,
          value: 'no such parameter',
          status: p.name === 'sev_snp' ? 'fail' : 'unknown',
          source,
          meaning:
            p.name === 'sev_snp'
              ? `this kvm_amd predates SEV-SNP host support (Linux ${kernelChange('snp.kvm-host').since})`
              : 'kvm_amd was built without CONFIG_KVM_AMD_SEV',
        });
      }
      continue;
    }
    if (typeof raw !== 'string') {
      parameters[p.name] = { raw: null, enabled: null, error: raw.code };
      b.add({ id, group: 'module', label, value: `unreadable (${raw.code})`, status: 'unknown', source });
      continue;
    }
    const enabled = p.type === 'bool' || p.name === 'nested' ? parseModuleBool(raw) : null;
    parameters[p.name] = { raw, enabled };
    let status: SevItemStatus = 'info';
    if (['sev', 'sev_es', 'sev_snp', 'npt'].includes(p.name))
      status = enabled === true ? 'pass' : enabled === false ? 'fail' : 'unknown';
    const item: SevItem = { id, group: 'module', label, value: raw, status, source, meaning: p.reason };
    if (enabled === false && ['sev', 'sev_es', 'sev_snp'].includes(p.name)) {
      item.hint =
        p.name === 'sev_snp'
          ? `${NOT_ASKED_FOR} ${releaseRangeText('snp.kvm-host')} is needed`
          : 'the value is what kvm_amd could enable: check the BIOS (SMEE, ' +
            'SEV, SEV-ES ASID Space Limit) and the kernel log';
    }
    b.add(item);
  }
  return { loaded: true, parameters };
}

function attributeItems(snapshot: Snapshot, b: Builder): SevView['attributes'] {
  const result: SevView['attributes'] = { vmsaFeatures: null, snpPolicyBits: null, snpReqCerts: null };
  const attrs = snapshot.kvm.sevAttributes;
  if (!attrs) {
    const system = snapshot.kvm.capabilities?.system;
    const sysAttr = system && 'value' in system ? system.value[SYS_ATTRIBUTES_CAP] : undefined;
    const none = sysAttr === 0;
    for (const a of SEV_ATTRIBUTES) {
      b.add({
        id: `kvm.attr.${a.key}`,
        group: 'kvm',
        label: a.name,
        value: none ? 'not offered by this kernel' : 'not probed',
        status: none ? 'info' : 'unknown',
        source: none ? src(system, 'KVM_CAP_SYS_ATTRIBUTES = 0') : 'not probed',
        meaning: none ? 'no device attributes on /dev/kvm (KVM_CAP_SYS_ATTRIBUTES)' : a.meaning,
      });
    }
    return result;
  }
  for (const a of SEV_ATTRIBUTES) {
    const fact = attrs[a.key];
    const id = `kvm.attr.${a.key}`;
    if ('error' in fact) {
      if (fact.error.code === 'ENXIO') {
        b.add({
          id,
          group: 'kvm',
          label: a.name,
          value: 'not offered by this kernel',
          status: 'info',
          source: src(fact),
          meaning: `ENXIO: the attribute is not implemented here; it exists since ${a.since}`,
        });
      } else b.failed(id, 'kvm', a.name, fact, { status: 'unknown' });
      continue;
    }
    if (a.key === 'vmsaFeatures') {
      const d = decodeVmsaFeatures(fact.value);
      result.vmsaFeatures = d;
      b.add({
        id,
        group: 'kvm',
        label: a.name,
        value: describeMask(d),
        status: 'info',
        source: src(fact),
        meaning: a.meaning,
      });
    } else if (a.key === 'snpPolicyBits') {
      const d = decodeSnpPolicy(fact.value);
      result.snpPolicyBits = d;
      b.add({
        id,
        group: 'kvm',
        label: a.name,
        value: toBigInt(fact.value) === 0n ? '0 (SNP not supported)' : describeMask(d),
        status: toBigInt(fact.value) === 0n ? 'warn' : 'info',
        source: src(fact),
        meaning: a.meaning,
      });
    } else {
      const on = toBigInt(fact.value) !== 0n;
      result.snpReqCerts = on;
      b.add({
        id,
        group: 'kvm',
        label: a.name,
        value: on ? '1 (supported)' : '0',
        status: 'info',
        source: src(fact),
        meaning: a.meaning,
      });
    }
  }
  return result;
}

function describeMask(d: DecodedMask): string {
  const parts = [...d.names, ...d.unknownBits.map((bit) => `bit ${bit}`)];
  return `${d.raw}${parts.length ? ` (${parts.join(', ')})` : ' (none)'}`;
}

function deviceItems(
  snapshot: Snapshot,
  cpu: SevView['cpu'],
  kvmAmdLoaded: boolean | null,
  log: SevLogFacts | null,
  b: Builder,
): { platformStatus: DecodedSevPlatformStatus | null; snpPlatformStatus: DecodedSnpPlatformStatus | null } {
  const out = {
    platformStatus: null as DecodedSevPlatformStatus | null,
    snpPlatformStatus: null as DecodedSnpPlatformStatus | null,
  };
  const node = snapshot.host.sevDevice;
  const release = 'value' in snapshot.host.kernelRelease ? snapshot.host.kernelRelease.value : null;
  const noNodeMeaning = (): string => {
    const reasons: string[] = [];
    if (log?.psp.notEnabledByBios) reasons.push('the ccp driver logged "SEV: memory encryption not enabled by BIOS"');
    if (log?.psp.noSevSupport.length) reasons.push('the PSP reports no SEV support');
    // 6.16+: a failed SNP_PLATFORM_STATUS / SNP_FEATURE_INFO at probe, or a failed SEV status read, leaves /dev/sev
    // unregistered.
    for (const f of log?.failures ?? []) {
      if (f.reporter !== 'ccp' || !['SNP_PLATFORM_STATUS', 'SNP_FEATURE_INFO', 'PLATFORM_STATUS'].includes(f.operation))
        continue;
      reasons.push(
        `the ccp driver logged "${f.source.line.trim()}" (` +
          `${describeFailure(f)}), after which it does not register /dev/sev`,
      );
    }
    const base =
      kvmAmdLoaded === true
        ? 'kvm_amd is loaded but the ccp driver never registered /dev/sev: ' +
          'there is no PSP the driver knows, SEV is disabled in the ' +
          'firmware (BIOS), or the ccp module is not loaded'
        : 'the ccp driver has not registered /dev/sev (it does so when it finds a PSP with SEV)';
    return reasons.length ? `${base}; ${reasons.join('; ')}` : base;
  };
  const noNodeHint = 'check `dmesg | grep -e ccp -e SEV`; enable SEV in the BIOS (SMEE, SEV Control); `modprobe ccp`';
  if (node) {
    if ('value' in node) {
      const mode = node.value.mode.toString(8).padStart(4, '0');
      const owner = `${node.value.owner ?? node.value.uid}:${node.value.group ?? node.value.gid}`;
      b.add({
        id: 'device.node',
        group: 'device',
        label: '/dev/sev',
        value: `${node.value.type} ${node.value.major}:${node.value.minor}, mode ${mode}, ${owner}`,
        status: 'pass',
        source: src(node),
      });
    } else if (node.error.code === 'ENOENT') {
      b.add({
        id: 'device.node',
        group: 'device',
        label: '/dev/sev',
        value: 'absent (ENOENT)',
        status: 'fail',
        source: src(node),
        meaning: noNodeMeaning(),
        hint: noNodeHint,
      });
    } else b.failed('device.node', 'device', '/dev/sev', node, { status: 'unknown' });
  }
  const sev = snapshot.sev;
  if (!sev) {
    if (!node || !('error' in node)) {
      b.add({
        id: 'device.open',
        group: 'device',
        label: 'open /dev/sev',
        value: 'not probed',
        status: 'unknown',
        source: 'not probed',
        meaning: 'the snapshot has no /dev/sev answers',
      });
    }
    return out;
  }
  if ('error' in sev.open) {
    const code = sev.open.error.code;
    if (code === 'ENOENT') {
      b.add({
        id: 'device.open',
        group: 'device',
        label: 'open /dev/sev (read-only)',
        value: 'ENOENT',
        status: 'fail',
        source: src(sev.open),
        meaning: noNodeMeaning(),
        hint: noNodeHint,
      });
    } else if (code === 'EACCES' || code === 'EPERM') {
      const modeText =
        node && 'value' in node
          ? ` (mode ${node.value.mode.toString(8).padStart(4, '0')}, owner ${node.value.owner ?? node.value.uid})`
          : '';
      b.add({
        id: 'device.open',
        group: 'device',
        label: 'open /dev/sev (read-only)',
        value: code,
        status: 'fail',
        source: src(sev.open),
        meaning:
          `/dev/sev is root-only${modeText}: this user (uid ` +
          `${snapshot.context.uid}) may not open it, so the SEV and SNP platform status cannot be read`,
        hint: 'run as root (sudo), or grant the user access to /dev/sev with a udev rule',
      });
    } else b.failed('device.open', 'device', 'open /dev/sev (read-only)', sev.open);
  } else {
    b.add({
      id: 'device.open',
      group: 'device',
      label: 'open /dev/sev (read-only)',
      value: 'ok',
      status: 'pass',
      source: src(sev.open),
    });
  }
  // SEV_PLATFORM_STATUS
  const ps = sev.platformStatus;
  if (ps && 'value' in ps) {
    const d = decodeSevPlatformStatus(ps.value);
    out.platformStatus = d;
    const s = src(ps);
    b.add({
      id: 'sev.firmware',
      group: 'sev-firmware',
      label: 'SEV firmware version',
      value: `${d.firmwareVersion} (API ${d.api.text}, build ${d.build})`,
      status: d.api.major === 0 && d.api.minor === 0 ? 'fail' : d.meetsSnpMinimum ? 'pass' : 'warn',
      source: `${s} (api_major, api_minor, build)`,
      ...(d.meetsSnpMinimum
        ? {}
        : {
            meaning:
              `SEV-SNP needs firmware API ${SNP_MIN_FIRMWARE.major}.` +
              `${SNP_MIN_FIRMWARE.minor} or later (SNP_MIN_API_MAJOR/MINOR)`,
            hint: 'update the SEV firmware (BIOS update, or amd_sev_fam19h_*.sbin in /lib/firmware/amd)',
          }),
    });
    const init = firstChangeHeld(SEV_FIRMWARE_INIT_ROWS, release ?? undefined);
    const initText = init ? `; on Linux ${releaseRangeText(init.id)}, ${init.what}` : '';
    b.add({
      id: 'sev.state',
      group: 'sev-firmware',
      label: 'SEV platform state',
      value: `${d.stateName ?? 'unknown'} (${d.state})${d.stateName === 'WORKING' ? ', running guests' : ''}`,
      status: d.stateName === 'INIT' || d.stateName === 'WORKING' ? 'pass' : 'fail',
      source: `${s} (state)`,
      ...(d.stateName === 'UNINIT'
        ? {
            meaning: `the SEV firmware is not initialised${initText}`,
            hint: 'load kvm_amd and check the kernel log for INIT failures',
          }
        : {}),
    });
    b.add({
      id: 'sev.es',
      group: 'sev-firmware',
      label: 'SEV-ES initialised',
      value: d.esInitialised ? 'yes (CONFIG_ES)' : 'no',
      status: d.esInitialised ? 'pass' : 'fail',
      source: `${s} (flags bit 8)`,
    });
    b.add({
      id: 'sev.owner',
      group: 'sev-firmware',
      label: 'Platform owner',
      value: d.owned ? 'externally owned' : 'self-owned',
      status: 'info',
      source: `${s} (flags bit 0)`,
    });
    b.add({
      id: 'sev.guests',
      group: 'sev-firmware',
      label: 'SEV guests',
      value: String(d.guestCount),
      status: 'info',
      source: `${s} (guest_count)`,
    });
    if (d.flags.unknownBits.length) {
      b.add({
        id: 'sev.flags',
        group: 'sev-firmware',
        label: 'Platform flags',
        value: `${hex(d.flags.raw)} (unknown bits ${d.flags.unknownBits.join(', ')})`,
        status: 'info',
        source: `${s} (flags)`,
      });
    }
  } else if (ps) {
    b.failed('sev.status', 'sev-firmware', 'SEV_PLATFORM_STATUS', ps, {
      ...(ps.error.code === 'ENODEV' ? { meaning: 'the ccp driver has no PSP/SEV data behind /dev/sev' } : {}),
    });
  }
  // SNP_PLATFORM_STATUS
  const snp = sev.snpPlatformStatus;
  const withheld = sev.withheld?.SNP_PLATFORM_STATUS;
  if (withheld) {
    b.add({
      id: 'snp.withheld',
      group: 'snp-firmware',
      label: 'SNP_PLATFORM_STATUS',
      value: `not asked (SNP initialised: ${withheld.snpInitialized === 'no' ? 'no' : 'cannot tell'})`,
      status: 'info',
      source: `kvm-caps (${withheld.kernelChange})`,
      meaning: `on Linux ${releaseRangeText(withheld.kernelChange)} ${INITS_AND_SHUTS}`,
      hint: `run with ${withheld.override} to ask anyway`,
    });
  }
  const history: KernelChange | undefined = release ? firstChangeHeld(SNP_PLATFORM_STATUS_ROWS, release) : undefined;
  if (snp && 'value' in snp) {
    const cpuId = cpu.family !== null && cpu.model !== null ? { family: cpu.family, model: cpu.model } : null;
    const d = decodeSnpPlatformStatus(snp.value, cpuId);
    out.snpPlatformStatus = d;
    const s = src(snp);
    b.add({
      id: 'snp.firmware',
      group: 'snp-firmware',
      label: 'SNP firmware',
      value: `${d.firmwareVersion} (API ${d.api.text}, build ${d.buildId})`,
      status: 'info',
      source: `${s} (api_major, api_minor, build_id)`,
    });
    b.add({
      id: 'snp.state',
      group: 'snp-firmware',
      label: 'SNP platform state',
      value: `${d.stateName ?? 'unknown'} (${d.state})`,
      status: d.state !== 0 ? 'pass' : 'fail',
      source: `${s} (state)`,
      ...(d.state === 0 ? { meaning: 'SNP firmware is not initialised: SNP guests cannot start' } : {}),
    });
    b.add({
      id: 'snp.rmp',
      group: 'snp-firmware',
      label: 'RMP table initialised',
      value: d.rmpInitialised ? 'yes' : 'no',
      status: d.rmpInitialised ? 'pass' : 'fail',
      source: `${s} (byte 3 bit 0)`,
    });
    b.add({
      id: 'snp.aliasCheck',
      group: 'snp-firmware',
      label: 'Alias check complete',
      value: d.aliasCheckComplete ? 'yes, no aliasing addresses' : 'no',
      status: d.aliasCheckComplete ? 'pass' : 'fail',
      source: `${s} (byte 3 bit 1)`,
      ...(d.aliasCheckComplete
        ? {}
        : {
            meaning:
              'the firmware does not report that alias detection completed ' +
              'since the last reset with no aliasing addresses (the bit exists ' +
              'from Milan 1.55.22 / Genoa 1.55.38; CVE-2024-21944, AMD-SB-3015)',
            hint:
              'check DIMM population and the BIOS memory settings, and update ' +
              'the BIOS / SEV firmware per AMD-SB-3015 (snphost "Alias check")',
          }),
    });
    b.add({
      id: 'snp.features',
      group: 'snp-firmware',
      label: 'SNP platform flags',
      value:
        `${hex(d.featureFlags.raw)}` +
        `${d.featureFlags.names.length ? ` (${d.featureFlags.names.join(', ')})` : ' (none)'}` +
        `${d.featureFlags.unknownBits.length ? `, unknown bits ${d.featureFlags.unknownBits.join(', ')}` : ''}`,
      status: 'info',
      source: `${s} (bytes 8-11)`,
    });
    b.add({
      id: 'snp.guests',
      group: 'snp-firmware',
      label: 'SNP guests',
      value: String(d.guestCount),
      status: 'info',
      source: `${s} (guest_count)`,
    });
    const layoutText = d.tcb.layout
      ? `${d.tcb.generation} layout`
      : 'layout unknown: CPU family/model not an SNP generation or not read';
    b.add({
      id: 'snp.tcb.current',
      group: 'snp-firmware',
      label: 'Current (platform) TCB',
      value: d.tcb.current ? `${d.tcb.currentRaw}: ${formatTcbVersion(d.tcb.current)}` : d.tcb.currentRaw,
      status: 'info',
      source: `${s} (current_tcb_version; ${layoutText})`,
    });
    b.add({
      id: 'snp.tcb.reported',
      group: 'snp-firmware',
      label: 'Reported TCB',
      value: d.tcb.reported ? `${d.tcb.reportedRaw}: ${formatTcbVersion(d.tcb.reported)}` : d.tcb.reportedRaw,
      status: 'info',
      source: `${s} (reported_tcb_version; ${layoutText})`,
    });
    b.add({
      id: 'snp.tcb.match',
      group: 'snp-firmware',
      label: 'Current and reported TCB match',
      value: d.tcb.match ? 'yes' : 'no',
      status: d.tcb.match ? 'pass' : 'fail',
      source: `${s} (current_tcb_version, reported_tcb_version)`,
      ...(d.tcb.match
        ? {}
        : {
            meaning:
              'attestation reports carry the older reported TCB: the current ' +
              'firmware has not been committed (or SNP_SET_CONFIG set a lower ' +
              'reported TCB)',
            hint:
              'commit the firmware (`snphost commit`, SNP_COMMIT; ' +
              'irreversible: it blocks rollback to older firmware) or reboot',
          }),
    });
    if (d.tcb.current?.reservedNonZero || d.tcb.reported?.reservedNonZero) {
      b.add({
        id: 'snp.tcb.layout',
        group: 'snp-firmware',
        label: 'TCB layout',
        value: 'reserved bytes are not zero',
        status: 'warn',
        source: s,
        meaning: 'the TCB layout chosen from the CPU family/model may not fit this firmware',
      });
    }
  } else if (snp) {
    const code = snp.error.code;
    const meaning =
      code === 'EINVAL'
        ? kernelHas('snp.platform-status', release ?? undefined) === false
          ? `this kernel has no SNP_PLATFORM_STATUS (added in Linux ${kernelChange('snp.platform-status').since})`
          : kernelHas('snp.platform-status-needs-init', release ?? undefined) === true
            ? `SNP firmware is not initialised: Linux ${releaseRangeText('snp.platform-status-needs-init')}` +
              ` ${REFUSE_UNTIL_INIT}`
            : `${NO_STATUS} ${kernelChange('snp.platform-status').since})`
        : firmwareStatus(snp.error) === 1 && history?.id === 'sev.snp-platform-status-inits'
          ? // snp_move_to_init_state() answers SEV_RET_INVALID_PLATFORM_STATE for any failed implicit INIT.
            `${IMPLICIT_INIT_FAILED} ${history.what})`
          : firmwareStatus(snp.error) !== undefined
            ? `the firmware refused: ${decodeFirmwareError(firmwareStatus(snp.error)!).name ?? 'unknown status'}` +
              `${history ? ` (on this kernel: ${history.what})` : ''}`
            : undefined;
    b.failed('snp.status', 'snp-firmware', 'SNP_PLATFORM_STATUS', snp, meaning ? { meaning } : undefined);
  }
  const id = sev.chipId;
  if (id && 'value' in id) {
    const bytes = id.value.replace(/^0x/, '').length / 2;
    b.add({
      id: 'sev.chipId',
      group: 'sev-firmware',
      label: 'Chip ID (SEV_GET_ID2)',
      value: `present (${bytes} bytes)`,
      status: 'info',
      source: src(id),
    });
  } else if (id) {
    b.failed('sev.chipId', 'sev-firmware', 'Chip ID (SEV_GET_ID2)', id, {
      status: 'info',
      ...(id.error.errno === -ENOTSUPP || id.error.errno === ENOTSUPP
        ? { meaning: 'ENOTSUPP: SEV firmware API older than 0.16 has no GET_ID' }
        : {}),
    });
  }
  if (history && release)
    b.notes.push({
      text: `Linux ${release} (${releaseRangeText(history.id)}): ${history.what}`,
      source: history.citation,
    });
  else if (release && kernelHas('snp.platform-status', release) === false) {
    const row = kernelChange('snp.platform-status');
    b.notes.push({
      text: `Linux ${release} has no SNP_PLATFORM_STATUS (added in ${row.since}): the command number answers EINVAL`,
      source: row.citation,
    });
  }
  return out;
}

function capacityItems(snapshot: Snapshot, b: Builder): SevView['asids'] {
  const cap = snapshot.host.miscCapacity;
  const cur = snapshot.host.miscCurrent;
  const one = (key: 'sev' | 'sev_es', label: string): SevAsidCapacity | null => {
    const id = `capacity.${key}`;
    if (!cap) {
      b.add({ id, group: 'capacity', label, value: 'not read', status: 'unknown', source: 'not probed' });
      return null;
    }
    if (!('value' in cap)) {
      b.failed(id, 'capacity', label, cap, { status: 'unknown' });
      return null;
    }
    const capacity = cap.value[key];
    if (capacity === undefined) {
      b.add({
        id,
        group: 'capacity',
        label,
        value: 'no such resource',
        status: 'unknown',
        source: src(cap, key),
        meaning: 'kvm_amd registers sev / sev_es in the misc cgroup when it sets SEV up (Linux 5.13+)',
      });
      return null;
    }
    const current = cur && 'value' in cur ? (cur.value[key] ?? 0) : null;
    // Counts no kernel keeps (more in use than the capacity, or below 0): no free count is made up from them.
    const impossible = capacity < 0 || (current !== null && (current < 0 || current > capacity));
    const free = current === null || impossible ? null : capacity - current;
    b.add({
      id,
      group: 'capacity',
      label,
      value: impossible
        ? `${current ?? 'unknown'} in use of a capacity of ${capacity}: inconsistent`
        : free === null
          ? `capacity ${capacity}, in use unknown`
          : `${free} free of ${capacity} (${current} in use)`,
      status: impossible ? 'warn' : capacity === 0 ? 'fail' : free === 0 ? 'warn' : 'info',
      source: cur && 'value' in cur ? `${src(cap, key)}; ${src(cur, key)}` : src(cap, key),
    });
    return { capacity, current, free };
  };
  return { sev: one('sev', 'SEV ASIDs'), sevEs: one('sev_es', 'SEV-ES/SNP ASIDs') };
}

function logItems(snapshot: Snapshot, b: Builder): SevLogFacts | null {
  const fact = snapshot.host.kernelLog;
  if (!fact) {
    b.add({ id: 'log', group: 'log', label: 'Kernel log', value: 'not read', status: 'unknown', source: 'not probed' });
    return null;
  }
  if (!('value' in fact)) {
    b.failed('log', 'log', 'Kernel log', fact, {
      status: 'unknown',
      hint: 'run as root, or allow unprivileged reads with `sysctl kernel.dmesg_restrict=0`',
    });
    return null;
  }
  // Only the newest boot of a saved log is judged; earlier boots are shown as such.
  const newest = fact.value.filter(inNewestBoot);
  const older = fact.value.length - newest.length;
  if (older > 0)
    b.add({
      id: 'log.earlierBoots',
      group: 'log',
      label: 'Kernel log',
      value: `${older} records of earlier boots left out: only the newest boot is judged`,
      status: 'info',
      source: describeSource(fact.source),
    });
  const log = parseSevLog(newest.map((record) => record.message));
  const at = (t: LogTraced<object>): string => logSource(fact, t.source.line);
  for (const [key, r] of [
    ['sev', log.asids.sev],
    ['sevEs', log.asids.sevEs],
    ['snp', log.asids.snp],
  ] as const) {
    if (!r) continue;
    const span = r.first !== null ? `ASIDs ${r.first} - ${r.last}` : `${r.count} ASIDs`;
    b.add({
      id: `log.asids.${key}`,
      group: 'log',
      label: `kvm_amd: ${r.feature}`,
      value: `${r.state} (${span})`,
      status: r.state === 'enabled' || r.state === 'supported' ? 'pass' : r.state === 'unusable' ? 'warn' : 'fail',
      source: at(r),
      ...(r.state === 'unusable'
        ? {
            meaning:
              key === 'snp'
                ? 'supported, but SNP has no ASIDs (an empty range such as "1 - ' +
                  '0": ciphertext_hiding_asids=0 with hiding on, or a BIOS SEV-ES ' +
                  'ASID limit of 0)'
                : key === 'sevEs'
                  ? 'supported, but the kernel cannot offer it: firmware past ' +
                    'AMD-SB-3023 (the SEV-ES VM type is dropped), or ciphertext ' +
                    'hiding took the whole SEV-ES/SNP range (an empty range such as ' +
                    '"100 - 99")'
                  : 'supported, but no ASIDs are left for it',
          }
        : {}),
      ...(r.state === 'disabled'
        ? { meaning: 'kvm_amd could not enable it; see the firmware, RMP and IOMMU lines' }
        : {}),
    });
  }
  if (log.ciphertextHiding)
    b.add({
      id: 'log.ciphertextHiding',
      group: 'log',
      label: 'SEV-SNP ciphertext hiding',
      value: 'enabled',
      status: 'info',
      source: at(log.ciphertextHiding),
    });
  if (log.sevApi)
    b.add({
      id: 'log.sevApi',
      group: 'log',
      label: 'ccp: SEV firmware',
      value: log.sevApi.text,
      status: 'info',
      source: at(log.sevApi),
    });
  if (log.snpApi) {
    // On 6.16-6.19 SNP_PLATFORM_STATUS (ours, or any tool's) initialises SNP just to answer and prints this line too.
    const selfMade =
      kernelHas(
        'sev.snp-platform-status-inits',
        'value' in snapshot.host.kernelRelease ? snapshot.host.kernelRelease.value : undefined,
      ) !== false;
    b.add({
      id: 'log.snpApi',
      group: 'log',
      label: 'ccp: SEV-SNP firmware',
      value: log.snpApi.text,
      status: selfMade ? 'info' : 'pass',
      source: at(log.snpApi),
      ...(selfMade ? { meaning: `on Linux ${releaseRangeText('sev.snp-platform-status-inits')} ${ALSO_PRINTED}` } : {}),
    });
  }
  if (log.firmwareUpdate) {
    b.add({
      id: 'log.firmwareUpdate',
      group: 'log',
      label: 'ccp: SEV firmware update',
      value: log.firmwareUpdate.from ? `${log.firmwareUpdate.from} -> ${log.firmwareUpdate.to}` : 'applied',
      status: 'info',
      source: at(log.firmwareUpdate),
    });
  }
  if (log.snpNeedsFirmware) {
    b.add({
      id: 'log.snpNeedsFirmware',
      group: 'log',
      label: 'ccp: SEV-SNP firmware',
      value: `needs firmware >= ${log.snpNeedsFirmware.major}.${log.snpNeedsFirmware.minor}`,
      status: 'fail',
      source: at(log.snpNeedsFirmware),
    });
  }
  const release = 'value' in snapshot.host.kernelRelease ? snapshot.host.kernelRelease.value : undefined;
  log.failures.forEach((f, i) => {
    const fw = f.firmwareError === null ? null : decodeFirmwareError(f.firmwareError);
    const item: SevItem = {
      id: `log.failure.${i}`,
      group: 'log',
      label: `${f.reporter}: ${f.technology} firmware`,
      value: describeFailure(f),
      status: 'fail',
      source: at(f),
    };
    const meanings: string[] = [];
    if (f.firmwareError === 0 && f.rc === -110)
      meanings.push(
        'rc -110 (ETIMEDOUT) with no firmware status: the PSP did not answer (see the "timed out, disabling PSP" line)',
      );
    else if (fw?.meaning) meanings.push(fw.meaning);
    else if (fw && !fw.name) meanings.push('the status is not one of the SEV_RET codes in psp-sev.h');
    if (f.operation === 'SNP_DF_FLUSH' && f.reporter === 'ccp')
      meanings.push('printed while shutting SNP down (SNP_SHUTDOWN_EX: module unload, kexec or reboot)');
    if (f.operation === 'SNP_SHUTDOWN_EX')
      meanings.push(
        'SNP firmware shutdown failed (module unload, kexec or reboot); the firmware may still hold SNP state',
      );
    if ((f.operation === 'SNP_PLATFORM_STATUS' || f.operation === 'SNP_FEATURE_INFO') && f.reporter === 'ccp') {
      meanings.push(
        `on Linux ${releaseRangeText('sev.snp-status-removes-dev-sev')} the ccp driver then does not register /dev/sev`,
      );
    }
    // 6.9-6.15 only: __sev_snp_init_locked() on 6.16+ returns without this message.
    if (f.operation === 'SNP INIT' && f.rc !== null && kernelHas('sev.snp-init-rc-message', release) === false) {
      item.status = 'info';
      meanings.push(
        `only Linux ${releaseRangeText('sev.snp-init-rc-message')} print ` +
          `this line, not ${release}: it comes from an older boot or another kernel, not from this one`,
      );
    }
    if (meanings.length) item.meaning = meanings.join('; ');
    b.add(item);
  });
  const psp = log.psp;
  if (psp.sevEnabled)
    b.add({
      id: 'log.psp.sevEnabled',
      group: 'log',
      label: 'ccp: SEV device',
      value: `registered (${psp.sevEnabled.device})`,
      status: 'pass',
      source: at(psp.sevEnabled),
    });
  if (psp.notEnabledByBios)
    b.add({
      id: 'log.psp.bios',
      group: 'log',
      label: 'ccp: SEV',
      value: 'memory encryption not enabled by BIOS',
      status: 'fail',
      source: at(psp.notEnabledByBios),
      hint: 'BIOS: enable SMEE and SEV',
    });
  if (psp.sevInitializationFailed)
    b.add({
      id: 'log.psp.initFailed',
      group: 'log',
      label: 'ccp: SEV device',
      value: 'initialization failed',
      status: 'fail',
      source: at(psp.sevInitializationFailed),
    });
  if (psp.initRetried) {
    b.add({
      id: 'log.psp.initRetried',
      group: 'log',
      label: 'ccp: SEV INIT',
      value: 'retried once after SECURE_DATA_INVALID (0x18)',
      status: 'info',
      source: at(psp.initRetried),
      meaning:
        'the first INIT failed and the driver reset the PSP SEV state ' +
        'and tried again; a failure line after this one is the real error',
    });
  }
  if (psp.tmrAllocationFailed)
    b.add({
      id: 'log.psp.tmr',
      group: 'log',
      label: 'ccp: SEV-ES',
      value: 'TMR allocation failed, SEV-ES unavailable',
      status: 'fail',
      source: at(psp.tmrAllocationFailed),
    });
  psp.timeouts.forEach((t, i) =>
    b.add({
      id: `log.psp.timeout.${i}`,
      group: 'log',
      label: 'ccp: PSP',
      value: `command ${hex(t.command)} timed out; PSP disabled`,
      status: 'fail',
      source: at(t),
      meaning:
        "the command's own failure line then shows error 0x0 and rc -110 " +
        '(ETIMEDOUT: the firmware never answered), and every later ' +
        'command fails with -EBUSY until reboot (psp_dead)',
      hint: 'reboot; if it recurs, update the SEV firmware / BIOS',
    }),
  );
  if (log.rmp.table) {
    b.add({
      id: 'log.rmp',
      group: 'log',
      label: 'RMP table',
      value: `${log.rmp.table.kind} [${log.rmp.table.start} - ${log.rmp.table.end}]`,
      status: 'pass',
      source: at(log.rmp.table),
    });
  }
  if (log.rmp.segmentSizeGiB)
    b.add({
      id: 'log.rmp.segmentSize',
      group: 'log',
      label: 'RMP segments',
      value: `${log.rmp.segmentSizeGiB.gib} GB each, ${log.rmp.segments.length} listed`,
      status: 'info',
      source: at(log.rmp.segmentSizeGiB),
    });
  log.rmp.problems.forEach((p, i) =>
    b.add({
      id: `log.rmp.problem.${i}`,
      group: 'log',
      label: 'RMP table',
      value: p.problem,
      status: 'fail',
      source: at(p),
      meaning: RMP_PROBLEM_MEANING,
      hint: RMP_PROBLEM_FIX,
    }),
  );
  if (log.iommu.snpSupport)
    b.add({
      id: 'log.iommu',
      group: 'log',
      label: 'AMD IOMMU',
      value: 'SNP support enabled',
      status: 'pass',
      source: at(log.iommu.snpSupport),
    });
  log.iommu.problems.forEach((p, i) =>
    b.add({
      id: `log.iommu.problem.${i}`,
      group: 'log',
      label: 'AMD IOMMU',
      value: p.problem,
      status: 'fail',
      source: at(p),
      meaning: IOMMU_PROBLEMS[p.problem]!.meaning,
      hint: IOMMU_PROBLEMS[p.problem]!.fix,
    }),
  );
  if (log.guestFeatures) {
    b.add({
      id: 'log.guest',
      group: 'log',
      label: 'This kernel is an SEV guest',
      value: log.guestFeatures.features.join(' '),
      status: 'warn',
      source: at(log.guestFeatures),
    });
  }
  if (log.matched.length === 0) {
    b.add({
      id: 'log',
      group: 'log',
      label: 'Kernel log',
      value: `no SEV lines in ${fact.value.length} records`,
      status: 'info',
      source: src(fact),
    });
  }
  return log;
}

function vmTypeName(key: string): string {
  const byNumber = KVM_X86_VM_TYPES.find(
    ([header, number, short]) => String(number) === key || header === key || short === key,
  );
  return byNumber ? byNumber[2] : key;
}

function init2Items(snapshot: Snapshot, b: Builder): SevInit2Result[] {
  const init2 = snapshot.kvm.sevInit2;
  if (!init2) return [];
  const results: SevInit2Result[] = [];
  for (const [key, entry] of Object.entries(init2)) {
    const vmType = vmTypeName(key);
    const id = `init2.${vmType}`;
    const label = `KVM_SEV_INIT2 on a ${vmType} VM`;
    if ('value' in entry.result) {
      results.push({ vmType, vmsaFeatures: entry.vmsaFeatures, ok: true });
      b.add({
        id,
        group: 'init2',
        label,
        value: `ok (vmsa_features ${entry.vmsaFeatures})`,
        status: 'pass',
        source: src(entry.result),
      });
      continue;
    }
    const error = entry.result.error;
    const status = firmwareStatus(error);
    const fw = status === undefined ? undefined : decodeFirmwareError(status);
    const meaning =
      error.code === 'EBUSY'
        ? 'no free ASID of this kind'
        : error.code === 'ENOTTY'
          ? 'no ASIDs exist for this VM type (e.g. all SEV-ES ASIDs given to SNP), or SEV is off'
          : fw
            ? `the SEV platform INIT failed: ${fw.name ?? fw.hex}`
            : undefined;
    const explained = b.failed(id, 'init2', label, entry.result, meaning ? { meaning } : undefined);
    const r: SevInit2Result = { vmType, vmsaFeatures: entry.vmsaFeatures, ok: false, error: explained };
    if (fw) r.firmwareError = fw;
    results.push(r);
  }
  return results;
}

const bit = (value: bigint, n: number): boolean => ((value >> BigInt(n)) & 1n) === 1n;

/** SYSCFG bits 23 (SMEE) and 24 (SNPEn), RMP_BASE and RMP_END, as snphost reads them: a read error is "cannot tell". */
function msrItems(snapshot: Snapshot, b: Builder): SevView['msrs'] {
  const facts = snapshot.host.msrs;
  const key = (index: number): string => `0x${index.toString(16)}`;
  const out: SevView['msrs'] = {
    syscfg: null,
    smee: null,
    snpEn: null,
    rmpBase: null,
    rmpEnd: null,
    source: 'not probed',
  };
  if (!facts) return out;
  const syscfgFact = facts[key(AMD_SNP_MSRS.SYSCFG)];
  out.source = src(syscfgFact, 'MSR 0xc0010010 SYSCFG');
  for (const [name, index] of Object.entries(AMD_SNP_MSRS)) {
    const fact = facts[key(index)];
    const id = `msr.${name.toLowerCase()}`;
    const label = `${name} (MSR ${key(index)})`;
    if (!fact) continue;
    if ('error' in fact) {
      b.failed(id, 'msr', label, fact, {
        status: 'unknown',
        meaning:
          'cannot tell: the msr module is not loaded (ENOENT), this user ' +
          'may not read MSRs (EACCES/EPERM), or the CPU has no such MSR ' +
          '(EIO)',
      });
      continue;
    }
    const v = BigInt(fact.value);
    if (index === AMD_SNP_MSRS.SYSCFG) {
      out.syscfg = fact.value;
      out.smee = bit(v, 23);
      out.snpEn = bit(v, 24);
      b.add({
        id: 'msr.syscfg.smee',
        group: 'msr',
        label: 'SYSCFG bit 23 (SMEE)',
        value: out.smee ? 'set' : 'clear',
        status: out.smee ? 'pass' : 'fail',
        source: `${src(fact)} (${fact.value}, bit 23)`,
        ...(out.smee
          ? {}
          : {
              meaning: 'the BIOS has not enabled memory encryption: no SME, SEV, SEV-ES ' + 'or SEV-SNP',
              hint: 'BIOS: enable SMEE (Secure Memory Encryption)',
            }),
      });
      b.add({
        id: 'msr.syscfg.snpEn',
        group: 'msr',
        label: 'SYSCFG bit 24 (SNPEn)',
        value: out.snpEn ? 'set' : 'clear',
        status: out.snpEn ? 'pass' : 'fail',
        source: `${src(fact)} (${fact.value}, bit 24)`,
        ...(out.snpEn
          ? {}
          : {
              meaning:
                'SEV-SNP is not enabled in SYSCFG: the BIOS did not set it up ' +
                '(or the kernel did not, on kernels that set SNPEn themselves)',
              hint: 'BIOS: enable "SEV-SNP Support" and "SNP Memory (RMP Table) Coverage"',
            }),
      });
    } else {
      if (index === AMD_SNP_MSRS.RMP_BASE) out.rmpBase = fact.value;
      else out.rmpEnd = fact.value;
      b.add({
        id,
        group: 'msr',
        label,
        value: fact.value,
        status: v === 0n ? 'fail' : 'info',
        source: src(fact),
        ...(v === 0n
          ? {
              meaning: 'no RMP table reserved: SEV-SNP cannot run',
              hint: 'BIOS: enable "SNP Memory (RMP Table) Coverage"',
            }
          : {}),
      });
    }
  }
  return out;
}

/** What snphost/sevctl also show about the host: VMM access to /dev/sev, the memlock limit, the brand string. */
function parityItems(snapshot: Snapshot, b: Builder): void {
  const access = snapshot.host.sevDeviceAccess;
  const node = snapshot.host.sevDevice;
  if (access) {
    if ('value' in access) {
      const nodeText =
        node && 'value' in node
          ? `; mode ${node.value.mode.toString(8).padStart(4, '0')}, owner ` +
            `${node.value.owner ?? node.value.uid}, group ` +
            `${node.value.group ?? node.value.gid}`
          : '';
      b.add({
        id: 'device.access',
        group: 'device',
        label: `/dev/sev for uid ${snapshot.context.uid}`,
        value: `${access.value.write ? 'read-write' : access.value.read ? 'read-only' : 'no access'}${nodeText}`,
        status: 'info',
        source: src(access),
        meaning:
          'QEMU opens /dev/sev read-write: the user the VMM runs as needs ' +
          'read and write through the mode, its groups or an ACL; this ' +
          'line is for the user kvm-caps ran as',
      });
    } else b.failed('device.access', 'device', '/dev/sev access', access, { status: 'unknown' });
  }
  const memlock = snapshot.host.memlockLimit;
  if (memlock) {
    if ('value' in memlock) {
      const text = (n: number | null): string => (n === null ? 'unlimited' : `${n} bytes`);
      b.add({
        id: 'host.memlock',
        group: 'device',
        label: 'Locked-memory limit (RLIMIT_MEMLOCK)',
        value: `soft ${text(memlock.value.soft)}, hard ${text(memlock.value.hard)}`,
        status: 'info',
        source: src(memlock),
        meaning:
          'of this process; a VMM that pins SEV guest memory needs a limit ' +
          'as large as the guest (libvirt raises it for the guests it ' +
          'starts)',
      });
    } else b.failed('host.memlock', 'device', 'Locked-memory limit', memlock, { status: 'unknown' });
  }
  const cpuinfo = snapshot.host.cpuinfo;
  if ('value' in cpuinfo && cpuinfo.value.vendor_id === 'AuthenticAMD') {
    const brand = cpuinfo.value['model name'] ?? '';
    b.add({
      id: 'cpu.epyc',
      group: 'cpu',
      label: 'EPYC processor',
      value: /\bEPYC\b/.test(brand) ? 'yes' : 'no',
      status: 'info',
      source: `${src(cpuinfo)} (model name)`,
      ...(/\bEPYC\b/.test(brand)
        ? {}
        : { meaning: 'SEV, SEV-ES and SEV-SNP host support is for EPYC server parts (snphost "Is EPYC")' }),
    });
  }
}

/**
 * VMPL support, the number of VMPLs and the page-flush MSR from the host's raw CPUID 0x8000001F
 * (AMD APM vol. 3, CPUID Fn8000_001F: EAX bit 2 VmPgFlush, bit 5 VMPL, EBX[15:12] NumVMPL;
 * cpufeatures.h word 19 bit 2 X86_FEATURE_VM_PAGE_FLUSH, bit 10 X86_FEATURE_SME_COHERENT). Linux
 * 7.2's sev_flush_encrypted_page() (arch/x86/kvm/svm/sev.c) uses CLFLUSHOPT with SME_COHERENT and
 * the VM_PAGE_FLUSH MSR otherwise, so only a CPU with neither has a reason to warn. KVM_GET_SUPPORTED_CPUID clears
 * NumVMPL,
 * and the kernel prints no cpuinfo flag for bit 2 or 5 (no quoted name in cpufeatures.h), so the
 * cpuid driver's answer is the only source: where it cannot be read, these say "cannot tell".
 */
function hostCpuidItems(snapshot: Snapshot, b: Builder): SevView['hostCpuid'] {
  const fact = snapshot.host.hostCpuid8000001f;
  const out: SevView['hostCpuid'] = {
    sev: null,
    snp: null,
    vmplCount: null,
    vmpl: null,
    pageFlush: null,
    smeCoherent: null,
    source: src(fact),
  };
  if (!fact) return out;
  if ('error' in fact) {
    b.failed('cpuid.host', 'cpu', 'CPUID 0x8000001F (host, /dev/cpu/0/cpuid)', fact, {
      status: 'unknown',
      meaning:
        'cannot tell VMPL support, the number of VMPLs or the page-flush ' +
        'MSR: the cpuid module is not loaded (ENOENT) or this user may ' +
        'not read it (EACCES/EPERM)',
      hint: 'run as root with the cpuid module loaded (`modprobe cpuid`); kvm-caps never loads it',
    });
    return out;
  }
  const eax = BigInt(fact.value.eax);
  const ebx = BigInt(fact.value.ebx);
  const f = HOST_CPUID_8000001F;
  out.sev = bit(eax, f.sevBit);
  out.snp = bit(eax, f.snpBit);
  out.vmpl = bit(eax, f.vmplBit);
  out.vmplCount = Number((ebx >> BigInt(f.numVmplShift)) & BigInt(f.numVmplMask));
  out.pageFlush = bit(eax, f.pageFlushBit);
  out.smeCoherent = bit(eax, f.smeCoherentBit);
  b.add({
    id: 'cpuid.host.vmpl',
    group: 'cpu',
    label: 'VM Permission Levels (host CPUID)',
    value: out.vmpl ? 'supported' : 'not supported',
    status: out.vmpl ? 'pass' : out.snp ? 'fail' : 'info',
    source: `${src(fact)} (0x8000001F EAX ${fact.value.eax}, bit 5)`,
    ...(out.vmpl || !out.snp
      ? {}
      : { meaning: 'the CPU reports SEV-SNP without VMPLs: SNP guests (and an SVSM at VMPL0) need them' }),
  });
  b.add({
    id: 'cpuid.host.vmplCount',
    group: 'cpu',
    label: 'Number of VMPLs (host CPUID)',
    value: String(out.vmplCount),
    status: 'info',
    source: `${src(fact)} (0x8000001F EBX ${fact.value.ebx}, bits 15:12)`,
  });
  b.add({
    id: 'cpuid.host.pageFlush',
    group: 'cpu',
    label: 'VM page flush MSR (host CPUID)',
    value: out.pageFlush ? 'supported' : out.smeCoherent ? 'not supported (not needed: SME_COHERENT)' : 'not supported',
    status: out.pageFlush ? 'pass' : out.smeCoherent || !out.sev ? 'info' : 'warn',
    source: `${src(fact)} (0x8000001F EAX ${fact.value.eax}, bits 2 and 10)`,
    ...(out.pageFlush
      ? {}
      : {
          meaning: out.smeCoherent
            ? 'the CPU keeps encrypted and plain cache lines coherent ' +
              '(SME_COHERENT), so KVM flushes a page it takes back from a ' +
              'guest with CLFLUSHOPT and never uses VM_PAGE_FLUSH'
            : 'KVM flushes an encrypted guest page it takes back with the ' +
              'VM_PAGE_FLUSH MSR; where that write faults it warns and writes ' +
              'back the caches of every CPU the guest ran on',
        }),
  });
  return out;
}

/** The rw bits of one `rwx` triple. */
const readWrite = (perm: string | undefined): boolean => perm !== undefined && perm[0] === 'r' && perm[1] === 'w';

/**
 * Who may open /dev/sev read-write, as its mode and POSIX ACL grant it (QEMU opens it O_RDWR):
 * the owner, the owning group, the ACL's named users and groups (each through the ACL mask) and
 * everyone. Root may always; "root only" means no one else is named.
 */
function deviceUserItems(snapshot: Snapshot, b: Builder): SevView['deviceUsers'] {
  const node = snapshot.host.sevDevice;
  if (!node || !('value' in node)) return null;
  const n = node.value;
  const acl = snapshot.host.sevDeviceAcl;
  const entries = acl && 'value' in acl ? acl.value.entries : null;
  const owner = `user ${n.owner ?? n.uid}`;
  const group = `group ${n.group ?? n.gid}`;
  const holders: { who: string; root: boolean }[] = [];
  const perm = (mode: number, shift: number): string =>
    `${mode & (4 << shift) ? 'r' : '-'}${mode & (2 << shift) ? 'w' : '-'}`;
  if (entries && entries.length > 0) {
    const table = entries.map((e) => e.split(':'));
    const mask = table.find(([kind]) => kind === 'mask')?.[2];
    const masked = (p: string | undefined): boolean => readWrite(p) && (mask === undefined || readWrite(mask));
    for (const [kind, id, p] of table) {
      if (kind === 'user' && id === '' && readWrite(p)) holders.push({ who: `${owner} (owner)`, root: n.uid === 0 });
      else if (kind === 'user' && id !== '' && masked(p)) holders.push({ who: `user ${id} (ACL)`, root: id === '0' });
      else if (kind === 'group' && id === '' && masked(p))
        holders.push({ who: `${group} (owning group)`, root: n.gid === 0 });
      else if (kind === 'group' && id !== '' && masked(p)) holders.push({ who: `group ${id} (ACL)`, root: id === '0' });
      else if (kind === 'other' && readWrite(p)) holders.push({ who: 'everyone (other)', root: false });
    }
  } else {
    if (readWrite(perm(n.mode, 6))) holders.push({ who: `${owner} (owner)`, root: n.uid === 0 });
    if (readWrite(perm(n.mode, 3))) holders.push({ who: `${group} (group)`, root: n.gid === 0 });
    if (readWrite(perm(n.mode, 0))) holders.push({ who: 'everyone (other)', root: false });
  }
  const aclText =
    entries && entries.length > 0
      ? `; ACL ${entries.join(',')}`
      : acl && 'error' in acl
        ? `; ACL unread (${acl.error.code})`
        : acl && 'value' in acl && acl.value.entries === null
          ? '; ACL unread (getfacl failed)'
          : '';
  const rootOnly = holders.every((h) => h.root);
  const source = acl ? `${src(node)}; ${src(acl)}` : src(node);
  b.add({
    id: 'device.users',
    group: 'device',
    label: '/dev/sev read-write for',
    value:
      `${rootOnly ? 'root only' : holders.map((h) => h.who).join(', ')}` +
      ` (mode ${n.mode.toString(8).padStart(4, '0')}, ` +
      `${n.owner ?? n.uid}:${n.group ?? n.gid}${aclText})`,
    status: rootOnly ? 'warn' : 'info',
    source,
    meaning: rootOnly
      ? `${NON_ROOT_VMM}${entries === null ? ACL_UNREAD : ''}`
      : "the VMM's user (qemu, libvirt-qemu, the kvm group) can start SEV guests only if it is " +
        'one of these or in one of these groups',
    ...(rootOnly
      ? {
          hint:
            "give the VMM's group access: `chgrp kvm /dev/sev && chmod 0660 /dev/sev` (a udev rule to keep it), " +
            'or `setfacl -m u:qemu:rw /dev/sev`',
        }
      : {}),
  });
  return { readWrite: holders.map((h) => h.who), rootOnly, source };
}

/** The PSP's own sysfs facts (drivers/crypto/ccp/sp-pci.c, hsti.c): shown with the firmware facts. */
function pspItems(snapshot: Snapshot, b: Builder): SevView['psp'] {
  const fact = snapshot.host.pspSysfs;
  if (!fact) return null;
  if (!('value' in fact)) {
    b.failed('psp', 'psp', 'PSP sysfs', fact, { status: 'unknown' });
    return null;
  }
  const source = src(fact);
  const flag = (name: string): boolean | null => {
    const raw = fact.value.attributes[name];
    return typeof raw === 'string' && /^[01]$/.test(raw.trim()) ? raw.trim() === '1' : null;
  };
  for (const [name, raw] of Object.entries(fact.value.attributes)) {
    const id = `psp.${name}`;
    if (typeof raw !== 'string') {
      b.add({
        id,
        group: 'psp',
        label: name,
        value: `unreadable (${raw.code})`,
        status: 'unknown',
        source: `${source} (${name})`,
      });
      continue;
    }
    const production = name === 'fused_part' || name === 'debug_lock_on';
    const ok = raw.trim() === '1';
    b.add({
      id,
      group: 'psp',
      label: name,
      value: raw.trim(),
      status: production ? (ok ? 'pass' : 'warn') : 'info',
      source: `${source} (${name})`,
      ...(production && !ok ? { meaning: `a production part shows ${name} = 1: ${UNFUSED}` } : {}),
    });
  }
  return { fusedPart: flag('fused_part'), debugLockOn: flag('debug_lock_on'), source };
}

/** Everything the snapshot says about AMD SEV, SEV-ES and SEV-SNP on this host. */
export function sevView(snapshot: Snapshot): SevView {
  const b = new Builder();
  const types = vmTypes(snapshot, b);
  const cpu = cpuInfo(snapshot);
  cpuItems(snapshot, cpu, b);
  const cpuid = cpuidItems(snapshot, b);
  const kvmAmd = moduleItems(snapshot, b);
  const attributes = attributeItems(snapshot, b);
  const log = logItems(snapshot, b);
  const device = deviceItems(snapshot, cpu, kvmAmd.loaded, log, b);
  const asids = capacityItems(snapshot, b);
  const init2 = init2Items(snapshot, b);
  const msrs = msrItems(snapshot, b);
  parityItems(snapshot, b);
  const hostCpuid = hostCpuidItems(snapshot, b);
  const deviceUsers = deviceUserItems(snapshot, b);
  const psp = pspItems(snapshot, b);
  b.notes.push({
    text:
      'the kernel hides the sev, sev_es and sev_snp flags in ' +
      '/proc/cpuinfo when the BIOS has not enabled them, and shows sme ' +
      'only while SME is active (mem_encrypt=on), so an absent flag ' +
      'does not mean the CPU lacks the feature',
    source: 'arch/x86/kernel/cpu/amd.c early_detect_mem_encrypt(), bsp_determine_snp()',
  });
  return {
    ...sevHostFacts(),
    ...sevPlatformFacts(),
    ...sevKvmAmdFacts(),
    title: 'AMD SEV / SEV-ES / SEV-SNP',
    items: b.items,
    vmTypes: types,
    cpu: {
      vendor: cpu.vendor,
      family: cpu.family,
      model: cpu.model,
      generation: cpu.generation,
      flags: cpu.flags,
      isGuest: cpu.isGuest,
    },
    cpuid,
    kvmAmd,
    attributes,
    platformStatus: device.platformStatus,
    snpPlatformStatus: device.snpPlatformStatus,
    asids,
    log,
    init2,
    sources: {
      platformStatus: src(snapshot.sev?.platformStatus),
      snpPlatformStatus: src(snapshot.sev?.snpPlatformStatus),
      cpuinfo: src(snapshot.host.cpuinfo),
      kvmAmd: src(snapshot.host.modules),
      vmTypes: src(snapshot.kvm.capabilities?.system, 'KVM_CAP_VM_TYPES'),
      kernelLog: src(snapshot.host.kernelLog),
    },
    msrs,
    hostCpuid,
    deviceUsers,
    psp,
    notes: b.notes,
  };
}
