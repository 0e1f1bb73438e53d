// Host facts read from files, under a fabricated root (values come from the fixture
// files written here) and under the real root (compared with coreutils and os).
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { release, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { after, test } from 'node:test';
import { cpuinfo, deviceNode, kernelRelease, kvmModules, parseCpuinfo } from '../lib/snapshot/host-files.js';
import { skipUnless } from './helpers/requirements.js';

const root = mkdtempSync(join(tmpdir(), 'kvm-caps-root-'));
after(() => rmSync(root, { recursive: true, force: true }));

function put(path: string, text: string): void {
  mkdirSync(dirname(join(root, path)), { recursive: true });
  writeFileSync(join(root, path), text);
}

// An Intel TDX host as its files show it (two processors; only the first block is kept).
put('/proc/sys/kernel/osrelease', '6.16.0-tdx\n');
put(
  '/proc/cpuinfo',
  [
    'processor\t: 0',
    'vendor_id\t: GenuineIntel',
    'cpu family\t: 6',
    'model\t\t: 143',
    'model name\t: Intel(R) Xeon(R) Platinum 8480+',
    'stepping\t: 8',
    'flags\t\t: fpu vmx tdx_host_platform',
    '',
    'processor\t: 1',
    'vendor_id\t: SomethingElse',
    '',
  ].join('\n'),
);
put('/sys/module/kvm/parameters/tdp_mmu', 'Y\n');
put('/sys/module/kvm_intel/initstate', 'live\n');
put('/sys/module/kvm_intel/parameters/tdx', 'Y\n');
put('/sys/module/kvm_intel/parameters/nested', 'N\n');
put('/sys/module/kvmgt/parameters/x', '1\n'); // Not KVM's: a prefix match without the underscore.
put('/sys/module/vfio/parameters/y', '1\n');
put('/etc/passwd', 'root:x:0:0:root:/root:/bin/bash\n');
put('/etc/group', 'root:x:0:\nkvm:x:992:\n');

test('kernel release and cpuinfo come from under the root', () => {
  assert.deepEqual(kernelRelease(root), {
    source: { file: join(root, '/proc/sys/kernel/osrelease') },
    value: '6.16.0-tdx',
  });
  const fact = cpuinfo(root);
  assert.ok('value' in fact);
  assert.equal(fact.value.vendor_id, 'GenuineIntel');
  assert.equal(fact.value.model, '143');
  assert.equal(fact.value.flags, 'fpu vmx tdx_host_platform');
  assert.equal(fact.value.processor, '0', 'only the first processor block');
});

test('kvm modules: kvm and kvm_* only, built-in vs loaded, parameters raw', () => {
  const fact = kvmModules(root);
  assert.ok('value' in fact);
  assert.deepEqual(Object.keys(fact.value), ['kvm', 'kvm_intel']);
  assert.deepEqual(fact.value.kvm, { initstate: null, parameters: { tdp_mmu: 'Y' } });
  assert.deepEqual(fact.value.kvm_intel, { initstate: 'live', parameters: { nested: 'N', tdx: 'Y' } });
});

test('a missing file is a recorded failure with its errno, not a default', () => {
  const empty = mkdtempSync(join(tmpdir(), 'kvm-caps-empty-'));
  try {
    const fact = kernelRelease(empty);
    assert.ok('error' in fact);
    assert.equal(fact.error.code, 'ENOENT');
    assert.equal(fact.error.errno, -2);
    const modules = kvmModules(empty);
    assert.ok('error' in modules && modules.error.code === 'ENOENT');
  } finally {
    rmSync(empty, { recursive: true });
  }
});

test('an unreadable module parameter is recorded per parameter', { skip: skipUnless('root') }, () => {
  // As root every file is readable, so read as nobody in a child process.
  const dir = mkdtempSync(join(tmpdir(), 'kvm-caps-wo-'));
  try {
    mkdirSync(join(dir, 'sys/module/kvm/parameters'), { recursive: true });
    writeFileSync(join(dir, 'sys/module/kvm/parameters/readable'), '1\n');
    writeFileSync(join(dir, 'sys/module/kvm/parameters/write_only'), '0\n');
    chmodSync(join(dir, 'sys/module/kvm/parameters/write_only'), 0o200);
    chmodSync(dir, 0o755);
    const script =
      `import { kvmModules } from ${JSON.stringify(join(import.meta.dirname, '../lib/snapshot/host-files.ts'))}` +
      `;
      console.log(JSON.stringify(kvmModules(${JSON.stringify(dir)})));`;
    const out = execFileSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {
      uid: 65534,
      gid: 65534,
      encoding: 'utf8',
      cwd: join(import.meta.dirname, '..'),
    });
    const fact = JSON.parse(out);
    assert.equal(fact.value.kvm.parameters.readable, '1');
    assert.equal(fact.value.kvm.parameters.write_only.code, 'EACCES');
  } finally {
    rmSync(dir, { recursive: true });
  }
});

test('device node: type, mode, ids and names (names from <root>/etc), checked against stat(1)', () => {
  const fact = deviceNode(root, '/dev/null');
  assert.ok('value' in fact);
  const [mode, uid, gid, major, minor] = execFileSync('stat', ['-c', '%a %u %g %t %T', '/dev/null'], {
    encoding: 'utf8',
  })
    .trim()
    .split(' ');
  assert.equal(fact.value.type, 'character');
  assert.equal(fact.value.mode, parseInt(mode as string, 8));
  assert.equal(fact.value.uid, Number(uid));
  assert.equal(fact.value.gid, Number(gid));
  assert.equal(fact.value.major, parseInt(major as string, 16));
  assert.equal(fact.value.minor, parseInt(minor as string, 16));
  assert.equal(fact.value.owner, 'root');
  const missing = deviceNode(root, '/dev/does-not-exist');
  assert.ok('error' in missing && missing.error.code === 'ENOENT' && missing.error.syscall === 'stat');
});

test('the real host: kernel release and CPU model as the OS reports them', () => {
  const fact = kernelRelease('/');
  assert.ok('value' in fact);
  assert.equal(fact.value, release());
  const cpu = cpuinfo('/');
  assert.ok('value' in cpu);
  if (process.arch === 'x64') {
    assert.equal(
      cpu.value['model name'],
      execFileSync('sh', ['-c', "grep -m1 '^model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ //'"], {
        encoding: 'utf8',
      }).trim(),
    );
  }
});

test('parseCpuinfo keeps the first value of repeated keys and ignores lines without a colon', () => {
  assert.deepEqual(parseCpuinfo('\n\na : 1\nnoise\na : 2\nb:3\n\nc : 4\n'), { a: '1', b: '3' });
});
