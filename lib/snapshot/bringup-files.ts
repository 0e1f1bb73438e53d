// Host facts that say why KVM did or did not come up, read from files: the kernel command
// line, whether each KVM module is built in or a loadable file, the firmware's
// virtualization switch in an MSR, who may open the device node, and whether we run in a
// container. All read-only; nothing here loads a module or changes the host.
import { execFileSync } from 'node:child_process';
import { accessSync, constants, existsSync, readFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { cpuVendor } from '../knowledge/cpu-vendors.js';
import { hex } from '../knowledge/hex.js';
import { attempt, toProbeError } from './facts.js';
import { underRoot } from './host-files.js';
import { readMsr } from './msr.js';
import type { ContainerMarkers, DeviceAccess, DeviceAcl, Fact, FirmwareMsr, ModuleFiles } from './types.js';

/** <root>/proc/cmdline, as the kernel has it (nomodule, module_blacklist=, modprobe.blacklist=, ...). */
export function kernelCmdline(root: string): Fact<string> {
  const file = underRoot(root, '/proc/cmdline');
  return attempt({ file }, () => readFileSync(file, 'utf8').trim());
}

/** A module file's name as /sys/module spells it: kvm-intel.ko.xz -> kvm_intel. */
function moduleName(path: string): string {
  return basename(path.trim().split(':')[0] ?? '')
    .replace(/\.ko(?:\.\w+)?$/, '')
    .replace(/-/g, '_');
}

/**
 * Which KVM modules this kernel has built in (modules.builtin) and which as loadable files
 * (modules.dep), from <root>/lib/modules/<release>/. A module in neither is not in this
 * kernel's build at all.
 */
export function kvmModuleFiles(root: string, release: string): Fact<ModuleFiles> {
  const dir = underRoot(root, `/lib/modules/${release}`);
  // A release read from a file under --root can hold anything; one that is not a single file
  // name (a '/', a NUL) names no module directory, and a NUL would make Node throw rather than fail.
  if (/[/\0]/.test(release) || release === '.' || release === '..') {
    const shown = JSON.stringify(release);
    return {
      source: { directory: dir },
      error: {
        code: 'EINVAL',
        errno: -22,
        syscall: 'open',
        path: dir,
        message: `EINVAL: the kernel release ${shown} is not a directory name, open ${shown}`,
      },
    };
  }
  return attempt({ directory: dir }, () => {
    const kvm = (name: string): boolean => name === 'kvm' || name.startsWith('kvm_');
    const loadable = readFileSync(join(dir, 'modules.dep'), 'utf8').split('\n').map(moduleName).filter(kvm);
    let builtin: string[] = [];
    try {
      builtin = readFileSync(join(dir, 'modules.builtin'), 'utf8').split('\n').map(moduleName).filter(kvm);
    } catch (error) {
      if (toProbeError(error).code !== 'ENOENT') throw error; // Older depmod trees lack it.
    }
    return { builtin: [...new Set(builtin)].sort(), loadable: [...new Set(loadable)].sort() };
  });
}

/** IA32_FEATURE_CONTROL: lock (bit 0), VMX inside SMX (bit 1), VMX outside SMX (bit 2). */
export const MSR_IA32_FEATURE_CONTROL = 0x3a;
/** AMD VM_CR: SVMDIS (bit 4), LOCK (bit 3). */
export const MSR_VM_CR = 0xc0010114;

/** The MSR holding the firmware's virtualization switch for this CPU vendor, if we know one. */
export function firmwareSwitchMsr(vendorId: string | undefined): number | undefined {
  const flag = cpuVendor(vendorId)?.flag;
  return flag === undefined ? undefined : flag === 'vmx' ? MSR_IA32_FEATURE_CONTROL : MSR_VM_CR;
}

/**
 * The firmware's switch MSR of CPU 0, read as kvm-ok reads it, through the one MSR reader
 * (msr.ts: an 8-byte read-only pread at the MSR's index). The driver must be there already
 * (ENOENT otherwise: it is never loaded for this) and needs CAP_SYS_RAWIO (EPERM/EACCES
 * otherwise). Read under --root like /dev/kmsg, so a saved copy (a file with the value at that
 * offset) replays.
 */
export function firmwareMsr(root: string, index: number): Fact<FirmwareMsr> {
  const fact = readMsr(root, 0, index);
  return 'value' in fact ? { source: fact.source, value: { index: hex(index), value: fact.value } } : fact;
}

/** access(2) on the device node for this process: what its mode, group and any ACL allow us. */
export function deviceAccess(device: string): Fact<DeviceAccess> {
  return attempt({ syscall: 'access', path: device }, () => {
    accessSync(device, constants.F_OK);
    const allowed = (mode: number): boolean => {
      try {
        accessSync(device, mode);
        return true;
      } catch (error) {
        if (toProbeError(error).code === 'EACCES') return false;
        throw error;
      }
    };
    return { read: allowed(constants.R_OK), write: allowed(constants.W_OK) };
  });
}

/**
 * The device's POSIX ACL (system.posix_acl_access). Node has no xattr call and the addon
 * issues only ioctls, so the ACL is read by `getfacl` where it is installed; where it is not,
 * the spawn's ENOENT is recorded and the ACL stays unread (deviceAccess still says what it
 * allows us). Entries are numeric (`user:1000:rw-`), to compare with our uid and groups.
 */
export function deviceAcl(device: string): Fact<DeviceAcl> {
  return attempt({ syscall: 'spawn getfacl', path: device }, () => {
    try {
      const text = execFileSync('getfacl', ['--omit-header', '--absolute-names', '--numeric', '--', device], {
        encoding: 'utf8',
        stdio: ['ignore', 'pipe', 'pipe'],
        timeout: 5000,
      });
      return {
        entries: text
          .split('\n')
          .map((line) => line.trim())
          .filter((line) => line !== '' && !line.startsWith('#')),
      };
    } catch (error) {
      const status = (error as { status?: unknown }).status;
      // getfacl ran and failed (its message says why): recorded, not thrown.
      if (typeof status === 'number')
        return { entries: null, stderr: String((error as { stderr?: unknown }).stderr ?? '').trim() };
      throw error;
    }
  });
}

/** Files container runtimes leave, checked under root. */
const CONTAINER_FILES = ['/.dockerenv', '/run/.containerenv'];

/**
 * Signs that this process runs in a container: the runtimes' marker files, systemd's
 * /run/systemd/container, and PID 1's cgroup lines (docker/, kubepods, lxc, ...).
 */
export function containerMarkers(root: string): Fact<ContainerMarkers> {
  const file = underRoot(root, '/proc/1/cgroup');
  return attempt({ file }, () => {
    const markers = CONTAINER_FILES.filter((path) => existsSync(underRoot(root, path)));
    let systemdContainer: string | null = null;
    try {
      systemdContainer = readFileSync(underRoot(root, '/run/systemd/container'), 'utf8').trim();
    } catch (error) {
      if (toProbeError(error).code !== 'ENOENT') throw error;
    }
    const pid1Cgroup = readFileSync(file, 'utf8')
      .split('\n')
      .filter((line) => line !== '');
    return { markers, systemdContainer, pid1Cgroup };
  });
}
