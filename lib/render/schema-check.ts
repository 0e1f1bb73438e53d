// JSON Schema of the readiness check report (format "kvm-caps-check", version 3): what
// `kvm-caps check --json` prints, lib/check/types.ts's CheckReport. Check results nest
// (children), so the result schema refers to itself. The host report carries the same
// technology entries, KVM diagnosis and TDX explanations, so it uses the same parts (CHECK_DEFS,
// technologyChecks, technologyVerdict, kvmDiagnosis, tdxExplanation).
import { KVM_CAUSE_IDS } from '../check/kvm-causes.js';
import { TDX_EXPLANATION_CODES } from '../check/tdx-causes.js';
import { CHECK_FORMAT, CHECK_VERSION, LAYERS, TECHNOLOGIES } from '../check/types.js';
import {
  DIALECT,
  ID_BASE,
  array,
  boolean,
  constant,
  nullable,
  object,
  oneOfStrings,
  ref,
  string,
  type JsonSchema,
} from '../snapshot/schema-keywords.js';
import { PROBE_CONTEXT } from '../snapshot/schema.js';

const nullableBoolean = nullable(boolean);

/** A verdict, in every document that has one. */
export const verdict = object({
  capable: nullableBoolean,
  enabled: nullableBoolean,
  usable: nullableBoolean,
  summary: string,
});

/** A technology's verdict and whether it applies to the host (the report's per-technology entry). */
export const technologyVerdict = object({
  technology: ref('technology'),
  applicable: boolean,
  'reason?': string,
  verdict,
});

/** The same with the checks behind the verdict. */
export const technologyChecks = object({
  technology: ref('technology'),
  applicable: boolean,
  'reason?': string,
  verdict,
  checks: array(ref('result')),
});

export const OUTCOME = oneOfStrings('ready', 'not-ready', 'unknown');

/** lib/check/kvm-causes.ts KvmDiagnosis. */
const kvmEvidence = object({ quote: string, source: string, 'kernelSource?': string, 'seconds?': { type: 'number' } });
export const kvmDiagnosis = object({
  vendorModule: nullable(oneOfStrings('kvm_intel', 'kvm_amd')),
  flag: nullable(oneOfStrings('vmx', 'svm')),
  causes: array(
    object({
      id: oneOfStrings(...KVM_CAUSE_IDS),
      status: oneOfStrings('FAIL', 'WARN', 'PASS'),
      effect: nullable(oneOfStrings('capable', 'enabled', 'usable')),
      rule: string,
      found: string,
      evidence: array(kvmEvidence),
      'fix?': string,
    }),
  ),
  modprobe: object({ kvm: boolean, kvm_intel: boolean, kvm_amd: boolean }),
  nomodule: boolean,
  nested: nullable(object({ module: oneOfStrings('kvm_intel', 'kvm_amd'), value: string, enabled: boolean })),
  hypervisor: nullable(object({ logged: nullable(string), exposesExtension: boolean })),
  olderBoots: array(kvmEvidence),
  logUnread: nullable(object({ code: string, source: string })),
});

/** lib/check/tdx-causes.ts TdxExplanation. */
export const tdxExplanation = object({
  code: oneOfStrings(...Object.keys(TDX_EXPLANATION_CODES)),
  weight: oneOfStrings('cause', 'likely-cause', 'note'),
  message: string,
  'hint?': string,
  evidence: array(object({ fact: string, value: string, source: string })),
});

/** The $defs the parts above refer to. */
export const CHECK_DEFS: Record<string, JsonSchema> = {
  technology: oneOfStrings(...TECHNOLOGIES),
  result: object({
    id: string,
    technology: ref('technology'),
    layer: oneOfStrings(...LAYERS),
    title: string,
    why: string,
    status: oneOfStrings('PASS', 'WARN', 'FAIL', 'SKIP', 'UNKNOWN'),
    found: string,
    source: string,
    'fix?': string,
    'needs?': string,
    'skippedBecause?': string,
    children: array(ref('result')),
  }),
};

export const CHECK_SCHEMA: JsonSchema = {
  $schema: DIALECT,
  $id: `${ID_BASE}/check/${CHECK_VERSION}`,
  title: 'kvm-caps readiness checks',
  description:
    'What `kvm-caps check --json` prints: per technology whether it applies to the host, ' +
    'a verdict (capable, enabled, usable; null when it could not be told) and the tree of checks behind it, ' +
    'contradictions between facts, the outcome, why KVM is or is not usable, and (when TDX was asked about) ' +
    'why TDX is not usable.',
  ...object({
    format: constant(CHECK_FORMAT),
    version: constant(CHECK_VERSION),
    snapshot: object({ createdAt: string, tool: object({ name: string, version: string }), context: PROBE_CONTEXT }),
    technologies: array(technologyChecks),
    crossChecks: array(ref('result')),
    outcome: OUTCOME,
    kvmDiagnosis,
    'tdxExplanations?': array(tdxExplanation),
  }),
  $defs: CHECK_DEFS,
};
