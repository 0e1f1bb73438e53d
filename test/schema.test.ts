// The JSON Schemas, checked with a maintained validator (Ajv 8, draft 2020-12, strict mode,
// ajv-formats for the meta-schema's formats): each schema is valid, the committed .schema.json
// files equal the lib/schema objects, every fixture snapshot, the report and check report built
// from it and the CLI's --json documents validate, the snapshot schema accepts exactly what
// lib/snapshot/load.ts accepts (on thousands of mutated documents), and wrong fields fail.
//
// After changing a schema: KVM_CAPS_WRITE_SCHEMAS=1 node --import tsx --test test/schema.test.ts
import assert from 'node:assert/strict';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { test } from 'node:test';
import { Ajv2020 } from 'ajv/dist/2020.js';
import fc from 'fast-check';
import addFormatsModule from 'ajv-formats';
import type { ValidateFunction } from 'ajv';
import type { CheckReport, Technology } from '../lib/check/types.js';
import { TECHNOLOGIES } from '../lib/check/types.js';
import { buildReport } from '../lib/render/report.js';
import {
  CHECK_SCHEMA,
  REPORT_SCHEMA,
  SCHEMAS,
  SCHEMA_FILES,
  SNAPSHOT_SCHEMA,
  schemaText,
  type JsonSchema,
} from '../lib/render/schemas.js';
import { validateSnapshot } from '../lib/snapshot/load.js';
import type { Snapshot } from '../lib/snapshot/types.js';
import { SnapshotFormatError } from '../lib/snapshot/validate.js';
import { runCli } from './helpers/cli.js';
import { projectRoot } from './helpers/compile.js';
import { fixtureNames, fixturePath, fixtureSnapshot as snapshot } from './helpers/fixtures.js';

// ajv-formats is CommonJS: its default export arrives as the module object under tsx.
const addFormats = ((addFormatsModule as unknown as { default?: unknown }).default ?? addFormatsModule) as (
  ajv: Ajv2020,
) => Ajv2020;

const names = fixtureNames();
const rawFixture = (name: string): unknown => JSON.parse(readFileSync(fixturePath(name), 'utf8'));
/** What a document looks like once written as JSON (undefined fields gone). */
const asJson = (value: unknown): unknown => JSON.parse(JSON.stringify(value));

const ajv = addFormats(new Ajv2020({ strict: true, allErrors: true }));
const compiled = new Map<JsonSchema, ValidateFunction>();
function validator(schema: JsonSchema): ValidateFunction {
  let v = compiled.get(schema);
  if (v === undefined) {
    v = ajv.compile(schema);
    compiled.set(schema, v);
  }
  return v;
}

function assertValid(schema: JsonSchema, document: unknown, what: string): void {
  const v = validator(schema);
  if (!v(document))
    assert.fail(`${what} does not match ${String(schema.$id)}:\n${ajv.errorsText(v.errors, { separator: '\n' })}`);
}

function assertInvalid(schema: JsonSchema, document: unknown, what: string): void {
  assert.equal(validator(schema)(document), false, `${what} should not match ${String(schema.$id)}`);
}

type RunChecks = (snapshot: Snapshot, technologies: Technology[]) => CheckReport;

async function loadRunChecks(): Promise<RunChecks | undefined> {
  const path = join(projectRoot, 'lib', 'check', 'run.ts');
  if (!existsSync(path)) return undefined;
  return ((await import(pathToFileURL(path).href)) as { runChecks?: RunChecks }).runChecks;
}

/** The document versions: report and check went to 2 when their verdicts became the check run's, with `applicable`. */
const VERSIONS: Readonly<Record<string, number>> = { snapshot: 1, report: 4, check: 3 };

test('each schema is valid draft 2020-12 under strict mode, with a versioned $id on no real host', () => {
  for (const [name, schema] of Object.entries(SCHEMAS)) {
    assert.ok(ajv.validateSchema(schema), `${name}: ${ajv.errorsText(ajv.errors)}`);
    assert.equal(schema.$schema, 'https://json-schema.org/draft/2020-12/schema');
    assert.match(String(schema.$id), new RegExp(`^https://kvm-caps\\.invalid/schema/${name}/${VERSIONS[name]}$`));
    validator(schema);
  }
});

test('the committed .schema.json files are the lib/schema objects', () => {
  const write = process.env.KVM_CAPS_WRITE_SCHEMAS === '1';
  for (const [name, schema] of Object.entries(SCHEMAS) as [keyof typeof SCHEMAS, JsonSchema][]) {
    const path = join(projectRoot, 'lib', 'schema', SCHEMA_FILES[name]);
    const text = schemaText(schema);
    if (write) writeFileSync(path, text);
    assert.ok(existsSync(path), `${path} is missing`);
    assert.equal(
      readFileSync(path, 'utf8'),
      text,
      `${SCHEMA_FILES[name]} differs from lib/schema/${name}.ts: regenerate with KVM_CAPS_WRITE_SCHEMAS=1 ` +
        'node --import tsx --test test/schema.test.ts',
    );
  }
});

test('every fixture snapshot, and the report built from it, validates', () => {
  assert.ok(names.length >= 10);
  for (const name of names) {
    assertValid(SNAPSHOT_SCHEMA, rawFixture(name), `fixture ${name}`);
    assertValid(REPORT_SCHEMA, asJson(buildReport(snapshot(name))), `the report of ${name}`);
  }
});

test('the check report of every fixture validates', async (t) => {
  const runChecks = await loadRunChecks();
  if (runChecks === undefined) {
    t.skip('lib/check/run.ts is not there yet');
    return;
  }
  for (const name of names) {
    assertValid(CHECK_SCHEMA, asJson(runChecks(snapshot(name), [...TECHNOLOGIES])), `the checks of ${name}`);
    assertValid(CHECK_SCHEMA, asJson(runChecks(snapshot(name), ['kvm'])), `the kvm check of ${name}`);
  }
});

test('the CLI: --json --from FILE is a report, snapshot on this host is a snapshot', () => {
  for (const name of ['tdx-usable-6.16', 'sev-snp-genoa-6.11', 'no-permission']) {
    const result = runCli(['--json', '--from', fixturePath(name)]);
    assert.ok(result.status === 0 || result.status === 3, result.stderr);
    assertValid(REPORT_SCHEMA, JSON.parse(result.stdout), `kvm-caps --json --from ${name}`);
  }
  // On this machine, whatever it has: a snapshot (exit 3 without a usable /dev/kvm) and its report.
  const live = runCli(['snapshot']);
  assert.ok(live.status === 0 || live.status === 3, live.stderr);
  const document = JSON.parse(live.stdout) as unknown;
  assertValid(SNAPSHOT_SCHEMA, document, 'kvm-caps snapshot on this host');
  assertValid(REPORT_SCHEMA, asJson(buildReport(validateSnapshot(document))), 'the report of this host');
  const report = runCli(['--json']);
  assertValid(REPORT_SCHEMA, JSON.parse(report.stdout), 'kvm-caps --json on this host');
});

test('the CLI: check --json, once main.ts registers check', (t) => {
  const result = runCli(['check', '--json', '--from', fixturePath('tdx-usable-6.16')]);
  if (result.stderr.includes('unknown command')) {
    t.skip('check is not registered in lib/cli/main.ts yet');
    return;
  }
  assertValid(CHECK_SCHEMA, JSON.parse(result.stdout), 'kvm-caps check --json');
});

// ---------------------------------------------------------------------------------------
// The snapshot schema accepts exactly what lib/snapshot/load.ts accepts.

function loadAccepts(document: unknown): boolean {
  try {
    validateSnapshot(document);
    return true;
  } catch (error) {
    if (error instanceof SnapshotFormatError) return false;
    throw error;
  }
}

/** Wrong-typed replacements for a value, and (for object members) its removal. */
function replacements(value: unknown): unknown[] {
  const out: unknown[] = [null, 'x', -1, 1.5, 4294967296, true, [], {}, '0xZ'];
  if (typeof value === 'string') out.push(`${value}!`, value.toUpperCase());
  if (typeof value === 'number') out.push(value + 0.5, -value - 1);
  return out.filter((r) => JSON.stringify(r) !== JSON.stringify(value));
}

/**
 * Mutates one place at a time, in place, and puts it back after `check` has looked: every object
 * member (deleted, or replaced by wrong types, plus an unknown member added to each object) and
 * the first element of every array (arrays are homogeneous).
 */
function mutateEach(document: unknown, check: (where: string) => void): void {
  const visit = (
    value: unknown,
    parent: Record<string | number, unknown> | null,
    key: string | number | null,
    where: string,
  ): void => {
    if (parent !== null && key !== null) {
      const original = parent[key];
      if (typeof key === 'string') {
        delete parent[key];
        check(`${where} deleted`);
      }
      for (const r of replacements(value)) {
        parent[key] = structuredClone(r);
        check(`${where} = ${JSON.stringify(r)}`);
      }
      parent[key] = original;
    }
    if (Array.isArray(value)) {
      if (value.length > 0) visit(value[0], value as unknown as Record<number, unknown>, 0, `${where}[0]`);
    } else if (value !== null && typeof value === 'object') {
      const object = value as Record<string, unknown>;
      for (const child of Object.keys(object))
        visit(object[child], object, child, where === '' ? child : `${where}.${child}`);
      if (parent !== null) {
        object.unknownField = 1;
        check(`${where} + unknown field`);
        delete object.unknownField;
      }
    }
  };
  visit(document, null, null, '');
}

test('the snapshot schema and load.ts agree on every single-field mutation of every fixture', (t) => {
  let count = 0;
  let rejected = 0;
  const disagreements: string[] = [];
  // A mutation another fixture already made at the same place is not made again.
  const seen = new Set<string>();
  for (const name of names) {
    const document = rawFixture(name);
    const pristine = JSON.stringify(document);
    mutateEach(document, (where) => {
      if (seen.has(where)) return;
      seen.add(where);
      count++;
      const byLoad = loadAccepts(document);
      const bySchema = validator(SNAPSHOT_SCHEMA)(document) === true;
      if (!byLoad) rejected++;
      if (byLoad !== bySchema)
        disagreements.push(
          `${name}: ${where}: load.ts ${byLoad ? 'accepts' : 'rejects'}, the schema ` +
            `${bySchema ? 'accepts' : 'rejects'}`,
        );
    });
    assert.equal(JSON.stringify(document), pristine, 'every mutation was put back');
  }
  t.diagnostic(`${count} mutations, ${rejected} of them refused by load.ts`);
  assert.ok(count > 3000 && rejected > 1500, `${count} mutations, ${rejected} rejected`);
  assert.deepEqual(disagreements.slice(0, 20), [], `${disagreements.length} of ${count} mutations disagree`);
});

/** Every fact object in a snapshot document (an object with a source and a value or an error). */
function factsOf(value: unknown, out: Record<string, unknown>[] = []): Record<string, unknown>[] {
  if (Array.isArray(value)) value.forEach((item) => factsOf(item, out));
  else if (value !== null && typeof value === 'object') {
    const object = value as Record<string, unknown>;
    if ('source' in object && ('value' in object || 'error' in object)) out.push(object);
    Object.values(object).forEach((child) => factsOf(child, out));
  }
  return out;
}

/** Date-times and near misses: what Date writes, other RFC 3339 forms, and what is not one. */
const dateTimeArb = fc.oneof(
  fc
    .date({ min: new Date('0000-01-01T00:00:00Z'), max: new Date('9999-12-31T23:59:59Z'), noInvalidDate: true })
    .map((d) => d.toISOString()),
  fc
    .tuple(
      fc.integer({ min: 0, max: 9999 }),
      fc.integer({ min: 0, max: 13 }),
      fc.integer({ min: 0, max: 32 }),
      fc.integer({ min: 0, max: 24 }),
      fc.integer({ min: 0, max: 61 }),
      fc.constantFrom('Z', 'z', '+05:30', '-24:00', '', '+0100', '.123Z', '.5-07:00'),
      fc.constantFrom('T', 't', ' '),
    )
    .map(([y, mo, d, h, mi, zone, sep]) => {
      const two = (n: number): string => String(n).padStart(2, '0');
      return `${String(y).padStart(4, '0')}-${two(mo)}-${two(d)}${sep}${two(h)}:${two(mi)}:${two(mi)}${zone}`;
    }),
  fc.constantFrom('yesterday', '', '2026-11-01', '2026-11-01T12:00:00.000Z ', '2026-13-01T00:00:00Z'),
  fc.string(),
);

test(
  'fuzz: load.ts accepts a snapshot exactly when the schema does, and every accepted one reports into the ' +
    'report schema',
  () => {
    const documents = names.map((name) => rawFixture(name));
    const edit = fc.oneof(
      // A fact that holds both a value and an error, or neither.
      fc.record({ kind: fc.constant('both' as const), which: fc.nat(), value: fc.jsonValue({ maxDepth: 2 }) }),
      fc.record({ kind: fc.constant('neither' as const), which: fc.nat() }),
      fc.record({ kind: fc.constant('createdAt' as const), value: dateTimeArb }),
      // The kernel log's cut: well-formed, wrong, or anything.
      fc.record({
        kind: fc.constant('cut' as const),
        value: fc.oneof(
          fc.record({ size: fc.nat(), kept: fc.nat() }),
          fc.record({ size: fc.string() }),
          fc.jsonValue({ maxDepth: 2 }),
        ),
      }),
    );
    let accepted = 0;
    let refused = 0;
    fc.assert(
      fc.property(fc.nat(), fc.array(edit, { minLength: 1, maxLength: 3 }), (which, edits) => {
        const document = structuredClone(documents[which % documents.length]) as Record<string, any>;
        for (const e of edits) {
          const facts = factsOf(document);
          if (e.kind === 'both' || e.kind === 'neither') {
            const fact = facts[e.which % facts.length]!;
            if (e.kind === 'neither') {
              delete fact.value;
              delete fact.error;
            } else if ('value' in fact) fact.error = { code: 'EINTR', errno: -4, syscall: 'ioctl', message: 'x' };
            else fact.value = e.value;
          } else if (e.kind === 'createdAt') document.createdAt = e.value;
          else if (document.host.kernelLog !== undefined) document.host.kernelLog.cut = e.value;
        }
        const byLoad = loadAccepts(structuredClone(document));
        const bySchema = validator(SNAPSHOT_SCHEMA)(document) === true;
        assert.equal(
          byLoad,
          bySchema,
          `load.ts ${byLoad ? 'accepts' : 'refuses'} what the schema ${bySchema ? 'accepts' : 'refuses'}: ` +
            `${JSON.stringify(edits)}`,
        );
        if (!byLoad) {
          refused++;
          return;
        }
        accepted++;
        assertValid(
          REPORT_SCHEMA,
          asJson(buildReport(validateSnapshot(document))),
          'the report of an accepted snapshot',
        );
      }),
      { seed: Number(process.env.FUZZ_SEED ?? 42), numRuns: 400 },
    );
    assert.ok(accepted > 20 && refused > 20, `${accepted} accepted, ${refused} refused: the edits reach both outcomes`);
  },
);

// ---------------------------------------------------------------------------------------
// Negative tests: a wrong field fails.

function mutated<T>(document: T, change: (d: T) => void): T {
  const copy = structuredClone(document);
  change(copy);
  return copy;
}

test('snapshot: wrong fields fail', () => {
  const good = rawFixture('tdx-usable-6.16') as Snapshot;
  assertValid(SNAPSHOT_SCHEMA, good, 'the fixture');
  const bad: [string, (d: Snapshot) => void][] = [
    ['another format', (d) => ((d as { format: string }).format = 'kvm-caps-report')],
    ['version 2', (d) => ((d as { version: number }).version = 2)],
    ['kvm.open missing', (d) => delete (d.kvm as Partial<Snapshot['kvm']>).open],
    [
      'a fact with neither value nor error',
      (d) => (d.host.kernelRelease = { source: { file: '/proc/sys/kernel/osrelease' } } as never),
    ],
    ['a fact without a source', (d) => (d.host.kernelRelease = { value: '6.16' } as never)],
    ['a source of no known kind', (d) => (d.host.kernelRelease = { source: { url: 'x' }, value: '6.16' } as never)],
    [
      'an ioctl source on an unknown fd',
      (d) => (d.kvm.open = { source: { ioctl: 'X', path: '/dev/kvm', fd: 'vcpu' }, value: true } as never),
    ],
    [
      'a capability key that is not a number',
      (d) => ((d.kvm.capabilities!.system as { value: Record<string, number> }).value.abc = 1),
    ],
    [
      'a CPUID register above u32',
      (d) => ((d.kvm.supportedCpuid as { value: { eax: number }[] }).value[0]!.eax = 2 ** 32),
    ],
    ['an upper-case hex string', (d) => ((d.kvm.xcompGuestSupp as { value: string }).value = '0xABC')],
    [
      'an error without errno',
      (d) =>
        (d.host.tdxModuleVersion = {
          source: { file: 'x' },
          error: { code: 'ENOENT', syscall: 'open', message: 'x' },
        } as never),
    ],
    ['createdAt not a string', (d) => ((d as { createdAt: unknown }).createdAt = 0)],
    ['createdAt not a date-time', (d) => ((d as { createdAt: unknown }).createdAt = 'yesterday')],
    [
      'a fact with both value and error',
      (d) =>
        ((d.host.kernelRelease as Record<string, unknown>).error = {
          code: 'ENOENT',
          errno: -2,
          syscall: 'open',
          message: 'x',
        }),
    ],
  ];
  for (const [what, change] of bad) {
    const document = mutated(good, change);
    assertInvalid(SNAPSHOT_SCHEMA, document, what);
    assert.equal(loadAccepts(document), false, `load.ts also refuses: ${what}`);
  }
});

test('report: wrong fields fail', () => {
  const good = asJson(buildReport(snapshot('tdx-usable-6.16'))) as Record<string, any>;
  assertValid(REPORT_SCHEMA, good, 'the report');
  const bad: [string, (d: Record<string, any>) => void][] = [
    ['another format', (d) => (d.format = 'kvm-caps-snapshot')],
    ['no TDX view', (d) => delete d.confidential.tdx],
    [
      'a TDX verdict that is a word, not the check shape',
      (d) => (d.confidential.tdx.technologies[0].verdict = 'usable'),
    ],
    ['a technology verdict without usable', (d) => delete d.technologies[1].verdict.usable],
    ['a technology without applicable', (d) => delete d.technologies[2].applicable],
    ['a known TDX fact without a value', (d) => delete d.confidential.tdx.vmType.value],
    ['kvm.usable not a boolean', (d) => (d.kvm.usable = 'yes')],
    ['a traced value without its source', (d) => delete d.kvm.apiVersion.source],
    ['a SEV fact without its source', (d) => delete d.confidential.sev.vmTypeMask.source],
    ['SEV ASIDs as bare numbers, not traced values', (d) => (d.confidential.sev.asids = { sev: 1, sevEs: 2 })],
    ['a problem without an error', (d) => d.problems.push({ fact: 'x', source: 'y' })],
    ['a capability row number as a string', (d) => (d.kvm.capabilities[0].number = '235')],
  ];
  for (const [what, change] of bad) assertInvalid(REPORT_SCHEMA, mutated(good, change), what);
});

test('check report: wrong fields fail', () => {
  const result = {
    id: 'tdx.kvm.vm-type',
    technology: 'tdx',
    layer: 'kvm',
    title: 'KVM offers the TDX VM type',
    why: 'QEMU asks for it',
    status: 'PASS',
    found: 'offered',
    source: 'ioctl KVM_CHECK_EXTENSION',
    children: [
      {
        id: 'c',
        technology: 'tdx',
        layer: 'usable',
        title: 't',
        why: 'w',
        status: 'SKIP',
        found: '',
        source: '',
        skippedBecause: 'tdx.kvm.vm-type',
        children: [],
      },
    ],
  };
  const usable = buildReport(snapshot('tdx-usable-6.16'));
  const good = {
    format: 'kvm-caps-check',
    version: 3,
    snapshot: asJson(usable.snapshot),
    technologies: [
      {
        technology: 'tdx',
        applicable: true,
        verdict: { capable: true, enabled: true, usable: null, summary: 's' },
        checks: [result],
      },
    ],
    crossChecks: [],
    outcome: 'unknown',
    kvmDiagnosis: asJson(usable.kvmDiagnosis),
    tdxExplanations: asJson(usable.confidential.tdx.explanations),
  } as Record<string, any>;
  assertValid(CHECK_SCHEMA, good, 'a hand-made check report');
  const kvmCause = { id: 'kvm.nomodule', status: 'FAIL', effect: 'enabled', rule: 'kvm.kernel.modules', found: 'f' };
  const tdxNote = { code: 'no-free-td-keys', weight: 'note', message: 'm', evidence: [] };
  assertValid(
    CHECK_SCHEMA,
    mutated(good, (d) => {
      d.kvmDiagnosis.causes.push({ ...kvmCause, evidence: [] });
      d.tdxExplanations.push(tdxNote);
    }),
    'a check report with a KVM cause and a TDX note',
  );
  const bad: [string, (d: Record<string, any>) => void][] = [
    ['an unknown outcome', (d) => (d.outcome = 'great')],
    ['an unknown technology', (d) => (d.technologies[0].technology = 'sgx')],
    ['a verdict that is a string', (d) => (d.technologies[0].verdict.usable = 'no')],
    ['a status outside PASS/WARN/FAIL/SKIP/UNKNOWN', (d) => (d.technologies[0].checks[0].status = 'OK')],
    ['a nested result without children', (d) => delete d.technologies[0].checks[0].children[0].children],
    ['an unknown layer', (d) => (d.technologies[0].checks[0].layer = 'bios')],
    ['version 2', (d) => (d.version = 2)],
    ['no KVM diagnosis', (d) => delete d.kvmDiagnosis],
    [
      'a KVM cause id the diagnosis does not have',
      (d) => d.kvmDiagnosis.causes.push({ ...kvmCause, evidence: [], id: 'kvm.ok' }),
    ],
    ['a TDX explanation code check does not have', (d) => (d.tdxExplanations = [{ ...tdxNote, code: 'vm-ok' }])],
    ['a technology without applicable', (d) => delete d.technologies[0].applicable],
  ];
  for (const [what, change] of bad) assertInvalid(CHECK_SCHEMA, mutated(good, change), what);
});
