// What differs between two host snapshots, most readiness-relevant first: the VM types KVM
// offers, the capable / enabled / usable verdicts and the facts behind them, firmware and TDX
// module versions, the kernel release, module parameters, capabilities, CPUID features, then
// the rest. Each difference carries both values and where each came from, and `matters`: whether
// it changes what confidential guests the hosts can run (or what those guests attest to).
// Pure: two snapshots in, one document out.
import { featureSet } from '../decode/cpuid-entry.js';
import type { Snapshot } from '../snapshot/types.js';
import { KVM_X86_VM_TYPES } from '../knowledge/x86.js';
import { capabilityRows } from '../decode/capabilities.js';
import { describeSource } from '../decode/explain.js';
import { runChecks } from '../check/run.js';
import { TECHNOLOGIES, type CheckReport } from '../check/types.js';
import { technologyStates } from './lifecycle.js';
import { decodeSnapshot, KEY_CAPABILITIES, type HostModel as Report } from '../decode/model.js';
import { KVM_AMD_PARAMETERS } from '../knowledge/sev.js';
import { TDX_PARAMETERS } from '../knowledge/tdx.js';

export const DIFF_FORMAT = 'kvm-caps-diff';
export const DIFF_VERSION = 1;

/** In the order differences are listed. */
export const DIFF_CATEGORIES = ['vm-types', 'readiness', 'versions', 'kernel', 'module-parameters', 'capabilities', 'cpuid', 'other'] as const;
export type DiffCategory = (typeof DIFF_CATEGORIES)[number];

export const CATEGORY_TITLES: Readonly<Record<DiffCategory, string>> = {
  'vm-types': 'VM types KVM offers',
  readiness: 'Readiness: capable / enabled / usable and the facts behind them',
  versions: 'Firmware and TDX module versions',
  kernel: 'Kernel',
  'module-parameters': 'Module parameters',
  capabilities: 'KVM capabilities',
  cpuid: 'CPUID offered to guests',
  other: 'Everything else',
};

export type DiffValue = string | number | boolean | null;

export interface DiffSide {
  /** null: not known on this host (`text` says why) or not present. */
  value: DiffValue;
  text: string;
  source: string;
}

export interface Difference {
  /** Stable key, e.g. 'vm-type.TDX', 'tdx.usable', 'param.kvm_intel.tdx', 'cap.KVM_CAP_GUEST_MEMFD.system'. */
  key: string;
  category: DiffCategory;
  label: string;
  a: DiffSide;
  b: DiffSide;
  /** Whether the difference changes what confidential guests these hosts can run or attest to. */
  matters: boolean;
}

export interface DiffHost {
  createdAt: string;
  tool: { name: string; version: string };
  kernelRelease: string | null;
  cpu: string | null;
}

export interface SnapshotDiff {
  format: typeof DIFF_FORMAT;
  version: typeof DIFF_VERSION;
  a: DiffHost;
  b: DiffHost;
  /** True when no difference matters (there may still be differences that do not). */
  agree: boolean;
  counts: { differences: number; matter: number };
  differences: Difference[];
}

interface Item {
  key: string;
  category: DiffCategory;
  label: string;
  value: DiffValue;
  text: string;
  source: string;
  /** Whether a difference in this item matters; a function decides from both values. */
  matters: boolean | ((a: DiffValue, b: DiffValue) => boolean);
  /** --deep results: a host that was not asked has not disagreed, so the difference matters only when both were asked. */
  deep?: true;
}

type Traceable<T> = { value: T; source: string } | { error: { code: string; meaning: string }; source: string } | { missing: string };

function fromTraced<T>(traced: Traceable<T>, map: (value: T) => DiffValue, text?: (value: T) => string): Pick<Item, 'value' | 'text' | 'source'> {
  if ('value' in traced) {
    const value = map(traced.value);
    return { value, text: text ? text(traced.value) : String(value), source: traced.source };
  }
  if ('error' in traced) return { value: null, text: `unknown: ${traced.error.code} (${traced.error.meaning})`, source: traced.source };
  return { value: null, text: `unknown: ${traced.missing}`, source: 'not probed' };
}

const tristateText = (value: boolean | null): string => (value === null ? 'unknown' : value ? 'yes' : 'no');

/** Everything compared, for one host, in listing order. */
function items(snapshot: Snapshot, report: Report, checks: CheckReport): Item[] {
  const out: Item[] = [];
  const add = (item: Item): void => {
    out.push(item);
  };

  // VM types.
  const vmTypes = report.kvm.vmTypes;
  for (const [header, number, short] of KVM_X86_VM_TYPES) {
    add({
      key: `vm-type.${short}`,
      category: 'vm-types',
      label: `${header} (${number})`,
      matters: true,
      ...fromTraced(
        vmTypes,
        (v) => (v.mask === 0 ? null : ((v.mask >>> number) & 1) === 1),
        (v) => (v.mask === 0 ? 'not enumerable: KVM_CAP_VM_TYPES is 0 (a kernel before 6.10)' : ((v.mask >>> number) & 1) === 1 ? 'offered' : 'not offered'),
      ),
    });
  }

  // Readiness.
  for (const state of technologyStates(checks)) {
    for (const key of ['usable', 'enabled', 'capable'] as const) {
      add({
        key: `${state.technology}.${key}`,
        category: 'readiness',
        label: `${state.technology} ${key}`,
        value: state[key],
        text: key === 'usable' ? `${tristateText(state[key])}: ${state.summary}` : tristateText(state[key]),
        source: state.sources.join('; '),
        matters: true,
      });
    }
  }
  const tdx = report.confidential.tdx;
  add({
    key: 'tdx.module-state',
    category: 'readiness',
    label: 'TDX module state',
    value: tdx.moduleState.known ? tdx.moduleState.value.state : null,
    text: tdx.moduleState.text,
    source: tdx.moduleState.source ?? 'not collected',
    matters: true,
  });
  const capsOk = tdx.capabilities.known && tdx.capabilities.value.ok ? tdx.capabilities.value.value : null;
  const capsSource = tdx.capabilities.source ?? 'not probed';
  add({ key: 'tdx.capabilities', category: 'readiness', label: 'KVM_TDX_CAPABILITIES', value: tdx.capabilities.known ? (tdx.capabilities.value.ok ? 'ok' : tdx.capabilities.value.code) : null, text: tdx.capabilities.known && tdx.capabilities.value.ok ? 'ok' : tdx.capabilities.text, source: capsSource, matters: true });
  add({
    key: 'tdx.attributes',
    category: 'readiness',
    label: 'TD attributes KVM_TDX_CAPABILITIES allows',
    value: capsOk?.supportedAttributes.mask ?? null,
    text: capsOk === null ? `unknown: KVM_TDX_CAPABILITIES ${tdx.capabilities.text}` : `${capsOk.supportedAttributes.mask} (${capsOk.supportedAttributes.attributes.map((x) => x.name).join(', ') || 'none'})`,
    source: capsSource,
    matters: true,
  });
  add({
    key: 'tdx.xfam',
    category: 'readiness',
    label: 'TD XFAM KVM_TDX_CAPABILITIES allows',
    value: capsOk?.supportedXfam.mask ?? null,
    text: capsOk === null ? `unknown: KVM_TDX_CAPABILITIES ${tdx.capabilities.text}` : `${capsOk.supportedXfam.mask} (${capsOk.supportedXfam.components.join(', ')})`,
    source: capsSource,
    matters: true,
  });
  if (tdx.initVm !== null) {
    add({ key: 'tdx.init-vm', category: 'readiness', label: '--deep KVM_TDX_INIT_VM', value: tdx.initVm.known ? tdx.initVm.value.ok : null, text: tdx.initVm.text, source: tdx.initVm.source ?? 'not probed', matters: true, deep: true });
  }
  const sev = report.confidential.sev;
  const ps = sev.platformStatus;
  if (ps !== null) {
    add({ key: 'sev.platform-state', category: 'readiness', label: 'SEV platform state', value: ps.stateName ?? ps.state, text: `${ps.stateName ?? 'unknown'} (${ps.state})`, source: 'ioctl SEV_PLATFORM_STATUS (state)', matters: true });
    add({ key: 'sev.es-initialised', category: 'readiness', label: 'SEV-ES initialised', value: ps.esInitialised, text: tristateText(ps.esInitialised), source: 'ioctl SEV_PLATFORM_STATUS (flags bit 8)', matters: true });
  }
  const snp = sev.snpPlatformStatus;
  if (snp !== null) {
    add({ key: 'snp.platform-state', category: 'readiness', label: 'SNP platform state', value: snp.stateName ?? snp.state, text: `${snp.stateName ?? 'unknown'} (${snp.state})`, source: 'ioctl SNP_PLATFORM_STATUS (state)', matters: true });
    add({ key: 'snp.rmp-initialised', category: 'readiness', label: 'RMP table initialised', value: snp.rmpInitialised, text: tristateText(snp.rmpInitialised), source: 'ioctl SNP_PLATFORM_STATUS (byte 3 bit 0)', matters: true });
    add({ key: 'snp.alias-check', category: 'readiness', label: 'SNP alias check complete', value: snp.aliasCheckComplete, text: tristateText(snp.aliasCheckComplete), source: 'ioctl SNP_PLATFORM_STATUS (byte 3 bit 1)', matters: true });
  }
  const attr = (key: string, label: string, value: DiffValue): void => {
    const item = sev.items.find((i) => i.id === `kvm.attr.${key}`);
    add({ key: `sev.attr.${key}`, category: 'readiness', label, value, text: item?.value ?? String(value), source: item?.source ?? 'not probed', matters: true });
  };
  attr('vmsaFeatures', 'KVM_X86_SEV_VMSA_FEATURES', sev.attributes.vmsaFeatures?.raw ?? null);
  attr('snpPolicyBits', 'KVM_X86_SNP_POLICY_BITS', sev.attributes.snpPolicyBits?.raw ?? null);
  attr('snpReqCerts', 'KVM_X86_SEV_SNP_REQ_CERTS', sev.attributes.snpReqCerts);
  for (const r of sev.init2) {
    const item = sev.items.find((i) => i.id === `init2.${r.vmType}`);
    add({ key: `sev.init2.${r.vmType}`, category: 'readiness', label: `--deep KVM_SEV_INIT2 on ${r.vmType}`, value: r.ok, text: item?.value ?? String(r.ok), source: item?.source ?? 'derived', matters: true, deep: true });
  }

  // Versions.
  add({
    key: 'kvm.api-version',
    category: 'versions',
    label: 'KVM API version',
    matters: true,
    ...fromTraced(report.kvm.apiVersion, (v) => v),
  });
  add({
    key: 'tdx.module-version',
    category: 'versions',
    label: 'TDX module version',
    value: tdx.moduleVersion.known ? tdx.moduleVersion.value.text : null,
    text: tdx.moduleVersion.text,
    source: tdx.moduleVersion.source ?? 'not collected',
    matters: true,
  });
  const item = (id: string) => sev.items.find((i) => i.id === id);
  add({ key: 'sev.firmware', category: 'versions', label: 'SEV firmware', value: ps?.firmwareVersion ?? null, text: ps === null ? 'not read' : item('sev.firmware')?.value ?? ps.firmwareVersion, source: item('sev.firmware')?.source ?? 'not probed', matters: true });
  add({ key: 'snp.firmware', category: 'versions', label: 'SEV-SNP firmware', value: snp?.firmwareVersion ?? null, text: snp === null ? 'not read' : item('snp.firmware')?.value ?? snp.firmwareVersion, source: item('snp.firmware')?.source ?? 'not probed', matters: true });
  if (snp !== null) {
    add({ key: 'snp.tcb.current', category: 'versions', label: 'SNP current TCB', value: snp.tcb.currentRaw, text: item('snp.tcb.current')?.value ?? snp.tcb.currentRaw, source: item('snp.tcb.current')?.source ?? 'SNP_PLATFORM_STATUS', matters: true });
    add({ key: 'snp.tcb.reported', category: 'versions', label: 'SNP reported TCB', value: snp.tcb.reportedRaw, text: item('snp.tcb.reported')?.value ?? snp.tcb.reportedRaw, source: item('snp.tcb.reported')?.source ?? 'SNP_PLATFORM_STATUS', matters: true });
  }

  // Kernel: its effects are the facts above; the release itself does not decide readiness.
  add({ key: 'kernel.release', category: 'kernel', label: 'Kernel release', matters: false, ...fromTraced(report.host.kernelRelease, (v) => v.trim()) });

  // Module parameters: those TDX and SEV depend on matter.
  const gating = new Set([...TDX_PARAMETERS.map((p) => `${p.module}.${p.parameter}`), ...KVM_AMD_PARAMETERS.map((p) => `kvm_amd.${p.name}`)]);
  const modules = snapshot.host.modules;
  if ('value' in modules) {
    const root = snapshot.context.root.replace(/\/$/, '');
    for (const name of ['kvm', 'kvm_intel', 'kvm_amd'] as const) {
      const module = modules.value[name];
      add({
        key: `module.${name}`,
        category: 'module-parameters',
        label: `${name} module`,
        value: module === undefined ? 'absent' : module.initstate === null ? 'built-in' : module.initstate,
        text: module === undefined ? 'not loaded' : module.initstate === null ? 'built in' : `loaded (${module.initstate})`,
        source: describeSource(modules.source),
        matters: name !== 'kvm',
      });
      if (module === undefined) continue;
      for (const [parameter, raw] of Object.entries(module.parameters)) {
        const value = typeof raw === 'string' ? raw.trim() : null;
        add({
          key: `param.${name}.${parameter}`,
          category: 'module-parameters',
          label: `${name}.${parameter}`,
          value,
          text: typeof raw === 'string' ? raw.trim() : `unreadable (${raw.code})`,
          source: `file ${root}/sys/module/${name}/parameters/${parameter}`,
          matters: gating.has(`${name}.${parameter}`),
        });
      }
    }
  }

  // Capabilities: one a host has and the other lacks matters, for the capabilities the report shows.
  const rows = capabilityRows(snapshot.kvm);
  const system = snapshot.kvm.capabilities?.system;
  const vm = snapshot.kvm.capabilities?.vm;
  for (const row of rows) {
    const key = KEY_CAPABILITIES.includes(row.name);
    const presence = (a: DiffValue, b: DiffValue): boolean => key && (typeof a === 'number' && a > 0) !== (typeof b === 'number' && b > 0);
    add({
      key: `cap.${row.name}.system`,
      category: 'capabilities',
      label: `${row.name} (system)`,
      value: row.system,
      text: row.system === null ? `unknown${row.systemError ? ` (${row.systemError})` : ''}` : String(row.system),
      source: system === undefined ? 'not probed' : `${describeSource(system.source)} (${row.name})`,
      matters: presence,
    });
    if (vm !== undefined) {
      add({
        key: `cap.${row.name}.vm`,
        category: 'capabilities',
        label: `${row.name} (default VM)`,
        value: row.vm,
        text: row.vm === null ? `unknown${row.vmError ? ` (${row.vmError})` : ''}` : String(row.vm),
        source: `${describeSource(vm.source)} (${row.name})`,
        matters: presence,
      });
    }
  }

  // CPUID offered to guests, by feature name.
  const cpuid = snapshot.kvm.supportedCpuid;
  if (cpuid !== undefined && 'value' in cpuid) {
    const source = describeSource(cpuid.source);
    for (const name of [...featureSet(cpuid.value)].sort()) {
      add({ key: `cpuid.${name}`, category: 'cpuid', label: `CPUID feature ${name}`, value: true, text: 'offered', source, matters: false });
    }
  }
  const summary = report.cpuid;
  if ('value' in summary) {
    add({ key: 'cpuid.physical-address-bits', category: 'cpuid', label: 'Guest physical address bits', value: summary.value.physicalAddressBits, text: String(summary.value.physicalAddressBits), source: summary.source, matters: false });
  }
  add({ key: 'xsave.components', category: 'cpuid', label: 'XSAVE components for guests', matters: false, ...fromTraced(report.kvm.xsaveGuestComponents, (v) => v.mask, (v) => `${v.mask} (${v.components.join(', ')})`) });

  // The rest.
  const cpu = report.host.cpu;
  add({ key: 'cpu.model', category: 'other', label: 'CPU', matters: false, ...fromTraced(cpu, (v) => `${v.vendor} ${v.family ?? '?'}/${v.model ?? '?'}/${v.stepping ?? '?'} ${v.modelName}`) });
  add({ key: 'cpu.microcode', category: 'other', label: 'CPU microcode', matters: false, ...fromTraced(cpu, (v) => v.microcode) });
  add({ key: 'host.guest', category: 'other', label: 'Runs under a hypervisor', matters: false, ...fromTraced(report.host.isGuest, (v) => v, (v) => tristateText(v)) });
  add({ key: 'device.node', category: 'other', label: `${report.device.path} node`, matters: false, ...fromTraced(report.device.node, (v) => `${v.type} ${v.major}:${v.minor} ${v.mode} ${v.owner}:${v.group}`) });
  add({ key: 'device.open', category: 'other', label: `open ${report.device.path}`, matters: false, ...fromTraced(report.device.open, (v) => v, () => 'ok') });
  add({ key: 'kvm.vcpu-mmap-size', category: 'other', label: 'vCPU mmap size', matters: false, ...fromTraced(report.kvm.vcpuMmapSize, (v) => v) });
  add({ key: 'kvm.msr-index-count', category: 'other', label: 'MSRs KVM lists', matters: false, ...fromTraced(report.kvm.msrIndexCount, (v) => v) });
  const featureMsrs = report.kvm.featureMsrs;
  if ('value' in featureMsrs) {
    for (const msr of featureMsrs.value) {
      add({ key: `msr.${msr.index}`, category: 'other', label: `feature MSR ${msr.index}${msr.name ? ` ${msr.name}` : ''}`, value: msr.value, text: msr.value, source: featureMsrs.source, matters: false });
    }
  }
  if (tdx.tdKeys.known) {
    add({ key: 'tdx.keys.capacity', category: 'other', label: 'TD keys (capacity)', value: tdx.tdKeys.value.capacity, text: tdx.tdKeys.text, source: tdx.tdKeys.source, matters: (a, b) => (a === 0) !== (b === 0) });
  }
  if (tdx.privateKeyIds.known) {
    add({ key: 'tdx.keyids', category: 'other', label: 'TDX private KeyIDs (BIOS)', value: tdx.privateKeyIds.value.count, text: tdx.privateKeyIds.text, source: tdx.privateKeyIds.source, matters: false });
  }
  if (tdx.maxVcpus.known) {
    add({ key: 'tdx.max-vcpus', category: 'other', label: 'vCPUs per TD', value: tdx.maxVcpus.value, text: tdx.maxVcpus.text, source: tdx.maxVcpus.source, matters: false });
  }
  for (const [key, name] of [['sev', 'sev'], ['sevEs', 'sev_es']] as const) {
    const asids = sev.asids[key];
    if (asids === null) continue;
    const it = item(`capacity.${name}`);
    add({ key: `asids.${name}.capacity`, category: 'other', label: `${name} ASIDs (capacity)`, value: asids.capacity, text: it?.value ?? String(asids.capacity), source: it?.source ?? 'misc cgroup', matters: (a, b) => (a === 0) !== (b === 0) });
  }
  if (sev.cpuid !== null) {
    add({ key: 'sev.cpuid.asids', category: 'other', label: 'ASIDs in CPUID 0x8000001F', value: `${sev.cpuid.minSevAsid}/${sev.cpuid.maxEncryptedGuests}`, text: `max ${sev.cpuid.maxEncryptedGuests}, SEV from ${sev.cpuid.minSevAsid}`, source: item('cpuid.8000001f.maxGuests')?.source ?? 'KVM_GET_SUPPORTED_CPUID', matters: false });
  }
  add({ key: 'context.uid', category: 'other', label: 'probed as uid', value: snapshot.context.uid, text: String(snapshot.context.uid), source: 'snapshot context', matters: false });
  add({ key: 'problems', category: 'other', label: 'facts that could not be read', value: report.problems.length, text: report.problems.map((p) => p.fact).join(', ') || 'none', source: 'report problems', matters: false });
  return out;
}

const CPUID_FEATURE = /^cpuid\.(?!physical-address-bits$)/;

/** The side of a difference for an item one host does not have. */
function absent(key: string, snapshot: Snapshot): DiffSide {
  if (CPUID_FEATURE.test(key)) {
    const cpuid = snapshot.kvm.supportedCpuid;
    if (cpuid !== undefined && 'value' in cpuid) return { value: false, text: 'not offered', source: describeSource(cpuid.source) };
    return { value: null, text: 'unknown: KVM_GET_SUPPORTED_CPUID is not in this snapshot', source: cpuid === undefined ? 'not probed' : describeSource(cpuid.source) };
  }
  if (key.startsWith('param.')) return { value: null, text: 'no such parameter', source: 'not in this snapshot' };
  return { value: null, text: 'not in this snapshot', source: 'not in this snapshot' };
}

function host(report: Report): DiffHost {
  const release = report.host.kernelRelease;
  const cpu = report.host.cpu;
  return {
    createdAt: report.snapshot.createdAt,
    tool: report.snapshot.tool,
    kernelRelease: 'value' in release ? release.value.trim() : null,
    cpu: 'value' in cpu ? cpu.value.modelName : null,
  };
}

/** What differs between two hosts' snapshots, most readiness-relevant first. */
export function diffSnapshots(a: Snapshot, b: Snapshot): SnapshotDiff {
  // One model and one check run per snapshot: every compared verdict is that run's.
  const reportA = decodeSnapshot(a);
  const reportB = decodeSnapshot(b);
  const itemsA = items(a, reportA, runChecks(a, TECHNOLOGIES, reportA));
  const itemsB = items(b, reportB, runChecks(b, TECHNOLOGIES, reportB));
  const byKeyB = new Map(itemsB.map((i) => [i.key, i]));
  const byKeyA = new Map(itemsA.map((i) => [i.key, i]));
  // Union in listing order: A's items, then B's that A lacks, each after its category's items.
  const order: Item[] = [...itemsA, ...itemsB.filter((i) => !byKeyA.has(i.key))];
  const rank = (c: DiffCategory): number => DIFF_CATEGORIES.indexOf(c);
  const sorted = order.map((item, index) => ({ item, index })).sort((x, y) => rank(x.item.category) - rank(y.item.category) || x.index - y.index);

  const differences: Difference[] = [];
  for (const { item } of sorted) {
    const ia = byKeyA.get(item.key);
    const ib = byKeyB.get(item.key);
    const sideA: DiffSide = ia ? { value: ia.value, text: ia.text, source: ia.source } : absent(item.key, a);
    const sideB: DiffSide = ib ? { value: ib.value, text: ib.text, source: ib.source } : absent(item.key, b);
    if (sideA.value === sideB.value && (sideA.value !== null || sideA.text === sideB.text)) continue;
    if (sideA.value === null && sideB.value === null && (ia === undefined || ib === undefined)) continue;
    const rule = item.matters;
    // Unknown on both hosts (for different reasons) is not a difference either host can act on.
    const bothUnknown = sideA.value === null && sideB.value === null;
    const notAsked = item.deep === true && (ia === undefined || ib === undefined);
    const matters = !bothUnknown && !notAsked && (typeof rule === 'function' ? rule(sideA.value, sideB.value) : rule);
    differences.push({ key: item.key, category: item.category, label: item.label, a: sideA, b: sideB, matters });
  }
  const matter = differences.filter((d) => d.matters).length;
  return {
    format: DIFF_FORMAT,
    version: DIFF_VERSION,
    a: host(reportA),
    b: host(reportB),
    agree: matter === 0,
    counts: { differences: differences.length, matter },
    differences,
  };
}
