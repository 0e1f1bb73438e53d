// A failed probe is typed in decode (absence classified from lib/knowledge), worded by render and
// given its fix by check: the three answers for one failure, each from its own layer.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { failureFix } from '../lib/check/failure-fixes.js';
import type { KvmDiagnosis } from '../lib/check/kvm-causes.js';
import { factText, TDX_WORDS } from '../lib/check/tdx-text.js';
import { probeFailure } from '../lib/decode/failure.js';
import { failureText } from '../lib/render/failure.js';

/** A host where modprobe can load every module a fix may name (the fixes' module loads: test/kvm-diagnosis.test.ts). */
const loadable = {
  vendorModule: null,
  nomodule: false,
  modprobe: { kvm: true, kvm_intel: true, kvm_amd: true },
} as unknown as KvmDiagnosis;
const fixOf = (failure: Parameters<typeof failureFix>[0]) => failureFix(failure, loadable);

const attr = (code: string, errno: number) =>
  probeFailure(
    { ioctl: 'KVM_GET_DEVICE_ATTR', path: '/dev/kvm', fd: 'system', arg: 'KVM_X86_SEV_VMSA_FEATURES' },
    { code, errno, syscall: 'ioctl', request: 'KVM_GET_DEVICE_ATTR', path: '/dev/kvm', message: code },
  );

test('ENXIO from KVM_GET_DEVICE_ATTR is an absence; EINVAL from it is a failed probe', () => {
  const enxio = attr('ENXIO', -6);
  assert.equal(enxio.absence, true);
  assert.deepEqual(
    [enxio.syscall, enxio.request, enxio.target, enxio.path],
    ['ioctl', 'KVM_GET_DEVICE_ATTR', 'device', '/dev/kvm'],
  );
  assert.equal(failureText(enxio), 'this kernel does not offer that attribute');
  assert.equal(fixOf(enxio), undefined);
  const einval = attr('EINVAL', -22);
  assert.equal(einval.absence, undefined);
  assert.match(failureText(einval), /KVM_CAP_SYS_ATTRIBUTES/);
});

test('the same errno means what the device or file it came from says', () => {
  const open = (path: string) =>
    probeFailure({ syscall: 'open', path }, { code: 'EACCES', errno: -13, syscall: 'open', path, message: 'EACCES' });
  assert.match(failureText(open('/dev/kvm')), /KVM device exists/);
  assert.match(fixOf(open('/dev/kvm')) ?? '', /usermod -aG kvm/);
  assert.match(failureText(open('/dev/sev')), /SEV device exists/);
  assert.match(fixOf(open('/dev/sev')) ?? '', /read access to \/dev\/sev/);
  // A file opened for reading is not a device: the per-errno row, not the device's.
  const file = probeFailure(
    { file: '/proc/cpuinfo' },
    { code: 'EACCES', errno: -13, syscall: 'open', path: '/proc/cpuinfo', message: 'EACCES' },
  );
  assert.equal(failureText(file), 'this user may not read it');
  assert.equal(fixOf(file), 'run as root');
  const stat = probeFailure(
    { syscall: 'stat', path: '/dev/sev' },
    { code: 'ENOENT', errno: -2, syscall: 'stat', path: '/dev/sev', message: 'ENOENT' },
  );
  assert.equal(stat.absence, true);
  assert.match(fixOf(stat) ?? '', /modprobe ccp/);
});

test('a TDX gap is a short fact in decode; the words for it add why', () => {
  const fact = { missing: 'misc.capacity has no tdx line', gap: { kind: 'no-misc-tdx-line' as const } };
  assert.equal(
    factText(fact, TDX_WORDS.tdKeys),
    'misc.capacity has no tdx line (KVM sets it only after TDX bring-up succeeded)',
  );
  assert.equal(factText({ missing: 'not probed' }, TDX_WORDS.tdKeys), 'not probed');
});
