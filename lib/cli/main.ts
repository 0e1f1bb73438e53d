// The kvm-caps command line. Parses arguments, gets a snapshot (probed live, or read
// with --from), builds the report and prints it. Exit codes are in EXIT below and the README.
import { renameSync, rmSync, writeFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { parseArgs } from 'node:util';
import { decodeCpuid } from '../report/cpuid.js';
import { capabilityRows } from '../report/capabilities.js';
import { buildReport, type Report } from '../report/report.js';
import { renderCaps, capsJson } from '../render/caps.js';
import { renderCpuid } from '../render/cpuid.js';
import { styleFor } from '../render/style.js';
import { renderReport } from '../render/text.js';
import { renderSev } from '../render/sev.js';
import { renderTdx } from '../render/tdx.js';
import { kernelLogFromFile } from '../snapshot/kernel-log.js';
import { loadSnapshot, SnapshotFileError } from '../snapshot/load.js';
import type { ProbeOptions } from '../snapshot/probe.js';
import type { Snapshot } from '../snapshot/types.js';
import { toolInfo } from '../tool.js';
import { HELP, usageFor } from './help.js';
import { loadTdConfig, TdConfigError } from './td-config.js';

/** Exit codes, stable across releases; the README documents them. */
export const EXIT = {
  /** Done; the KVM device answered (or, with --from, answered when the snapshot was taken); `check`: ready. */
  ok: 0,
  /** `check`: a technology asked about is not ready. `diff`: the snapshots differ where it matters. */
  notReady: 1,
  /** Bad command line. */
  usage: 2,
  /** Could not tell: output was produced, but the KVM device could not be opened or used, or a check needs a privilege or device it lacked. */
  couldNotTell: 3,
  /** The --from snapshot (or another input file) could not be read or is not valid, or -o could not be written. */
  file: 4,
  /** An unexpected failure inside kvm-caps: a bug, or the addon is not built (EX_SOFTWARE). */
  internal: 70,
} as const;

class UsageError extends Error {}

/** The -o file could not be written. */
class OutputError extends Error {}

const COMMANDS = ['report', 'caps', 'cpuid', 'tdx', 'sev', 'snapshot', 'help'] as const;
type Command = (typeof COMMANDS)[number];

const OPTIONS = {
  json: { type: 'boolean' },
  from: { type: 'string' },
  root: { type: 'string' },
  device: { type: 'string' },
  'sev-device': { type: 'string' },
  'kernel-log': { type: 'string' },
  deep: { type: 'boolean' },
  'td-config': { type: 'string' },
  emulated: { type: 'boolean' },
  output: { type: 'string', short: 'o' },
  help: { type: 'boolean', short: 'h' },
  version: { type: 'boolean', short: 'V' },
} as const;

/** Which options each command accepts, beyond --help. */
const PROBE = ['root', 'device', 'sev-device', 'kernel-log', 'deep', 'td-config'] as const;
const ACCEPTS: Record<Command, readonly string[]> = {
  report: ['json', 'from', ...PROBE, 'version'],
  caps: ['json', 'from', 'root', 'device'],
  cpuid: ['json', 'from', 'root', 'device', 'emulated'],
  tdx: ['json', 'from', ...PROBE],
  sev: ['json', 'from', ...PROBE],
  snapshot: ['output', ...PROBE],
  help: [],
};

type Values = { [K in keyof typeof OPTIONS]?: (typeof OPTIONS)[K]['type'] extends 'string' ? string : boolean };

interface Io {
  stdout: NodeJS.WritableStream & { isTTY?: boolean };
  stderr: NodeJS.WritableStream;
}

function writeAtomically(path: string, text: string): void {
  // A reader never sees a half-written file: write a hidden sibling, then rename it.
  const temporary = join(dirname(path), `.${basename(path)}.${process.pid}.tmp`);
  try {
    writeFileSync(temporary, text, { mode: 0o644 });
    renameSync(temporary, path);
  } catch (error) {
    rmSync(temporary, { force: true });
    throw new OutputError(`cannot write ${path}: ${(error as Error).message}`);
  }
}

async function snapshotFor(values: Values): Promise<{ snapshot: Snapshot; origin: string }> {
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

export async function main(argv: string[], io: Io = process): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({ args: argv, options: OPTIONS, allowPositionals: true, strict: true });
  } catch (error) {
    io.stderr.write(`kvm-caps: ${(error as Error).message}\n${HELP.short}`);
    return EXIT.usage;
  }
  const { positionals } = parsed;
  const values = parsed.values as Values;
  const [first, ...extra] = positionals;
  const command = (first ?? 'report') as Command;
  try {
    if (!COMMANDS.includes(command)) throw new UsageError(`unknown command "${first}"`);
    if (command === 'help') {
      io.stdout.write(first !== undefined && extra[0] !== undefined ? usageFor(extra[0]) : HELP.full);
      return EXIT.ok;
    }
    if (extra.length > 0) throw new UsageError(`unexpected argument "${extra[0]}"`);
    if (values.help) {
      io.stdout.write(first === undefined ? HELP.full : usageFor(command));
      return EXIT.ok;
    }
    for (const option of Object.keys(values)) {
      if (!ACCEPTS[command].includes(option)) throw new UsageError(`"${command}" does not take --${option}`);
    }
    if (values.version) {
      io.stdout.write(`${toolInfo().version}\n`);
      return EXIT.ok;
    }

    const style = styleFor(io.stdout);
    if (command === 'snapshot') {
      const { snapshot } = await snapshotFor(values);
      const text = `${JSON.stringify(snapshot, null, 2)}\n`;
      if (values.output !== undefined) writeAtomically(values.output, text);
      else io.stdout.write(text);
      return finish(buildReport(snapshot), io);
    }

    const { snapshot, origin } = await snapshotFor(values);
    const report = buildReport(snapshot);
    if (command === 'caps') {
      const rows = capabilityRows(snapshot.kvm);
      io.stdout.write(values.json ? `${JSON.stringify(capsJson(rows), null, 2)}\n` : renderCaps(rows, style));
    } else if (command === 'cpuid') {
      const fact = values.emulated ? snapshot.kvm.emulatedCpuid : snapshot.kvm.supportedCpuid;
      const entries = fact !== undefined && 'value' in fact ? decodeCpuid(fact.value) : [];
      io.stdout.write(values.json ? `${JSON.stringify(entries, null, 2)}\n` : renderCpuid(entries, style));
      if (fact !== undefined && 'error' in fact) {
        io.stderr.write(`kvm-caps: ${fact.error.message}\n`);
      }
    } else if (command === 'sev') {
      const view = report.confidential.sev;
      io.stdout.write(values.json ? `${JSON.stringify(view, null, 2)}\n` : renderSev(view, style));
    } else if (command === 'tdx') {
      const view = report.confidential.tdx;
      io.stdout.write(values.json ? `${JSON.stringify(view, null, 2)}\n` : renderTdx(view, style));
    } else {
      io.stdout.write(values.json ? `${JSON.stringify(report, null, 2)}\n` : renderReport(report, style, origin));
    }
    return finish(report, io);
  } catch (error) {
    if (error instanceof UsageError) {
      io.stderr.write(`kvm-caps: ${error.message}\n${HELP.short}`);
      return EXIT.usage;
    }
    if (error instanceof SnapshotFileError || error instanceof OutputError || error instanceof TdConfigError) {
      io.stderr.write(`kvm-caps: ${error.message}\n`);
      return EXIT.file;
    }
    io.stderr.write(`kvm-caps: internal error: ${(error as Error).stack ?? String(error)}\n`);
    return EXIT.internal;
  }
}

function finish(report: Report, io: Io): number {
  const note = unavailableNote(report);
  if (note === undefined) return EXIT.ok;
  io.stderr.write(`${note}\n`);
  return EXIT.couldNotTell;
}
