// Scratch hosts for the KVM bring-up tests: a --root tree (proc, sys/module, lib/modules,
// dev/cpu/0/msr, container markers) and a kernel log, each modelled on public facts named in
// its `sources`, probed as `kvm-caps snapshot --root ROOT --kernel-log FILE` would and reloaded.
import { chmodSync, closeSync, mkdirSync, mkdtempSync, openSync, rmSync, writeFileSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import type { TestContext } from 'node:test';
import { MSR_IA32_FEATURE_CONTROL, MSR_VM_CR } from '../../lib/snapshot/bringup-files.js';
import { loadSnapshot } from '../../lib/snapshot/load.js';
import { probeHost } from '../../lib/snapshot/probe.js';
import type { Snapshot } from '../../lib/snapshot/types.js';

export interface ScratchHost {
  /** Where each value comes from. */
  sources: string[];
  release: string;
  cpuinfo: string;
  cmdline: string;
  /** /sys/module entries: initstate (null: built in) and parameters. */
  sysModules: Record<string, { initstate: string | null; parameters?: Record<string, string> }>;
  /** /lib/modules/<release>/modules.dep and modules.builtin lines; absent: no /lib/modules. */
  moduleFiles?: { dep: string[]; builtin: string[] };
  /** The firmware MSR's value at its offset in dev/cpu/0/msr; absent: no msr driver. */
  msr?: { index: number; value: bigint };
  container?: { dockerenv: boolean; cgroup: string[] };
  log: string;
}

export function scratchDir(t: TestContext): string {
  const dir = mkdtempSync(join(tmpdir(), 'kvm-caps-bringup-'));
  chmodSync(dir, 0o755);
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

function put(root: string, path: string, text: string): void {
  mkdirSync(dirname(join(root, path)), { recursive: true });
  writeFileSync(join(root, path), text);
}

/** An MSR as the msr driver shows it: 8 little-endian bytes at the MSR's index as file offset (a sparse file here). */
export function putMsr(root: string, index: number, value: bigint): string {
  const path = join(root, 'dev/cpu/0/msr');
  mkdirSync(dirname(path), { recursive: true });
  const bytes = Buffer.alloc(8);
  bytes.writeBigUInt64LE(value);
  const fd = openSync(path, 'w', 0o600);
  try {
    writeSync(fd, bytes, 0, 8, index);
  } finally {
    closeSync(fd);
  }
  return path;
}

export function build(root: string, host: ScratchHost): void {
  put(root, 'proc/sys/kernel/osrelease', `${host.release}\n`);
  put(root, 'proc/cpuinfo', host.cpuinfo);
  put(root, 'proc/cmdline', `${host.cmdline}\n`);
  put(root, 'proc/1/cgroup', `${(host.container?.cgroup ?? ['0::/init.scope']).join('\n')}\n`);
  if (host.container?.dockerenv) put(root, '.dockerenv', '');
  for (const [name, module] of Object.entries(host.sysModules)) {
    mkdirSync(join(root, 'sys/module', name), { recursive: true });
    if (module.initstate !== null) put(root, `sys/module/${name}/initstate`, `${module.initstate}\n`);
    for (const [parameter, value] of Object.entries(module.parameters ?? {}))
      put(root, `sys/module/${name}/parameters/${parameter}`, `${value}\n`);
  }
  if (host.moduleFiles) {
    put(root, `lib/modules/${host.release}/modules.dep`, host.moduleFiles.dep.map((line) => `${line}\n`).join(''));
    put(
      root,
      `lib/modules/${host.release}/modules.builtin`,
      host.moduleFiles.builtin.map((line) => `${line}\n`).join(''),
    );
  }
  if (host.msr) putMsr(root, host.msr.index, host.msr.value);
  put(root, 'kernel-log.txt', host.log);
}

/** Probes the scratch host as `kvm-caps snapshot --root ROOT --kernel-log FILE` would, saves and reloads it. */
export async function probedSnapshot(
  t: TestContext,
  host: ScratchHost,
): Promise<{ snapshot: Snapshot; root: string; saved: string }> {
  const root = scratchDir(t);
  build(root, host);
  const probed = await probeHost({
    root,
    device: join(root, 'dev/kvm'),
    sevDevice: join(root, 'dev/sev'),
    kernelLog: join(root, 'kernel-log.txt'),
  });
  const saved = join(root, 'snapshot.json');
  writeFileSync(saved, JSON.stringify(probed));
  const snapshot = loadSnapshot(saved);
  return { snapshot, root, saved };
}

export const cpuinfo = (vendor: string, model: string, flags: string): string =>
  `processor\t: 0\nvendor_id\t: ${vendor}\nmodel name\t: ${model}\nflags\t\t: ${flags}\n\nprocessor\t: ` +
  `1\nvendor_id\t: ${vendor}\n`;

// A kvm-pvm guest whose backend would not bind: the kernel command line and /sys/module of a
// 6.18 kernel with kvm and kvm_pvm built in (no initstate), booted with nomodule, no /lib/modules;
// the "not binding" line as such a guest logged it (test/fixtures/kernel-logs/kvm-pvm-not-binding.txt).
export const PVM_GUEST: ScratchHost = {
  sources: [
    '/proc/cmdline, /proc/cpuinfo flags and /sys/module of a 6.18 kvm_pvm guest kernel',
    'kernel-logs/kvm-pvm-not-binding.txt',
  ],
  release: '6.18.44',
  cpuinfo: cpuinfo('AuthenticAMD', 'AMD EPYC', 'fpu vme de pse tsc msr pae mce cx8 apic sep hypervisor lahf_lm'),
  cmdline: 'console=ttyS0 quiet reboot=k panic=1 nomodule random.trust_cpu=1 -- --init-arg',
  sysModules: {
    kvm: { initstate: null, parameters: { tdp_mmu: 'Y' } },
    kvm_pvm: { initstate: null, parameters: { verbose: 'N' } },
  },
  log:
    '[    0.000000] Hypervisor detected: KVM\n[    0.369955] kvm-pvm: this kernel is itself a kvm-pvm guest; ' +
    'not binding\n',
};

// An Intel host on Debian 12's 6.1 kernel (kvm, kvm-intel, kvm-amd as modules) whose firmware
// locked IA32_FEATURE_CONTROL with VMX off: value 0x1 is the case kvm-ok reports ("(msr & 0x5)
// == 0x1"); 6.1's feat_ctl.c and x86.c lines (linux-source-6.1 6.1.192); kvm stays loaded,
// kvm_intel's init failed, the vmx flag is cleared (since 5.6).
export const INTEL_FIRMWARE_OFF: ScratchHost = {
  sources: [
    'arch/x86/kernel/cpu/feat_ctl.c, arch/x86/kvm/x86.c of 6.1.192',
    "kvm-ok's IA32_FEATURE_CONTROL test",
    "Debian 6.1 kernels' modules.dep",
  ],
  release: '6.1.0-28-amd64',
  cpuinfo: cpuinfo(
    'GenuineIntel',
    'Intel(R) Xeon(R) CPU E5-2620 v4',
    'fpu vme de pse tsc msr pae mce cx8 apic sep mtrr pge mca cmov pat pse36 clflush est tm2 ssse3 cx16 xtpr ' +
      'pdcm pcid sse4_1 sse4_2',
  ),
  cmdline: 'BOOT_IMAGE=/boot/vmlinuz-6.1.0-28-amd64 root=UUID=0e2f ro quiet',
  sysModules: { kvm: { initstate: 'live', parameters: { tdp_mmu: 'Y' } } },
  moduleFiles: {
    // Abridged to the KVM modules (their dependencies beyond kvm.ko left out); no KVM module is built in.
    dep: [
      'kernel/arch/x86/kvm/kvm.ko:',
      'kernel/arch/x86/kvm/kvm-intel.ko: kernel/arch/x86/kvm/kvm.ko',
      'kernel/arch/x86/kvm/kvm-amd.ko: kernel/arch/x86/kvm/kvm.ko',
    ],
    builtin: [],
  },
  msr: { index: MSR_IA32_FEATURE_CONTROL, value: 0x1n },
  log:
    '[    0.000000] Linux version 6.1.0-28-amd64 (debian-kernel@lists.debian.org)\n[    0.081233] x86/cpu: VMX ' +
    "(outside TXT) disabled by BIOS\n[    9.336402] kvm: support for 'kvm_intel' disabled by bios\n",
};

// An AMD host on 7.2 whose firmware set VM_CR.SVMDIS and LOCK (0x18: msr-index.h's
// SVM_VM_CR_SVM_LOCK_MASK | SVM_VM_CR_SVM_DIS_MASK); kvm_amd as a module, the nested parameter
// of a loaded kvm_amd is absent because it did not load; amd.c's and svm.c's 7.2 lines.
export const AMD_FIRMWARE_OFF: ScratchHost = {
  sources: [
    'arch/x86/kernel/cpu/amd.c, arch/x86/kvm/svm/svm.c, arch/x86/include/asm/msr-index.h of linux-source-7.2',
    'kernel-logs/kvm-svm-disabled-by-bios-7.2.txt',
  ],
  release: '7.2.0-1-amd64',
  cpuinfo: cpuinfo(
    'AuthenticAMD',
    'AMD EPYC 9124 16-Core Processor',
    'fpu vme de pse tsc msr pae mce cx8 apic sep mtrr pge mca cmov pat',
  ),
  cmdline:
    'BOOT_IMAGE=/boot/vmlinuz-7.2.0-1-amd64 root=UUID=0e2f ro modprobe.blacklist=kvm_intel,nouveau ' +
    'module_blacklist=kvm-intel',
  sysModules: { kvm: { initstate: 'live' } },
  moduleFiles: {
    dep: [
      'kernel/arch/x86/kvm/kvm.ko.xz:',
      'kernel/arch/x86/kvm/kvm-amd.ko.xz: kernel/arch/x86/kvm/kvm.ko.xz',
      'kernel/arch/x86/kvm/kvm-intel.ko.xz: kernel/arch/x86/kvm/kvm.ko.xz',
    ],
    builtin: [],
  },
  msr: { index: MSR_VM_CR, value: 0x18n },
  container: { dockerenv: true, cgroup: ['0::/system.slice/docker-3f2a.scope'] },
  log: '[    0.052101] SVM disabled (by BIOS) in MSR_VM_CR\n[    8.311470] kvm_amd: SVM not supported by CPU 0\n',
};
