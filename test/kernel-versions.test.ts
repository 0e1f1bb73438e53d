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
  const files = (dir: string): string[] =>
    readdirSync(dir).flatMap((name) => {
      const path = join(dir, name);
      return statSync(path).isDirectory() ? files(path) : path.endsWith('.ts') ? [path] : [];
    });
  const parsers = files(join(projectRoot, 'lib'))
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
