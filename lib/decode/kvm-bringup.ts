// KVM bring-up, decoded from a snapshot: what the kernel logged about VMX/SVM and KVM's
// modules (matched against lib/knowledge/kvm-bringup.ts), whether each module is built in,
// loaded, loadable or absent, what the command line forbids, the firmware switch's bits,
// nested virtualization, the device node's access and whether we run in a container.
// Facts only, each a Traced value with where it came from: judging them is lib/check's work.
import { matchKvmBringupMessage, type KvmBringupCause } from '../knowledge/kvm-bringup.js';
import { hasValue } from '../snapshot/facts.js';
import { inNewestBoot } from '../snapshot/log-formats.js';
import type { KernelLogRecord, KernelModule, Snapshot } from '../snapshot/types.js';
import { probeFailure } from './failure.js';
import { describeSource, probed, trace, type Probed, type Traced } from './sourced.js';

/** What a fact that was not in the snapshot says: the probe did not read it (not asked, or an older kvm-caps). */
const NOT_READ = 'not read';

export interface BringupLogMatch {
  /** The wording's id in KVM_BRINGUP_MESSAGES. */
  id: string;
  cause: KvmBringupCause;
  /** The record as the snapshot holds it, and its index in the snapshot's kernelLog. */
  record: KernelLogRecord;
  index: number;
  /** Captures: cpu, module, txt, value, parameter, hypervisor, reason. */
  groups: Record<string, string>;
  /** The log the record is in. */
  source: string;
}

export interface BringupLog {
  /** Matches in the newest boot (the one judged). */
  matches: BringupLogMatch[];
  /** Matches in older boots of a saved log, shown as such. */
  olderBoots: BringupLogMatch[];
  /** How many boots the log holds (1 for /dev/kmsg). */
  boots: number;
}

/** kvm, kvm_intel, kvm_amd, kvm_pvm, ...: how each is present in this kernel. */
export type ModuleState =
  /** In /sys/module without initstate: compiled into the kernel (modprobe cannot load or unload it). */
  | 'built-in'
  /** Loaded from a .ko file (initstate "live", or "coming"/"going" while it changes). */
  | 'loaded'
  /** Not loaded; a .ko file for it is in /lib/modules/<release>/modules.dep. */
  | 'loadable'
  /** Not loaded; modules.builtin lists it (its init may have failed, and it has no parameters shown). */
  | 'built-in-not-registered'
  /** Not loaded, and this kernel's build has no such module. */
  | 'absent'
  /** Not loaded; whether a file exists could not be read. */
  | 'not-loaded';

export interface ModuleFacts {
  state: ModuleState;
  /** /sys/module/<name>/initstate, when the module is there. */
  initstate: string | null;
  /** The `nested` parameter as the module shows it (kvm_intel: Y/N, kvm_amd: 1/0), when it has one. */
  nested?: string;
}

export interface CmdlineFacts {
  /** `nomodule`: no module can be loaded at all this boot. */
  nomodule: boolean;
  /**
   * Module names (with _) listed by module_blacklist= (the kernel refuses them) and modprobe.blacklist= (modprobe skips
   * them).
   */
  moduleBlacklist: string[];
  modprobeBlacklist: string[];
  /** kvm*.param=value options, by module (with _) and parameter. */
  moduleParameters: Record<string, Record<string, string>>;
}

export type FirmwareSwitch =
  | {
      msr: 'IA32_FEATURE_CONTROL';
      value: string;
      locked: boolean;
      vmxInsideSmx: boolean;
      vmxOutsideSmx: boolean;
    }
  | { msr: 'VM_CR'; value: string; locked: boolean; svmDisabled: boolean };

export interface CpuFacts {
  vendor: string | null;
  vmx: boolean;
  svm: boolean;
  /** CPUID.1:ECX[31]: a hypervisor runs this kernel. */
  hypervisorFlag: boolean;
  /** The hypervisor the kernel logged ("Hypervisor detected: KVM"), newest boot. */
  hypervisorLogged: string | null;
}

/** The KVM device node as stat(2) shows it, read against this process's uid and groups. */
export interface DeviceNodeFacts {
  mode: number;
  group: string | null;
  /** The node's group is our primary or a supplementary group. */
  inDeviceGroup: boolean;
  ownedByUs: boolean;
}

export interface DeviceFacts {
  node: Traced<DeviceNodeFacts>;
  /** access(2) for this process (mode, group and ACL together). */
  access: Traced<{ read: boolean; write: boolean }>;
  /** ACL entries naming our uid or one of our groups (numeric), beyond user::/group::/other::. */
  aclEntriesForUs: string[] | null;
  /** getfacl's entries; null when getfacl failed (its error is the snapshot's `stderr`). */
  acl: Traced<string[] | null>;
}

export interface ContainerFacts {
  /** The evidence found: marker files, /run/systemd/container, PID 1's cgroup paths. */
  evidence: string[];
  inContainer: boolean;
}

export interface KvmBringupModel {
  log: Traced<BringupLog>;
  modules: Probed<Record<string, ModuleFacts>>;
  cmdline: Traced<CmdlineFacts>;
  /** IA32_FEATURE_CONTROL (Intel) or VM_CR (AMD) on CPU 0; missing: not read, or no such MSR for this vendor. */
  firmwareSwitch: Traced<FirmwareSwitch>;
  cpu: Probed<CpuFacts>;
  device: DeviceFacts;
  container: Traced<ContainerFacts>;
}

/** The module names every model lists, loaded or not: KVM and its in-tree vendor modules. */
const KVM_MODULES = ['kvm', 'kvm_intel', 'kvm_amd'];

function decodeLog(snapshot: Snapshot): KvmBringupModel['log'] {
  const fact = snapshot.host.kernelLog;
  return trace(
    fact,
    (records) => {
      const source = describeSource(fact!.source);
      const log: BringupLog = { matches: [], olderBoots: [], boots: 1 };
      records.forEach((record, index) => {
        log.boots = Math.max(log.boots, (record.boot ?? 0) + 1);
        const found = matchKvmBringupMessage(record.message);
        if (!found) return;
        const match: BringupLogMatch = {
          id: found.row.id,
          cause: found.row.cause,
          record,
          index,
          groups: found.groups,
          source,
        };
        (inNewestBoot(record) ? log.matches : log.olderBoots).push(match);
      });
      return log;
    },
    NOT_READ,
  );
}

function decodeModules(snapshot: Snapshot): KvmBringupModel['modules'] {
  return probed(snapshot.host.modules, (loaded) => moduleFacts(snapshot, loaded));
}

function moduleFacts(snapshot: Snapshot, loaded: Record<string, KernelModule>): Record<string, ModuleFacts> {
  const files =
    snapshot.host.moduleFiles && hasValue(snapshot.host.moduleFiles) ? snapshot.host.moduleFiles.value : undefined;
  const names = new Set([
    ...KVM_MODULES,
    ...Object.keys(loaded),
    ...(files?.builtin ?? []),
    ...(files?.loadable ?? []),
  ]);
  const modules: Record<string, ModuleFacts> = {};
  for (const name of [...names].sort()) {
    const present = loaded[name];
    let state: ModuleState;
    if (present) state = present.initstate === null ? 'built-in' : 'loaded';
    else if (files?.builtin.includes(name)) state = 'built-in-not-registered';
    else if (files?.loadable.includes(name)) state = 'loadable';
    else state = files ? 'absent' : 'not-loaded';
    const facts: ModuleFacts = { state, initstate: present?.initstate ?? null };
    const nested = present?.parameters.nested;
    if (typeof nested === 'string') facts.nested = nested;
    modules[name] = facts;
  }
  return modules;
}

/** Module names as the kernel compares them: '-' and '_' are the same. */
const moduleKey = (name: string): string => name.replace(/-/g, '_');

/** Splits a command line as the kernel does: spaces separate, double quotes group; `--` ends the kernel's part. */
export function cmdlineWords(text: string): string[] {
  const words: string[] = [];
  for (const match of text.matchAll(/(?:[^\s"]+|"[^"]*")+/g)) {
    const word = match[0].replace(/"/g, '');
    if (word === '--') break;
    words.push(word);
  }
  return words;
}

function decodeCmdline(snapshot: Snapshot): KvmBringupModel['cmdline'] {
  return trace(snapshot.host.cmdline, parseCmdline, NOT_READ);
}

function parseCmdline(text: string): CmdlineFacts {
  const facts: CmdlineFacts = {
    nomodule: false,
    moduleBlacklist: [],
    modprobeBlacklist: [],
    moduleParameters: {},
  };
  const list = (value: string): string[] =>
    value
      .split(',')
      .filter((name) => name !== '')
      .map(moduleKey);
  for (const word of cmdlineWords(text)) {
    const eq = word.indexOf('=');
    const key = eq < 0 ? word : word.slice(0, eq);
    const value = eq < 0 ? '' : word.slice(eq + 1);
    if (key === 'nomodule') facts.nomodule = true;
    else if (key === 'module_blacklist') facts.moduleBlacklist.push(...list(value));
    else if (key === 'modprobe.blacklist') facts.modprobeBlacklist.push(...list(value));
    else {
      const dot = key.indexOf('.');
      const module = dot < 0 ? '' : moduleKey(key.slice(0, dot));
      if (module === 'kvm' || module.startsWith('kvm_'))
        (facts.moduleParameters[module] ??= {})[key.slice(dot + 1)] = value;
    }
  }
  return facts;
}

function decodeFirmwareSwitch(snapshot: Snapshot): KvmBringupModel['firmwareSwitch'] {
  const fact = snapshot.host.firmwareMsr;
  if (fact === undefined) return { missing: NOT_READ };
  if (!hasValue(fact)) return { error: probeFailure(fact.source, fact.error), source: describeSource(fact.source) };
  const { index, value } = fact.value;
  const featCtl = Number(index) === 0x3a;
  const source = `${describeSource(fact.source)} (CPU 0, MSR ${featCtl ? '0x3a' : '0xc0010114'})`;
  if (value === null) return { missing: 'the MSR file ended before 8 bytes', source };
  const bits = BigInt(value);
  const bit = (n: number): boolean => ((bits >> BigInt(n)) & 1n) === 1n;
  // msr-index.h: FEAT_CTL_LOCKED BIT(0), _VMX_ENABLED_INSIDE_SMX BIT(1), _OUTSIDE_SMX BIT(2);
  // SVM_VM_CR_SVM_LOCK_MASK 0x8, SVM_VM_CR_SVM_DIS_MASK 0x10.
  if (featCtl)
    return {
      value: {
        msr: 'IA32_FEATURE_CONTROL',
        value,
        locked: bit(0),
        vmxInsideSmx: bit(1),
        vmxOutsideSmx: bit(2),
      },
      source,
    };
  return { value: { msr: 'VM_CR', value, locked: bit(3), svmDisabled: bit(4) }, source };
}

function decodeCpu(snapshot: Snapshot, log: KvmBringupModel['log']): KvmBringupModel['cpu'] {
  const logged = 'value' in log ? log.value.matches.find((m) => m.cause === 'hypervisor-detected') : undefined;
  return probed(snapshot.host.cpuinfo, (cpuinfo) => {
    const flags = new Set((cpuinfo.flags ?? '').split(/\s+/));
    return {
      vendor: cpuinfo.vendor_id ?? null,
      vmx: flags.has('vmx'),
      svm: flags.has('svm'),
      hypervisorFlag: flags.has('hypervisor'),
      hypervisorLogged: logged?.groups.hypervisor ?? null,
    };
  });
}

function decodeDevice(snapshot: Snapshot): DeviceFacts {
  const { context, host } = snapshot;
  const ourGroups = new Set([context.gid, ...context.groups]);
  const acl = trace(host.deviceAcl, (a) => a.entries, NOT_READ);
  const forUs =
    'value' in acl && acl.value !== null
      ? acl.value.filter((entry) => {
          const [kind, id] = entry.split(':');
          return (
            (kind === 'user' && id === String(context.uid)) ||
            (kind === 'group' && id !== '' && ourGroups.has(Number(id)))
          );
        })
      : null;
  return {
    node: trace(
      host.device,
      (n) => ({
        mode: n.mode,
        group: n.group ?? null,
        inDeviceGroup: ourGroups.has(n.gid),
        ownedByUs: n.uid === context.uid,
      }),
      NOT_READ,
    ),
    access: trace(host.deviceAccess, (a) => a, NOT_READ),
    aclEntriesForUs: forUs,
    acl,
  };
}

/** PID 1 cgroup paths container runtimes create. */
const CONTAINER_CGROUP = /\/(?:docker|kubepods|lxc|libpod|containerd|crio|buildkit)\b|\.scope.*(?:docker|podman|crio)/;

function decodeContainer(snapshot: Snapshot): KvmBringupModel['container'] {
  return trace(
    snapshot.host.container,
    (markers) => {
      const evidence = [...markers.markers];
      if (markers.systemdContainer) evidence.push(`/run/systemd/container: ${markers.systemdContainer}`);
      for (const line of markers.pid1Cgroup) if (CONTAINER_CGROUP.test(line)) evidence.push(`/proc/1/cgroup: ${line}`);
      return { evidence, inContainer: evidence.length > 0 };
    },
    NOT_READ,
  );
}

export function decodeKvmBringup(snapshot: Snapshot): KvmBringupModel {
  const log = decodeLog(snapshot);
  return {
    log,
    modules: decodeModules(snapshot),
    cmdline: decodeCmdline(snapshot),
    firmwareSwitch: decodeFirmwareSwitch(snapshot),
    cpu: decodeCpu(snapshot, log),
    device: decodeDevice(snapshot),
    container: decodeContainer(snapshot),
  };
}
