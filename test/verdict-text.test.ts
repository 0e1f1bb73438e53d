// How `kvm-caps sev`, `kvm-caps tdx` and `kvm-caps check` put a verdict next to its technology:
// the title once, then the verdict and what it rests on; and the SEV view's "How to fix" list,
// FAILs before WARNs. Walked over every fixture, so a new fixture is held to the same reading.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { runChecks, TECHNOLOGY_TITLES } from '../lib/check/run.js';
import { decodeSnapshot } from '../lib/decode/model.js';
import { renderCheck } from '../lib/render/check.js';
import { sevSection, tdxSection } from '../lib/render/report.js';
import { renderSev } from '../lib/render/sev.js';
import { plainStyle } from '../lib/render/style.js';
import { renderTdx } from '../lib/render/tdx.js';
import { fixtureNames, fixtureSnapshot } from './helpers/fixtures.js';

const TITLES = Object.values(TECHNOLOGY_TITLES).map((t) => t.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'));

/** The summary's own wording next to the title: "AMD SEV  usable: AMD SEV is usable", "could not tell whether ..". */
const REPEATED = new RegExp(
  `(?:${TITLES.join('|')}) (?:is usable|is not (?:capable|enabled|usable|applicable)|needs an)|could not tell whether`,
);

function titleTwice(lines: readonly string[]): string[] {
  return lines.filter((line) => REPEATED.test(line));
}

for (const name of fixtureNames()) {
  test(`${name}: each verdict line says its technology once; SEV fixes list FAILs, then WARNs`, () => {
    const snapshot = fixtureSnapshot(name);
    const model = decodeSnapshot(snapshot);
    const sevChecks = runChecks(snapshot, ['sev', 'sev-es', 'snp'], model);
    const sev = renderSev(sevSection(model, sevChecks), plainStyle).split('\n');
    const tdx = renderTdx(tdxSection(model, runChecks(snapshot, ['tdx'], model)), plainStyle).split('\n');
    const check = renderCheck(runChecks(snapshot, ['kvm', 'tdx', 'sev', 'sev-es', 'snp'], model), plainStyle).split(
      '\n',
    );
    const verdicts = [
      ...sev.slice(1, 4),
      ...tdx.filter((l) => /^\s+Verdict\s/.test(l)),
      ...check.filter((l) => TITLES.some((title) => l.startsWith(`${title}: `))),
    ];
    assert.ok(verdicts.length >= 5, 'the verdict lines were found');
    assert.deepEqual(titleTwice(verdicts), []);

    const start = sev.indexOf('How to fix (each FAIL and WARN above once)');
    if (start === -1) return;
    const statuses = sev
      .slice(start + 1)
      .map((line) => /^ {2}(FAIL|WARN) /.exec(line)?.[1])
      .filter((s) => s !== undefined);
    const firstWarn = statuses.indexOf('WARN');
    assert.ok(firstWarn === -1 || !statuses.slice(firstWarn).includes('FAIL'), `FAILs first: ${statuses.join(' ')}`);
  });
}
