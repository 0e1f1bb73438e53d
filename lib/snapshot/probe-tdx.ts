// TDX facts from KVM: a throwaway TD answers KVM_TDX_CAPABILITIES and its own vCPU limit;
// with --deep a second one is initialised with a TD configuration to see whether the TDX
// module accepts it. Each TD is destroyed (its fd closed) before the next step.
import { hex } from '../knowledge/hex.js';
import { cpuidEntryFlags } from '../knowledge/cpuid-leaves.js';
import type { CpuidEntry, KvmSystem, KvmVm } from '../native/kvm.js';
import { capabilityNumber } from '../knowledge/capabilities.js';
import { tdAttributeMask } from '../knowledge/tdx.js';
import { KVM_X86_TDX_VM } from '../knowledge/x86.js';
import { attempt, hasValue } from './facts.js';
import type { Fact, Source, TdxCapabilitiesRecord, TdxFacts } from './types.js';

const KVM_CAP_MAX_VCPUS = capabilityNumber('KVM_CAP_MAX_VCPUS');

/** TD ATTRIBUTES.SEPT_VE_DISABLE: set by QEMU by default, as Linux guests expect. */
const SEPT_VE_DISABLE = tdAttributeMask('SEPT_VE_DISABLE');

/** A TD configuration for KVM_TDX_INIT_VM: the user's (--td-config), or one derived from the capabilities. */
export interface TdConfig {
  attributes: bigint;
  xfam: bigint;
  cpuid: CpuidEntry[];
}

function record(caps: ReturnType<KvmVm['tdxCapabilities']>): TdxCapabilitiesRecord {
  return {
    supportedAttrs: hex(caps.supportedAttrs),
    supportedXfam: hex(caps.supportedXfam),
    kernelTdvmcallinfo1R11: hex(caps.kernelTdvmcallinfo1R11),
    userTdvmcallinfo1R11: hex(caps.userTdvmcallinfo1R11),
    kernelTdvmcallinfo1R12: hex(caps.kernelTdvmcallinfo1R12),
    userTdvmcallinfo1R12: hex(caps.userTdvmcallinfo1R12),
    cpuid: caps.cpuid,
  };
}

/**
 * The guest physical address width KVM_TDX_INIT_VM requires in CPUID 0x80000008 EAX[23:16]: 48 (or 52 with 5-level
 * EPT).
 */
const GPAW = 48;

/**
 * The default TD, as a VMM would configure one for this host:
 * - attributes: SEPT_VE_DISABLE where supported (QEMU's default for Linux guests);
 * - XFAM: the XSAVE features both the module and KVM's guests support (x87 and SSE at least);
 * - CPUID: every configurable leaf, set to what KVM offers ordinary guests within the
 *   configurable bits, and 0x80000008 with a 48-bit guest physical address width, which
 *   KVM_TDX_INIT_VM requires. Each entry's flags say whether its sub-leaf counts, from what
 *   the leaf is (as QEMU sets them): KVM_TDX_CAPABILITIES never sets flags (6.16.x leaves
 *   them uninitialised, later kernels zero them), and without KVM_CPUID_FLAG_SIGNIFCANT_INDEX
 *   KVM's kvm_find_cpuid_entry2() would hand sub-leaf 0's values to 0x4.1-0x4.3, 0x7.1 and 0x7.2.
 */
export function defaultTdConfig(
  caps: TdxCapabilitiesRecord,
  xcompGuestSupp: string | undefined,
  supportedCpuid: readonly CpuidEntry[],
): TdConfig {
  const supportedXfam = BigInt(caps.supportedXfam);
  const guestXfam = xcompGuestSupp === undefined ? 0x3n : BigInt(xcompGuestSupp);
  const cpuid = caps.cpuid.map((config) => {
    const offered = supportedCpuid.find((e) => e.function === config.function && e.index === config.index);
    const entry: CpuidEntry = {
      function: config.function,
      index: config.index,
      flags: cpuidEntryFlags(config.function),
      eax: (config.eax & (offered?.eax ?? 0)) >>> 0,
      ebx: (config.ebx & (offered?.ebx ?? 0)) >>> 0,
      ecx: (config.ecx & (offered?.ecx ?? 0)) >>> 0,
      edx: (config.edx & (offered?.edx ?? 0)) >>> 0,
    };
    if (config.function === 0x80000008) entry.eax = ((entry.eax & ~0xff0000) | (GPAW << 16)) >>> 0;
    return entry;
  });
  return { attributes: BigInt(caps.supportedAttrs) & SEPT_VE_DISABLE, xfam: supportedXfam & (guestXfam | 0x3n), cpuid };
}

function withTd<T>(kvm: KvmSystem, use: (td: KvmVm) => T): T {
  const td = kvm.createVm(KVM_X86_TDX_VM);
  try {
    return use(td);
  } finally {
    td.close();
  }
}

export function probeTdx(
  kvm: KvmSystem,
  device: string,
  options: { deep: boolean; tdConfig?: TdConfig; xcompGuestSupp?: string; supportedCpuid?: readonly CpuidEntry[] },
): TdxFacts {
  const onTd = (arg: string, ioctl = 'KVM_MEMORY_ENCRYPT_OP'): Source => ({ ioctl, path: device, fd: 'vm', arg });
  let capabilities: Fact<TdxCapabilitiesRecord> | undefined;
  let maxVcpus: Fact<number> | undefined;
  const vm: Fact<true> = attempt({ ioctl: 'KVM_CREATE_VM', path: device, fd: 'system', arg: 'KVM_X86_TDX_VM' }, () =>
    withTd(kvm, (td) => {
      capabilities = attempt(onTd('KVM_TDX_CAPABILITIES'), () => record(td.tdxCapabilities()));
      maxVcpus = attempt(onTd('KVM_CAP_MAX_VCPUS', 'KVM_CHECK_EXTENSION'), () => td.checkExtension(KVM_CAP_MAX_VCPUS));
      return true as const;
    }),
  );
  const facts: TdxFacts = { vm };
  if (capabilities) facts.capabilities = capabilities;
  if (maxVcpus) facts.maxVcpus = maxVcpus;
  if (options.deep && hasValue(capabilities)) {
    const config =
      options.tdConfig ?? defaultTdConfig(capabilities.value, options.xcompGuestSupp, options.supportedCpuid ?? []);
    facts.initVm = {
      config: { attributes: hex(config.attributes), xfam: hex(config.xfam), cpuidEntries: config.cpuid.length },
      result: attempt(onTd('KVM_TDX_INIT_VM'), () =>
        withTd(kvm, (td) => ({ hwError: hex(td.tdxInitVm(config).hwError) })),
      ),
    };
  }
  return facts;
}
