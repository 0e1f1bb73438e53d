// The raw facts `snphost ok` and `sevctl ok` look at, as kvm-caps collects them: MSRs through a
// read-only pread of /dev/cpu/0/msr, the PSP's sysfs attributes under the ccp driver, the
// memlock rlimit and /dev/sev access. Everything under a scratch root made here.
import assert from 'node:assert/strict';
import {
  chmodSync,
  mkdirSync,
  mkdtempSync,
  openSync,
  closeSync,
  rmSync,
  symlinkSync,
  writeFileSync,
  writeSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { deviceAccess } from '../lib/snapshot/bringup-files.js';
import { memlockLimit, parseMemlock, pspSysfs } from '../lib/snapshot/host-files.js';
import { validateSnapshot } from '../lib/snapshot/load.js';
import { AMD_SNP_MSRS, readMsr } from '../lib/snapshot/msr.js';
import { readCpuidLeaf } from '../lib/snapshot/cpuid-device.js';
import { readFileSync } from 'node:fs';
import { fixturePath } from './helpers/fixtures.js';

const scratch = mkdtempSync(join(tmpdir(), 'kvm-caps-sev-host-'));
after(() => rmSync(scratch, { recursive: true, force: true }));

test('readMsr: 8 bytes little-endian at the MSR index of /dev/cpu/<n>/msr, under root', () => {
  const root = join(scratch, 'msr');
  mkdirSync(join(root, 'dev', 'cpu', '0'), { recursive: true });
  const file = join(root, 'dev', 'cpu', '0', 'msr');
  const fd = openSync(file, 'w');
  const syscfg = Buffer.alloc(8);
  syscfg.writeBigUInt64LE((1n << 23n) | (1n << 24n) | 0x40000n); // SMEE, SNPEn, and MtrrFixDramModEn
  writeSync(fd, syscfg, 0, 8, AMD_SNP_MSRS.SYSCFG);
  closeSync(fd);
  const fact = readMsr(root, 0, AMD_SNP_MSRS.SYSCFG);
  assert.ok('value' in fact, JSON.stringify(fact));
  assert.equal(fact.value, '0x1840000');
  assert.deepEqual(fact.source, { syscall: 'pread', path: file });
  // Past the end of the file: a short read is an error, not a zero.
  const short = readMsr(root, 0, 0xffffffff);
  assert.ok('error' in short && short.error.code === 'EIO');
});

test('readMsr: a missing msr node is an ENOENT fact (the module is never loaded), bad arguments throw', () => {
  const fact = readMsr(join(scratch, 'nothing'), 0, AMD_SNP_MSRS.RMP_BASE);
  assert.ok('error' in fact && fact.error.code === 'ENOENT');
  assert.throws(() => readMsr('/', -1, 0), RangeError);
  assert.throws(() => readMsr('/', 0, 2 ** 32), RangeError);
});

test('readCpuidLeaf: 16 bytes EAX..EDX at offset leaf | subleaf << 32 of /dev/cpu/<n>/cpuid, under root', () => {
  const root = join(scratch, 'cpuid');
  mkdirSync(join(root, 'dev', 'cpu', '0'), { recursive: true });
  const file = join(root, 'dev', 'cpu', '0', 'cpuid');
  const fd = openSync(file, 'w');
  const regs = Buffer.alloc(16);
  // virtee/snphost#187's Genoa: SME, SEV, SEV-ES, SNP, VMPL, SME_COHERENT; C-bit 51, reduction 6, 4 VMPLs; 1006 guests;
  // min ASID 100.
  [0x43b, 0x41b3, 1006, 100].forEach((v, i) => regs.writeUInt32LE(v, i * 4));
  writeSync(fd, regs, 0, 16, 0x8000001f);
  closeSync(fd);
  const fact = readCpuidLeaf(root, 0, 0x8000001f);
  assert.ok('value' in fact, JSON.stringify(fact));
  assert.deepEqual(fact.value, { eax: '0x43b', ebx: '0x41b3', ecx: '0x3ee', edx: '0x64' });
  assert.deepEqual(fact.source, { syscall: 'pread', path: file });
  // Subleaf 1 of the same leaf lies 4 GiB further on: past this file's end, a short read is EIO, not zeros.
  const sub = readCpuidLeaf(root, 0, 0x8000001f, 1);
  assert.ok('error' in sub && sub.error.code === 'EIO', JSON.stringify(sub));
  const missing = readCpuidLeaf(join(scratch, 'nothing'), 0, 0x8000001f);
  assert.ok('error' in missing && missing.error.code === 'ENOENT', 'the cpuid module is never loaded');
  assert.throws(() => readCpuidLeaf('/', 0, 2 ** 32), RangeError);
  assert.throws(() => readCpuidLeaf('/', -1, 0), RangeError);
});

test('pspSysfs: the attributes the ccp PCI device shows; those it hides are left out', () => {
  const root = join(scratch, 'psp');
  const devices = join(root, 'sys', 'bus', 'pci', 'drivers', 'ccp');
  mkdirSync(join(devices, '0000:01:00.5'), { recursive: true }); // a CCP without PSP attributes
  mkdirSync(join(devices, '0000:42:00.1'), { recursive: true });
  writeFileSync(join(devices, 'new_id'), '');
  symlinkSync('/nonexistent', join(devices, 'module'));
  writeFileSync(join(devices, '0000:42:00.1', 'fused_part'), '1\n');
  writeFileSync(join(devices, '0000:42:00.1', 'debug_lock_on'), '1\n');
  writeFileSync(join(devices, '0000:42:00.1', 'tee_version'), '0.21.0.113\n');
  const fact = pspSysfs(root);
  assert.ok('value' in fact, JSON.stringify(fact));
  assert.equal(fact.value.device, '0000:42:00.1');
  assert.deepEqual(fact.value.attributes, { tee_version: '0.21.0.113', fused_part: '1', debug_lock_on: '1' });
  const none = pspSysfs(join(scratch, 'no-ccp'));
  assert.ok('error' in none && none.error.code === 'ENOENT');
});

test('memlock: /proc/self/limits of this process, "unlimited" as null', () => {
  assert.deepEqual(
    parseMemlock(
      'Limit Soft Limit Hard Limit Units\nMax locked memory         8388608              8388608              bytes\n',
    ),
    {
      soft: 8388608,
      hard: 8388608,
    },
  );
  assert.deepEqual(parseMemlock('Max locked memory         unlimited            unlimited            bytes\n'), {
    soft: null,
    hard: null,
  });
  const live = memlockLimit();
  assert.ok('value' in live, JSON.stringify(live));
  assert.deepEqual(live.source, { file: '/proc/self/limits' });
});

test('deviceAccess: read-write as access(2) answers for this process', () => {
  const node = join(scratch, 'sev');
  writeFileSync(node, '');
  chmodSync(node, 0o666);
  const open = deviceAccess(node);
  assert.ok('value' in open);
  assert.deepEqual(open.value, { read: true, write: true });
  const missing = deviceAccess(join(scratch, 'absent'));
  assert.ok('error' in missing && missing.error.code === 'ENOENT');
});

test('snapshots without the new facts (older writers) still load; with them, they are checked', () => {
  const old = JSON.parse(readFileSync(fixturePath('sev-snp-genoa-6.11'), 'utf8')) as Record<string, unknown>;
  validateSnapshot(old);
  const host = old.host as Record<string, unknown>;
  const withFacts = {
    ...old,
    host: {
      ...host,
      msrs: { '0xc0010010': { source: { syscall: 'pread', path: '/dev/cpu/0/msr' }, value: '0x1840000' } },
      hostCpuid8000001f: {
        source: { syscall: 'pread', path: '/dev/cpu/0/cpuid' },
        value: { eax: '0x43b', ebx: '0x41b3', ecx: '0x3ee', edx: '0x64' },
      },
      sevDeviceAcl: {
        source: { syscall: 'spawn getfacl', path: '/dev/sev' },
        value: { entries: ['user::rw-', 'group::---', 'group:36:rw-', 'mask::rw-', 'other::---'] },
      },
      memlockLimit: { source: { file: '/proc/self/limits' }, value: { soft: 65536, hard: null } },
      sevDeviceAccess: { source: { syscall: 'access', path: '/dev/sev' }, value: { read: true, write: false } },
      pspSysfs: {
        source: { directory: '/sys/bus/pci/drivers/ccp' },
        value: { device: '0000:42:00.1', attributes: { fused_part: '1' } },
      },
    },
  };
  validateSnapshot(withFacts);
  const bad = structuredClone(withFacts);
  (bad.host.msrs['0xc0010010'] as { value: unknown }).value = 'nope';
  assert.throws(() => validateSnapshot(bad), /snapshot\.host\.msrs\.0xc0010010\.value/);
  const badLeaf = structuredClone(withFacts);
  (badLeaf.host.hostCpuid8000001f.value as { ebx: unknown }).ebx = 17;
  assert.throws(() => validateSnapshot(badLeaf), /snapshot\.host\.hostCpuid8000001f\.value\.ebx/);
});
