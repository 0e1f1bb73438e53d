// Decoders for what /dev/sev and KVM answer about SEV: SEV and SNP platform status, the TCB
// version (whose byte layout depends on the CPU generation), VMSA feature and SNP policy
// masks, firmware status codes and CPUID leaf 0x8000001F. Pure functions over snapshot
// records; the tables they use are in ./tables.ts.
import { hex } from '../knowledge/hex.js';
import type { CpuidEntry } from '../native/binding.js';
import type { SevPlatformStatusRecord, SnpPlatformStatusRecord } from '../snapshot/types.js';
import { decodeCpuidEntry } from './cpuid-entry.js';
import type { ProbeFailure } from './failure.js';
import {
  SEV_PLATFORM_STATES,
  SEV_STATUS_FLAGS,
  SNP_FEATURE_FLAGS,
  SNP_MIN_FIRMWARE,
  SNP_PLATFORM_STATES,
  SNP_POLICY_BITS,
  SNP_POLICY_FIELDS,
  SNP_RMP_FLAGS,
  VMSA_FEATURES,
  sevRetName,
  type BitName,
} from '../knowledge/sev.js';

export interface DecodedFlags {
  raw: number;
  names: string[];
  unknownBits: number[];
}

function decodeBits(value: number, table: readonly BitName[], width = 32): DecodedFlags {
  const names: string[] = [];
  const unknownBits: number[] = [];
  for (let bit = 0; bit < width; bit++) {
    if (Math.floor(value / 2 ** bit) % 2 !== 1) continue;
    const entry = table.find((b) => b.bit === bit);
    if (entry) names.push(entry.name);
    else unknownBits.push(bit);
  }
  return { raw: value, names, unknownBits };
}

function decodeBigBits(value: bigint, table: readonly BitName[]): { names: string[]; unknownBits: number[] } {
  const names: string[] = [];
  const unknownBits: number[] = [];
  for (let bit = 0; bit < 64; bit++) {
    if (((value >> BigInt(bit)) & 1n) === 0n) continue;
    const entry = table.find((b) => b.bit === bit);
    if (entry) names.push(entry.name);
    else unknownBits.push(bit);
  }
  return { names, unknownBits };
}

/** A u64 given as a hex string ("0x1f"), a decimal string, a number or a bigint. */
export function toBigInt(value: string | number | bigint): bigint {
  if (typeof value === 'bigint') return value;
  if (typeof value === 'number') return BigInt(value);
  const text = value.trim();
  return BigInt(/^-?\d+$/.test(text) || /^0x/i.test(text) ? text : `0x${text}`);
}

// ---------------------------------------------------------------------------------------
// Firmware errors

/** A firmware status: its code and name; what it means is SEV_RET's row in lib/knowledge/sev.ts, looked up by name. */
export interface DecodedFirmwareError {
  code: number;
  /** "0x3"; SEV_RET_NO_FW_CALL shows as 0xffffffff, the u32 the ioctl returns. */
  hex: string;
  name: string | null;
}

/** A firmware status code by name ("SEV_RET_INVALID_PLATFORM_STATE"); unknown codes keep only their number. */
export function decodeFirmwareError(code: number): DecodedFirmwareError {
  return { code, hex: hex(code), name: sevRetName(code) ?? null };
}

/**
 * The firmware status a failed /dev/sev or KVM_SEV command carries, decoded; null when the firmware was not asked or
 * said nothing (0).
 */
export function firmwareStatusOf(failure: ProbeFailure): DecodedFirmwareError | null {
  const code = failure.firmwareError;
  return code === undefined || code === 0 ? null : decodeFirmwareError(code);
}

/** Just the name, or null for a code psp-sev.h does not define. */
export function firmwareErrorName(code: number): string | null {
  return sevRetName(code) ?? null;
}

// ---------------------------------------------------------------------------------------
// SEV platform status (SEV_PLATFORM_STATUS, struct sev_user_data_status)

export interface DecodedSevPlatformStatus {
  api: { major: number; minor: number; text: string };
  build: number;
  /** "1.55.21": API major.minor and build, as snphost and the ccp driver print it. */
  firmwareVersion: string;
  state: number;
  /** UNINIT / INIT / WORKING; null for a state the kernel does not name. */
  stateName: string | null;
  flags: DecodedFlags;
  /** Flags bit 0: externally owned (true) or self-owned (false). */
  owned: boolean;
  /** Flags bit 8 (SEV_STATUS_FLAGS_CONFIG_ES): SEV-ES initialised. */
  esInitialised: boolean;
  guestCount: number;
  /** Whether the API version reaches SNP's minimum (1.51, SNP_MIN_API_MAJOR/MINOR in sev-dev.c). */
  meetsSnpMinimum: boolean;
}

export function decodeSevPlatformStatus(status: SevPlatformStatusRecord): DecodedSevPlatformStatus {
  const flags = decodeBits(status.flags >>> 0, SEV_STATUS_FLAGS);
  return {
    api: { major: status.apiMajor, minor: status.apiMinor, text: `${status.apiMajor}.${status.apiMinor}` },
    build: status.build,
    firmwareVersion: `${status.apiMajor}.${status.apiMinor}.${status.build}`,
    state: status.state,
    stateName: SEV_PLATFORM_STATES[status.state] ?? null,
    flags,
    owned: (status.flags & 0x1) !== 0,
    esInitialised: (status.flags & 0x100) !== 0,
    guestCount: status.guestCount,
    meetsSnpMinimum:
      status.apiMajor > SNP_MIN_FIRMWARE.major ||
      (status.apiMajor === SNP_MIN_FIRMWARE.major && status.apiMinor >= SNP_MIN_FIRMWARE.minor),
  };
}

// ---------------------------------------------------------------------------------------
// TCB version

/**
 * AMD EPYC generations with SEV-SNP, by CPUID family and model, as virtee/sev
 * Generation::identify_cpu() has them: family 0x19 models 0x00-0x0f Milan, 0x10-0x1f and
 * 0xa0-0xaf Genoa; family 0x1a models 0x00-0x11 Turin, 0x50-0x57 / 0x90-0x9f / 0xa0-0xaf /
 * 0xc0-0xc7 Venice.
 */
export type ProcessorGeneration = 'Milan' | 'Genoa' | 'Turin' | 'Venice';

export function processorGeneration(family: number, model: number): ProcessorGeneration | null {
  if (family === 0x19) {
    if (model <= 0x0f) return 'Milan';
    if ((model >= 0x10 && model <= 0x1f) || (model >= 0xa0 && model <= 0xaf)) return 'Genoa';
    return null;
  }
  if (family === 0x1a) {
    if (model <= 0x11) return 'Turin';
    if (
      (model >= 0x50 && model <= 0x57) ||
      (model >= 0x90 && model <= 0x9f) ||
      (model >= 0xa0 && model <= 0xaf) ||
      (model >= 0xc0 && model <= 0xc7)
    ) {
      return 'Venice';
    }
    return null;
  }
  return null;
}

/**
 * The two TCB_VERSION byte layouts (virtee/sev src/types/snp/tcb.rs TcbVariant; SEV-SNP ABI
 * spec 56860 "TCB_VERSION"): byte 0 is the least significant byte of the u64.
 * - milan-genoa (LegacyTcb): 0 bootloader, 1 TEE, 2..5 reserved, 6 SNP, 7 microcode.
 * - turin (TurinTcb, also Venice): 0 FMC, 1 bootloader, 2 TEE, 3 SNP, 4..6 reserved, 7 microcode.
 */
export type TcbLayout = 'milan-genoa' | 'turin';

export function tcbLayoutFor(generation: ProcessorGeneration): TcbLayout {
  return generation === 'Milan' || generation === 'Genoa' ? 'milan-genoa' : 'turin';
}

export interface TcbVersion {
  raw: string;
  layout: TcbLayout;
  /** Turin and later only; null in the Milan/Genoa layout. */
  fmc: number | null;
  bootloader: number;
  tee: number;
  snp: number;
  microcode: number;
  /** Reserved bytes that are not zero: a sign the layout does not fit this CPU. */
  reservedNonZero: boolean;
}

export function decodeTcbVersion(raw: string | number | bigint, layout: TcbLayout): TcbVersion {
  const value = toBigInt(raw);
  const byte = (i: number): number => Number((value >> BigInt(8 * i)) & 0xffn);
  if (layout === 'milan-genoa') {
    return {
      raw: hex(value),
      layout,
      fmc: null,
      bootloader: byte(0),
      tee: byte(1),
      snp: byte(6),
      microcode: byte(7),
      reservedNonZero: [2, 3, 4, 5].some((i) => byte(i) !== 0),
    };
  }
  return {
    raw: hex(value),
    layout,
    fmc: byte(0),
    bootloader: byte(1),
    tee: byte(2),
    snp: byte(3),
    microcode: byte(7),
    reservedNonZero: [4, 5, 6].some((i) => byte(i) !== 0),
  };
}

// ---------------------------------------------------------------------------------------
// SNP platform status (SNP_PLATFORM_STATUS, struct sev_user_data_snp_status)

export interface DecodedSnpPlatformStatus {
  api: { major: number; minor: number; text: string };
  buildId: number;
  firmwareVersion: string;
  state: number;
  stateName: string | null;
  rmpFlags: DecodedFlags;
  rmpInitialised: boolean;
  aliasCheckComplete: boolean;
  featureFlags: DecodedFlags;
  guestCount: number;
  tcb: {
    currentRaw: string;
    reportedRaw: string;
    /** Byte-for-byte equality of the two u64s (what snphost's "Comparing TCB values" checks). */
    match: boolean;
    generation: ProcessorGeneration | null;
    /** Null when the CPU family/model is unknown or not an SNP generation: fields are then not decoded. */
    layout: TcbLayout | null;
    current: TcbVersion | null;
    reported: TcbVersion | null;
  };
}

/**
 * `cpu` (family and model, decimal as /proc/cpuinfo prints them) chooses the TCB layout; without it only the raw TCB
 * values are given.
 */
export function decodeSnpPlatformStatus(
  status: SnpPlatformStatusRecord,
  cpu?: { family: number; model: number } | null,
): DecodedSnpPlatformStatus {
  const rmpFlags = decodeBits(status.rmpFlags & 0xff, SNP_RMP_FLAGS, 8);
  const featureFlags = decodeBits(status.featureFlags >>> 0, SNP_FEATURE_FLAGS);
  const current = toBigInt(status.currentTcbVersion);
  const reported = toBigInt(status.reportedTcbVersion);
  const generation = cpu ? processorGeneration(cpu.family, cpu.model) : null;
  const layout = generation ? tcbLayoutFor(generation) : null;
  return {
    api: { major: status.apiMajor, minor: status.apiMinor, text: `${status.apiMajor}.${status.apiMinor}` },
    buildId: status.buildId,
    firmwareVersion: `${status.apiMajor}.${status.apiMinor}.${status.buildId}`,
    state: status.state,
    stateName: SNP_PLATFORM_STATES[status.state] ?? null,
    rmpFlags,
    rmpInitialised: (status.rmpFlags & 0x1) !== 0,
    aliasCheckComplete: (status.rmpFlags & 0x2) !== 0,
    featureFlags,
    guestCount: status.guestCount,
    tcb: {
      currentRaw: hex(current),
      reportedRaw: hex(reported),
      match: current === reported,
      generation,
      layout,
      current: layout ? decodeTcbVersion(current, layout) : null,
      reported: layout ? decodeTcbVersion(reported, layout) : null,
    },
  };
}

// ---------------------------------------------------------------------------------------
// VMSA features and SNP policy

export interface DecodedMask {
  raw: string;
  names: string[];
  unknownBits: number[];
}

/** KVM_X86_SEV_VMSA_FEATURES / kvm_sev_init.vmsa_features by SVM_SEV_FEAT_* name. */
export function decodeVmsaFeatures(mask: string | number | bigint): DecodedMask {
  const value = toBigInt(mask);
  return { raw: hex(value), ...decodeBigBits(value, VMSA_FEATURES) };
}

export interface DecodedSnpPolicy extends DecodedMask {
  abiMajor: number;
  abiMinor: number;
}

/**
 * An SNP guest policy, or KVM_X86_SNP_POLICY_BITS (which sets the ABI field bits to say they
 * are supported): bits 16..25 by name, ABI major/minor as numbers, other set bits by number.
 */
export function decodeSnpPolicy(mask: string | number | bigint): DecodedSnpPolicy {
  const value = toBigInt(mask);
  const fields: Record<string, number> = {};
  for (const f of SNP_POLICY_FIELDS) fields[f.name] = Number((value >> BigInt(f.low)) & ((1n << BigInt(f.width)) - 1n));
  const rest = value & ~0xffffn;
  return {
    raw: hex(value),
    abiMajor: fields.ABI_MAJOR ?? 0,
    abiMinor: fields.ABI_MINOR ?? 0,
    ...decodeBigBits(rest, SNP_POLICY_BITS),
  };
}

// ---------------------------------------------------------------------------------------
// CPUID 0x8000001F

export interface SevCpuidSummary {
  /** Named EAX features (lib/knowledge CPUID tables: sme, sev, sev_es, sev_snp, ...). */
  features: string[];
  unknownBits: number[];
  cBitPosition: number;
  physicalAddressReduction: number;
  numberOfVmpls: number;
  /** ECX: the highest ASID (NumEncryptedGuests). */
  maxEncryptedGuests: number;
  /** EDX: the lowest ASID for SEV guests without SEV-ES (MinSevNoEsAsid). */
  minSevAsid: number;
  /** SEV (non-ES) ASIDs: minSevAsid..maxEncryptedGuests; null when min > max (none). */
  sevAsids: { first: number; last: number } | null;
  /** SEV-ES / SNP ASIDs: 1..minSevAsid-1; null when minSevAsid <= 1 (none, as sev_hardware_setup() says). */
  sevEsAsids: { first: number; last: number } | null;
}

/** Decodes leaf 0x8000001F through the CPUID decoder (the field names are decodeCpuidEntry's). */
export function decodeSevCpuid(entry: CpuidEntry): SevCpuidSummary {
  const decoded = decodeCpuidEntry(entry);
  const f = decoded.fields;
  const max = f.maxEncryptedGuests ?? entry.ecx;
  const min = f.minSevAsid ?? entry.edx;
  return {
    features: decoded.features.eax ?? [],
    unknownBits: decoded.unknownBits.eax ?? [],
    cBitPosition: f.cBitPosition ?? 0,
    physicalAddressReduction: f.physicalAddressReduction ?? 0,
    numberOfVmpls: f.numberOfVmpls ?? 0,
    maxEncryptedGuests: max,
    minSevAsid: min,
    sevAsids: min >= 1 && min <= max ? { first: min, last: max } : null,
    sevEsAsids: min > 1 ? { first: 1, last: min - 1 } : null,
  };
}
