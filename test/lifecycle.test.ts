// The confidential-VM launch vocabulary: every technology has every step once, each KVM
// sub-command is one of lib/knowledge's (which test/abi.test.ts checks against the 7.2 headers) and
// of the right family, the steps say what amd-memory-encryption.rst and intel-tdx.rst say,
// lifecycleFor() reads each fixture's support correctly, and technologyStates() are the
// readiness checks' verdicts (runChecks, the one source of capable / enabled / usable).
import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { test } from 'node:test';
import { runChecks } from '../lib/check/run.js';
import { TECHNOLOGIES, type CheckReport } from '../lib/check/types.js';
import { lifecycleCommand } from '../lib/cli/commands/lifecycle.js';
import { EXIT } from '../lib/cli/context.js';
import {
  LIFECYCLES,
  LIFECYCLE_STEPS,
  lifecycleFor,
  technologyStates,
  type LifecycleReport,
  type LifecycleStep,
  type LifecycleSupport,
  type LifecycleTechnology,
} from '../lib/compare/lifecycle.js';
import { decodeSnapshot as buildReport, type HostModel as Report } from '../lib/decode/model.js';
import { renderLifecycle } from '../lib/render/lifecycle.js';
import { plainStyle } from '../lib/render/style.js';
import {
  CONFIDENTIAL_LAUNCH_IOCTLS,
  KVM_SEV_COMMANDS,
  KVM_TDX_COMMANDS,
} from '../lib/knowledge/confidential-commands.js';
import { KVM_X86_VM_TYPES } from '../lib/knowledge/x86.js';
import { fixturePath as fixture, fixtureSnapshot as snapshot } from './helpers/fixtures.js';

const report = (name: string): Report => buildReport(snapshot(name));
/** The readiness checks of every technology, from the same fixture snapshot. */
const checks = (name: string): CheckReport => runChecks(snapshot(name), [...TECHNOLOGIES]);
/** lifecycleFor() of a fixture, with its check report. */
const lifecycleOf = (name: string): LifecycleReport => lifecycleFor(report(name), checks(name));

function flow(technology: LifecycleTechnology) {
  const found = LIFECYCLES.find((f) => f.technology === technology);
  assert.ok(found, technology);
  return found;
}

function stepOf(technology: LifecycleTechnology, id: LifecycleStep['step']): LifecycleStep {
  const found = flow(technology).steps.find((s) => s.step === id);
  assert.ok(found, `${technology} ${id}`);
  return found;
}

const commands = (s: LifecycleStep): string[] => s.calls.flatMap((c) => (c.command === undefined ? [] : [c.command]));

function support(r: LifecycleReport, technology: LifecycleTechnology): LifecycleSupport {
  const found = r.technologies.find((t) => t.technology === technology);
  assert.ok(found, technology);
  return found;
}

test('every technology has every step exactly once, numbered in call order', () => {
  assert.deepEqual(
    LIFECYCLES.map((f) => f.technology),
    ['sev', 'sev-es', 'snp', 'tdx'],
  );
  for (const f of LIFECYCLES) {
    assert.deepEqual(f.steps.map((s) => s.step).sort(), [...LIFECYCLE_STEPS].sort(), f.technology);
    const sequence = f.steps.map((s) => s.sequence);
    assert.ok(
      sequence.every((n) => Number.isInteger(n) && n >= 1),
      f.technology,
    );
    for (const s of f.steps) {
      assert.ok(s.note.length > 0 && s.reference.length > 0, `${f.technology} ${s.step}`);
      if (s.by === 'host')
        assert.ok(
          s.calls.length > 0 || s.step === 'init-vcpus',
          `${f.technology} ${s.step}: a host step names its KVM call`,
        );
    }
  }
});

test("every sub-command is lib/knowledge's, with its id, and of its technology's family", () => {
  const sev = new Map(KVM_SEV_COMMANDS.map(([n, id]) => [n, id]));
  const tdx = new Map(KVM_TDX_COMMANDS.map(([n, id]) => [n, id]));
  const ioctls = new Map(CONFIDENTIAL_LAUNCH_IOCTLS.map(([n, r]) => [n, r]));
  const vmTypes = new Map(KVM_X86_VM_TYPES.map(([n, t]) => [n, t]));
  for (const f of LIFECYCLES) {
    assert.equal(vmTypes.get(f.vmType.name), f.vmType.number, f.technology);
    const family = f.technology === 'tdx' ? tdx : sev;
    for (const s of f.steps) {
      for (const call of s.calls) {
        if (call.fd === 'guest') continue;
        assert.equal(ioctls.get(call.call), call.request, `${call.call} request number`);
        if (call.command !== undefined)
          assert.equal(family.get(call.command), call.id, `${f.technology} ${s.step}: ${call.command}`);
        if (call.vmType !== undefined) assert.equal(vmTypes.get(call.vmType), call.vmTypeNumber);
      }
    }
  }
});

test(
  'SEV and SEV-ES: INIT2 + LAUNCH_START, UPDATE_DATA, (ES) UPDATE_VMSA, MEASURE before FINISH, ' +
    'GET_ATTESTATION_REPORT',
  () => {
    for (const tech of ['sev', 'sev-es'] as const) {
      assert.deepEqual(commands(stepOf(tech, 'init-vm')), ['KVM_SEV_INIT2', 'KVM_SEV_LAUNCH_START']);
      assert.ok(stepOf(tech, 'init-vm').firmware.some((f) => f.startsWith('LAUNCH_START')));
      assert.deepEqual(commands(stepOf(tech, 'add-memory')), ['KVM_SEV_LAUNCH_UPDATE_DATA']);
      assert.deepEqual(commands(stepOf(tech, 'measurement')), ['KVM_SEV_LAUNCH_MEASURE']);
      assert.deepEqual(commands(stepOf(tech, 'finalize')), ['KVM_SEV_LAUNCH_FINISH']);
      assert.ok(
        stepOf(tech, 'measurement').sequence < stepOf(tech, 'finalize').sequence,
        'the measurement is taken before LAUNCH_FINISH',
      );
      assert.deepEqual(commands(stepOf(tech, 'attestation')), ['KVM_SEV_GET_ATTESTATION_REPORT']);
    }
    assert.deepEqual(commands(stepOf('sev-es', 'init-vcpus')), ['KVM_SEV_LAUNCH_UPDATE_VMSA']);
    assert.deepEqual(stepOf('sev-es', 'init-vcpus').firmware, ['LAUNCH_UPDATE_VMSA']);
    assert.deepEqual(commands(stepOf('sev', 'init-vcpus')), [], 'SEV has no encrypted register state');
    assert.equal(flow('sev').vmType.name, 'KVM_X86_SEV_VM');
    assert.equal(flow('sev-es').vmType.name, 'KVM_X86_SEV_ES_VM');
  },
);

test(
  'SNP: SNP_LAUNCH_START / UPDATE / FINISH (VMSAs inside FINISH), measurement in the report, certificates via ' +
    'ENABLE_REQ_CERTS',
  () => {
    assert.deepEqual(commands(stepOf('snp', 'init-vm')), ['KVM_SEV_INIT2', 'KVM_SEV_SNP_LAUNCH_START']);
    assert.ok(stepOf('snp', 'init-vm').firmware.some((f) => f.startsWith('SNP_LAUNCH_START')));
    assert.deepEqual(commands(stepOf('snp', 'add-memory')), ['KVM_SEV_SNP_LAUNCH_UPDATE']);
    assert.ok(
      stepOf('snp', 'add-memory').calls.some((c) => c.call === 'KVM_SET_MEMORY_ATTRIBUTES'),
      'the range is made private first',
    );
    assert.deepEqual(commands(stepOf('snp', 'finalize')), ['KVM_SEV_SNP_LAUNCH_FINISH']);
    assert.deepEqual(commands(stepOf('snp', 'init-vcpus')), ['KVM_SEV_SNP_LAUNCH_FINISH']);
    assert.equal(stepOf('snp', 'measurement').calls.length, 0);
    assert.equal(stepOf('snp', 'measurement').by, 'guest');
    assert.ok(commands(stepOf('snp', 'attestation')).includes('KVM_SEV_SNP_ENABLE_REQ_CERTS'));
    assert.ok(stepOf('snp', 'attestation').calls.some((c) => c.fd === 'guest' && c.call.includes('MSG_REPORT_REQ')));
    assert.equal(stepOf('snp', 'finalize').calls[0]?.id, 102);
  },
);

test(
  'TDX: INIT_VM (TDH.MNG.CREATE..TDH.MNG.INIT), INIT_VCPU before INIT_MEM_REGION, FINALIZE_VM, MRTD in ' +
    'TDREPORT, GetQuote',
  () => {
    assert.deepEqual(commands(stepOf('tdx', 'init-vm')), ['KVM_TDX_INIT_VM']);
    const init = stepOf('tdx', 'init-vm').firmware.join(' ');
    assert.match(init, /TDH\.MNG\.CREATE.*TDH\.MNG\.INIT/);
    assert.deepEqual(commands(stepOf('tdx', 'init-vcpus')), ['KVM_TDX_INIT_VCPU']);
    assert.deepEqual(commands(stepOf('tdx', 'add-memory')), ['KVM_TDX_INIT_MEM_REGION']);
    assert.ok(
      stepOf('tdx', 'init-vcpus').sequence < stepOf('tdx', 'add-memory').sequence,
      'intel-tdx.rst: create vCPUs, then initialise memory',
    );
    assert.deepEqual(stepOf('tdx', 'finalize').firmware, ['TDH.MR.FINALIZE']);
    assert.equal(stepOf('tdx', 'measurement').by, 'guest');
    assert.match(stepOf('tdx', 'measurement').note, /MRTD/);
    assert.ok(stepOf('tdx', 'attestation').calls.some((c) => c.call === 'TDG.VP.VMCALL<GetQuote>'));
    assert.ok(stepOf('tdx', 'create').calls.some((c) => c.call === 'KVM_CREATE_VM' && c.vmTypeNumber === 5));
  },
);

test('lifecycleFor: a TDX host supports TDX only; quoting needs SGX, which the fixture CPU shows or not', () => {
  const r = report('tdx-usable-6.16');
  const lifecycle = lifecycleFor(r, checks('tdx-usable-6.16'));
  assert.equal(lifecycle.format, 'kvm-caps-lifecycle');
  assert.equal(support(lifecycle, 'tdx').supported, true);
  for (const tech of ['sev', 'sev-es', 'snp'] as const) assert.equal(support(lifecycle, tech).supported, false, tech);
  const attestation = support(lifecycle, 'tdx').steps.find((s) => s.step === 'attestation');
  const cpu = r.host.cpu;
  assert.ok('value' in cpu);
  assert.equal(attestation?.available, cpu.value.flags.includes('sgx') ? true : null);
  assert.match(attestation?.why ?? '', /SGX|sgx/);
});

test('lifecycleFor: a TDX VM type KVM offers but was not probed is "unknown", not "no"', () => {
  assert.equal(support(lifecycleOf('tdx-host'), 'tdx').supported, null);
});

test('lifecycleFor: SNP host on the INIT2 interface; --deep INIT2 results decide init-vm', () => {
  const lifecycle = lifecycleOf('sev-snp-genoa-6.11');
  for (const tech of ['sev', 'sev-es', 'snp'] as const) {
    const t = support(lifecycle, tech);
    assert.equal(t.supported, true, tech);
    assert.equal(t.steps.find((s) => s.step === 'init-vm')?.available, true);
  }
  assert.equal(support(lifecycle, 'sev').interface, 'init2');
  assert.equal(support(lifecycle, 'tdx').supported, false);
});

test('lifecycleFor: SNP INIT2 refused (every SNP ASID in use): SNP not supported, with the reason', () => {
  const snp = support(lifecycleOf('sev-turin-7.2-snp-asids-in-use'), 'snp');
  assert.equal(snp.supported, false);
  // The reason is the check verdict's: no free SNP ASID, which is why the --deep KVM_SEV_INIT2 failed with EBUSY.
  assert.match(snp.summary, /ASID/);
  assert.equal(
    snp.summary,
    checks('sev-turin-7.2-snp-asids-in-use').technologies.find((t) => t.technology === 'snp')?.verdict.summary,
  );
  const attestation = snp.steps.find((s) => s.step === 'attestation');
  assert.ok(attestation);
});

test('lifecycleFor: a 6.6 kernel uses the legacy KVM_SEV_INIT / KVM_SEV_ES_INIT on a default VM; no SNP', () => {
  const lifecycle = lifecycleOf('sev-legacy-6.6');
  const sev = support(lifecycle, 'sev');
  assert.equal(sev.interface, 'legacy');
  assert.equal(sev.supported, true);
  assert.equal(sev.vmType.name, 'KVM_X86_DEFAULT_VM');
  assert.deepEqual(commands(sev.steps.find((s) => s.step === 'init-vm')!), ['KVM_SEV_INIT', 'KVM_SEV_LAUNCH_START']);
  assert.deepEqual(commands(support(lifecycle, 'sev-es').steps.find((s) => s.step === 'init-vm')!), [
    'KVM_SEV_ES_INIT',
    'KVM_SEV_LAUNCH_START',
  ]);
  assert.equal(support(lifecycle, 'snp').supported, false);
});

test('technologyStates: capable / enabled / usable for every technology, the check verdicts', () => {
  for (const name of ['tdx-usable-6.16', 'sev-snp-genoa-6.11', 'no-kvm-guest', 'no-permission']) {
    const c = checks(name);
    const states = technologyStates(c);
    assert.deepEqual(
      states.map((s) => s.technology),
      ['kvm', 'tdx', 'sev', 'sev-es', 'snp'],
    );
    for (const s of states) {
      if (s.usable === true)
        assert.deepEqual(
          [s.capable, s.enabled],
          [true, true],
          `${name} ${s.technology}: usable implies capable and enabled`,
        );
      const verdict = c.technologies.find((t) => t.technology === s.technology)?.verdict;
      assert.ok(verdict, `${name} ${s.technology}`);
      const { capable, enabled, usable, summary } = s;
      assert.deepEqual(
        { capable, enabled, usable, summary },
        verdict,
        `${name} ${s.technology}: the check report's verdict`,
      );
    }
  }
  // EACCES on /dev/kvm for uid 1000: kvm.device.access FAILs (this user cannot start a guest,
  // a fact about the user), while kvm.api.version could not be asked (UNKNOWN, needs the kvm
  // group): usable is "no" for this user, enabled "could not tell"; vmx is present.
  const noPermission = technologyStates(checks('no-permission')).find((s) => s.technology === 'kvm');
  assert.deepEqual([noPermission?.capable, noPermission?.enabled, noPermission?.usable], [true, null, false]);
});

test('technologyStates: only the technologies the check report covers, in its order', () => {
  const states = technologyStates(runChecks(snapshot('sev-snp-genoa-6.11'), ['snp', 'kvm']));
  assert.deepEqual(
    states.map((t) => t.technology),
    ['snp', 'kvm'],
  );
});

test('the command: text and --json from a saved snapshot', async () => {
  let out = '';
  const stdout = new Writable({
    write(chunk, _e, done) {
      out += String(chunk);
      done();
    },
  });
  const stderr = new Writable({ write: (_c, _e, done) => done() });
  const status = await lifecycleCommand.run({
    values: { json: true, from: fixture('sev-snp-genoa-6.11') },
    args: [],
    io: { stdout, stderr },
    style: plainStyle,
  });
  assert.equal(status, EXIT.ok);
  const document = JSON.parse(out) as LifecycleReport;
  assert.equal(document.format, 'kvm-caps-lifecycle');
  assert.equal(document.technologies.length, 4);
  const text = renderLifecycle(lifecycleOf('tdx-usable-6.16'), plainStyle);
  assert.match(text, /KVM_MEMORY_ENCRYPT_OP\(KVM_TDX_INIT_VM = 1\)/);
  assert.match(text, /firmware: TDH\.MNG\.CREATE/);
  assert.deepEqual(lifecycleCommand.args, { min: 0, max: 0 });
  assert.ok(lifecycleCommand.accepts.includes('from') && lifecycleCommand.accepts.includes('json'));
});
