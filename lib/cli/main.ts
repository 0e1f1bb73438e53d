// The kvm-caps command line: parses arguments, finds the command, checks its options and
// runs it. Every failure maps to one of the exit codes in context.ts (EXIT).
import { parseArgs } from 'node:util';
import { escapeControls } from '../render/escape.js';
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
import { FORMATS } from './formats.js';
import { fullHelp, usageFor, usageHint } from './help.js';
import { OutputError } from './output.js';
import { TdConfigError } from './td-config.js';

export { EXIT } from './context.js';

/** Every command, in the order `kvm-caps --help` lists them. */
export const COMMANDS: readonly Command[] = [
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

/** The parsed command line: the command's name (undefined: the default), its arguments, the options given. */
interface Parsed {
  first: string | undefined;
  args: string[];
  values: Values;
  /** The first thing wrong with the options, for a usage error once the command is known. */
  problem?: string;
}

/**
 * Parses the command line in our own terms: node's parseArgs splits it (tokens), and every
 * problem is reported here, in words that name the option, rather than in parseArgs' own.
 */
function parse(argv: string[]): Parsed {
  const { tokens } = parseArgs({ args: argv, options: OPTIONS, allowPositionals: true, strict: false, tokens: true });
  const values: Record<string, string | boolean> = {};
  const positionals: string[] = [];
  let problem: string | undefined;
  for (const token of tokens) {
    try {
      parseToken(token, values, positionals);
    } catch (error) {
      if (!(error instanceof UsageError)) throw error;
      problem ??= error.message;
    }
  }
  const [first, ...args] = positionals;
  return problem === undefined
    ? { first, args, values: values as Values }
    : { first, args, values: values as Values, problem };
}

type Token = NonNullable<ReturnType<typeof parseArgs>['tokens']>[number];

function parseToken(token: Token, values: Record<string, string | boolean>, positionals: string[]): void {
  if (token.kind === 'positional') positionals.push(token.value);
  if (token.kind !== 'option') return;
  const option = (OPTIONS as Record<string, { type: 'string' | 'boolean' } | undefined>)[token.name];
  if (option === undefined) throw new UsageError(`unknown option ${token.rawName}`);
  const shown = `--${token.name}`;
  if (option.type === 'boolean') {
    if (token.value !== undefined) throw new UsageError(`${shown} takes no value (given "${token.value}")`);
    values[token.name] = true;
    return;
  }
  const what = OPTION_VALUE[token.name] ?? 'a value';
  if (token.value === undefined) throw new UsageError(`${token.rawName} needs ${what}`);
  // "--from --json": the next word is an option, not the file (write --from=./-name for such a file).
  if (!token.inlineValue && token.value.startsWith('-') && token.value !== '-') {
    throw new UsageError(
      `${token.rawName} needs ${what}, not the option "${token.value}" (a name starting with "-": ` +
        `${shown}=${token.value} or ./${token.value})`,
    );
  }
  if (token.value === '') throw new UsageError(`${token.rawName} needs ${what}, not an empty string`);
  const earlier = values[token.name];
  if (earlier !== undefined && earlier !== token.value)
    throw new UsageError(`${shown} is given twice ("${String(earlier)}" and "${token.value}")`);
  values[token.name] = token.value;
}

/** What each option that takes a value needs, for "--from needs a file name". */
const OPTION_VALUE: Partial<Record<string, string>> = {
  from: 'a snapshot file (or - for standard input)',
  root: 'a directory',
  device: 'a device path',
  'sev-device': 'a device path',
  'kernel-log': 'a log file (or - for standard input)',
  'td-config': 'a TD configuration file',
  format: `a format (one of: ${FORMATS.join(', ')})`,
  output: 'a file name (or - for standard output)',
};

export async function main(argv: string[], io: Io = process): Promise<number> {
  // The command named on the line, if it is one, for the usage line a usage error shows.
  let command: Command | undefined;
  try {
    const { first, args, values, problem } = parse(argv);
    command = COMMANDS.find((c) => c.name === (first ?? 'report'));
    if (problem !== undefined) throw new UsageError(problem);
    if (first === 'help') {
      if (args.length > 1) throw new UsageError(`unexpected argument "${args[1]}"`);
      if (args[0] === undefined) {
        io.stdout.write(fullHelp(reportCommand.accepts));
        return EXIT.ok;
      }
      const asked = COMMANDS.find((c) => c.name === args[0]);
      if (asked === undefined)
        throw new UsageError(
          `no command "${args[0]}" to help with (commands: ${COMMANDS.map((c) => c.name).join(', ')})`,
        );
      io.stdout.write(usageFor(asked.name, asked.accepts));
      return EXIT.ok;
    }
    if (command === undefined)
      throw new UsageError(`unknown command "${first}" (commands: ${COMMANDS.map((c) => c.name).join(', ')}, help)`);
    if (values.help) {
      io.stdout.write(first === undefined ? fullHelp(command.accepts) : usageFor(command.name, command.accepts));
      return EXIT.ok;
    }
    if (values.version) {
      if (first !== undefined) throw new UsageError(`"${command.name}" does not take --version`);
      io.stdout.write(`${toolInfo().version}\n`);
      return EXIT.ok;
    }
    if (args.length > command.args.max) throw new UsageError(`unexpected argument "${args[command.args.max]}"`);
    if (args.length < command.args.min) {
      throw new UsageError(
        `"${command.name}" needs ${command.args.min} argument${command.args.min === 1 ? '' : 's'}, got ${args.length}`,
      );
    }
    for (const option of Object.keys(values)) {
      if (!command.accepts.includes(option as keyof Values))
        throw new UsageError(`"${command.name}" does not take --${option}`);
    }
    return await command.run({ values, args, io, style: styleFor(io.stdout) });
  } catch (error) {
    if (error instanceof UsageError) {
      io.stderr.write(`kvm-caps: ${escapeControls(error.message)}\n${usageHint(command?.name, command?.accepts)}`);
      return EXIT.usage;
    }
    if (
      error instanceof SnapshotFileError ||
      error instanceof FileError ||
      error instanceof TdConfigError ||
      error instanceof OutputError
    ) {
      // The message may quote a file name or a field of the file read: shown escaped, as in every text output.
      io.stderr.write(`kvm-caps: ${escapeControls(error.message)}\n`);
      return EXIT.file;
    }
    io.stderr.write(`kvm-caps: internal error: ${(error as Error).stack ?? String(error)}\n`);
    return EXIT.internal;
  }
}
