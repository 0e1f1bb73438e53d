// The one kernel-version table: unique ids, well-formed ranges, a citation on every row, and
// the one release parser that every version-dependent rule goes through.
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { test } from 'node:test';
import {
  compareReleases,
  KERNEL_CHANGES,
  kernelChange,
  kernelHas,
  parseKernelRelease,
  releaseRangeText,
} from '../lib/knowledge/kernel-versions.js';
import { projectRoot } from './helpers/compile.js';

test('every row: a unique id, since before until, a sentence and a citation', () => {
  const ids = KERNEL_CHANGES.map((c) => c.id);
  assert.equal(new Set(ids).size, ids.length, 'ids are unique');
  for (const change of KERNEL_CHANGES) {
    const since = parseKernelRelease(change.since);
    assert.ok(since, `${change.id}: since ${change.since}`);
    if (change.until !== undefined) {
      const until = parseKernelRelease(change.until);
      assert.ok(until && compareReleases(since, until) < 0, `${change.id}: until ${change.until} after since`);
    }
    assert.ok(change.what.length > 20, `${change.id}: what`);
    assert.ok(change.citation.length > 10, `${change.id}: citation`);
  }
});

test('kernelHas: since inclusive, until exclusive, vendor suffixes ignored, unparseable is undefined', () => {
  assert.equal(kernelHas('tdx.kvm-uapi', '6.16.0-tdx'), true);
  assert.equal(kernelHas('tdx.kvm-uapi', '6.8.0-1028-intel'), false);
  assert.equal(kernelHas('kvm.tdx-requires-enable-virt-at-load', '6.19.0'), true);
  assert.equal(kernelHas('kvm.tdx-requires-enable-virt-at-load', '7.1.0'), false);
  assert.equal(kernelHas('snp.platform-status-needs-init', '6.15.2-snp'), true);
  assert.equal(kernelHas('snp.platform-status-needs-init', '6.16'), false);
  assert.equal(kernelHas('kvm.cap-vm-types', 'vendor-kernel'), undefined);
  assert.throws(() => kernelHas('no.such-change', '6.16'), RangeError);
  assert.equal(releaseRangeText('snp.platform-status-needs-init'), '6.9-6.15');
  assert.equal(releaseRangeText('snp.kvm-host'), `${kernelChange('snp.kvm-host').since}+`);
});

/** The TypeScript files under `dir`. */
function tsFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? tsFiles(path) : path.endsWith('.ts') ? [path] : [];
  });
}

/** A regular expression that reads MAJOR.MINOR off the start of a string and stops there: a release parser. */
const RELEASE_PARSER = /\/\^(?:\\s\*)?\(\\d\+\)\\\.\(\\d\+\)(?:\(\?:[^/]*\)\??)?\//;

test('no other kernel-release parser under lib/', () => {
  // The forms the three parsers this table replaced had, so that this test can fail.
  assert.match(String.raw`const m = /^(\d+)\.(\d+)/.exec(text);`, RELEASE_PARSER);
  assert.doesNotMatch(
    String.raw`const m = /^(\d+)\.(\d+)\.(\d+)$/.exec(text);`,
    RELEASE_PARSER,
    'a three-part module version is not a release',
  );
  const parsers = tsFiles(join(projectRoot, 'lib'))
    .filter(
      (file) =>
        !file.endsWith(join('knowledge', 'kernel-versions.ts')) && RELEASE_PARSER.test(readFileSync(file, 'utf8')),
    )
    .map((file) => relative(projectRoot, file));
  assert.deepEqual(parsers, []);
  assert.ok(
    RELEASE_PARSER.test(readFileSync(join(projectRoot, 'lib', 'knowledge', 'kernel-versions.ts'), 'utf8')),
    'the one parser is there',
  );
});

/** A kernel release written into text: "Linux 6.10", "before 6.10", "pre-6.16", "6.11+", "a 6.16 or newer kernel". */
const RELEASE_IN_TEXT =
  /\bLinux \d+\.\d+\b|\bbefore \d+\.\d+\b|\bpre-\d+\.\d+\b|(?<![\d.])\d+\.\d+\+|\b\d+\.\d+ (?:and|or) (?:later|newer) kernel/;

/**
 * Where a release is still written by hand: a citation of the headers a table was read from, and
 * the TDX and KVM bring-up wording that has not moved to the table yet. Each entry is the exact text.
 */
const WRITTEN_RELEASES = [
  'ids from the Linux 7.2 UAPI headers.', // render/lifecycle.ts: a source, not a claim about the host's kernel
  'run a 6.16 or newer kernel;',
  'use a 6.16+ kernel',
  '(a pre-6.16 TDX uAPI)',
  'were merged in Linux 6.16;',
  'load kvm_intel with tdx=1 on Linux 6.16+',
  'has a pre-6.16 TDX interface',
  '(since Linux 5.6 the kernel hides vmx then)',
  '(every Linux since 2.6.22)',
];

test('check, compare and render take kernel releases from the table, not from their own text', () => {
  assert.match("'KVM_CAP_VM_TYPES is 0 (before Linux 6.10)'", RELEASE_IN_TEXT);
  assert.match("'run Linux 6.11 or newer'", RELEASE_IN_TEXT);
  assert.match("'on Linux 6.16+ SNP INIT'", RELEASE_IN_TEXT);
  assert.match("'run a 6.16 or newer kernel'", RELEASE_IN_TEXT);
  assert.doesNotMatch("'TDX module 1.5.01'", RELEASE_IN_TEXT);
  assert.doesNotMatch("'TOPOLOGY_ENUM (1.5.05 or later)'", RELEASE_IN_TEXT, 'a module version is not a release');
  assert.doesNotMatch("'SEV API 0.23 and later'", RELEASE_IN_TEXT, 'a firmware API is not a release');
  const found: string[] = [];
  for (const dir of ['check', 'compare', 'render'])
    for (const file of tsFiles(join(projectRoot, 'lib', dir)))
      readFileSync(file, 'utf8')
        .split('\n')
        .forEach((line, i) => {
          if (/^\s*(?:\/\/|\*|\/\*)/.test(line)) return; // comments cite releases freely
          const code = line.replace(/\/\/.*$/, '');
          if (!RELEASE_IN_TEXT.test(code) || WRITTEN_RELEASES.some((text) => code.includes(text))) return;
          found.push(`${relative(projectRoot, file)}:${i + 1}: ${line.trim()}`);
        });
  assert.deepEqual(found, [], 'ask kernelHas() / kernelChange() / releaseRangeText() instead');
});
