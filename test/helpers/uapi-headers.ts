// Fetches the Linux UAPI headers that kvm-caps is checked against: Debian unstable's
// linux-libc-dev, downloaded with apt-get from the archive this machine's own apt
// configuration names, using a private apt configuration and private state directories
// so that nothing in the system's apt state changes. The unpacked package is cached under
// <project>/.cache/uapi/ and reused for a week.
import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { cacheDir } from './compile.js';

const execFileAsync = promisify(execFile);

/** The Debian suite whose linux-libc-dev carries the headers the project targets. */
export const UAPI_SUITE = 'unstable';
/** How long an unpacked package is reused before it is fetched again. */
export const UAPI_MAX_AGE_MS = 7 * 24 * 60 * 60 * 1000;

export interface UapiHeaders {
  /** <unpacked>/usr/include */
  includeDir: string;
  /** <unpacked>/usr/include/<multiarch triplet>, where asm/ lives. */
  archIncludeDir: string;
  /** The linux-libc-dev package version, e.g. 7.2.1-1. */
  version: string;
  /** True when the cached copy was reused without contacting the archive. */
  cached: boolean;
}

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

const uapiDir = join(cacheDir, 'uapi');
const rootDir = join(uapiDir, 'root');
const stampFile = join(rootDir, '.kvm-caps-uapi.json');

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
      if (eq > 0 && option.slice(0, eq).toLowerCase() === 'signed-by') signedBy = option.slice(eq + 1).replace(/,/g, ' ');
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
    const seen = sources.map((s) => `${s.origin}: ${s.types.join(',')} ${s.suite} ${s.components.join(' ')}`).join('; ');
    throw new Error(
      `no apt source with suite '${codename ?? '<release codename>'}' and component main in /etc/apt (found: ${seen || 'none'})`,
    );
  }
  return found;
}

function deb822Field(name: string, value: string): string {
  const [first = '', ...rest] = value.split('\n');
  return [`${name}: ${first}`, ...rest.map((line) => ` ${line === '' ? '.' : line}`)].join('\n');
}

function readStamp(): { version: string; fetchedAt: number } | undefined {
  try {
    const stamp = JSON.parse(readFileSync(stampFile, 'utf8')) as { version?: unknown; fetchedAt?: unknown };
    if (typeof stamp.version === 'string' && typeof stamp.fetchedAt === 'number') {
      return { version: stamp.version, fetchedAt: stamp.fetchedAt };
    }
  } catch {
    // missing or unreadable: fetch again
  }
  return undefined;
}

async function run(what: string, command: string, args: string[], cwd: string): Promise<string> {
  try {
    const { stdout } = await execFileAsync(command, args, { cwd, maxBuffer: 64 * 1024 * 1024 });
    return stdout;
  } catch (error) {
    const e = error as { stderr?: string; stdout?: string; message?: string };
    const output = `${e.stderr ?? ''}${e.stdout ?? ''}`.trim().split('\n').slice(-15).join('\n');
    throw new Error(`${what} failed: ${command} ${args.join(' ')}\n${output || e.message || String(error)}`);
  }
}

function result(version: string, cached: boolean): UapiHeaders {
  const includeDir = join(rootDir, 'usr', 'include');
  const triplets = existsSync(includeDir)
    ? readdirSync(includeDir).filter((name) => /-linux-gnu/.test(name) && existsSync(join(includeDir, name, 'asm')))
    : [];
  const triplet = triplets.includes('x86_64-linux-gnu') ? 'x86_64-linux-gnu' : triplets[0];
  if (!triplet) throw new Error(`unpacked linux-libc-dev in ${rootDir} has no usr/include/<triplet>/asm`);
  for (const header of ['linux/kvm.h', `${triplet}/asm/kvm.h`]) {
    if (!existsSync(join(includeDir, header))) throw new Error(`unpacked linux-libc-dev lacks usr/include/${header}`);
  }
  return { includeDir, archIncludeDir: join(includeDir, triplet), version, cached };
}

/**
 * Returns the unpacked UAPI headers of Debian unstable's linux-libc-dev, fetching them when
 * there is no cached copy younger than a week. Throws an Error saying what failed.
 */
export async function uapiHeaders(options: { maxAgeMs?: number } = {}): Promise<UapiHeaders> {
  const maxAge = options.maxAgeMs ?? UAPI_MAX_AGE_MS;
  const stamp = readStamp();
  if (stamp && Date.now() - stamp.fetchedAt < maxAge) {
    try {
      return result(stamp.version, true);
    } catch {
      // a damaged cache: fetch again
    }
  }

  const source = debianArchiveSource();
  mkdirSync(uapiDir, { recursive: true });
  const sourcesFile = join(uapiDir, `${UAPI_SUITE}.sources`);
  writeFileSync(
    sourcesFile,
    [
      'Types: deb',
      `URIs: ${source.uri}`,
      `Suites: ${UAPI_SUITE}`,
      'Components: main',
      ...(source.signedBy ? [deb822Field('Signed-By', source.signedBy)] : []),
      '',
    ].join('\n'),
  );
  for (const dir of ['lists/partial', 'archives/partial', 'cache', 'download']) mkdirSync(join(uapiDir, dir), { recursive: true });
  const aptOptions = [
    `Dir::Etc::SourceList=${sourcesFile}`,
    'Dir::Etc::SourceParts=/nonexistent',
    `Dir::State::Lists=${join(uapiDir, 'lists')}`,
    `Dir::Cache=${join(uapiDir, 'cache')}`,
    `Dir::Cache::Archives=${join(uapiDir, 'archives')}`,
    'Dir::State::status=/dev/null',
    'APT::Sandbox::User=root',
    'Acquire::Languages=none',
  ].flatMap((option) => ['-o', option]);

  await run(`apt-get update for suite ${UAPI_SUITE} of ${source.uri} (from ${source.origin})`, 'apt-get', [...aptOptions, '-q', 'update'], uapiDir);
  const downloadDir = join(uapiDir, 'download');
  for (const name of readdirSync(downloadDir)) rmSync(join(downloadDir, name), { recursive: true, force: true });
  await run('apt-get download linux-libc-dev', 'apt-get', [...aptOptions, '-q', 'download', 'linux-libc-dev'], downloadDir);
  const deb = readdirSync(downloadDir).find((name) => /^linux-libc-dev_.*\.deb$/.test(name));
  if (!deb) throw new Error(`apt-get download linux-libc-dev left no .deb in ${downloadDir}`);
  const debPath = join(downloadDir, deb);
  const version = (await run('dpkg-deb -f', 'dpkg-deb', ['-f', debPath, 'Version'], downloadDir)).trim();

  // Unpack beside the cache and swap it in, so a reader never sees a half-unpacked tree.
  const staging = join(uapiDir, `root.${process.pid}`);
  rmSync(staging, { recursive: true, force: true });
  await run('dpkg-deb -x', 'dpkg-deb', ['-x', debPath, staging], uapiDir);
  writeFileSync(join(staging, '.kvm-caps-uapi.json'), `${JSON.stringify({ version, fetchedAt: Date.now(), deb }, null, 2)}\n`);
  const old = join(uapiDir, `root.old.${process.pid}`);
  if (existsSync(rootDir)) renameSync(rootDir, old);
  renameSync(staging, rootDir);
  rmSync(old, { recursive: true, force: true });
  rmSync(debPath, { force: true });
  return result(version, false);
}

