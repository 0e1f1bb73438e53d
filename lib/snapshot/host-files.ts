// Host facts read from files: procfs, sysfs and /etc, all under a configurable root so
// that a container with the host's filesystem mounted elsewhere reads the host's.
import { readdirSync, statSync, type Stats } from 'node:fs';
import { join } from 'node:path';
import { MiB, readBounded, utf8Text } from './bounded-read.js';
import { attempt, toProbeError } from './facts.js';
import type { DeviceNode, Fact, HostFacts, KernelModule, ProbeError } from './types.js';

export function underRoot(root: string, path: string): string {
  return join(root, path);
}

/**
 * The most read of any one host file. The largest, /proc/cpuinfo, is a few KiB per CPU: about
 * 3 MiB for 1024 CPUs. A root that puts something else there (a FIFO, a device, a huge file)
 * gets a recorded failure for that fact (EINVAL, EFBIG) instead of a read that never ends.
 */
export const MAX_HOST_FILE_BYTES = 16 * MiB;

function readText(path: string): string {
  return utf8Text(readBounded(path, MAX_HOST_FILE_BYTES, 'refuse').bytes);
}

export function kernelRelease(root: string): Fact<string> {
  const file = underRoot(root, '/proc/sys/kernel/osrelease');
  return attempt({ file }, () => readText(file).trim());
}

/** The first processor block of /proc/cpuinfo: every CPU of a host reports the same features. */
export function parseCpuinfo(text: string): Record<string, string> {
  const fields: Record<string, string> = {};
  for (const line of text.split('\n')) {
    if (line.trim() === '') {
      if (Object.keys(fields).length > 0) break;
      continue;
    }
    const colon = line.indexOf(':');
    if (colon < 0) continue;
    const key = line.slice(0, colon).trim();
    if (!(key in fields)) fields[key] = line.slice(colon + 1).trim();
  }
  return fields;
}

export function cpuinfo(root: string): Fact<Record<string, string>> {
  const file = underRoot(root, '/proc/cpuinfo');
  return attempt({ file }, () => parseCpuinfo(readText(file)));
}

/** KVM's modules: kvm itself and every vendor or backend module (kvm_intel, kvm_amd, kvm_pvm, ...). */
export function kvmModules(root: string): Fact<Record<string, KernelModule>> {
  const directory = underRoot(root, '/sys/module');
  return attempt({ directory }, () => {
    const modules: Record<string, KernelModule> = {};
    for (const name of readdirSync(directory).sort()) {
      if (name === 'kvm' || name.startsWith('kvm_')) modules[name] = kernelModule(join(directory, name));
    }
    return modules;
  });
}

function kernelModule(dir: string): KernelModule {
  let initstate: string | null = null;
  try {
    initstate = readText(join(dir, 'initstate')).trim();
  } catch (error) {
    // Built-in modules have no initstate; any other failure is a real error.
    if (toProbeError(error).code !== 'ENOENT') throw error;
  }
  const parameters: Record<string, string | ProbeError> = {};
  let names: string[] = [];
  try {
    names = readdirSync(join(dir, 'parameters')).sort();
  } catch (error) {
    if (toProbeError(error).code !== 'ENOENT') throw error; // A module without parameters.
  }
  for (const name of names) {
    try {
      parameters[name] = readText(join(dir, 'parameters', name)).trim();
    } catch (error) {
      parameters[name] = toProbeError(error); // Write-only (0200) parameters fail with EACCES.
    }
  }
  return { initstate, parameters };
}

/** Maps ids to names in an /etc/passwd or /etc/group file; missing files give an empty map. */
function idNames(file: string): Map<number, string> {
  const names = new Map<number, string>();
  let text = '';
  try {
    text = readText(file);
  } catch {
    return names; // A root without /etc (a bare sysfs mount) only loses the names.
  }
  for (const line of text.split('\n')) {
    const [name, , id] = line.split(':');
    if (name && id !== undefined && /^\d+$/.test(id) && !names.has(Number(id))) names.set(Number(id), name);
  }
  return names;
}

function fileType(stats: Stats): string {
  if (stats.isCharacterDevice()) return 'character';
  if (stats.isBlockDevice()) return 'block';
  if (stats.isFile()) return 'file';
  if (stats.isDirectory()) return 'directory';
  return 'other';
}

/**
 * The device node's type, permissions and owner. The device path is not under root: it is the node this process opens.
 */
export function deviceNode(root: string, device: string): Fact<DeviceNode> {
  return attempt({ syscall: 'stat', path: device }, () => {
    const stats = statSync(device);
    const rdev = stats.rdev;
    return {
      type: fileType(stats),
      mode: stats.mode & 0o7777,
      uid: stats.uid,
      gid: stats.gid,
      owner: idNames(underRoot(root, '/etc/passwd')).get(stats.uid) ?? null,
      group: idNames(underRoot(root, '/etc/group')).get(stats.gid) ?? null,
      // Linux's new_decode_dev(): 12-bit major above the low 8 bits of the minor.
      major: (rdev >> 8) & 0xfff,
      minor: (rdev & 0xff) | ((rdev >> 12) & 0xfff00),
    };
  });
}

/** Lines of "name value" (misc.capacity, misc.current); "max" counts as unlimited and is skipped. */
function parseCounts(text: string): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const line of text.split('\n')) {
    const [name, value] = line.trim().split(/\s+/);
    if (name && value !== undefined && /^\d+$/.test(value)) counts[name] = Number(value);
  }
  return counts;
}

/**
 * The misc cgroup controller's file at the root cgroup: cgroup v2 keeps it at
 * /sys/fs/cgroup/misc.<name>, v1 under /sys/fs/cgroup/misc/.
 */
export function miscCgroup(root: string, name: 'capacity' | 'current'): Fact<Record<string, number>> {
  const v2 = underRoot(root, `/sys/fs/cgroup/misc.${name}`);
  const v1 = underRoot(root, `/sys/fs/cgroup/misc/misc.${name}`);
  const first = attempt({ file: v2 }, () => parseCounts(readText(v2)));
  if ('value' in first || first.error.code !== 'ENOENT') return first;
  const second = attempt({ file: v1 }, () => parseCounts(readText(v1)));
  return 'value' in second ? second : first;
}

const TDX_HOST = '/sys/devices/faux/tdx_host';

/** The TDX module version the TDX host device shows (Linux 7.2+). */
export function tdxModuleVersion(root: string): Fact<string> {
  const file = underRoot(root, `${TDX_HOST}/version`);
  return attempt({ file }, () => readText(file).trim());
}

/** "Max locked memory  65536  65536  bytes" -> numbers; "unlimited" -> null. */
export function parseMemlock(text: string): { soft: number | null; hard: number | null } {
  const line = text.split('\n').find((l) => l.startsWith('Max locked memory'));
  const m = line === undefined ? null : /^Max locked memory\s+(\S+)\s+(\S+)/.exec(line);
  if (!m)
    throw Object.assign(new Error('no "Max locked memory" line'), { code: 'EINVAL', errno: -22, syscall: 'read' });
  const value = (v: string): number | null => (v === 'unlimited' ? null : Number(v));
  return { soft: value(m[1]!), hard: value(m[2]!) };
}

/**
 * RLIMIT_MEMLOCK of this process, from /proc/self/limits: the limit belongs to the process
 * (and what it starts, like a VMM), not to the host whose files --root names.
 */
export function memlockLimit(): NonNullable<HostFacts['memlockLimit']> {
  const file = '/proc/self/limits';
  return attempt({ file }, () => parseMemlock(readText(file)));
}

/**
 * The PSP's sysfs attributes (drivers/crypto/ccp/sp-pci.c and hsti.c at v7.2): the firmware
 * versions where the platform exposes them, and the security state the PSP reports. Each is
 * a read-only file that appears only where the kernel makes it visible.
 */
export const PSP_SYSFS_ATTRIBUTES = [
  'bootloader_version',
  'tee_version',
  'fused_part',
  'debug_lock_on',
  'tsme_status',
  'anti_rollback_status',
  'boot_integrity',
  'rpmc_production_enabled',
  'rpmc_spirom_available',
  'hsp_tpm_available',
  'rom_armor_enforced',
] as const;

/**
 * The PSP's attributes, found through the ccp driver's directory: its PCI devices are the
 * entries named like a PCI address. The first device that has any attribute is the PSP;
 * attributes it does not show are left out, other read errors are kept.
 */
export function pspSysfs(root: string): NonNullable<HostFacts['pspSysfs']> {
  const directory = underRoot(root, '/sys/bus/pci/drivers/ccp');
  return attempt({ directory }, () => {
    const devices = readdirSync(directory)
      .filter((name) => /^[0-9a-f]{4}:[0-9a-f]{2}:[0-9a-f]{2}\.[0-7]$/i.test(name))
      .sort();
    let first: { device: string; attributes: Record<string, string | ProbeError> } | undefined;
    for (const device of devices) {
      const attributes: Record<string, string | ProbeError> = {};
      for (const name of PSP_SYSFS_ATTRIBUTES) {
        try {
          attributes[name] = readText(join(directory, device, name)).trim();
        } catch (error) {
          const problem = toProbeError(error);
          if (problem.code !== 'ENOENT') attributes[name] = problem;
        }
      }
      first ??= { device, attributes };
      if (Object.keys(attributes).length > 0) return { device, attributes };
    }
    return first ?? { device: '', attributes: {} };
  });
}

/**
 * The TDX host device's runtime-update files (Linux 7.2+): the P-SEAMLDR version and how many
 * module updates remain before a reboot. They exist only where the module supports runtime
 * update and the CPU lacks the SEAMRET bug, and are readable by root only (ENOENT / EACCES
 * otherwise, kept as the facts' errors). Each read makes the kernel ask the P-SEAMLDR
 * (SEAMLDR.INFO): a query, but a firmware call. The update upload interface is never touched.
 */
export function tdxRuntimeUpdate(root: string): { seamldrVersion: Fact<string>; numRemainingUpdates: Fact<string> } {
  const read = (name: string): Fact<string> => {
    const file = underRoot(root, `${TDX_HOST}/${name}`);
    return attempt({ file }, () => readText(file).trim());
  };
  return { seamldrVersion: read('seamldr_version'), numRemainingUpdates: read('num_remaining_updates') };
}
