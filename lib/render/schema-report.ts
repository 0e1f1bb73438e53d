// JSON Schema of the host report (format "kvm-caps-report", version 2): what `kvm-caps --json`
// prints, lib/render/report.ts's Report. Every field the types declare is required (optional
// ones end in '?'); fields may be added in a minor release, so unknown properties are allowed.
// The deepest decoded parts (TD CPUID configs, kernel-log facts) are described by their
// top-level shape only.
import { REPORT_FORMAT, REPORT_VERSION } from './report.js';
import {
  CHECK_DEFS,
  OUTCOME,
  kvmDiagnosis,
  tdxExplanation,
  technologyChecks,
  technologyVerdict,
} from './schema-check.js';
import {
  DIALECT,
  ID_BASE,
  anything,
  array,
  boolean,
  constant,
  either,
  nullable,
  object,
  oneOfStrings,
  record,
  ref,
  string,
  type JsonSchema,
} from '../snapshot/schema-keywords.js';
import { DEVICE_NODE, PROBE_CONTEXT } from '../snapshot/schema.js';

/** Report numbers are kvm-caps's own: any JSON integer. */
const integer: JsonSchema = { type: 'integer' };

/**
 * lib/decode/sourced.ts Traced<T>: a value with its source, a failed probe, or what was not
 * collected or found (with the TDX model's typed gap, lib/decode/tdx.ts TdxGap).
 */
const tracedFailure = object({ error: ref('failure'), source: string });

function traced(value: JsonSchema): JsonSchema {
  return either(
    object({ value, source: string }),
    object({ error: ref('failure'), source: string }),
    object({ missing: string, 'source?': string, 'gap?': ref('tdxGap') }),
  );
}

/** lib/decode/sourced.ts Probed<T>: a fact that was asked, its value or its failure, with its source. */
function probed(value: JsonSchema): JsonSchema {
  return either(object({ value, source: string }), tracedFailure);
}

/** lib/decode/tdx.ts ProbeOutcome<T>. */
function outcome(value: JsonSchema): JsonSchema {
  return either(
    object({ ok: constant(true), value }),
    object({ ok: constant(false), failure: ref('failure'), hwError: nullable(ref('hwError')) }),
  );
}

const nullableInteger = nullable(integer);
const nullableBoolean = nullable(boolean);
const strings = array(string);
const integers = array(integer);
const decodedMask = object({ raw: string, names: strings, unknownBits: integers });
const decodedFlags = object({ raw: integer, names: strings, unknownBits: integers });
const asidCapacity = traced(object({ capacity: integer, current: nullableInteger, free: nullableInteger }));
const api = object({ major: integer, minor: integer, text: string });
const tcbVersion = nullable(
  object({
    raw: string,
    layout: oneOfStrings('milan-genoa', 'turin'),
    fmc: nullableInteger,
    bootloader: integer,
    tee: integer,
    snp: integer,
    microcode: integer,
    reservedNonZero: boolean,
  }),
);

const tdxView = object({
  technologies: array(technologyChecks),
  kernelRelease: traced(string),
  vmType: traced(object({ offered: boolean, mask: integer, offeredTypes: strings })),
  createVm: traced(outcome(constant(true))),
  capabilities: traced(
    outcome(
      object({
        supportedAttributes: ref('tdAttributes'),
        supportedXfam: object({ mask: string, components: strings, unknownBits: integers }),
        tdvmcall: object({
          words: object({ kernelR11: string, userR11: string, kernelR12: string, userR12: string }),
          leaves: array(object({ register: oneOfStrings('r11', 'r12'), bit: integer })),
        }),
        cpuidConfigCount: integer,
        cpuidConfigs: array(object({ function: integer, index: integer, masks: record(string) })),
        notConfigurable: traced(
          array(
            object({
              function: integer,
              index: integer,
              register: string,
              features: strings,
              unknownBits: integers,
              leafListed: boolean,
              bits: array(
                object({
                  bit: integer,
                  name: nullable(string),
                  kind: oneOfStrings('qemu-fixed1', 'kvm-removed', 'native', 'not-configurable'),
                }),
              ),
            }),
          ),
        ),
      }),
    ),
  ),
  maxVcpus: traced(integer),
  initVm: nullable(
    traced(
      outcome(
        object({
          requested: object({
            attributes: ref('tdAttributes'),
            xfam: object({ components: strings }),
            cpuidEntries: integer,
          }),
          hwError: ref('hwError'),
        }),
      ),
    ),
  ),
  moduleVersion: traced(
    object({
      text: string,
      major: integer,
      minor: integer,
      update: nullableInteger,
      buildNum: nullableInteger,
      buildDate: nullable(string),
      from: oneOfStrings('sysfs', 'kernel log'),
      format: oneOfStrings('sysfs', 'tdsysinfo', 'major.minor.update', 'major.minor.update.internal.build'),
    }),
  ),
  moduleState: traced(
    object({
      state: oneOfStrings(
        'initialized',
        'not-loaded',
        'not-supported',
        'platform-init-failed',
        'failed',
        'not-initialized',
      ),
      'inferredFrom?': oneOfStrings('version-file', 'vm-type', 'version-file-enxio'),
      'seamcall?': nullable(object({ leafName: string, status: string, statusName: nullable(string) })),
    }),
  ),
  privateKeyIds: traced(object({ start: integer, end: integer, count: integer, guestKeyIds: integer })),
  pamt: traced(object({ kib: integer, pages: nullableInteger })),
  tdKeys: traced(object({ capacity: integer, inUse: nullableInteger, free: nullableInteger })),
  cpuFlag: traced(boolean),
  parameters: array(
    object({
      module: string,
      parameter: string,
      required: string,
      value: nullable(string),
      found: oneOfStrings('value', 'module-not-loaded', 'no-such-parameter', 'unreadable'),
      error: nullable(object({ code: string, failure: nullable(ref('failure')) })),
      source: string,
    }),
  ),
  seamcallFailures: array(
    object({
      failure: object({ leaf: nullableInteger, leafName: nullable(string), status: string }),
      decoded: ref('hwError'),
      source: string,
    }),
  ),
  kvmMessages: array(object({ message: object({ text: string, kind: string, parameters: strings }), source: string })),
  bringupFailure: nullable(
    object({
      kind: oneOfStrings('module-init', 'module-limit', 'module-not-loaded', 'prerequisite'),
      evidence: object({ value: string, source: string, line: string, index: integer }),
      errno: nullableInteger,
    }),
  ),
  guestLog: nullable(object({ lines: integer, first: object({ value: string, source: string }) })),
  moduleRelease: nullable(object({ version: string, features0: string, features0Bits: integers })),
  runtimeUpdate: object({ seamldrVersion: traced(string), numRemainingUpdates: traced(integer) }),
  kernelLog: traced(object({ records: integer, tdxLines: integer, olderBootRecords: integer, guestLines: integer })),
  explanations: array(tdxExplanation),
});

const snpPolicyBits = object({
  raw: string,
  names: strings,
  unknownBits: integers,
  abiMajor: integer,
  abiMinor: integer,
});

/** lib/decode/sev.ts SevView: the three facets (sev-host.ts, sev-platform.ts, sev-kvm-amd.ts) and the SEV checks. */
const sevView = object({
  technologies: array(technologyChecks),
  vmTypeMask: traced(integer),
  sysAttributes: traced(integer),
  sevAttributes: object({
    vmsaFeatures: traced(decodedMask),
    snpPolicyBits: traced(snpPolicyBits),
    snpReqCerts: traced(boolean),
  }),
  cpuinfo: traced(object({ modelName: nullable(string) })),
  cpuidLeaf: traced(object({ listed: boolean, allZero: boolean })),
  probeUid: integer,
  sevNode: nullable(traced(DEVICE_NODE)),
  sevOpen: traced(constant(true)),
  sevAccess: nullable(traced(object({ read: boolean, write: boolean }))),
  memlock: nullable(traced(object({ soft: nullableInteger, hard: nullableInteger }))),
  sevAcl: nullable(traced(nullable(strings))),
  snpPlatformStatusWithheld: nullable(
    object({ reason: string, kernelChange: string, snpInitialized: oneOfStrings('no', 'unknown'), override: string }),
  ),
  chipId: nullable(probed(object({ bytes: integer }))),
  psp: nullable(
    probed(
      object({
        fusedPart: nullableBoolean,
        debugLockOn: nullableBoolean,
        attributes: array(object({ name: string, value: probed(string) })),
      }),
    ),
  ),
  vmTypes: array(object({ name: oneOfStrings('SEV', 'SEV_ES', 'SNP'), type: integer, offered: nullableBoolean })),
  cpu: object({
    vendor: nullable(string),
    family: nullableInteger,
    model: nullableInteger,
    generation: nullable(oneOfStrings('Milan', 'Genoa', 'Turin', 'Venice')),
    flags: object({ sme: nullableBoolean, sev: nullableBoolean, sev_es: nullableBoolean, sev_snp: nullableBoolean }),
    isGuest: nullableBoolean,
  }),
  cpuid: nullable(
    object({
      features: strings,
      unknownBits: integers,
      cBitPosition: integer,
      physicalAddressReduction: integer,
      numberOfVmpls: integer,
      maxEncryptedGuests: integer,
      minSevAsid: integer,
      sevAsids: nullable(object({ first: integer, last: integer })),
      sevEsAsids: nullable(object({ first: integer, last: integer })),
    }),
  ),
  kernelRelease: traced(string),
  kvmAmd: object({
    module: probed(object({ loaded: boolean, initstate: nullable(string) })),
    parameters: record(traced(object({ raw: string, enabled: nullableBoolean }))),
  }),
  platformStatus: traced(
    object({
      api,
      build: integer,
      firmwareVersion: string,
      state: integer,
      stateName: nullable(string),
      flags: decodedFlags,
      owned: boolean,
      esInitialised: boolean,
      guestCount: integer,
      meetsSnpMinimum: boolean,
    }),
  ),
  snpPlatformStatus: traced(
    object({
      api,
      buildId: integer,
      firmwareVersion: string,
      state: integer,
      stateName: nullable(string),
      rmpFlags: decodedFlags,
      rmpInitialised: boolean,
      aliasCheckComplete: boolean,
      featureFlags: decodedFlags,
      guestCount: integer,
      tcb: object({
        currentRaw: string,
        reportedRaw: string,
        match: boolean,
        generation: nullable(string),
        layout: nullable(oneOfStrings('milan-genoa', 'turin')),
        current: tcbVersion,
        reported: tcbVersion,
      }),
    }),
  ),
  asids: object({ sev: asidCapacity, sevEs: asidCapacity }),
  kernelLog: traced(object({ records: integer, olderBootRecords: integer })),
  log: nullable(
    object({
      asids: { type: 'object' },
      failures: array(anything),
      psp: { type: 'object' },
      rmp: { type: 'object' },
      iommu: { type: 'object' },
    }),
  ),
  init2: array(
    object({
      vmType: string,
      vmsaFeatures: string,
      result: probed(constant(true)),
    }),
  ),
  msrs: object({ SYSCFG: traced(string), RMP_BASE: traced(string), RMP_END: traced(string) }),
  hostCpuid: traced(object({ eax: string, ebx: string })),
});

const backend = object({
  name: string,
  vendor: oneOfStrings('intel', 'amd', 'other'),
  state: oneOfStrings('loaded', 'built-in'),
  parameters: record(either(string, object({ error: string }))),
});

export const REPORT_SCHEMA: JsonSchema = {
  $schema: DIALECT,
  $id: `${ID_BASE}/report/${REPORT_VERSION}`,
  title: 'kvm-caps host report',
  description:
    'What `kvm-caps report --json` prints: the host snapshot decoded - kernel, CPU, KVM modules and device, ' +
    'API version, VM types, capabilities, CPUID, Intel TDX and AMD SEV - each value with the source it came from, ' +
    'or why it is not known, and per technology the verdict of `kvm-caps check`.',
  ...object({
    format: constant(REPORT_FORMAT),
    version: constant(REPORT_VERSION),
    snapshot: ref('snapshotInfo'),
    host: object({
      kernelRelease: traced(string),
      cpu: traced(
        object({
          vendor: string,
          family: nullableInteger,
          model: nullableInteger,
          stepping: nullableInteger,
          modelName: string,
          microcode: nullable(string),
          flags: strings,
        }),
      ),
      isGuest: traced(boolean),
      modules: traced(object({ kvm: nullable(backend), backends: array(backend) })),
      kernelLog: traced(object({ records: integer, cut: nullable(object({ size: integer, kept: integer })) })),
    }),
    device: object({
      path: string,
      node: traced(
        object({ type: string, mode: string, owner: string, group: string, major: integer, minor: integer }),
      ),
      open: traced(constant(true)),
    }),
    kvm: object({
      usable: boolean,
      apiVersion: traced(integer),
      vcpuMmapSize: traced(integer),
      vmTypes: traced(object({ mask: integer, offered: strings, unknownBits: integers })),
      capabilities: array(
        object({
          name: string,
          number: integer,
          system: traced(integer),
          vm: traced(integer),
          'decoded?': either(
            object({ flags: strings, unknownBits: integers }),
            object({ vmTypes: strings, unknownBits: integers }),
            object({ count: integer, unit: string }),
          ),
        }),
      ),
      capabilitiesPresent: integer,
      defaultVm: traced(constant(true)),
      xsaveGuestComponents: traced(object({ mask: string, components: strings, unknownBits: integers })),
      msrIndexCount: traced(integer),
      featureMsrs: traced(array(object({ index: string, name: nullable(string), value: string }))),
    }),
    cpuid: traced(
      object({
        entries: integer,
        maxBasicLeaf: nullableInteger,
        maxExtendedLeaf: nullableInteger,
        physicalAddressBits: nullableInteger,
        highlights: array(object({ name: string, supported: boolean, emulated: boolean })),
      }),
    ),
    confidential: object({ tdx: tdxView, sev: sevView }),
    problems: array(object({ fact: string, source: string, error: ref('failure') })),
    technologies: array(technologyVerdict),
    outcome: OUTCOME,
    kvmDiagnosis,
  }),
  $defs: {
    ...CHECK_DEFS,
    snapshotInfo: object({
      createdAt: string,
      tool: object({ name: string, version: string }),
      context: PROBE_CONTEXT,
    }),
    failure: object({
      code: string,
      errno: integer,
      message: string,
      syscall: string,
      'request?': string,
      target: oneOfStrings('file', 'directory', 'device'),
      path: string,
      'hwError?': string,
      'firmwareError?': integer,
      'absence?': constant(true),
    }),
    tdxGap: object({
      kind: oneOfStrings(
        'kvm-capabilities-not-probed',
        'kernel-log-not-read',
        'no-keyid-line',
        'no-pamt-line',
        'no-misc-tdx-line',
        'module-version',
      ),
      'versionFile?': nullable(string),
      'kernelLog?': oneOfStrings('not-read', 'read', 'no-line'),
    }),
    hwError: object({
      value: string,
      status: string,
      name: nullable(string),
      nameSource: nullable(oneOfStrings('kernel', 'abi-spec', 'kernel-sw')),
      matchedOn: nullable(oneOfStrings('status', 'class', 'value')),
      error: boolean,
      nonRecoverable: boolean,
      details: integer,
      operand: nullable(object({ id: integer, name: nullable(string) })),
    }),
    tdAttributes: object({
      mask: string,
      attributes: array(object({ bit: integer, name: string })),
      unknownBits: integers,
      beyondKvm: strings,
    }),
  },
};
