// `kvm-caps sev` end to end on AMD hosts it cannot run on here: the CLI runs under the
// kernel double (test/double/), which plays each persona's /dev/kvm and /dev/sev, with the
// persona's files under --root. Expected values are the persona's own facts.
import { failureOf, valueOrNull } from '../../lib/decode/sourced.js';
import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import { runCli } from '../helpers/cli.js';
import {
  doubleSkipReason,
  loadPersona,
  preparePersona,
  readDoubleLog,
  type PreparedPersona,
} from '../helpers/double.js';
import type { Persona, PersonaSev } from '../helpers/persona.js';
import { flattenChecks } from '../../lib/check/run.js';
import type { SevSection } from '../../lib/render/report.js';
import { firmwareStatusOf } from '../../lib/decode/sev-fields.js';

const prepared: PreparedPersona[] = [];
// Without the double (no compiler, or no UAPI headers to build it with) every test skips.
const skip = await doubleSkipReason();
after(() => prepared.forEach((p) => p.cleanup()));

/** The /dev/sev commands kvm-caps may send; the double aborts on any other, and the log shows what was sent. */
const READ_ONLY_SEV_COMMANDS = new Set(['SEV_PLATFORM_STATUS', 'SNP_PLATFORM_STATUS', 'SEV_GET_ID2']);

function sev(name: string, args: string[] = [], options: { uid?: number; gid?: number } = {}) {
  const persona = loadPersona(name);
  const p = preparePersona(persona);
  prepared.push(p);
  const result = runCli(
    ['sev', '--json', ...args, '--root', p.root, '--device', p.kvmDevice, '--sev-device', p.sevDevice],
    {
      env: p.env,
      ...options,
    },
  );
  assert.equal(result.status, 0, result.stderr);
  const view = JSON.parse(result.stdout) as SevSection;
  /** One of the SEV, SEV-ES or SEV-SNP checks the view carries. */
  const check = (id: string) => {
    const found = view.technologies.flatMap((t) => flattenChecks(t.checks)).find((c) => c.id === id);
    assert.ok(found, `no check ${id}`);
    return found;
  };
  const sevCommands = readDoubleLog(p.log)
    .filter((line) => line.startsWith('sev '))
    .map((line) => /SEV_ISSUE_CMD (\w+)/.exec(line)?.[1] ?? line);
  return { persona, view, check, sevCommands };
}

function statusOf<T>(answer: PersonaSev['platformStatus'] | PersonaSev['snpPlatformStatus'] | undefined): T {
  assert.ok(answer && 'value' in answer, 'the persona answers this command');
  return answer.value as T;
}

const firmware = (s: { apiMajor: number; apiMinor: number }, build: number) => `${s.apiMajor}.${s.apiMinor}.${build}`;

test('Genoa SNP host on 6.11: firmware, state, TCB and --deep INIT2 for every SEV type', { skip }, () => {
  const { persona, view, check, sevCommands } = sev('snp-genoa-linux-6.11', ['--deep']);
  const status = statusOf<{ apiMajor: number; apiMinor: number; build: number }>(persona.sev?.platformStatus);
  const snp = statusOf<{
    apiMajor: number;
    apiMinor: number;
    buildId: number;
    currentTcbVersion: string;
    reportedTcbVersion: string;
  }>(persona.sev?.snpPlatformStatus);
  assert.deepEqual(
    view.vmTypes.map((t) => [t.name, t.offered]),
    [
      ['SEV', true],
      ['SEV_ES', true],
      ['SNP', true],
    ],
  );
  for (const [t, type] of [
    ['sev', 'SEV'],
    ['sev-es', 'SEV_ES'],
    ['snp', 'SNP'],
  ] as const)
    assert.equal(check(`${t}.kvm.vm-type`).status, 'PASS', type);
  assert.equal(valueOrNull(view.platformStatus)?.firmwareVersion, firmware(status, status.build));
  assert.equal(valueOrNull(view.snpPlatformStatus)?.firmwareVersion, firmware(snp, snp.buildId));
  assert.equal(BigInt(valueOrNull(view.snpPlatformStatus)?.tcb.currentRaw ?? -1), BigInt(snp.currentTcbVersion));
  assert.equal(valueOrNull(view.snpPlatformStatus)?.tcb.match, snp.currentTcbVersion === snp.reportedTcbVersion);
  assert.deepEqual(
    view.init2.map((r) => [r.vmType, 'value' in r.result]),
    [
      ['SEV', true],
      ['SEV_ES', true],
      ['SNP', true],
    ],
  );
  assert.deepEqual(sevCommands, ['SEV_PLATFORM_STATUS', 'SNP_PLATFORM_STATUS', 'SEV_GET_ID2']);
});

test('SEV and SEV-ES on, SNP off in the BIOS: SNP not offered, the rest usable', { skip }, () => {
  const { view, check } = sev('sev-es-no-snp-bios');
  assert.deepEqual(
    view.vmTypes.map((t) => [t.name, t.offered]),
    [
      ['SEV', true],
      ['SEV_ES', true],
      ['SNP', false],
    ],
  );
  assert.equal(check('sev.kvm.vm-type').status, 'PASS');
  assert.equal(check('sev-es.kvm.vm-type').status, 'PASS');
  assert.equal(view.cpu.flags.sev_snp, false);
  assert.equal(check('snp.bios.cpu-flag').status, 'FAIL');
  assert.match(check('snp.bios.cpu-flag').found, /^sev_snp absent: the kernel clears sev_snp/);
  // KVM leaves SNP off, so the SNP VM type is judged under that FAIL, not again.
  assert.equal(check('snp.kvm.parameter').status, 'FAIL');
  assert.equal(check('snp.kvm.vm-type').status, 'SKIP');
});

test('kvm_amd with sev=Y but no /dev/sev: ENOENT explained as PSP/SEV off in firmware', { skip }, () => {
  const { persona, view, check, sevCommands } = sev('kvm-amd-sev-no-dev-sev');
  assert.equal(persona.sev, undefined);
  assert.equal(persona.files['/sys/module/kvm_amd/parameters/sev']?.trim(), 'Y');
  assert.ok(view.sevNode && 'error' in view.sevNode);
  assert.equal(view.sevNode.error.code, 'ENOENT');
  const device = check('sev.firmware.sev-device');
  assert.equal(device.status, 'FAIL');
  assert.match(device.found, /ENOENT/);
  assert.match(`${device.found} ${device.fix}`, /PSP|ccp|BIOS/);
  assert.deepEqual(sevCommands, [], 'no command is sent to a device that is not there');
});

test('SEV firmware too old for SNP: SNP INIT failed, firmware error decoded by name', { skip }, () => {
  // Linux 6.18 with SNP not initialised: SNP_PLATFORM_STATUS is asked only on request (it would run SNP INIT).
  const { persona, view, check } = sev('snp-firmware-too-old', ['--snp-platform-status']);
  const answer = persona.sev?.snpPlatformStatus;
  assert.ok(answer && 'errno' in answer && answer.firmwareError !== undefined);
  const snp = failureOf(view.snpPlatformStatus);
  assert.ok(snp);
  assert.equal(snp.error.code, answer.errno);
  assert.equal(snp.error.firmwareError, answer.firmwareError);
  assert.match(firmwareStatusOf(snp.error)?.name ?? '', /SEV_RET_/);
  const state = check('snp.firmware.state');
  assert.equal(state.status, 'FAIL');
  assert.match(
    state.found,
    new RegExp(`${answer.errno}; firmware SEV_RET_\\w+ \\(0x${answer.firmwareError.toString(16)}\\)`),
  );
});

test('/dev/sev root-only with an unprivileged caller: EACCES, and nothing read from it is invented', { skip }, () => {
  const persona: Persona = loadPersona('dev-sev-root-only');
  assert.equal(persona.modes?.['/dev/sev'], 0o600);
  const { view, check, sevCommands } = sev('dev-sev-root-only', [], { uid: 65534, gid: 65534 });
  assert.ok('error' in view.sevOpen);
  assert.equal(view.sevOpen.error.code, 'EACCES');
  const state = check('sev.firmware.state');
  assert.equal(state.status, 'UNKNOWN');
  assert.match(state.found, /may not open \/dev\/sev \(EACCES\)/);
  assert.match(state.needs ?? '', /root/);
  assert.deepEqual([valueOrNull(view.platformStatus), valueOrNull(view.snpPlatformStatus)], [null, null]);
  assert.deepEqual(sevCommands, []);
});

test('a kernel without KVM_X86_GRP_SEV: ENXIO is "not offered", not a failure', { skip }, () => {
  const { view } = sev('kernel-without-grp-sev');
  for (const key of ['vmsaFeatures', 'snpPolicyBits', 'snpReqCerts'] as const) {
    const attribute = view.sevAttributes[key];
    assert.ok('error' in attribute, key);
    assert.equal(attribute.error.code, 'ENXIO', key);
    assert.equal(attribute.error.absence, true, key);
  }
  // No check judges an attribute the kernel does not have.
  assert.ok(!view.technologies.some((t) => JSON.stringify(t.checks).includes('snp.kvm.policy-bits')));
});

test('only read-only /dev/sev commands are ever sent, across every SEV persona with --deep', { skip }, () => {
  for (const name of ['snp-genoa-linux-6.11', 'sev-es-no-snp-bios', 'snp-firmware-too-old', 'kernel-without-grp-sev']) {
    const { sevCommands } = sev(name, ['--deep']);
    assert.ok(sevCommands.length > 0, name);
    for (const command of sevCommands) assert.ok(READ_ONLY_SEV_COMMANDS.has(command), `${name}: ${command}`);
  }
});
