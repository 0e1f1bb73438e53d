// Sub-command ids of KVM_MEMORY_ENCRYPT_OP for AMD SEV / SEV-ES / SEV-SNP (enum sev_cmd_id)
// and Intel TDX (enum kvm_tdx_cmd_id), arch/x86/include/uapi/asm/kvm.h, plus the ioctls the
// confidential-VM launch uses. test/abi.test.ts checks every [NAME, number] here against the
// Linux 7.2 UAPI headers; lib/compare/lifecycle.ts names the steps that use them.

/** enum sev_cmd_id: the `id` of struct kvm_sev_cmd. */
export const KVM_SEV_COMMANDS: readonly (readonly [name: string, id: number])[] = [
  // Deprecated: only on a KVM_X86_DEFAULT_VM; KVM_SEV_INIT2 replaces both.
  ['KVM_SEV_INIT', 0],
  ['KVM_SEV_ES_INIT', 1],
  ['KVM_SEV_LAUNCH_START', 2],
  ['KVM_SEV_LAUNCH_UPDATE_DATA', 3],
  ['KVM_SEV_LAUNCH_UPDATE_VMSA', 4],
  ['KVM_SEV_LAUNCH_SECRET', 5],
  ['KVM_SEV_LAUNCH_MEASURE', 6],
  ['KVM_SEV_LAUNCH_FINISH', 7],
  ['KVM_SEV_SEND_START', 8],
  ['KVM_SEV_SEND_UPDATE_DATA', 9],
  ['KVM_SEV_SEND_UPDATE_VMSA', 10],
  ['KVM_SEV_SEND_FINISH', 11],
  ['KVM_SEV_RECEIVE_START', 12],
  ['KVM_SEV_RECEIVE_UPDATE_DATA', 13],
  ['KVM_SEV_RECEIVE_UPDATE_VMSA', 14],
  ['KVM_SEV_RECEIVE_FINISH', 15],
  ['KVM_SEV_GUEST_STATUS', 16],
  ['KVM_SEV_DBG_DECRYPT', 17],
  ['KVM_SEV_DBG_ENCRYPT', 18],
  ['KVM_SEV_CERT_EXPORT', 19],
  ['KVM_SEV_GET_ATTESTATION_REPORT', 20],
  ['KVM_SEV_SEND_CANCEL', 21],
  ['KVM_SEV_INIT2', 22],
  ['KVM_SEV_SNP_LAUNCH_START', 100],
  ['KVM_SEV_SNP_LAUNCH_UPDATE', 101],
  ['KVM_SEV_SNP_LAUNCH_FINISH', 102],
  ['KVM_SEV_SNP_ENABLE_REQ_CERTS', 103],
];

/** enum kvm_tdx_cmd_id: the `id` of struct kvm_tdx_cmd. */
export const KVM_TDX_COMMANDS: readonly (readonly [name: string, id: number])[] = [
  ['KVM_TDX_CAPABILITIES', 0],
  ['KVM_TDX_INIT_VM', 1],
  ['KVM_TDX_INIT_VCPU', 2],
  ['KVM_TDX_INIT_MEM_REGION', 3],
  ['KVM_TDX_FINALIZE_VM', 4],
  ['KVM_TDX_GET_CPUID', 5],
  // KVM_TDX_TERMINATE_VM (6) is documented in intel-tdx.rst but not in the 7.2 UAPI headers.
];

/** kvm_tdx_cmd.flags of KVM_TDX_INIT_MEM_REGION: also extend the TD measurement (MRTD) with the pages. */
export const KVM_TDX_MEASURE_MEMORY_REGION = 1;

/** The ioctls (request numbers) of the launch flow, on the /dev/kvm, VM and vCPU fds. */
export const CONFIDENTIAL_LAUNCH_IOCTLS: readonly (readonly [name: string, request: number])[] = [
  ['KVM_CREATE_VM', 0xae01],
  ['KVM_CREATE_VCPU', 0xae41],
  ['KVM_MEMORY_ENCRYPT_OP', 0xc008aeba],
  ['KVM_SET_MEMORY_ATTRIBUTES', 0x4020aed2],
  ['KVM_CREATE_GUEST_MEMFD', 0xc040aed4],
  ['KVM_SET_USER_MEMORY_REGION2', 0x40a0ae49],
];
