// The SEV model's kvm, cpu and msr groups: the VM types and KVM's SEV attributes, /proc/cpuinfo, CPUID 0x8000001F (KVM's and the host's), SYSCFG and the RMP MSRs.
// Typed values with their sources only: no status and no prose (check judges, render words).
import { capabilityNumber } from '../knowledge/capabilities.js';
import { hex } from '../knowledge/hex.js';
import { HOST_CPUID_8000001F, type SEV_ATTRIBUTES } from '../knowledge/sev.js';
import { KVM_X86_VM_TYPES } from '../knowledge/x86.js';
import { AMD_SNP_MSRS } from '../snapshot/msr.js';
import type { Snapshot } from '../snapshot/types.js';
import { findEntry } from './cpuid-entry.js';
import { probeFailure } from './failure.js';
import {
  decodeSevCpuid,
  decodeSnpPolicy,
  decodeVmsaFeatures,
  processorGeneration,
  toBigInt,
  type DecodedMask,
  type DecodedSnpPolicy,
  type ProcessorGeneration,
  type SevCpuidSummary,
} from './sev-fields.js';
import { describeSource, trace, valueOrNull, type Traced } from './sourced.js';

export type SevVmTypeName = 'SEV' | 'SEV_ES' | 'SNP';
export type SevAttributeKey = (typeof SEV_ATTRIBUTES)[number]['key'];
export type AmdSnpMsr = keyof typeof AMD_SNP_MSRS;

export interface SevHostFacts {
  /** The running kernel's release: what every kernel-range statement about this host is held against. */
  kernelRelease: Traced<string>;
  /** KVM_CAP_VM_TYPES as KVM_CHECK_EXTENSION on /dev/kvm answered it (0: a kernel without the capability). */
  vmTypeMask: Traced<number>;
  /** The SEV VM types in KVM_CAP_VM_TYPES's mask (offered null: the mask is not known). */
  vmTypes: { name: SevVmTypeName; type: number; offered: boolean | null }[];
  /** KVM_CAP_SYS_ATTRIBUTES: 0 means /dev/kvm has no device attributes, so none of KVM's SEV attributes. */
  sysAttributes: Traced<number>;
  /**
   * KVM's SEV attributes (KVM_GET_DEVICE_ATTR, group KVM_X86_GRP_SEV), decoded; an ENXIO answer is an error with
   * `absence`: the kernel does not have the attribute.
   */
  sevAttributes: {
    vmsaFeatures: Traced<DecodedMask>;
    snpPolicyBits: Traced<DecodedSnpPolicy>;
    /** Whether KVM can exit to userspace to fetch an attestation request's certificates. */
    snpReqCerts: Traced<boolean>;
  };
  /** /proc/cpuinfo itself: its brand string, or why it was not read. */
  cpuinfo: Traced<{ modelName: string | null }>;
  /** /proc/cpuinfo's vendor, family, model and SEV flags; null where cpuinfo was not read. */
  cpu: {
    vendor: string | null;
    family: number | null;
    model: number | null;
    generation: ProcessorGeneration | null;
    flags: { sme: boolean | null; sev: boolean | null; sev_es: boolean | null; sev_snp: boolean | null };
    isGuest: boolean | null;
  };
  /** Leaf 0x8000001F in KVM_GET_SUPPORTED_CPUID: whether KVM lists it and whether all four registers are 0. */
  cpuidLeaf: Traced<{ listed: boolean; allZero: boolean }>;
  /** Leaf 0x8000001F as KVM_GET_SUPPORTED_CPUID reports it (KVM's view), decoded; null: not listed or not read. */
  cpuid: SevCpuidSummary | null;
  /** SYSCFG, RMP_BASE and RMP_END as read through /dev/cpu/0/msr, in AMD_SNP_MSRS order; missing: not in the snapshot. */
  msrs: Record<AmdSnpMsr, Traced<string>>;
  /**
   * The host's raw CPUID 0x8000001F (EAX and EBX) through /dev/cpu/0/cpuid, or why it was not read (KVM's view
   * clears NumVMPL); `hostCpuidBits` decodes it.
   */
  hostCpuid: Traced<{ eax: string; ebx: string }>;
}

const VM_TYPES_CAP = capabilityNumber('KVM_CAP_VM_TYPES');
const SYS_ATTRIBUTES_CAP = capabilityNumber('KVM_CAP_SYS_ATTRIBUTES');

const SEV_VM_TYPES = KVM_X86_VM_TYPES.filter(
  ([, , short]) => short === 'SEV' || short === 'SEV_ES' || short === 'SNP',
) as readonly (readonly [string, number, SevVmTypeName])[];

const bit = (value: bigint, n: number): boolean => ((value >> BigInt(n)) & 1n) === 1n;

/**
 * One capability of the system KVM_CHECK_EXTENSION batch, with the batch's source narrowed to it (and, with
 * `quoted`, to its answer).
 */
function capability(snapshot: Snapshot, number: number, name: string, quoted = false): Traced<number> {
  const system = snapshot.kvm.capabilities?.system;
  if (system === undefined) return { missing: 'not probed: /dev/kvm was not opened or not asked' };
  const source = `${describeSource(system.source)} (${name})`;
  if ('error' in system) return { error: probeFailure(system.source, system.error), source };
  const answer = system.value[number];
  if (answer === undefined) return { missing: `${name} was not recorded`, source };
  // The batch records a refused capability by its errno name only.
  if (typeof answer !== 'number') return { missing: `KVM_CHECK_EXTENSION(${name}) failed: ${answer.code}`, source };
  return { value: answer, source: quoted ? `${describeSource(system.source)} (${name} = ${answer})` : source };
}

function cpuFacts(snapshot: Snapshot): Pick<SevHostFacts, 'cpuinfo' | 'cpu'> {
  const fact = snapshot.host.cpuinfo;
  const cpuinfo = trace(fact, (fields) => ({ modelName: fields['model name'] ?? null }), 'cpuinfo not read');
  if (!('value' in fact)) {
    const flags = { sme: null, sev: null, sev_es: null, sev_snp: null };
    return { cpuinfo, cpu: { vendor: null, family: null, model: null, generation: null, flags, isGuest: null } };
  }
  const fields = fact.value;
  const flags = (fields.flags ?? '').split(/\s+/).filter(Boolean);
  const number = (key: string): number | null =>
    fields[key] !== undefined && /^\d+$/.test(fields[key]!) ? Number(fields[key]) : null;
  const family = number('cpu family');
  const model = number('model');
  return {
    cpuinfo,
    cpu: {
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
    },
  };
}

function attributeFacts(snapshot: Snapshot): Pick<SevHostFacts, 'sevAttributes'> {
  const attrs = snapshot.kvm.sevAttributes;
  const notAsked = 'KVM_GET_DEVICE_ATTR (KVM_X86_GRP_SEV) was not asked';
  const sevAttributes: SevHostFacts['sevAttributes'] = {
    vmsaFeatures: trace(attrs?.vmsaFeatures, decodeVmsaFeatures, notAsked),
    snpPolicyBits: trace(attrs?.snpPolicyBits, decodeSnpPolicy, notAsked),
    snpReqCerts: trace(attrs?.snpReqCerts, (value) => toBigInt(value) !== 0n, notAsked),
  };
  return { sevAttributes };
}

function cpuidFacts(snapshot: Snapshot): Pick<SevHostFacts, 'cpuidLeaf' | 'cpuid'> {
  const fact = snapshot.kvm.supportedCpuid;
  if (fact === undefined) return { cpuidLeaf: { missing: 'KVM_GET_SUPPORTED_CPUID was not asked' }, cpuid: null };
  if ('error' in fact)
    return {
      cpuidLeaf: { error: probeFailure(fact.source, fact.error), source: describeSource(fact.source) },
      cpuid: null,
    };
  const entry = findEntry(fact.value, 0x8000001f);
  const source = `${describeSource(fact.source)} (leaf 0x8000001F)`;
  if (!entry) return { cpuidLeaf: { value: { listed: false, allZero: false }, source }, cpuid: null };
  const allZero = entry.eax === 0 && entry.ebx === 0 && entry.ecx === 0 && entry.edx === 0;
  return { cpuidLeaf: { value: { listed: true, allZero }, source }, cpuid: decodeSevCpuid(entry) };
}

/** SYSCFG bits 23 (SMEE) and 24 (SNPEn), RMP_BASE and RMP_END, as snphost reads them: a read error is "cannot tell". */
function msrFacts(snapshot: Snapshot): SevHostFacts['msrs'] {
  const facts = snapshot.host.msrs;
  const read = (index: number): Traced<string> =>
    trace(facts?.[hex(index)], (value) => value, facts ? 'not read' : 'the MSRs were not read');
  return {
    SYSCFG: read(AMD_SNP_MSRS.SYSCFG),
    RMP_BASE: read(AMD_SNP_MSRS.RMP_BASE),
    RMP_END: read(AMD_SNP_MSRS.RMP_END),
  };
}

/** SYSCFG's SMEE (bit 23) and SNPEn (bit 24), and the RMP MSRs, from the values read (null: not read). */
export interface SnpMsrValues {
  syscfg: string | null;
  smee: boolean | null;
  snpEn: boolean | null;
  rmpBase: string | null;
  rmpEnd: string | null;
}

export function snpMsrValues(msrs: SevHostFacts['msrs']): SnpMsrValues {
  const syscfg = valueOrNull(msrs.SYSCFG);
  return {
    syscfg,
    smee: syscfg === null ? null : bit(BigInt(syscfg), 23),
    snpEn: syscfg === null ? null : bit(BigInt(syscfg), 24),
    rmpBase: valueOrNull(msrs.RMP_BASE),
    rmpEnd: valueOrNull(msrs.RMP_END),
  };
}

/**
 * VMPL support, the number of VMPLs and the page-flush MSR from the host's raw CPUID 0x8000001F
 * (AMD APM vol. 3, CPUID Fn8000_001F: EAX bit 1 SEV, bit 2 VmPgFlush, bit 4 SEV-SNP, bit 5 VMPL,
 * EBX[15:12] NumVMPL; cpufeatures.h word 19 bit 2 X86_FEATURE_VM_PAGE_FLUSH, bit 10
 * X86_FEATURE_SME_COHERENT). KVM_GET_SUPPORTED_CPUID clears NumVMPL, and the kernel prints no
 * cpuinfo flag for bit 2 or 5 (no quoted name in cpufeatures.h), so the cpuid driver's answer is
 * the only source.
 */
export interface HostCpuidBits {
  sev: boolean;
  snp: boolean;
  vmpl: boolean;
  vmplCount: number;
  pageFlush: boolean;
  smeCoherent: boolean;
}

/** The bits of `hostCpuid`; null where the leaf was not read. */
export function hostCpuidBits(leaf: SevHostFacts['hostCpuid']): HostCpuidBits | null {
  if (!('value' in leaf)) return null;
  const eax = BigInt(leaf.value.eax);
  const ebx = BigInt(leaf.value.ebx);
  const f = HOST_CPUID_8000001F;
  return {
    sev: bit(eax, f.sevBit),
    snp: bit(eax, f.snpBit),
    vmpl: bit(eax, f.vmplBit),
    vmplCount: Number((ebx >> BigInt(f.numVmplShift)) & BigInt(f.numVmplMask)),
    pageFlush: bit(eax, f.pageFlushBit),
    smeCoherent: bit(eax, f.smeCoherentBit),
  };
}

export function sevHostFacts(snapshot: Snapshot): SevHostFacts {
  const vmTypeMask = capability(snapshot, VM_TYPES_CAP, 'KVM_CAP_VM_TYPES');
  const mask = valueOrNull(vmTypeMask);
  return {
    kernelRelease: trace(snapshot.host.kernelRelease, (release) => release, 'kernel release not read'),
    vmTypeMask,
    vmTypes: SEV_VM_TYPES.map(([, type, name]) => ({
      name,
      type,
      offered: mask === null ? null : (mask & (1 << type)) !== 0,
    })),
    sysAttributes: capability(snapshot, SYS_ATTRIBUTES_CAP, 'KVM_CAP_SYS_ATTRIBUTES', true),
    ...attributeFacts(snapshot),
    ...cpuFacts(snapshot),
    ...cpuidFacts(snapshot),
    msrs: msrFacts(snapshot),
    hostCpuid: trace(
      snapshot.host.hostCpuid8000001f,
      (v) => ({ eax: v.eax, ebx: v.ebx }),
      '/dev/cpu/0/cpuid was not read',
    ),
  };
}
