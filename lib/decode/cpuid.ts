// CPUID as KVM offers it to guests (KVM_GET_SUPPORTED_CPUID), and what KVM can emulate
// beyond the hardware (KVM_GET_EMULATED_CPUID).
import { decodeCpuidEntry, decodeXsaveMask, featureSet, findEntry, type DecodedCpuidEntry } from './cpuid-entry.js';
import type { CpuidEntryRecord } from '../snapshot/types.js';

/** Features worth a line in the host report (the comment says why a person looking at a KVM host cares). */
export const CPUID_HIGHLIGHTS: readonly string[] = [
  'vmx', // Intel VT-x for guests (nested virtualization)
  'svm', // AMD-V for guests (nested virtualization)
  'x2apic', // x2APIC, needed for more than 255 vCPUs
  'tsc_deadline_timer', // TSC-deadline timer
  'la57', // 5-level paging, 57-bit guest addresses
  'pcid', // process-context identifiers
  'invpcid', // INVPCID
  'pku', // memory protection keys
  'umip', // user-mode instruction prevention
  'avx2', // AVX2
  'avx512f', // AVX-512
  'amx_tile', // AMX tiles
  'xsaves', // XSAVES/XRSTORS
  'arch_capabilities', // IA32_ARCH_CAPABILITIES for guests (CPU vulnerability reporting)
  'md_clear', // MD_CLEAR (MDS mitigation)
  'hypervisor', // the hypervisor bit guests see
];

export interface CpuidSummary {
  entries: number;
  maxBasicLeaf: number | null;
  maxExtendedLeaf: number | null;
  physicalAddressBits: number | null;
  highlights: { name: string; supported: boolean; emulated: boolean }[];
}

const field = (entry: DecodedCpuidEntry | undefined, name: string): number | null => entry?.fields[name] ?? null;

export function summarizeCpuid(supported: CpuidEntryRecord[], emulated: CpuidEntryRecord[] | undefined): CpuidSummary {
  const features = featureSet(supported);
  const emulatedFeatures = featureSet(emulated ?? []);
  const leaf = (fn: number, index = 0) => {
    const entry = findEntry(supported, fn, index);
    return entry === undefined ? undefined : decodeCpuidEntry(entry);
  };
  return {
    entries: supported.length,
    maxBasicLeaf: field(leaf(0), 'maxBasicLeaf'),
    maxExtendedLeaf: field(leaf(0x80000000), 'maxExtendedLeaf'),
    physicalAddressBits: field(leaf(0x80000008), 'physicalAddressBits'),
    highlights: CPUID_HIGHLIGHTS.map((name) => ({
      name,
      supported: features.has(name),
      emulated: emulatedFeatures.has(name),
    })),
  };
}

export function decodeCpuid(entries: CpuidEntryRecord[]): DecodedCpuidEntry[] {
  return entries.map(decodeCpuidEntry);
}

/** The XSAVE components KVM lets guests enable, from KVM_X86_XCOMP_GUEST_SUPP (a hex u64). */
export function xsaveComponents(hexMask: string): { mask: string; components: string[]; unknownBits: number[] } {
  return { mask: hexMask, ...decodeXsaveMask(BigInt(hexMask)) };
}
