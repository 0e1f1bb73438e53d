// `kvm-caps diff`: differences between fixture pairs, most readiness-relevant first, each with
// both values and both sources; what matters decides the exit code (0 agree, 1 differ), and an
// unreadable file is a file error.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { after, test } from 'node:test';
import { diffCommand } from '../lib/cli/commands/diff.js';
import { EXIT, type Values } from '../lib/cli/context.js';
import { DIFF_CATEGORIES, diffSnapshots, type SnapshotDiff } from '../lib/compare/diff.js';
import { renderDiff } from '../lib/render/diff.js';
import { plainStyle } from '../lib/render/style.js';
import { SnapshotFileError } from '../lib/snapshot/load.js';
import { KVM_CAPABILITIES } from '../lib/knowledge/capabilities.js';
import { runCli } from './helpers/cli.js';
import { fixturePath as fixture, fixtureSnapshot as snapshot } from './helpers/fixtures.js';

const dir = mkdtempSync(join(tmpdir(), 'kvm-caps-diff-'));
after(() => rmSync(dir, { recursive: true, force: true }));

function sink(): { stream: Writable; text: () => string } {
  let text = '';
  const stream = new Writable({
    write(chunk, _encoding, done) {
      text += String(chunk);
      done();
    },
  });
  return { stream, text: () => text };
}

async function runDiff(args: string[], values: Values = {}): Promise<{ status: number; stdout: string }> {
  const out = sink();
  const err = sink();
  const status = await diffCommand.run({
    values,
    args,
    io: { stdout: out.stream, stderr: err.stream },
    style: plainStyle,
  });
  return { status, stdout: out.text() };
}

/** Whether main.ts has the diff command yet (it is registered by hand). */
const registered = (): boolean => !runCli(['diff', '--help']).stderr.includes('unknown command');

function assertOrdered(diff: SnapshotDiff): void {
  const ranks = diff.differences.map((d) => DIFF_CATEGORIES.indexOf(d.category));
  assert.ok(ranks.every((r) => r >= 0));
  assert.deepEqual(
    ranks,
    [...ranks].sort((x, y) => x - y),
    'differences are listed by category, most relevant first',
  );
  for (const d of diff.differences) {
    for (const side of [d.a, d.b]) {
      assert.equal(typeof side.text, 'string', d.key);
      assert.ok(side.source.length > 0, `${d.key}: every side names its source`);
    }
    assert.notDeepEqual([d.a.value, d.a.text], [d.b.value, d.b.text], `${d.key} is not a difference`);
  }
  assert.equal(diff.counts.differences, diff.differences.length);
  assert.equal(diff.counts.matter, diff.differences.filter((d) => d.matters).length);
  assert.equal(diff.agree, diff.counts.matter === 0);
}

test('one snapshot against itself: no differences, they agree', () => {
  for (const name of ['tdx-usable-6.16', 'sev-snp-genoa-6.11', 'no-kvm-guest', 'sev-legacy-6.6']) {
    const diff = diffSnapshots(snapshot(name), snapshot(name));
    assert.equal(diff.counts.differences, 0, `${name}: ${JSON.stringify(diff.differences.slice(0, 3))}`);
    assert.equal(diff.agree, true);
  }
});

test('TDX usable vs TDX module initialisation failed: the VM type first, then the verdicts', () => {
  const diff = diffSnapshots(snapshot('tdx-usable-6.16'), snapshot('tdx-module-init-failed'));
  assertOrdered(diff);
  assert.equal(diff.agree, false);
  const first = diff.differences[0]!;
  assert.equal(first.key, 'vm-type.TDX');
  assert.equal(first.category, 'vm-types');
  assert.equal(first.matters, true);
  assert.deepEqual([first.a.value, first.b.value], [true, false]);
  assert.match(first.a.source, /KVM_CHECK_EXTENSION/);
  const usable = diff.differences.find((d) => d.key === 'tdx.usable');
  assert.ok(usable?.matters);
  assert.deepEqual([usable.a.value, usable.b.value], [true, false]);
  const state = diff.differences.find((d) => d.key === 'tdx.module-state');
  assert.deepEqual([state?.a.value, state?.b.value], ['initialized', 'failed']);
  const parameter = diff.differences.find((d) => d.key === 'param.kvm_intel.tdx');
  assert.deepEqual([parameter?.a.value, parameter?.b.value, parameter?.matters], ['Y', 'N', true]);
  const release = diff.differences.find((d) => d.key === 'kernel.release');
  assert.equal(release?.matters, false, 'the kernel release alone does not decide readiness');
});

test('two SNP hosts: firmware and TCB versions matter; CPU model and microcode do not', () => {
  const diff = diffSnapshots(snapshot('sev-snp-genoa-6.11'), snapshot('sev-turin-7.2-snp-asids-in-use'));
  assertOrdered(diff);
  const byKey = new Map(diff.differences.map((d) => [d.key, d]));
  assert.equal(byKey.get('snp.firmware')?.matters, true);
  assert.deepEqual([byKey.get('snp.firmware')?.a.value, byKey.get('snp.firmware')?.b.value], ['1.55.43', '1.58.0']);
  assert.equal(byKey.get('snp.tcb.current')?.matters, true);
  assert.equal(byKey.get('snp.usable')?.matters, true);
  assert.equal(byKey.get('cpu.model')?.matters, false);
  assert.equal(byKey.get('cpu.microcode')?.matters, false);
  const versions = diff.differences.findIndex((d) => d.category === 'versions');
  const other = diff.differences.findIndex((d) => d.category === 'other');
  assert.ok(versions >= 0 && other > versions);
});

test('swapping A and B swaps the sides and nothing else', () => {
  const ab = diffSnapshots(snapshot('tdx-usable-6.16'), snapshot('tdx-prerequisite-off'));
  const ba = diffSnapshots(snapshot('tdx-prerequisite-off'), snapshot('tdx-usable-6.16'));
  assert.deepEqual(
    new Set(ab.differences.map((d) => `${d.key} ${JSON.stringify(d.a)} ${JSON.stringify(d.b)} ${d.matters}`)),
    new Set(ba.differences.map((d) => `${d.key} ${JSON.stringify(d.b)} ${JSON.stringify(d.a)} ${d.matters}`)),
  );
});

test('--deep results one host lacks: listed, but a host that was not asked has not disagreed', () => {
  const deep = snapshot('sev-root-only');
  assert.ok(deep.kvm.sevInit2 !== undefined);
  const shallow = structuredClone(deep);
  delete shallow.kvm.sevInit2;
  const diff = diffSnapshots(deep, shallow);
  const init2 = diff.differences.filter((d) => d.key.startsWith('sev.init2.'));
  assert.ok(init2.length > 0);
  assert.ok(init2.every((d) => !d.matters));
});

test('CPUID: a feature only one host offers is a difference that does not matter', () => {
  const a = snapshot('tdx-usable-6.16');
  const b = structuredClone(a);
  const cpuid = b.kvm.supportedCpuid;
  assert.ok(cpuid !== undefined && 'value' in cpuid);
  const leaf7 = cpuid.value.find((e) => e.function === 7 && e.index === 0);
  assert.ok(leaf7);
  leaf7.ebx &= ~(1 << 16); // avx512f
  const diff = diffSnapshots(a, b);
  const avx = diff.differences.find((d) => d.key === 'cpuid.avx512f');
  assert.deepEqual([avx?.a.value, avx?.b.value, avx?.b.text, avx?.matters], [true, false, 'not offered', false]);
  assert.equal(diff.agree, true);
  assert.match(renderDiff(diff, plainStyle), /A offered, B not offered: .*avx512f/);
});

test('a capability one host lacks matters (for the capabilities the report shows)', () => {
  const a = snapshot('tdx-usable-6.16');
  const b = structuredClone(a);
  const caps = b.kvm.capabilities?.system;
  assert.ok(caps !== undefined && 'value' in caps);
  const sysAttributes = String(KVM_CAPABILITIES.find(([name]) => name === 'KVM_CAP_SYS_ATTRIBUTES')?.[1]);
  assert.equal(caps.value[sysAttributes], 1);
  caps.value[sysAttributes] = 0;
  const diff = diffSnapshots(a, b);
  assert.equal(diff.differences.find((d) => d.key === 'cap.KVM_CAP_SYS_ATTRIBUTES.system')?.matters, true);
});

test('the command: exit 0 when they agree, 1 (notReady) when they differ where it matters; --json', async () => {
  const same = await runDiff([fixture('tdx-usable-6.16'), fixture('tdx-usable-6.16')]);
  assert.equal(same.status, EXIT.ok);
  assert.match(same.stdout, /agree on everything/);
  const differ = await runDiff([fixture('tdx-usable-6.16'), fixture('tdx-module-init-failed')], { json: true });
  assert.equal(differ.status, EXIT.notReady);
  const document = JSON.parse(differ.stdout) as SnapshotDiff;
  assert.equal(document.format, 'kvm-caps-diff');
  assert.equal(document.agree, false);
  const text = await runDiff([fixture('tdx-usable-6.16'), fixture('tdx-module-init-failed')]);
  assert.match(text.stdout, /^! KVM_X86_TDX_VM \(5\)$/m);
  assert.match(text.stdout, /^ {6}A: offered$/m);
});

test('the command: an unreadable or invalid file is a snapshot file error (exit 4 from main)', async () => {
  await assert.rejects(runDiff([join(dir, 'missing.json'), fixture('tdx-usable-6.16')]), SnapshotFileError);
  const bad = join(dir, 'bad.json');
  writeFileSync(bad, '{"format": "kvm-caps-snapshot", "version": 1}');
  await assert.rejects(runDiff([fixture('tdx-usable-6.16'), bad]), SnapshotFileError);
  assert.deepEqual(diffCommand.args, { min: 2, max: 2 });
});

test('kvm-caps diff as a subprocess, once main.ts registers it', (t) => {
  if (!registered()) {
    t.skip('diff is not registered in lib/cli/main.ts yet');
    return;
  }
  assert.equal(runCli(['diff', fixture('tdx-usable-6.16'), fixture('tdx-usable-6.16')]).status, EXIT.ok);
  assert.equal(runCli(['diff', fixture('tdx-usable-6.16'), fixture('tdx-module-init-failed')]).status, EXIT.notReady);
  assert.equal(runCli(['diff', join(dir, 'missing.json'), fixture('tdx-usable-6.16')]).status, EXIT.file);
  assert.equal(runCli(['diff', fixture('tdx-usable-6.16')]).status, EXIT.usage);
});
