// The node-feature-discovery feature file: every line of every fixture's file follows NFD's
// documented format (local source, docs/usage/customization-guide.md "Input format") and the
// Kubernetes label rules, and the labels say what the fixtures record.
import { isKnown } from '../lib/decode/sourced.js';
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { runChecks } from '../lib/check/run.js';
import { TECHNOLOGIES, type CheckReport } from '../lib/check/types.js';
import { UsageError } from '../lib/cli/context.js';
import { formatOf, renderFleetFormat } from '../lib/cli/formats.js';
import { decodeSnapshot as buildReport, type HostModel as Report } from '../lib/decode/model.js';
import { LABEL_MAX, LABEL_NAME, LABEL_VALUE, NFD_PREFIX, labelValue, nfdFeatures } from '../lib/render/nfd.js';
import { fixtureNames, fixtureSnapshot as snapshot } from './helpers/fixtures.js';

const names = fixtureNames();
const report = (name: string): Report => buildReport(snapshot(name));
/** The readiness checks of every technology, from the same fixture snapshot. */
const checks = (name: string): CheckReport => runChecks(snapshot(name), [...TECHNOLOGIES]);
/** The feature file of a fixture, with its check report. */
const features = (name: string): string => nfdFeatures(report(name), checks(name));

/** A DNS subdomain (RFC 1123), as Kubernetes requires of a label prefix. */
const DNS_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const RFC3339_UTC = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$/;

/** Checks every line against NFD's format; returns the labels. */
function parse(text: string): Map<string, string> {
  assert.ok(text.endsWith('\n'), 'the file ends with a newline');
  assert.ok(Buffer.byteLength(text) < 64 * 1024, 'NFD ignores feature files over 64 kB');
  const labels = new Map<string, string>();
  for (const line of text.slice(0, -1).split('\n')) {
    if (line.startsWith('#')) {
      if (line.startsWith('# +'))
        assert.match(line, /^# \+expiry-time=(.+)$/, `the only directive used is expiry-time: ${line}`);
      continue;
    }
    const m = /^([^/=]+)\/([^=]+)=(.*)$/.exec(line);
    assert.ok(m, `not <namespace>/<name>=<value>: ${JSON.stringify(line)}`);
    const [, prefix, name, value] = m as unknown as [string, string, string, string];
    assert.equal(`${prefix}/`, NFD_PREFIX, line);
    assert.ok(prefix.length <= 253 && DNS_SUBDOMAIN.test(prefix), `prefix ${prefix}`);
    assert.ok(name.length <= LABEL_MAX, `name longer than 63: ${name}`);
    assert.match(name, LABEL_NAME, `label name ${name}`);
    assert.ok(value.length <= LABEL_MAX, `value longer than 63: ${value}`);
    assert.match(value, LABEL_VALUE, `label value ${JSON.stringify(value)} of ${name}`);
    assert.ok(!labels.has(name), `label ${name} given twice`);
    labels.set(name, value);
  }
  return labels;
}

test('every fixture: every line is a comment or a valid NFD feature line with a valid label', () => {
  assert.ok(names.length >= 10);
  for (const name of names) {
    const labels = parse(features(name));
    for (const tech of ['kvm', 'tdx', 'sev', 'sev-es', 'snp']) {
      for (const state of ['capable', 'enabled', 'usable']) {
        assert.match(labels.get(`${tech}.${state}`) ?? '', /^(true|false|unknown)$/, `${name}: ${tech}.${state}`);
      }
    }
  }
});

test('TDX host: usable, the TDX VM type offered, free TD keys, KVM API version', () => {
  const labels = parse(features('tdx-usable-6.16'));
  assert.equal(labels.get('tdx.usable'), 'true');
  assert.equal(labels.get('tdx.enabled'), 'true');
  assert.equal(labels.get('tdx.capable'), 'true');
  assert.equal(labels.get('vm-type.tdx'), 'true');
  assert.equal(labels.get('vm-type.snp'), 'false');
  assert.equal(labels.get('tdx.keys.capacity'), '63');
  assert.equal(labels.get('tdx.keys.free'), '61');
  assert.equal(labels.get('kvm.api-version'), '12');
  assert.equal(labels.get('snp.usable'), 'false');
  assert.equal(labels.get('sev.capable'), 'false', 'an Intel CPU has no SEV');
});

test('TDX module version (from sysfs) and a TD the module refused', () => {
  const labels = parse(features('tdx-init-vm-refused-7.2'));
  const view = report('tdx-init-vm-refused-7.2').confidential.tdx;
  assert.ok(isKnown(view.moduleVersion));
  assert.equal(labels.get('tdx.module-version'), view.moduleVersion.value.text);
  assert.equal(labels.get('tdx.module-state'), 'initialized');
});

test('TDX module initialisation failed: not usable, not enabled (KVM turned tdx off)', () => {
  const labels = parse(features('tdx-module-init-failed'));
  assert.equal(labels.get('tdx.usable'), 'false');
  assert.equal(labels.get('vm-type.tdx'), 'false');
  assert.equal(labels.get('tdx.module-state'), 'failed');
  // tdx.kernel.module FAILs (the module did not initialise), so KVM's TDX layer is not on.
  assert.equal(labels.get('tdx.enabled'), 'false');
});

test('TDX VM type offered but not probed: usable unknown, not false', () => {
  const labels = parse(features('tdx-host'));
  assert.equal(labels.get('vm-type.tdx'), 'true');
  assert.equal(labels.get('tdx.usable'), 'unknown');
});

test('SNP host: SEV, SEV-ES and SNP usable, firmware versions, free ASIDs', () => {
  const labels = parse(features('sev-snp-genoa-6.11'));
  for (const tech of ['sev', 'sev-es', 'snp']) assert.equal(labels.get(`${tech}.usable`), 'true', tech);
  assert.equal(labels.get('snp.firmware-version'), '1.55.43');
  assert.equal(labels.get('sev.firmware-version'), '1.55.43');
  assert.equal(labels.get('sev.asids.free'), '907');
  assert.equal(labels.get('sev-es.asids.capacity'), '99');
  assert.equal(labels.get('sev-es.asids.free'), '98');
  assert.equal(labels.get('tdx.capable'), 'false');
});

test('SNP INIT2 refused (every SNP ASID in use): SNP not usable although KVM offers the type', () => {
  const labels = parse(features('sev-turin-7.2-snp-asids-in-use'));
  assert.equal(labels.get('vm-type.snp'), 'true');
  assert.equal(labels.get('snp.usable'), 'false');
  assert.equal(labels.get('snp.tcb-match'), 'true');
});

test('kernel before 6.8: no vm-type lines (KVM_CAP_VM_TYPES is 0), legacy SEV usable, SNP not', () => {
  const labels = parse(features('sev-legacy-6.6'));
  assert.ok(![...labels.keys()].some((k) => k.startsWith('vm-type.')));
  assert.equal(labels.get('sev.usable'), 'true');
  assert.equal(labels.get('snp.usable'), 'false');
});

test('no KVM device: kvm not usable, no API version label', () => {
  const labels = parse(features('no-kvm-guest'));
  assert.equal(labels.get('kvm.usable'), 'false');
  assert.equal(labels.has('kvm.api-version'), false);
});

test('# +expiry-time: RFC 3339 in UTC, before the labels it applies to', () => {
  const text = nfdFeatures(report('tdx-usable-6.16'), checks('tdx-usable-6.16'), {
    expiresAt: '2026-11-02T12:00:00.000Z',
  });
  const lines = text.split('\n');
  const at = lines.findIndex((l) => l.startsWith('# +expiry-time='));
  assert.equal(lines[at], '# +expiry-time=2026-11-02T12:00:00Z');
  assert.match(lines[at]!.split('=')[1]!, RFC3339_UTC);
  assert.ok(at < lines.findIndex((l) => l.startsWith(NFD_PREFIX)), 'the directive comes before every label');
  parse(text);
  assert.throws(
    () => nfdFeatures(report('tdx-usable-6.16'), checks('tdx-usable-6.16'), { expiresAt: 'tomorrow' }),
    RangeError,
  );
});

test('the CheckReport is the one source of the states, and the outcome is a label', () => {
  const r = report('tdx-usable-6.16');
  const given: CheckReport = {
    format: 'kvm-caps-check',
    version: 3,
    snapshot: r.snapshot,
    technologies: [
      {
        technology: 'tdx',
        applicable: true,
        verdict: { capable: true, enabled: true, usable: false, summary: 'no free key' },
        checks: [],
      },
    ],
    crossChecks: [],
    outcome: 'not-ready',
    kvmDiagnosis: checks('tdx-usable-6.16').kvmDiagnosis,
  };
  const labels = parse(nfdFeatures(r, given));
  assert.equal(labels.get('tdx.usable'), 'false', 'the check verdict, not the report');
  assert.equal(labels.get('check.outcome'), 'not-ready');
  for (const state of ['capable', 'enabled', 'usable'])
    assert.equal(labels.has(`kvm.${state}`), false, `kvm.${state}: a technology the checks did not cover has no state`);
});

test('every fixture: the capable / enabled / usable labels are the check verdicts', () => {
  const word = (value: boolean | null): string => (value === null ? 'unknown' : String(value));
  for (const name of names) {
    const c = checks(name);
    const labels = parse(nfdFeatures(report(name), c));
    assert.equal(labels.get('check.outcome'), c.outcome, name);
    for (const { technology, verdict } of c.technologies) {
      for (const state of ['capable', 'enabled', 'usable'] as const)
        assert.equal(labels.get(`${technology}.${state}`), word(verdict[state]), `${name}: ${technology}.${state}`);
    }
  }
});

test('labelValue: anything becomes a valid label value or nothing', () => {
  assert.equal(labelValue('1.5.06.00'), '1.5.06.00');
  assert.equal(labelValue('1.5 build 784'), '1.5-build-784');
  assert.equal(labelValue('  --x--  '), 'x');
  assert.equal(labelValue('---'), null);
  assert.equal(labelValue('a'.repeat(80))!.length, 63);
  for (const text of ['ä', 'v1.2 (beta)', '-leading', 'trailing.', `${'x'.repeat(62)}--y`]) {
    const value = labelValue(text);
    if (value !== null) assert.match(value, LABEL_VALUE, text);
  }
});

test('formatOf: --format and --json, text by default, UsageError for an unknown or contradictory format', () => {
  assert.equal(formatOf({}), 'text');
  assert.equal(formatOf({ json: true }), 'json');
  assert.equal(formatOf({ format: 'nfd' }), 'nfd');
  assert.equal(formatOf({ format: 'prometheus' }), 'prometheus');
  assert.throws(() => formatOf({ format: 'xml' }), UsageError);
  assert.throws(() => formatOf({ format: 'nfd', json: true }), UsageError);
});

test('renderFleetFormat: nfd lines and prometheus metrics from the same report', () => {
  const r = report('tdx-usable-6.16');
  const c = checks('tdx-usable-6.16');
  assert.equal(renderFleetFormat('nfd', r, c), nfdFeatures(r, c));
  assert.match(renderFleetFormat('prometheus', r, c), /^# HELP kvm_caps_/);
});
