// JSON Schema of the host snapshot (format "kvm-caps-snapshot", version 1), built from the
// loader's own checks (lib/snapshot/load.ts), so a document this schema accepts is exactly
// one `kvm-caps --from` loads. Like the loader it allows fields it does not know (newer
// writers; the fixtures' fixtureNotes).
import { deviceNode, probeContext, SCHEMA_DEFS, snapshotCheck } from './load.js';
import { SNAPSHOT_VERSION } from './types.js';
import { DIALECT, ID_BASE, type JsonSchema } from './schema-keywords.js';

/** Where and as whom the probe ran (also part of the report and the check report). */
export const PROBE_CONTEXT: JsonSchema = probeContext.schema;

/** A device node as stat(2) shows it (also the report's SEV `sevNode`). */
export const DEVICE_NODE: JsonSchema = deviceNode.schema;

export const SNAPSHOT_SCHEMA: JsonSchema = {
  $schema: DIALECT,
  $id: `${ID_BASE}/snapshot/${SNAPSHOT_VERSION}`,
  title: 'kvm-caps host snapshot',
  description:
    'Everything kvm-caps collected from one host, raw: each fact ' +
    'names its source and holds either its value or the error that ' +
    'stopped it. Written by `kvm-caps snapshot`, replayed with ' +
    '`kvm-caps --from FILE`.',
  ...snapshotCheck.schema,
  $defs: SCHEMA_DEFS,
};
