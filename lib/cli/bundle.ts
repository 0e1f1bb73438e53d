// Builds the installed command (a build step run by `npm run build:ts`; not shipped):
//   kvm-caps.cjs    the launcher, kvm-caps.ts as CommonJS
//   app.cjs         lib/cli/main.ts and everything it imports, as one CommonJS bundle
//   app.cjs.cache   V8's code cache for app.cjs, taken after the launcher has run the report
//                   on each saved snapshot in test/fixtures and once on this machine, so it
//                   holds the functions a report runs, the probe's among them, and not only
//                   the bundle's top level
// and checks that a fresh `node` accepts the cache.
//   node --import tsx lib/cli/bundle.ts [--outdir DIR]    (default: dist/cli)
// DIR must lie inside a package (a package.json at most three levels up): the command finds
// its package.json and addon from where the bundle is.
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { buildSync } from 'esbuild';
import { EXIT } from './exit-codes.js';
import type * as Launcher from './kvm-caps.js';

const here = fileURLToPath(new URL('.', import.meta.url));
const root = resolve(here, '..', '..');
const { values } = parseArgs({ options: { outdir: { type: 'string', default: join(root, 'dist', 'cli') } } });
const outdir = resolve(values.outdir as string);
mkdirSync(outdir, { recursive: true });

const common = { platform: 'node', format: 'cjs', target: 'node20.19', logLevel: 'warning' } as const;

// Bundled, for the exit codes it shares with the command (node's own modules stay external).
buildSync({ ...common, bundle: true, entryPoints: [join(here, 'kvm-caps.ts')], outfile: join(outdir, 'kvm-caps.cjs') });
chmodSync(join(outdir, 'kvm-caps.cjs'), 0o755);
// The cache is made through the launcher as shipped, so it is what the command will load.
const launcher = createRequire(import.meta.url)(join(outdir, 'kvm-caps.cjs')) as typeof Launcher;

// package-root.ts finds the package from import.meta.url, which a CommonJS bundle does not
// have; it gets the bundle's own URL instead.
const bundle = buildSync({
  ...common,
  entryPoints: [join(root, 'lib', 'cli', 'main.ts')],
  bundle: true,
  minifyWhitespace: true,
  minifySyntax: true,
  banner: { js: "const import_meta_url = require('node:url').pathToFileURL(__filename).href;" },
  define: { 'import.meta.url': 'import_meta_url' },
  write: false,
});
const text = bundle.outputFiles[0]?.text;
if (text === undefined) throw new Error('esbuild produced no bundle');
// The launcher compiles a script, which has no way to load an ES module.
if (/\bimport\(/.test(text)) throw new Error('the bundle has a dynamic import(), which the launcher cannot run');
const source = `// kvm-caps build sha256:${createHash('sha256').update(text).digest('hex')}\n${text}`;
writeFileSync(join(outdir, launcher.APP_FILE), source);

// The report on every saved snapshot, and once live, output discarded: the command users run
// most, and the code it shares with the others. The live report is read-only like any other;
// on a machine without KVM it covers the probe's failure paths only (the probe's other
// functions are then compiled when first run, about 2 ms of each start-up).
const sink = { write: (): boolean => true };
const fixtures = join(root, 'test', 'fixtures');
const snapshots = existsSync(fixtures) ? readdirSync(fixtures).filter((f) => f.endsWith('.json')) : [];
const { app, script } = launcher.loadApp(outdir);
const runs = [['--version'], ...snapshots.map((file) => ['report', '--from', join(fixtures, file)]), ['report']];
for (const argv of runs) {
  // A usage error means this list has gone out of date with the commands.
  if ((await app.main(argv, { stdout: sink, stderr: sink })) === EXIT.usage) {
    throw new Error(`kvm-caps ${argv.join(' ')}: usage error`);
  }
}
const header = Buffer.from(`${launcher.buildLine(source)}\n`, 'latin1');
writeFileSync(join(outdir, launcher.CACHE_FILE), Buffer.concat([header, script.createCachedData()]));

const use = execFileSync(
  process.execPath,
  [
    '-e',
    `process.stdout.write(require(${JSON.stringify(join(outdir, 'kvm-caps.cjs'))})` +
      `.loadApp(${JSON.stringify(outdir)}).cache)`,
  ],
  { encoding: 'utf8', env: { ...process.env, NODE_OPTIONS: '' } },
);
if (use !== 'accepted') throw new Error(`node did not accept the code cache written to ${outdir} (${use})`);
console.log(
  `bundle: ${outdir}: ${launcher.APP_FILE} (${source.length} bytes), ${launcher.CACHE_FILE} after ` +
    `${runs.length} runs, accepted by node`,
);
