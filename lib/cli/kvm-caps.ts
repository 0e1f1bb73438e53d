#!/usr/bin/env node
// The installed kvm-caps command. The command itself is one bundle (app.cjs); this launcher
// compiles it with the V8 code cache the build made for it (app.cjs.cache), so V8 neither
// parses the bundle nor compiles the functions a report runs, and it is CommonJS, so Node
// does not start its ES module loader: together most of the command's own start-up. Without
// a usable cache (none built, or made by another Node version, other V8 flags or for another
// bundle) the command only starts slower.
// Written as a module, shipped as CommonJS: bundle.ts turns it into dist/cli/kvm-caps.cjs,
// where `require`, `module` and `__dirname` are CommonJS's own.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Script } from 'node:vm';
import { EXIT } from './exit-codes.js';

type Writer = { write(text: string): unknown };
/** What the bundle exports that the launcher uses: main.ts's main(). */
export interface App {
  main(argv: string[], io?: { stdout: Writer; stderr: Writer }): Promise<number>;
}

/** How the code cache was used: 'accepted' is the fast start. */
export type CacheUse = 'accepted' | 'rejected' | 'stale' | 'absent';

export const APP_FILE = 'app.cjs';
export const CACHE_FILE = 'app.cjs.cache';

/**
 * The bundle's first line names its build (a hash of the rest); the cache file starts with
 * the same line. V8 itself only checks a cache against the source's length, so this line is
 * what keeps a cache from being used with another bundle of the same length.
 */
export function buildLine(source: string): string {
  const end = source.indexOf('\n');
  return end < 0 ? source : source.slice(0, end);
}

/** Compiles and evaluates the bundle in `dir`, with its code cache when that is usable. */
export function loadApp(dir: string): { app: App; script: Script; cache: CacheUse } {
  const file = join(dir, APP_FILE);
  const source = readFileSync(file, 'utf8');
  let cachedData: Buffer | undefined;
  let cache: CacheUse = 'absent';
  try {
    const data = readFileSync(join(dir, CACHE_FILE));
    const end = data.indexOf(10);
    cache = end > 0 && data.toString('latin1', 0, end) === buildLine(source) ? 'accepted' : 'stale';
    if (cache === 'accepted') cachedData = data.subarray(end + 1);
  } catch {
    // No cache: compile from source.
  }
  // The same wrapper as Node's for a CommonJS module, so the bundle sees the usual names.
  const script = new Script(`(function (exports, require, module, __filename, __dirname) {${source}\n})`, {
    filename: file,
    cachedData,
  });
  if (script.cachedDataRejected === true) cache = 'rejected';
  const bundle = { exports: {} as App };
  script.runInThisContext()(bundle.exports, require, bundle, file, dir);
  return { app: bundle.exports, script, cache };
}

/** The command: a launcher that cannot load the bundle fails as the command's own internal errors do. */
async function run(): Promise<number> {
  let app: App;
  try {
    app = loadApp(__dirname).app;
  } catch (error) {
    process.stderr.write(
      `kvm-caps: internal error: cannot load the command from ${__dirname}: ` +
        `${(error as Error).stack ?? String(error)}\n`,
    );
    return EXIT.internal;
  }
  return app.main(process.argv.slice(2));
}

if (require.main === module) {
  void run().then((code) => {
    process.exitCode = code;
  });
}
