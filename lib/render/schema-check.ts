// JSON Schema of the readiness check report (format "kvm-caps-check", version 2): what
// `kvm-caps check --json` prints, lib/check/types.ts's CheckReport. Check results nest
// (children), so the result schema refers to itself. The host report carries the same
// technology entries, so it uses the same parts (CHECK_DEFS, technologyChecks, technologyVerdict).
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
    'contradictions between facts, and the outcome.',
  ...object({
    format: constant(CHECK_FORMAT),
    version: constant(CHECK_VERSION),
    snapshot: object({ createdAt: string, tool: object({ name: string, version: string }), context: PROBE_CONTEXT }),
    technologies: array(technologyChecks),
    crossChecks: array(ref('result')),
    outcome: OUTCOME,
  }),
  $defs: CHECK_DEFS,
};
