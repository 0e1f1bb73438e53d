// Linux 7.2's TDX host device, /sys/devices/faux/tdx_host/: version, and the runtime-update
// files seamldr_version and num_remaining_updates, read as raw facts with their errors under
// a fabricated root. The files' text is TDX_VERSION_FMT ("%u.%u.%02u\n") and "%u\n", as
// drivers/virt/coco/tdx-host/tdx-host.c@7.2 writes them.
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { tdxModuleVersion, tdxRuntimeUpdate } from '../lib/snapshot/host-files.js';

const scratch = mkdtempSync(join(tmpdir(), 'kvm-caps-tdx-host-'));
after(() => rmSync(scratch, { recursive: true, force: true }));

function host(name: string, files: Record<string, string>): string {
  const root = join(scratch, name);
  const dir = join(root, 'sys/devices/faux/tdx_host');
  mkdirSync(dir, { recursive: true });
  for (const [file, text] of Object.entries(files)) {
    if (text === '<dir>') mkdirSync(join(dir, file));
    else writeFileSync(join(dir, file), text);
  }
  return root;
}

test('a module with runtime update: all three files, raw, from their own paths', () => {
  const root = host('update', { version: '1.5.16\n', seamldr_version: '1.5.02\n', num_remaining_updates: '0\n' });
  const version = tdxModuleVersion(root);
  assert.deepEqual(version, { source: { file: join(root, 'sys/devices/faux/tdx_host/version') }, value: '1.5.16' });
  const update = tdxRuntimeUpdate(root);
  assert.deepEqual(update.seamldrVersion, {
    source: { file: join(root, 'sys/devices/faux/tdx_host/seamldr_version') },
    value: '1.5.02',
  });
  // 0: no further module update until the next reboot (phase-2 rules explain it).
  assert.deepEqual(update.numRemainingUpdates, {
    source: { file: join(root, 'sys/devices/faux/tdx_host/num_remaining_updates') },
    value: '0',
  });
});

test(
  'no runtime-update support (or a CPU with the SEAMRET bug, or a kernel before 7.2): the files are absent, ' +
    'ENOENT kept',
  () => {
    const update = tdxRuntimeUpdate(host('no-update', { version: '1.5.06\n' }));
    for (const fact of [update.seamldrVersion, update.numRemainingUpdates]) {
      assert.ok('error' in fact, JSON.stringify(fact));
      assert.equal(fact.error.code, 'ENOENT');
      assert.equal(fact.error.syscall, 'open');
    }
    const older = tdxModuleVersion(join(scratch, 'no-such-root'));
    assert.ok('error' in older && older.error.code === 'ENOENT');
  },
);

test('a read the kernel refuses is recorded as that error, not guessed', () => {
  // The kernel answers a failed SEAMLDR.INFO with the read's errno; a directory stands in here
  // for a node whose read fails, since the tests run as root and cannot see EACCES: the
  // bounded reader refuses a node that is not a regular file with EINVAL.
  const update = tdxRuntimeUpdate(
    host('refused', { version: '1.5.16\n', seamldr_version: '<dir>', num_remaining_updates: '3\n' }),
  );
  assert.ok('error' in update.seamldrVersion);
  assert.equal(update.seamldrVersion.error.code, 'EINVAL');
  assert.deepEqual('value' in update.numRemainingUpdates && update.numRemainingUpdates.value, '3');
});
