// What every command shares: parsed options, output streams, exit codes (from
// exit-codes.ts), errors, and how a snapshot is obtained (probed live, or replayed with --from).
import { statSync } from 'node:fs';
import type { HostModel } from '../decode/model.js';
import { escapeControls, terminalSafe } from '../render/escape.js';
import { failureFix } from '../check/failure-fixes.js';
import { runChecks } from '../check/run.js';
import type { CheckReport } from '../check/types.js';
import { failureText } from '../render/failure.js';
import { kvmCauseNote } from '../render/kvm-diagnosis.js';
import type { Style } from '../render/style.js';
import { sizeText } from '../snapshot/bounded-read.js';
import { kernelLogFromFile } from '../snapshot/kernel-log.js';
import { loadSnapshot } from '../snapshot/load.js';
import type { ProbeOptions } from '../snapshot/probe.js';
import type { KernelLogFact, Snapshot } from '../snapshot/types.js';
import { EXIT } from './exit-codes.js';
import { writeOutputFile } from './output.js';
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
export const PROBE: readonly OptionName[] = [
  'root',
  'device',
  'sev-device',
  'kernel-log',
  'deep',
  'snp-platform-status',
  'td-config',
];

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

/** Whether the output goes to a file (-o FILE; `-o -` is standard output). */
export function writesToFile(values: Values): boolean {
  return values.output !== undefined && values.output !== '-';
}

/** Writes to -o FILE (see output.ts) when given, else (or for `-o -`) to standard output. */
export function emit(context: CommandContext, text: string): void {
  if (writesToFile(context.values)) writeOutputFile(context.values.output as string, text);
  else context.io.stdout.write(text);
}

export function json(value: unknown): string {
  return `${JSON.stringify(value, null, 2)}\n`;
}

/** --root must be a directory that exists: a mistyped one would read as a host with nothing on it. */
function checkRoot(root: string): void {
  let isDirectory: boolean;
  try {
    isDirectory = statSync(root).isDirectory();
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new UsageError(
      `--root ${root}: ${code === 'ENOENT' ? 'no such directory' : `cannot be used (${code ?? String(error)})`}`,
    );
  }
  if (!isDirectory) throw new UsageError(`--root ${root}: not a directory`);
}

/**
 * --kernel-log FILE ('-': standard input), read once. A file that cannot be read is the
 * user's mistake, not a fact about the host: exit 4. Of a log over its bound only the newest
 * part is read, and stderr says so (as does the snapshot's kernelLog.cut).
 */
function kernelLogOption(path: string, io: Io | undefined): KernelLogFact {
  const fact = kernelLogFromFile(path);
  const shown = path === '-' ? 'standard input' : path;
  if ('error' in fact)
    throw new FileError(`cannot read the kernel log ${shown}: ${fact.error.message.replace(/, \w+ '.*'$/, '')}`);
  if (fact.cut !== undefined) {
    io?.stderr.write(
      `kvm-caps: note: the kernel log ${escapeControls(shown)} is ${sizeText(fact.cut.size)}; only its ` +
        `newest ${sizeText(fact.cut.kept)} were read\n`,
    );
  }
  return fact;
}

export async function snapshotFor(values: Values, io?: Io): Promise<{ snapshot: Snapshot; origin: string }> {
  if (values['td-config'] !== undefined && !values.deep)
    throw new UsageError('--td-config is the TD that --deep tries; add --deep');
  if (values.from !== undefined) {
    const live = PROBE.filter((option) => option !== 'kernel-log' && values[option] !== undefined);
    if (live.length > 0) {
      throw new UsageError(`--from replays a saved snapshot; --${live[0]} applies only to a live probe`);
    }
    if (values.from === '-' && values['kernel-log'] === '-')
      throw new UsageError('--from - and --kernel-log - cannot both read standard input');
    const snapshot = loadSnapshot(values.from);
    // A log from elsewhere (a bug report) can be read against the replayed host.
    if (values['kernel-log'] !== undefined) snapshot.host.kernelLog = kernelLogOption(values['kernel-log'], io);
    return { snapshot, origin: `from ${values.from === '-' ? 'standard input' : values.from}` };
  }
  if (values.root !== undefined) checkRoot(values.root);
  const options: ProbeOptions = { deep: values.deep === true };
  if (values.root !== undefined) options.root = values.root;
  if (values.device !== undefined) options.device = values.device;
  if (values['sev-device'] !== undefined) options.sevDevice = values['sev-device'];
  if (values['kernel-log'] !== undefined) options.kernelLog = kernelLogOption(values['kernel-log'], io);
  if (values['td-config'] !== undefined) options.tdConfig = loadTdConfig(values['td-config']);
  if (values['snp-platform-status']) options.snpPlatformStatus = 'always';
  // Loaded here so that replaying a snapshot never loads the native addon.
  const { probeHost } = await import('../snapshot/probe.js');
  return { snapshot: await probeHost(options), origin: 'live' };
}

function unavailableNote(unsafe: HostModel, snapshot: Snapshot, checks: CheckReport | undefined): string | undefined {
  const report = terminalSafe(unsafe);
  if (report.kvm.usable) return undefined;
  const open = report.device.open;
  // The check run's diagnosis: the command's own, or (for a command that runs no checks) the KVM checks'.
  const diagnosis = (checks ?? runChecks(snapshot, ['kvm'], unsafe)).kvmDiagnosis;
  // The specific cause first (the kernel's line, its source, the fix), not the errno's generic hint.
  const cause = kvmCauseNote(terminalSafe(diagnosis));
  if ('error' in open && cause !== undefined)
    return `kvm-caps: cannot open ${report.device.path}: ${open.error.code}\n${cause}`;
  if ('error' in open) {
    const fix = failureFix(open.error, diagnosis);
    const hint = fix === undefined ? '' : `\n  fix: ${fix}`;
    return `kvm-caps: cannot open ${report.device.path}: ${open.error.code}: ${failureText(open.error)}${hint}`;
  }
  const version = report.kvm.apiVersion;
  if ('value' in version) return `kvm-caps: ${report.device.path} speaks KVM API ${version.value}, not 12`;
  return `kvm-caps: ${report.device.path} did not answer KVM_GET_API_VERSION`;
}

/**
 * The exit code of a command that printed a report: ok, or could-not-tell (with why on stderr) when KVM was unusable.
 * `checks` is the command's check run, where it made one.
 */
export function finish(report: HostModel, io: Io, snapshot: Snapshot, checks?: CheckReport): number {
  const note = unavailableNote(report, snapshot, checks);
  if (note === undefined) return EXIT.ok;
  io.stderr.write(`${note}\n`);
  return EXIT.couldNotTell;
}
