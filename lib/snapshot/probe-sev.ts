// SEV facts: KVM's SEV attributes on /dev/kvm, the ccp driver's read-only commands on
// /dev/sev, and with --deep KVM_SEV_INIT2 on a throwaway VM of each SEV type.
import { hex } from '../knowledge/hex.js';
import { kernelChange, kernelHas } from '../knowledge/kernel-versions.js';
import { openSev, type KvmSystem, type SevDevice } from '../native/kvm.js';
import {
  KVM_X86_GRP_SEV,
  KVM_X86_SEV_SNP_REQ_CERTS,
  KVM_X86_SEV_VMSA_FEATURES,
  KVM_X86_SNP_POLICY_BITS,
  KVM_X86_VM_TYPES,
} from '../knowledge/x86.js';
import { attempt, attemptAsync, hasValue } from './facts.js';
import type { Fact, HostFacts, KvmFacts, SevAttributes, SevDeviceFacts, Source, WithheldCommand } from './types.js';

export function probeSevAttributes(kvm: KvmSystem, device: string): SevAttributes {
  const read = (attr: number, name: string): Fact<string> =>
    attempt({ ioctl: 'KVM_GET_DEVICE_ATTR', path: device, fd: 'system', arg: `KVM_X86_GRP_SEV/${name}` }, () =>
      hex(kvm.getDeviceAttr(KVM_X86_GRP_SEV, attr)),
    );
  return {
    vmsaFeatures: read(KVM_X86_SEV_VMSA_FEATURES, 'KVM_X86_SEV_VMSA_FEATURES'),
    snpPolicyBits: read(KVM_X86_SNP_POLICY_BITS, 'KVM_X86_SNP_POLICY_BITS'),
    snpReqCerts: read(KVM_X86_SEV_SNP_REQ_CERTS, 'KVM_X86_SEV_SNP_REQ_CERTS'),
  };
}

/** The kernel-version row under which SNP_PLATFORM_STATUS initialises and shuts down SNP firmware. */
export const SNP_STATUS_INITS = 'sev.snp-platform-status-inits';
/** The CLI option that sends SNP_PLATFORM_STATUS anyway. */
export const SNP_STATUS_OVERRIDE = '--snp-platform-status';

/**
 * Whether SNP firmware is initialised already, as far as the host shows it. On the kernels
 * where this matters (6.16+), kvm_amd initialises SNP when it loads and keeps its `sev_snp`
 * parameter at Y only when SNP_PLATFORM_STATUS then reported an initialised platform
 * (sev_hardware_setup() -> is_sev_snp_initialized(), arch/x86/kvm/svm/sev.c at v7.2); its
 * "SEV-SNP enabled|unusable (ASIDs ...)" line confirms that this load of kvm_amd did so.
 * "SEV-SNP API:..." from ccp is no proof: on 6.16-6.19 a status query alone prints it.
 */
export function snpInitializedOnHost(host: HostFacts): 'yes' | 'no' | 'unknown' {
  const kvmAmd = hasValue(host.modules) ? host.modules.value.kvm_amd : undefined;
  const parameter = kvmAmd?.parameters.sev_snp;
  if (kvmAmd === undefined) return 'unknown';
  if (parameter === 'N' || parameter === '0') return 'no';
  if (parameter !== 'Y' && parameter !== '1') return 'unknown';
  if (!hasValue(host.kernelLog)) return 'unknown';
  let last: string | undefined;
  for (const record of host.kernelLog.value) {
    const m = /kvm_amd: SEV-SNP (enabled|unusable|disabled) \(ASIDs \d+ - \d+\)/.exec(record.message);
    if (m) last = m[1];
  }
  if (last === undefined) return 'unknown';
  return last === 'disabled' ? 'no' : 'yes';
}

/**
 * Whether SNP_PLATFORM_STATUS may be sent: undefined to send it, or why it is withheld. On
 * Linux 6.16 to 6.19 the ccp driver answers it, when SNP is not initialised, by initialising
 * SNP and shutting it down again, which is not a read; so it is sent there only when SNP is
 * initialised already, or when the user asked for it (`always`). An unparseable release is
 * treated as one of those kernels.
 */
export function snpStatusWithheld(host: HostFacts, policy: 'auto' | 'always'): WithheldCommand | undefined {
  if (policy === 'always') return undefined;
  const release = hasValue(host.kernelRelease) ? host.kernelRelease.value : undefined;
  const affected = kernelHas(SNP_STATUS_INITS, release);
  if (affected === false) return undefined;
  const initialized = snpInitializedOnHost(host);
  if (initialized === 'yes') return undefined;
  const change = kernelChange(SNP_STATUS_INITS);
  const kernel =
    affected === undefined
      ? `the kernel release ${release === undefined ? '(unreadable)' : JSON.stringify(release)}` +
        ` does not say whether it is one of Linux ${change.since} to ` +
        `${change.until ?? 'now'}`
      : `Linux ${change.since} to ${change.until ?? 'now'} (this is ${release})`;
  const state =
    initialized === 'no'
      ? 'SNP firmware is not initialised (kvm_amd sev_snp is N or its log says SEV-SNP disabled)'
      : 'whether SNP firmware is initialised cannot be told (kvm_amd ' +
        'sev_snp=Y together with its "SEV-SNP enabled" log line is ' +
        'needed)';
  return {
    reason:
      `not sent: on ${kernel} SNP_PLATFORM_STATUS runs SNP_INIT_EX and ` +
      `SNP_SHUTDOWN_EX when SNP is not initialised, and ${state}`,
    kernelChange: SNP_STATUS_INITS,
    snpInitialized: initialized,
    override: SNP_STATUS_OVERRIDE,
  };
}

export async function probeSevDevice(path: string, withheldSnpStatus?: WithheldCommand): Promise<SevDeviceFacts> {
  let sev: SevDevice | undefined;
  const open = attempt({ syscall: 'open', path }, () => {
    sev = openSev(path);
    return true as const;
  });
  if (sev === undefined) return { open };
  const handle = sev;
  const command = (name: string): Source => ({ ioctl: 'SEV_ISSUE_CMD', path, fd: 'system', arg: name });
  try {
    const facts: SevDeviceFacts = {
      open,
      platformStatus: await attemptAsync(command('SEV_PLATFORM_STATUS'), async () => {
        const { firmwareError: _, ...status } = await handle.sevPlatformStatus();
        return status;
      }),
    };
    if (withheldSnpStatus) facts.withheld = { SNP_PLATFORM_STATUS: withheldSnpStatus };
    else {
      facts.snpPlatformStatus = await attemptAsync(command('SNP_PLATFORM_STATUS'), async () => {
        const { firmwareError: _, currentTcbVersion, reportedTcbVersion, ...status } = await handle.snpPlatformStatus();
        return { ...status, currentTcbVersion: hex(currentTcbVersion), reportedTcbVersion: hex(reportedTcbVersion) };
      });
    }
    facts.chipId = await attemptAsync(command('SEV_GET_ID2'), async () =>
      (await handle.sevGetId2()).id.toString('hex'),
    );
    return facts;
  } finally {
    handle.close();
  }
}

/** KVM_SEV_INIT2 with default parameters (no VMSA features, GHCB version chosen by KVM) per SEV VM type offered. */
export function probeSevInit2(kvm: KvmSystem, device: string, vmTypesMask: number): NonNullable<KvmFacts['sevInit2']> {
  const results: NonNullable<KvmFacts['sevInit2']> = {};
  for (const [, type, name] of KVM_X86_VM_TYPES) {
    if (!['SEV', 'SEV_ES', 'SNP'].includes(name) || ((vmTypesMask >>> type) & 1) === 0) continue;
    const vmsaFeatures = 0n;
    results[name] = {
      vmsaFeatures: hex(vmsaFeatures),
      result: attempt(
        { ioctl: 'KVM_MEMORY_ENCRYPT_OP', path: device, fd: 'vm', arg: `KVM_SEV_INIT2 on ${name}` },
        () => {
          const vm = kvm.createVm(type);
          try {
            vm.sevInit2({ vmsaFeatures, flags: 0, ghcbVersion: 0 });
            return true as const;
          } finally {
            vm.close(); // Frees the ASID the VM was given.
          }
        },
      ),
    };
  }
  return results;
}
