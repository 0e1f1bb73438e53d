// Runs the kvm-caps command from source, as a user would run the installed one.
import { spawnSync, type SpawnSyncOptions } from 'node:child_process';
import { join } from 'node:path';
import { projectRoot } from './compile.js';

export interface CliResult {
  status: number | null;
  stdout: string;
  stderr: string;
}

export const cliEntry = join(projectRoot, 'lib', 'cli', 'bin.ts');

export function runCli(args: string[], options: SpawnSyncOptions = {}): CliResult {
  const result = spawnSync(process.execPath, ['--import', 'tsx', cliEntry, ...args], {
    cwd: projectRoot,
    encoding: 'utf8',
    timeout: 60_000,
    ...options,
  });
  return { status: result.status, stdout: String(result.stdout), stderr: String(result.stderr) };
}

/** The command run in this process through main(argv, io), as `kvm-caps ARGS` would run; `tty` makes standard output a terminal. */
export async function runMain(args: string[], options: { tty?: boolean } = {}): Promise<CliResult> {
  const { main } = await import('../../lib/cli/main.js');
  let stdout = '';
  let stderr = '';
  const io = {
    stdout: { isTTY: options.tty === true, write: (text: string) => ((stdout += text), true) },
    stderr: { write: (text: string) => ((stderr += text), true) },
  } as unknown as Parameters<typeof main>[1];
  const status = await main(args, io);
  return { status, stdout, stderr };
}
