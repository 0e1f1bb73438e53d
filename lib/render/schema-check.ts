// JSON Schema of the readiness check report (format "kvm-caps-check", version 1): what
// `kvm-caps check --json` prints, lib/check/types.ts's CheckReport. Check results nest
// (children), so the result schema refers to itself.
import { CHECK_FORMAT, CHECK_VERSION, LAYERS, TECHNOLOGIES } from '../check/types.js';
import { DIALECT, ID_BASE, array, boolean, constant, nullable, object, oneOfStrings, ref, string, type JsonSchema } from '../snapshot/schema-keywords.js';
import { PROBE_CONTEXT } from '../snapshot/schema.js';

const nullableBoolean = nullable(boolean);

export const CHECK_SCHEMA: JsonSchema = {
  $schema: DIALECT,
  $id: `${ID_BASE}/check/${CHECK_VERSION}`,
  title: 'kvm-caps readiness checks',
  description:
    'What `kvm-caps check --json` prints: per technology a verdict (capable, enabled, usable; null when it could not be told) and the tree of checks behind it, contradictions between facts, and the outcome.',
  ...object({
    format: constant(CHECK_FORMAT),
    version: constant(CHECK_VERSION),
    snapshot: object({ createdAt: string, tool: object({ name: string, version: string }), context: PROBE_CONTEXT }),
    technologies: array(
      object({
        technology: ref('technology'),
        verdict: object({ capable: nullableBoolean, enabled: nullableBoolean, usable: nullableBoolean, summary: string }),
        checks: array(ref('result')),
      }),
    ),
    crossChecks: array(ref('result')),
    outcome: oneOfStrings('ready', 'not-ready', 'unknown'),
  }),
  $defs: {
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
  },
};
