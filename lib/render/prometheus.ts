// Prometheus text exposition format (0.0.4) for node_exporter's textfile collector: write it to
// <collector.textfile.directory>/kvm-caps.prom (atomically: -o does). Gauges only, no sample
// timestamps (the textfile collector refuses them): the snapshot's time is a gauge of its own.
//
// State gauges are 1 or 0; a state kvm-caps could not determine has no sample in its gauge and
// kvm_caps_technology_undetermined{technology,state} 1 instead, so `== 0` alerts never fire on
// an unknown.
import { isKnown, valueOrNull } from '../decode/sourced.js';
import type { CheckReport, CheckStatus } from '../check/types.js';
import { technologyStates } from '../compare/lifecycle.js';
import type { HostModel as Report } from '../decode/model.js';
import { KVM_X86_VM_TYPES } from '../knowledge/x86.js';
import { kernelChange } from '../knowledge/kernel-versions.js';
import { escapeControls } from './escape.js';

type Labels = Record<string, string>;

interface Family {
  name: string;
  help: string;
  samples: { labels: Labels; value: number }[];
}

const METRIC_NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/;

function escapeHelp(text: string): string {
  return text.replace(/\\/g, '\\\\').replace(/\n/g, '\\n');
}

/**
 * A label value in the exposition format's own escapes (backslash, quote, newline). The format
 * has no escape for other control characters, so those are first shown as text (`\x1b`, see
 * escape.ts): a host string cannot put a terminal escape into the file.
 */
function escapeLabel(text: string): string {
  const visible = text.split('\n').map(escapeControls).join('\n');
  return visible.replace(/\\/g, '\\\\').replace(/\n/g, '\\n').replace(/"/g, '\\"');
}

function formatValue(value: number): string {
  if (Number.isNaN(value)) return 'NaN';
  if (value === Infinity) return '+Inf';
  if (value === -Infinity) return '-Inf';
  return String(value);
}

class Exposition {
  private readonly families = new Map<string, Family>();

  gauge(name: string, help: string, value: number | null | undefined, labels: Labels = {}): void {
    const full = `kvm_caps_${name}`;
    if (!METRIC_NAME.test(full)) throw new Error(`bad metric name ${full}`);
    for (const label of Object.keys(labels))
      if (!LABEL_NAME.test(label) || label.startsWith('__')) throw new Error(`bad label name ${label}`);
    let family = this.families.get(full);
    if (family === undefined) {
      family = { name: full, help, samples: [] };
      this.families.set(full, family);
    }
    if (value === null || value === undefined) return;
    family.samples.push({ labels, value });
  }

  text(): string {
    const lines: string[] = [];
    for (const family of this.families.values()) {
      if (family.samples.length === 0) continue;
      lines.push(`# HELP ${family.name} ${escapeHelp(family.help)}`, `# TYPE ${family.name} gauge`);
      for (const { labels, value } of family.samples) {
        const entries = Object.entries(labels);
        const labelText =
          entries.length === 0 ? '' : `{${entries.map(([k, v]) => `${k}="${escapeLabel(v)}"`).join(',')}}`;
        lines.push(`${family.name}${labelText} ${formatValue(value)}`);
      }
    }
    return `${lines.join('\n')}\n`;
  }
}

const bit = (value: boolean): number => (value ? 1 : 0);

const STATUSES: readonly CheckStatus[] = ['PASS', 'WARN', 'FAIL', 'SKIP', 'UNKNOWN'];

/** The report (and the readiness checks, when given) as Prometheus gauges. */
export function prometheusMetrics(report: Report, checks: CheckReport): string {
  const m = new Exposition();

  m.gauge(
    'probe_success',
    'Whether kvm-caps opened the KVM device and it answered the stable KVM API (1), or not (0).',
    bit(report.kvm.usable),
  );
  const taken = Date.parse(report.snapshot.createdAt);
  m.gauge(
    'snapshot_timestamp_seconds',
    'When the host snapshot behind these metrics was taken, in seconds since the Unix epoch.',
    Number.isNaN(taken) ? null : taken / 1000,
  );
  m.gauge('build_info', 'The kvm-caps version that took the snapshot.', 1, { version: report.snapshot.tool.version });
  m.gauge(
    'problems',
    'Facts kvm-caps could not read (each is explained in `kvm-caps report`).',
    report.problems.length,
  );

  const release = report.host.kernelRelease;
  if ('value' in release) m.gauge('kernel_info', 'The running kernel release.', 1, { release: release.value });
  const api = report.kvm.apiVersion;
  if ('value' in api) m.gauge('kvm_api_version', 'KVM_GET_API_VERSION (12 is the stable API).', api.value);
  const vmTypes = report.kvm.vmTypes;
  if ('value' in vmTypes) {
    m.gauge(
      'vm_types_mask',
      `KVM_CAP_VM_TYPES as KVM answered it (0: a kernel before ${kernelChange('kvm.cap-vm-types').since}, which ` +
        'cannot list VM types).',
      vmTypes.value.mask,
    );
    if (vmTypes.value.mask !== 0) {
      for (const [, number, short] of KVM_X86_VM_TYPES) {
        m.gauge(
          'vm_type_offered',
          'Whether KVM_CAP_VM_TYPES offers this KVM_CREATE_VM machine type.',
          (vmTypes.value.mask >>> number) & 1,
          { vm_type: short.toLowerCase() },
        );
      }
    }
  }

  for (const state of technologyStates(checks)) {
    m.gauge(
      'technology_applicable',
      'Whether this technology applies to the host at all (0: another ' +
        'CPU vendor or architecture, so its states are 0 by nature, not ' +
        'by fault).',
      bit(state.applicable),
      { technology: state.technology },
    );
  }
  for (const state of technologyStates(checks)) {
    for (const key of ['capable', 'enabled', 'usable'] as const) {
      const value = state[key];
      const help =
        key === 'capable'
          ? 'Whether the hardware and firmware can run this technology (1) or not (0); no sample when undetermined.'
          : key === 'enabled'
            ? 'Whether the kernel and KVM are configured for this technology ' +
              '(1) or not (0); no sample when undetermined.'
            : 'Whether a guest of this technology can be created now (1) or not (0); no sample when undetermined.';
      m.gauge(`technology_${key}`, help, value === null ? null : bit(value), { technology: state.technology });
    }
  }
  for (const state of technologyStates(checks)) {
    for (const key of ['capable', 'enabled', 'usable'] as const) {
      m.gauge(
        'technology_undetermined',
        'Whether kvm-caps could not determine this state (1): a fact needed a privilege, device or probe it lacked.',
        bit(state[key] === null),
        {
          technology: state.technology,
          state: key,
        },
      );
    }
  }

  // Guest keys: TD private KeyIDs and SEV / SEV-ES ASIDs, as the misc cgroup counts them.
  const keyHelp = {
    capacity: 'Guest keys KVM manages (misc cgroup capacity): TDX private KeyIDs for TDs, SEV ASIDs, SEV-ES/SNP ASIDs.',
    in_use: 'Guest keys in use (misc cgroup current).',
    free: 'Guest keys free: capacity minus in use; a new guest of this kind needs one.',
  };
  // A count below 0 is no reading (lib/check/counts.ts warns of it): no sample rather than a negative one.
  const count = (value: number | null): number | null => (value !== null && value >= 0 ? value : null);
  const keys = (resource: string, capacity: number, inUse: number | null, free: number | null): void => {
    m.gauge('guest_keys_capacity', keyHelp.capacity, count(capacity), { resource });
    m.gauge('guest_keys_in_use', keyHelp.in_use, count(inUse), { resource });
    m.gauge('guest_keys_free', keyHelp.free, count(free), { resource });
  };
  const tdx = report.confidential.tdx;
  if (isKnown(tdx.tdKeys)) keys('tdx', tdx.tdKeys.value.capacity, tdx.tdKeys.value.inUse, tdx.tdKeys.value.free);
  const sev = report.confidential.sev;
  if (isKnown(sev.asids.sev))
    keys('sev', sev.asids.sev.value.capacity, sev.asids.sev.value.current, sev.asids.sev.value.free);
  if (isKnown(sev.asids.sevEs))
    keys('sev_es', sev.asids.sevEs.value.capacity, sev.asids.sevEs.value.current, sev.asids.sevEs.value.free);

  // Versions.
  if (isKnown(tdx.moduleVersion)) {
    m.gauge('tdx_module_info', 'The TDX module version (from sysfs or the kernel log).', 1, {
      version: tdx.moduleVersion.value.text,
      from: tdx.moduleVersion.value.from.replace(' ', '_'),
    });
  }
  if (isKnown(tdx.moduleState))
    m.gauge('tdx_module_state', 'The TDX module state (1 for the state it is in).', 1, {
      state: tdx.moduleState.value.state,
    });
  const fw = valueOrNull(sev.platformStatus);
  if (fw !== null) {
    m.gauge('sev_firmware_info', 'The SEV firmware version (SEV_PLATFORM_STATUS: API major.minor and build).', 1, {
      version: fw.firmwareVersion,
      api: fw.api.text,
      build: String(fw.build),
    });
    m.gauge(
      'firmware_guests',
      'Guests the firmware reports running (guest_count of SEV_PLATFORM_STATUS / SNP_PLATFORM_STATUS).',
      fw.guestCount,
      { platform: 'sev' },
    );
  }
  const snp = valueOrNull(sev.snpPlatformStatus);
  if (snp !== null) {
    m.gauge('snp_firmware_info', 'The SEV-SNP firmware version (SNP_PLATFORM_STATUS: API major.minor and build).', 1, {
      version: snp.firmwareVersion,
      api: snp.api.text,
      build: String(snp.buildId),
    });
    m.gauge(
      'snp_tcb_info',
      'The SNP TCB versions: current (installed) and reported (in attestation reports), as raw u64.',
      1,
      { current: snp.tcb.currentRaw, reported: snp.tcb.reportedRaw },
    );
    m.gauge(
      'snp_tcb_match',
      'Whether the current and reported SNP TCB match (0: firmware not committed, or a lower reported TCB was set).',
      bit(snp.tcb.match),
    );
    m.gauge(
      'firmware_guests',
      'Guests the firmware reports running (guest_count of SEV_PLATFORM_STATUS / SNP_PLATFORM_STATUS).',
      snp.guestCount,
      { platform: 'snp' },
    );
  }

  if (checks !== undefined) {
    for (const outcome of ['ready', 'not-ready', 'unknown'] as const) {
      m.gauge(
        'check_outcome',
        'The readiness outcome of `kvm-caps check` (1 for the outcome reached).',
        bit(checks.outcome === outcome),
        { outcome },
      );
    }
    for (const technology of checks.technologies) {
      const counts = new Map<CheckStatus, number>(STATUSES.map((s) => [s, 0]));
      const visit = (results: typeof technology.checks): void => {
        for (const r of results) {
          counts.set(r.status as CheckStatus, (counts.get(r.status as CheckStatus) ?? 0) + 1);
          visit(r.children);
        }
      };
      visit(technology.checks);
      for (const [status, count] of counts) {
        m.gauge('checks', 'Readiness checks by technology and status (PASS, WARN, FAIL, SKIP, UNKNOWN).', count, {
          technology: technology.technology,
          status: status.toLowerCase(),
        });
      }
    }
  }
  return m.text();
}
