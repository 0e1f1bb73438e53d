// Output formats of `report` and `check`: text for a person, json, and two formats fleet
// tooling reads: a node-feature-discovery feature file and node_exporter textfile
// metrics. `--json` is `--format json`.
import type { CheckReport } from '../check/types.js';
import type { HostModel } from '../decode/model.js';
import { nfdFeatures } from '../render/nfd.js';
import { prometheusMetrics } from '../render/prometheus.js';
import { UsageError, type Values } from './context.js';

export const FORMATS = ['text', 'json', 'nfd', 'prometheus'] as const;
export type Format = (typeof FORMATS)[number];

/** The format --format / --json ask for; text by default. */
export function formatOf(values: Values): Format {
  const format = values.format;
  if (format === undefined) return values.json ? 'json' : 'text';
  if (!(FORMATS as readonly string[]).includes(format)) {
    throw new UsageError(`unknown --format "${format}" (one of: ${FORMATS.join(', ')})`);
  }
  if (values.json && format !== 'json') throw new UsageError(`--json and --format ${format} disagree`);
  return format as Format;
}

/**
 * The fleet formats, from the host model and the check run (`report` and `check` give the same run for the same
 * technologies).
 */
export function renderFleetFormat(format: 'nfd' | 'prometheus', report: HostModel, checks: CheckReport): string {
  return format === 'nfd' ? nfdFeatures(report, checks) : prometheusMetrics(report, checks);
}
