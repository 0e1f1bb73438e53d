// The other half of helpers/cli.ts: loaded once in a worker thread, it keeps
// lib/cli/main.ts loaded and runs main(argv, io) for each request, with io capturing what
// the command writes. It posts the result on the request's port, then wakes the caller
// blocked on `signal`.
import type { MessagePort } from 'node:worker_threads';
import { main } from '../../lib/cli/main.js';

export interface Request {
  args: string[];
  env: Record<string, string | undefined>;
  port: MessagePort;
  signal: Int32Array;
}

function sink(chunks: string[]): NodeJS.WritableStream {
  return {
    write(chunk: string | Uint8Array): boolean {
      chunks.push(typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString('utf8'));
      return true;
    },
  } as unknown as NodeJS.WritableStream;
}

export async function serve({ args, env, port, signal }: Request): Promise<void> {
  const stdout: string[] = [];
  const stderr: string[] = [];
  // The command reads its environment (NO_COLOR, KVM_CAPS_NATIVE, ...) from process.env,
  // which in a worker is the worker's own copy.
  for (const key of Object.keys(process.env)) if (!(key in env)) delete process.env[key];
  for (const [key, value] of Object.entries(env)) if (value !== undefined) process.env[key] = value;
  let status: number | null;
  try {
    status = await main(args, { stdout: sink(stdout), stderr: sink(stderr) });
  } catch (error) {
    // main() never throws; if it does, report it as a crashed process would.
    stderr.push(String((error as Error).stack ?? error));
    status = null;
  }
  port.postMessage({ status, stdout: stdout.join(''), stderr: stderr.join('') });
  Atomics.store(signal, 0, 1);
  Atomics.notify(signal, 0);
}
