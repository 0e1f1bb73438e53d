// Snapshots: a live probe survives JSON and replays to the same report; bad files are
// refused with the field at fault.
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { buildReport } from '../lib/render/report.js';
import { loadSnapshot, SnapshotFileError, validateSnapshot } from '../lib/snapshot/load.js';
import { probeHost } from '../lib/snapshot/probe.js';
import { SnapshotFormatError } from '../lib/snapshot/validate.js';
import { kvmSkipReason } from './helpers/kvm-device.js';
import { fixturePath, fixtureSnapshot } from './helpers/fixtures.js';

const dir = mkdtempSync(join(tmpdir(), 'kvm-caps-snapshot-'));
after(() => rmSync(dir, { recursive: true, force: true }));

test('probe -> JSON -> replay gives the same report', { skip: kvmSkipReason }, async () => {
  const snapshot = await probeHost();
  const replayed = validateSnapshot(JSON.parse(JSON.stringify(snapshot)));
  assert.deepEqual(buildReport(replayed), buildReport(snapshot));
  const file = join(dir, 'live.json');
  writeFileSync(file, JSON.stringify(snapshot));
  assert.deepEqual(buildReport(loadSnapshot(file)), buildReport(snapshot));
});

test('a live snapshot records every KVM fact with its source', { skip: kvmSkipReason }, async () => {
  const snapshot = await probeHost();
  assert.equal(snapshot.format, 'kvm-caps-snapshot');
  assert.equal(snapshot.version, 1);
  for (const key of [
    'open',
    'apiVersion',
    'vcpuMmapSize',
    'defaultVm',
    'supportedCpuid',
    'msrIndexList',
    'xcompGuestSupp',
  ] as const) {
    const fact = snapshot.kvm[key];
    assert.ok(fact && 'source' in fact, `kvm.${key} has a source`);
  }
  assert.equal(snapshot.context.device, '/dev/kvm');
  assert.equal(snapshot.context.root, '/');
});

test('a missing device path is recorded, not thrown, and nothing after it is invented', async () => {
  const snapshot = await probeHost({ device: join(dir, 'no-such-kvm') });
  assert.ok('error' in snapshot.kvm.open);
  assert.equal(snapshot.kvm.open.error.code, 'ENOENT');
  assert.equal(snapshot.kvm.open.error.syscall, 'open');
  assert.deepEqual(Object.keys(snapshot.kvm), ['open']);
  assert.ok('error' in snapshot.host.device);
});

test('a device that is not KVM: every ioctl fails with ENOTTY and is recorded as such', async () => {
  const snapshot = await probeHost({ device: '/dev/null' });
  assert.ok('value' in snapshot.kvm.open);
  const api = snapshot.kvm.apiVersion;
  assert.ok(api && 'error' in api);
  assert.equal(api.error.code, 'ENOTTY');
  assert.equal(api.error.request, 'KVM_GET_API_VERSION');
  const report = buildReport(snapshot);
  assert.equal(report.kvm.usable, false);
  assert.ok(report.problems.some((p) => p.fact === 'kvm.apiVersion' && p.error.code === 'ENOTTY'));
});

test('every fixture validates, and the root option relocates file reads', async () => {
  for (const name of ['tdx-host', 'snp-host', 'no-kvm-guest', 'no-permission']) {
    fixtureSnapshot(name);
  }
  const snapshot = await probeHost({ root: dir, device: join(dir, 'none') });
  assert.ok('error' in snapshot.host.kernelRelease);
  assert.deepEqual(snapshot.host.kernelRelease.source, { file: join(dir, '/proc/sys/kernel/osrelease') });
});

function rejects(document: unknown, field: string, pattern: RegExp): void {
  assert.throws(
    () => validateSnapshot(document),
    (error: unknown) => error instanceof SnapshotFormatError && error.field === field && pattern.test(error.message),
    `expected a complaint about ${field}`,
  );
}

test('bad snapshots are refused with the field at fault', () => {
  const good = JSON.parse(readFileSync(fixturePath('tdx-host'), 'utf8'));
  const edit = (change: (doc: any) => void) => {
    const doc = structuredClone(good);
    change(doc);
    return doc;
  };
  rejects([], 'snapshot', /expected an object/);
  rejects(
    edit((d) => (d.format = 'other')),
    'snapshot.format',
    /kvm-caps-snapshot/,
  );
  rejects(
    edit((d) => (d.version = 2)),
    'snapshot.version',
    /version 2 is not supported/,
  );
  rejects(
    edit((d) => delete d.host.cpuinfo),
    'snapshot.host.cpuinfo',
    /missing/,
  );
  rejects(
    edit((d) => (d.kvm.apiVersion.value = '12')),
    'snapshot.kvm.apiVersion.value',
    /integer/,
  );
  rejects(
    edit((d) => delete d.kvm.open.value),
    'snapshot.kvm.open',
    /either "value" or "error"/,
  );
  rejects(
    edit((d) => (d.kvm.capabilities.system.value['235'] = null)),
    'snapshot.kvm.capabilities.system.value.235',
    /number/,
  );
  rejects(
    edit((d) => (d.kvm.capabilities.system.value.abc = 1)),
    'snapshot.kvm.capabilities.system.value.abc',
    /unexpected key/,
  );
  rejects(
    edit((d) => (d.kvm.xcompGuestSupp.value = '602e7')),
    'snapshot.kvm.xcompGuestSupp.value',
    /hex/,
  );
  rejects(
    edit(
      (d) =>
        (d.kvm.supportedCpuid = {
          source: d.kvm.apiVersion.source,
          value: [{ function: 1, index: 0, flags: 0, eax: -1, ebx: 0, ecx: 0, edx: 0 }],
        }),
    ),
    'snapshot.kvm.supportedCpuid.value[0].eax',
    /unsigned 32-bit/,
  );
  rejects(
    edit((d) => (d.kvm.open.source = { socket: 1 })),
    'snapshot.kvm.open.source',
    /a source/,
  );
});

test('unreadable and non-JSON files name the file', () => {
  assert.throws(
    () => loadSnapshot(join(dir, 'absent.json')),
    (e: unknown) =>
      e instanceof SnapshotFileError && /absent\.json: cannot read the snapshot \(ENOENT\)/.test((e as Error).message),
  );
  const file = join(dir, 'broken.json');
  writeFileSync(file, '{"format":');
  assert.throws(
    () => loadSnapshot(file),
    (e: unknown) => e instanceof SnapshotFileError && /broken\.json: not a JSON document/.test((e as Error).message),
  );
  writeFileSync(file, '{"format":"kvm-caps-snapshot","version":1}');
  assert.throws(() => loadSnapshot(file), /broken\.json: not a valid kvm-caps snapshot: snapshot\.createdAt: missing/);
});
