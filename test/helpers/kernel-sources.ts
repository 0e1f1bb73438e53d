// The kernel's own files that kvm-caps' tables and log patterns are checked against, from
// Debian unstable (helpers/debian-unstable.ts):
//   - linux-headers-<ver>-common: internal headers (asm/shared/tdx.h, tdx_errno.h,
//     cpufeatures.h, svm.h, include/linux/psp-sev.h, ...);
//   - linux-source-<ver>: only the directories in KERNEL_SOURCE_DIRS are extracted from its
//     tarball, for the printk format strings the log patterns must match.
// And the one way a test asks for them: kernelFiles() skips with the reason printed when
// they cannot be fetched, and fails under CI=true, where CI must be able to fetch them.
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import type { TestContext } from 'node:test';
import { fetchPackage, packageNames, run } from './debian-unstable.js';
import { fetchFailed, record } from './requirements.js';

/** The source directories extracted from linux-source: what the log-pattern tests read. */
export const KERNEL_SOURCE_DIRS = [
  'arch/x86/kernel/cpu',
  'arch/x86/kvm',
  'arch/x86/virt',
  'arch/x86/coco',
  'arch/x86/mm',
  'arch/x86/include',
  'virt/kvm',
  'drivers/crypto/ccp',
  'drivers/iommu/amd',
  'drivers/virt/coco',
  'include/linux',
  // Module loading and parameter parsing: "Module %s is blacklisted", "unknown parameter", "invalid for parameter".
  'kernel/module',
  'kernel/params.c',
] as const;

export interface KernelTree {
  /** The tree's top directory (the equivalent of a kernel checkout's root). */
  root: string;
  /** The Debian package it came from, e.g. linux-source-7.2. */
  packageName: string;
  /** The package version, e.g. 7.2.13-1. */
  version: string;
  cached: boolean;
}

/** Compares Debian-style names by their embedded version numbers (7.2.13+deb14 > 7.2.9). */
function byVersion(a: string, b: string): number {
  const numbers = (s: string): number[] => (s.match(/\d+/g) ?? []).map(Number);
  const [x, y] = [numbers(a), numbers(b)];
  for (let i = 0; i < Math.max(x.length, y.length); i++) {
    const d = (x[i] ?? -1) - (y[i] ?? -1);
    if (d !== 0) return d;
  }
  return a.localeCompare(b);
}

async function newestPackage(pattern: RegExp, search: string): Promise<string> {
  const names = (await packageNames(search)).filter((name) => pattern.test(name)).sort(byVersion);
  const newest = names.at(-1);
  if (!newest) throw new Error(`Debian unstable lists no package matching ${pattern}`);
  return newest;
}

/**
 * linux-headers-<ver>-common, unpacked; `root` is its usr/src/linux-headers-<ver>-common
 * (arch/x86/include/asm/..., include/linux/...). Throws an Error saying what failed.
 */
export async function kernelHeaders(): Promise<KernelTree> {
  const packageName = await newestPackage(/^linux-headers-\d[\w.+~]*-common$/, '^linux-headers-[0-9].*-common$');
  const inner = (root: string): string => join(root, 'usr', 'src', packageName);
  const accept = (root: string): boolean =>
    existsSync(join(inner(root), 'arch', 'x86', 'include', 'asm', 'cpufeatures.h'));
  const unpacked = await fetchPackage(packageName, 'linux-headers-common', {
    accept: (root, stamp) => accept(root) && stamp.prepared === packageName,
    unpack: async (deb, staging) => {
      await run('dpkg-deb -x', 'dpkg-deb', ['-x', deb, staging], staging);
      return packageName;
    },
  });
  const root = inner(unpacked.root);
  if (!accept(unpacked.root))
    throw new Error(`${packageName} unpacked in ${unpacked.root} lacks arch/x86/include/asm/cpufeatures.h`);
  return { root, packageName, version: unpacked.version, cached: unpacked.cached };
}

/**
 * linux-source-<ver>: the directories of KERNEL_SOURCE_DIRS extracted from the package's
 * tarball; `root` is the tree's top. Throws an Error saying what failed.
 */
export async function kernelSource(): Promise<KernelTree> {
  const packageName = await newestPackage(/^linux-source-\d+\.\d+$/, '^linux-source-[0-9]');
  const top = packageName; // the tarball's top directory: linux-source-7.2/
  const wanted = JSON.stringify({ packageName, dirs: KERNEL_SOURCE_DIRS });
  const unpacked = await fetchPackage(packageName, 'linux-source', {
    accept: (root, stamp) =>
      JSON.stringify(stamp.prepared) === wanted && existsSync(join(root, top, 'arch', 'x86', 'kvm')),
    unpack: async (deb, staging) => {
      // The .deb holds usr/src/<top>.tar.xz; take it out, then only the wanted directories from it.
      await run('dpkg-deb -x', 'dpkg-deb', ['-x', deb, join(staging, 'deb')], staging);
      const tarball = readdirSync(join(staging, 'deb', 'usr', 'src')).find(
        (name) => name.startsWith(top) && /\.tar\.\w+$/.test(name),
      );
      if (!tarball) throw new Error(`${packageName} has no usr/src/${top}.tar.*`);
      await run(
        `tar -x (${KERNEL_SOURCE_DIRS.length} directories)`,
        'tar',
        [
          '-xf',
          join(staging, 'deb', 'usr', 'src', tarball),
          '-C',
          staging,
          ...KERNEL_SOURCE_DIRS.map((dir) => `${top}/${dir}`),
        ],
        staging,
      );
      execFileSync('rm', ['-rf', join(staging, 'deb')]);
      return JSON.parse(wanted) as unknown;
    },
  });
  return { root: join(unpacked.root, top), packageName, version: unpacked.version, cached: unpacked.cached };
}

/**
 * Runs `get` (kernelHeaders, kernelSource, uapiHeaders, ...) for a test. Where it fails the
 * test is skipped with the reason, except under CI=true, where the files must be fetched
 * and the test fails instead. Prints where the files came from as a diagnostic.
 */
export async function kernelFiles<T extends { version: string; cached: boolean }>(
  t: TestContext,
  what: string,
  get: () => Promise<T>,
): Promise<T | undefined> {
  try {
    const files = await get();
    t.diagnostic(`${what}: Debian unstable ${files.version} (${files.cached ? 'cached' : 'fetched'})`);
    record('debian', undefined);
    return files;
  } catch (error) {
    t.skip(fetchFailed(what, error));
    return undefined;
  }
}

// ---------------------------------------------------------------------------------------
// printk format strings

/** One message format found in a kernel source file. */
export interface PrintkFormat {
  /** Path relative to the tree's root, e.g. arch/x86/kvm/svm/sev.c. */
  file: string;
  line: number;
  /** The printing macro or function: pr_err, pr_info_once, dev_warn, printk, WARN, ... */
  call: string;
  /** The format with adjacent literals joined and the file's pr_fmt() prefix applied (pr_* only). */
  format: string;
}

// Calls whose first string-literal argument is the message format. dev_* and
// WARN-style calls take other arguments first; the first literal is still the format.
const CALL = new RegExp(
  String.raw`\b(pr_(?:emerg|alert|crit|err|warn|warning|notice|info|debug|cont)(?:_once|` +
    '_ratelimited)?|printk(?:_once|_ratelimited)?|(?:dev|pci|netdev)_(?:emerg|alert|' +
    'crit|err|warn|notice|info|dbg)(?:_once|_ratelimited)?|WARN(?:_ONCE)?|' +
    String.raw`WARN_ON_ONCE|pr_warn_once|kvm_(?:err|info|pr_unimpl)|vcpu_unimpl)\s*\(`,
  'g',
);

/** Reads the C string literals (and KBUILD_MODNAME) at the start of `text`, joined. */
function literalsAt(text: string, modname: string): string | undefined {
  let i = 0;
  let out = '';
  let found = false;
  for (;;) {
    while (i < text.length && /\s/.test(text[i] ?? '')) i++;
    if (text.startsWith('KBUILD_MODNAME', i)) {
      out += modname;
      i += 'KBUILD_MODNAME'.length;
      found = true;
      continue;
    }
    if (text[i] !== '"') break;
    i++;
    while (i < text.length && text[i] !== '"') {
      if (text[i] === '\\') {
        const next = text[i + 1] ?? '';
        out += next === 'n' ? '\n' : next === 't' ? '\t' : next;
        i += 2;
      } else {
        out += text[i];
        i++;
      }
    }
    i++;
    found = true;
  }
  return found ? out : undefined;
}

/** Splits a call's argument text at top-level commas (enough for finding the format). */
function firstLiteralArgument(args: string, modname: string): string | undefined {
  let depth = 0;
  let inString = false;
  let start = 0;
  for (let i = 0; i < args.length; i++) {
    const c = args[i];
    if (inString) {
      if (c === '\\') i++;
      else if (c === '"') inString = false;
      continue;
    }
    if (c === '"') inString = true;
    else if (c === '(') depth++;
    else if (c === ')') {
      if (depth === 0) return literalsAt(args.slice(start, i), modname);
      depth--;
    } else if (c === ',' && depth === 0) {
      const literal = literalsAt(args.slice(start, i), modname);
      if (literal !== undefined) return literal;
      start = i + 1;
    }
  }
  return undefined;
}

function stripComments(source: string): string {
  // Keep line numbers: replace comments with the newlines they contained.
  return source.replace(/\/\*[\s\S]*?\*\/|\/\/[^\n]*/g, (comment) => comment.replace(/[^\n]/g, ' '));
}

/**
 * Every printk-style format string in the C files under `paths` (files or directories,
 * relative to `root`). `modname` stands in for KBUILD_MODNAME, which the build sets per module.
 */
export function printkFormats(root: string, paths: readonly string[], modname = 'KBUILD_MODNAME'): PrintkFormat[] {
  const files: string[] = [];
  const walk = (path: string): void => {
    const stat = statSync(path);
    if (stat.isDirectory()) for (const name of readdirSync(path).sort()) walk(join(path, name));
    else if (/\.[ch]$/.test(path)) files.push(path);
  };
  for (const path of paths) walk(join(root, path));
  const formats: PrintkFormat[] = [];
  for (const path of files) {
    const source = stripComments(readFileSync(path, 'utf8'));
    const prFmt = /#\s*define\s+pr_fmt\(\s*fmt\s*\)\s+(.*?)\s*fmt\b/.exec(source);
    const prefix = prFmt ? (literalsAt(prFmt[1] ?? '', modname) ?? '') : '';
    for (const match of source.matchAll(CALL)) {
      const call = match[1] ?? '';
      const at = (match.index ?? 0) + match[0].length;
      const format = firstLiteralArgument(source.slice(at, at + 4000), modname);
      if (format === undefined) continue;
      const line = source.slice(0, match.index).split('\n').length;
      formats.push({
        file: relative(root, path),
        line,
        call,
        format: call.startsWith('pr_') ? prefix + format : format,
      });
    }
  }
  return formats;
}

/**
 * A regular expression that matches what a printk format prints: each conversion
 * (%d, %u, %llx, %#x, %s, %pa, %*pbl, ...) becomes a pattern for its output. Anchored at
 * both ends; the trailing newline is optional.
 */
export function formatToRegExp(format: string): RegExp {
  let out = '';
  const text = format.replace(/\n$/, '');
  for (let i = 0; i < text.length; i++) {
    const c = text[i] ?? '';
    if (c !== '%') {
      out += c.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
      continue;
    }
    const conv = /^%([-+ #0]*)(\*|\d+)?(?:\.(\*|\d+))?(hh|h|ll|l|z|t|j)?([diouxXcsp%])/.exec(text.slice(i));
    if (!conv) {
      out += '%';
      continue;
    }
    const [whole, flags = '', , , , type] = conv;
    i += whole.length - 1;
    if (type === 'p') {
      // %p takes its extension letters (%pa, %pI4, %pbl, %pS): they are not literal text.
      i += /^[A-Za-z0-9]*/.exec(text.slice(i + 1))?.[0].length ?? 0;
      out += '\\S+';
    } else if (type === '%') out += '%';
    else if (type === 'd' || type === 'i') out += ' *-?\\d+';
    else if (type === 'u') out += ' *\\d+';
    else if (type === 'x' || type === 'X') out += flags.includes('#') ? ' *(?:0[xX][0-9a-fA-F]+|0)' : ' *[0-9a-fA-F]+';
    else if (type === 'o') out += '[0-7]+';
    else if (type === 'c') out += '.';
    else out += '.*?'; // %s
  }
  return new RegExp(`^${out}$`);
}

/** The formats among `formats` that print `line` (a log message without timestamp or level). */
export function formatsPrinting(formats: readonly PrintkFormat[], line: string): PrintkFormat[] {
  return formats.filter((f) => formatToRegExp(f.format).test(line));
}
