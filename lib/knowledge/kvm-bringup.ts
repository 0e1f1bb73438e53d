// What the kernel logs when KVM and its vendor or backend module come up, in each wording
// kernels have used, and what each line means. One row per wording: the pattern matches the
// whole message as printed (pr_fmt prefix included, timestamp and level removed), so a line
// about something else that also says "disabled by BIOS" (amd_pstate's CPPC, x86/mktme,
// SGX, EDAC's ECC) never matches. Each row names the source files and kernels it was read in:
// the 7.2 rows are checked against linux-source-7.2's printk formats by
// test/kvm-bringup-log.test.ts; the older ones cite the file and release they were read in
// (Debian's linux-source-5.10 5.10.223 and linux-source-6.1 6.1.192, or the commit shown).

/** Why KVM (or one of its modules) could not come up, as the kernel's line says. */
export type KvmBringupCause =
  /** The firmware (BIOS/UEFI) left VT-x or AMD-V switched off. */
  | 'firmware-disabled'
  /** The CPU (or the CPU a hypervisor shows us) has no VMX or SVM. */
  | 'cpu-lacks-extension'
  /** The vendor module of the other vendor was loaded: kvm_amd on Intel. */
  | 'wrong-vendor-module'
  /** This kernel runs as an SEV guest: KVM refuses to host guests inside it. */
  | 'sev-guest'
  /** A software backend (kvm_pvm) decided not to bind. */
  | 'backend-not-bound'
  /** Another vendor module already registered with KVM. */
  | 'vendor-module-conflict'
  /** Turning virtualization on failed on some CPU (another hypervisor holds VMX/SVM, or firmware). */
  | 'enable-failed'
  /** The CPUs disagree on their VMX features, so KVM refused to load. */
  | 'cpus-differ'
  /** NX (Execute Disable) is off, which KVM requires: a firmware setting, or a hypervisor hiding it. */
  | 'nx-disabled'
  /** A module parameter was rejected (the module did not load) or ignored. */
  | 'parameter-rejected'
  | 'parameter-ignored'
  /** module_blacklist= on the kernel command line names the module: the kernel refuses to load it. */
  | 'module-blacklisted'
  /** Not a failure: the kernel runs under a hypervisor (nested virtualization applies). */
  | 'hypervisor-detected'
  /** Not a failure: a software backend (kvm_pvm) registered with KVM. */
  | 'backend-bound';

export interface KernelSourceCitation {
  /** Path in the kernel tree, with the function where it helps. */
  readonly file: string;
  /** Releases the wording was read in, or the commit that added or changed it. */
  readonly kernels: string;
}

export interface KvmBringupMessage {
  /** Stable id of the wording. */
  readonly id: string;
  readonly cause: KvmBringupCause;
  /** Matches the whole message. Named groups: cpu, module, txt, value, parameter, hypervisor. */
  readonly pattern: RegExp;
  /** 'intel' and 'amd' lines are printed only on that vendor's path. */
  readonly vendor: 'intel' | 'amd' | 'any';
  /** The printk format in linux-source-7.2 that prints it; absent when 7.2 no longer does. */
  readonly format7_2?: { readonly file: string; readonly format: string; readonly modname?: string };
  readonly sources: readonly KernelSourceCitation[];
  /** What the line means, for the report. */
  readonly meaning: string;
  /** What the user does about it. */
  readonly fix: string;
}

const KVM_MODULE = '(?<module>kvm(?:[_-](?:intel|amd|pvm))?)';

export const FIX_FIRMWARE_INTEL =
  'Enable "Intel Virtualization Technology" (VT-x; with Intel TXT also "VT-x with TXT") in the BIOS/UEFI ' +
  'setup, then power the machine off and on: the setting is latched at reset.';
export const FIX_FIRMWARE_AMD = 'Enable "SVM Mode" (AMD-V) in the BIOS/UEFI setup, then power the machine off and on.';
export const FIX_NO_EXTENSION =
  'This CPU, as the kernel sees it, has no hardware virtualization. On bare metal, use a CPU with VT-x or ' +
  'AMD-V; inside a VM, ask the outer hypervisor to expose VMX/SVM (nested virtualization, e.g. QEMU -cpu ' +
  'host, kvm_intel.nested=1 / kvm_amd.nested=1 on the outer host).';

export const KVM_BRINGUP_MESSAGES: readonly KvmBringupMessage[] = [
  // --- the firmware disabled the extension -------------------------------------------
  {
    id: 'feat-ctl-vmx-disabled',
    cause: 'firmware-disabled',
    // feat_ctl.c at boot: IA32_FEAT_CTL is locked without VMX enabled (outside SMX, or inside
    // it under tboot). Added by ef4d3bf19855 "x86/cpu: Clear VMX feature flag if VMX is not
    // fully enabled" (5.6); printed only with CONFIG_KVM_INTEL since its fixup. Same text in
    // feat_ctl.c@5.10, @6.1 and @7.2.
    pattern: /^x86\/cpu: VMX \((?<txt>outside|inside) TXT\) disabled by BIOS$/,
    vendor: 'intel',
    format7_2: { file: 'arch/x86/kernel/cpu/feat_ctl.c', format: 'x86/cpu: VMX (%s TXT) disabled by BIOS\n' },
    sources: [
      {
        file: 'arch/x86/kernel/cpu/feat_ctl.c init_ia32_feat_ctl()',
        kernels: '5.6 (ef4d3bf19855) to 7.2; read in 5.10, 6.1, 7.2',
      },
    ],
    meaning: 'The firmware locked IA32_FEATURE_CONTROL (MSR 0x3a) with VMX disabled; the kernel cleared the vmx flag.',
    fix: FIX_FIRMWARE_INTEL,
  },
  {
    id: 'vmx-not-enabled-feat-ctl',
    cause: 'firmware-disabled',
    // vmx.c __kvm_is_vmx_supported() (7.2): the boot code never configured IA32_FEAT_CTL.
    pattern: /^kvm_intel: VMX not enabled \(by BIOS\) in MSR_IA32_FEAT_CTL on CPU (?<cpu>\d+)$/,
    vendor: 'intel',
    format7_2: {
      file: 'arch/x86/kvm/vmx/vmx.c',
      format: 'kvm_intel: VMX not enabled (by BIOS) in MSR_IA32_FEAT_CTL on CPU %d\n',
      modname: 'kvm_intel',
    },
    sources: [{ file: 'arch/x86/kvm/vmx/vmx.c __kvm_is_vmx_supported()', kernels: 'after 6.1 (not in 6.1) to 7.2' }],
    meaning: 'IA32_FEATURE_CONTROL was not set up on this CPU, so VMX is unusable: KVM refused to load.',
    fix: FIX_FIRMWARE_INTEL,
  },
  {
    id: 'vmx-not-fully-enabled',
    cause: 'firmware-disabled',
    // vmx.c (7.2): the CPU has VMX but the boot code cleared X86_FEATURE_VMX, normally right
    // after feat_ctl.c's "VMX (outside TXT) disabled by BIOS".
    pattern: /^kvm_intel: VMX not fully enabled on CPU (?<cpu>\d+)\.\s+Check kernel logs and\/or BIOS$/,
    vendor: 'intel',
    format7_2: {
      file: 'arch/x86/kvm/vmx/vmx.c',
      format: 'kvm_intel: VMX not fully enabled on CPU %d.  Check kernel logs and/or BIOS\n',
      modname: 'kvm_intel',
    },
    sources: [{ file: 'arch/x86/kvm/vmx/vmx.c __kvm_is_vmx_supported()', kernels: 'after 6.1 (not in 6.1) to 7.2' }],
    meaning:
      'The CPU has VMX, but the kernel found it disabled at boot (see the x86/cpu line before it): KVM ' +
      'refused to load.',
    fix: FIX_FIRMWARE_INTEL,
  },
  {
    id: 'vmx-disabled-on-cpu',
    cause: 'firmware-disabled',
    // vmx.c vmx_check_processor_compat(): pr_err("kvm: VMX is disabled on CPU %d\n") when
    // IA32_FEAT_CTL was not set up or the boot code cleared VMX on that CPU. Read in 5.10 and 6.1.
    pattern: /^kvm: VMX is disabled on CPU (?<cpu>\d+)$/,
    vendor: 'intel',
    sources: [{ file: 'arch/x86/kvm/vmx/vmx.c vmx_check_processor_compat()', kernels: '5.10, 6.1 (read); not in 7.2' }],
    meaning:
      'VMX is disabled on that CPU (the firmware left IA32_FEATURE_CONTROL without VMX): kvm_intel refused to load.',
    fix: FIX_FIRMWARE_INTEL,
  },
  {
    id: 'svm-disabled-vm-cr',
    cause: 'firmware-disabled',
    // amd.c and hygon.c at boot: VM_CR.SVMDIS is set; the kernel clears the svm flag.
    pattern: /^SVM disabled \(by BIOS\) in MSR_VM_CR$/,
    vendor: 'amd',
    format7_2: { file: 'arch/x86/kernel/cpu/amd.c', format: 'SVM disabled (by BIOS) in MSR_VM_CR\n' },
    sources: [
      { file: 'arch/x86/kernel/cpu/amd.c', kernels: 'after 6.1 (not in 6.1) to 7.2' },
      { file: 'arch/x86/kernel/cpu/hygon.c', kernels: 'after 6.1 (not in 6.1) to 7.2' },
    ],
    meaning: 'The firmware set SVMDIS in VM_CR (MSR 0xc0010114): AMD-V is off, and the kernel cleared the svm flag.',
    fix: FIX_FIRMWARE_AMD,
  },
  {
    id: 'x86-disabled-by-bios',
    cause: 'firmware-disabled',
    // x86.c kvm_arch_init() before the vendor modules checked themselves: read in 5.10
    // (pr_err_ratelimited("kvm: disabled by bios\n")); stored copies of older trees print the same
    // text with printk(KERN_ERR), back to KVM's first kvm_init() in kvm_main.c.
    pattern: /^kvm: disabled by bios$/,
    vendor: 'any',
    sources: [{ file: 'arch/x86/kvm/x86.c kvm_arch_init()', kernels: '5.10 (read); gone by 6.1' }],
    meaning: 'The vendor module found VT-x/AMD-V disabled by the firmware and refused to load.',
    fix: `${FIX_FIRMWARE_INTEL} On AMD: ${FIX_FIRMWARE_AMD}`,
  },
  {
    id: 'x86-support-disabled-by-bios',
    cause: 'firmware-disabled',
    // x86.c kvm_arch_init() in 6.1: pr_err_ratelimited("kvm: support for '%s' disabled by bios\n").
    pattern: /^kvm: support for '(?<module>kvm_intel|kvm_amd)' disabled by bios$/,
    vendor: 'any',
    sources: [{ file: 'arch/x86/kvm/x86.c kvm_arch_init()', kernels: '6.1 (read); not in 7.2' }],
    meaning: 'The named vendor module found VT-x/AMD-V disabled by the firmware and refused to load.',
    fix: `On Intel: ${FIX_FIRMWARE_INTEL} On AMD: ${FIX_FIRMWARE_AMD}`,
  },

  // --- the CPU lacks the extension ---------------------------------------------------
  {
    id: 'vmx-not-supported',
    cause: 'cpu-lacks-extension',
    pattern: /^kvm_intel: VMX not supported by CPU (?<cpu>\d+)$/,
    vendor: 'intel',
    format7_2: {
      file: 'arch/x86/kvm/vmx/vmx.c',
      format: 'kvm_intel: VMX not supported by CPU %d\n',
      modname: 'kvm_intel',
    },
    sources: [{ file: 'arch/x86/kvm/vmx/vmx.c __kvm_is_vmx_supported()', kernels: 'after 6.1 (not in 6.1) to 7.2' }],
    meaning: 'CPUID.1:ECX.VMX is clear on this CPU: kvm_intel cannot load.',
    fix: FIX_NO_EXTENSION,
  },
  {
    id: 'svm-not-supported',
    cause: 'cpu-lacks-extension',
    pattern: /^kvm_amd: SVM not supported by CPU (?<cpu>\d+)$/,
    vendor: 'amd',
    format7_2: { file: 'arch/x86/kvm/svm/svm.c', format: 'kvm_amd: SVM not supported by CPU %d\n', modname: 'kvm_amd' },
    sources: [{ file: 'arch/x86/kvm/svm/svm.c __kvm_is_svm_supported()', kernels: 'after 6.1 (not in 6.1) to 7.2' }],
    meaning: 'The svm flag is clear on this CPU (absent, or cleared because VM_CR.SVMDIS is set): kvm_amd cannot load.',
    fix: FIX_NO_EXTENSION,
  },
  {
    id: 'has-svm-not-available',
    cause: 'cpu-lacks-extension',
    // svm.c has_svm(): printk(KERN_INFO "has_svm: %s\n", msg) with cpu_has_svm()'s message from
    // arch/x86/include/asm/virtext.h; read in 5.10 and 6.1 (printk without pr_fmt: no prefix).
    pattern: /^has_svm: svm not available$/,
    vendor: 'amd',
    sources: [
      {
        file: 'arch/x86/kvm/svm/svm.c has_svm() + arch/x86/include/asm/virtext.h cpu_has_svm()',
        kernels: '5.10, 6.1 (read); replaced before 7.2',
      },
    ],
    meaning: 'The svm flag is clear (absent, or cleared because the firmware disabled it): kvm_amd cannot load.',
    fix: FIX_NO_EXTENSION,
  },
  {
    id: 'has-svm-no-cpuid-leaf',
    cause: 'cpu-lacks-extension',
    // virtext.h cpu_has_svm() of older trees (a 4.4 tree's copy has it, next to "not amd"):
    // extended CPUID does not reach 0x8000000a.
    pattern: /^has_svm: can't execute cpuid_8000000a$/,
    vendor: 'amd',
    sources: [
      {
        file: 'arch/x86/include/asm/virtext.h cpu_has_svm()',
        kernels:
          "older kernels (a 4.4 tree's virtext.h has it; the copy the kvm_is_svm_supported() change removed does not)",
      },
    ],
    meaning: 'The CPU (or the CPU model a hypervisor shows) does not reach CPUID leaf 0x8000000a: no SVM.',
    fix: FIX_NO_EXTENSION,
  },
  {
    id: 'no-hardware-support',
    cause: 'cpu-lacks-extension',
    // x86.c kvm_arch_init(): "kvm: no hardware support\n" in 5.10, "kvm: no hardware support for '%s'\n" in 6.1.
    pattern: /^kvm: no hardware support(?: for '(?<module>kvm_intel|kvm_amd)')?$/,
    vendor: 'any',
    sources: [
      { file: 'arch/x86/kvm/x86.c kvm_arch_init()', kernels: '5.10 (without the module), 6.1 (with it); not in 7.2' },
    ],
    meaning: 'The vendor module found no VMX/SVM on this CPU and refused to load.',
    fix: FIX_NO_EXTENSION,
  },
  {
    id: 'has-svm-wrong-vendor',
    cause: 'wrong-vendor-module',
    // virtext.h cpu_has_svm(): "not amd" before Hygon support, "not amd or hygon" after; read in 5.10/6.1 era copies.
    pattern: /^has_svm: not amd(?: or hygon)?$/,
    vendor: 'any',
    sources: [
      {
        file: 'arch/x86/kvm/svm/svm.c has_svm() + arch/x86/include/asm/virtext.h cpu_has_svm()',
        kernels: '4.x before Hygon support ("not amd", a 4.4 tree\'s virtext.h), 5.10 and 6.1 ("not amd or hygon")',
      },
    ],
    meaning: 'kvm_amd was loaded on a CPU that is neither AMD nor Hygon.',
    fix: 'Load the module for this CPU: kvm_intel on Intel; kvm_amd only on AMD or Hygon.',
  },
  {
    id: 'svm-wrong-vendor',
    cause: 'wrong-vendor-module',
    pattern: /^kvm_amd: CPU (?<cpu>\d+) isn't AMD or Hygon$/,
    vendor: 'any',
    format7_2: { file: 'arch/x86/kvm/svm/svm.c', format: "kvm_amd: CPU %d isn't AMD or Hygon\n", modname: 'kvm_amd' },
    sources: [{ file: 'arch/x86/kvm/svm/svm.c __kvm_is_svm_supported()', kernels: 'after 6.1 (not in 6.1) to 7.2' }],
    meaning: 'kvm_amd was loaded on a CPU that is neither AMD nor Hygon.',
    fix: 'Load the module for this CPU: kvm_intel on Intel; kvm_amd only on AMD or Hygon.',
  },

  {
    id: 'nx-not-supported-intel',
    cause: 'nx-disabled',
    // vmx.c hardware setup: "kvm: NX (Execute Disable) not supported" in 6.1 (literal prefix),
    // "kvm_intel: ..." in 7.2 (pr_fmt; there only when EPT is off, for shadow paging).
    pattern: /^(?:kvm|kvm_intel): NX \(Execute Disable\) not supported$/,
    vendor: 'intel',
    format7_2: {
      file: 'arch/x86/kvm/vmx/vmx.c',
      format: 'kvm_intel: NX (Execute Disable) not supported\n',
      modname: 'kvm_intel',
    },
    sources: [
      {
        file: 'arch/x86/kvm/vmx/vmx.c hardware setup',
        kernels: '6.1 ("kvm: " prefix), 7.2 ("kvm_intel: ", without EPT only)',
      },
    ],
    meaning: 'The CPU shows no NX (Execute Disable) bit, which KVM needs: kvm_intel refused to load.',
    fix: 'Enable "Execute Disable Bit" (XD) in the BIOS/UEFI setup; inside a VM, give it a CPU model with NX.',
  },
  {
    id: 'nx-not-supported-amd',
    cause: 'nx-disabled',
    // svm.c: pr_fmt "SVM: " in 6.1, KBUILD_MODNAME ": " in 7.2.
    pattern: /^(?:SVM|kvm_amd): NX \(Execute Disable\) not supported$/,
    vendor: 'amd',
    format7_2: {
      file: 'arch/x86/kvm/svm/svm.c',
      format: 'kvm_amd: NX (Execute Disable) not supported\n',
      modname: 'kvm_amd',
    },
    sources: [{ file: 'arch/x86/kvm/svm/svm.c hardware setup', kernels: '6.1 ("SVM: " prefix), 7.2 ("kvm_amd: ")' }],
    meaning: 'The CPU shows no NX (Execute Disable) bit, which KVM needs: kvm_amd refused to load.',
    fix: 'Enable "NX mode" (No-Execute) in the BIOS/UEFI setup; inside a VM, give it a CPU model with NX.',
  },

  // --- KVM inside a guest ------------------------------------------------------------
  {
    id: 'sev-guest',
    cause: 'sev-guest',
    // svm.c: "SVM: " pr_fmt in 5.10 and 6.1, KBUILD_MODNAME ": " (kvm_amd) in 7.2.
    pattern: /^(?:SVM|kvm_amd): KVM is unsupported when running as an SEV guest$/,
    vendor: 'amd',
    format7_2: {
      file: 'arch/x86/kvm/svm/svm.c',
      format: 'kvm_amd: KVM is unsupported when running as an SEV guest\n',
      modname: 'kvm_amd',
    },
    sources: [{ file: 'arch/x86/kvm/svm/svm.c', kernels: '5.10, 6.1 ("SVM: " prefix), 7.2 ("kvm_amd: " prefix)' }],
    meaning: 'This kernel is itself an SEV guest (memory encryption active): KVM does not run VMs inside it.',
    fix: 'Run the VMs on the host, or in a guest that is not memory-encrypted and whose hypervisor exposes SVM.',
  },
  {
    id: 'hypervisor-detected',
    cause: 'hypervisor-detected',
    pattern: /^Hypervisor detected: (?<hypervisor>.+)$/,
    vendor: 'any',
    format7_2: { file: 'arch/x86/kernel/cpu/hypervisor.c', format: 'Hypervisor detected: %s\n' },
    sources: [{ file: 'arch/x86/kernel/cpu/hypervisor.c init_hypervisor_platform()', kernels: '5.10, 6.1, 7.2' }],
    meaning: 'This kernel runs as a guest of the named hypervisor: KVM here needs nested virtualization.',
    fix: 'Ask the outer hypervisor to expose VMX/SVM to this guest (nested virtualization).',
  },

  // --- a software backend that would not bind ----------------------------------------
  {
    id: 'pvm-not-binding',
    cause: 'backend-not-bound',
    // kvm_pvm is an out-of-tree backend (no public source to cite). Its "not binding" line is
    // as a user's host logged it: "kvm-pvm: this kernel is itself a kvm-pvm guest; not binding".
    // Where it binds, it logs "kvm-pvm: loaded (...)" (a 6.18 kernel with kvm_pvm built in,
    // /sys/module/kvm_pvm without initstate). The pattern takes any reason before "not binding".
    pattern: /^kvm-pvm: (?<reason>.*?);? ?not binding$/,
    vendor: 'any',
    sources: [
      {
        file: 'kvm_pvm (out of tree; no public source)',
        kernels: 'kernels carrying kvm_pvm, e.g. 6.18 vendor builds; wording from a host log',
      },
    ],
    meaning:
      'The kvm_pvm backend decided not to register: this kernel is itself a kvm-pvm guest, so there is no /dev/kvm.',
    fix:
      'No module load helps here: run the VMs on the outer host, or boot this guest where the outer host ' +
      'exposes VMX/SVM so kvm_intel/kvm_amd can bind.',
  },

  {
    id: 'pvm-loaded',
    cause: 'backend-bound',
    // Logged by the running 6.18 kernel of a kvm_pvm host with kvm_pvm built in (/sys/module/
    // kvm_pvm without initstate): "kvm-pvm: loaded (native=1 pcid=1 pge_off=1 emul_batch=1024
    // emul_ibpb=0)". Out of tree: no public source; the options inside vary by build.
    pattern: /^kvm-pvm: loaded \((?<options>.*)\)$/,
    vendor: 'any',
    sources: [
      { file: 'kvm_pvm (out of tree; no public source)', kernels: 'a 6.18 kernel carrying kvm_pvm (its own log)' },
    ],
    meaning: 'The kvm_pvm backend registered with KVM: it runs guests on page tables, without VMX or SVM.',
    fix: 'Nothing to fix: /dev/kvm is served by kvm_pvm (API 12, the default VM type only).',
  },

  // --- the vendor module clashed with one already loaded ------------------------------
  {
    id: 'already-loaded-vendor-module',
    cause: 'vendor-module-conflict',
    // x86.c: "kvm: already loaded the other module" (5.10), "kvm: already loaded vendor module '%s'" (6.1, 7.2).
    pattern: /^kvm: already loaded (?:the other module|vendor module '(?<module>[\w-]+)')$/,
    vendor: 'any',
    format7_2: { file: 'arch/x86/kvm/x86.c', format: "kvm: already loaded vendor module '%s'\n", modname: 'kvm' },
    sources: [
      {
        file: 'arch/x86/kvm/x86.c kvm_arch_init() / kvm_x86_vendor_init()',
        kernels: "5.10 (the other module), 6.1 and 7.2 (vendor module '%s')",
      },
    ],
    meaning:
      'Another vendor module (kvm_intel, kvm_amd or a backend) already registered with KVM; this one was refused.',
    fix:
      'Use the module already loaded, or unload it (modprobe -r) before loading the other; a built-in one ' +
      'cannot be unloaded.',
  },

  // --- turning virtualization on failed on some CPU -----------------------------------
  {
    id: 'enabling-virtualization-failed',
    cause: 'enable-failed',
    pattern: /^kvm: enabling virtualization on CPU(?<cpu>\d+) failed$/,
    vendor: 'any',
    format7_2: { file: 'virt/kvm/kvm_main.c', format: 'kvm: enabling virtualization on CPU%d failed\n' },
    sources: [{ file: 'virt/kvm/kvm_main.c', kernels: '5.10, 6.1, 7.2' }],
    meaning:
      'VMXON/EFER.SVME failed on that CPU: another hypervisor (VirtualBox, VMware) holds it, or its firmware ' +
      'setting differs from the other CPUs.',
    fix:
      'Stop the other hypervisor (unload vboxdrv / vmmon), or make the VT-x/AMD-V setting the same on all CPUs ' +
      'in the firmware.',
  },
  {
    id: 'svm-hardware-enable-failed',
    cause: 'enable-failed',
    // svm.c svm_hardware_enable(): pr_err("%s: err EOPNOTSUPP on %d\n", __func__, me) with "SVM: " pr_fmt (5.10, 6.1).
    pattern: /^SVM: svm_hardware_enable: err (?:EOPNOTSUPP|EBUSY) on (?<cpu>\d+)$/,
    vendor: 'amd',
    sources: [{ file: 'arch/x86/kvm/svm/svm.c svm_hardware_enable()', kernels: '5.10, 6.1; not in 7.2' }],
    meaning: 'SVM could not be enabled on that CPU (it lacks SVM, or it is disabled there).',
    fix: FIX_FIRMWARE_AMD,
  },
  {
    id: 'vmxon-faulted',
    cause: 'enable-failed',
    // WARN_ONCE in vmx.c kvm_cpu_vmxon() (6.1) and arch/x86/virt/hw.c (7.2).
    pattern: /^VMXON faulted, MSR_IA32_FEAT_CTL \(0x3a\) = 0x(?<value>[0-9a-f]+)$/,
    vendor: 'intel',
    format7_2: { file: 'arch/x86/virt/hw.c', format: 'VMXON faulted, MSR_IA32_FEAT_CTL (0x3a) = 0x%llx\n' },
    sources: [
      { file: 'arch/x86/kvm/vmx/vmx.c kvm_cpu_vmxon()', kernels: '6.1' },
      { file: 'arch/x86/virt/hw.c', kernels: '7.2' },
    ],
    meaning:
      'VMXON faulted: IA32_FEATURE_CONTROL (value shown) does not allow VMX on that CPU, or another ' +
      'hypervisor is in VMX operation.',
    fix: `${FIX_FIRMWARE_INTEL} If another hypervisor runs, stop it.`,
  },

  // --- the CPUs disagree --------------------------------------------------------------
  {
    id: 'vmx-feature-inconsistency',
    cause: 'cpus-differ',
    // vmx.c vmx_check_processor_compat(): printk(KERN_ERR "kvm: CPU %d feature inconsistency!\n"), 5.10 and 6.1.
    pattern: /^kvm: CPU (?<cpu>\d+) feature inconsistency!$/,
    vendor: 'intel',
    sources: [
      { file: 'arch/x86/kvm/vmx/vmx.c vmx_check_processor_compat()', kernels: '5.10, 6.1 (read); reworded by 7.2' },
    ],
    meaning: "That CPU's VMX capabilities differ from the boot CPU's: kvm_intel refused to load.",
    fix:
      'Make all CPUs alike: update the firmware and CPU microcode, and use the same virtualization settings ' +
      'for every socket in the BIOS/UEFI setup.',
  },
  {
    id: 'vmcs-config-mismatch',
    cause: 'cpus-differ',
    // 7.2 vmx.c: pr_err("VMCS config on CPU %d doesn't match reference config:"), followed by pr_cont lines of the
    // offsets.
    pattern: /^kvm_intel: VMCS config on CPU (?<cpu>\d+) doesn't match reference config:$/,
    vendor: 'intel',
    format7_2: {
      file: 'arch/x86/kvm/vmx/vmx.c',
      format: "kvm_intel: VMCS config on CPU %d doesn't match reference config:",
      modname: 'kvm_intel',
    },
    sources: [{ file: 'arch/x86/kvm/vmx/vmx.c vmx_check_processor_compat()', kernels: '7.2 (read); after 6.1' }],
    meaning:
      "That CPU's VMX capabilities differ from the boot CPU's (the lines after it list the differing words): " +
      'kvm_intel refused to load.',
    fix:
      'Make all CPUs alike: update the firmware and CPU microcode, and use the same virtualization settings ' +
      'for every socket in the BIOS/UEFI setup.',
  },
  {
    id: 'vmcs-config-failed',
    cause: 'cpus-differ',
    pattern: /^kvm_intel: Failed to setup VMCS config on CPU (?<cpu>\d+)$/,
    vendor: 'intel',
    format7_2: {
      file: 'arch/x86/kvm/vmx/vmx.c',
      format: 'kvm_intel: Failed to setup VMCS config on CPU %d\n',
      modname: 'kvm_intel',
    },
    sources: [{ file: 'arch/x86/kvm/vmx/vmx.c vmx_check_processor_compat()', kernels: '7.2 (read); after 6.1' }],
    meaning: 'That CPU lacks VMX controls KVM requires: kvm_intel refused to load.',
    fix: 'Update the firmware and CPU microcode; inside a VM, give it a CPU model with full VMX (e.g. QEMU -cpu host).',
  },

  // --- module parameters --------------------------------------------------------------
  {
    id: 'parameter-invalid',
    cause: 'parameter-rejected',
    // kernel/params.c parse_args(): pr_err("%s: `%s' invalid for parameter `%s'\n", doing, val, param);
    // `doing` is the module's name when it loads (kernel/module.c load_module()). Read in 5.10,
    // 6.1; the same text in 7.2 (no pr_fmt in params.c), checked against it.
    pattern: new RegExp(`^${KVM_MODULE}: \`(?<value>.*)' (?:invalid|too large) for parameter \`(?<parameter>\\w+)'$`),
    vendor: 'any',
    format7_2: { file: 'kernel/params.c', format: "%s: `%s' invalid for parameter `%s'\n" },
    sources: [{ file: 'kernel/params.c parse_args()', kernels: '5.10, 6.1 (read), 7.2' }],
    meaning: 'The module refused to load: the value given for that parameter is not valid.',
    fix:
      'Correct or remove that option (in /etc/modprobe.d/*.conf or on the kernel command line), then load the ' +
      'module again.',
  },
  {
    id: 'parameter-unknown',
    cause: 'parameter-ignored',
    // kernel/module.c (5.10) and kernel/module/main.c (6.1) unknown_module_param_cb():
    // pr_warn("%s: unknown parameter '%s' ignored\n", modname, param).
    pattern: new RegExp(`^${KVM_MODULE}: unknown parameter '(?<parameter>[\\w.-]+)' ignored$`),
    vendor: 'any',
    format7_2: { file: 'kernel/module/main.c', format: "%s: unknown parameter '%s' ignored\n" },
    sources: [
      { file: 'kernel/module.c / kernel/module/main.c unknown_module_param_cb()', kernels: '5.10, 6.1 (read), 7.2' },
    ],
    meaning: 'This kernel does not know that module parameter: it was ignored (the module loaded without it).',
    fix:
      "Remove the option, or use the parameter name of this kernel's version of the module (see " +
      '/sys/module/NAME/parameters).',
  },
  {
    id: 'module-blacklisted',
    cause: 'module-blacklisted',
    // kernel/module.c (5.10) and kernel/module/main.c (6.1) load_module(): pr_err("Module %s is
    // blacklisted\n") for a name in module_blacklist=, and the load fails with EPERM; the same
    // in 7.2's kernel/module/main.c, checked against it.
    pattern: new RegExp(`^Module ${KVM_MODULE} is blacklisted$`),
    vendor: 'any',
    format7_2: { file: 'kernel/module/main.c', format: 'Module %s is blacklisted\n' },
    sources: [{ file: 'kernel/module.c / kernel/module/main.c load_module()', kernels: '5.10, 6.1 (read), 7.2' }],
    meaning: 'The kernel command line lists this module in module_blacklist=: the kernel refused to load it.',
    fix:
      'Remove the module from module_blacklist= on the kernel command line (the boot loader configuration) and ' +
      'reboot.',
  },
];

/** The first row whose pattern matches the message, with its captures. */
export function matchKvmBringupMessage(
  message: string,
): { row: KvmBringupMessage; groups: Record<string, string> } | undefined {
  const text = message.trimEnd();
  for (const row of KVM_BRINGUP_MESSAGES) {
    const match = row.pattern.exec(text);
    if (match) {
      const groups: Record<string, string> = {};
      for (const [name, value] of Object.entries(match.groups ?? {})) if (value !== undefined) groups[name] = value;
      return { row, groups };
    }
  }
  return undefined;
}
