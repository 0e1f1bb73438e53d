// Compiles the small C and C++ programs the tests use as independent oracles. Outputs
// go to a per-user cache keyed by the source's hash, so a suite compiles each once.
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const projectRoot = fileURLToPath(new URL('../..', import.meta.url));
export const cacheDir = join(projectRoot, '.cache');

export interface CompileOptions {
  /** 'c' uses cc, 'c++' uses c++ (-std=c++17). */
  language: 'c' | 'c++';
  /** Extra -isystem directories searched before the system's own headers. */
  systemIncludeDirs?: string[];
  /** Extra -I directories. */
  includeDirs?: string[];
  /** Extra flags, e.g. -D definitions. */
  flags?: string[];
}

/** Compiles `sourcePath` and returns the path of the executable. Throws with the compiler's output on failure. */
export function compileProgram(sourcePath: string, options: CompileOptions): string {
  const compiler = options.language === 'c' ? 'cc' : 'c++';
  const args = [
    ...(options.language === 'c' ? ['-std=gnu11'] : ['-std=c++17']),
    '-O1',
    '-Wall',
    '-Werror',
    ...(options.systemIncludeDirs ?? []).flatMap((dir) => ['-isystem', dir]),
    ...(options.includeDirs ?? []).flatMap((dir) => ['-I', dir]),
    ...(options.flags ?? []),
  ];
  const hash = createHash('sha256')
    .update(compiler)
    .update(JSON.stringify(args))
    .update(readFileSync(sourcePath))
    .digest('hex')
    .slice(0, 16);
  const outDir = join(cacheDir, 'bin');
  mkdirSync(outDir, { recursive: true });
  const output = join(outDir, `${sourcePath.replace(/^.*\//, '').replace(/\.\w+$/, '')}-${hash}`);
  if (!existsSync(output)) {
    execFileSync(compiler, [...args, '-o', `${output}.tmp`, sourcePath], { stdio: ['ignore', 'pipe', 'pipe'] });
    execFileSync('mv', [`${output}.tmp`, output]);
  }
  return output;
}
