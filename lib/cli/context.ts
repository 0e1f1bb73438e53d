// What every command shares: parsed options, output streams, exit codes (from
// exit-codes.ts), errors, and how a snapshot is obtained (probed live, or replayed with --from).
import { renameSync, rmSync, writeFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import type { Report } from '../report/report.js';
import type { Style } from '../render/style.js';
import { kernelLogFromFile } from '../snapshot/kernel-log.js';
import { loadSnapshot } from '../snapshot/load.js';
import type { ProbeOptions } from '../snapshot/probe.js';
import type { Snapshot } from '../snapshot/types.js';
import { EXIT } from './exit-codes.js';
import { loadTdConfig } from './td-config.js';

export { EXIT };

export const OPTIONS = {
  json: { type: 'boolean' },
  from: { type: 'string' },
  root: { type: 'string' },
  device: { type: 'string' },
  'sev-device': { type: 'string' },
  'kernel-log': { type: 'string' },
  deep: { type: 'boolean' },
  'snp-platform-status': { type: 'boolean' },
  'td-config': { type: 'string' },
  emulated: { type: 'boolean' },
  verbose: { type: 'boolean', short: 'v' },
  format: { type: 'string' },
  output: { type: 'string', short: 'o' },
  help: { type: 'boolean', short: 'h' },
  version: { type: 'boolean', short: 'V' },
} as const;

export type OptionName = keyof typeof OPTIONS;
export type Values = { [K in OptionName]?: (typeof OPTIONS)[K]['type'] extends 'string' ? string : boolean };

/** The options that shape a live probe. */
export const PROBE: readonly OptionName[] = ['root', 'device', 'sev-device', 'kernel-log', 'deep', 'snp-platform-status', 'td-config'];

export interface Io {
  stdout: NodeJS.WritableStream & { isTTY?: boolean };
  stderr: NodeJS.WritableStream;
}

export interface CommandContext {
  values: Values;
  /** Arguments after the command's name. */
  args: string[];
  io: Io;
  style: Style;
}

export interface Command {
  name: string;
  /** Options beyond --help. */
  accepts: readonly OptionName[];
  /** How many arguments after the command's name it takes. */
  args: { min: number; max: number };
  run(context: CommandContext): Promise<number>;
}

export class UsageError extends Error {}

/** An input or output file given on the command line could not be used. */
export class FileError extends Error {}

export function writeAtomically(path: string, text: string): void {
  // A reader never sees a half-written file: write a hidden sibling, then rename it.
  const temporary = join(dirname(path), `.${basename(path)}.${process.pid}.tmp`);
  try {
    writeFileSync(temporary, text, { mode: 0o644 });
    renameSync(temporary, path);
  } catch (error) {
    rmSync(temporary, { force: true });
    throw new FileError(`cannot write ${path}: ${(error as Error).message}`);
  }
}

/** Writes to -o FILE (atomically) when given, else to standard output. */
export function emit(context: CommandContext, text: string): void {
  if (context.values.output !== undefined) writeAtomically(context.values.output, text);
  else context.io.stdout.write(text);
}

export function json(value: unknown): string {
  return `${JSON.stringify(value, null, 2)}\n`;
}

export async function snapshotFor(values: Values): Promise<{ snapshot: Snapshot; origin: string }> {
  if (values['td-config'] !== undefined && !values.deep) throw new UsageError('--td-config is the TD that --deep tries; add --deep');
  if (values.from !== undefined) {
    const live = PROBE.filter((option) => option !== 'kernel-log' && values[option] !== undefined);
    if (live.length > 0) {
      throw new UsageError(`--from replays a saved snapshot; --${live[0]} applies only to a live probe`);
    }
    const snapshot = loadSnapshot(values.from);
    // A log from elsewhere (a bug report) can be read against the replayed host.
    if (values['kernel-log'] !== undefined) snapshot.host.kernelLog = kernelLogFromFile(values['kernel-log']);
    return { snapshot, origin: `from ${values.from}` };
  }
  // Loaded here so that replaying a snapshot never loads the native addon.
  const { probeHost } = await import('../snapshot/probe.js');
  const options: ProbeOptions = { deep: values.deep === true };
  if (values.root !== undefined) options.root = values.root;
  if (values.device !== undefined) options.device = values.device;
  if (values['sev-device'] !== undefined) options.sevDevice = values['sev-device'];
  if (values['kernel-log'] !== undefined) options.kernelLog = values['kernel-log'];
  if (values['td-config'] !== undefined) options.tdConfig = loadTdConfig(values['td-config']);
  if (values['snp-platform-status']) options.snpPlatformStatus = 'always';
  return { snapshot: await probeHost(options), origin: 'live' };
}

function unavailableNote(report: Report): string | undefined {
  if (report.kvm.usable) return undefined;
  const open = report.device.open;
  if ('error' in open) {
    const hint = open.error.hint === undefined ? '' : `\n  fix: ${open.error.hint}`;
    return `kvm-caps: cannot open ${report.device.path}: ${open.error.code}: ${open.error.meaning}${hint}`;
  }
  const version = report.kvm.apiVersion;
  if ('value' in version) return `kvm-caps: ${report.device.path} speaks KVM API ${version.value}, not 12`;
  return `kvm-caps: ${report.device.path} did not answer KVM_GET_API_VERSION`;
}

/** The exit code of a command that printed a report: ok, or could-not-tell (with why on stderr) when KVM was unusable. */
export function finish(report: Report, io: Io): number {
  const note = unavailableNote(report);
  if (note === undefined) return EXIT.ok;
  io.stderr.write(`${note}\n`);
  return EXIT.couldNotTell;
}
