// Decoders for what KVM_TDX_CAPABILITIES and KVM_TDX_INIT_VM answer: TD attributes, XFAM,
// the GetTdVmCallInfo words, the configurable CPUID entries, and SEAMCALL statuses
// (kvm_tdx_cmd.hw_error). Pure functions over lib/knowledge/tdx.ts and the CPUID tables.
import { hex } from '../knowledge/hex.js';
import { decodeCpuidEntry, decodeXsaveMask } from './cpuid-entry.js';
import type { Register } from '../knowledge/cpuid-features.js';
import { QEMU_TDX_FIXED1_BITS, TDX_MODULE_1_5_01 } from '../knowledge/tdx-module.js';
import type { CpuidEntryRecord, TdxCapabilitiesRecord } from '../snapshot/types.js';
import {
  KVM_SUPPORTED_TD_ATTRS,
  TD_ATTRIBUTES,
  TDVMCALL_INFO_1_R11,
  TDVMCALL_INFO_1_R12,
  TDX_ERROR_BIT,
  TDX_NON_RECOVERABLE_BIT,
  TDX_OPERAND_IDS,
  TDX_STATUS_CODES,
  TDX_SW_ERROR,
  TDX_SW_ERRORS,
  type TdvmcallInfoBit,
} from '../knowledge/tdx.js';

const REGISTERS: readonly Register[] = ['eax', 'ebx', 'ecx', 'edx'];
/** KVM_CPUID_FLAG_SIGNIFCANT_INDEX (sic), <asm/kvm.h>. */
const SIGNIFICANT_INDEX = 1;

/** A u64 given as a hex string (as the snapshot stores it) or a bigint. */
export function toU64(value: string | bigint): bigint {
  const v = typeof value === 'bigint' ? value : BigInt(value);
  if (v < 0n || v > 0xffffffffffffffffn) throw new RangeError(`not a u64: ${String(value)}`);
  return v;
}

/** The set bits of a u64, lowest first. */
export function setBits64(mask: bigint): number[] {
  const bits: number[] = [];
  for (let bit = 0; bit < 64; bit++) if ((mask >> BigInt(bit)) & 1n) bits.push(bit);
  return bits;
}

export interface DecodedTdAttributes {
  mask: string;
  /** Named bits; what each means is TD_ATTRIBUTES' `description` (lib/knowledge/tdx.ts), looked up by name. */
  attributes: { bit: number; name: string }[];
  unknownBits: number[];
  /** Set bits outside KVM_SUPPORTED_TD_ATTRS (arch/x86/kvm/vmx/tdx.c): KVM refuses them at KVM_TDX_INIT_VM. */
  beyondKvm: string[];
}

/** Names the set bits of a TD ATTRIBUTES mask (tables.ts TD_ATTRIBUTES). */
export function decodeTdAttributes(value: string | bigint): DecodedTdAttributes {
  const mask = toU64(value);
  const attributes: DecodedTdAttributes['attributes'] = [];
  const unknownBits: number[] = [];
  const beyondKvm: string[] = [];
  for (const bit of setBits64(mask)) {
    const known = TD_ATTRIBUTES.find((a) => a.bit === bit);
    if (known) attributes.push({ bit, name: known.name });
    else unknownBits.push(bit);
    if (((KVM_SUPPORTED_TD_ATTRS >> BigInt(bit)) & 1n) === 0n) beyondKvm.push(known?.name ?? `bit ${bit}`);
  }
  return { mask: hex(mask), attributes, unknownBits, beyondKvm };
}

/** XFAM bits are XSAVE component numbers (XCR0 | IA32_XSS); named with lib/knowledge's CPUID table. */
export function decodeXfam(value: string | bigint): { mask: string; components: string[]; unknownBits: number[] } {
  const mask = toU64(value);
  return { mask: hex(mask), ...decodeXsaveMask(mask) };
}

export type TdvmcallHandler = 'kernel' | 'user space' | 'kernel and user space';

export interface TdvmcallLeaf {
  /** Which GetTdVmCallInfo(leaf 1) output register the bit is in. */
  register: 'r11' | 'r12';
  bit: number;
  /** The TDG.VP.VMCALL sub-function; null when no source names the bit. */
  name: string | null;
  subfunction: number | null;
  handledBy: TdvmcallHandler;
}

export interface DecodedTdvmcallInfo {
  words: { kernelR11: string; userR11: string; kernelR12: string; userR12: string };
  /** Every bit set in any of the four words. */
  leaves: TdvmcallLeaf[];
}

function tdvmcallLeaves(
  register: 'r11' | 'r12',
  kernel: bigint,
  user: bigint,
  table: readonly TdvmcallInfoBit[],
): TdvmcallLeaf[] {
  return setBits64(kernel | user).map((bit) => {
    const inKernel = ((kernel >> BigInt(bit)) & 1n) === 1n;
    const inUser = ((user >> BigInt(bit)) & 1n) === 1n;
    const known = table.find((entry) => entry.bit === bit);
    return {
      register,
      bit,
      name: known?.name ?? null,
      subfunction: known?.leaf ?? null,
      handledBy: inKernel && inUser ? 'kernel and user space' : inKernel ? 'kernel' : 'user space',
    };
  });
}

/**
 * The four tdvmcallinfo words: "TDG.VP.VMCALL hypercalls executed in kernel and forwarded to
 * userspace, respectively" (r11) and "... subfunctions executed in kernel and forwarded to
 * userspace" (r12) (Documentation/virt/kvm/x86/intel-tdx.rst).
 */
export function decodeTdvmcallInfo(
  caps: Pick<
    TdxCapabilitiesRecord,
    'kernelTdvmcallinfo1R11' | 'userTdvmcallinfo1R11' | 'kernelTdvmcallinfo1R12' | 'userTdvmcallinfo1R12'
  >,
): DecodedTdvmcallInfo {
  const kR11 = toU64(caps.kernelTdvmcallinfo1R11);
  const uR11 = toU64(caps.userTdvmcallinfo1R11);
  const kR12 = toU64(caps.kernelTdvmcallinfo1R12);
  const uR12 = toU64(caps.userTdvmcallinfo1R12);
  return {
    words: { kernelR11: hex(kR11), userR11: hex(uR11), kernelR12: hex(kR12), userR12: hex(uR12) },
    leaves: [
      ...tdvmcallLeaves('r11', kR11, uR11, TDVMCALL_INFO_1_R11),
      ...tdvmcallLeaves('r12', kR12, uR12, TDVMCALL_INFO_1_R12),
    ],
  };
}

export interface ConfigurableCpuidEntry {
  function: number;
  index: number;
  /** The configurable-bit masks as KVM reported them. */
  masks: Record<Register, string>;
  /** Names of the configurable bits, for registers lib/knowledge has a CPUID table for. */
  configurable: Partial<Record<Register, string[]>>;
  unknownBits: Partial<Record<Register, number[]>>;
  /**
   * For 0x80000008: EAX[23:16] is 0xff, the guest physical address width (GPAW) knob KVM_TDX_INIT_VM
   * takes (48 or 52 bits) rather than a bit mask.
   */
  gpawKnob: boolean;
}

function asDecodable(entry: CpuidEntryRecord, values: Record<Register, number>): CpuidEntryRecord {
  // Decode by function and index: KVM reports TD config entries with index 0 for leaves that
  // have no subleaves (KVM_TDX_CPUID_NO_SUBLEAF becomes 0), which the feature tables also use.
  return { function: entry.function, index: entry.index, flags: SIGNIFICANT_INDEX, ...values };
}

/** Each configurable CPUID entry of KVM_TDX_CAPABILITIES, with the names of its configurable bits. */
export function decodeConfigurableCpuid(entries: readonly CpuidEntryRecord[]): ConfigurableCpuidEntry[] {
  return entries.map((entry) => {
    const decoded = decodeCpuidEntry(
      asDecodable(entry, { eax: entry.eax, ebx: entry.ebx, ecx: entry.ecx, edx: entry.edx }),
    );
    const configurable: ConfigurableCpuidEntry['configurable'] = {};
    const unknownBits: ConfigurableCpuidEntry['unknownBits'] = {};
    for (const register of REGISTERS) {
      const names = decoded.features[register];
      const unknown = decoded.unknownBits[register];
      if (names !== undefined && names.length > 0) configurable[register] = names;
      if (unknown !== undefined && unknown.length > 0) unknownBits[register] = unknown;
    }
    // arch/x86/kvm/vmx/tdx.c td_init_cpuid_entry2(): for 0x80000008 KVM reports EAX[23:16] as
    // 0xff, the guest physical address width (GPAW) knob; KVM_TDX_INIT_VM accepts 48 or 52.
    const gpawKnob = entry.function === 0x80000008 && ((entry.eax >>> 16) & 0xff) === 0xff;
    return {
      function: entry.function,
      index: entry.index,
      masks: {
        eax: hex(entry.eax >>> 0),
        ebx: hex(entry.ebx >>> 0),
        ecx: hex(entry.ecx >>> 0),
        edx: hex(entry.edx >>> 0),
      },
      configurable,
      unknownBits,
      gpawKnob,
    };
  });
}

export interface NotConfigurableForTd {
  function: number;
  index: number;
  register: Register;
  /** Features KVM offers ordinary VMs (KVM_GET_SUPPORTED_CPUID) whose bit is not in the TD's configurable mask. */
  features: string[];
  unknownBits: number[];
  /** Whether the TD configuration lists this leaf/subleaf at all. */
  leafListed: boolean;
  /** Each such bit, with what kvm-caps can tell about it (named or not). */
  bits: { bit: number; name: string | null; kind: NotConfigurableKind }[];
}

/**
 * Why a bit KVM offers ordinary VMs is not configurable for a TD, where the tables tell:
 * - 'qemu-fixed1': QEMU's tdx_fixed1_bits: every TD has it;
 * - 'kvm-removed': KVM clears HLE, RTM and WAITPKG (tdx_clear_unsupported_cpuid(), 6.16 on): no TD has it;
 * - 'native': TDX module 1.5.01's CPUID_CONFIG lists it ALLOW_DIRECT: the TD gets the CPU's value;
 * - 'not-configurable': none of these: not configurable through KVM (the module fixes or derives it).
 */
export type NotConfigurableKind = 'qemu-fixed1' | 'kvm-removed' | 'native' | 'not-configurable';

/** CPUID.7.0 bits KVM removes from every TD: EBX 4 (HLE), EBX 11 (RTM), ECX 5 (WAITPKG). */
const KVM_REMOVED_BITS: readonly { register: Register; bit: number }[] = [
  { register: 'ebx', bit: 4 },
  { register: 'ebx', bit: 11 },
  { register: 'ecx', bit: 5 },
];

export function notConfigurableKind(fn: number, index: number, register: Register, bit: number): NotConfigurableKind {
  if (QEMU_TDX_FIXED1_BITS.some((b) => b.function === fn && b.index === index && b.reg === register && b.bit === bit))
    return 'qemu-fixed1';
  if (fn === 0x7 && index === 0 && KVM_REMOVED_BITS.some((b) => b.register === register && b.bit === bit))
    return 'kvm-removed';
  const config = TDX_MODULE_1_5_01.cpuidConfig.find((c) => c.function === fn && (c.subleaf ?? 0) === index);
  if (config !== undefined && ((config.allowDirect[register] >>> bit) & 1) === 1) return 'native';
  return 'not-configurable';
}

function findConfig(configurable: readonly CpuidEntryRecord[], entry: CpuidEntryRecord): CpuidEntryRecord | undefined {
  const significant = (entry.flags & SIGNIFICANT_INDEX) !== 0;
  return configurable.find((c) => c.function === entry.function && (c.index === entry.index || !significant));
}

/**
 * Features in KVM_GET_SUPPORTED_CPUID that a TD's KVM_TDX_INIT_VM cannot set: the bit is set in
 * the supported entry but not in the configurable mask for the same leaf, subleaf and register
 * (a leaf the TD configuration does not list has an all-zero mask). Only registers lib/knowledge
 * names are reported. Not configurable does not mean a TD lacks the feature: the TDX module
 * fixes some bits to 1 and derives others from XFAM and ATTRIBUTES.
 */
export function notConfigurableForTd(
  supported: readonly CpuidEntryRecord[],
  configurable: readonly CpuidEntryRecord[],
): NotConfigurableForTd[] {
  const out: NotConfigurableForTd[] = [];
  for (const entry of supported) {
    const config = findConfig(configurable, entry);
    const leftover: Record<Register, number> = {
      eax: (entry.eax & ~(config?.eax ?? 0)) >>> 0,
      ebx: (entry.ebx & ~(config?.ebx ?? 0)) >>> 0,
      ecx: (entry.ecx & ~(config?.ecx ?? 0)) >>> 0,
      edx: (entry.edx & ~(config?.edx ?? 0)) >>> 0,
    };
    const decoded = decodeCpuidEntry(asDecodable(entry, leftover));
    for (const register of REGISTERS) {
      const features = decoded.features[register] ?? [];
      const unknownBits = decoded.unknownBits[register] ?? [];
      if (features.length === 0 && unknownBits.length === 0) continue;
      const bits: NotConfigurableForTd['bits'] = [];
      for (let bit = 0; bit < 32; bit++) {
        if (((leftover[register] >>> bit) & 1) === 0) continue;
        const one = { eax: 0, ebx: 0, ecx: 0, edx: 0, [register]: (1 << bit) >>> 0 } as Record<Register, number>;
        const name = decodeCpuidEntry(asDecodable(entry, one)).features[register]?.[0] ?? null;
        if (name === null && !unknownBits.includes(bit)) continue;
        bits.push({ bit, name, kind: notConfigurableKind(entry.function, entry.index, register, bit) });
      }
      out.push({
        function: entry.function,
        index: entry.index,
        register,
        features,
        unknownBits,
        leafListed: config !== undefined,
        bits,
      });
    }
  }
  return out;
}

export interface DecodedHwError {
  /** The whole value, 16 hex digits. */
  value: string;
  /** The status (high 32 bits, low 32 cleared). */
  status: string;
  /** The status name; null when neither the kernel nor the ABI spec table has it. */
  name: string | null;
  /** Where the name came from: the kernel's defines, the TDX module ABI spec, or a kernel software error. */
  nameSource: 'kernel' | 'abi-spec' | 'kernel-sw' | null;
  /** 'status': the whole high word matched; 'class': only bits 47:32 (class and detail) matched. */
  matchedOn: 'status' | 'class' | 'value' | null;
  error: boolean;
  nonRecoverable: boolean;
  /** Bits 31:0: details (operand ID, CPUID leaf, MSR index ... depending on the status). */
  details: number;
  /** For operand errors: the operand ID in the low byte, named where known. */
  operand: { id: number; name: string | null } | null;
  /** For a kernel software error: the errno the kernel turns it into (TDX_SEAMCALL_UD -> EACCES); null otherwise. */
  errno: string | null;
}

const CLASS_MASK = 0x0000ffff00000000n;
const STATUS_MASK = 0xffffffff00000000n;

/**
 * Decodes a SEAMCALL status as KVM returns it in kvm_tdx_cmd.hw_error ("The sub-command may
 * return TDX SEAMCALL status code in addition to -Exxx", asm/kvm.h). 0 is TDX_SUCCESS.
 */
export function decodeHwError(input: string | bigint): DecodedHwError {
  const value = toU64(input);
  const status = value & STATUS_MASK;
  const details = Number(value & 0xffffffffn);
  const base = {
    value: hex(value, 16),
    status: hex(status, 16),
    error: (value & TDX_ERROR_BIT) !== 0n,
    nonRecoverable: (value & TDX_NON_RECOVERABLE_BIT) !== 0n,
    details,
  };
  const sw = TDX_SW_ERRORS.find((e) => e.code === value);
  if (sw !== undefined) {
    return {
      ...base,
      name: sw.name,
      nameSource: 'kernel-sw',
      matchedOn: 'value',
      operand: null,
      errno: sw.errno,
    };
  }
  if ((value & TDX_SW_ERROR) === TDX_SW_ERROR) {
    return {
      ...base,
      name: 'TDX_SW_ERROR',
      nameSource: 'kernel-sw',
      matchedOn: 'class',
      operand: null,
      errno: null,
    };
  }
  const exact = TDX_STATUS_CODES.find((c) => c.code === status);
  const byClass =
    exact ?? TDX_STATUS_CODES.find((c) => (c.code & CLASS_MASK) === (status & CLASS_MASK) && c.code !== 0n);
  const statusClass = Number((status >> 40n) & 0xffn);
  // Operand IDs appear in bits 31:0 of operand errors (kernel tdx_errno.h TDX_OPERAND_ID_*):
  // class 0x01 (OPERAND_INVALID, OPERAND_ADDR_RANGE_ERROR ...) and 0x02 (OPERAND_BUSY ...).
  const operand =
    statusClass === 0x01 || statusClass === 0x02
      ? { id: details & 0xff, name: TDX_OPERAND_IDS.find((o) => o.id === (details & 0xff))?.name ?? null }
      : null;
  return {
    ...base,
    name: byClass?.name ?? null,
    nameSource: byClass?.source ?? null,
    matchedOn: exact ? 'status' : byClass ? 'class' : null,
    operand,
    errno: null,
  };
}
