// What the value of a capability means, for the capabilities whose KVM_CHECK_EXTENSION
// answer is more than "0 = absent, 1 = present". Flag names and values are the kernel's
// (include/uapi/linux/kvm.h, arch/x86/include/uapi/asm/kvm.h, include/uapi/linux/kvm_para.h)
// and are checked against the Linux 7.2 headers by test/abi.test.ts.

/** A flag: [header name, value]. `bit` flags name a bit number, `mask` flags the mask itself. */
export type Flag = readonly [name: string, value: number];

export type ValueMeaning =
  | { kind: 'mask'; flags: readonly Flag[] }
  | { kind: 'bit'; flags: readonly Flag[] }
  | { kind: 'vm-types' }
  | { kind: 'count'; unit: string };

export const CAPABILITY_VALUES: Readonly<Record<string, ValueMeaning>> = {
  KVM_CAP_VM_TYPES: { kind: 'vm-types' },
  KVM_CAP_NR_VCPUS: { kind: 'count', unit: 'vCPUs (recommended maximum)' },
  KVM_CAP_MAX_VCPUS: { kind: 'count', unit: 'vCPUs' },
  KVM_CAP_MAX_VCPU_ID: { kind: 'count', unit: 'vCPU ids' },
  KVM_CAP_NR_MEMSLOTS: { kind: 'count', unit: 'memory slots' },
  KVM_CAP_MULTI_ADDRESS_SPACE: { kind: 'count', unit: 'address spaces' },
  KVM_CAP_COALESCED_MMIO: { kind: 'count', unit: 'page offset of the ring' },
  KVM_CAP_COALESCED_PIO: { kind: 'count', unit: 'page offset of the ring' },
  KVM_CAP_NESTED_STATE: { kind: 'count', unit: 'bytes of nested state' },
  KVM_CAP_XSAVE2: { kind: 'count', unit: 'bytes of XSAVE state' },
  KVM_CAP_DIRTY_LOG_RING: { kind: 'count', unit: 'bytes (maximum ring size)' },
  KVM_CAP_DIRTY_LOG_RING_ACQ_REL: { kind: 'count', unit: 'bytes (maximum ring size)' },
  KVM_CAP_X86_DISABLE_EXITS: {
    kind: 'mask',
    flags: [
      ['KVM_X86_DISABLE_EXITS_MWAIT', 1 << 0],
      ['KVM_X86_DISABLE_EXITS_HLT', 1 << 1],
      ['KVM_X86_DISABLE_EXITS_PAUSE', 1 << 2],
      ['KVM_X86_DISABLE_EXITS_CSTATE', 1 << 3],
      ['KVM_X86_DISABLE_EXITS_APERFMPERF', 1 << 4],
    ],
  },
  KVM_CAP_DISABLE_QUIRKS2: {
    kind: 'mask',
    flags: [
      ['KVM_X86_QUIRK_LINT0_REENABLED', 1 << 0],
      ['KVM_X86_QUIRK_CD_NW_CLEARED', 1 << 1],
      ['KVM_X86_QUIRK_LAPIC_MMIO_HOLE', 1 << 2],
      ['KVM_X86_QUIRK_OUT_7E_INC_RIP', 1 << 3],
      ['KVM_X86_QUIRK_MISC_ENABLE_NO_MWAIT', 1 << 4],
      ['KVM_X86_QUIRK_FIX_HYPERCALL_INSN', 1 << 5],
      ['KVM_X86_QUIRK_MWAIT_NEVER_UD_FAULTS', 1 << 6],
      ['KVM_X86_QUIRK_SLOT_ZAP_ALL', 1 << 7],
      ['KVM_X86_QUIRK_STUFF_FEATURE_MSRS', 1 << 8],
      ['KVM_X86_QUIRK_IGNORE_GUEST_PAT', 1 << 9],
      ['KVM_X86_QUIRK_VMCS12_ALLOW_FREEZE_IN_SMM', 1 << 10],
      ['KVM_X86_QUIRK_NESTED_SVM_SHARED_PAT', 1 << 11],
    ],
  },
  KVM_CAP_SYNC_REGS: {
    kind: 'mask',
    flags: [
      ['KVM_SYNC_X86_REGS', 1 << 0],
      ['KVM_SYNC_X86_SREGS', 1 << 1],
      ['KVM_SYNC_X86_EVENTS', 1 << 2],
    ],
  },
  KVM_CAP_ADJUST_CLOCK: {
    kind: 'mask',
    flags: [
      ['KVM_CLOCK_TSC_STABLE', 2],
      ['KVM_CLOCK_REALTIME', 1 << 2],
      ['KVM_CLOCK_HOST_TSC', 1 << 3],
    ],
  },
  KVM_CAP_X86_BUS_LOCK_EXIT: {
    kind: 'mask',
    flags: [
      ['KVM_BUS_LOCK_DETECTION_OFF', 1 << 0],
      ['KVM_BUS_LOCK_DETECTION_EXIT', 1 << 1],
    ],
  },
  KVM_CAP_PMU_CAPABILITY: { kind: 'mask', flags: [['KVM_PMU_CAP_DISABLE', 1 << 0]] },
  KVM_CAP_X86_NOTIFY_VMEXIT: {
    kind: 'mask',
    flags: [
      ['KVM_X86_NOTIFY_VMEXIT_ENABLED', 1 << 0],
      ['KVM_X86_NOTIFY_VMEXIT_USER', 1 << 1],
    ],
  },
  KVM_CAP_X86_USER_SPACE_MSR: {
    kind: 'mask',
    flags: [
      ['KVM_MSR_EXIT_REASON_INVAL', 1 << 0],
      ['KVM_MSR_EXIT_REASON_UNKNOWN', 1 << 1],
      ['KVM_MSR_EXIT_REASON_FILTER', 1 << 2],
    ],
  },
  KVM_CAP_X2APIC_API: {
    kind: 'mask',
    flags: [
      ['KVM_X2APIC_API_USE_32BIT_IDS', 1 << 0],
      ['KVM_X2APIC_API_DISABLE_BROADCAST_QUIRK', 1 << 1],
      ['KVM_X2APIC_ENABLE_SUPPRESS_EOI_BROADCAST', 1 << 2],
      ['KVM_X2APIC_DISABLE_SUPPRESS_EOI_BROADCAST', 1 << 3],
    ],
  },
  KVM_CAP_MANUAL_DIRTY_LOG_PROTECT2: {
    kind: 'mask',
    flags: [
      ['KVM_DIRTY_LOG_MANUAL_PROTECT_ENABLE', 1 << 0],
      ['KVM_DIRTY_LOG_INITIALLY_SET', 1 << 1],
    ],
  },
  KVM_CAP_MEMORY_ATTRIBUTES: { kind: 'mask', flags: [['KVM_MEMORY_ATTRIBUTE_PRIVATE', 1 << 3]] },
  KVM_CAP_GUEST_MEMFD_FLAGS: {
    kind: 'mask',
    flags: [
      ['GUEST_MEMFD_FLAG_MMAP', 1 << 0],
      ['GUEST_MEMFD_FLAG_INIT_SHARED', 1 << 1],
    ],
  },
  KVM_CAP_XEN_HVM: {
    kind: 'mask',
    flags: [
      ['KVM_XEN_HVM_CONFIG_HYPERCALL_MSR', 1 << 0],
      ['KVM_XEN_HVM_CONFIG_INTERCEPT_HCALL', 1 << 1],
      ['KVM_XEN_HVM_CONFIG_SHARED_INFO', 1 << 2],
      ['KVM_XEN_HVM_CONFIG_RUNSTATE', 1 << 3],
      ['KVM_XEN_HVM_CONFIG_EVTCHN_2LEVEL', 1 << 4],
      ['KVM_XEN_HVM_CONFIG_EVTCHN_SEND', 1 << 5],
      ['KVM_XEN_HVM_CONFIG_RUNSTATE_UPDATE_FLAG', 1 << 6],
      ['KVM_XEN_HVM_CONFIG_PVCLOCK_TSC_UNSTABLE', 1 << 7],
      ['KVM_XEN_HVM_CONFIG_SHARED_INFO_HVA', 1 << 8],
    ],
  },
  // The hypercalls KVM can forward to user space, as a mask of 1 << KVM_HC_* numbers.
  KVM_CAP_EXIT_HYPERCALL: { kind: 'bit', flags: [['KVM_HC_MAP_GPA_RANGE', 12]] },
};
