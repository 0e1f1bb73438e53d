// `kvm-caps sev` end to end on AMD hosts it cannot run on here: the CLI runs under the
// kernel double (test/double/), which plays each persona's /dev/kvm and /dev/sev, with the
// persona's files under --root. Expected values are the persona's own facts.
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

const prepared: PreparedPersona[] = [];
// Without the double (no compiler, or no UAPI headers to build it with) every test skips.
const skip = await doubleSkipReason();
after(() => prepared.forEach((p) => p.cleanup()));

/** The /dev/sev commands kvm-caps may send; the double aborts on any other, and the log shows what was sent. */
const READ_ONLY_SEV_COMMANDS = new Set(['SEV_PLATFORM_STATUS', 'SNP_PLATFORM_STATUS', 'SEV_GET_ID2']);

interface Item {
  id: string;
  value: string;
  status: string;
  meaning?: string;
  hint?: string;
}

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
  const view = JSON.parse(result.stdout) as { items: Item[]; init2: { vmType: string; ok: boolean }[] };
  const item = (id: string): Item => {
    const found = view.items.find((i) => i.id === id);
    assert.ok(found, `no item ${id} in ${view.items.map((i) => i.id).join(', ')}`);
    return found;
  };
  const sevCommands = readDoubleLog(p.log)
    .filter((line) => line.startsWith('sev '))
    .map((line) => /SEV_ISSUE_CMD (\w+)/.exec(line)?.[1] ?? line);
  return { persona, view, item, sevCommands };
}

function statusOf<T>(answer: PersonaSev['platformStatus'] | PersonaSev['snpPlatformStatus'] | undefined): T {
  assert.ok(answer && 'value' in answer, 'the persona answers this command');
  return answer.value as T;
}

const firmware = (s: { apiMajor: number; apiMinor: number }, build: number) => `${s.apiMajor}.${s.apiMinor}.${build}`;

test('Genoa SNP host on 6.11: firmware, state, TCB and --deep INIT2 for every SEV type', { skip }, () => {
  const { persona, view, item, sevCommands } = sev('snp-genoa-linux-6.11', ['--deep']);
  const status = statusOf<{ apiMajor: number; apiMinor: number; build: number }>(persona.sev?.platformStatus);
  const snp = statusOf<{
    apiMajor: number;
    apiMinor: number;
    buildId: number;
    currentTcbVersion: string;
    reportedTcbVersion: string;
  }>(persona.sev?.snpPlatformStatus);
  for (const type of ['SEV', 'SEV_ES', 'SNP']) assert.equal(item(`kvm.vmType.${type}`).value, 'offered');
  assert.match(item('sev.firmware').value, new RegExp(`^${firmware(status, status.build).replaceAll('.', '\\.')} `));
  assert.match(item('snp.firmware').value, new RegExp(`^${firmware(snp, snp.buildId).replaceAll('.', '\\.')} `));
  assert.ok(item('snp.tcb.current').value.startsWith(`0x${BigInt(snp.currentTcbVersion).toString(16)}`));
  assert.equal(item('snp.tcb.match').value, snp.currentTcbVersion === snp.reportedTcbVersion ? 'yes' : 'no');
  assert.deepEqual(
    view.init2.map((r) => [r.vmType, r.ok]),
    [
      ['SEV', true],
      ['SEV_ES', true],
      ['SNP', true],
    ],
  );
  assert.deepEqual(sevCommands, ['SEV_PLATFORM_STATUS', 'SNP_PLATFORM_STATUS', 'SEV_GET_ID2']);
});

test('SEV and SEV-ES on, SNP off in the BIOS: SNP not offered, the rest usable', { skip }, () => {
  const { item } = sev('sev-es-no-snp-bios');
  assert.equal(item('kvm.vmType.SEV').value, 'offered');
  assert.equal(item('kvm.vmType.SEV_ES').value, 'offered');
  assert.equal(item('kvm.vmType.SNP').status, 'fail');
  assert.equal(item('cpu.flag.sev_snp').value, 'absent');
});

test('kvm_amd with sev=Y but no /dev/sev: ENOENT explained as PSP/SEV off in firmware', { skip }, () => {
  const { persona, item, sevCommands } = sev('kvm-amd-sev-no-dev-sev');
  assert.equal(persona.sev, undefined);
  assert.equal(persona.files['/sys/module/kvm_amd/parameters/sev']?.trim(), 'Y');
  const node = item('device.node');
  assert.equal(node.status, 'fail');
  assert.match(node.value, /ENOENT/);
  assert.match(`${node.meaning} ${node.hint}`, /PSP|ccp|BIOS/);
  assert.deepEqual(sevCommands, [], 'no command is sent to a device that is not there');
});

test('SEV firmware too old for SNP: SNP INIT failed, firmware error decoded by name', { skip }, () => {
  // Linux 6.18 with SNP not initialised: SNP_PLATFORM_STATUS is asked only on request (it would run SNP INIT).
  const { persona, item } = sev('snp-firmware-too-old', ['--snp-platform-status']);
  const answer = persona.sev?.snpPlatformStatus;
  assert.ok(answer && 'errno' in answer && answer.firmwareError !== undefined);
  const snp = item('snp.status');
  assert.equal(snp.status, 'fail');
  assert.match(snp.value, new RegExp(answer.errno));
  assert.match(snp.value, new RegExp(`0x${answer.firmwareError.toString(16)}`));
  assert.match(snp.value, /SEV_RET_/);
});

test('/dev/sev root-only with an unprivileged caller: EACCES, and nothing read from it is invented', { skip }, () => {
  const persona: Persona = loadPersona('dev-sev-root-only');
  assert.equal(persona.modes?.['/dev/sev'], 0o600);
  const { item, view, sevCommands } = sev('dev-sev-root-only', [], { uid: 65534, gid: 65534 });
  const open = item('device.open');
  assert.equal(open.status, 'fail');
  assert.match(open.value, /EACCES/);
  assert.match(open.hint ?? '', /root/);
  assert.ok(!view.items.some((i) => i.id === 'sev.firmware' || i.id === 'snp.firmware'));
  assert.deepEqual(sevCommands, []);
});

test('a kernel without KVM_X86_GRP_SEV: ENXIO is "not offered", not a failure', { skip }, () => {
  const { item } = sev('kernel-without-grp-sev');
  for (const id of ['kvm.attr.vmsaFeatures', 'kvm.attr.snpPolicyBits', 'kvm.attr.snpReqCerts']) {
    assert.equal(item(id).value, 'not offered by this kernel');
    assert.notEqual(item(id).status, 'fail');
  }
});

test('only read-only /dev/sev commands are ever sent, across every SEV persona with --deep', { skip }, () => {
  for (const name of ['snp-genoa-linux-6.11', 'sev-es-no-snp-bios', 'snp-firmware-too-old', 'kernel-without-grp-sev']) {
    const { sevCommands } = sev(name, ['--deep']);
    assert.ok(sevCommands.length > 0, name);
    for (const command of sevCommands) assert.ok(READ_ONLY_SEV_COMMANDS.has(command), `${name}: ${command}`);
  }
});
