// Tests of the kernel double itself (test/double/kernel_double.c): its answers against
// the personas, through the project's addon (generic /dev/kvm requests) and through an
// independent C client on the Linux 7.2 UAPI headers (TDX, SEV, /dev/sev). Everything
// under the double runs in a child process; the test runner never preloads it.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import type { SpawnSyncReturns } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { pathToFileURL } from 'node:url';
import type { CpuidEntry } from '../../lib/native/binding.js';
import { compileProgram, projectRoot } from '../helpers/compile.js';
import {
  buildDouble,
  doubleSkipReason,
  loadPersona,
  personaConfig,
  preparePersona,
  readDoubleLog,
} from '../helpers/double.js';
import type { PreparedPersona } from '../helpers/double.js';
import type { Persona, PersonaKvm } from '../helpers/persona.js';
import { uapiHeaders } from '../helpers/uapi-headers.js';
import { skipUnless } from '../helpers/requirements.js';

let client = '';
const prepared: PreparedPersona[] = [];

// Without the double (no compiler, or no UAPI headers to build it with) the suite skips.
const skip = await doubleSkipReason();
before(async () => {
  if (skip) return;
  const headers = await uapiHeaders();
  buildDouble(headers);
  client = compileProgram(join(projectRoot, 'test', 'double', 'double_client.c'), {
    language: 'c',
    systemIncludeDirs: [headers.includeDir, headers.archIncludeDir],
  });
});

after(() => {
  for (const p of prepared) p.cleanup();
});

function prepare(persona: Persona): PreparedPersona {
  const p = preparePersona(persona);
  prepared.push(p);
  return p;
}

interface RunOptions {
  uid?: number;
  gid?: number;
}

/** Runs the C client under the double, with core dumps off (some runs must abort). */
function runClient(p: PreparedPersona, args: string[], options: RunOptions = {}): SpawnSyncReturns<string> {
  return spawnSync('/bin/sh', ['-c', 'ulimit -c 0; exec "$0" "$@"', client, ...args], {
    env: p.env,
    encoding: 'utf8',
    timeout: 30_000,
    ...options,
  });
}

function clientJson(p: PreparedPersona, args: string[], options: RunOptions = {}): Record<string, unknown> {
  const r = runClient(p, args, options);
  assert.equal(r.status, 0, `client ${args.join(' ')} failed (signal ${String(r.signal)}):\n${r.stderr}`);
  return JSON.parse(r.stdout) as Record<string, unknown>;
}

function assertAborts(p: PreparedPersona, args: string[], message: RegExp): void {
  const r = runClient(p, args);
  assert.equal(
    r.signal ?? (r.status === 134 ? 'SIGABRT' : null),
    'SIGABRT',
    `expected an abort, got status ${String(r.status)}:\n${r.stdout}${r.stderr}`,
  );
  assert.doesNotMatch(r.stdout, /survived/, 'the request must not return');
  assert.match(r.stderr, /kvm-caps kernel double: /);
  assert.match(r.stderr, message);
  assert.ok(
    readDoubleLog(p.log).some((line) => line.startsWith('FATAL ') && message.test(line)),
    'the failure is in the log',
  );
}

const baseKvm: PersonaKvm = {
  apiVersion: 12,
  vcpuMmapSize: 12288,
  capabilities: { '66': 4096, '235': 1 },
  supportedCpuid: [],
  emulatedCpuid: [],
  msrIndexList: [],
  msrFeatureIndexList: [],
  featureMsrs: {},
  deviceAttrs: [],
  vmTypes: { '0': 'ok' },
};

const tdxCpuid: CpuidEntry[] = [
  { function: 0x1, index: 0, flags: 0, eax: 0x0fff3fff, ebx: 0, ecx: 0x31044d88, edx: 0 },
  { function: 0x7, index: 0, flags: 1, eax: 0, ebx: 0xdc2ce4ea, ecx: 0x1a40411a, edx: 0x00000000 },
  { function: 0x7, index: 1, flags: 1, eax: 0x00001c30, ebx: 0, ecx: 0, edx: 0 },
  { function: 0xd, index: 0, flags: 1, eax: 0x000602e7, ebx: 0, ecx: 0, edx: 0 },
  { function: 0xd, index: 1, flags: 1, eax: 0x0000001f, ebx: 0, ecx: 0, edx: 0 },
  { function: 0x80000001, index: 0, flags: 0, eax: 0, ebx: 0, ecx: 0x00000121, edx: 0x2c100800 },
  { function: 0x80000008, index: 0, flags: 0, eax: 0x00ff3034, ebx: 0, ecx: 0, edx: 0 },
];

const tdxPersona: Persona = {
  name: 'double-test-tdx',
  description: 'A TDX host for the double tests.',
  sources: ['Shapes from kernel-abi.md sections 2 and 5.1; the values are made up for the test.'],
  files: {},
  kvm: {
    ...baseKvm,
    capabilities: { '66': 4096, '235': 0x21 },
    vmCapabilities: { '5': { '66': 192 } },
    vmTypes: { '0': 'ok', '5': 'ok' },
    tdx: {
      capabilities: {
        supportedAttrs: '0x10000000',
        supportedXfam: '0x602ff',
        kernelTdvmcallinfo1R11: '0x0',
        userTdvmcallinfo1R11: '0x2',
        kernelTdvmcallinfo1R12: '0x0',
        userTdvmcallinfo1R12: '0x0',
        cpuid: tdxCpuid,
      },
      initVm: { acceptAttributes: '0x0', rejectHwError: '0xc000010000000000' },
    },
  },
};

const chipId = Array.from({ length: 64 }, (_, i) => ((i * 37 + 11) & 0xff).toString(16).padStart(2, '0')).join('');

const snpPersona: Persona = {
  name: 'double-test-snp',
  description: 'An SEV-SNP host for the double tests.',
  sources: ['Shapes from kernel-abi.md sections 2.2, 3 and 5.2; the values are made up for the test.'],
  files: {},
  modes: { '/dev/sev': 0o600 },
  kvm: {
    ...baseKvm,
    capabilities: { '66': 4096, '235': 0x1d },
    deviceAttrs: [
      { group: 0, attr: 0, value: '0x7' },
      { group: 1, attr: 0, value: '0x220' },
    ],
    vmTypes: { '0': 'ok', '2': 'ok', '3': 'ok', '4': 'ok' },
    sevInit2: {
      '2': { errno: 'EIO', firmwareError: 1 },
      '3': { ok: true, acceptVmsaFeatures: '0x220' },
      '4': { ok: true, acceptVmsaFeatures: '0x220' },
    },
  },
  sev: {
    platformStatus: { value: { apiMajor: 1, apiMinor: 55, state: 1, flags: 0x100, build: 21, guestCount: 3 } },
    snpPlatformStatus: {
      value: {
        apiMajor: 1,
        apiMinor: 55,
        state: 1,
        rmpFlags: 1,
        buildId: 21,
        featureFlags: 0x2d,
        guestCount: 2,
        currentTcbVersion: '0xdb18000000000004',
        reportedTcbVersion: '0xd315000000000003',
      },
    },
    getId2: { value: { id: chipId } },
  },
};

const sevErrorsPersona: Persona = {
  name: 'double-test-sev-errors',
  description: 'A /dev/sev whose commands fail.',
  sources: ['drivers/crypto/ccp/sev-dev.c error paths; made up for the test.'],
  files: {},
  sev: {
    platformStatus: { errno: 'EIO', firmwareError: 0x13 },
    snpPlatformStatus: { errno: 'EINVAL' },
    getId2: { errno: 'ENOTSUPP' },
  },
};

describe('the kernel double', { skip }, () => {
  test('the generic-intel persona answers the addon as the kernel would', () => {
    const persona = loadPersona('generic-intel');
    const kvm = persona.kvm;
    assert.ok(kvm);
    const p = prepare(persona);
    const caps = [0, 9, 66, 105, 153, 209, 235, 240];
    const readMsrs = [0x10a, 0x345, 0xc0011029, 0x8b];
    const handle = pathToFileURL(join(projectRoot, 'lib', 'native', 'handle.ts')).href;
    const script = `
      import { openSystemHandle } from ${JSON.stringify(handle)};
      const code = (f) => { try { f(); return 'ok'; } catch (e) { return e.code; } };
      const kvm = openSystemHandle(process.env.DOUBLE_KVM);
      const caps = ${JSON.stringify(caps)};
      const out = {
        apiVersion: kvm.apiVersion(),
        vcpuMmapSize: kvm.vcpuMmapSize(),
        checkExtensions: Array.from(kvm.checkExtensions(caps)),
        supportedCpuid: kvm.supportedCpuid(1),
        emulatedCpuid: kvm.emulatedCpuid(1),
        msrIndexList: kvm.msrIndexList(),
        msrFeatureIndexList: kvm.msrFeatureIndexList(),
        getMsrs: kvm.getMsrs(${JSON.stringify(readMsrs)}).map((v) => '0x' + v.toString(16)),
        xcomp: '0x' + kvm.getDeviceAttr(0, 0).toString(16),
        hasXcomp: kvm.hasDeviceAttr(0, 0),
        sevAttr: code(() => kvm.getDeviceAttr(1, 0)),
        hasSevAttr: code(() => kvm.hasDeviceAttr(1, 0)),
        createVm5: code(() => kvm.createVm(5)),
      };
      const vm = kvm.createVm(0);
      out.vm = { kind: vm.kind, vmType: vm.vmType, checkExtensions: Array.from(vm.checkExtensions(caps)) };
      vm.close();
      kvm.close();
      process.stdout.write(JSON.stringify(out));
    `;
    const r = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {
      cwd: projectRoot,
      env: { ...p.env, DOUBLE_KVM: p.kvmDevice },
      encoding: 'utf8',
      timeout: 60_000,
    });
    assert.equal(r.status, 0, `addon child failed (signal ${String(r.signal)}):\n${r.stderr}`);
    const out = JSON.parse(r.stdout) as Record<string, unknown>;
    const capValue = (cap: number, table: Record<string, number>): number => table[String(cap)] ?? 0;
    assert.equal(out.apiVersion, kvm.apiVersion);
    assert.equal(out.vcpuMmapSize, kvm.vcpuMmapSize);
    assert.deepEqual(
      out.checkExtensions,
      caps.map((c) => capValue(c, kvm.capabilities)),
    );
    assert.deepEqual(out.supportedCpuid, kvm.supportedCpuid);
    assert.deepEqual(out.emulatedCpuid, kvm.emulatedCpuid);
    assert.deepEqual(out.msrIndexList, kvm.msrIndexList);
    assert.deepEqual(out.msrFeatureIndexList, kvm.msrFeatureIndexList);
    // KVM_GET_MSRS stops at the first MSR it cannot read (0xc0011029 is not a feature MSR here).
    assert.deepEqual(out.getMsrs, [kvm.featureMsrs['0x10a'], kvm.featureMsrs['0x345']]);
    assert.equal(out.xcomp, kvm.deviceAttrs[0]?.value);
    assert.equal(out.hasXcomp, true);
    assert.equal(out.sevAttr, 'ENXIO');
    assert.equal(out.hasSevAttr, 'ENXIO');
    assert.equal(out.createVm5, 'EINVAL');
    assert.deepEqual(out.vm, {
      kind: 'vm',
      vmType: 0,
      checkExtensions: caps.map((c) => kvm.vmCapabilities?.['0']?.[String(c)] ?? capValue(c, kvm.capabilities)),
    });

    const log = readDoubleLog(p.log);
    assert.ok(
      log.every((line) => /^(kvm|vm|sev) [A-Z_0-9]+ /.test(line)),
      log.join('\n'),
    );
    // Growth from one entry: E2BIG without nent written back, then the full list.
    const cpuidCalls = log.filter((line) => line.startsWith('kvm KVM_GET_SUPPORTED_CPUID '));
    assert.deepEqual(cpuidCalls, [
      'kvm KVM_GET_SUPPORTED_CPUID nent=1 -> E2BIG (nent not written back)',
      'kvm KVM_GET_SUPPORTED_CPUID nent=2 -> E2BIG (nent not written back)',
      'kvm KVM_GET_SUPPORTED_CPUID nent=4 -> E2BIG (nent not written back)',
      'kvm KVM_GET_SUPPORTED_CPUID nent=8 -> E2BIG (nent not written back)',
      'kvm KVM_GET_SUPPORTED_CPUID nent=16 -> 0',
    ]);
    assert.deepEqual(
      log.filter((line) => line.startsWith('kvm KVM_GET_MSR_INDEX_LIST ')),
      [
        `kvm KVM_GET_MSR_INDEX_LIST nmsrs=0 -> E2BIG nmsrs=${kvm.msrIndexList.length}`,
        `kvm KVM_GET_MSR_INDEX_LIST nmsrs=${kvm.msrIndexList.length} -> 0 nmsrs=${kvm.msrIndexList.length}`,
      ],
    );
    assert.ok(log.includes(`kvm KVM_GET_MSRS nmsrs=${readMsrs.length} -> 2`));
    assert.ok(log.includes('kvm KVM_CREATE_VM type=5 -> EINVAL'));
    assert.ok(log.includes('kvm KVM_CREATE_VM type=0 -> vm'));
    assert.ok(log.includes('vm KVM_CHECK_EXTENSION type=0 cap=9 -> 64'));
    for (const cap of caps)
      assert.ok(log.includes(`kvm KVM_CHECK_EXTENSION cap=${cap} -> ${capValue(cap, kvm.capabilities)}`));
  });

  test('an Intel VM without TDX: ENOTTY for KVM_MEMORY_ENCRYPT_OP, EINVAL for other VM types', () => {
    const p = prepare(loadPersona('generic-intel'));
    assert.deepEqual(clientJson(p, ['intel-vm', p.kvmDevice]), {
      createVm0: '0',
      memEncOp: 'ENOTTY',
      vmVmTypes: 1,
      createVm5: 'EINVAL',
      createVm99: 'EINVAL',
      apiVersionWithArg: 'EINVAL',
    });
  });

  test(
    'KVM_TDX_CAPABILITIES grows from one entry; KVM_TDX_INIT_VM ' + 'refuses, accepts, then refuses a second time',
    () => {
      const p = prepare(tdxPersona);
      const out = clientJson(p, ['tdx', p.kvmDevice, '1', '0x10000000', '0x0']);
      const tdx = tdxPersona.kvm?.tdx;
      assert.ok(tdx && !('errno' in tdx.capabilities));
      const caps = tdx.capabilities;
      assert.equal(out.createVm, '0');
      assert.equal(out.maxVcpus, 192, 'KVM_CHECK_EXTENSION on the TD VM answers from vmCapabilities["5"]');
      assert.deepEqual(out.attempts, [
        { nent: 1, result: 'E2BIG', nentAfter: 1, hwError: '0x0' },
        { nent: 2, result: 'E2BIG', nentAfter: 2, hwError: '0x0' },
        { nent: 4, result: 'E2BIG', nentAfter: 4, hwError: '0x0' },
        { nent: 8, result: '0', nentAfter: caps.cpuid.length, hwError: '0x0' },
      ]);
      assert.deepEqual(out.caps, {
        supportedAttrs: caps.supportedAttrs,
        supportedXfam: caps.supportedXfam,
        kernelTdvmcallinfo1R11: caps.kernelTdvmcallinfo1R11,
        userTdvmcallinfo1R11: caps.userTdvmcallinfo1R11,
        kernelTdvmcallinfo1R12: caps.kernelTdvmcallinfo1R12,
        userTdvmcallinfo1R12: caps.userTdvmcallinfo1R12,
        cpuid: caps.cpuid,
      });
      assert.equal(out.capsWithFlags, 'EINVAL');
      assert.equal(out.capsWithHwError, 'EINVAL');
      assert.deepEqual(out.initTooMany, { result: 'E2BIG', hwError: '0x0' });
      assert.deepEqual(out.initRejected, { result: 'EINVAL', hwError: tdx.initVm?.rejectHwError });
      assert.deepEqual(out.initOk, { result: '0', hwError: '0x0' });
      assert.deepEqual(out.initAgain, { result: 'EINVAL', hwError: '0x0' });
      const log = readDoubleLog(p.log).filter((line) => line.startsWith('vm KVM_MEMORY_ENCRYPT_OP'));
      assert.deepEqual(log.slice(0, 4), [
        'vm KVM_MEMORY_ENCRYPT_OP KVM_TDX_CAPABILITIES type=5 flags=0 nent=1 -> E2BIG (nent not written back)',
        'vm KVM_MEMORY_ENCRYPT_OP KVM_TDX_CAPABILITIES type=5 flags=0 nent=2 -> E2BIG (nent not written back)',
        'vm KVM_MEMORY_ENCRYPT_OP KVM_TDX_CAPABILITIES type=5 flags=0 nent=4 -> E2BIG (nent not written back)',
        'vm KVM_MEMORY_ENCRYPT_OP KVM_TDX_CAPABILITIES type=5 flags=0 nent=8 -> 0',
      ]);
      assert.ok(
        log.includes(
          'vm KVM_MEMORY_ENCRYPT_OP KVM_TDX_INIT_VM type=5 attributes=0x10000000 -> EINVAL hw_error=0xc000010000000000',
        ),
      );
    },
  );

  test('KVM_TDX_CAPABILITIES answers the persona errno', () => {
    const persona: Persona = {
      ...tdxPersona,
      kvm: { ...baseKvm, vmTypes: { '5': 'ok' }, tdx: { capabilities: { errno: 'EIO' } } },
    };
    const p = prepare(persona);
    const out = clientJson(p, ['tdx', p.kvmDevice, '6', '0x0', '0x0']);
    assert.deepEqual(out.attempts, [{ nent: 6, result: 'EIO', nentAfter: 6, hwError: '0x0' }]);
  });

  test('KVM_SEV_INIT2 checks vmsa_features per VM type and answers from the persona', () => {
    const p = prepare(snpPersona);
    const run = (type: number, features: string): Record<string, unknown> =>
      clientJson(p, ['sev-init2', p.kvmDevice, String(type), features]);
    assert.deepEqual(run(3, '0x20'), {
      createVm: '0',
      nullProbe: '0',
      init: { result: '0', error: 0 },
      initAgain: { result: 'EINVAL', error: 0 },
    });
    // SECURE_TSC (bit 9) is for SNP only; a bit the persona does not accept is refused.
    assert.deepEqual(run(3, '0x200'), {
      createVm: '0',
      nullProbe: '0',
      init: { result: 'EINVAL', error: 0 },
      initAgain: { result: '0', error: 0 },
    });
    assert.deepEqual(run(3, '0x1'), {
      createVm: '0',
      nullProbe: '0',
      init: { result: 'EINVAL', error: 0 },
      initAgain: { result: '0', error: 0 },
    });
    // An SNP VM: once initialised, legacy ids (INIT2 = 22 < 100) answer EPERM.
    assert.deepEqual(run(4, '0x220'), {
      createVm: '0',
      nullProbe: '0',
      init: { result: '0', error: 0 },
      initAgain: { result: 'EPERM', error: 0 },
    });
    // A plain SEV VM has no VMSA: any vmsa_features bit is EINVAL; otherwise the firmware's error.
    assert.deepEqual(run(2, '0x20'), {
      createVm: '0',
      nullProbe: '0',
      init: { result: 'EINVAL', error: 0 },
      initAgain: { result: 'EIO', error: 1 },
    });
    assert.deepEqual(run(5, '0x0'), { createVm: 'EINVAL' });
  });

  test('/dev/sev: SEV_PLATFORM_STATUS, SNP_PLATFORM_STATUS and SEV_GET_ID2', () => {
    const p = prepare(snpPersona);
    const sev = snpPersona.sev;
    assert.ok(sev && 'value' in sev.platformStatus && 'value' in sev.snpPlatformStatus && 'value' in sev.getId2);
    const out = clientJson(p, ['sev', p.sevDevice]);
    assert.deepEqual(out.platformStatus, { result: '0', error: 0, ...sev.platformStatus.value });
    const snp = sev.snpPlatformStatus.value;
    assert.deepEqual(out.snpPlatformStatus, {
      result: '0',
      error: 0,
      apiMajor: snp.apiMajor,
      apiMinor: snp.apiMinor,
      state: snp.state,
      rmpFlags: snp.rmpFlags,
      isRmpInitialized: 1,
      buildId: snp.buildId,
      featureFlags: snp.featureFlags,
      maskChipId: 1,
      vlekEn: 1,
      ciphertextHidingCap: 1,
      guestCount: snp.guestCount,
      currentTcbVersion: snp.currentTcbVersion,
      reportedTcbVersion: snp.reportedTcbVersion,
    });
    // sev_ioctl_do_get_id2(): the firmware says INVALID_LEN (4) with the length it needs; EIO.
    assert.deepEqual(out.getId2Probe, { result: 'EIO', error: 4, length: 64 });
    assert.deepEqual(out.getId2Short, { result: 'EIO', error: 4, length: 64, untouched: true });
    assert.deepEqual(out.getId2, { result: '0', error: 0, length: 64, id: sev.getId2.value.id });
    assert.deepEqual(readDoubleLog(p.log), [
      'sev SEV_ISSUE_CMD SEV_PLATFORM_STATUS -> 0 error=0',
      'sev SEV_ISSUE_CMD SNP_PLATFORM_STATUS -> 0 error=0',
      'sev SEV_ISSUE_CMD SEV_GET_ID2 address=0 length=0 -> EIO error=4',
      'sev SEV_ISSUE_CMD SEV_GET_ID2 address=set length=4 -> EIO error=4',
      'sev SEV_ISSUE_CMD SEV_GET_ID2 address=set length=80 -> 0 error=0',
    ]);
  });

  test('/dev/sev errors: errno with the firmware error, or the error field left alone', () => {
    const p = prepare(sevErrorsPersona);
    const out = clientJson(p, ['sev', p.sevDevice]);
    assert.deepEqual(out.platformStatus, { result: 'EIO', error: 0x13 });
    assert.deepEqual(out.snpPlatformStatus, { result: 'EINVAL', error: 0xffffffff });
    assert.deepEqual(out.getId2Probe, { result: 'ENOTSUPP', error: 0xffffffff, length: 0 });
    assert.equal(existsSync(p.kvmDevice), false, 'no /dev/kvm in a persona without kvm');
  });

  test('an unprivileged child gets the real EACCES on a 0600 /dev/sev, and can use a 0666 /dev/kvm', {
    skip: skipUnless('root'),
  }, () => {
    const p = prepare(snpPersona);
    const nobody = { uid: 65534, gid: 65534 };
    assert.deepEqual(clientJson(p, ['sev', p.sevDevice], nobody), { open: 'EACCES' });
    const out = clientJson(p, ['sev-init2', p.kvmDevice, '3', '0x0'], nobody);
    assert.equal(out.createVm, '0');
  });

  test('dup, dup2, dup3 and fcntl(F_DUPFD*) of a tracked fd are tracked', () => {
    const p = prepare(loadPersona('generic-intel'));
    assert.deepEqual(clientJson(p, ['dup', p.kvmDevice]), {
      dup: 12,
      dup3: 12,
      dupfdCloexec: 12,
      dupfd: 12,
      dup2: 12,
      afterOriginalClosed: 12,
      vmDupCheckExtension: 1,
    });
  });

  test('untracked fds pass through to the real kernel', {
    skip: existsSync('/dev/kvm') ? false : 'no /dev/kvm here',
  }, () => {
    const p = prepare(loadPersona('generic-intel'));
    const r = runClient(p, ['real', '/dev/kvm']);
    assert.equal(r.status, 0, r.stderr);
    const out = JSON.parse(r.stdout) as Record<string, unknown>;
    if ('open' in out) return; // not allowed to open the real device: nothing passes through
    assert.deepEqual(out, { apiVersion: 12 });
    assert.deepEqual(readDoubleLog(p.log), [], 'the double served nothing');
  });

  describe('fails loudly', () => {
    test('on a /dev/sev command that changes the platform', () => {
      const p = prepare(snpPersona);
      assertAborts(p, ['forbidden', p.sevDevice, '0'], /SEV_FACTORY_RESET \(0\) is forbidden/);
      assertAborts(p, ['forbidden', p.sevDevice, '10'], /SNP_COMMIT \(10\) is forbidden/);
    });

    test('on a request it does not serve', () => {
      const p = prepare(loadPersona('generic-intel'));
      assertAborts(p, ['unknown', p.kvmDevice], /KVM_GET_TSC_KHZ on a \/dev\/kvm fd/);
    });

    test('on a tracked fd used after close', () => {
      const p = prepare(loadPersona('generic-intel'));
      assertAborts(p, ['after-close', p.kvmDevice], /KVM_GET_API_VERSION on fd \d+, a tracked kvm fd already closed/);
    });

    test('on a NULL data pointer', () => {
      const p = prepare(loadPersona('generic-intel'));
      assertAborts(p, ['null-cpuid', p.kvmDevice], /KVM_GET_SUPPORTED_CPUID: struct kvm_cpuid2 is a NULL pointer/);
    });
  });

  test('the config carries every persona answer', () => {
    const config = personaConfig(snpPersona, '/tmp/r');
    assert.match(config, /^device kvm \/tmp\/r\/dev\/kvm$/m);
    assert.match(config, /^device sev \/tmp\/r\/dev\/sev$/m);
    assert.match(config, /^sevinit2 2 errno 5 1$/m);
    assert.match(config, /^sevinit2 3 value 0x220$/m);
    assert.match(config, /^attr 1 0 0x220$/m);
    assert.match(config, new RegExp(`^id2 value ${chipId}$`, 'm'));
    assert.throws(
      () => personaConfig({ ...snpPersona, kvm: { ...baseKvm, vmTypes: { '0': 'ENOPE' } } }, '/tmp/r'),
      /unknown errno name ENOPE/,
    );
  });
});
