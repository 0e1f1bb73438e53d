// The kernel-file helpers the table and log-pattern tests stand on: the packages fetched
// from Debian unstable hold what those tests read, and the printk-format reader finds and
// matches real messages (a reader that found nothing would make every pattern test vacuous).
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import {
  formatToRegExp,
  formatsPrinting,
  kernelFiles,
  kernelHeaders,
  kernelSource,
  printkFormats,
} from './helpers/kernel-sources.js';

test('formatToRegExp: conversions become patterns for their output, literal text stays literal', () => {
  assert.ok(formatToRegExp('SEV-ES %ssupported: %u ASIDs\n').test('SEV-ES supported: 509 ASIDs'));
  assert.ok(formatToRegExp('failed: %#llx (%d CPUs)').test('failed: 0xc000050700000000 (-5 CPUs)'));
  assert.ok(formatToRegExp('at %pa.').test('at 0x0000000123.'));
  assert.ok(!formatToRegExp('%d CPUs').test('x CPUs'));
  assert.ok(!formatToRegExp('a.b').test('axb'), 'a dot is literal');
  assert.ok(formatToRegExp('100%% done').test('100% done'));
});

test('linux-headers-<ver>-common holds the internal headers the tables are checked against', async (t) => {
  const headers = await kernelFiles(t, 'linux-headers-common', kernelHeaders);
  if (!headers) return;
  for (const header of [
    'arch/x86/include/asm/cpufeatures.h',
    'arch/x86/include/asm/shared/tdx.h',
    'arch/x86/include/asm/svm.h',
    'include/linux/psp-sev.h',
  ]) {
    assert.ok(existsSync(join(headers.root, header)), `${headers.packageName} has ${header}`);
  }
});

test('linux-source: the extracted directories hold printk formats the reader finds', async (t) => {
  const source = await kernelFiles(t, 'linux-source', kernelSource);
  if (!source) return;
  const formats = printkFormats(source.root, ['arch/x86/kvm/svm/sev.c', 'drivers/crypto/ccp/sev-dev.c']);
  assert.ok(formats.length > 50, `found ${formats.length} formats`);
  // pr_fmt prefixes are applied: sev.c defines pr_fmt as KBUILD_MODNAME ": " fmt.
  const svm = printkFormats(source.root, ['arch/x86/kvm/svm/sev.c'], 'kvm_amd');
  assert.ok(
    svm.some((f) => f.format.startsWith('kvm_amd: ')),
    'the pr_fmt prefix with KBUILD_MODNAME',
  );
  assert.ok(formatsPrinting(svm, 'kvm_amd: SEV enabled (ASIDs 1 - 509)').length > 0, 'a known kvm_amd line matches');
});
