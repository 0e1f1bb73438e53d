// Fetches packages from Debian unstable, whose Linux packages are what kvm-caps' tables and
// log patterns are checked against (linux-libc-dev, linux-headers-<ver>-common,
// linux-source-<ver>). The archive is the one this machine's own apt configuration names;
// apt-get runs with a private configuration and private state directories under
// <project>/.cache/debian/, so nothing in the system's apt state changes. Each package is
// unpacked into its own cache directory, swapped in whole, and reused for a week.
import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { cacheDir } from './compile.js';

const execFileAsync = promisify(execFile);

/** The Debian suite whose Linux packages carry the kernel the project targets. */
export const DEBIAN_SUITE = 'unstable';
/** How long an unpacked package is reused before it is fetched again. */
export const PACKAGE_MAX_AGE_MS = 7 * 24 * 60 * 60 * 1000;

/** One apt source: a line of sources.list or a deb822 stanza, expanded to one suite. */
export interface AptSource {
  types: string[];
  uri: string;
  suite: string;
  components: string[];
  /** A keyring path, a list of fingerprints, or an inline key block (deb822 only); undefined when not set. */
  signedBy: string | undefined;
  origin: string;
}

/** Parses the one-line format of sources.list. */
export function parseOneLineSources(text: string, origin: string): AptSource[] {
  const sources: AptSource[] = [];
  for (const rawLine of text.split('\n')) {
    const line = rawLine.replace(/#.*$/, '').trim();
    if (line === '') continue;
    const match = /^(deb|deb-src)\s+(?:\[([^\]]*)\]\s+)?(\S+)\s+(\S+)\s*(.*)$/.exec(line);
    if (!match) continue;
    const [, type = '', options = '', uri = '', suite = '', rest = ''] = match;
    let signedBy: string | undefined;
    for (const option of options.trim().split(/\s+/)) {
      const eq = option.indexOf('=');
      if (eq > 0 && option.slice(0, eq).toLowerCase() === 'signed-by')
        signedBy = option.slice(eq + 1).replace(/,/g, ' ');
    }
    sources.push({ types: [type], uri, suite, components: rest.split(/\s+/).filter(Boolean), signedBy, origin });
  }
  return sources;
}

/** Parses deb822 .sources stanzas. */
export function parseDeb822Sources(text: string, origin: string): AptSource[] {
  const sources: AptSource[] = [];
  for (const stanza of text.split(/\n[ \t]*\n/)) {
    const fields = new Map<string, string>();
    let current: string | undefined;
    for (const line of stanza.split('\n')) {
      if (line.startsWith('#')) continue;
      if (/^[ \t]/.test(line)) {
        // Continuation line; a lone '.' stands for an empty line (inline keys).
        if (current !== undefined) {
          const piece = line.trim() === '.' ? '' : line.trim();
          fields.set(current, `${fields.get(current) ?? ''}\n${piece}`);
        }
        continue;
      }
      const colon = line.indexOf(':');
      if (colon <= 0) continue;
      current = line.slice(0, colon).trim().toLowerCase();
      fields.set(current, line.slice(colon + 1).trim());
    }
    if (!fields.has('types') || !fields.has('uris') || !fields.has('suites')) continue;
    if (/^(no|false|0)$/i.test(fields.get('enabled') ?? 'yes')) continue;
    const words = (key: string): string[] => (fields.get(key) ?? '').split(/\s+/).filter(Boolean);
    const signedBy = fields.get('signed-by');
    for (const uri of words('uris')) {
      for (const suite of words('suites')) {
        sources.push({ types: words('types'), uri, suite, components: words('components'), signedBy, origin });
      }
    }
  }
  return sources;
}

/** Every apt source this machine is configured with. */
export function systemAptSources(etcApt = '/etc/apt'): AptSource[] {
  const sources: AptSource[] = [];
  const mainList = join(etcApt, 'sources.list');
  if (existsSync(mainList)) sources.push(...parseOneLineSources(readFileSync(mainList, 'utf8'), mainList));
  const partsDir = join(etcApt, 'sources.list.d');
  if (existsSync(partsDir)) {
    for (const name of readdirSync(partsDir).sort()) {
      const path = join(partsDir, name);
      if (name.endsWith('.list')) sources.push(...parseOneLineSources(readFileSync(path, 'utf8'), path));
      else if (name.endsWith('.sources')) sources.push(...parseDeb822Sources(readFileSync(path, 'utf8'), path));
    }
  }
  return sources;
}

function releaseCodename(): string | undefined {
  try {
    return /^VERSION_CODENAME=["']?([^"'\n]+)/m.exec(readFileSync('/etc/os-release', 'utf8'))?.[1];
  } catch {
    return undefined;
  }
}

/** The source for the plain release suite (e.g. bookworm, not bookworm-security), component main. */
export function debianArchiveSource(sources: AptSource[] = systemAptSources()): AptSource {
  const codename = releaseCodename();
  const isRelease = (suite: string): boolean => (codename ? suite === codename : /^[a-z]+$/.test(suite));
  const found = sources.find(
    (source) => source.types.includes('deb') && isRelease(source.suite) && source.components.includes('main'),
  );
  if (!found) {
    const seen = sources
      .map((s) => `${s.origin}: ${s.types.join(',')} ${s.suite} ${s.components.join(' ')}`)
      .join('; ');
    throw new Error(
      `no apt source with suite '${codename ?? '<release codename>'}' and component main in /etc/apt (found: ` +
        `${seen || 'none'})`,
    );
  }
  return found;
}

function deb822Field(name: string, value: string): string {
  const [first = '', ...rest] = value.split('\n');
  return [`${name}: ${first}`, ...rest.map((line) => ` ${line === '' ? '.' : line}`)].join('\n');
}

/** Runs a command, turning a failure into an Error that says what was being done and shows the output's tail. */
export async function run(what: string, command: string, args: string[], cwd: string): Promise<string> {
  try {
    const { stdout } = await execFileAsync(command, args, { cwd, maxBuffer: 64 * 1024 * 1024 });
    return stdout;
  } catch (error) {
    const e = error as { stderr?: string; stdout?: string; message?: string };
    const output = `${e.stderr ?? ''}${e.stdout ?? ''}`.trim().split('\n').slice(-15).join('\n');
    throw new Error(`${what} failed: ${command} ${args.join(' ')}\n${output || e.message || String(error)}`);
  }
}

const aptDir = join(cacheDir, 'debian');
let updated: Promise<string[]> | undefined;

/** How long the suite's index is used before `apt-get update` runs again. */
const LISTS_MAX_AGE_MS = 24 * 60 * 60 * 1000;
const listsStamp = join(aptDir, 'lists-updated.json');

/**
 * Runs apt-get or apt-cache under flock(1) on one lock file: test files run in parallel,
 * and apt refuses (rather than waits) when another apt holds its lists lock.
 */
function aptRun(what: string, command: string, args: string[], cwd: string): Promise<string> {
  return run(what, 'flock', [join(aptDir, 'apt.lock'), command, ...args], cwd);
}

function listsFresh(sources: string): boolean {
  try {
    const stamp = JSON.parse(readFileSync(listsStamp, 'utf8')) as { at: number; sources: string };
    return stamp.sources === sources && Date.now() - stamp.at < LISTS_MAX_AGE_MS;
  } catch {
    return false;
  }
}

/** apt-get options for the private configuration; runs `apt-get update` when the index is a day old. */
async function aptOptions(): Promise<string[]> {
  updated ??= (async () => {
    const source = debianArchiveSource();
    mkdirSync(aptDir, { recursive: true });
    const sourcesFile = join(aptDir, `${DEBIAN_SUITE}.sources`);
    writeFileSync(
      sourcesFile,
      [
        'Types: deb',
        `URIs: ${source.uri}`,
        `Suites: ${DEBIAN_SUITE}`,
        'Components: main',
        ...(source.signedBy ? [deb822Field('Signed-By', source.signedBy)] : []),
        '',
      ].join('\n'),
    );
    for (const dir of ['lists/partial', 'archives/partial', 'cache']) mkdirSync(join(aptDir, dir), { recursive: true });
    const options = [
      `Dir::Etc::SourceList=${sourcesFile}`,
      'Dir::Etc::SourceParts=/nonexistent',
      `Dir::State::Lists=${join(aptDir, 'lists')}`,
      `Dir::Cache=${join(aptDir, 'cache')}`,
      `Dir::Cache::Archives=${join(aptDir, 'archives')}`,
      'Dir::State::status=/dev/null',
      'APT::Sandbox::User=root',
      'Acquire::Languages=none',
    ].flatMap((option) => ['-o', option]);
    const sources = readFileSync(sourcesFile, 'utf8');
    if (listsFresh(sources)) return options;
    await aptRun(
      `apt-get update for suite ${DEBIAN_SUITE} of ${source.uri} (from ${source.origin})`,
      'apt-get',
      [...options, '-q', 'update'],
      aptDir,
    );
    writeFileSync(listsStamp, JSON.stringify({ at: Date.now(), sources }));
    return options;
  })();
  try {
    return await updated;
  } catch (error) {
    updated = undefined;
    throw error;
  }
}

/** Names of the packages in the suite's index that match `pattern` (an apt-cache regex). */
export async function packageNames(pattern: string): Promise<string[]> {
  const options = await aptOptions();
  const out = await aptRun(
    `apt-cache search --names-only ${pattern}`,
    'apt-cache',
    [...options, 'search', '--names-only', pattern],
    aptDir,
  );
  return out
    .split('\n')
    .map((line) => line.split(' - ')[0]?.trim() ?? '')
    .filter(Boolean)
    .sort();
}

export interface UnpackedPackage {
  /** The directory the package's files were unpacked into (its `/`). */
  root: string;
  /** The package's version, e.g. 7.2.13-1. */
  version: string;
  /** True when the cached copy was reused without contacting the archive. */
  cached: boolean;
}

interface Stamp {
  version: string;
  fetchedAt: number;
  /** What `prepare` made of the package (e.g. the source directories extracted). */
  prepared?: unknown;
}

const STAMP = '.kvm-caps-package.json';

function readStamp(root: string): Stamp | undefined {
  try {
    const stamp = JSON.parse(readFileSync(join(root, STAMP), 'utf8')) as Partial<Stamp>;
    if (typeof stamp.version === 'string' && typeof stamp.fetchedAt === 'number') {
      return { version: stamp.version, fetchedAt: stamp.fetchedAt, prepared: stamp.prepared };
    }
  } catch {
    // missing or unreadable: fetch again
  }
  return undefined;
}

export interface FetchOptions {
  maxAgeMs?: number;
  /** A cached copy is reused only when this accepts it (after the age check). */
  accept?: (root: string, stamp: { version: string; prepared?: unknown }) => boolean;
  /**
   * Replaces plain `dpkg-deb -x`: given the .deb and an empty staging directory, fills the
   * directory and returns what to remember in the stamp. Used to extract part of a tarball.
   */
  unpack?: (deb: string, staging: string) => Promise<unknown>;
}

/**
 * Downloads package `name` from Debian unstable and unpacks it into
 * <project>/.cache/debian/pkg/<cacheName>/, unless a copy younger than a week is there.
 * Throws an Error saying what failed.
 */
export async function fetchPackage(
  name: string,
  cacheName: string,
  options: FetchOptions = {},
): Promise<UnpackedPackage> {
  const root = join(aptDir, 'pkg', cacheName);
  const stamp = readStamp(root);
  if (
    stamp &&
    Date.now() - stamp.fetchedAt < (options.maxAgeMs ?? PACKAGE_MAX_AGE_MS) &&
    (options.accept?.(root, stamp) ?? true)
  ) {
    return { root, version: stamp.version, cached: true };
  }
  const aptArgs = await aptOptions();
  const downloadDir = join(aptDir, 'download', `${cacheName}.${process.pid}`);
  rmSync(downloadDir, { recursive: true, force: true });
  mkdirSync(downloadDir, { recursive: true });
  try {
    await aptRun(`apt-get download ${name}`, 'apt-get', [...aptArgs, '-q', 'download', name], downloadDir);
    const deb = readdirSync(downloadDir).find((file) => file.startsWith(`${name}_`) && file.endsWith('.deb'));
    if (!deb) throw new Error(`apt-get download ${name} left no .deb in ${downloadDir}`);
    const debPath = join(downloadDir, deb);
    const version = (await run('dpkg-deb -f', 'dpkg-deb', ['-f', debPath, 'Version'], downloadDir)).trim();

    // Unpack beside the cache and swap it in, so a reader never sees a half-unpacked tree.
    const staging = `${root}.${process.pid}`;
    rmSync(staging, { recursive: true, force: true });
    mkdirSync(staging, { recursive: true });
    const prepared = options.unpack
      ? await options.unpack(debPath, staging)
      : await run('dpkg-deb -x', 'dpkg-deb', ['-x', debPath, staging], downloadDir).then(() => undefined);
    writeFileSync(
      join(staging, STAMP),
      `${JSON.stringify({ version, fetchedAt: Date.now(), deb, prepared }, null, 2)}\n`,
    );
    const old = `${root}.old.${process.pid}`;
    if (existsSync(root)) renameSync(root, old);
    renameSync(staging, root);
    rmSync(old, { recursive: true, force: true });
    return { root, version, cached: false };
  } finally {
    rmSync(downloadDir, { recursive: true, force: true });
  }
}
