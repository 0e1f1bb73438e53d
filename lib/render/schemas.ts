// The JSON Schemas (draft 2020-12) of the documents kvm-caps writes, as JSON values:
//   snapshot  `kvm-caps snapshot` (format kvm-caps-snapshot)   https://kvm-caps.invalid/schema/snapshot/1
//   report    `kvm-caps --json`   (format kvm-caps-report)     https://kvm-caps.invalid/schema/report/1
//   check     `kvm-caps check --json` (format kvm-caps-check)  https://kvm-caps.invalid/schema/check/1
// Each $id ends in the document's version. The same schemas are committed beside this file as
// <name>.schema.json (test/schema.test.ts keeps them equal to these objects), so they ship
// without a build step and can be used by tools that never load kvm-caps.
import type { JsonSchema } from '../snapshot/schema-keywords.js';
import { CHECK_SCHEMA } from './schema-check.js';
import { REPORT_SCHEMA } from './schema-report.js';
import { SNAPSHOT_SCHEMA } from '../snapshot/schema.js';

export type { JsonSchema } from '../snapshot/schema-keywords.js';
export { CHECK_SCHEMA } from './schema-check.js';
export { REPORT_SCHEMA } from './schema-report.js';
export { SNAPSHOT_SCHEMA } from '../snapshot/schema.js';

export const SCHEMAS: Readonly<Record<'snapshot' | 'report' | 'check', JsonSchema>> = {
  snapshot: SNAPSHOT_SCHEMA,
  report: REPORT_SCHEMA,
  check: CHECK_SCHEMA,
};

/** The file each schema is published as, in lib/schema/ (the package exports them from there). */
export const SCHEMA_FILES: Readonly<Record<keyof typeof SCHEMAS, string>> = {
  snapshot: 'snapshot.schema.json',
  report: 'report.schema.json',
  check: 'check.schema.json',
};

/** The text of a .schema.json file: what the committed files hold, byte for byte. */
export function schemaText(schema: JsonSchema): string {
  return `${JSON.stringify(schema, null, 2)}\n`;
}
