// Runs the kvm-caps command from source. Most runs are in-process: main(argv, io) in a
// worker thread that stays loaded, called synchronously (the caller blocks until the
// command returns), about a millisecond each instead of half a second for a new node.
// A run that needs a process of its own (another uid or gid, another cwd, or an
// environment that changes LD_PRELOAD, as the kernel double does) spawns
// `node --import tsx lib/cli/bin.ts`, as a user would run the command.
import { spawnSync, type SpawnSyncOptions } from 'node:child_process';
import { join } from 'node:path';
import { MessageChannel, receiveMessageOnPort, Worker } from 'node:worker_threads';
import { projectRoot } from './compile.js';

export interface CliResult {
  status: number | null;
  stdout: string;
  stderr: string;
}

export const cliEntry = join(projectRoot, 'lib', 'cli', 'bin.ts');

const TIMEOUT_MS = 60_000;

/** Runs the command in a child process: `node --import tsx lib/cli/bin.ts ARGS`. */
export function spawnCli(args: string[], options: SpawnSyncOptions = {}): CliResult {
  const result = spawnSync(process.execPath, ['--import', 'tsx', cliEntry, ...args], {
    cwd: projectRoot,
    encoding: 'utf8',
    timeout: TIMEOUT_MS,
    ...options,
  });
  return { status: result.status, stdout: String(result.stdout), stderr: String(result.stderr) };
}

/** Whether these spawn options ask for something only a separate process can have. */
function needsProcess(options: SpawnSyncOptions): boolean {
  const { env, ...rest } = options;
  if (Object.keys(rest).length > 0) return true; // uid, gid, cwd, input, stdio, ...
  return env !== undefined && env.LD_PRELOAD !== process.env.LD_PRELOAD;
}

let worker: Worker | undefined;

function inProcess(args: string[], env: NodeJS.ProcessEnv): CliResult {
  worker ??= new Worker(new URL('./cli-worker.mjs', import.meta.url), { execArgv: [] });
  worker.unref();
  const signal = new Int32Array(new SharedArrayBuffer(4));
  const { port1, port2 } = new MessageChannel();
  worker.postMessage({ args, env: { ...env }, port: port2, signal }, [port2]);
  const woke = Atomics.wait(signal, 0, 0, TIMEOUT_MS);
  const reply = receiveMessageOnPort(port1);
  port1.close();
  if (woke === 'timed-out' || reply === undefined) {
    void worker.terminate();
    worker = undefined;
    return { status: null, stdout: '', stderr: `kvm-caps ${args.join(' ')}: no answer within ${TIMEOUT_MS} ms` };
  }
  return reply.message as CliResult;
}

/** Runs `kvm-caps ARGS` and returns its exit status and output. */
export function runCli(args: string[], options: SpawnSyncOptions = {}): CliResult {
  if (needsProcess(options)) return spawnCli(args, options);
  return inProcess(args, options.env ?? process.env);
}

/**
 * The command run in this process through main(argv, io), as `kvm-caps ARGS` would run; `tty` makes standard output a
 * terminal.
 */
export async function runMain(args: string[], options: { tty?: boolean } = {}): Promise<CliResult> {
  const { main } = await import('../../lib/cli/main.js');
  let stdout = '';
  let stderr = '';
  const io = {
    stdout: {
      isTTY: options.tty === true,
      write: (text: string) => {
        stdout += text;
        return true;
      },
    },
    stderr: {
      write: (text: string) => {
        stderr += text;
        return true;
      },
    },
  } as unknown as Parameters<typeof main>[1];
  const status = await main(args, io);
  return { status, stdout, stderr };
}
