// JSON Schema of the host snapshot (format "kvm-caps-snapshot", version 1): the same fields,
// required and optional, as lib/snapshot/load.ts's validator checks, field for field, so a
// document this schema accepts is one `kvm-caps --from` loads. Like the validator it allows
// fields it does not know (newer writers; the fixtures' fixtureNotes).
import { SNAPSHOT_FORMAT, SNAPSHOT_VERSION } from '../snapshot/types.js';
import {
  DIALECT,
  ID_BASE,
  array,
  constant,
  either,
  hexString,
  integer,
  nullable,
  object,
  record,
  ref,
  string,
  u32,
  type JsonSchema,
} from './keywords.js';

/** A fact: where it came from, and either its value (checked by `value`) or the error that stopped it. */
function fact(value: JsonSchema): JsonSchema {
  return {
    type: 'object',
    properties: { source: ref('source') },
    required: ['source'],
    // lib/snapshot/load.ts: with "value" the value is checked, else "error" must be a probe error.
    if: { type: 'object', properties: { value: true }, required: ['value'] },
    then: { type: 'object', properties: { value } },
    else: { type: 'object', required: ['error'], properties: { error: ref('probeError') } },
  };
}

/** Where and as whom the probe ran (also part of the report and the check report). */
export const PROBE_CONTEXT: JsonSchema = object({
  root: string,
  device: string,
  'sevDevice?': string,
  uid: integer,
  gid: integer,
  groups: array(integer),
  arch: string,
  platform: string,
});

const cpuidEntries = array(object({ function: u32, index: u32, flags: u32, eax: u32, ebx: u32, ecx: u32, edx: u32 }));

export const SNAPSHOT_SCHEMA: JsonSchema = {
  $schema: DIALECT,
  $id: `${ID_BASE}/snapshot/${SNAPSHOT_VERSION}`,
  title: 'kvm-caps host snapshot',
  description:
    'Everything kvm-caps collected from one host, raw: each fact names its source and holds either its value or the error that stopped it. Written by `kvm-caps snapshot`, replayed with `kvm-caps --from FILE`.',
  ...object({
    format: constant(SNAPSHOT_FORMAT),
    version: constant(SNAPSHOT_VERSION),
    createdAt: string,
    tool: object({ name: string, version: string }),
    context: PROBE_CONTEXT,
    host: object({
      kernelRelease: fact(string),
      cpuinfo: fact(record(string)),
      modules: fact(record(object({ initstate: nullable(string), parameters: record(either(string, ref('probeError'))) }))),
      device: fact(ref('deviceNode')),
      'kernelLog?': fact(array(object({ priority: nullable(integer), timestampUs: nullable(integer), message: string }))),
      'miscCapacity?': fact(record(integer)),
      'miscCurrent?': fact(record(integer)),
      'tdxModuleVersion?': fact(string),
      'sevDevice?': fact(ref('deviceNode')),
    }),
    kvm: object({
      open: fact(constant(true)),
      'apiVersion?': fact(integer),
      'vcpuMmapSize?': fact(integer),
      'capabilities?': object({ system: fact(ref('checkResults')), 'vm?': fact(ref('checkResults')) }),
      'defaultVm?': fact(constant(true)),
      'supportedCpuid?': fact(cpuidEntries),
      'emulatedCpuid?': fact(cpuidEntries),
      'msrIndexList?': fact(array(u32)),
      'msrFeatureIndexList?': fact(array(u32)),
      'featureMsrs?': fact(object({ values: record(hexString, '^0x[0-9a-f]+$'), unreadable: array(hexString) })),
      'xcompGuestSupp?': fact(hexString),
      'tdx?': object({
        vm: fact(constant(true)),
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
      }),
      'sevAttributes?': object({ vmsaFeatures: fact(hexString), snpPolicyBits: fact(hexString), snpReqCerts: fact(hexString) }),
      'sevInit2?': record(object({ vmsaFeatures: hexString, result: fact(constant(true)) })),
    }),
    'sev?': object({
      open: fact(constant(true)),
      'platformStatus?': fact(object({ apiMajor: u32, apiMinor: u32, state: u32, flags: u32, build: u32, guestCount: u32 })),
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
    }),
  }),
  $defs: {
    source: either(
      object({ ioctl: string, path: string, fd: either(constant('system'), constant('vm')), 'arg?': string }),
      object({ file: string }),
      object({ directory: string }),
      object({ syscall: string, path: string }),
    ),
    probeError: object({
      code: string,
      errno: integer,
      syscall: string,
      'request?': string,
      'path?': string,
      message: string,
      'hwError?': hexString,
      'firmwareError?': u32,
    }),
    deviceNode: object({
      type: string,
      mode: integer,
      uid: integer,
      gid: integer,
      owner: nullable(string),
      group: nullable(string),
      major: integer,
      minor: integer,
    }),
    checkResults: record(either(integer, object({ code: string, errno: integer })), '^\\d+$'),
  },
};
