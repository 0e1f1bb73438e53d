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

export { decodeSnapshot, KEY_CAPABILITIES, type HostModel, type Problem, type DeviceView } from './decode/model.js';
export { buildReport, reportChecks, tdxSection, sevSection, REPORT_FORMAT, REPORT_VERSION } from './render/report.js';
export type { Report, TdxSection, SevSection, TechnologyVerdict } from './render/report.js';
export { capabilityRows, decodeCapabilityValue, decodeVmTypes, formatDecoded } from './decode/capabilities.js';
export type { CapabilityRow, DecodedValue } from './decode/capabilities.js';
export { describeSource, type Traced } from './decode/sourced.js';
export { probeFailure, type ProbeFailure } from './decode/failure.js';
export { failureText } from './render/failure.js';
export { failureFix } from './check/failure-fixes.js';

export {
  decodeCpuidEntry,
  decodeXsaveMask,
  featureSet,
  findEntry,
  type DecodedCpuidEntry,
} from './decode/cpuid-entry.js';
export { CPUID_FEATURE_REGISTERS, XSAVE_COMPONENTS } from './knowledge/cpuid-features.js';

export { KVM_CAPABILITIES } from './knowledge/capabilities.js';
export { CAPABILITY_VALUES } from './knowledge/capability-values.js';
export { KVM_X86_VM_TYPES, KVM_X86_GRP_SYSTEM, KVM_X86_XCOMP_GUEST_SUPP } from './knowledge/x86.js';

export { main as runCli, EXIT } from './cli/main.js';

export {
  openKvm,
  openSev,
  DEFAULT_KVM_DEVICE,
  DEFAULT_SEV_DEVICE,
  type KvmSystem,
  type KvmVm,
  type CpuidEntry,
  type SevDevice,
  type TdxCapabilities,
  type SevPlatformStatus,
  type SnpPlatformStatus,
} from './native/kvm.js';
export { tdxView, type TdxView } from './decode/tdx.js';
export { sevView, type SevView } from './decode/sev.js';
export { tdxCauses, type TdxExplanation, type TdxExplanationCode } from './check/tdx-causes.js';
export { parseKmsg, parseDmesgText, kernelLogFromFile } from './snapshot/kernel-log.js';
export { parsePastedLog, inNewestBoot } from './snapshot/log-formats.js';
export {
  KVM_BRINGUP_MESSAGES,
  matchKvmBringupMessage,
  type KvmBringupMessage,
  type KvmBringupCause,
} from './knowledge/kvm-bringup.js';
export { decodeKvmBringup, type KvmBringupModel } from './decode/kvm-bringup.js';
export {
  kvmDiagnosis,
  specificCause,
  type KvmDiagnosis,
  type KvmCause,
  type KvmCauseId,
  type KvmEvidence,
} from './check/kvm-causes.js';

export { runChecks, RULES, CROSS_CHECKS, technologiesFor, applicability } from './check/run.js';
export { TECHNOLOGIES, LAYERS, CHECK_FORMAT, CHECK_VERSION } from './check/types.js';
export type { CheckReport, CheckResult, CheckRule, Verdict, Technology } from './check/types.js';
export { diffSnapshots, type SnapshotDiff } from './compare/diff.js';
export { LIFECYCLES, lifecycleFor, technologyStates } from './compare/lifecycle.js';
export { nfdFeatures } from './render/nfd.js';
export { prometheusMetrics } from './render/prometheus.js';
export { SCHEMAS } from './render/schemas.js';
