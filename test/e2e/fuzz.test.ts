// Property-based fuzzing (fast-check, seeded) of everything that reads input kvm-caps does
// not control: the snapshot loader on random JSON and on mutated fixtures, the kernel-log
// readers on random, huge and malformed text, the TDX and SEV log parsers on mutated real
// excerpts, and every decoder on arbitrary u32/u64 values. Each property either holds, or
// fails with the counterexample fast-check shrank; the seed is printed so a failure replays.
//
// Defects found this way keep a regression test with their minimal reproduction (the last
// describe block), and the property that found each names it if it ever comes back.
//
// FUZZ_SEED=<n> and FUZZ_SCALE=<factor> (e.g. 10) explore further than the default seed 42.
import assert from 'node:assert/strict';
import {
  closeSync,
  mkdtempSync,
  openSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
  ftruncateSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import fc from 'fast-check';
import { decodeCpuidEntry, decodeXsaveMask } from '../../lib/decode/cpuid-entry.js';
import { renderSev } from '../../lib/render/sev.js';
import { styleFor } from '../../lib/render/style.js';
import { renderTdx } from '../../lib/render/tdx.js';
import { renderReport } from '../../lib/render/text.js';
import { buildReport } from '../../lib/render/report.js';
import {
  decodeFirmwareError,
  decodeSevCpuid,
  decodeSevPlatformStatus,
  decodeSnpPlatformStatus,
  decodeSnpPolicy,
  decodeTcbVersion,
  decodeVmsaFeatures,
  firmwareErrorName,
  processorGeneration,
} from '../../lib/decode/sev-fields.js';
import { parseSevLog } from '../../lib/decode/sev-log.js';
import { logFailureText } from '../../lib/check/sev-kvm-amd-text.js';
import { formatTcbVersion } from '../../lib/check/sev-platform-text.js';
import {
  decodeConfigurableCpuid,
  decodeHwError,
  decodeTdAttributes,
  decodeTdvmcallInfo,
  decodeXfam,
  notConfigurableForTd,
} from '../../lib/decode/tdx-fields.js';
import { describeHwError } from '../../lib/check/tdx-text.js';
import { parseTdxLog } from '../../lib/decode/tdx-log.js';
import {
  kernelLogFromFile,
  MAX_LOG_RECORDS,
  mayBeRelevant,
  parseDmesgText,
  parseKmsg,
} from '../../lib/snapshot/kernel-log.js';
import { loadSnapshot, SnapshotFileError, validateSnapshot } from '../../lib/snapshot/load.js';
import type { KernelLogRecord, Snapshot } from '../../lib/snapshot/types.js';
import { SnapshotFormatError } from '../../lib/snapshot/validate.js';
import { fixtureNames, fixturePath, fixturesDir } from '../helpers/fixtures.js';

const SEED = Number(process.env.FUZZ_SEED ?? 42);
const SCALE = Number(process.env.FUZZ_SCALE ?? 1);
const params = (numRuns: number): fc.Parameters<unknown> => ({
  seed: SEED,
  numRuns: Math.max(1, Math.round(numRuns * SCALE)),
});
console.log(`# fuzz: fast-check seed ${SEED} (replay a failure with the seed and path it prints)`);

const scratch = mkdtempSync(join(tmpdir(), 'kvm-caps-fuzz-'));
after(() => rmSync(scratch, { recursive: true, force: true }));

/** A defect fuzzing found before, and lib/ fixed, is back. */
function known(finding: string): never {
  assert.fail(`a fixed defect is back: ${finding} (see the regression tests at the end of this file)`);
}

/** Runs `f`, and fails if it took longer than `ms`: a super-linear path is a hang in waiting. */
function timed<T>(what: string, ms: number, f: () => T): T {
  const start = performance.now();
  const result = f();
  const took = performance.now() - start;
  assert.ok(took < ms, `${what} took ${took.toFixed(0)} ms (bound ${ms} ms)`);
  return result;
}

const U64_MAX = (1n << 64n) - 1n;
/** The RangeError lib's toU64 throws for a value wider than 64 bits, when such a value was in the input. */
function isOverU64Error(error: unknown, input: string): boolean {
  if (!(error instanceof RangeError)) return false;
  const m = /^not a u64: (0x[0-9a-fA-F]+)$/.exec(error.message);
  return m !== null && BigInt(m[1]!) > U64_MAX && input.toLowerCase().includes(BigInt(m[1]!).toString(16));
}

// ------------------------------------------------------------------ the snapshot loader

const fixtures: { name: string; doc: unknown }[] = fixtureNames().map((name) => ({
  name: `${name}.json`,
  doc: JSON.parse(readFileSync(fixturePath(name), 'utf8')) as unknown,
}));

/** A SnapshotFormatError naming the field at fault ("snapshot.kvm.tdx.capabilities.value.cpuid[3].eax: ..."). */
function assertNamesField(error: unknown): SnapshotFormatError {
  assert.ok(
    error instanceof SnapshotFormatError,
    `not a SnapshotFormatError: ${String((error as Error)?.stack ?? error)}`,
  );
  // Record keys are the document's own, so a segment may be empty or hold dots.
  assert.match(error.field, /^snapshot(?:$|[.[])/);
  assert.ok(error.message.startsWith(`${error.field}: `), error.message);
  return error;
}

type Path = (string | number)[];

/** Every node's path in a JSON document, root excluded. */
function paths(doc: unknown, prefix: Path = [], out: Path[] = []): Path[] {
  const visit = (key: string | number, v: unknown): void => {
    out.push([...prefix, key]);
    paths(v, [...prefix, key], out);
  };
  if (Array.isArray(doc)) doc.forEach((v, i) => visit(i, v));
  else if (doc !== null && typeof doc === 'object') for (const [k, v] of Object.entries(doc)) visit(k, v);
  return out;
}

const fixturePaths = fixtures.map((f) => paths(f.doc));

const DEEP = 10_000;
function deep(depth: number, asObject: boolean): unknown {
  let v: unknown = 0;
  for (let i = 0; i < depth; i++) v = asObject ? { a: v } : [v];
  return v;
}

const HUGE: readonly unknown[] = [
  2 ** 64,
  1e308,
  -1e308,
  Number.MAX_SAFE_INTEGER + 2,
  -(2 ** 63),
  4294967296,
  -1,
  0.5,
  `0x${'f'.repeat(17)}`,
  `0x1${'0'.repeat(16)}`,
  `0x${'f'.repeat(100_000)}`,
  'x'.repeat(1_000_000),
];

/** Values of the same JSON type that a loose loader could let through to the report. */
const SAME_TYPE: Record<'number' | 'string', readonly unknown[]> = {
  number: [0, 1, -1, 7, 255, 256, 2 ** 31, 2 ** 32 - 1, 2 ** 32, Number.MAX_SAFE_INTEGER, -Number.MAX_SAFE_INTEGER],
  string: [
    '',
    '0x0',
    '0x1',
    `0x${'f'.repeat(16)}`,
    `0x${'f'.repeat(17)}`,
    `0x${'0'.repeat(40)}1`,
    'Y',
    'N',
    '-1',
    'GenuineIntel',
    'AuthenticAMD',
    '\0',
    'é\u0000😀',
    '9'.repeat(400),
  ],
};

type Mutation = { at: number; kind: 'delete' | 'swap' | 'huge' | 'deep' | 'same-type'; value: unknown; pick: number };
const mutationArb: fc.Arbitrary<Mutation> = fc.record({
  at: fc.nat(),
  kind: fc.constantFrom(
    'delete' as const,
    'swap' as const,
    'huge' as const,
    'deep' as const,
    'same-type' as const,
    'same-type' as const,
  ),
  value: fc.jsonValue({ maxDepth: 2 }),
  pick: fc.nat(),
});

/** Applies `mutations` to a copy of fixture `which`; returns the document and a description. */
function mutate(which: number, mutations: Mutation[]): { doc: unknown; what: string[] } {
  const index = which % fixtures.length;
  const doc = structuredClone(fixtures[index]!.doc);
  const all = fixturePaths[index]!;
  const what = [fixtures[index]!.name];
  for (const m of mutations) {
    const path = all[m.at % all.length]!;
    let parent: unknown = doc;
    for (const key of path.slice(0, -1)) parent = (parent as Record<string | number, unknown>)?.[key];
    if (parent === null || typeof parent !== 'object') continue; // an earlier mutation removed it
    const key = path.at(-1)!;
    const holder = parent as Record<string | number, unknown>;
    if (m.kind === 'delete') {
      if (Array.isArray(parent) && typeof key === 'number') parent.splice(key, 1);
      else delete holder[key];
    } else if (m.kind === 'swap') holder[key] = m.value;
    else if (m.kind === 'huge') holder[key] = HUGE[m.pick % HUGE.length];
    else if (m.kind === 'same-type') {
      const old = holder[key];
      if (typeof old === 'number' || typeof old === 'string') {
        const pool = SAME_TYPE[typeof old === 'number' ? 'number' : 'string'];
        holder[key] = pool[m.pick % pool.length];
      } else if (typeof old === 'boolean') holder[key] = !old;
      else if (Array.isArray(old)) holder[key] = m.pick % 2 === 0 ? [] : [...old, ...old];
      else continue;
    } else holder[key] = deep(DEEP, m.pick % 2 === 0);
    what.push(`${m.kind} ${path.join('.')}`);
  }
  return { doc, what };
}

const plain = styleFor({ isTTY: false }, {});

/** The loader accepted `doc`: the report must build and render from it, as `--from` does (known finding excepted). */
function reportBuilds(doc: Snapshot, what: string[]): void {
  try {
    timed(`buildReport and render (${what.join(', ')})`, 3000, () => {
      const report = buildReport(doc);
      renderReport(report, plain, 'from a file');
      renderTdx(report.confidential.tdx, plain);
      renderSev(report.confidential.sev, plain);
      JSON.stringify(report);
    });
  } catch (error) {
    if (isOverU64Error(error, JSON.stringify(doc)))
      known('an accepted snapshot with a hex value wider than 64 bits crashes buildReport');
    throw error;
  }
}

describe('snapshot loader', () => {
  test('validateSnapshot on random JSON: a snapshot or a SnapshotFormatError naming a field', () => {
    const almost = fc.record(
      {
        format: fc.oneof(fc.constant('kvm-caps-snapshot'), fc.jsonValue()),
        version: fc.oneof(fc.constant(1), fc.jsonValue()),
        createdAt: fc.jsonValue(),
        tool: fc.jsonValue(),
        context: fc.jsonValue(),
        host: fc.jsonValue(),
        kvm: fc.jsonValue(),
      },
      { requiredKeys: [] },
    );
    fc.assert(
      fc.property(fc.oneof(fc.jsonValue(), almost), (doc) => {
        try {
          timed('validateSnapshot', 1000, () => validateSnapshot(doc));
        } catch (error) {
          assertNamesField(error);
        }
      }),
      params(1000),
    );
  });

  test('validateSnapshot on mutated fixtures (deletions, type swaps, huge numbers, deep nesting)', () => {
    let accepted = 0;
    let refused = 0;
    fc.assert(
      fc.property(fc.nat(), fc.array(mutationArb, { minLength: 1, maxLength: 4 }), (which, mutations) => {
        const { doc, what } = mutate(which, mutations);
        let snapshot: Snapshot;
        try {
          snapshot = timed(`validateSnapshot (${what.join(', ')})`, 1000, () => validateSnapshot(doc));
        } catch (error) {
          refused++;
          const version = (doc as { version?: unknown }).version;
          if (
            error instanceof RangeError &&
            /call stack/.test(error.message) &&
            typeof version === 'object' &&
            version !== null
          ) {
            return known('a deeply nested "version" overflows the stack in validateSnapshot');
          }
          assertNamesField(error);
          return;
        }
        accepted++;
        reportBuilds(snapshot, what);
      }),
      params(400),
    );
    console.log(`# fuzz: mutated fixtures: ${accepted} accepted (and reported on), ${refused} refused`);
    assert.ok(accepted > 0 && refused > 0, 'the mutations reach both outcomes');
  });

  test('loadSnapshot on mutated fixture files and random bytes: a snapshot or a SnapshotFileError', () => {
    const file = join(scratch, 'snapshot.json');
    const check = (text: string | Uint8Array): void => {
      writeFileSync(file, text);
      try {
        const snapshot = timed('loadSnapshot', 2000, () => loadSnapshot(file));
        reportBuilds(snapshot, ['a file']);
      } catch (error) {
        assert.ok(
          error instanceof SnapshotFileError,
          `not a SnapshotFileError: ${String((error as Error)?.stack ?? error)}`,
        );
        assert.ok(error.message.startsWith(`${file}: `), error.message);
        if (/not a valid kvm-caps snapshot/.test(error.message))
          assert.match(error.message, /not a valid kvm-caps snapshot: snapshot[.[:]/);
        else assert.match(error.message, /not a JSON document|cannot read/);
      }
    };
    fc.assert(
      fc.property(
        fc.nat(),
        fc.array(mutationArb, { minLength: 1, maxLength: 3 }),
        fc.nat(),
        (which, mutations, cut) => {
          const { doc } = mutate(
            which,
            mutations.map((m) => (m.kind === 'deep' ? { ...m, kind: 'huge' as const } : m)),
          );
          const text = JSON.stringify(doc);
          check(text);
          check(text.slice(0, cut % (text.length + 1))); // truncated
        },
      ),
      params(60),
    );
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 512 }), (bytes) => check(bytes)),
      params(100),
    );
    // Nesting far deeper than any snapshot, where a field is expected.
    const base = JSON.stringify(fixtures[0]!.doc);
    check(base.replace('"kvm":', `"kvm":${'['.repeat(200_000)}${']'.repeat(200_000)},"x":`));
    check(`${'{"a":'.repeat(200_000)}1${'}'.repeat(200_000)}`);
    // Not a file at all.
    assert.throws(() => loadSnapshot(scratch), SnapshotFileError);
    assert.throws(() => loadSnapshot(join(scratch, 'missing.json')), SnapshotFileError);
  });
});

// ------------------------------------------------------------------ kernel-log readers

/** Lines that look like kmsg records and dmesg/journal lines, with random parts. */
const numberText = fc.oneof(
  fc.nat().map(String),
  fc.constantFrom('99999999999999999999', '9'.repeat(400), '-1', '', '0x10', '1e5'),
);
const logLineArb = fc.oneof(
  fc.string({ unit: 'binary', maxLength: 200 }),
  fc
    .tuple(
      numberText,
      numberText,
      numberText,
      fc.string({ maxLength: 10 }),
      fc.string({ unit: 'binary', maxLength: 100 }),
    )
    .map(([pri, seq, ts, flags, msg]) => `${pri},${seq},${ts},${flags};kvm: ${msg}`),
  fc.tuple(numberText, fc.string({ unit: 'binary', maxLength: 100 })).map(([s, msg]) => `[${s}.${s}] kvm_amd: ${msg}`),
  fc.tuple(numberText, fc.string({ maxLength: 100 })).map(([p, msg]) => `<${p}>[ 1.5] tdx: ${msg}`),
  fc.string({ maxLength: 100 }).map((msg) => `Nov 22 03:04:05 host kernel: kvm: ${msg}`),
  fc.string({ maxLength: 100 }).map((msg) => `2025-01-02T03:04:05.123456+00:00 host sev ${msg}`),
  fc.constantFrom(' SUBSYSTEM=pci', '\0\0kvm\0', 'kvm \\xff\\x00\\xzz', '\r', ';', '6,1,2,-;'),
);
const logTextArb = fc.array(logLineArb, { maxLength: 40 }).map((lines) => lines.join('\n'));

/** A parsed record as the snapshot stores it; the snapshot's own check must accept it (known finding excepted). */
function assertRecord(record: KernelLogRecord): void {
  assert.ok(
    record.priority === null || (Number.isInteger(record.priority) && record.priority >= 0 && record.priority <= 7),
    JSON.stringify(record),
  );
  assert.equal(typeof record.message, 'string');
  assert.ok(record.message.length <= 2048, `a message of ${record.message.length} characters`);
  const ts = record.timestampUs;
  if (ts !== null && !Number.isSafeInteger(ts)) {
    // Finding: kept as is, it makes a snapshot that loadSnapshot then refuses.
    assert.ok(ts >= 0, JSON.stringify(record));
    known('a timestamp beyond 2^53 us makes a snapshot its own loader refuses');
  }
}

function writeBytes(name: string, data: string | Uint8Array): string {
  const file = join(scratch, name);
  writeFileSync(file, data);
  return file;
}

describe('kernel-log readers', () => {
  test('parseKmsg and parseDmesgText on random and malformed text never throw, and keep records well-formed', () => {
    fc.assert(
      fc.property(logTextArb, (text) => {
        for (const record of timed('parseKmsg', 500, () => parseKmsg(text))) assertRecord(record);
        for (const record of timed('parseDmesgText', 500, () => parseDmesgText(text))) assertRecord(record);
      }),
      params(1000),
    );
  });

  test('mayBeRelevant never drops a /dev/kmsg record the kernel-log filter keeps', () => {
    // The kernel's escaping (printk's msg_add_ext_text): \xNN for bytes below 0x20, from
    // 0x7f up, and the backslash; every other byte as it is.
    const escapeLikeKernel = (bytes: Uint8Array): string =>
      [...bytes]
        .map((c) =>
          c < 0x20 || c >= 0x7f || c === 0x5c ? `\\x${c.toString(16).padStart(2, '0')}` : String.fromCharCode(c),
        )
        .join('');
    const words = [
      'kvm',
      'KVM',
      'SEV-SNP',
      'tdx',
      'TDX module',
      'seamcall',
      'ccp',
      'psp',
      'rmp',
      'AMD-Vi',
      'iommu',
      'virtualization',
      'Virtualisation',
    ];
    const part = fc.oneof(
      fc.constantFrom(...words).map((w) => Buffer.from(w)),
      fc.uint8Array({ maxLength: 6 }),
    );
    let kept = 0;
    let dropped = 0;
    fc.assert(
      fc.property(fc.array(part, { maxLength: 6 }), (parts) => {
        const raw = `6,1,2,-;${escapeLikeKernel(Buffer.concat(parts))}\n`;
        const fact = kernelLogFromFile(writeBytes('record.kmsg', raw));
        assert.ok('value' in fact, JSON.stringify(fact));
        if (fact.value.length > 0) {
          kept++;
          assert.ok(mayBeRelevant(raw), `kept but would be dropped unread: ${JSON.stringify(raw)}`);
        } else if (!mayBeRelevant(raw)) {
          dropped++;
        }
      }),
      params(1000),
    );
    // Both sides of the implication were exercised.
    assert.ok(kept > 100 && dropped > 100, `kept ${kept}, dropped ${dropped}`);
  });

  test('kernelLogFromFile on NULs and invalid UTF-8: a fact, never an exception', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 4096 }), fc.boolean(), (bytes, kmsg) => {
        const head = Buffer.from(kmsg ? '6,1,2,-;kvm: first\n' : '[ 1.0] kvm: first\n');
        const file = writeBytes('random.log', Buffer.concat([head, bytes]));
        const fact = timed('kernelLogFromFile', 500, () => kernelLogFromFile(file));
        assert.ok('value' in fact, JSON.stringify(fact));
        fact.value.forEach(assertRecord);
      }),
      params(200),
    );
  });

  test('50 MB of noise, a million lines, a 20 MB line: bounded in time, memory and records kept', () => {
    const noise = Buffer.alloc(50 * 1024 * 1024);
    for (let i = 0; i < noise.length; i += 4) noise.writeUInt32LE((Math.imul(i, 2654435761) ^ (i >>> 7)) >>> 0, i);
    const cases: [string, string | Buffer, number][] = [
      ['noise.log', noise, 8000],
      ['million.log', Array.from({ length: 1_000_000 }, (_, i) => `[ ${i}.000001] kvm: line ${i}`).join('\n'), 8000],
      [
        'million.kmsg',
        Array.from({ length: 1_000_000 }, (_, i) => `6,${i},${i * 10},-;kvm: line ${i}`).join('\n'),
        8000,
      ],
      ['long-line.log', `[ 1.0] kvm ${'x\0'.repeat(10_000_000)}\n[ 2.0] kvm: after`, 3000],
    ];
    for (const [name, data, ms] of cases) {
      const file = writeBytes(name, data);
      global.gc?.();
      const before = process.memoryUsage().rss;
      const fact = timed(`kernelLogFromFile(${name})`, ms, () => kernelLogFromFile(file));
      const grew = process.memoryUsage().rss - before;
      rmSync(file);
      assert.ok('value' in fact, JSON.stringify(fact).slice(0, 300));
      assert.ok(fact.value.length <= MAX_LOG_RECORDS, `${name}: ${fact.value.length} records kept`);
      assert.ok(grew < 1.5 * 1024 ** 3, `${name}: the reader grew by ${Math.round(grew / 2 ** 20)} MiB`);
      fact.value.forEach(assertRecord);
      if (name.startsWith('million')) {
        assert.equal(fact.value.length, MAX_LOG_RECORDS, 'the newest MAX_LOG_RECORDS are kept');
        assert.equal(fact.value.at(-1)?.message, 'kvm: line 999999');
      }
      if (name === 'long-line.log')
        assert.deepEqual(
          fact.value.map((r) => r.message.length <= 2048),
          [true, true],
        );
    }
  });
});

// ------------------------------------------------------------------ TDX and SEV log parsers

const excerpts = readdirSync(join(fixturesDir, 'kernel-logs'))
  .sort()
  .map((f) => readFileSync(join(fixturesDir, 'kernel-logs', f), 'utf8').split('\n'));
const realLines = excerpts.flat().filter((l) => l !== '');

/** A real line, changed: digits widened, hex made overlong, parts cut, duplicated or garbled. */
const mutatedLineArb = fc
  .tuple(
    fc.nat(),
    fc.constantFrom('none', 'widen', 'overlong-hex', 'cut', 'garble', 'prefix', 'nul'),
    fc.nat(),
    fc.string({ unit: 'binary', maxLength: 20 }),
  )
  .map(([i, how, at, junk]) => {
    const line = realLines[i % realLines.length]!;
    switch (how) {
      case 'widen':
        return line.replace(/\d+/g, (d) => (at % 3 === 0 ? '9'.repeat(30) : d));
      case 'overlong-hex':
        return line.replace(/0x[0-9a-fA-F]+/g, (h) => (at % 2 === 0 ? `${h}${'f'.repeat(1 + (at % 40))}` : h));
      case 'cut':
        return line.slice(0, at % (line.length + 1));
      case 'garble':
        return `${line.slice(0, at % (line.length + 1))}${junk}${line.slice(at % (line.length + 1))}`;
      case 'prefix':
        return `6,${at},${at},-;${line}`;
      case 'nul':
        return line.replaceAll(' ', '\0');
      default:
        return line;
    }
  });
const messagesArb = fc.array(
  fc.oneof(
    { weight: 3, arbitrary: mutatedLineArb },
    { weight: 1, arbitrary: fc.string({ unit: 'binary', maxLength: 80 }) },
  ),
  {
    maxLength: 30,
  },
);

/** Every fact's source is one of the input lines, at its index. */
function assertTraced(messages: readonly string[], value: unknown): void {
  const visit = (v: unknown): void => {
    if (Array.isArray(v)) v.forEach(visit);
    else if (v !== null && typeof v === 'object') {
      const o = v as Record<string, unknown>;
      if (typeof o.index === 'number' && typeof o.line === 'string') assert.equal(messages[o.index], o.line);
      Object.values(o).forEach(visit);
    }
  };
  visit(value);
}

describe('TDX and SEV log parsers', () => {
  test('parseTdxLog on random and mutated real lines: facts traced to their lines, never an exception', () => {
    fc.assert(
      fc.property(messagesArb, (messages) => {
        let facts;
        try {
          facts = timed('parseTdxLog', 500, () => parseTdxLog(messages));
        } catch (error) {
          if (isOverU64Error(error, messages.join('\n')))
            return known('parseTdxLog throws on a SEAMCALL status wider than 64 bits');
          throw error;
        }
        assert.ok(facts.tdxLines <= messages.length);
        assertTraced(messages, facts);
      }),
      params(1500),
    );
  });

  test('parseSevLog on random and mutated real lines: facts traced to their lines, never an exception', () => {
    fc.assert(
      fc.property(messagesArb, (messages) => {
        const facts = timed('parseSevLog', 500, () => parseSevLog(messages));
        assert.ok(facts.matched.length <= messages.length);
        assertTraced(messages, facts);
        for (const f of facts.failures) assert.equal(typeof logFailureText(f.value), 'string');
      }),
      params(1500),
    );
  });

  test('the unmutated excerpts parse as before (the mutations start from real text)', () => {
    for (const lines of excerpts) {
      parseSevLog(lines);
      parseTdxLog(lines);
    }
  });
});

// ------------------------------------------------------------------ decoders

const u32 = fc.integer({ min: 0, max: 0xffffffff });
const u8 = fc.integer({ min: 0, max: 0xff });
const u64 = fc.bigInt({ min: 0n, max: U64_MAX });
const hex = (n: bigint): string => `0x${n.toString(16)}`;
const popcount = (n: bigint): number => n.toString(2).replaceAll('0', '').length;
const cpuidEntryArb = fc.record({
  function: fc.oneof(u32, fc.constantFrom(0, 1, 7, 0xd, 0x80000001, 0x80000008, 0x8000001f)),
  index: fc.oneof(u32, fc.constant(0)),
  flags: u32,
  eax: u32,
  ebx: u32,
  ecx: u32,
  edx: u32,
});

describe('decoders on arbitrary u32/u64 values', () => {
  test('CPUID: decodeCpuidEntry, decodeXsaveMask, decodeConfigurableCpuid, notConfigurableForTd', () => {
    fc.assert(
      fc.property(cpuidEntryArb, (entry) => {
        const d = decodeCpuidEntry(entry);
        for (const register of ['eax', 'ebx', 'ecx', 'edx'] as const) {
          const named = (d.features[register]?.length ?? 0) + (d.unknownBits[register]?.length ?? 0);
          if (d.features[register] !== undefined) assert.equal(named, popcount(BigInt(entry[register])), register);
        }
        for (const value of Object.values(d.fields)) assert.ok(Number.isFinite(value) && value >= 0);
      }),
      params(2000),
    );
    fc.assert(
      fc.property(u64, (mask) => {
        const d = decodeXsaveMask(mask);
        assert.equal(d.components.length + d.unknownBits.length, popcount(mask));
      }),
      params(1000),
    );
    fc.assert(
      fc.property(
        fc.array(cpuidEntryArb, { maxLength: 20 }),
        fc.array(cpuidEntryArb, { maxLength: 20 }),
        (supported, configurable) => {
          assert.equal(decodeConfigurableCpuid(configurable).length, configurable.length);
          notConfigurableForTd(supported, configurable);
        },
      ),
      params(300),
    );
  });

  test('TDX: decodeTdAttributes, decodeXfam, decodeHwError, decodeTdvmcallInfo', () => {
    fc.assert(
      fc.property(u64, u64, u64, u64, (a, b, c, d) => {
        for (const input of [a, hex(a)]) {
          const attrs = decodeTdAttributes(input);
          assert.equal(attrs.attributes.length + attrs.unknownBits.length, popcount(a));
          assert.equal(BigInt(attrs.mask), a);
          assert.equal(BigInt(decodeXfam(input).mask), a);
          const hw = decodeHwError(input);
          assert.equal(BigInt(hw.value), a);
          assert.equal(hw.details, Number(a & 0xffffffffn));
          assert.equal(typeof describeHwError(hw), 'string');
        }
        const info = decodeTdvmcallInfo({
          kernelTdvmcallinfo1R11: hex(a),
          userTdvmcallinfo1R11: hex(b),
          kernelTdvmcallinfo1R12: hex(c),
          userTdvmcallinfo1R12: hex(d),
        });
        assert.equal(info.leaves.length, popcount(a | b) + popcount(c | d));
      }),
      params(1000),
    );
  });

  test('SEV: platform and SNP status, TCB, VMSA features, SNP policy, firmware errors, CPUID 0x8000001F', () => {
    fc.assert(
      fc.property(
        fc.record({ apiMajor: u8, apiMinor: u8, state: u8, flags: u32, build: u8, guestCount: u32 }),
        fc.record({
          apiMajor: u8,
          apiMinor: u8,
          state: u8,
          rmpFlags: u8,
          buildId: u32,
          featureFlags: u32,
          guestCount: u32,
          currentTcbVersion: u64.map(hex),
          reportedTcbVersion: u64.map(hex),
        }),
        fc.option(fc.record({ family: fc.oneof(u32, fc.constantFrom(0x19, 0x1a)), model: fc.oneof(u32, u8) })),
        (status, snp, cpu) => {
          const s = decodeSevPlatformStatus(status);
          assert.equal(s.flags.names.length + s.flags.unknownBits.length, popcount(BigInt(status.flags)));
          const d = decodeSnpPlatformStatus(snp, cpu);
          assert.equal(d.tcb.match, snp.currentTcbVersion === snp.reportedTcbVersion);
          assert.equal(
            d.featureFlags.names.length + d.featureFlags.unknownBits.length,
            popcount(BigInt(snp.featureFlags)),
          );
          if (d.tcb.current) assert.equal(typeof formatTcbVersion(d.tcb.current), 'string');
          if (cpu) processorGeneration(cpu.family, cpu.model);
        },
      ),
      params(1000),
    );
    fc.assert(
      fc.property(
        u64,
        fc.constantFrom('milan-genoa' as const, 'turin' as const),
        u32,
        cpuidEntryArb,
        (value, layout, code, entry) => {
          const tcb = decodeTcbVersion(value, layout);
          assert.equal(BigInt(tcb.raw), value);
          for (const byte of [tcb.bootloader, tcb.tee, tcb.snp, tcb.microcode]) assert.ok(byte >= 0 && byte <= 255);
          const vmsa = decodeVmsaFeatures(hex(value));
          assert.equal(vmsa.names.length + vmsa.unknownBits.length, popcount(value));
          const policy = decodeSnpPolicy(value);
          assert.equal(BigInt(policy.raw), value);
          const fw = decodeFirmwareError(code);
          assert.equal(fw.name, firmwareErrorName(code));
          assert.equal(fw.hex, `0x${code.toString(16)}`);
          const sev = decodeSevCpuid({ ...entry, function: 0x8000001f });
          if (sev.sevAsids) assert.ok(sev.sevAsids.first <= sev.sevAsids.last);
        },
      ),
      params(1000),
    );
    assert.equal(decodeFirmwareError(0xffffffff).name, 'SEV_RET_NO_FW_CALL');
  });
});

// ------------------------------------------------------------------ the findings, as reproductions

describe('regressions: defects fuzzing found in lib/, fixed', () => {
  test('parseTdxLog ignores a SEAMCALL line whose status is wider than 64 bits instead of throwing', () => {
    assert.doesNotThrow(() => parseTdxLog(['virt/tdx: SEAMCALL (0x1) failed: 0x1ffffffffffffffff']));
  });

  test('a snapshot with a TDX capability wider than 64 bits is refused by the loader, or reported', () => {
    const doc = structuredClone(fixtures.find((f) => f.name === 'tdx-usable-6.16.json')!.doc) as Snapshot;
    const caps = doc.kvm.tdx?.capabilities;
    assert.ok(caps && 'value' in caps);
    caps.value.supportedAttrs = '0x1ffffffffffffffff';
    let snapshot: Snapshot;
    try {
      snapshot = validateSnapshot(doc);
    } catch (error) {
      assertNamesField(error);
      return;
    }
    assert.doesNotThrow(() => buildReport(snapshot));
  });

  test('a kmsg timestamp beyond 2^53 us does not make a snapshot its own loader refuses', () => {
    const [record] = parseKmsg('6,1,99999999999999999999,-;kvm: x');
    assert.ok(record);
    const doc = structuredClone(fixtures[0]!.doc) as Snapshot;
    doc.host.kernelLog = { source: { file: '/dev/kmsg' }, value: [record] };
    assert.doesNotThrow(() => validateSnapshot(JSON.parse(JSON.stringify(doc))));
  });

  test('a deeply nested "version" is refused with a SnapshotFormatError, not a stack overflow', () => {
    const file = join(scratch, 'deep-version.json');
    writeFileSync(file, `{"format":"kvm-caps-snapshot","version":${'['.repeat(10_000)}${']'.repeat(10_000)}}`);
    assert.throws(() => loadSnapshot(file), SnapshotFileError);
  });

  test('kernelLogFromFile reads at most MAX_LOG_BYTES of a huge --kernel-log file (600 MiB, sparse)', () => {
    const file = join(scratch, 'sparse.log');
    const fd = openSync(file, 'w');
    ftruncateSync(fd, 600 * 1024 * 1024);
    closeSync(fd);
    try {
      const fact = kernelLogFromFile(file);
      assert.ok('value' in fact);
    } finally {
      rmSync(file);
    }
  });
});
