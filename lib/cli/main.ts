// The kvm-caps command line: parses arguments, finds the command, checks its options and
// runs it. Every failure maps to one of the exit codes in context.ts (EXIT).
import { parseArgs } from 'node:util';
import { styleFor } from '../render/style.js';
import { SnapshotFileError } from '../snapshot/load.js';
import { toolInfo } from '../tool.js';
import { capsCommand } from './commands/caps.js';
import { checkCommand } from './commands/check.js';
import { cpuidCommand } from './commands/cpuid.js';
import { diffCommand } from './commands/diff.js';
import { lifecycleCommand } from './commands/lifecycle.js';
import { reportCommand } from './commands/report.js';
import { sevCommand } from './commands/sev.js';
import { snapshotCommand } from './commands/snapshot.js';
import { tdxCommand } from './commands/tdx.js';
import { EXIT, FileError, OPTIONS, UsageError, type Command, type Io, type Values } from './context.js';
import { HELP, usageFor } from './help.js';
import { TdConfigError } from './td-config.js';

export { EXIT } from './context.js';

const COMMANDS: readonly Command[] = [
  reportCommand,
  checkCommand,
  capsCommand,
  cpuidCommand,
  tdxCommand,
  sevCommand,
  lifecycleCommand,
  diffCommand,
  snapshotCommand,
];

export async function main(argv: string[], io: Io = process): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({ args: argv, options: OPTIONS, allowPositionals: true, strict: true });
  } catch (error) {
    io.stderr.write(`kvm-caps: ${(error as Error).message}\n${HELP.short}`);
    return EXIT.usage;
  }
  const values = parsed.values as Values;
  const [first, ...args] = parsed.positionals;
  try {
    if (first === 'help') {
      io.stdout.write(args[0] !== undefined ? usageFor(args[0]) : HELP.full);
      return EXIT.ok;
    }
    const command = COMMANDS.find((c) => c.name === (first ?? 'report'));
    if (command === undefined) throw new UsageError(`unknown command "${first}"`);
    if (values.help) {
      io.stdout.write(first === undefined ? HELP.full : usageFor(command.name));
      return EXIT.ok;
    }
    if (values.version) {
      if (first !== undefined) throw new UsageError(`"${command.name}" does not take --version`);
      io.stdout.write(`${toolInfo().version}\n`);
      return EXIT.ok;
    }
    if (args.length > command.args.max) throw new UsageError(`unexpected argument "${args[command.args.max]}"`);
    if (args.length < command.args.min) throw new UsageError(`"${command.name}" needs ${command.args.min} argument(s)`);
    for (const option of Object.keys(values)) {
      if (!command.accepts.includes(option as keyof Values)) throw new UsageError(`"${command.name}" does not take --${option}`);
    }
    return await command.run({ values, args, io, style: styleFor(io.stdout) });
  } catch (error) {
    if (error instanceof UsageError) {
      io.stderr.write(`kvm-caps: ${error.message}\n${HELP.short}`);
      return EXIT.usage;
    }
    if (error instanceof SnapshotFileError || error instanceof FileError || error instanceof TdConfigError) {
      io.stderr.write(`kvm-caps: ${error.message}\n`);
      return EXIT.file;
    }
    io.stderr.write(`kvm-caps: internal error: ${(error as Error).stack ?? String(error)}\n`);
    return EXIT.internal;
  }
}
