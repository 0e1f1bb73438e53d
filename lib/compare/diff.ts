// What differs between two host snapshots, most readiness-relevant first: the VM types KVM
// offers, the capable / enabled / usable verdicts and the facts behind them, firmware and TDX
// module versions, the kernel release, module parameters, capabilities, CPUID features, then
// the rest. Each difference carries both values and where each came from, and `matters`: whether
// it changes what confidential guests the hosts can run (or what those guests attest to).
// Pure: two snapshots in, one document out.
import { isKnown, valueOrNull } from '../decode/sourced.js';
import { sourceOf } from '../check/sev-host-text.js';
import { say } from '../check/tdx-text.js';
import { sevFirmwareText, snpFirmwareText, tcbLayoutText, tcbText } from '../check/sev-platform-text.js';
import { asidCapacityWords, init2Words } from '../check/sev-kvm-amd-text.js';
import { featureSet } from '../decode/cpuid-entry.js';
import type { Snapshot } from '../snapshot/types.js';
import { KVM_X86_VM_TYPES } from '../knowledge/x86.js';
import { capabilityRows } from '../decode/capabilities.js';
import { describeSource } from '../decode/sourced.js';
import { runChecks } from '../check/run.js';
import { TECHNOLOGIES, type CheckReport } from '../check/types.js';
import { technologyStates } from './lifecycle.js';
import { decodeSnapshot, KEY_CAPABILITIES, type HostModel } from '../decode/model.js';
import type { Traced } from '../decode/sourced.js';
import type { DecodedMask } from '../decode/sev-fields.js';
import { kernelChange } from '../knowledge/kernel-versions.js';
import { failureMeaning } from '../knowledge/probe-failures.js';
import { KVM_AMD_PARAMETERS } from '../knowledge/sev.js';
import { TDX_PARAMETERS } from '../knowledge/tdx.js';

export const DIFF_FORMAT = 'kvm-caps-diff';
export const DIFF_VERSION = 1;

/** In the order differences are listed. */
export const DIFF_CATEGORIES = [
  'vm-types',
  'readiness',
  'versions',
  'kernel',
  'module-parameters',
  'capabilities',
  'cpuid',
  'other',
] as const;
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

/** One compared field as one host has it. */
interface Field {
  key: string;
  label: string;
  value: DiffValue;
  text: string;
  source: string;
  /** For rows whose fields differ in whether they matter (a gating module parameter, a key capability). */
  matters?: Compared['matters'];
}

/** What the table knows per host: its snapshot, the model decoded from it, and the one check run over it. */
interface Host {
  snapshot: Snapshot;
  model: HostModel;
  checks: CheckReport;
}

/**
 * A row of the compared-fields table: the category its differences are listed under, whether a
 * difference matters (or a function that decides from both values), and the fields it reads
 * from a host. A row may read no field on a host that lacks the fact (e.g. no SNP status).
 */
interface Compared {
  category: DiffCategory;
  matters: boolean | ((a: DiffValue, b: DiffValue) => boolean);
  /**
   * --deep results: a host that was not asked has not disagreed, so the difference matters only when both were asked.
   */
  deep?: true;
  read(host: Host): Field[];
}

interface Item extends Omit<Field, 'matters'>, Pick<Compared, 'category' | 'matters' | 'deep'> {}

function fromTraced<T>(
  traced: Traced<T>,
  map: (value: T) => DiffValue,
  text?: (value: T) => string,
): Pick<Field, 'value' | 'text' | 'source'> {
  if ('value' in traced) {
    const value = map(traced.value);
    return { value, text: text ? text(traced.value) : String(value), source: traced.source };
  }
  if ('error' in traced)
    return {
      value: null,
      text: `unknown: ${traced.error.code} (${failureMeaning(traced.error)})`,
      source: traced.source,
    };
  return { value: null, text: `unknown: ${traced.missing}`, source: 'not probed' };
}

const tristateText = (value: boolean | null): string => (value === null ? 'unknown' : value ? 'yes' : 'no');
const one = (field: Field | null): Field[] => (field === null ? [] : [field]);
const tdxOf = (h: Host) => h.model.confidential.tdx;
const sevOf = (h: Host) => h.model.confidential.sev;
const tdxCapabilities = (h: Host) => {
  const caps = tdxOf(h).capabilities;
  return isKnown(caps) && caps.value.ok ? caps.value.value : null;
};
const keyCount = (a: DiffValue, b: DiffValue): boolean => (a === 0) !== (b === 0);

/** Every compared field, in listing order within its category. */
const COMPARED: readonly Compared[] = [
  // VM types.
  {
    category: 'vm-types',
    matters: true,
    read: (h) =>
      KVM_X86_VM_TYPES.map(([header, number, short]) => ({
        key: `vm-type.${short}`,
        label: `${header} (${number})`,
        ...fromTraced(
          h.model.kvm.vmTypes,
          (v) => (v.mask === 0 ? null : ((v.mask >>> number) & 1) === 1),
          (v) =>
            v.mask === 0
              ? `not enumerable: KVM_CAP_VM_TYPES is 0 (a kernel before ${kernelChange('kvm.cap-vm-types').since})`
              : ((v.mask >>> number) & 1) === 1
                ? 'offered'
                : 'not offered',
        ),
      })),
  },

  // Readiness: the check run's verdicts, then the facts behind them.
  {
    category: 'readiness',
    matters: true,
    read: (h) =>
      technologyStates(h.checks).flatMap((state) =>
        (['usable', 'enabled', 'capable'] as const).map((key) => ({
          key: `${state.technology}.${key}`,
          label: `${state.technology} ${key}`,
          value: state[key],
          text: key === 'usable' ? `${tristateText(state[key])}: ${state.summary}` : tristateText(state[key]),
          source: state.sources.join('; '),
        })),
      ),
  },
  {
    category: 'readiness',
    matters: true,
    read: (h) => {
      const state = tdxOf(h).moduleState;
      return [
        {
          key: 'tdx.module-state',
          label: 'TDX module state',
          value: isKnown(state) ? state.value.state : null,
          text: isKnown(state) ? say.moduleState(state) : `unknown: ${say.moduleState(state)}`,
          source: state.source ?? 'not collected',
        },
      ];
    },
  },
  {
    category: 'readiness',
    matters: true,
    read: (h) => {
      const caps = tdxOf(h).capabilities;
      const ok = tdxCapabilities(h);
      const source = caps.source ?? 'not probed';
      const unknown = `unknown: KVM_TDX_CAPABILITIES ${say.capabilities(caps)}`;
      return [
        {
          key: 'tdx.capabilities',
          label: 'KVM_TDX_CAPABILITIES',
          value: isKnown(caps) ? (caps.value.ok ? 'ok' : caps.value.failure.code) : null,
          text: ok !== null ? 'ok' : isKnown(caps) ? say.capabilities(caps) : unknown,
          source,
        },
        {
          key: 'tdx.attributes',
          label: 'TD attributes KVM_TDX_CAPABILITIES allows',
          value: ok?.supportedAttributes.mask ?? null,
          text:
            ok === null
              ? unknown
              : `${ok.supportedAttributes.mask} (` +
                `${ok.supportedAttributes.attributes.map((x) => x.name).join(', ') || 'none'})`,
          source,
        },
        {
          key: 'tdx.xfam',
          label: 'TD XFAM KVM_TDX_CAPABILITIES allows',
          value: ok?.supportedXfam.mask ?? null,
          text: ok === null ? unknown : `${ok.supportedXfam.mask} (${ok.supportedXfam.components.join(', ')})`,
          source,
        },
      ];
    },
  },
  {
    category: 'readiness',
    matters: true,
    deep: true,
    read: (h) => {
      const init = tdxOf(h).initVm;
      return init === null
        ? []
        : [
            {
              key: 'tdx.init-vm',
              label: '--deep KVM_TDX_INIT_VM',
              value: isKnown(init) ? init.value.ok : null,
              text: isKnown(init) ? say.initVm(init) : `unknown: ${say.initVm(init)}`,
              source: init.source ?? 'not probed',
            },
          ];
    },
  },
  {
    category: 'readiness',
    matters: true,
    read: (h) => {
      const ps = valueOrNull(sevOf(h).platformStatus);
      if (ps === null) return [];
      return [
        {
          key: 'sev.platform-state',
          label: 'SEV platform state',
          value: ps.stateName ?? ps.state,
          text: `${ps.stateName ?? 'unknown'} (${ps.state})`,
          source: 'ioctl SEV_PLATFORM_STATUS (state)',
        },
        {
          key: 'sev.es-initialised',
          label: 'SEV-ES initialised',
          value: ps.esInitialised,
          text: tristateText(ps.esInitialised),
          source: 'ioctl SEV_PLATFORM_STATUS (flags bit 8)',
        },
      ];
    },
  },
  {
    category: 'readiness',
    matters: true,
    read: (h) => {
      const snp = valueOrNull(sevOf(h).snpPlatformStatus);
      if (snp === null) return [];
      return [
        {
          key: 'snp.platform-state',
          label: 'SNP platform state',
          value: snp.stateName ?? snp.state,
          text: `${snp.stateName ?? 'unknown'} (${snp.state})`,
          source: 'ioctl SNP_PLATFORM_STATUS (state)',
        },
        {
          key: 'snp.rmp-initialised',
          label: 'RMP table initialised',
          value: snp.rmpInitialised,
          text: tristateText(snp.rmpInitialised),
          source: 'ioctl SNP_PLATFORM_STATUS (byte 3 bit 0)',
        },
        {
          key: 'snp.alias-check',
          label: 'SNP alias check complete',
          value: snp.aliasCheckComplete,
          text: tristateText(snp.aliasCheckComplete),
          source: 'ioctl SNP_PLATFORM_STATUS (byte 3 bit 1)',
        },
      ];
    },
  },
  {
    category: 'readiness',
    matters: true,
    read: (h) => {
      const attributes = sevOf(h).sevAttributes;
      const mask = (m: DecodedMask): string =>
        `${m.raw} (${[...m.names, ...m.unknownBits.map((bit) => `bit ${bit}`)].join(', ') || 'none'})`;
      // No such attribute (ENXIO), or no device attributes on /dev/kvm at all: a fact about the kernel, not a failure.
      const sys = sevOf(h).sysAttributes;
      const absent = (fact: Traced<unknown>): string | null =>
        'error' in fact && fact.error.absence
          ? fact.source
          : 'missing' in fact && 'value' in sys && sys.value === 0
            ? sys.source
            : null;
      const attr = <T>(
        key: string,
        label: string,
        fact: Traced<T>,
        value: (v: T) => DiffValue,
        text: (v: T) => string,
      ): Field => {
        const source = absent(fact);
        return source === null
          ? { key: `sev.attr.${key}`, label, ...fromTraced(fact, value, text) }
          : { key: `sev.attr.${key}`, label, value: null, text: 'not offered by this kernel', source };
      };
      return [
        attr('vmsaFeatures', 'KVM_X86_SEV_VMSA_FEATURES', attributes.vmsaFeatures, (v) => v.raw, mask),
        attr('snpPolicyBits', 'KVM_X86_SNP_POLICY_BITS', attributes.snpPolicyBits, (v) => v.raw, mask),
        attr(
          'snpReqCerts',
          'KVM_X86_SEV_SNP_REQ_CERTS',
          attributes.snpReqCerts,
          (v) => v,
          (v) => (v ? '1 (supported)' : '0'),
        ),
      ];
    },
  },
  {
    category: 'readiness',
    matters: true,
    deep: true,
    read: (h) =>
      sevOf(h).init2.map((r) => ({
        key: `sev.init2.${r.vmType}`,
        label: `--deep KVM_SEV_INIT2 on ${r.vmType}`,
        value: 'value' in r.result,
        text: init2Words(r).value,
        source: r.result.source,
      })),
  },

  // Versions.
  {
    category: 'versions',
    matters: true,
    read: (h) => {
      const version = tdxOf(h).moduleVersion;
      const ps = valueOrNull(sevOf(h).platformStatus);
      const snp = valueOrNull(sevOf(h).snpPlatformStatus);
      const psSource = sourceOf(sevOf(h).platformStatus);
      const snpSource = sourceOf(sevOf(h).snpPlatformStatus);
      return [
        { key: 'kvm.api-version', label: 'KVM API version', ...fromTraced(h.model.kvm.apiVersion, (v) => v) },
        {
          key: 'tdx.module-version',
          label: 'TDX module version',
          value: isKnown(version) ? version.value.text : null,
          text: isKnown(version) ? say.moduleVersion(version) : `unknown: ${say.moduleVersion(version)}`,
          source: version.source ?? 'not collected',
        },
        {
          key: 'sev.firmware',
          label: 'SEV firmware',
          value: ps?.firmwareVersion ?? null,
          text: ps === null ? 'not read' : sevFirmwareText(ps),
          source: ps === null ? 'not probed' : `${psSource} (api_major, api_minor, build)`,
        },
        {
          key: 'snp.firmware',
          label: 'SEV-SNP firmware',
          value: snp?.firmwareVersion ?? null,
          text: snp === null ? 'not read' : snpFirmwareText(snp),
          source: snp === null ? 'not probed' : `${snpSource} (api_major, api_minor, build_id)`,
        },
        ...(snp === null
          ? []
          : [
              {
                key: 'snp.tcb.current',
                label: 'SNP current TCB',
                value: snp.tcb.currentRaw,
                text: tcbText(snp.tcb.currentRaw, snp.tcb.current),
                source: `${snpSource} (current_tcb_version; ${tcbLayoutText(snp)})`,
              },
              {
                key: 'snp.tcb.reported',
                label: 'SNP reported TCB',
                value: snp.tcb.reportedRaw,
                text: tcbText(snp.tcb.reportedRaw, snp.tcb.reported),
                source: `${snpSource} (reported_tcb_version; ${tcbLayoutText(snp)})`,
              },
            ]),
      ];
    },
  },

  // Kernel: its effects are the facts above; the release itself does not decide readiness.
  {
    category: 'kernel',
    matters: false,
    read: (h) => [
      { key: 'kernel.release', label: 'Kernel release', ...fromTraced(h.model.host.kernelRelease, (v) => v.trim()) },
    ],
  },

  // Modules and their parameters: kvm_intel and kvm_amd matter (they carry TDX and SEV), and the
  // parameters TDX and SEV depend on.
  { category: 'module-parameters', matters: false, read: moduleFields },

  // Capabilities: one a host has and the other lacks matters, for the capabilities the report shows.
  { category: 'capabilities', matters: false, read: capabilityFields },

  // CPUID offered to guests, by feature name.
  {
    category: 'cpuid',
    matters: false,
    read: (h) => {
      const cpuid = h.snapshot.kvm.supportedCpuid;
      if (cpuid === undefined || !('value' in cpuid)) return [];
      const source = describeSource(cpuid.source);
      return [...featureSet(cpuid.value)].sort().map((name) => ({
        key: `cpuid.${name}`,
        label: `CPUID feature ${name}`,
        value: true,
        text: 'offered',
        source,
      }));
    },
  },
  {
    category: 'cpuid',
    matters: false,
    read: (h) => {
      const summary = h.model.cpuid;
      return [
        ...('value' in summary
          ? [
              {
                key: 'cpuid.physical-address-bits',
                label: 'Guest physical address bits',
                value: summary.value.physicalAddressBits,
                text: String(summary.value.physicalAddressBits),
                source: summary.source,
              },
            ]
          : []),
        {
          key: 'xsave.components',
          label: 'XSAVE components for guests',
          ...fromTraced(
            h.model.kvm.xsaveGuestComponents,
            (v) => v.mask,
            (v) => `${v.mask} (${v.components.join(', ')})`,
          ),
        },
      ];
    },
  },

  // The rest.
  {
    category: 'other',
    matters: false,
    read: (h) => {
      const { host, device, kvm } = h.model;
      const featureMsrs = kvm.featureMsrs;
      return [
        {
          key: 'cpu.model',
          label: 'CPU',
          ...fromTraced(
            host.cpu,
            (v) => `${v.vendor} ${v.family ?? '?'}/${v.model ?? '?'}/${v.stepping ?? '?'} ${v.modelName}`,
          ),
        },
        { key: 'cpu.microcode', label: 'CPU microcode', ...fromTraced(host.cpu, (v) => v.microcode) },
        {
          key: 'host.guest',
          label: 'Runs under a hypervisor',
          ...fromTraced(
            host.isGuest,
            (v) => v,
            (v) => tristateText(v),
          ),
        },
        {
          key: 'device.node',
          label: `${device.path} node`,
          ...fromTraced(device.node, (v) => `${v.type} ${v.major}:${v.minor} ${v.mode} ${v.owner}:${v.group}`),
        },
        {
          key: 'device.open',
          label: `open ${device.path}`,
          ...fromTraced(
            device.open,
            (v) => v,
            () => 'ok',
          ),
        },
        { key: 'kvm.vcpu-mmap-size', label: 'vCPU mmap size', ...fromTraced(kvm.vcpuMmapSize, (v) => v) },
        { key: 'kvm.msr-index-count', label: 'MSRs KVM lists', ...fromTraced(kvm.msrIndexCount, (v) => v) },
        ...('value' in featureMsrs
          ? featureMsrs.value.map((msr) => ({
              key: `msr.${msr.index}`,
              label: `feature MSR ${msr.index}${msr.name ? ` ${msr.name}` : ''}`,
              value: msr.value,
              text: msr.value,
              source: featureMsrs.source,
            }))
          : []),
      ];
    },
  },
  {
    category: 'other',
    matters: keyCount,
    read: (h) => {
      const keys = tdxOf(h).tdKeys;
      return isKnown(keys)
        ? [
            {
              key: 'tdx.keys.capacity',
              label: 'TD keys (capacity)',
              value: keys.value.capacity,
              text: say.tdKeys(keys),
              source: keys.source,
            },
          ]
        : [];
    },
  },
  {
    category: 'other',
    matters: false,
    read: (h) => {
      const { privateKeyIds: keyIds, maxVcpus } = tdxOf(h);
      return [
        ...one(
          isKnown(keyIds)
            ? {
                key: 'tdx.keyids',
                label: 'TDX private KeyIDs (BIOS)',
                value: keyIds.value.count,
                text: say.privateKeyIds(keyIds),
                source: keyIds.source,
              }
            : null,
        ),
        ...one(
          isKnown(maxVcpus)
            ? {
                key: 'tdx.max-vcpus',
                label: 'vCPUs per TD',
                value: maxVcpus.value,
                text: say.maxVcpus(maxVcpus),
                source: maxVcpus.source,
              }
            : null,
        ),
      ];
    },
  },
  {
    category: 'other',
    matters: keyCount,
    read: (h) =>
      (
        [
          ['sev', 'sev'],
          ['sevEs', 'sev_es'],
        ] as const
      ).flatMap(([key, name]) => {
        const asids = sevOf(h).asids[key];
        if (!isKnown(asids)) return [];
        return [
          {
            key: `asids.${name}.capacity`,
            label: `${name} ASIDs (capacity)`,
            value: asids.value.capacity,
            text: asidCapacityWords(asids).value,
            source: asids.source,
          },
        ];
      }),
  },
  {
    category: 'other',
    matters: false,
    read: (h) => {
      const cpuid = sevOf(h).cpuid;
      const problems = h.model.problems;
      return [
        ...one(
          cpuid === null
            ? null
            : {
                key: 'sev.cpuid.asids',
                label: 'ASIDs in CPUID 0x8000001F',
                value: `${cpuid.minSevAsid}/${cpuid.maxEncryptedGuests}`,
                text: `max ${cpuid.maxEncryptedGuests}, SEV from ${cpuid.minSevAsid}`,
                source: `${sevOf(h).cpuidLeaf.source ?? 'KVM_GET_SUPPORTED_CPUID'} ECX`,
              },
        ),
        {
          key: 'context.uid',
          label: 'probed as uid',
          value: h.snapshot.context.uid,
          text: String(h.snapshot.context.uid),
          source: 'snapshot context',
        },
        {
          key: 'problems',
          label: 'facts that could not be read',
          value: problems.length,
          text: problems.map((p) => p.fact).join(', ') || 'none',
          source: 'report problems',
        },
      ];
    },
  },
];

/** The module parameters TDX and SEV depend on, as `module.parameter`. */
const GATING = new Set([
  ...TDX_PARAMETERS.map((p) => `${p.module}.${p.parameter}`),
  ...KVM_AMD_PARAMETERS.map((p) => `kvm_amd.${p.name}`),
]);

/** The KVM modules, each followed by its parameters. */
function moduleFields(h: Host): Field[] {
  const modules = h.snapshot.host.modules;
  const out: Field[] = [];
  if (!('value' in modules)) return out;
  const root = h.snapshot.context.root.replace(/\/$/, '');
  for (const name of ['kvm', 'kvm_intel', 'kvm_amd'] as const) {
    const module = modules.value[name];
    out.push({
      key: `module.${name}`,
      label: `${name} module`,
      value: module === undefined ? 'absent' : module.initstate === null ? 'built-in' : module.initstate,
      text:
        module === undefined ? 'not loaded' : module.initstate === null ? 'built in' : `loaded (${module.initstate})`,
      source: describeSource(modules.source),
      matters: name !== 'kvm',
    });
    if (module === undefined) continue;
    for (const [parameter, raw] of Object.entries(module.parameters)) {
      out.push({
        key: `param.${name}.${parameter}`,
        label: `${name}.${parameter}`,
        value: typeof raw === 'string' ? raw.trim() : null,
        text: typeof raw === 'string' ? raw.trim() : `unreadable (${raw.code})`,
        source: `file ${root}/sys/module/${name}/parameters/${parameter}`,
        matters: GATING.has(`${name}.${parameter}`),
      });
    }
  }
  return out;
}

/** Presence differs: one host has the capability (non-zero), the other not. */
const presence = (a: DiffValue, b: DiffValue): boolean =>
  (typeof a === 'number' && a > 0) !== (typeof b === 'number' && b > 0);

/** A capability answer as compared: its value, or null with why it is unknown. */
function answerField(answer: Traced<number>): { value: number | null; text: string } {
  if ('value' in answer) return { value: answer.value, text: String(answer.value) };
  return { value: null, text: `unknown${'error' in answer ? ` (${answer.error.code})` : ''}` };
}

/** Every capability's system answer, and its default-VM answer where the snapshot has one. */
function capabilityFields(h: Host): Field[] {
  const hasVm = h.snapshot.kvm.capabilities?.vm !== undefined;
  return capabilityRows(h.snapshot.kvm).flatMap((row) => {
    const matters = KEY_CAPABILITIES.includes(row.name) ? presence : false;
    return [
      {
        key: `cap.${row.name}.system`,
        label: `${row.name} (system)`,
        ...answerField(row.system),
        source: row.system.source ?? 'not probed',
        matters,
      },
      ...(hasVm
        ? [
            {
              key: `cap.${row.name}.vm`,
              label: `${row.name} (default VM)`,
              ...answerField(row.vm),
              source: row.vm.source ?? 'not probed',
              matters,
            },
          ]
        : []),
    ];
  });
}

/** Every compared field for one host, in listing order. */
function items(host: Host): Item[] {
  return COMPARED.flatMap((row) =>
    row.read(host).map((field) => ({
      ...field,
      category: row.category,
      matters: field.matters ?? row.matters,
      ...(row.deep ? { deep: true as const } : {}),
    })),
  );
}

const CPUID_FEATURE = /^cpuid\.(?!physical-address-bits$)/;

/** The side of a difference for an item one host does not have. */
function absent(key: string, snapshot: Snapshot): DiffSide {
  if (CPUID_FEATURE.test(key)) {
    const cpuid = snapshot.kvm.supportedCpuid;
    if (cpuid !== undefined && 'value' in cpuid)
      return { value: false, text: 'not offered', source: describeSource(cpuid.source) };
    return {
      value: null,
      text: 'unknown: KVM_GET_SUPPORTED_CPUID is not in this snapshot',
      source: cpuid === undefined ? 'not probed' : describeSource(cpuid.source),
    };
  }
  if (key.startsWith('param.')) return { value: null, text: 'no such parameter', source: 'not in this snapshot' };
  return { value: null, text: 'not in this snapshot', source: 'not in this snapshot' };
}

function host(report: HostModel): DiffHost {
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
  const itemsA = items({ snapshot: a, model: reportA, checks: runChecks(a, TECHNOLOGIES, reportA) });
  const itemsB = items({ snapshot: b, model: reportB, checks: runChecks(b, TECHNOLOGIES, reportB) });
  const byKeyB = new Map(itemsB.map((i) => [i.key, i]));
  const byKeyA = new Map(itemsA.map((i) => [i.key, i]));
  // Union in listing order: A's items, then B's that A lacks, each after its category's items.
  const order: Item[] = [...itemsA, ...itemsB.filter((i) => !byKeyA.has(i.key))];
  const rank = (c: DiffCategory): number => DIFF_CATEGORIES.indexOf(c);
  const sorted = order
    .map((item, index) => ({ item, index }))
    .sort((x, y) => rank(x.item.category) - rank(y.item.category) || x.index - y.index);

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
