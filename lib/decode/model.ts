// decodeSnapshot(): the pure function from a snapshot to the host model: every fact decoded,
// each with its source or its error, and no judgment (the checks judge it, the renderers word
// it). No I/O: a saved snapshot gives the same model on any machine.
import type { Fact, Snapshot } from '../snapshot/types.js';
import { capabilityRows, decodeVmTypes, type CapabilityRow } from './capabilities.js';
import { sevView, type SevView } from './sev.js';
import { tdxView, type TdxView } from './tdx.js';
import { summarizeCpuid, xsaveComponents, type CpuidSummary } from './cpuid.js';
import { probeFailure, type ProbeFailure } from './failure.js';
import { summarizeHost, type CpuSummary, type KernelLogSummary, type ModuleSummary } from './host.js';
import { FEATURE_MSR_NAMES } from '../knowledge/msr-names.js';
import { describeSource, known, trace, type Traced } from './sourced.js';

/** The capabilities shown in the host report: the ones VMMs and confidential-VM tooling gate on. */
export const KEY_CAPABILITIES: readonly string[] = [
  'KVM_CAP_VM_TYPES',
  'KVM_CAP_NR_VCPUS',
  'KVM_CAP_MAX_VCPUS',
  'KVM_CAP_MAX_VCPU_ID',
  'KVM_CAP_NR_MEMSLOTS',
  'KVM_CAP_USER_MEMORY2',
  'KVM_CAP_GUEST_MEMFD',
  'KVM_CAP_GUEST_MEMFD_FLAGS',
  'KVM_CAP_MEMORY_ATTRIBUTES',
  'KVM_CAP_MEMORY_FAULT_INFO',
  'KVM_CAP_PRE_FAULT_MEMORY',
  'KVM_CAP_SYS_ATTRIBUTES',
  'KVM_CAP_CHECK_EXTENSION_VM',
  'KVM_CAP_SPLIT_IRQCHIP',
  'KVM_CAP_X2APIC_API',
  'KVM_CAP_X86_DISABLE_EXITS',
  'KVM_CAP_NESTED_STATE',
  'KVM_CAP_XSAVE2',
  'KVM_CAP_GET_MSR_FEATURES',
  'KVM_CAP_TSC_CONTROL',
  'KVM_CAP_EXIT_HYPERCALL',
  'KVM_CAP_X86_USER_SPACE_MSR',
  'KVM_CAP_BINARY_STATS_FD',
  'KVM_CAP_DIRTY_LOG_RING',
];

export interface DeviceView {
  path: string;
  node: Traced<{ type: string; mode: string; owner: string; group: string; major: number; minor: number }>;
  /** Whether this user could open the device read-write. */
  open: Traced<boolean>;
}

export interface Problem {
  /** Which fact failed, as its place in the snapshot (e.g. 'kvm.emulatedCpuid'). */
  fact: string;
  source: string;
  error: ProbeFailure;
}

export interface HostModel {
  snapshot: Pick<Snapshot, 'createdAt' | 'tool' | 'context'>;
  host: {
    kernelRelease: Traced<string>;
    cpu: Traced<CpuSummary>;
    /** True when this host is itself a virtual machine (CPUID hypervisor bit). */
    isGuest: Traced<boolean>;
    modules: Traced<ModuleSummary>;
    /** The kernel log read, and whether only its newest part was (a log over its size bound). */
    kernelLog: Traced<KernelLogSummary>;
  };
  device: DeviceView;
  kvm: {
    /** The device opened and answered KVM_GET_API_VERSION with the stable API, 12. */
    usable: boolean;
    apiVersion: Traced<number>;
    vcpuMmapSize: Traced<number>;
    vmTypes: Traced<{ mask: number; offered: string[]; unknownBits: number[] }>;
    capabilities: CapabilityRow[];
    /** How many of the known capabilities the system fd reports present. */
    capabilitiesPresent: number;
    defaultVm: Traced<boolean>;
    xsaveGuestComponents: Traced<{ mask: string; components: string[]; unknownBits: number[] }>;
    msrIndexCount: Traced<number>;
    featureMsrs: Traced<{ index: string; name: string | null; value: string }[]>;
  };
  cpuid: Traced<CpuidSummary>;
  confidential: { tdx: TdxView; sev: SevView };
  problems: Problem[];
}

export const KVM_API_VERSION = 12;

const NOT_OPEN = 'not probed: the KVM device could not be opened';
/**
 * A probe that opened the device asks every request below; a fact still absent was not saved in the snapshot (an older
 * kvm-caps, or a hand-written one).
 */
const NOT_RECORDED = 'not recorded in this snapshot';

/** Why a fact the probe asks of an open KVM device is absent: the device was not opened, or the snapshot lacks it. */
function absentBecause(kvm: Snapshot['kvm']): string {
  return 'value' in kvm.open ? NOT_RECORDED : NOT_OPEN;
}

/** Feature MSRs are read only with the list KVM_GET_MSR_FEATURE_INDEX_LIST gives: when that failed, that is why. */
function featureMsrsAbsentBecause(kvm: Snapshot['kvm']): string {
  const list = kvm.msrFeatureIndexList;
  if (list !== undefined && 'error' in list)
    return `not read: KVM_GET_MSR_FEATURE_INDEX_LIST failed (${list.error.code})`;
  return absentBecause(kvm);
}

function deviceView(snapshot: Snapshot): DeviceView {
  return {
    path: snapshot.context.device,
    node: trace(
      snapshot.host.device,
      (node) => ({
        type: node.type,
        mode: `0${node.mode.toString(8)}`,
        owner: node.owner ?? String(node.uid),
        group: node.group ?? String(node.gid),
        major: node.major,
        minor: node.minor,
      }),
      'not probed',
    ),
    open: trace(snapshot.kvm.open, () => true, 'not probed'),
  };
}

/**
 * Every failed fact in the snapshot, typed; absences (ENXIO for an attribute not offered, ...) are facts, not
 * problems.
 */
function problems(snapshot: Snapshot): Problem[] {
  const found: Problem[] = [];
  const visit = (value: unknown, path: string): void => {
    if (value === null || typeof value !== 'object') return;
    const fact = value as Fact<unknown>;
    if ('source' in fact && 'error' in fact) {
      const error = probeFailure(fact.source, fact.error);
      if (!error.absence) found.push({ fact: path, source: describeSource(fact.source), error });
      return;
    }
    if ('source' in fact) return; // A fact with a value: nothing failed inside it.
    for (const [key, child] of Object.entries(value)) visit(child, path ? `${path}.${key}` : key);
  };
  visit(snapshot.host, 'host');
  visit(snapshot.kvm, 'kvm');
  if (snapshot.sev) visit(snapshot.sev, 'sev');
  return found;
}

export function decodeSnapshot(snapshot: Snapshot): HostModel {
  const host = summarizeHost(snapshot.host);
  const kvm = snapshot.kvm;
  const opened = 'value' in kvm.open;
  const absent = absentBecause(kvm);
  const apiVersion = trace(kvm.apiVersion, (v) => v, absent);
  const capabilities = capabilityRows(kvm);
  const vmTypesRow = capabilities.find((row) => row.name === 'KVM_CAP_VM_TYPES');
  const systemCaps = kvm.capabilities?.system;
  return {
    snapshot: { createdAt: snapshot.createdAt, tool: snapshot.tool, context: snapshot.context },
    host,
    device: deviceView(snapshot),
    kvm: {
      usable: opened && known(apiVersion) === KVM_API_VERSION,
      apiVersion,
      vcpuMmapSize: trace(kvm.vcpuMmapSize, (v) => v, absent),
      vmTypes: trace(
        systemCaps,
        () => {
          const mask = (vmTypesRow && known(vmTypesRow.system)) ?? 0;
          const { vmTypes, unknownBits } = decodeVmTypes(mask);
          return { mask, offered: vmTypes, unknownBits };
        },
        absent,
        'KVM_CAP_VM_TYPES',
      ),
      capabilities: capabilities.filter((row) => KEY_CAPABILITIES.includes(row.name)),
      capabilitiesPresent: capabilities.filter((row) => (known(row.system) ?? 0) > 0).length,
      defaultVm: trace(kvm.defaultVm, () => true, absent),
      xsaveGuestComponents: trace(kvm.xcompGuestSupp, xsaveComponents, absent),
      msrIndexCount: trace(kvm.msrIndexList, (list) => list.length, absent),
      featureMsrs: trace(
        kvm.featureMsrs,
        ({ values }) =>
          Object.entries(values).map(([index, value]) => ({
            index,
            name: FEATURE_MSR_NAMES[Number(index)] ?? null,
            value,
          })),
        featureMsrsAbsentBecause(kvm),
      ),
    },
    cpuid: trace(
      kvm.supportedCpuid,
      (entries) =>
        summarizeCpuid(
          entries,
          kvm.emulatedCpuid && 'value' in kvm.emulatedCpuid ? kvm.emulatedCpuid.value : undefined,
        ),
      absent,
    ),
    confidential: {
      tdx: tdxView(snapshot),
      sev: sevView(snapshot),
    },
    problems: problems(snapshot),
  };
}
