// kvm-caps' public API: everything the CLI does, as functions.
//
//   import { probeHost, buildReport } from 'kvm-caps';
//   const report = buildReport(await probeHost());

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

export { openKvm, openSev, DEFAULT_KVM_DEVICE, DEFAULT_SEV_DEVICE, type KvmSystem, type KvmVm, type CpuidEntry, type SevDevice, type TdxCapabilities, type SevPlatformStatus, type SnpPlatformStatus } from './native/kvm.js';
export { tdxView, type TdxView } from './report/tdx/section.js';
export { sevView, type SevView } from './report/sev/section.js';
export { parseKmsg, parseDmesgText, kernelLogFromFile } from './snapshot/kernel-log.js';

export { runChecks, RULES, CROSS_CHECKS, technologiesFor } from './check/run.js';
export { TECHNOLOGIES, LAYERS, CHECK_FORMAT, CHECK_VERSION } from './check/types.js';
export type { CheckReport, CheckResult, CheckRule, Verdict, Technology } from './check/types.js';
export { diffSnapshots, type SnapshotDiff } from './report/diff.js';
export { LIFECYCLES, lifecycleFor, technologyStates } from './report/lifecycle.js';
export { nfdFeatures } from './render/nfd.js';
export { prometheusMetrics } from './render/prometheus.js';
export { SCHEMAS } from './schema/index.js';
