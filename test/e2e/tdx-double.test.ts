// kvm-caps end to end on TDX hosts it cannot run on here: the CLI runs under the kernel
// double (test/double/), which plays each persona's /dev/kvm, while the persona's files
// stand in for procfs, sysfs and /dev/kmsg under --root. Expected values are the
// persona's own facts.
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { cpuidEntryFlags } from '../../lib/knowledge/cpuid-leaves.js';
import { runCli } from '../helpers/cli.js';
import {
  doubleSkipReason,
  loadPersona,
  preparePersona,
  readDoubleLog,
  type PreparedPersona,
} from '../helpers/double.js';
import type { PersonaTdx } from '../helpers/persona.js';

const prepared: PreparedPersona[] = [];
// Without the double (no compiler, or no UAPI headers to build it with) every test skips.
const skip = await doubleSkipReason();
after(() => prepared.forEach((p) => p.cleanup()));

function run(personaName: string, args: string[]) {
  const persona = loadPersona(personaName);
  const p = preparePersona(persona);
  prepared.push(p);
  const result = runCli([...args, '--root', p.root, '--device', p.kvmDevice], { env: p.env });
  return { persona, p, result, log: () => readDoubleLog(p.log) };
}

function tdxJson(personaName: string, extra: string[] = []) {
  const r = run(personaName, ['tdx', '--json', ...extra]);
  assert.equal(r.result.status, 0, r.result.stderr);
  return { ...r, view: JSON.parse(r.result.stdout) };
}

const capabilitiesOf = (tdx: PersonaTdx | undefined) => {
  assert.ok(tdx && !('errno' in tdx.capabilities), 'the persona answers KVM_TDX_CAPABILITIES');
  return tdx.capabilities as Exclude<PersonaTdx['capabilities'], { errno: string }>;
};

test('TDX 1.5 on Linux 6.16: usable, capabilities decoded, module and keys from the log and cgroup', { skip }, () => {
  const { persona, view, log } = tdxJson('tdx-1.5-linux-6.16');
  const caps = capabilitiesOf(persona.kvm?.tdx);
  assert.equal(view.technologies[0].verdict.usable, true);
  assert.equal(view.vmType.value.offered, true);
  assert.equal(view.createVm.value.ok, true);
  const decoded = view.capabilities.value.value;
  assert.equal(BigInt(decoded.supportedAttributes.mask), BigInt(caps.supportedAttrs));
  assert.equal(BigInt(decoded.supportedXfam.mask), BigInt(caps.supportedXfam));
  assert.equal(decoded.cpuidConfigCount, caps.cpuid.length);
  assert.equal(view.moduleState.value.state, 'initialized');
  // Free keys: the persona's misc.capacity minus misc.current for "tdx".
  const count = (file: string) => Number(/^tdx (\d+)$/m.exec(persona.files[file] ?? '')?.[1]);
  const capacity = count('/sys/fs/cgroup/misc.capacity');
  const current = count('/sys/fs/cgroup/misc.current');
  assert.deepEqual(view.tdKeys.value, { capacity, inUse: current, free: capacity - current });
  // The TD was created and asked exactly the read-only questions, then closed.
  const requests = log().filter((line) => line.startsWith('vm ') || line.includes('KVM_CREATE_VM type=5'));
  assert.ok(
    requests.some((line) => line.includes('KVM_TDX_CAPABILITIES')),
    requests.join('\n'),
  );
  assert.ok(!log().some((line) => line.includes('KVM_TDX_INIT_VM')), 'no INIT_VM without --deep');
});

test('the CPUID-config array grows twice: 6, 12, then 24 entries', { skip }, () => {
  const { persona, view, log } = tdxJson('tdx-cpuid-grows-twice');
  assert.equal(view.capabilities.value.value.cpuidConfigCount, capabilitiesOf(persona.kvm?.tdx).cpuid.length);
  const nents = log()
    .filter((line) => line.includes('KVM_TDX_CAPABILITIES'))
    .map((line) => Number(/nent=(\d+)/.exec(line)?.[1]));
  assert.deepEqual(nents, [6, 12, 24]);
});

test('a module that failed to initialise: no TDX VM type, and the log says why', { skip }, () => {
  const { view } = tdxJson('tdx-module-init-failed');
  assert.equal(view.technologies[0].verdict.usable, false);
  assert.equal(view.createVm.value.ok, false);
  assert.equal(view.createVm.value.failure.code, 'EINVAL');
  assert.notEqual(view.moduleState.value.state, 'initialized');
  assert.ok(
    view.explanations.some((e: { weight: string }) => e.weight === 'cause'),
    JSON.stringify(view.explanations),
  );
});

test('a kernel that predates the TDX uAPI: EINVAL explained by the kernel release', { skip }, () => {
  const { persona, view } = tdxJson('tdx-kernel-predates-uapi');
  assert.equal(view.createVm.value.failure.code, 'EINVAL');
  assert.equal(view.kernelRelease.value, persona.files['/proc/sys/kernel/osrelease']?.trim());
  assert.ok(
    view.explanations.some((e: { code: string }) => e.code === 'kernel-predates-tdx-uapi'),
    JSON.stringify(view.explanations.map((e: { code: string }) => e.code)),
  );
});

test('--deep: the default TD is accepted; a TD asking for a refused attribute gets its hw_error decoded', {
  skip,
}, () => {
  const accepted = tdxJson('tdx-rejects-attribute', ['--deep']);
  assert.equal(accepted.view.initVm.value.ok, true, JSON.stringify(accepted.view.initVm));
  assert.ok(accepted.log().some((line) => line.includes('KVM_TDX_INIT_VM')));

  const config = join(accepted.p.root, 'td.json');
  // PERFMON (bit 63) is in supported_attrs, but this persona's TDX module refuses it. KVM
  // itself needs CPUID 0x80000008 with a 48-bit guest physical address width (EAX[23:16]).
  const gpaw48 = { function: 0x80000008, index: 0, flags: 0, eax: 0x00300030, ebx: 0, ecx: 0, edx: 0 };
  writeFileSync(config, JSON.stringify({ attributes: '0x8000000010000000', xfam: '0x3', cpuid: [gpaw48] }));
  const refused = tdxJson('tdx-rejects-attribute', ['--deep', '--td-config', config]);
  const initVm = refused.view.initVm.value;
  assert.equal(initVm.ok, false);
  assert.equal(initVm.failure.code, 'EINVAL');
  const persona = refused.persona.kvm?.tdx?.initVm;
  assert.ok(persona);
  assert.equal(BigInt(initVm.hwError.value), BigInt(persona.rejectHwError));
  assert.equal(initVm.hwError.name, 'TDX_OPERAND_INVALID');
});

test('--deep: KVM_TDX_INIT_VM gets each CPUID leaf under its own sub-leaf, flags set from what the leaf is', {
  skip,
}, () => {
  const { persona, log } = tdxJson('tdx-rejects-attribute', ['--deep']);
  const caps = capabilitiesOf(persona.kvm?.tdx);
  // The capability entries carry no flags (KVM never sets them), so they cannot be copied.
  assert.ok(caps.cpuid.every((e) => e.flags === 0));
  const resolved = log()
    .map((line) => /KVM_TDX_INIT_VM cpuid 0x([0-9a-f]+)\.(\d+) <- 0x([0-9a-f]+)\.(\d+) flags=(\d+)/.exec(line))
    .filter((m): m is RegExpExecArray => m !== null)
    .map((m) => ({
      leaf: `${m[1]}.${m[2]}`,
      got: `${m[3]}.${m[4]}`,
      flags: Number(m[5]),
      fn: Number.parseInt(m[1] ?? '', 16),
    }));
  assert.equal(resolved.length, caps.cpuid.length, 'every configurable leaf was sent');
  for (const r of resolved) {
    assert.equal(r.got, r.leaf, `CPUID ${r.leaf} reaches the TD as itself, not another sub-leaf`);
    assert.equal(r.flags, cpuidEntryFlags(r.fn), `CPUID ${r.leaf}: flags from what the leaf is`);
  }
  // The sub-leaves that sub-leaf 0 would shadow without KVM_CPUID_FLAG_SIGNIFCANT_INDEX are there.
  for (const leaf of ['4.1', '4.2', '4.3', '7.1', '7.2'])
    assert.ok(
      resolved.some((r) => r.leaf === leaf),
      leaf,
    );
});

test('the host report and snapshot carry TDX, and --from replays it', { skip }, () => {
  const { result, p } = run('tdx-1.5-linux-6.16', ['snapshot']);
  assert.equal(result.status, 0, result.stderr);
  const file = join(p.root, 'snapshot.json');
  writeFileSync(file, result.stdout);
  const replay = runCli(['tdx', '--json', '--from', file]);
  assert.equal(replay.status, 0, replay.stderr);
  assert.equal(JSON.parse(replay.stdout).technologies[0].verdict.usable, true);
  const text = runCli(['--from', file]);
  assert.match(text.stdout, /^Intel TDX$/m);
  assert.match(text.stdout, /Verdict\s+usable/);
});

test('--kernel-log reads a saved dmesg instead of /dev/kmsg', { skip }, () => {
  const { p } = run('tdx-module-init-failed', ['snapshot']);
  const dmesg = join(p.root, 'dmesg.txt');
  writeFileSync(
    dmesg,
    '[    5.000000] virt/tdx: BIOS enabled: private KeyID range [32, 64)\n[    9.100000] virt/tdx: module ' +
      'initialized\n',
  );
  const result = runCli(['tdx', '--json', '--root', p.root, '--device', p.kvmDevice, '--kernel-log', dmesg], {
    env: p.env,
  });
  const view = JSON.parse(result.stdout);
  assert.equal(view.moduleState.value.state, 'initialized');
  assert.deepEqual(view.privateKeyIds.value, { start: 32, end: 64, count: 32, guestKeyIds: 31 });
});
