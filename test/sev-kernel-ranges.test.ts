// SEV and SNP judged by what each kernel range really does (issue items on VM types by
// release, messages by release, AMD-SB-3023, cpuinfo flags, log lines, snphost/sevctl parity,
// the PSP's sysfs facts and the read-only promise): each test is built on a fixture, or on a
// fixture changed in the one fact the rule is about, so that the rule is the only thing that moves.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { flattenChecks, runChecks } from '../lib/check/run.js';
import type { CheckResult, Technology } from '../lib/check/types.js';
import { sevView, type SevItem, type SevView } from '../lib/decode/sev.js';
import type { Snapshot } from '../lib/snapshot/types.js';
import { fixtureSnapshot } from './helpers/fixtures.js';

const fixture = (name: string): Snapshot => fixtureSnapshot(name);
const copy = (name: string): Snapshot => structuredClone(fixture(name));

function item(v: SevView, id: string): SevItem {
  const found = v.items.find((i) => i.id === id);
  assert.ok(found, `item ${id} (have ${v.items.map((i) => i.id).join(', ')})`);
  return found;
}

function check(snapshot: Snapshot, technology: Technology, id: string): CheckResult {
  const t = runChecks(snapshot, [technology]).technologies.find((x) => x.technology === technology);
  assert.ok(t, technology);
  const found = flattenChecks(t.checks).find((c) => c.id === id);
  assert.ok(found, `${id} in ${flattenChecks(t.checks).map((c) => c.id).join(', ')}`);
  return found;
}

/** A contradiction's status; the run lists only the WARN and FAIL ones, so absent means PASS. */
function cross(snapshot: Snapshot, technology: Technology, id: string): string {
  return runChecks(snapshot, [technology]).crossChecks.find((c) => c.id === id)?.status ?? 'PASS';
}

describe('VM types by kernel: KVM_CAP_VM_TYPES since 6.8, the SEV types since 6.10', () => {
  test('6.8 with a mask of 0x1: SEV and SEV-ES use the legacy commands; the rule and the cross-check do not FAIL', () => {
    const s = fixture('sev-no-dev-sev-6.8');
    const v = sevView(s);
    for (const id of ['kvm.vmType.SEV', 'kvm.vmType.SEV_ES']) {
      assert.equal(item(v, id).status, 'info');
      assert.match(item(v, id).meaning ?? '', /KVM_SEV_INIT \/ KVM_SEV_ES_INIT on a default VM/);
    }
    assert.notEqual(check(s, 'sev', 'sev.kvm.vm-type').status, 'FAIL');
    assert.match(check(s, 'sev', 'sev.kvm.vm-type').found, /legacy KVM_SEV_INIT/);
    assert.equal(cross(s, 'sev', 'cross.sev.parameter-vs-vm-type'), 'PASS');
  });

  test('the same mask on 6.10 is SEV off: the rule FAILs', () => {
    const s = copy('sev-no-dev-sev-6.8');
    s.host.kernelRelease = { ...s.host.kernelRelease, value: '6.10.0-generic' } as Snapshot['host']['kernelRelease'];
    assert.equal(item(sevView(s), 'kvm.vmType.SEV').status, 'fail');
    assert.equal(cross(s, 'sev', 'cross.sev.parameter-vs-vm-type'), 'FAIL');
  });
});

describe('cpuinfo flags (early_detect_mem_encrypt, bsp_determine_snp)', () => {
  test('"sme" absent is neither a FAIL nor a BIOS fix: it shows only while SME is active', () => {
    const v = sevView(fixture('sev-snp-genoa-6.11'));
    const sme = item(v, 'cpu.flag.sme');
    assert.equal(sme.status, 'info');
    assert.equal(sme.hint, undefined);
    assert.match(sme.meaning ?? '', /mem_encrypt=on/);
  });
});
