// The host as its files describe it: kernel, CPU, whether it is itself a guest, and
// which KVM modules are present.
import type { HostFacts, KernelModule, ProbeError } from '../snapshot/types.js';
import { trace, type Traced } from './sourced.js';

export interface CpuSummary {
  vendor: string;
  family: number | null;
  model: number | null;
  stepping: number | null;
  modelName: string;
  microcode: string | null;
  flags: string[];
}

export interface KvmBackend {
  name: string;
  /** Which virtualization extension the module drives: Intel VMX, AMD SVM, or another backend. */
  vendor: 'intel' | 'amd' | 'other';
  /** 'loaded' for a module, 'built-in' for code compiled into the kernel. */
  state: 'loaded' | 'built-in';
  parameters: Record<string, string | { error: string }>;
}

export interface ModuleSummary {
  kvm: KvmBackend | null;
  backends: KvmBackend[];
}

const NUMBER = /^\d+$/;

function cpuSummary(fields: Record<string, string>): CpuSummary {
  const num = (key: string): number | null => {
    const text = fields[key];
    return text !== undefined && NUMBER.test(text) ? Number(text) : null;
  };
  return {
    vendor: fields.vendor_id ?? fields.CPU_implementer ?? 'unknown',
    family: num('cpu family'),
    model: num('model'),
    stepping: num('stepping'),
    modelName: fields['model name'] ?? 'unknown',
    microcode: fields.microcode ?? null,
    // x86 calls them flags; arm64 calls them Features.
    flags: (fields.flags ?? fields.Features ?? '').split(/\s+/).filter(Boolean),
  };
}

function backend(name: string, module: KernelModule): KvmBackend {
  const parameters: KvmBackend['parameters'] = {};
  for (const [key, value] of Object.entries(module.parameters)) {
    parameters[key] = typeof value === 'string' ? value : { error: (value as ProbeError).code };
  }
  return {
    name,
    vendor: name === 'kvm_intel' ? 'intel' : name === 'kvm_amd' ? 'amd' : 'other',
    state: module.initstate === null ? 'built-in' : 'loaded',
    parameters,
  };
}

/**
 * The kernel log read: how many records, and, when it was over its size bound, how much of it was kept (its newest
 * part).
 */
export interface KernelLogSummary {
  records: number;
  /** Bytes: the log's whole size, and the newest part that was read; null when it was read whole. */
  cut: { size: number; kept: number } | null;
}

export function summarizeHost(host: HostFacts): {
  kernelRelease: Traced<string>;
  cpu: Traced<CpuSummary>;
  isGuest: Traced<boolean>;
  modules: Traced<ModuleSummary>;
  kernelLog: Traced<KernelLogSummary>;
} {
  const log = host.kernelLog;
  return {
    kernelRelease: trace(host.kernelRelease, (release) => release, 'not probed'),
    cpu: trace(host.cpuinfo, cpuSummary, 'not probed'),
    // The kernel shows the CPUID hypervisor bit as the 'hypervisor' flag.
    isGuest: trace(host.cpuinfo, (fields) => cpuSummary(fields).flags.includes('hypervisor'), 'not probed'),
    modules: trace(
      host.modules,
      (modules) => {
        const entries = Object.entries(modules);
        const kvm = entries.find(([name]) => name === 'kvm');
        return {
          kvm: kvm ? backend(...kvm) : null,
          backends: entries.filter(([name]) => name !== 'kvm').map(([name, module]) => backend(name, module)),
        };
      },
      'not probed',
    ),
    kernelLog: trace(
      log,
      (records) => ({
        records: records.length,
        cut: log?.cut === undefined ? null : { size: log.cut.size, kept: log.cut.kept },
      }),
      'not read',
    ),
  };
}
