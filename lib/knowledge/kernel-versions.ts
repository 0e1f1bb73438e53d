// The one kernel-version table: what each Linux release added, removed or changed that
// kvm-caps' answers depend on, each row with the commit or source file that shows it.
// Every rule that depends on the running kernel's version asks this table through
// `kernelHas()`; nothing else parses a kernel release.

/** A kernel release as `uname -r` prints it, reduced to what the table compares. */
export interface KernelRelease {
  readonly major: number;
  readonly minor: number;
  /** The stable patch level; 0 when the release has none (`6.8.0-31-generic` gives 0). */
  readonly patch: number;
  /** The text as given, for messages. */
  readonly text: string;
}

/** One change in the kernel: present from `since` up to, not including, `until`. */
export interface KernelChange {
  /** Stable identifier rules refer to, e.g. `kvm.cap-vm-types`. */
  readonly id: string;
  /** First mainline release that has it, as `major.minor`. */
  readonly since: string;
  /** First mainline release that no longer has it; absent while it still holds. */
  readonly until?: string;
  /** What changed, in a sentence a user can read. */
  readonly what: string;
  /** Where this is shown: a commit (`abcdef123456 "subject"`) or a file at a tag. */
  readonly citation: string;
}

const RELEASE = /^\s*(\d+)\.(\d+)(?:\.(\d+))?/;

/** Parses the leading `major.minor[.patch]` of a release string; undefined when there is none. */
export function parseKernelRelease(text: string): KernelRelease | undefined {
  const match = RELEASE.exec(text);
  if (!match) return undefined;
  return { major: Number(match[1]), minor: Number(match[2]), patch: match[3] === undefined ? 0 : Number(match[3]), text };
}

/** Orders two releases by major, minor and patch. */
export function compareReleases(a: KernelRelease, b: KernelRelease): number {
  return a.major - b.major || a.minor - b.minor || a.patch - b.patch;
}

function bound(text: string): KernelRelease {
  const parsed = parseKernelRelease(text);
  if (!parsed) throw new RangeError(`not a kernel release: ${text}`);
  return parsed;
}

/** True when `release` lies in [since, until): `since` inclusive, `until` exclusive. */
export function releaseInRange(release: KernelRelease, since: string, until?: string): boolean {
  return compareReleases(release, bound(since)) >= 0 && (until === undefined || compareReleases(release, bound(until)) < 0);
}

export const KERNEL_CHANGES: readonly KernelChange[] = [
  // Rows are added by area; ids are unique (the tests check it).

  // KVM (x86)
  {
    id: 'kvm.cap-vm-types',
    since: '6.8',
    what: 'KVM_CAP_VM_TYPES exists: it answers 1 (KVM_X86_DEFAULT_VM), or 3 with CONFIG_KVM_SW_PROTECTED_VM (which depends on EXPERT); never 0',
    citation:
      'patch "KVM: x86: Add support for \"protected VMs\" that can utilize private memory" (Sean Christopherson, guest_memfd series, merged for 6.8): x86.c kvm_vm_ioctl_check_extension() case KVM_CAP_VM_TYPES',
  },
  {
    id: 'kvm.tdx-uapi',
    since: '6.16',
    what: "KVM's TDX uAPI: KVM_X86_TDX_VM (5) in KVM_CAP_VM_TYPES, KVM_TDX_CAPABILITIES, KVM_TDX_INIT_VM",
    citation: 'arch/x86/kvm/vmx/tdx.c and arch/x86/include/uapi/asm/kvm.h, first in the 6.16 release (lib/report/tdx/tables.ts TDX_UAPI_RELEASE)',
  },
  {
    id: 'kvm.tdx-bringup-failure-fails-load',
    since: '6.16',
    what: 'a TDX bring-up failure other than "module not loaded" (-ENODEV) fails kvm_intel\'s init: no /dev/kvm; the prerequisite checks and -ENODEV leave kvm_intel loaded with tdx=N',
    citation:
      'arch/x86/kvm/vmx/tdx.c tdx_bringup() (6.16-7.0) / tdx_hardware_setup() (linux-source-7.2): "if (r == -ENODEV) goto success_disable_tdx; ... return r"',
  },
  {
    id: 'kvm.tdx-module-init-failure-is-enodev',
    since: '7.2',
    what: 'a TDX module that failed to initialise (at boot, in the core kernel) leaves kvm_intel loaded with tdx=N: KVM sees no module information and returns -ENODEV; its own checks of the module (no supported attributes or XFAM, no TOPOLOGY_ENUM, MAX_VCPU_PER_TD below the CPU count, the misc cgroup) still fail the load with -EINVAL or -EIO',
    citation:
      'linux-source-7.2 arch/x86/kvm/vmx/tdx.c __tdx_hardware_setup(): "tdx_sysinfo = tdx_get_sysinfo(); if (!tdx_sysinfo) return -ENODEV;" (7.1 not verified: "[PATCH v2 3/7] KVM: x86/tdx: Do VMXON and TDX-Module initialization during subsys init" returned -EINVAL there)',
  },
  {
    id: 'kvm.tdx-requires-enable-virt-at-load',
    since: '6.16',
    until: '7.1',
    what: 'kvm_intel refuses TDX unless kvm.enable_virt_at_load=1 ("tdx: tdx requires kvm.enable_virt_at_load=1")',
    citation:
      'arch/x86/kvm/vmx/tdx.c tdx_bringup() (6.16); removed by "[PATCH v2 3/7] KVM: x86/tdx: Do VMXON and TDX-Module initialization during subsys init" (Sean Christopherson, 2025-12-05); absent from linux-source-7.2 tdx_hardware_setup()',
  },

  // TDX host core (arch/x86/virt/vmx/tdx)
  {
    id: 'tdx.host-platform-flag',
    since: '6.8',
    what: 'with CONFIG_INTEL_TDX_HOST the kernel detects TDX at boot: the tdx_host_platform CPU flag and "virt/tdx: BIOS enabled: private KeyID range [a, b)"',
    citation: '765a0542fdc7 "x86/virt/tdx: Detect TDX during kernel boot"',
  },
  {
    id: 'tdx.module-init-in-core',
    since: '7.1',
    what: 'the core kernel initialises the TDX module at boot (subsys_initcall), printing "virt/tdx: TDX-Module initialized" or "TDX-Module initialization failed (%d)", whether or not kvm_intel loads with tdx=1; before, KVM initialised it when kvm_intel loaded with tdx=1',
    citation:
      '"[PATCH v2 3/7] KVM: x86/tdx: Do VMXON and TDX-Module initialization during subsys init" (Sean Christopherson, 2025-12-05); linux-source-7.2 arch/x86/virt/vmx/tdx/tdx.c',
  },
  {
    id: 'tdx.sysfs-module-version',
    since: '7.2',
    what: '/sys/devices/faux/tdx_host/version: the TDX module version "major.minor.update" (TDX_VERSION_FMT), world-readable',
    citation: 'drivers/virt/coco/tdx-host/tdx-host.c@7.2 version_show()',
  },
  {
    id: 'tdx.runtime-update-sysfs',
    since: '7.2',
    what: '/sys/devices/faux/tdx_host/{seamldr_version,num_remaining_updates}: admin-only, shown when the module supports runtime update (TDX_FEATURES0.TD_PRESERVING) and the CPU lacks X86_BUG_SEAMRET_INVD_VMCS; each read is a P-SEAMLDR query (SEAMLDR.INFO)',
    citation: 'drivers/virt/coco/tdx-host/tdx-host.c@7.2 seamldr_version_show(), num_remaining_updates_show(), supports_runtime_update()',
  },
];

/** The row with this id; throws on an unknown id, which is a programming error. */
export function kernelChange(id: string): KernelChange {
  const row = KERNEL_CHANGES.find((change) => change.id === id);
  if (!row) throw new RangeError(`no kernel change named ${id}`);
  return row;
}

/**
 * Whether a kernel of this release has the change: true or false, or undefined when the
 * release cannot be parsed (a vendor string without a version), so callers say "cannot tell".
 */
export function kernelHas(id: string, release: string | KernelRelease | undefined): boolean | undefined {
  const change = kernelChange(id);
  const parsed = typeof release === 'string' ? parseKernelRelease(release) : release;
  if (!parsed) return undefined;
  return releaseInRange(parsed, change.since, change.until);
}
