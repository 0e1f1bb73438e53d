// KVM bring-up, decoded from a snapshot: what the kernel logged about VMX/SVM and KVM's
// modules (matched against lib/knowledge/kvm-bringup.ts), whether each module is built in,
// loaded, loadable or absent, what the command line forbids, the firmware switch's bits,
// nested virtualization, the device node's access and whether we run in a container.
// Facts only, each with where it came from: judging them is lib/check's work.
import { matchKvmBringupMessage, type KvmBringupCause } from '../knowledge/kvm-bringup.js';
import { hasValue } from '../snapshot/facts.js';
import { inNewestBoot } from '../snapshot/log-formats.js';
import type { Fact, KernelLogRecord, ProbeError, Snapshot, Source } from '../snapshot/types.js';

/** A fact that could not be read: where, and the error. */
export interface Unread {
  source: Source;
  error: ProbeError;
}

function unread<T>(fact: Fact<T>): Unread | undefined {
  return 'error' in fact ? { source: fact.source, error: fact.error } : undefined;
}

export interface BringupLogMatch {
  /** The wording's id in KVM_BRINGUP_MESSAGES. */
  id: string;
  cause: KvmBringupCause;
  /** The record as the snapshot holds it, and its index in the snapshot's kernelLog. */
  record: KernelLogRecord;
  index: number;
  /** Captures: cpu, module, txt, value, parameter, hypervisor, reason. */
  groups: Record<string, string>;
  source: Source;
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
  source: Source;
}

export type FirmwareSwitch =
  | {
      msr: 'IA32_FEATURE_CONTROL';
      value: string;
      locked: boolean;
      vmxInsideSmx: boolean;
      vmxOutsideSmx: boolean;
      source: Source;
    }
  | { msr: 'VM_CR'; value: string; locked: boolean; svmDisabled: boolean; source: Source };

export interface CpuFacts {
  vendor: string | null;
  vmx: boolean;
  svm: boolean;
  /** CPUID.1:ECX[31]: a hypervisor runs this kernel. */
  hypervisorFlag: boolean;
  /** The hypervisor the kernel logged ("Hypervisor detected: KVM"), newest boot. */
  hypervisorLogged: string | null;
}

export interface DeviceFacts {
  exists: boolean;
  mode: number | null;
  group: string | null;
  /** The node's group is our primary or a supplementary group. */
  inDeviceGroup: boolean | null;
  ownedByUs: boolean | null;
  /** access(2) for this process (mode, group and ACL together). */
  access: { read: boolean; write: boolean } | Unread | undefined;
  /** ACL entries naming our uid or one of our groups (numeric), beyond user::/group::/other::. */
  aclEntriesForUs: string[] | null;
  acl: string[] | Unread | undefined;
}

export interface ContainerFacts {
  /** The evidence found: marker files, /run/systemd/container, PID 1's cgroup paths. */
  evidence: string[];
  inContainer: boolean;
}

export interface KvmBringupModel {
  log: BringupLog | Unread | undefined;
  modules: Record<string, ModuleFacts> | Unread;
  cmdline: CmdlineFacts | Unread | undefined;
  firmwareSwitch: FirmwareSwitch | Unread | undefined;
  cpu: CpuFacts | Unread;
  device: DeviceFacts;
  container: ContainerFacts | Unread | undefined;
}

/** The module names every model lists, loaded or not: KVM and its in-tree vendor modules. */
const KVM_MODULES = ['kvm', 'kvm_intel', 'kvm_amd'];

function decodeLog(snapshot: Snapshot): KvmBringupModel['log'] {
  const fact = snapshot.host.kernelLog;
  if (fact === undefined) return undefined;
  if (!hasValue(fact)) return unread(fact);
  const log: BringupLog = { matches: [], olderBoots: [], boots: 1 };
  fact.value.forEach((record, index) => {
    log.boots = Math.max(log.boots, (record.boot ?? 0) + 1);
    const found = matchKvmBringupMessage(record.message);
    if (!found) return;
    const match: BringupLogMatch = {
      id: found.row.id,
      cause: found.row.cause,
      record,
      index,
      groups: found.groups,
      source: fact.source,
    };
    (inNewestBoot(record) ? log.matches : log.olderBoots).push(match);
  });
  return log;
}

function decodeModules(snapshot: Snapshot): KvmBringupModel['modules'] {
  const fact = snapshot.host.modules;
  if (!hasValue(fact)) return { source: fact.source, error: fact.error };
  const files =
    snapshot.host.moduleFiles && hasValue(snapshot.host.moduleFiles) ? snapshot.host.moduleFiles.value : undefined;
  const names = new Set([
    ...KVM_MODULES,
    ...Object.keys(fact.value),
    ...(files?.builtin ?? []),
    ...(files?.loadable ?? []),
  ]);
  const modules: Record<string, ModuleFacts> = {};
  for (const name of [...names].sort()) {
    const present = fact.value[name];
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
  const fact = snapshot.host.cmdline;
  if (fact === undefined) return undefined;
  if (!hasValue(fact)) return unread(fact);
  const facts: CmdlineFacts = {
    nomodule: false,
    moduleBlacklist: [],
    modprobeBlacklist: [],
    moduleParameters: {},
    source: fact.source,
  };
  const list = (value: string): string[] =>
    value
      .split(',')
      .filter((name) => name !== '')
      .map(moduleKey);
  for (const word of cmdlineWords(fact.value)) {
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
  if (fact === undefined) return undefined;
  if (!hasValue(fact)) return unread(fact);
  const { index, value } = fact.value;
  if (value === null) return undefined;
  const bits = BigInt(value);
  const bit = (n: number): boolean => ((bits >> BigInt(n)) & 1n) === 1n;
  // msr-index.h: FEAT_CTL_LOCKED BIT(0), _VMX_ENABLED_INSIDE_SMX BIT(1), _OUTSIDE_SMX BIT(2);
  // SVM_VM_CR_SVM_LOCK_MASK 0x8, SVM_VM_CR_SVM_DIS_MASK 0x10.
  if (Number(index) === 0x3a)
    return {
      msr: 'IA32_FEATURE_CONTROL',
      value,
      locked: bit(0),
      vmxInsideSmx: bit(1),
      vmxOutsideSmx: bit(2),
      source: fact.source,
    };
  return { msr: 'VM_CR', value, locked: bit(3), svmDisabled: bit(4), source: fact.source };
}

function decodeCpu(snapshot: Snapshot, log: KvmBringupModel['log']): KvmBringupModel['cpu'] {
  const fact = snapshot.host.cpuinfo;
  if (!hasValue(fact)) return { source: fact.source, error: fact.error };
  const flags = new Set((fact.value.flags ?? '').split(/\s+/));
  const logged = log && 'matches' in log ? log.matches.find((m) => m.cause === 'hypervisor-detected') : undefined;
  return {
    vendor: fact.value.vendor_id ?? null,
    vmx: flags.has('vmx'),
    svm: flags.has('svm'),
    hypervisorFlag: flags.has('hypervisor'),
    hypervisorLogged: logged?.groups.hypervisor ?? null,
  };
}

function decodeDevice(snapshot: Snapshot): DeviceFacts {
  const { context, host } = snapshot;
  const node = hasValue(host.device) ? host.device.value : undefined;
  const ourGroups = new Set([context.gid, ...context.groups]);
  const acl =
    host.deviceAcl === undefined
      ? undefined
      : hasValue(host.deviceAcl)
        ? host.deviceAcl.value.entries
        : unread(host.deviceAcl);
  const forUs = Array.isArray(acl)
    ? acl.filter((entry) => {
        const [kind, id] = entry.split(':');
        return (
          (kind === 'user' && id === String(context.uid)) ||
          (kind === 'group' && id !== '' && ourGroups.has(Number(id)))
        );
      })
    : null;
  return {
    exists: node !== undefined,
    mode: node?.mode ?? null,
    group: node?.group ?? null,
    inDeviceGroup: node ? ourGroups.has(node.gid) : null,
    ownedByUs: node ? node.uid === context.uid : null,
    access:
      host.deviceAccess === undefined
        ? undefined
        : hasValue(host.deviceAccess)
          ? host.deviceAccess.value
          : unread(host.deviceAccess),
    aclEntriesForUs: forUs,
    acl: acl ?? undefined,
  };
}

/** PID 1 cgroup paths container runtimes create. */
const CONTAINER_CGROUP = /\/(?:docker|kubepods|lxc|libpod|containerd|crio|buildkit)\b|\.scope.*(?:docker|podman|crio)/;

function decodeContainer(snapshot: Snapshot): KvmBringupModel['container'] {
  const fact = snapshot.host.container;
  if (fact === undefined) return undefined;
  if (!hasValue(fact)) return unread(fact);
  const evidence = [...fact.value.markers];
  if (fact.value.systemdContainer) evidence.push(`/run/systemd/container: ${fact.value.systemdContainer}`);
  for (const line of fact.value.pid1Cgroup) if (CONTAINER_CGROUP.test(line)) evidence.push(`/proc/1/cgroup: ${line}`);
  return { evidence, inContainer: evidence.length > 0 };
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
