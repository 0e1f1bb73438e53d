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
  return {
    major: Number(match[1]),
    minor: Number(match[2]),
    patch: match[3] === undefined ? 0 : Number(match[3]),
    text,
  };
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
  return (
    compareReleases(release, bound(since)) >= 0 && (until === undefined || compareReleases(release, bound(until)) < 0)
  );
}

export const KERNEL_CHANGES: readonly KernelChange[] = [
  // Rows are added by area; ids are unique and each cites a commit or the file it was read in (the tests check both).

  // KVM
  {
    id: 'kvm.cap-vm-types',
    since: '6.8',
    what:
      'KVM_CAP_VM_TYPES (capability 235) exists and reports the VM types KVM_CREATE_VM accepts: 1 ' +
      '(KVM_X86_DEFAULT_VM), or 3 with CONFIG_KVM_SW_PROTECTED_VM (which depends on EXPERT), never 0; before ' +
      'it only the default VM type exists',
    citation: '89ea60c2c7b5 "KVM: x86: Add support for "protected VMs" that can utilize private memory" (v6.8)',
  },
  {
    id: 'kvm.enable-virt-at-load-parameter',
    since: '6.12',
    what:
      'kvm has the enable_virt_at_load parameter (virtualization enabled when kvm loads, not when the first VM ' +
      'is created)',
    citation:
      '"[PATCH v3 4/8] KVM: Add a module param to allow enabling virtualization when KVM is loaded" (Sean ' +
      'Christopherson, 2024-06-08; kvm@vger, merged for 6.12 with the default changed to on); ' +
      'linux-source-7.2 virt/kvm/kvm_main.c module_param(enable_virt_at_load, bool, 0444)',
  },

  // Intel TDX: KVM (arch/x86/kvm/vmx/tdx.c)
  {
    id: 'tdx.kvm-uapi',
    since: '6.16',
    what: "KVM's TDX uAPI: KVM_X86_TDX_VM (5) in KVM_CAP_VM_TYPES, KVM_TDX_CAPABILITIES, KVM_TDX_INIT_VM",
    citation: 'arch/x86/kvm/vmx/tdx.c and arch/x86/include/uapi/asm/kvm.h, first in the 6.16 release',
  },
  {
    id: 'kvm.tdx-bringup-failure-fails-load',
    since: '6.16',
    what:
      'a TDX bring-up failure other than "module not loaded" (-ENODEV) fails kvm_intel\'s init: no /dev/kvm; ' +
      'the prerequisite checks and -ENODEV leave kvm_intel loaded with tdx=N',
    citation:
      'arch/x86/kvm/vmx/tdx.c tdx_bringup() (6.16-7.0) / tdx_hardware_setup() (linux-source-7.2): "if (r == ' +
      '-ENODEV) goto success_disable_tdx; ... return r"',
  },
  {
    id: 'kvm.tdx-module-init-failure-is-enodev',
    since: '7.2',
    what:
      'a TDX module that failed to initialise (at boot, in the core kernel) leaves kvm_intel loaded with ' +
      'tdx=N: KVM sees no module information and returns -ENODEV; its own checks of the module (no supported ' +
      'attributes or XFAM, no TOPOLOGY_ENUM, MAX_VCPU_PER_TD below the CPU count, the misc cgroup) still fail ' +
      'the load with -EINVAL or -EIO',
    citation:
      'linux-source-7.2 arch/x86/kvm/vmx/tdx.c __tdx_hardware_setup(): "tdx_sysinfo = tdx_get_sysinfo(); if ' +
      '(!tdx_sysinfo) return -ENODEV;" (7.1 not verified: "[PATCH v2 3/7] KVM: x86/tdx: Do VMXON and ' +
      'TDX-Module initialization during subsys init" returned -EINVAL there)',
  },
  {
    id: 'kvm.tdx-requires-enable-virt-at-load',
    since: '6.16',
    until: '7.1',
    what: 'kvm_intel refuses TDX unless kvm.enable_virt_at_load=1 ("tdx: tdx requires kvm.enable_virt_at_load=1")',
    citation:
      'arch/x86/kvm/vmx/tdx.c tdx_bringup() (6.16); removed by "[PATCH v2 3/7] KVM: x86/tdx: Do VMXON and ' +
      'TDX-Module initialization during subsys init" (Sean Christopherson, 2025-12-05); absent from ' +
      'linux-source-7.2 tdx_hardware_setup()',
  },

  // TDX host core (arch/x86/virt/vmx/tdx)
  {
    id: 'tdx.host-platform-flag',
    since: '6.8',
    what:
      'with CONFIG_INTEL_TDX_HOST the kernel detects TDX at boot: the tdx_host_platform CPU flag and ' +
      '"virt/tdx: BIOS enabled: private KeyID range [a, b)"',
    citation: '765a0542fdc7 "x86/virt/tdx: Detect TDX during kernel boot"',
  },
  {
    id: 'tdx.module-init-in-core',
    since: '7.1',
    what:
      'the core kernel initialises the TDX module at boot (subsys_initcall), printing "virt/tdx: TDX-Module ' +
      'initialized" or "TDX-Module initialization failed (%d)", whether or not kvm_intel loads with tdx=1; ' +
      'before, KVM initialised it when kvm_intel loaded with tdx=1',
    citation:
      '"[PATCH v2 3/7] KVM: x86/tdx: Do VMXON and TDX-Module initialization during subsys init" (Sean ' +
      'Christopherson, 2025-12-05); linux-source-7.2 arch/x86/virt/vmx/tdx/tdx.c',
  },
  {
    id: 'tdx.sysfs-module-version',
    since: '7.2',
    what:
      '/sys/devices/faux/tdx_host/version: the TDX module version "major.minor.update" (TDX_VERSION_FMT), ' +
      'world-readable',
    citation: 'drivers/virt/coco/tdx-host/tdx-host.c@7.2 version_show()',
  },
  {
    id: 'tdx.runtime-update-sysfs',
    since: '7.2',
    what:
      '/sys/devices/faux/tdx_host/{seamldr_version,num_remaining_updates}: admin-only, shown when the module ' +
      'supports runtime update (TDX_FEATURES0.TD_PRESERVING) and the CPU lacks X86_BUG_SEAMRET_INVD_VMCS; each ' +
      'read is a P-SEAMLDR query (SEAMLDR.INFO)',
    citation:
      'drivers/virt/coco/tdx-host/tdx-host.c@7.2 seamldr_version_show(), num_remaining_updates_show(), ' +
      'supports_runtime_update()',
  },

  // AMD SEV, SEV-ES, SEV-SNP
  {
    id: 'sev.kvm-host',
    since: '4.16',
    what: 'KVM runs SEV guests (kvm_amd.sev, KVM_SEV_INIT)',
    citation: '1654efcbc431 "KVM: SVM: Add KVM_SEV_INIT command" (the KVM SEV series merged for v4.16)',
  },
  {
    id: 'sev-es.kvm-host',
    since: '5.11',
    what: 'KVM runs SEV-ES guests (kvm_amd.sev_es, KVM_SEV_ES_INIT)',
    citation:
      'ad73109ae7ec "KVM: SVM: Provide support to launch and run an SEV-ES guest" (the KVM SEV-ES series ' +
      'merged for v5.11)',
  },
  {
    id: 'sev.misc-cgroup-asids',
    since: '5.13',
    what:
      'kvm_amd sets the misc cgroup capacity of sev and sev_es ASIDs when it sets SEV up ' +
      "(the misc cgroup's misc.capacity)",
    citation:
      '7aef27f0b2a8 "svm/sev: Register SEV and SEV-ES ASIDs to the misc controller" (cgroup pull for v5.13, with ' +
      'a72232eabdfc "cgroup: Add misc cgroup controller")',
  },
  {
    id: 'snp.cpu-flag',
    since: '6.9',
    what: '/proc/cpuinfo shows sev_snp; before, the kernel masked the feature',
    citation:
      'c3b86e61b756 "x86/cpufeatures: Enable/unmask SEV-SNP CPU feature" (SNP host series, with ' +
      'f5db8841ebe5, merged for 6.9)',
  },
  {
    id: 'snp.platform-status',
    since: '6.9',
    what:
      'the ccp driver has the SNP_PLATFORM_STATUS command on /dev/sev (command numbers above SEV_GET_ID2 ' +
      'answer EINVAL before)',
    citation:
      'f5db8841ebe5 "crypto: ccp: Add the SNP_PLATFORM_STATUS command" (tip x86/sev, January 2024, merged for 6.9)',
  },
  {
    id: 'snp.platform-status-needs-init',
    since: '6.9',
    until: '6.16',
    what: 'SNP_PLATFORM_STATUS answers EINVAL unless SNP firmware is already initialised; no side effects',
    citation:
      'drivers/crypto/ccp/sev-dev.c sev_ioctl_do_snp_platform_status(): if (!sev->snp_initialized || ' +
      '!argp->data) return -EINVAL',
  },
  {
    id: 'kvm.sev-vm-types',
    since: '6.10',
    what:
      'KVM_X86_SEV_VM and KVM_X86_SEV_ES_VM exist, with KVM_SEV_INIT2; on 6.8 and 6.9 KVM_CAP_VM_TYPES never ' +
      'offers them and SEV and SEV-ES guests run through the legacy KVM_SEV_INIT / KVM_SEV_ES_INIT on a ' +
      'default VM.',
    citation:
      '26c44aa9e076 "KVM: SEV: define VM types for SEV and SEV-ES" and 4f5defae7089 "KVM: SEV: introduce ' +
      'KVM_SEV_INIT2 operation" (v6.10)',
  },
  {
    id: 'snp.kvm-host',
    since: '6.11',
    what:
      'KVM_X86_SNP_VM exists: KVM_CAP_VM_TYPES can offer SEV-SNP guests (bit 4), created with KVM_SEV_INIT2 ' +
      'and launched with KVM_SEV_SNP_LAUNCH_*.',
    citation: '1dfe571c12cf "KVM: SEV: Add initial SEV-SNP support" (KVM pull of 2024-05-10, v6.11)',
  },

  // SEV: the ccp driver (drivers/crypto/ccp/sev-dev.c)
  {
    id: 'sev.snp-platform-status-inits',
    since: '6.16',
    until: '7.0',
    what:
      'SNP_PLATFORM_STATUS on /dev/sev, when SNP is not initialised, runs snp_move_to_init_state(): ' +
      'SNP_INIT_EX, the command, then SNP_SHUTDOWN_EX (which also takes the IOMMU out of SNP mode), and logs ' +
      '"SEV-SNP API:..." as if the firmware had been brought up. Stable 6.18.y and 6.19.y releases that carry ' +
      'the fix no longer do this; the release number alone cannot tell them apart.',
    citation:
      'ceac7fb89e8d "crypto: ccp - Ensure implicit SEV/SNP init and shutdown in ioctls" (v6.16) until ' +
      '551120148b67 "crypto: ccp - Fix a case where SNP_SHUTDOWN is missed" (v7.0; also in 6.18.y and 6.19.y ' +
      'stable)',
  },
  {
    id: 'sev.snp-init-failure-silent',
    since: '6.16',
    what:
      'A failed SNP INIT is no longer logged as "SEV-SNP: failed to INIT rc %d, error %#x": ' +
      '__sev_snp_init_locked() returns -ENODEV (no SNP host support) or -EOPNOTSUPP (firmware older than 1.51) ' +
      'without a message, and a firmware failure is logged as "SEV-SNP: %s failed rc %d, error %#x" (SNP_INIT ' +
      '/ SNP_INIT_EX).',
    citation:
      '9770b428b1a2 "crypto: ccp - Move dev_info/err messages for SEV/SNP init and shutdown" (v6.16); ' +
      'drivers/crypto/ccp/sev-dev.c __sev_snp_init_locked() at v7.2',
  },
  {
    id: 'sev.snp-init-rc-message',
    since: '6.9',
    until: '6.16',
    what: 'A failed SNP INIT at ccp probe is logged as "SEV-SNP: failed to INIT rc %d, error %#x".',
    citation:
      'drivers/crypto/ccp/sev-dev.c _sev_platform_init_locked() at v6.12 (Debian trixie linux-source-6.12); ' +
      'removed by 9770b428b1a2 "crypto: ccp - Move dev_info/err messages for SEV/SNP init and shutdown" ' +
      '(v6.16)',
  },
  {
    id: 'sev.snp-status-removes-dev-sev',
    since: '6.16',
    what:
      'At probe the ccp driver asks SNP_PLATFORM_STATUS and, with SNP firmware support, SNP_FEATURE_INFO; when ' +
      'one fails it logs "SNP PLATFORM_STATUS command failed, ret = %d, error = %#x" (or the FEATURE_INFO one) ' +
      'and /dev/sev is not registered.',
    citation:
      'drivers/crypto/ccp/sev-dev.c sev_pci_init() / snp_get_platform_data() at v7.2 (Debian unstable ' +
      'linux-source-7.2)',
  },
  {
    id: 'snp.platform-status-as-is',
    since: '7.0',
    what: 'SNP_PLATFORM_STATUS reports the status as it is, initialised or not (no implicit INIT)',
    citation:
      '551120148b67 "crypto: ccp - Fix a case where SNP_SHUTDOWN is missed" (mainline 2026-02-10): "SNP is ' +
      'not required to be initialized in order to execute the SNP_PLATFORM_STATUS command"',
  },
  {
    id: 'sev.firmware-init-at-ccp-probe',
    since: '4.16',
    until: '6.16',
    what:
      'the ccp driver initialises SEV (and, from 6.9, SNP) firmware when it probes the PSP; with ' +
      'ccp.psp_init_on_probe=0 it waits for the first SEV VM, and SEV INIT then stays done after that VM is ' +
      'gone',
    citation:
      'drivers/crypto/ccp/sev-dev.c sev_pci_init() -> sev_platform_init() at v6.12 (Debian trixie ' +
      'linux-source-6.12); since the first SEV host support (row sev.kvm-host); ends with the "Move ' +
      'initializing SEV/SNP functionality to KVM" series (v6.16)',
  },
  {
    id: 'sev.firmware-init-in-kvm',
    since: '6.16',
    what:
      'kvm_amd, not the ccp driver probe, initialises SEV/SNP firmware; if SNP INIT fails, SEV INIT is not ' +
      'attempted and kvm_amd disables SEV, SEV-ES and SNP',
    citation:
      '"Move initializing SEV/SNP functionality to KVM" series and 6131e119f579 "crypto: ccp - Abort doing ' +
      'SEV INIT if SNP INIT fails" (cryptodev 2025-04-07)',
  },

  // x86 boot
  {
    id: 'x86.feat-ctl-clears-vmx',
    since: '5.6',
    what:
      'The boot code checks IA32_FEATURE_CONTROL: when the firmware left VMX disabled it logs "x86/cpu: VMX ' +
      '(outside TXT) disabled by BIOS" and clears the vmx flag, so /proc/cpuinfo no longer shows vmx on such a ' +
      'CPU.',
    citation:
      'ef4d3bf19855 "x86/cpu: Clear VMX feature flag if VMX is not fully enabled"; ' +
      'arch/x86/kernel/cpu/feat_ctl.c at 5.10, 6.1 and 7.2',
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

/** The releases a row covers, for messages: "6.9-6.15" (the last release before `until`), or "6.11+" while it holds. */
export function releaseRangeText(id: string): string {
  const change = kernelChange(id);
  if (change.until === undefined) return `${change.since}+`;
  const until = bound(change.until);
  return until.minor > 0
    ? `${change.since}-${until.major}.${until.minor - 1}`
    : `${change.since} up to ${change.until}`;
}

/**
 * The first of these rows that a kernel of this release has; undefined when none holds or the release cannot be parsed.
 * Its `id` is typed as one of `ids`, so callers compare it with those.
 */
export function firstChangeHeld<Id extends string>(
  ids: readonly Id[],
  release: string | KernelRelease | undefined,
): (KernelChange & { readonly id: Id }) | undefined {
  const id = ids.find((candidate) => kernelHas(candidate, release) === true);
  return id === undefined ? undefined : { ...kernelChange(id), id };
}

/**
 * How SNP_PLATFORM_STATUS on /dev/sev behaves, oldest first (before the first, the command does not exist:
 * `snp.platform-status`).
 */
export const SNP_PLATFORM_STATUS_ROWS = [
  'snp.platform-status-needs-init',
  'sev.snp-platform-status-inits',
  'snp.platform-status-as-is',
] as const;

/** Who initialises the SEV/SNP firmware, oldest first. */
export const SEV_FIRMWARE_INIT_ROWS = ['sev.firmware-init-at-ccp-probe', 'sev.firmware-init-in-kvm'] as const;
