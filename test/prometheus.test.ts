// Prometheus metrics for node_exporter's textfile collector: `promtool check metrics` (Debian's
// prometheus package) accepts the output for every fixture, whose readiness checks (runChecks)
// are the one source of the capable / enabled / usable samples, and the samples say what the
// fixtures record. Without promtool the promtool tests skip,
// except under CI=true, where they fail.
import { isKnown } from '../lib/decode/sourced.js';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { test, type TestContext } from 'node:test';
import { runChecks } from '../lib/check/run.js';
import { TECHNOLOGIES, type CheckReport } from '../lib/check/types.js';
import { decodeSnapshot as buildReport, type HostModel as Report } from '../lib/decode/model.js';
import { prometheusMetrics } from '../lib/render/prometheus.js';
import type { Snapshot } from '../lib/snapshot/types.js';
import { fixtureNames, fixtureSnapshot as snapshot } from './helpers/fixtures.js';
import { need } from './helpers/requirements.js';

const names = fixtureNames();
const report = (name: string): Report => buildReport(snapshot(name));
/** The readiness checks of every technology, from a snapshot. */
const checksOf = (s: Snapshot): CheckReport => runChecks(s, [...TECHNOLOGIES]);
/** The metrics of a snapshot: its report and its check report. */
const metricsOf = (s: Snapshot): string => prometheusMetrics(buildReport(s), checksOf(s));
/** The metrics of a fixture. */
const metrics = (name: string): string => metricsOf(snapshot(name));

const needPromtool = (t: TestContext): boolean => need(t, 'promtool');

function check(text: string, what: string): void {
  const result = spawnSync('promtool', ['check', 'metrics'], { input: text, encoding: 'utf8' });
  assert.equal(
    result.status,
    0,
    `promtool check metrics rejects ${what} (exit ${result.status}):\n${result.stdout}${result.stderr}`,
  );
  assert.equal(`${result.stdout}${result.stderr}`.trim(), '', `promtool has lint remarks on ${what}`);
}

interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

/** A strict reading of the text format: HELP and TYPE before a family's samples, no timestamps, no duplicate series. */
function parse(text: string): Sample[] {
  const samples: Sample[] = [];
  const typed = new Set<string>();
  const helped = new Set<string>();
  const series = new Set<string>();
  for (const line of text.trimEnd().split('\n')) {
    let m = /^# HELP ([a-zA-Z_:][a-zA-Z0-9_:]*) (.+)$/.exec(line);
    if (m) {
      assert.ok(!helped.has(m[1]!), `HELP twice for ${m[1]}`);
      helped.add(m[1]!);
      continue;
    }
    m = /^# TYPE ([a-zA-Z_:][a-zA-Z0-9_:]*) (gauge)$/.exec(line);
    if (m) {
      typed.add(m[1]!);
      continue;
    }
    m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    assert.ok(m, `not a sample (or has a timestamp, which the textfile collector refuses): ${line}`);
    const [, name, labelText, value] = m as unknown as [string, string, string | undefined, string];
    assert.ok(name.startsWith('kvm_caps_'), name);
    assert.ok(typed.has(name) && helped.has(name), `${name} has a sample before its HELP and TYPE`);
    const labels: Record<string, string> = {};
    for (const [, key, raw] of (labelText ?? '').matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g))
      labels[key!] = raw!;
    const key = `${name}${JSON.stringify(labels)}`;
    assert.ok(!series.has(key), `duplicate series ${key}`);
    series.add(key);
    assert.ok(!Number.isNaN(Number(value)), `value ${value}`);
    samples.push({ name, labels, value: Number(value) });
  }
  return samples;
}

function value(samples: Sample[], name: string, labels: Record<string, string> = {}): number | undefined {
  return samples.find(
    (s) => s.name === `kvm_caps_${name}` && Object.entries(labels).every(([k, v]) => s.labels[k] === v),
  )?.value;
}

test('promtool check metrics accepts the metrics of every fixture', (t) => {
  if (!needPromtool(t)) return;
  for (const name of names) check(metrics(name), name);
});

test('promtool check metrics accepts them with the check outcome: exactly one outcome is 1', (t) => {
  if (!needPromtool(t)) return;
  for (const name of names) {
    const text = metrics(name);
    check(text, `${name} with checks`);
    const samples = parse(text);
    assert.equal(
      ['ready', 'not-ready', 'unknown'].reduce(
        (n, outcome) => n + (value(samples, 'check_outcome', { outcome }) ?? 0),
        0,
      ),
      1,
      'exactly one outcome is 1',
    );
  }
});

test('label values are escaped: a kernel release with quotes, a backslash and a newline', (t) => {
  const s = snapshot('tdx-usable-6.16');
  s.host.kernelRelease = { source: { file: '/proc/sys/kernel/osrelease' }, value: '6.16 "odd"\\build\nline' };
  const text = metricsOf(s);
  assert.ok(text.includes('kvm_caps_kernel_info{release="6.16 \\"odd\\"\\\\build\\nline"} 1'), text);
  if (needPromtool(t)) check(text, 'an odd kernel release');
});

test('every fixture parses strictly: HELP and TYPE first, no timestamps, no duplicate series', () => {
  for (const name of names) parse(metrics(name));
});

test('every fixture: technology_capable / enabled / usable are the check verdicts, null ones undetermined', () => {
  for (const name of names) {
    const s = snapshot(name);
    const c = checksOf(s);
    const samples = parse(prometheusMetrics(buildReport(s), c));
    assert.deepEqual(
      c.technologies.map((t) => t.technology),
      [...TECHNOLOGIES],
    );
    for (const { technology, verdict } of c.technologies) {
      for (const state of ['capable', 'enabled', 'usable'] as const) {
        const v = verdict[state];
        assert.equal(
          value(samples, `technology_${state}`, { technology }),
          v === null ? undefined : Number(v),
          `${name}: ${technology} ${state}`,
        );
        assert.equal(
          value(samples, 'technology_undetermined', { technology, state }),
          v === null ? 1 : 0,
          `${name}: ${technology} ${state} undetermined`,
        );
      }
    }
  }
});

test('TDX host: usable, TD keys capacity / in use / free, probe success, snapshot time', () => {
  const samples = parse(metrics('tdx-usable-6.16'));
  assert.equal(value(samples, 'probe_success'), 1);
  assert.equal(value(samples, 'technology_usable', { technology: 'tdx' }), 1);
  assert.equal(value(samples, 'technology_usable', { technology: 'snp' }), 0);
  assert.equal(value(samples, 'vm_type_offered', { vm_type: 'tdx' }), 1);
  assert.equal(value(samples, 'guest_keys_capacity', { resource: 'tdx' }), 63);
  assert.equal(value(samples, 'guest_keys_in_use', { resource: 'tdx' }), 2);
  assert.equal(value(samples, 'guest_keys_free', { resource: 'tdx' }), 61);
  assert.equal(value(samples, 'kvm_api_version'), 12);
  assert.equal(value(samples, 'snapshot_timestamp_seconds'), Date.parse('2026-11-01T12:00:00.000Z') / 1000);
  assert.equal(value(samples, 'build_info', { version: '0.1.0' }), 1);
});

test('TDX module version as an info metric', () => {
  const r = report('tdx-init-vm-refused-7.2');
  assert.ok(isKnown(r.confidential.tdx.moduleVersion));
  const samples = parse(prometheusMetrics(r, checksOf(snapshot('tdx-init-vm-refused-7.2'))));
  assert.equal(value(samples, 'tdx_module_info', { version: r.confidential.tdx.moduleVersion.value.text }), 1);
});

test('SNP host: firmware info, TCB, ASIDs for sev and sev_es', () => {
  const samples = parse(metrics('sev-snp-genoa-6.11'));
  assert.equal(value(samples, 'snp_firmware_info', { version: '1.55.43', api: '1.55', build: '43' }), 1);
  assert.equal(value(samples, 'sev_firmware_info', { version: '1.55.43' }), 1);
  assert.equal(value(samples, 'snp_tcb_match'), 1);
  assert.equal(value(samples, 'guest_keys_free', { resource: 'sev' }), 907);
  assert.equal(value(samples, 'guest_keys_free', { resource: 'sev_es' }), 98);
  for (const technology of ['sev', 'sev-es', 'snp'])
    assert.equal(value(samples, 'technology_usable', { technology }), 1, technology);
});

test('SNP TCB not committed: snp_tcb_match 0', () => {
  const samples = parse(metrics('sev-milan-tcb-mismatch-6.11'));
  assert.equal(value(samples, 'snp_tcb_match'), 0);
});

test('undetermined: no 0/1 sample, and technology_undetermined says so', () => {
  const samples = parse(metrics('tdx-host'));
  assert.equal(value(samples, 'technology_usable', { technology: 'tdx' }), undefined);
  assert.equal(value(samples, 'technology_undetermined', { technology: 'tdx', state: 'usable' }), 1);
  assert.equal(value(samples, 'technology_undetermined', { technology: 'kvm', state: 'usable' }), 0);
});

test('no KVM device: probe_success 0, KVM not usable', () => {
  const samples = parse(metrics('no-kvm-guest'));
  assert.equal(value(samples, 'probe_success'), 0);
  assert.equal(value(samples, 'technology_usable', { technology: 'kvm' }), 0);
  assert.equal(value(samples, 'kvm_api_version'), undefined);
});
