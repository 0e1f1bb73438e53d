// SEV facts: KVM's SEV attributes on /dev/kvm, the ccp driver's read-only commands on
// /dev/sev, and with --deep KVM_SEV_INIT2 on a throwaway VM of each SEV type.
import { hex } from '../knowledge/hex.js';
import { openSev, type KvmSystem, type SevDevice } from '../native/kvm.js';
import { KVM_X86_GRP_SEV, KVM_X86_SEV_SNP_REQ_CERTS, KVM_X86_SEV_VMSA_FEATURES, KVM_X86_SNP_POLICY_BITS, KVM_X86_VM_TYPES } from '../knowledge/x86.js';
import { attempt, attemptAsync } from './facts.js';
import type { Fact, KvmFacts, SevAttributes, SevDeviceFacts, Source } from './types.js';


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

export async function probeSevDevice(path: string): Promise<SevDeviceFacts> {
  let sev: SevDevice | undefined;
  const open = attempt({ syscall: 'open', path }, () => {
    sev = openSev(path);
    return true as const;
  });
  if (sev === undefined) return { open };
  const handle = sev;
  const command = (name: string): Source => ({ ioctl: 'SEV_ISSUE_CMD', path, fd: 'system', arg: name });
  try {
    return {
      open,
      platformStatus: await attemptAsync(command('SEV_PLATFORM_STATUS'), async () => {
        const { firmwareError: _, ...status } = await handle.sevPlatformStatus();
        return status;
      }),
      snpPlatformStatus: await attemptAsync(command('SNP_PLATFORM_STATUS'), async () => {
        const { firmwareError: _, currentTcbVersion, reportedTcbVersion, ...status } = await handle.snpPlatformStatus();
        return { ...status, currentTcbVersion: hex(currentTcbVersion), reportedTcbVersion: hex(reportedTcbVersion) };
      }),
      chipId: await attemptAsync(command('SEV_GET_ID2'), async () => (await handle.sevGetId2()).id.toString('hex')),
    };
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
      result: attempt({ ioctl: 'KVM_MEMORY_ENCRYPT_OP', path: device, fd: 'vm', arg: `KVM_SEV_INIT2 on ${name}` }, () => {
        const vm = kvm.createVm(type);
        try {
          vm.sevInit2({ vmsaFeatures, flags: 0, ghcbVersion: 0 });
          return true as const;
        } finally {
          vm.close(); // Frees the ASID the VM was given.
        }
      }),
    };
  }
  return results;
}
