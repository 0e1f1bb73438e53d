// Pure CPUID decoders over the tables in ./features.ts. No I/O.
import type { CpuidEntry } from '../native/binding.js';
import { CPUID_FEATURE_REGISTERS, XSAVE_COMPONENTS } from '../knowledge/cpuid-features.js';
import type { FeatureRegister, Register } from '../knowledge/cpuid-features.js';

export interface DecodedCpuidEntry extends CpuidEntry {
  /** Names of the set bits, for each register that has a feature table. */
  features: Partial<Record<Register, string[]>>;
  /** Set bits the table does not name, for each register that has a feature table. */
  unknownBits: Partial<Record<Register, number[]>>;
  /** Multi-bit fields of the leaves that carry them (see decodeFields). */
  fields: Record<string, number>;
}

/** KVM_CPUID_FLAG_SIGNIFCANT_INDEX (sic) from <asm/kvm.h>: the entry is specific to `index`. */
const SIGNIFICANT_INDEX = 1;

const REGISTERS: readonly Register[] = ['eax', 'ebx', 'ecx', 'edx'];

function bits(value: number, low: number, width: number): number {
  return Math.floor(value / 2 ** low) % 2 ** width;
}

function setBits(value: number): number[] {
  const out: number[] = [];
  for (let bit = 0; bit < 32; bit++) {
    if (((value >>> bit) & 1) === 1) out.push(bit);
  }
  return out;
}

/** The tables that describe `entry`: same leaf, and same subleaf when the entry's index is significant. */
function tablesFor(entry: CpuidEntry): FeatureRegister[] {
  const index = (entry.flags & SIGNIFICANT_INDEX) !== 0 ? entry.index : 0;
  return CPUID_FEATURE_REGISTERS.filter((table) => table.function === entry.function && table.index === index);
}

function decodeFields(entry: CpuidEntry): Record<string, number> {
  const { eax, ebx, ecx, edx } = entry;
  const significant = (entry.flags & SIGNIFICANT_INDEX) !== 0;
  const subleaf = significant ? entry.index : 0;
  switch (entry.function) {
    case 0x0:
      return { maxBasicLeaf: eax };
    case 0x1: {
      // Intel SDM Vol. 2A, CPUID leaf 01H, "Version Information" (AMD APM Fn0000_0001_EAX alike):
      // the extended family is added only when the base family is 0FH, and the extended model is
      // prepended for families 06H and 0FH. This follows the kernel's x86_family()/x86_model()
      // (arch/x86/lib/cpu.c: extended model when the computed family >= 6), which is what
      // /proc/cpuinfo prints as "cpu family" / "model" / "stepping".
      const baseFamily = bits(eax, 8, 4);
      const family = baseFamily === 0xf ? baseFamily + bits(eax, 20, 8) : baseFamily;
      const model = family >= 0x6 ? bits(eax, 4, 4) + (bits(eax, 16, 4) << 4) : bits(eax, 4, 4);
      return { family, model, stepping: bits(eax, 0, 4) };
    }
    case 0xd:
      // SDM Vol. 1 ch. 13.2, CPUID.(EAX=0DH,ECX=0): EDX:EAX = XCR0 bits the processor supports;
      // EBX = XSAVE area size for the features currently enabled in XCR0; ECX = size for all.
      if (subleaf !== 0) return {};
      return { xcr0SupportedLow: eax, xcr0SupportedHigh: edx, xsaveSizeEnabled: ebx, xsaveSizeMax: ecx };
    case 0x80000000:
      return { maxExtendedLeaf: eax };
    case 0x80000008:
      // AMD APM Vol. 3, CPUID Fn8000_0008_EAX: PhysAddrSize [7:0], LinAddrSize [15:8],
      // GuestPhysAddrSize [23:16] (0 means "same as PhysAddrSize").
      return {
        physicalAddressBits: bits(eax, 0, 8),
        linearAddressBits: bits(eax, 8, 8),
        guestPhysicalAddressBits: bits(eax, 16, 8),
      };
    case 0x8000001f:
      // AMD APM Vol. 3, CPUID Fn8000_001F (Encrypted Memory Capabilities): EBX CBitPosition [5:0],
      // PhysAddrReduction [11:6], NumVMPL [15:12]; ECX NumEncryptedGuests (the highest SEV ASID);
      // EDX MinSevNoEsAsid (ASIDs below it are for SEV-ES/SNP guests). The kernel reads them the
      // same way: sev_me_mask = 1 << (ebx & 0x3f), max_sev_asid = ecx, min_sev_asid = edx
      // (arch/x86/kvm/svm/sev.c sev_hardware_setup()).
      return {
        cBitPosition: bits(ebx, 0, 6),
        physicalAddressReduction: bits(ebx, 6, 6),
        numberOfVmpls: bits(ebx, 12, 4),
        maxEncryptedGuests: ecx,
        minSevAsid: edx,
      };
    default:
      return {};
  }
}

/** Decodes one entry: named features and unnamed set bits of every register with a table, plus multi-bit fields. */
export function decodeCpuidEntry(entry: CpuidEntry): DecodedCpuidEntry {
  const features: Partial<Record<Register, string[]>> = {};
  const unknownBits: Partial<Record<Register, number[]>> = {};
  for (const table of tablesFor(entry)) {
    const names = (features[table.register] ??= []);
    const unknown = (unknownBits[table.register] ??= []);
    for (const bit of setBits(entry[table.register])) {
      const name = table.bits[bit];
      if (name === undefined) unknown.push(bit);
      else names.push(name);
    }
  }
  return {
    function: entry.function,
    index: entry.index,
    flags: entry.flags,
    eax: entry.eax,
    ebx: entry.ebx,
    ecx: entry.ecx,
    edx: entry.edx,
    features,
    unknownBits,
    fields: decodeFields(entry),
  };
}

/**
 * The entry for leaf `fn`, subleaf `index` (default 0). An entry's index is compared only when
 * its flags carry KVM_CPUID_FLAG_SIGNIFCANT_INDEX; otherwise the leaf has no subleaves and any
 * index matches.
 */
export function findEntry(entries: readonly CpuidEntry[], fn: number, index = 0): CpuidEntry | undefined {
  return entries.find(
    (entry) => entry.function === fn && ((entry.flags & SIGNIFICANT_INDEX) === 0 || entry.index === index),
  );
}

/** All named features set in any table register of `entries`. */
export function featureSet(entries: readonly CpuidEntry[]): Set<string> {
  const out = new Set<string>();
  for (const entry of entries) {
    const { features } = decodeCpuidEntry(entry);
    for (const register of REGISTERS) {
      for (const name of features[register] ?? []) out.add(name);
    }
  }
  return out;
}

const XSAVE_NAMES: ReadonlyMap<number, string> = new Map(XSAVE_COMPONENTS.map(([bit, name]) => [bit, name]));

/** Splits an XCR0/XSS-style mask into component names (bit order) and the set bits no component names. */
export function decodeXsaveMask(mask: bigint): { components: string[]; unknownBits: number[] } {
  if (typeof mask !== 'bigint') throw new TypeError('The "mask" argument must be of type bigint');
  if (mask < 0n) throw new RangeError('The "mask" argument must not be negative');
  const components: string[] = [];
  const unknownBits: number[] = [];
  for (let bit = 0; mask >> BigInt(bit) !== 0n; bit++) {
    if (((mask >> BigInt(bit)) & 1n) === 0n) continue;
    const name = XSAVE_NAMES.get(bit);
    if (name === undefined) unknownBits.push(bit);
    else components.push(name);
  }
  return { components, unknownBits };
}
