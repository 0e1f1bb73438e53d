// Reading a saved snapshot: parse, check its format and version, check every field.
import { InputFileError, MiB, readBounded, utf8Text } from './bounded-read.js';
import { SNAPSHOT_FORMAT, SNAPSHOT_VERSION, type Snapshot } from './types.js';
import {
  SnapshotFormatError,
  array,
  boolean,
  dateTime,
  describe,
  either,
  hexString,
  integer,
  literal,
  nullable,
  object,
  record,
  string,
  u32,
  withSchema,
  type Check,
} from './validate.js';

const source: Check = either(
  'a source ({ioctl, path, fd} | {file} | {directory} | {syscall, path})',
  object({
    ioctl: string,
    path: string,
    fd: either('"system" or "vm"', literal('system'), literal('vm')),
    'arg?': string,
  }),
  object({ file: string }),
  object({ directory: string }),
  object({ syscall: string, path: string }),
);

const probeError: Check = object({
  code: string,
  errno: integer,
  syscall: string,
  'request?': string,
  'path?': string,
  message: string,
  'hwError?': hexString,
  'firmwareError?': u32,
});

const withSource = object({ source });

/** The shapes every fact's schema refers to; the snapshot schema carries them as $defs. */
export const SCHEMA_DEFS = {
  get source() {
    return source.schema;
  },
  get probeError() {
    return probeError.schema;
  },
};

/**
 * A fact: its source and either a value (checked by `value`) or an error, never both.
 * `extra` names further fields some facts carry (optional ones end in '?').
 */
function fact(value: Check, extra: Record<string, Check> = {}): Check {
  const head = Object.keys(extra).length === 0 ? withSource : object({ source, ...extra });
  return withSchema(
    (v, f) => {
      head(v, f);
      const record = v as Record<string, unknown>;
      if ('value' in record && 'error' in record)
        throw new SnapshotFormatError(f, 'a fact holds either "value" or "error", not both');
      if ('value' in record) value(record.value, `${f}.value`);
      else if ('error' in record) probeError(record.error, `${f}.error`);
      else throw new SnapshotFormatError(f, 'a fact needs either "value" or "error"');
    },
    () => {
      const extraSchema = object(extra).schema as { properties: Record<string, unknown>; required?: string[] };
      return {
        // The two shared shapes are defined once, in the snapshot schema's $defs (SCHEMA_DEFS).
        type: 'object',
        properties: { source: { $ref: '#/$defs/source' }, ...extraSchema.properties },
        required: ['source', ...(extraSchema.required ?? [])],
        not: { type: 'object', properties: { value: true, error: true }, required: ['value', 'error'] },
        // With "value" the value is checked; without, "error" must be a probe error.
        if: { type: 'object', properties: { value: true }, required: ['value'] },
        then: { type: 'object', properties: { value: value.schema } },
        else: { type: 'object', required: ['error'], properties: { error: { $ref: '#/$defs/probeError' } } },
      };
    },
  );
}

const checkResults = record(
  either('a number or {code, errno}', integer, object({ code: string, errno: integer })),
  /^\d+$/,
);

const cpuidEntries = array(object({ function: u32, index: u32, flags: u32, eax: u32, ebx: u32, ecx: u32, edx: u32 }));

/** lib/snapshot/types.ts DeviceNode: stat(2) of a device node. */
export const deviceNode = object({
  type: string,
  mode: integer,
  uid: integer,
  gid: integer,
  owner: nullable(string),
  group: nullable(string),
  major: integer,
  minor: integer,
});

const counts = record(integer);

const tdxFacts = object({
  vm: fact(literal(true)),
  'capabilities?': fact(
    object({
      supportedAttrs: hexString,
      supportedXfam: hexString,
      kernelTdvmcallinfo1R11: hexString,
      userTdvmcallinfo1R11: hexString,
      kernelTdvmcallinfo1R12: hexString,
      userTdvmcallinfo1R12: hexString,
      cpuid: cpuidEntries,
    }),
  ),
  'maxVcpus?': fact(integer),
  'initVm?': object({
    config: object({ attributes: hexString, xfam: hexString, cpuidEntries: integer }),
    result: fact(object({ hwError: hexString })),
  }),
});

const sevDeviceFacts = object({
  open: fact(literal(true)),
  'platformStatus?': fact(
    object({ apiMajor: u32, apiMinor: u32, state: u32, flags: u32, build: u32, guestCount: u32 }),
  ),
  'snpPlatformStatus?': fact(
    object({
      apiMajor: u32,
      apiMinor: u32,
      state: u32,
      rmpFlags: u32,
      buildId: u32,
      featureFlags: u32,
      guestCount: u32,
      currentTcbVersion: hexString,
      reportedTcbVersion: hexString,
    }),
  ),
  'chipId?': fact(string),
  'withheld?': record(
    object({
      reason: string,
      kernelChange: string,
      snpInitialized: either('"no" or "unknown"', literal('no'), literal('unknown')),
      override: string,
    }),
  ),
});

/** Where and as whom the probe ran (also part of the report and the check report). */
export const probeContext: Check = object({
  root: string,
  device: string,
  'sevDevice?': string,
  uid: integer,
  gid: integer,
  groups: array(integer),
  arch: string,
  platform: string,
});

/** The whole document; its schema is the published snapshot schema (lib/snapshot/schema.ts). */
export const snapshotCheck: Check = object({
  format: literal(SNAPSHOT_FORMAT),
  version: withSchema(
    (v, f) => {
      if (v !== SNAPSHOT_VERSION) {
        throw new SnapshotFormatError(
          f,
          `snapshot version ${describe(v)} is not supported (this kvm-caps reads version ${SNAPSHOT_VERSION})`,
        );
      }
    },
    () => literal(SNAPSHOT_VERSION).schema,
  ),
  createdAt: dateTime,
  tool: object({ name: string, version: string }),
  context: probeContext,
  host: object({
    kernelRelease: fact(string),
    cpuinfo: fact(record(string)),
    modules: fact(
      record(
        object({ initstate: nullable(string), parameters: record(either('a string or an error', string, probeError)) }),
      ),
    ),
    device: fact(deviceNode),
    // "cut": only the newest part of a log file over its bound was read (absent: all of it).
    'kernelLog?': fact(
      array(object({ priority: nullable(integer), timestampUs: nullable(integer), message: string, 'boot?': integer })),
      {
        'cut?': object({ size: integer, kept: integer }),
      },
    ),
    'miscCapacity?': fact(counts),
    'miscCurrent?': fact(counts),
    'tdxModuleVersion?': fact(string),
    'tdxSeamldrVersion?': fact(string),
    'tdxNumRemainingUpdates?': fact(string),
    'sevDevice?': fact(deviceNode),
    'cmdline?': fact(string),
    'moduleFiles?': fact(object({ builtin: array(string), loadable: array(string) })),
    'firmwareMsr?': fact(object({ index: hexString, value: nullable(hexString) })),
    'deviceAccess?': fact(object({ read: boolean, write: boolean })),
    'deviceAcl?': fact(object({ entries: nullable(array(string)), 'stderr?': string })),
    'container?': fact(
      object({ markers: array(string), systemdContainer: nullable(string), pid1Cgroup: array(string) }),
    ),
    'sevDeviceAccess?': fact(object({ read: boolean, write: boolean })),
    'memlockLimit?': fact(object({ soft: nullable(integer), hard: nullable(integer) })),
    'msrs?': record(fact(hexString), /^0x[0-9a-f]+$/),
    'hostCpuid8000001f?': fact(object({ eax: hexString, ebx: hexString, ecx: hexString, edx: hexString })),
    'sevDeviceAcl?': fact(object({ entries: nullable(array(string)), 'stderr?': string })),
    'pspSysfs?': fact(
      object({ device: string, attributes: record(either('a string or an error', string, probeError)) }),
    ),
  }),
  kvm: object({
    open: fact(literal(true)),
    'apiVersion?': fact(integer),
    'vcpuMmapSize?': fact(integer),
    'capabilities?': object({ system: fact(checkResults), 'vm?': fact(checkResults) }),
    'defaultVm?': fact(literal(true)),
    'supportedCpuid?': fact(cpuidEntries),
    'emulatedCpuid?': fact(cpuidEntries),
    'msrIndexList?': fact(array(u32)),
    'msrFeatureIndexList?': fact(array(u32)),
    'featureMsrs?': fact(object({ values: record(hexString, /^0x[0-9a-f]+$/), unreadable: array(hexString) })),
    'xcompGuestSupp?': fact(hexString),
    'tdx?': tdxFacts,
    'sevAttributes?': object({
      vmsaFeatures: fact(hexString),
      snpPolicyBits: fact(hexString),
      snpReqCerts: fact(hexString),
    }),
    'sevInit2?': record(object({ vmsaFeatures: hexString, result: fact(literal(true)) })),
  }),
  'sev?': sevDeviceFacts,
});

/** Checks a parsed document and returns it typed; throws SnapshotFormatError naming the first bad field. */
export function validateSnapshot(document: unknown): Snapshot {
  snapshotCheck(document, 'snapshot');
  return document as Snapshot;
}

export class SnapshotFileError extends Error {
  constructor(path: string, problem: string) {
    super(`${path === '-' ? 'standard input' : path}: ${problem}`);
    this.name = 'SnapshotFileError';
  }
}

/**
 * The largest snapshot file read. kvm-caps writes far less: its largest part, the kernel log,
 * is at most MAX_LOG_RECORDS (4000) messages of at most 2048 characters, under 50 MiB even
 * if every character were JSON-escaped.
 */
export const MAX_SNAPSHOT_BYTES = 64 * MiB;

/**
 * Reads and checks a snapshot file ('-': standard input). Throws SnapshotFileError with the
 * file and the field at fault.
 */
export function loadSnapshot(path: string): Snapshot {
  let text: string;
  try {
    text = utf8Text(readBounded(path, MAX_SNAPSHOT_BYTES, 'refuse', { stdin: true }).bytes);
  } catch (error) {
    if (error instanceof InputFileError) throw new SnapshotFileError(path, `cannot read the snapshot: ${error.detail}`);
    throw new SnapshotFileError(
      path,
      `cannot read the snapshot (${(error as NodeJS.ErrnoException).code ?? String(error)})`,
    );
  }
  let document: unknown;
  try {
    document = JSON.parse(text);
  } catch (error) {
    throw new SnapshotFileError(path, `not a JSON document (${(error as Error).message})`);
  }
  try {
    return validateSnapshot(document);
  } catch (error) {
    if (error instanceof SnapshotFormatError)
      throw new SnapshotFileError(path, `not a valid kvm-caps snapshot: ${error.message}`);
    throw error;
  }
}
