// kvm-caps' public API: everything the CLI does, as functions.
//
//   import { probeHost, buildReport } from 'kvm-caps';
//   const report = buildReport(await probeHost());

export { openKvm, DEFAULT_KVM_DEVICE, type KvmSystem, type KvmVm, type CpuidEntry } from './native/kvm.js';
export { makeSystemError, isSystemError, errnoName, type KvmSystemError } from './native/errors.js';

export { probeHost, type ProbeOptions } from './snapshot/probe.js';
export { loadSnapshot, validateSnapshot, SnapshotFileError } from './snapshot/load.js';
export { SnapshotFormatError } from './snapshot/validate.js';
export { SNAPSHOT_FORMAT, SNAPSHOT_VERSION } from './snapshot/types.js';
export type * from './snapshot/types.js';

export { buildReport, KEY_CAPABILITIES, REPORT_FORMAT, REPORT_VERSION } from './report/report.js';
export type { Report, Problem, DeviceView } from './report/report.js';
export { capabilityRows, decodeCapabilityValue, decodeVmTypes, formatDecoded } from './report/capabilities.js';
export type { CapabilityRow, DecodedValue } from './report/capabilities.js';
export { explain, describeSource, type Explained } from './report/explain.js';
export type { Traced } from './report/traced.js';

export { decodeCpuidEntry, decodeXsaveMask, featureSet, findEntry, type DecodedCpuidEntry } from './cpuid/decode.js';
export { CPUID_FEATURE_REGISTERS, XSAVE_COMPONENTS } from './cpuid/features.js';

export { KVM_CAPABILITIES } from './uapi/capabilities.js';
export { CAPABILITY_VALUES } from './uapi/capability-values.js';
export { KVM_X86_VM_TYPES, KVM_X86_GRP_SYSTEM, KVM_X86_XCOMP_GUEST_SUPP } from './uapi/x86.js';

export { main as runCli, EXIT } from './cli/main.js';
