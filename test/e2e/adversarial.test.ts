// Adversarial kernels: the kernel double (test/double/) plays a kernel that lies or
// misbehaves (persona.adversarial, test/helpers/persona.ts): counts larger than the caller's
// buffer, E2BIG forever, EINTR, short counts, garbage in reserved fields, /dev/sev commands
// that never reached the firmware. The addon (through its handles) and the CLI run in child
// processes under the double, and must stay in bounds, report a Node-style error naming the
// request, retry EINTR without a trace (but make the two requests that change a VM's state once, reporting EINTR),
// record failures in the snapshot without inventing
// values, and exit with the documented code. The native part runs again under the ASan +
// UBSan build of test/asan/run.sh where there is one.
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { pathToFileURL } from 'node:url';
import { decodeSnpPlatformStatus } from '../../lib/decode/sev-fields.js';
import { validateSnapshot } from '../../lib/snapshot/load.js';
import type { Fact, ProbeError, Snapshot } from '../../lib/snapshot/types.js';
import { runCli, type CliResult } from '../helpers/cli.js';
import { projectRoot } from '../helpers/compile.js';
import {
  buildDouble,
  doubleSkipReason,
  loadPersona,
  preloadWith,
  preparePersona,
  readDoubleLog,
  type PreparedPersona,
} from '../helpers/double.js';
import type { Persona, PersonaAdversarial } from '../helpers/persona.js';

const prepared: PreparedPersona[] = [];
// Without the double (no compiler, or no UAPI headers to build it with) the suite skips.
const skip = await doubleSkipReason();
after(() => prepared.forEach((p) => p.cleanup()));

/** A persona from test/personas with an adversarial section (and other overrides). */
function adversary(
  base: string,
  adversarial: PersonaAdversarial | undefined,
  change: (p: Persona) => void = () => {},
): Persona {
  const persona = structuredClone(loadPersona(base));
  persona.name = `${persona.name}${adversarial ? '-adversarial' : ''}`;
  if (adversarial) persona.adversarial = adversarial;
  change(persona);
  return persona;
}

function prepare(persona: Persona): PreparedPersona {
  const p = preparePersona(persona);
  prepared.push(p);
  return p;
}

// ------------------------------------------------------------------ the addon in a child

const handleUrl = pathToFileURL(join(projectRoot, 'lib', 'native', 'handle.ts')).href;

/** Every read-only request of the addon, each result as { value } or { error: the error's fields }. */
const nativeScript =
  `
  import { openSevHandle, openSystemHandle } from ${JSON.stringify(handleUrl)};
  const env = ` +
  `process.env;
  const json = (v) => JSON.parse(JSON.stringify(v ?? null, (k, x) => typeof x === 'bigint' ? ` +
  `'0x' + x.toString(16) : x));
  const pick = (e) => ({ isError: e instanceof Error, fields: json({ ...e }), ` +
  `message: String(e && e.message) });
  const run = (f) => { try { return { value: json(f()) }; } catch (e) { ` +
  `return { error: pick(e) }; } };
  const runAsync = async (f) => { try { return { value: json(await f()) }; ` +
  `} catch (e) { return { error: pick(e) }; } };
  const out = {};
  if (env.ADV_KVM) {
    const kvm = ` +
  `openSystemHandle(env.ADV_KVM);
    out.apiVersion = run(() => kvm.apiVersion());
    out.checkExtensions = ` +
  `run(() => Array.from(kvm.checkExtensions([0, 9, 66, 235])));
    out.supportedCpuid = run(() => ` +
  `kvm.supportedCpuid());
    out.emulatedCpuid = run(() => kvm.emulatedCpuid());
    out.msrIndexList = ` +
  `run(() => kvm.msrIndexList());
    out.msrFeatureIndexList = run(() => kvm.msrFeatureIndexList());
    ` +
  `const msrs = JSON.parse(env.ADV_MSRS || '[]');
    if (msrs.length > 0) out.getMsrs = run(() => ` +
  `kvm.getMsrs(msrs));
    if (env.ADV_TDX) {
      let td;
      out.createTd = run(() => { td = ` +
  `kvm.createVm(5); return true; });
      if (td) { out.tdxCapabilities = run(() => td.tdxCapabilities()); ` +
  `td.close(); }
    }
    kvm.close();
  }
  if (env.ADV_SEV) {
    const sev = ` +
  `openSevHandle(env.ADV_SEV);
    out.sevPlatformStatus = await runAsync(() => sev.sevPlatformStatus());
    ` +
  `out.snpPlatformStatus = await runAsync(() => sev.snpPlatformStatus());
    out.sevGetId2 = await ` +
  `runAsync(() => sev.sevGetId2());
    sev.close();
  }
  process.stdout.write(JSON.stringify(out));
`;

interface ErrorRecord {
  isError: boolean;
  fields: {
    code: string;
    errno: number;
    syscall: string;
    request?: string;
    path: string;
    firmwareError?: number;
    hwError?: string;
  };
  message: string;
}
type Outcome = { value: unknown } | { error: ErrorRecord };
type NativeResults = Record<string, Outcome>;

interface NativeOptions {
  kvm?: boolean;
  sev?: boolean;
  tdx?: boolean;
  msrs?: number[];
}

function nativeEnv(p: PreparedPersona, options: NativeOptions): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...p.env };
  if (options.kvm !== false) env.ADV_KVM = p.kvmDevice;
  if (options.sev) env.ADV_SEV = p.sevDevice;
  if (options.tdx) env.ADV_TDX = '1';
  env.ADV_MSRS = JSON.stringify(options.msrs ?? []);
  return env;
}

/** Runs the addon under the double (and, with `asan`, under the sanitizer build); it must exit 0, no signal. */
function runNative(
  p: PreparedPersona,
  options: NativeOptions,
  env: NodeJS.ProcessEnv = nativeEnv(p, options),
): NativeResults {
  const child = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', nativeScript], {
    cwd: projectRoot,
    env,
    encoding: 'utf8',
    timeout: 60_000,
  });
  const fatal = readDoubleLog(p.log).filter((line) => line.startsWith('FATAL'));
  assert.deepEqual(fatal, [], 'the double saw nothing out of bounds');
  assert.equal(child.signal, null, `the addon's child was killed by ${String(child.signal)}:\n${child.stderr}`);
  assert.equal(child.status, 0, `the addon's child failed:\n${child.stderr}`);
  assert.doesNotMatch(child.stderr, /AddressSanitizer|runtime error:|LeakSanitizer/);
  return JSON.parse(child.stdout) as NativeResults;
}

/** `outcome` is a Node-style system error of the ioctl `request` on `path`. */
function assertIoctlError(outcome: Outcome | undefined, code: string, request: string, path: string): ErrorRecord {
  assert.ok(outcome && 'error' in outcome, `${request}: expected ${code}, got ${JSON.stringify(outcome)}`);
  const e = outcome.error;
  assert.equal(e.isError, true);
  assert.equal(e.fields.code, code, `${request}: ${e.message}`);
  assert.equal(e.fields.syscall, 'ioctl');
  assert.equal(e.fields.request, request);
  assert.equal(e.fields.path, path);
  assert.ok(e.fields.errno < 0);
  assert.ok(e.message.startsWith(`${code}: `) && e.message.endsWith(`, ioctl ${request} '${path}'`), e.message);
  return e;
}

// ------------------------------------------------------------------ the sanitizer build

/**
 * The ASan + UBSan build test/asan/run.sh makes (.cache/asan/build/Debug/kvm_caps.node),
 * copied aside (another run may be rebuilding it), with the runtimes to preload; or why not.
 */
const asan: { addon: string; runtimes: string[] } | { reason: string } = (() => {
  if (process.env.KVM_CAPS_NATIVE && /libasan/.test(process.env.LD_PRELOAD ?? '')) {
    return {
      reason:
        `this run is already under the sanitizer build (${process.env.KVM_CAPS_NATIVE}): every native child ` +
        'above ran under it',
    };
  }
  if (!existsSync(join(projectRoot, 'test', 'asan', 'run.sh')))
    return { reason: 'test/asan/run.sh is absent: there is no sanitizer build' };
  const built = join(projectRoot, '.cache', 'asan', 'build', 'Debug', 'kvm_caps.node');
  if (!existsSync(built)) return { reason: `${built} is not built; run test/asan/run.sh test/adversarial.test.ts` };
  const sources = readdirSync(join(projectRoot, 'native')).map((f) => join(projectRoot, 'native', f));
  const newest = Math.max(...[...sources, join(projectRoot, 'binding.gyp')].map((f) => statSync(f).mtimeMs));
  if (statSync(built).mtimeMs < newest)
    return { reason: `${built} is older than native/; run test/asan/run.sh to rebuild it` };
  try {
    const dir = mkdtempSync(join(tmpdir(), 'kvm-caps-asan-addon-'));
    process.once('exit', () => rmSync(dir, { recursive: true, force: true }));
    const addon = join(dir, 'kvm_caps.node');
    copyFileSync(built, addon);
    const imports = execFileSync('nm', ['-D', '--undefined-only', addon], { encoding: 'utf8' });
    if (!imports.includes('__asan_report') || !imports.includes('__ubsan_handle'))
      return { reason: `${built} is not instrumented` };
    const runtimes = ['libasan.so', 'libubsan.so'].map((lib) =>
      execFileSync('g++', [`-print-file-name=${lib}`], { encoding: 'utf8' }).trim(),
    );
    const missing = runtimes.find((rt) => !existsSync(rt));
    if (missing !== undefined) return { reason: `the sanitizer runtime ${missing} is not installed` };
    return { addon, runtimes };
  } catch (error) {
    return { reason: `cannot use the sanitizer build: ${(error as Error).message}` };
  }
})();

let asanReasonPrinted = false;

/** The same native run under the sanitizer build, whose results must be the same; or the printed reason why not. */
function runNativeUnderAsan(p: PreparedPersona, options: NativeOptions, expected: NativeResults): void {
  if ('reason' in asan) {
    if (!asanReasonPrinted) console.log(`# adversarial: the native part is not repeated under ASan: ${asan.reason}`);
    asanReasonPrinted = true;
    return;
  }
  const env = nativeEnv(p, options);
  env.KVM_CAPS_NATIVE = asan.addon;
  env.LD_PRELOAD = preloadWith(buildDouble(), [...asan.runtimes, process.env.LD_PRELOAD ?? ''].join(':'));
  env.ASAN_OPTIONS = 'detect_leaks=0:abort_on_error=1';
  env.UBSAN_OPTIONS = 'halt_on_error=1:print_stacktrace=1';
  assert.deepEqual(runNative(p, options, env), expected, 'the sanitizer build gives the same results');
}

// ------------------------------------------------------------------ the CLI

function cli(p: PreparedPersona, args: string[]): CliResult {
  const result = runCli([...args, '--root', p.root, '--device', p.kvmDevice, '--sev-device', p.sevDevice], {
    env: p.env,
  });
  assert.notEqual(result.status, null, `the CLI was killed by a signal:\n${result.stderr}`);
  assert.doesNotMatch(result.stderr, /internal error/);
  assert.deepEqual(
    readDoubleLog(p.log).filter((line) => line.startsWith('FATAL')),
    [],
  );
  return result;
}

/** `kvm-caps snapshot` under the double: exit 0 (the device answered API 12), a valid snapshot. */
function snapshotOf(p: PreparedPersona, extra: string[] = []): Snapshot {
  const result = cli(p, ['snapshot', ...extra]);
  assert.equal(result.status, 0, result.stderr);
  return validateSnapshot(JSON.parse(result.stdout));
}

/** The snapshot as text without what differs between two runs: the time and the temporary root. */
function comparable(snapshot: Snapshot, p: PreparedPersona): unknown {
  const { createdAt: _, ...rest } = snapshot;
  return JSON.parse(JSON.stringify(rest).replaceAll(p.root, '<root>'));
}

/** A fact that failed with `code` on `request`, and has no value. */
function assertFailedFact(fact: Fact<unknown> | undefined, code: string, request: string): ProbeError {
  assert.ok(fact !== undefined, `no fact for ${request}`);
  assert.ok(!('value' in fact), `${request}: a value was recorded: ${JSON.stringify(fact)}`);
  assert.ok('error' in fact);
  assert.equal(fact.error.code, code, fact.error.message);
  assert.equal(fact.error.request, request);
  assert.equal(fact.error.syscall, 'ioctl');
  return fact.error;
}

/** Requests the double answered with EINTR, by count. */
function eintrCounts(p: PreparedPersona): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const line of readDoubleLog(p.log)) {
    const m = /^(?:kvm|vm|sev) (?:KVM_MEMORY_ENCRYPT_OP |SEV_ISSUE_CMD )?(\w+).* -> EINTR.*\(adversarial\)$/.exec(line);
    if (m) counts[m[1]!] = (counts[m[1]!] ?? 0) + 1;
  }
  return counts;
}

/** The counts the caller offered for `request`, in order, from the double's log. */
function offeredCounts(p: PreparedPersona, request: string, field: 'nent' | 'nmsrs'): number[] {
  return readDoubleLog(p.log)
    .filter((line) => line.includes(` ${request} `))
    .map((line) => Number(new RegExp(`${field}=(\\d+)`).exec(line)?.[1]));
}

const baselines = new Map<string, { snapshot: Snapshot; p: PreparedPersona }>();
/** The snapshot of the unmodified persona, taken once. */
function baseline(name: string, extra: string[] = []): { snapshot: Snapshot; p: PreparedPersona } {
  const key = `${name} ${extra.join(' ')}`;
  let b = baselines.get(key);
  if (b === undefined) {
    const p = prepare(adversary(name, undefined));
    b = { snapshot: snapshotOf(p, extra), p };
    baselines.set(key, b);
  }
  return b;
}

// ------------------------------------------------------------------ the tests

describe('adversarial kernels', { skip }, () => {
  test('a count larger than the buffer is refused with EOVERFLOW, nothing read past it', () => {
    const persona = adversary('tdx-1.5-linux-6.16', {
      overlongCount: {
        KVM_GET_SUPPORTED_CPUID: 1,
        KVM_GET_EMULATED_CPUID: 0xffffffff,
        KVM_GET_MSR_INDEX_LIST: 1,
        KVM_TDX_CAPABILITIES: 1,
        KVM_GET_MSRS: 1,
      },
      garbage: true, // and garbage beyond the real entries, in the caller's buffer
    });
    const p = prepare(persona);
    const options = { tdx: true, msrs: [0x10a, 0x345] };
    const native = runNative(p, options);
    for (const [key, request] of [
      ['supportedCpuid', 'KVM_GET_SUPPORTED_CPUID'],
      ['emulatedCpuid', 'KVM_GET_EMULATED_CPUID'],
      ['msrIndexList', 'KVM_GET_MSR_INDEX_LIST'],
      ['getMsrs', 'KVM_GET_MSRS'],
      ['tdxCapabilities', 'KVM_TDX_CAPABILITIES'],
    ] as const) {
      assertIoctlError(native[key], 'EOVERFLOW', request, p.kvmDevice);
    }
    // Untouched requests still answer.
    assert.deepEqual(native.apiVersion, { value: 12 });
    assert.deepEqual(native.msrFeatureIndexList, { value: persona.kvm?.msrFeatureIndexList });
    assert.ok(readDoubleLog(p.log).filter((l) => l.includes('adversarial overlong count')).length >= 5);
    runNativeUnderAsan(p, options, native);

    const snapshot = snapshotOf(p);
    assertFailedFact(snapshot.kvm.supportedCpuid, 'EOVERFLOW', 'KVM_GET_SUPPORTED_CPUID');
    assertFailedFact(snapshot.kvm.emulatedCpuid, 'EOVERFLOW', 'KVM_GET_EMULATED_CPUID');
    assertFailedFact(snapshot.kvm.msrIndexList, 'EOVERFLOW', 'KVM_GET_MSR_INDEX_LIST');
    assertFailedFact(snapshot.kvm.featureMsrs, 'EOVERFLOW', 'KVM_GET_MSRS');
    assertFailedFact(snapshot.kvm.tdx?.capabilities, 'EOVERFLOW', 'KVM_TDX_CAPABILITIES');
    // The TDX view reports the failure and still exits 0: the KVM device answered.
    const tdx = cli(p, ['tdx', '--json']);
    assert.equal(tdx.status, 0, tdx.stderr);
    assert.match(tdx.stdout, /EOVERFLOW/);
  });

  test('an absurd count (0xffffffff) on the MSR feature list: EOVERFLOW, no feature MSR read', () => {
    const p = prepare(adversary('generic-intel', { overlongCount: { KVM_GET_MSR_FEATURE_INDEX_LIST: 0xffffffff } }));
    const native = runNative(p, {});
    assertIoctlError(native.msrFeatureIndexList, 'EOVERFLOW', 'KVM_GET_MSR_FEATURE_INDEX_LIST', p.kvmDevice);
    runNativeUnderAsan(p, {}, native);
    const snapshot = snapshotOf(p);
    assertFailedFact(snapshot.kvm.msrFeatureIndexList, 'EOVERFLOW', 'KVM_GET_MSR_FEATURE_INDEX_LIST');
    assert.equal(snapshot.kvm.featureMsrs, undefined, 'no MSR is read from a list that was refused');
    assert.ok(!readDoubleLog(p.log).some((line) => line.includes('KVM_GET_MSRS')));
  });

  test('E2BIG forever: each buffer grows to its bound, then E2BIG is reported', () => {
    const persona = adversary('tdx-1.5-linux-6.16', {
      e2bigForever: {
        KVM_GET_SUPPORTED_CPUID: { writeBack: 'unchanged' },
        KVM_GET_EMULATED_CPUID: { writeBack: 0xffffffff },
        KVM_GET_MSR_INDEX_LIST: { writeBack: 0xffffffff },
        KVM_GET_MSR_FEATURE_INDEX_LIST: { writeBack: 'needed' },
        KVM_TDX_CAPABILITIES: { writeBack: 'unchanged' },
      },
    });
    const p = prepare(persona);
    const native = runNative(p, { tdx: true });
    assertIoctlError(native.supportedCpuid, 'E2BIG', 'KVM_GET_SUPPORTED_CPUID', p.kvmDevice);
    assertIoctlError(native.emulatedCpuid, 'E2BIG', 'KVM_GET_EMULATED_CPUID', p.kvmDevice);
    assertIoctlError(native.msrIndexList, 'E2BIG', 'KVM_GET_MSR_INDEX_LIST', p.kvmDevice);
    assertIoctlError(native.msrFeatureIndexList, 'E2BIG', 'KVM_GET_MSR_FEATURE_INDEX_LIST', p.kvmDevice);
    assertIoctlError(native.tdxCapabilities, 'E2BIG', 'KVM_TDX_CAPABILITIES', p.kvmDevice);
    // The bounds (native/kvm_ioctl.h): 4096 CPUID entries, 65536 MSR indices. Each buffer the
    // addon offered was mapped in full (the double checks before answering E2BIG).
    const doubling = (from: number, bound: number): number[] => {
      const out = [from];
      while (out.at(-1)! < bound) out.push(Math.min(out.at(-1)! * 2, bound));
      return out;
    };
    assert.deepEqual(offeredCounts(p, 'KVM_GET_SUPPORTED_CPUID', 'nent'), doubling(128, 4096));
    assert.deepEqual(
      offeredCounts(p, 'KVM_GET_EMULATED_CPUID', 'nent'),
      doubling(128, 4096),
      'a written-back nent is not trusted',
    );
    assert.deepEqual(offeredCounts(p, 'KVM_TDX_CAPABILITIES', 'nent'), doubling(6, 4096));
    assert.deepEqual(
      offeredCounts(p, 'KVM_GET_MSR_INDEX_LIST', 'nmsrs'),
      [0, 65536],
      '0xffffffff is clamped to the bound',
    );
    const n = persona.kvm!.msrFeatureIndexList.length;
    assert.deepEqual(offeredCounts(p, 'KVM_GET_MSR_FEATURE_INDEX_LIST', 'nmsrs'), [0, n, ...doubling(64, 65536)]);
    runNativeUnderAsan(p, { tdx: true }, native);

    const snapshot = snapshotOf(p);
    for (const [request, fact] of [
      ['KVM_GET_SUPPORTED_CPUID', snapshot.kvm.supportedCpuid],
      ['KVM_GET_EMULATED_CPUID', snapshot.kvm.emulatedCpuid],
      ['KVM_GET_MSR_INDEX_LIST', snapshot.kvm.msrIndexList],
      ['KVM_GET_MSR_FEATURE_INDEX_LIST', snapshot.kvm.msrFeatureIndexList],
      ['KVM_TDX_CAPABILITIES', snapshot.kvm.tdx?.capabilities],
    ] as const) {
      assertFailedFact(fact, 'E2BIG', request);
    }
    const report = cli(p, ['--json']);
    assert.equal(report.status, 0, report.stderr);
  });

  test('EINTR is retried transparently: the same snapshot as the well-behaved kernel', () => {
    const eintr = {
      KVM_GET_API_VERSION: 3,
      KVM_GET_VCPU_MMAP_SIZE: 1,
      KVM_CHECK_EXTENSION: 5,
      KVM_CREATE_VM: 2,
      KVM_GET_SUPPORTED_CPUID: 2,
      KVM_GET_EMULATED_CPUID: 1,
      KVM_GET_MSR_INDEX_LIST: 2,
      KVM_GET_MSR_FEATURE_INDEX_LIST: 2,
      KVM_GET_MSRS: 3,
      KVM_GET_DEVICE_ATTR: 2,
    };
    const cases: { base: string; extra: Record<string, number>; native: NativeOptions }[] = [
      // KVM_TDX_INIT_VM and KVM_SEV_INIT2 are not retried: the next test.
      {
        base: 'tdx-rejects-attribute',
        extra: { KVM_TDX_CAPABILITIES: 3 },
        native: { tdx: true, msrs: [0x10a, 0x345] },
      },
      {
        base: 'snp-genoa-linux-6.11',
        extra: { SEV_PLATFORM_STATUS: 2, SNP_PLATFORM_STATUS: 3, SEV_GET_ID2: 2 },
        native: { sev: true },
      },
    ];
    for (const c of cases) {
      const rules = { ...eintr, ...c.extra };
      const p = prepare(adversary(c.base, { eintr: rules }));
      const snapshot = snapshotOf(p, ['--deep']);
      const good = baseline(c.base, ['--deep']);
      assert.deepEqual(comparable(snapshot, p), comparable(good.snapshot, good.p), `${c.base}: EINTR left a trace`);
      const counts = eintrCounts(p);
      for (const [request, n] of Object.entries(rules)) {
        if (c.base.startsWith('snp') && request === 'KVM_GET_MSRS') continue; // no feature MSRs on that host
        assert.equal(
          counts[request],
          n,
          `${c.base}: ${request} answered EINTR ${counts[request] ?? 0} times, not ${n}`,
        );
      }
      // The addon alone, and under the sanitizer build.
      const native = runNative(prepare(adversary(c.base, { eintr: rules })), c.native);
      assert.deepEqual(native, runNative(prepare(adversary(c.base, undefined)), c.native));
      runNativeUnderAsan(prepare(adversary(c.base, { eintr: rules })), c.native, native);
    }
  });

  test(
    'EINTR on KVM_TDX_INIT_VM and KVM_SEV_INIT2 (they change the VM) is made once and reported, with what it ' +
      'means',
    () => {
      const cases = [
        {
          base: 'tdx-rejects-attribute',
          request: 'KVM_TDX_INIT_VM',
          result: (s: Snapshot) => s.kvm.tdx?.initVm?.result,
        },
        {
          base: 'snp-genoa-linux-6.11',
          request: 'KVM_SEV_INIT2',
          result: (s: Snapshot) => Object.values(s.kvm.sevInit2 ?? {})[0]?.result,
        },
      ] as const;
      for (const c of cases) {
        const p = prepare(adversary(c.base, { eintr: { [c.request]: 1 } as never }));
        const snapshot = snapshotOf(p, ['--deep']);
        const error = assertFailedFact(c.result(snapshot), 'EINTR', c.request);
        assert.match(error.message, /not repeat because it changes the/, error.message);
        // The double saw the request once for that VM: the EINTR, and no second attempt.
        assert.equal(eintrCounts(p)[c.request], 1);
        // Only the requests themselves: the double also logs how each TD CPUID leaf resolved.
        const isRequest = (line: string): boolean => line.includes(`KVM_MEMORY_ENCRYPT_OP ${c.request}`);
        const calls = readDoubleLog(p.log).filter(isRequest);
        const baselineCalls = readDoubleLog(baseline(c.base, ['--deep']).p.log).filter(isRequest);
        assert.equal(calls.length, baselineCalls.length, `${c.request}: ${calls.join('\n')}`);
      }
    },
  );
  test('short counts: KVM_GET_MSRS reading fewer than asked records only what was read', () => {
    const persona = adversary('generic-intel', { getMsrsLimit: 1 });
    const kvm = persona.kvm!;
    const p = prepare(persona);
    const list = kvm.msrFeatureIndexList;
    const native = runNative(p, { msrs: list });
    const first = list[0]!;
    assert.deepEqual(native.getMsrs, { value: [kvm.featureMsrs[`0x${first.toString(16)}`]] });
    runNativeUnderAsan(p, { msrs: list }, native);

    const snapshot = snapshotOf(p);
    const msrs = snapshot.kvm.featureMsrs;
    assert.ok(msrs && 'value' in msrs, JSON.stringify(msrs));
    // Reads of one MSR each, the next one marked unreadable: every other MSR of the list.
    const hex = (n: number) => `0x${n.toString(16)}`;
    const read = list.filter((_, i) => i % 2 === 0).map(hex);
    const unreadable = list.filter((_, i) => i % 2 === 1).map(hex);
    assert.deepEqual(Object.keys(msrs.value.values), read);
    assert.deepEqual(msrs.value.unreadable, unreadable);
    for (const [index, value] of Object.entries(msrs.value.values))
      assert.equal(value, kvm.featureMsrs[index], `MSR ${index} is the persona's value`);
    // The well-behaved kernel reads them all.
    const good = baseline('generic-intel').snapshot.kvm.featureMsrs;
    assert.ok(good && 'value' in good);
    assert.deepEqual(good.value.unreadable, []);
  });

  test(
    'garbage in reserved fields and beyond the count changes ' + 'nothing; reserved SNP bits stay raw and unnamed',
    () => {
      const tdx = prepare(adversary('tdx-rejects-attribute', { garbage: true }));
      const tdxSnapshot = snapshotOf(tdx, ['--deep']);
      const tdxGood = baseline('tdx-rejects-attribute', ['--deep']);
      assert.deepEqual(comparable(tdxSnapshot, tdx), comparable(tdxGood.snapshot, tdxGood.p));

      const snp = prepare(adversary('snp-genoa-linux-6.11', { garbage: true }));
      const snpSnapshot = snapshotOf(snp, ['--deep']);
      const snpGood = baseline('snp-genoa-linux-6.11', ['--deep']);
      const status = snpSnapshot.sev?.snpPlatformStatus;
      const goodStatus = snpGood.snapshot.sev?.snpPlatformStatus;
      assert.ok(status && 'value' in status && goodStatus && 'value' in goodStatus);
      // The addon reports the two bitfield words raw (native/sev_abi.h): the garbage is there...
      assert.equal(status.value.rmpFlags, goodStatus.value.rmpFlags | 0xa4);
      assert.equal(status.value.featureFlags, (goodStatus.value.featureFlags | 0xd2d2d200) >>> 0);
      // ...and everything else is the well-behaved kernel's.
      const scrub = (s: Snapshot): Snapshot => {
        const copy = structuredClone(s);
        const v = copy.sev?.snpPlatformStatus;
        if (v && 'value' in v) v.value.rmpFlags = v.value.featureFlags = 0;
        return copy;
      };
      assert.deepEqual(comparable(scrub(snpSnapshot), snp), comparable(scrub(snpGood.snapshot), snpGood.p));
      // The decoder names no reserved bit: they come out as unknown bits.
      const decoded = decodeSnpPlatformStatus(status.value);
      const goodDecoded = decodeSnpPlatformStatus(goodStatus.value);
      assert.deepEqual(decoded.featureFlags.names, goodDecoded.featureFlags.names);
      assert.deepEqual(decoded.rmpFlags.names, goodDecoded.rmpFlags.names);
      assert.deepEqual(decoded.featureFlags.unknownBits, [9, 12, 14, 15, 17, 20, 22, 23, 25, 28, 30, 31]);
      assert.deepEqual(decoded.rmpFlags.unknownBits, [2, 5, 7]);

      const native = runNative(snp, { sev: true });
      runNativeUnderAsan(snp, { sev: true }, native);
    },
  );

  test(
    '/dev/sev commands that never reached the firmware: EIO with ' + 'SEV_RET_NO_FW_CALL, and an overlong chip id',
    () => {
      const NO_FW_CALL = 0xffffffff;
      const persona = adversary(
        'snp-genoa-linux-6.11',
        { fail: { SNP_PLATFORM_STATUS: { errno: 'EIO', firmwareError: NO_FW_CALL } }, getId2Length: 0xffffffff },
        (p) => {
          p.sev!.platformStatus = { errno: 'EIO', firmwareError: NO_FW_CALL };
        },
      );
      const p = prepare(persona);
      const native = runNative(p, { kvm: false, sev: true });
      for (const [key, request] of [
        ['sevPlatformStatus', 'SEV_PLATFORM_STATUS'],
        ['snpPlatformStatus', 'SNP_PLATFORM_STATUS'],
      ] as const) {
        const e = assertIoctlError(native[key], 'EIO', request, p.sevDevice);
        assert.equal(e.fields.firmwareError, NO_FW_CALL);
      }
      const id = assertIoctlError(native.sevGetId2, 'EOVERFLOW', 'SEV_GET_ID2', p.sevDevice);
      assert.equal(id.fields.firmwareError, 0, 'the firmware said success; the length was the lie');
      runNativeUnderAsan(p, { kvm: false, sev: true }, native);

      const snapshot = snapshotOf(p);
      const sev = snapshot.sev;
      assert.ok(sev);
      assert.equal(assertFailedFact(sev.platformStatus, 'EIO', 'SEV_PLATFORM_STATUS').firmwareError, NO_FW_CALL);
      assert.equal(assertFailedFact(sev.snpPlatformStatus, 'EIO', 'SNP_PLATFORM_STATUS').firmwareError, NO_FW_CALL);
      assertFailedFact(sev.chipId, 'EOVERFLOW', 'SEV_GET_ID2');
      const view = cli(p, ['sev', '--json']);
      assert.equal(view.status, 0, view.stderr);
      assert.match(view.stdout, /SEV_RET_NO_FW_CALL/);
    },
  );

  test('a kernel that does not answer KVM_GET_API_VERSION: recorded, and the CLI exits 3 (could not tell)', () => {
    const p = prepare(adversary('generic-intel', { fail: { KVM_GET_API_VERSION: { errno: 'EIO' } } }));
    const native = runNative(p, {});
    assertIoctlError(native.apiVersion, 'EIO', 'KVM_GET_API_VERSION', p.kvmDevice);
    const snapshot = cli(p, ['snapshot']);
    assert.equal(snapshot.status, 3, snapshot.stderr);
    assertFailedFact(validateSnapshot(JSON.parse(snapshot.stdout)).kvm.apiVersion, 'EIO', 'KVM_GET_API_VERSION');
    const report = cli(p, []);
    assert.equal(report.status, 3);
    assert.match(report.stderr, /did not answer KVM_GET_API_VERSION/);
  });

  test('the double refuses an adversarial rule it does not understand', () => {
    // KVM_SET_MSRS is outside the read-only set: no rule may turn it into an answer instead of an abort.
    for (const bad of [
      { eintr: { KVM_NOT_A_REQUEST: 1 } },
      { fail: { KVM_SET_MSRS: { errno: 'EIO' } } },
      { overlongCount: { KVM_GET_API_VERSION: 1 } },
    ] as PersonaAdversarial[]) {
      const p = prepare(adversary('generic-intel', bad));
      const child = spawnSync('/bin/sh', ['-c', 'ulimit -c 0; exec "$0" -e "0"', process.execPath], {
        env: p.env,
        encoding: 'utf8',
      });
      assert.equal(child.signal ?? (child.status === 134 ? 'SIGABRT' : null), 'SIGABRT', child.stderr);
      assert.match(
        child.stderr,
        new RegExp(
          String.raw`kvm-caps kernel double: config line \d+: ((eintr|` +
            String.raw`fail): \w+ is not a request the double serves|overcount is for)`,
        ),
      );
    }
  });
});
