// What is known about each confidential-computing technology from the generic probe:
// whether KVM offers its VM types, what the CPU flags and the vendor module's
// parameters say. The TDX and SEV probes add their own facts to these sections.
import type { Snapshot } from '../snapshot/types.js';
import { decodeVmTypes } from './capabilities.js';
import { describeSource } from './explain.js';
import { known, type Traced } from './traced.js';
import type { CpuSummary, ModuleSummary } from './host.js';
import { KVM_CAPABILITIES } from '../uapi/capabilities.js';

export interface TechFact {
  label: string;
  value: string;
  source: string;
}

export interface TechSection {
  title: string;
  /** VM types of this technology and whether KVM offers them; null when KVM_CAP_VM_TYPES could not be read. */
  vmTypes: { name: string; offered: boolean | null }[];
  facts: TechFact[];
}

const VM_TYPES_CAP = KVM_CAPABILITIES.find(([name]) => name === 'KVM_CAP_VM_TYPES')?.[1] as number;

function vmTypesMask(snapshot: Snapshot): { mask: number | null; source: string } {
  const system = snapshot.kvm.capabilities?.system;
  const source = system ? `${describeSource(system.source)} (KVM_CAP_VM_TYPES)` : 'not probed';
  if (!system || !('value' in system)) return { mask: null, source };
  const result = system.value[VM_TYPES_CAP];
  // A kernel that predates KVM_CAP_VM_TYPES answers 0: only the default VM type exists.
  return { mask: typeof result === 'number' ? result : null, source };
}

function moduleParameter(
  snapshot: Snapshot,
  modules: Traced<ModuleSummary>,
  module: string,
  parameter: string,
): TechFact {
  const root = snapshot.context.root.replace(/\/$/, '');
  const source = `file ${root}/sys/module/${module}/parameters/${parameter}`;
  const summary = known(modules);
  const backend = summary?.backends.find((b) => b.name === module);
  let value: string;
  if (summary === undefined) value = 'unknown (/sys/module could not be read)';
  else if (backend === undefined) value = `${module} not loaded`;
  else {
    const raw = backend.parameters[parameter];
    value = raw === undefined ? 'no such parameter' : typeof raw === 'string' ? raw : `unreadable (${raw.error})`;
  }
  return { label: `${module}.${parameter}`, value, source };
}

function cpuFlag(cpu: Traced<CpuSummary>, flag: string, label: string): TechFact {
  const summary = known(cpu);
  const source = 'source' in cpu ? cpu.source : 'not probed';
  const value = summary === undefined ? 'unknown' : summary.flags.includes(flag) ? 'yes' : 'no';
  return { label, value, source };
}

function vmTypeRows(snapshot: Snapshot, names: string[]): { rows: TechSection['vmTypes']; fact: TechFact } {
  const { mask, source } = vmTypesMask(snapshot);
  const offered = mask === null ? [] : decodeVmTypes(mask).vmTypes;
  const rows = names.map((name) => ({ name, offered: mask === null ? null : offered.includes(name) }));
  const value =
    mask === null ? 'unknown' : rows.map((row) => `${row.name} ${row.offered ? 'offered' : 'not offered'}`).join(', ');
  return { rows, fact: { label: 'KVM VM types', value, source } };
}

export function sevSection(snapshot: Snapshot, cpu: Traced<CpuSummary>, modules: Traced<ModuleSummary>): TechSection {
  const types = vmTypeRows(snapshot, ['SEV', 'SEV_ES', 'SNP']);
  return {
    title: 'AMD SEV / SEV-ES / SEV-SNP',
    vmTypes: types.rows,
    facts: [
      types.fact,
      // The kernel hides these flags when firmware has not enabled the feature.
      cpuFlag(cpu, 'sme', 'CPU flag sme'),
      cpuFlag(cpu, 'sev', 'CPU flag sev'),
      cpuFlag(cpu, 'sev_es', 'CPU flag sev_es'),
      cpuFlag(cpu, 'sev_snp', 'CPU flag sev_snp'),
      moduleParameter(snapshot, modules, 'kvm_amd', 'sev'),
      moduleParameter(snapshot, modules, 'kvm_amd', 'sev_es'),
      moduleParameter(snapshot, modules, 'kvm_amd', 'sev_snp'),
    ],
  };
}
