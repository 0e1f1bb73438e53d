// KVM bring-up facts collected under --root from scratch hosts and decoded: built-in vs
// loadable modules, nomodule and blacklists, the firmware switch read from an MSR file
// (readable, absent, not permitted), the device node's access and container evidence. Each
// scratch host is modelled on public facts, named in its `sources`. A saved snapshot replays
// through the loader (old version-1 snapshots without these facts too).
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { kernelLogWithoutKvm } from './helpers/kvm-device.js';
import { join } from 'node:path';
import { test, type TestContext } from 'node:test';
import { decodeKvmBringup, cmdlineWords, type BringupLog, type KvmBringupModel } from '../lib/decode/kvm-bringup.js';
import { deviceAcl, firmwareMsr, MSR_IA32_FEATURE_CONTROL, MSR_VM_CR } from '../lib/snapshot/bringup-files.js';
import type { Traced } from '../lib/decode/sourced.js';
import { probeHost } from '../lib/snapshot/probe.js';
import { loadSnapshot, validateSnapshot } from '../lib/snapshot/load.js';
import type { Snapshot } from '../lib/snapshot/types.js';
import { fixturePath, fixturesDir } from './helpers/fixtures.js';
import {
  AMD_FIRMWARE_OFF,
  INTEL_FIRMWARE_OFF,
  probedSnapshot,
  PVM_GUEST,
  putMsr,
  scratchDir,
  type ScratchHost,
} from './helpers/bringup-hosts.js';
import { projectRoot } from './helpers/compile.js';

/** Probes the scratch host, saves and reloads the snapshot, and decodes its bring-up facts. */
async function snapshotOf(
  t: TestContext,
  host: ScratchHost,
): Promise<{ snapshot: Snapshot; model: KvmBringupModel; root: string }> {
  const { snapshot, root } = await probedSnapshot(t, host);
  return { snapshot, model: decodeKvmBringup(snapshot), root };
}

/** The decoded fact, failing the test when it is a failure or missing. */
function value<T>(x: Traced<T>): T {
  assert.ok('value' in x, `a value, not ${JSON.stringify(x)}`);
  return x.value;
}

test('built-in modules and nomodule: the kvm-pvm guest whose backend would not bind', async (t) => {
  const { model, snapshot } = await snapshotOf(t, PVM_GUEST);
  const modules = value(model.modules);
  assert.equal(modules.kvm?.state, 'built-in');
  assert.equal(modules.kvm_pvm?.state, 'built-in');
  // No /lib/modules: whether a kvm_amd file exists cannot be said.
  assert.equal(modules.kvm_amd?.state, 'not-loaded');
  assert.ok('error' in (snapshot.host.moduleFiles ?? {}), 'the missing /lib/modules is recorded as an error');
  const cmdline = value(model.cmdline);
  assert.equal(cmdline?.nomodule, true);
  const log = value(model.log);
  assert.deepEqual(
    log?.matches.map((m) => [m.id, m.cause]),
    [
      ['hypervisor-detected', 'hypervisor-detected'],
      ['pvm-not-binding', 'backend-not-bound'],
    ],
  );
  assert.equal(log?.matches[1]?.groups.reason, 'this kernel is itself a kvm-pvm guest');
  const cpu = value(model.cpu);
  assert.deepEqual([cpu.hypervisorFlag, cpu.hypervisorLogged, cpu.vmx, cpu.svm], [true, 'KVM', false, false]);
  // No msr driver under this root: ENOENT, recorded, nothing loaded.
  const msr = model.firmwareSwitch;
  assert.ok(msr && 'error' in msr && msr.error.code === 'ENOENT', JSON.stringify(msr));
  // No device node: stat's ENOENT is the node's failure, with where it was looked for.
  const node = model.device.node;
  assert.ok('error' in node && node.error.code === 'ENOENT', JSON.stringify(node));
  assert.match(node.source, /\/dev\/kvm/);
});

test('an older boot in a pasted log is kept apart and never mixed with the newest', async (t) => {
  const newest = '[    0.000000] Linux version 6.18.44\n[    0.000000] Hypervisor';
  const log =
    '[    0.000000] Linux version 6.12.0\n[    9.336402] kvm_intel: VMX not supported by CPU 0\n' +
    `${PVM_GUEST.log.replace('[    0.000000] Hypervisor', newest)}`;
  const { model } = await snapshotOf(t, { ...PVM_GUEST, log });
  const decoded = value<BringupLog>(model.log);
  assert.equal(decoded.boots, 2);
  assert.deepEqual(
    decoded.matches.map((m) => m.id),
    ['hypervisor-detected', 'pvm-not-binding'],
  );
  assert.deepEqual(
    decoded.olderBoots.map((m) => [m.id, m.record.boot]),
    [['vmx-not-supported', 1]],
  );
});

test('a loadable module that did not load, and a readable IA32_FEATURE_CONTROL locked with VMX off', async (t) => {
  const { model } = await snapshotOf(t, INTEL_FIRMWARE_OFF);
  const modules = value(model.modules);
  assert.deepEqual(Object.fromEntries(Object.entries(modules).map(([name, m]) => [name, m.state])), {
    kvm: 'loaded',
    kvm_amd: 'loadable',
    kvm_intel: 'loadable',
  });
  assert.deepEqual(value(model.cmdline)?.nomodule, false);
  const msr = value(model.firmwareSwitch);
  assert.deepEqual(msr, {
    msr: 'IA32_FEATURE_CONTROL',
    value: '0x1',
    locked: true,
    vmxInsideSmx: false,
    vmxOutsideSmx: false,
  });
  assert.match(model.firmwareSwitch.source ?? '', /\(CPU 0, MSR 0x3a\)$/);
  assert.deepEqual(
    value(model.log)?.matches.map((m) => m.id),
    ['feat-ctl-vmx-disabled', 'x86-support-disabled-by-bios'],
  );
  assert.equal(value(model.cpu).vmx, false);
  assert.equal(value(model.container)?.inContainer, false);
});

test('VM_CR with SVMDIS read at offset 0xc0010114; blacklists from the command line; container evidence', async (t) => {
  const { model } = await snapshotOf(t, AMD_FIRMWARE_OFF);
  const msr = value(model.firmwareSwitch);
  assert.ok(msr?.msr === 'VM_CR');
  assert.deepEqual([msr.value, msr.locked, msr.svmDisabled], ['0x18', true, true]);
  const cmdline = value(model.cmdline);
  assert.deepEqual([cmdline?.modprobeBlacklist, cmdline?.moduleBlacklist], [['kvm_intel', 'nouveau'], ['kvm_intel']]);
  assert.equal(value(model.modules).kvm_amd?.state, 'loadable');
  assert.deepEqual(
    value(model.log)?.matches.map((m) => m.cause),
    ['firmware-disabled', 'cpu-lacks-extension'],
  );
  const container = value(model.container);
  assert.deepEqual(container?.evidence, ['/.dockerenv', '/proc/1/cgroup: 0::/system.slice/docker-3f2a.scope']);
});

test('an MSR file that ends before the MSR is recorded as such, never as a value', (t) => {
  const root = scratchDir(t);
  putMsr(root, MSR_IA32_FEATURE_CONTROL, 0x5n); // Holds 0x3a only: VM_CR lies beyond its end.
  const fact = firmwareMsr(root, MSR_VM_CR);
  // The msr driver answers all 8 bytes or fails; a short read is EIO, as msr.ts's readMsr records it.
  assert.ok(
    'error' in fact && fact.error.code === 'EIO' && /short read/.test(fact.error.message),
    JSON.stringify(fact),
  );
});

test('an MSR the process may not read: EACCES recorded (as an unprivileged user)', async (t) => {
  if (process.getuid?.() !== 0) {
    // Without root this process itself is the unprivileged reader.
    const root = scratchDir(t);
    chmodSync(putMsr(root, MSR_IA32_FEATURE_CONTROL, 0x5n), 0o000);
    const fact = firmwareMsr(root, MSR_IA32_FEATURE_CONTROL);
    assert.ok('error' in fact && fact.error.code === 'EACCES', JSON.stringify(fact));
    return;
  }
  const root = scratchDir(t);
  putMsr(root, MSR_IA32_FEATURE_CONTROL, 0x5n); // 0600 root: the msr driver's node is 0600 root too.
  const script = `process.setgid(65534); process.setuid(65534);
    const { firmwareMsr } = await import(${JSON.stringify(join(projectRoot, 'lib/snapshot/bringup-files.ts'))});
    console.log(JSON.stringify(firmwareMsr(${JSON.stringify(root)}, 0x3a)));`;
  const out = execFileSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {
    cwd: projectRoot,
    encoding: 'utf8',
  });
  const fact = JSON.parse(out) as { error?: { code: string; syscall: string } };
  assert.equal(fact.error?.code, 'EACCES', out);
  assert.equal(fact.error?.syscall, 'open');
});

test('the kernel command line is split as the kernel does: quotes group, `--` ends it', () => {
  assert.deepEqual(cmdlineWords('a "b c=d" e=f -- nomodule'), ['a', 'b c=d', 'e=f']);
});

test('a version-1 snapshot without the bring-up facts still loads and decodes', () => {
  const snapshot = loadSnapshot(fixturePath('no-kvm-guest'));
  const model = decodeKvmBringup(snapshot);
  assert.deepEqual(model.cmdline, { missing: 'not read' });
  assert.deepEqual(model.firmwareSwitch, { missing: 'not read' });
  assert.deepEqual(model.container, { missing: 'not read' });
  assert.ok(existsSync(join(fixturesDir, 'no-kvm-guest.json')));
  // The new facts are optional in the schema the loader enforces; a wrong shape is still refused.
  const bad = {
    ...snapshot,
    host: {
      ...snapshot.host,
      firmwareMsr: { source: { syscall: 'pread', path: '/dev/cpu/0/msr' }, value: { index: 58, value: '0x1' } },
    },
  };
  assert.throws(() => validateSnapshot(bad), /host\.firmwareMsr\.value\.index/);
});

test('device access: the node, our groups and an ACL entry naming us', () => {
  const snapshot = loadSnapshot(fixturePath('no-permission'));
  const withAcl: Snapshot = {
    ...snapshot,
    host: {
      ...snapshot.host,
      deviceAccess: {
        source: { syscall: 'access', path: snapshot.context.device },
        value: { read: true, write: true },
      },
      deviceAcl: {
        source: { syscall: 'spawn getfacl', path: snapshot.context.device },
        value: { entries: ['user::rw-', `user:${snapshot.context.uid}:rw-`, 'group::rw-', 'mask::rw-', 'other::---'] },
      },
    },
  };
  const device = decodeKvmBringup(withAcl).device;
  assert.deepEqual(device.aclEntriesForUs, [`user:${snapshot.context.uid}:rw-`]);
  assert.deepEqual(device.access, { value: { read: true, write: true }, source: 'access /dev/kvm' });
});

test('the ACL comes from getfacl where it is installed; its failure and its absence are recorded', (t) => {
  const dir = scratchDir(t);
  const device = join(dir, 'kvm');
  writeFileSync(device, '');
  const bin = join(dir, 'bin');
  mkdirSync(bin);
  const path = process.env.PATH;
  t.after(() => {
    process.env.PATH = path;
  });
  // No getfacl on PATH: the spawn's ENOENT is the recorded fact, the ACL unread.
  process.env.PATH = bin;
  const absent = deviceAcl(device);
  assert.ok('error' in absent && absent.error.code === 'ENOENT', JSON.stringify(absent));
  // A stand-in printing what `getfacl --omit-header --numeric` prints for a uaccess-tagged node.
  writeFileSync(
    join(bin, 'getfacl'),
    '#!/bin/sh\nprintf "user::rw-\\nuser:1000:rw-\\ngroup::rw-\\nmask::rw-\\nother::---\\n\\n"\n',
    { mode: 0o755 },
  );
  const read = deviceAcl(device);
  assert.deepEqual('value' in read && read.value, {
    entries: ['user::rw-', 'user:1000:rw-', 'group::rw-', 'mask::rw-', 'other::---'],
  });
  writeFileSync(join(bin, 'getfacl'), '#!/bin/sh\necho "getfacl: $5: Operation not supported" >&2\nexit 1\n', {
    mode: 0o755,
  });
  const failed = deviceAcl(device);
  assert.deepEqual('value' in failed && failed.value, {
    entries: null,
    stderr: `getfacl: ${device}: Operation not supported`,
  });
});

test(
  'live: without /dev/kvm, the decoded bring-up lines are exactly the bring-up lines ' +
    "of this machine's own kernel log",
  async (t) => {
    const lines = kernelLogWithoutKvm(t, 'the live cause of a missing device cannot be compared here');
    if (lines === undefined) return;
    const model = decodeKvmBringup(await probeHost());
    const log = value<BringupLog>(model.log);
    // Read independently of the parser: dmesg's own lines that say why KVM did not come up.
    const oracle = lines.filter(
      (line) =>
        /kvm|vmx|svm|has_svm/i.test(line) &&
        new RegExp(
          String.raw`not binding|disabled by bios|disabled \(by bios\)|not supported by cpu|` +
            'no hardware support|sev guest|already loaded|enabling virtualization|' +
            String.raw`not fully enabled|not enabled \(by bios\)|not amd|isn't amd|svm not available|` +
            'invalid for parameter|unknown parameter',
          'i',
        ).test(line),
    );
    t.diagnostic(`this machine's log says: ${oracle.join(' | ') || '(no bring-up line)'}`);
    assert.deepEqual(
      log?.matches
        .filter((m) => m.cause !== 'hypervisor-detected' && m.cause !== 'backend-bound')
        .map((m) => m.record.message),
      oracle,
    );
  },
);
