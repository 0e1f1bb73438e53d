// ABI conformance: native/kvm_abi.h and the UAPI tables of lib/knowledge against the kernel's own UAPI
// headers (Debian unstable's linux-libc-dev, Linux 7.2; see helpers/uapi-headers.ts).
//
// Every number in the UAPI modules of lib/knowledge (UAPI_MODULES) is checked without a list of constants to maintain
// here: the test walks the
// exports of every UAPI module of lib/knowledge and checks
//   - each numeric export whose name looks like a C macro (KVM_X86_GRP_SYSTEM), and
//   - each tuple [NAME, number, ...] found anywhere inside an export (KVM_CAPABILITIES,
//     KVM_X86_VM_TYPES, the flags of CAPABILITY_VALUES)
// against the header's value of NAME, evaluated by the C compiler. So a constant added to
// those modules is checked as soon as it is added, and its name must be the header's name.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import type { TestContext } from 'node:test';
import { pathToFileURL } from 'node:url';
import { KVM_CAPABILITIES } from '../lib/knowledge/capabilities.js';
import { CAPABILITY_VALUES } from '../lib/knowledge/capability-values.js';
import { cacheDir, compileProgram, projectRoot } from './helpers/compile.js';
import { fetchFailed, record } from './helpers/requirements.js';
import { uapiHeaders } from './helpers/uapi-headers.js';
import type { UapiHeaders } from './helpers/uapi-headers.js';

/** Headers whose macros and enumerators the UAPI constants of lib/knowledge may name. */
const CONSTANT_HEADERS = ['linux/kvm.h', 'linux/kvm_para.h', 'linux/psp-sev.h'];
const MACRO_NAME = /^[A-Z][A-Z0-9_]*$/;

interface Constant {
  name: string;
  value: number;
  where: string;
}

function walk(value: unknown, where: string, out: Constant[]): void {
  if (Array.isArray(value)) {
    const [first, second] = value as unknown[];
    if (typeof first === 'string' && MACRO_NAME.test(first) && typeof second === 'number') {
      out.push({ name: first, value: second, where });
      return;
    }
    value.forEach((item: unknown, i) => walk(item, `${where}[${i}]`, out));
  } else if (value !== null && typeof value === 'object') {
    for (const [key, item] of Object.entries(value)) walk(item, `${where}.${key}`, out);
  }
}

/** The modules of lib/knowledge that hold UAPI numbers (the rest hold firmware and kernel-internal tables). */
const UAPI_MODULES = ['capabilities.ts', 'capability-values.ts', 'confidential-commands.ts', 'x86.ts'];

/** Every constant in the exports of the UAPI modules of lib/knowledge. */
async function libUapiConstants(): Promise<Constant[]> {
  const dir = join(projectRoot, 'lib', 'knowledge');
  const out: Constant[] = [];
  for (const file of UAPI_MODULES) {
    const module = (await import(pathToFileURL(join(dir, file)).href)) as Record<string, unknown>;
    for (const [name, value] of Object.entries(module)) {
      const where = `lib/knowledge/${file}: ${name}`;
      if (typeof value === 'number' && MACRO_NAME.test(name)) out.push({ name, value, where });
      else walk(value, where, out);
    }
  }
  return out;
}

/** Names of `#define KVM_CAP_<NAME> <value>` in linux/kvm.h (object-like macros only). */
function headerCapabilityNames(headers: UapiHeaders): string[] {
  const text = readFileSync(join(headers.includeDir, 'linux', 'kvm.h'), 'utf8');
  return [...text.matchAll(/^[ \t]*#[ \t]*define[ \t]+(KVM_CAP_[A-Za-z0-9_]+)[ \t]+\S/gm)].map((m) => m[1] ?? '');
}

function execText(file: string, args: string[] = []): string {
  return execFileSync(file, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], maxBuffer: 64 * 1024 * 1024 });
}

function writeAtomically(path: string, text: string): void {
  writeFileSync(`${path}.${process.pid}`, text);
  renameSync(`${path}.${process.pid}`, path);
}

/**
 * Evaluates each name with the C compiler against the UAPI headers. Returns name -> decimal
 * value, or 'undefined' when the headers define no such macro or enumerator.
 */
function evaluateHeaderConstants(headers: UapiHeaders, names: readonly string[]): Map<string, string> {
  const dir = join(cacheDir, 'uapi', 'generated');
  mkdirSync(dir, { recursive: true });
  const includes = CONSTANT_HEADERS.map((header) => `#include <${header}>`).join('\n');
  const systemIncludeDirs = [headers.includeDir, headers.archIncludeDir];

  // Enumerators (e.g. the SEV and TDX command ids) are not macros, so #ifdef misses them:
  // find them in the preprocessed headers instead.
  const probe = join(dir, 'uapi_probe.c');
  writeAtomically(probe, `${includes}\n`);
  const preprocessed = execText('cc', ['-E', '-P', ...systemIncludeDirs.flatMap((d) => ['-isystem', d]), probe]);
  const isEnumerator = (name: string): boolean => new RegExp(`\\b${name}\\s*(=[^,}]*)?[,}]`).test(preprocessed);

  const body = [...new Set(names)]
    .sort()
    .map((name) =>
      [
        `#ifdef ${name}`,
        `  V(${name});`,
        '#else',
        isEnumerator(name) ? `  V(${name});` : `  puts("${name}\\tundefined");`,
        '#endif',
      ].join('\n'),
    )
    .join('\n');
  const source = join(dir, 'uapi_constants.c');
  writeAtomically(
    source,
    `// Generated by test/abi.test.ts from the UAPI tables of lib/knowledge.
#include <stdio.h>
${includes}

static void print(const char *name, int negative, unsigned long long value) {
  if (negative) printf("%s\\t-%llu\\n", name, -value);
  else printf("%s\\t%llu\\n", name, value);
}
#define V(name) print(#name, (name) < 0, (unsigned long long)(name))

int main(void) {
${body}
  return 0;
}
`,
  );
  const binary = compileProgram(source, { language: 'c', systemIncludeDirs });
  const values = new Map<string, string>();
  for (const line of execText(binary).split('\n')) {
    const [name, value] = line.split('\t');
    if (name && value) values.set(name, value);
  }
  return values;
}

function tsValue(value: number): string {
  return Number.isSafeInteger(value) ? BigInt(value).toString() : `non-integer ${value}`;
}

function assertNoProblems(problems: string[], what: string, headers: UapiHeaders): void {
  if (problems.length > 0) {
    assert.fail(
      `${problems.length} ${what} disagree with linux-libc-dev ${headers.version}:\n  ${problems.join('\n  ')}`,
    );
  }
}

async function obtainHeaders(t: TestContext): Promise<UapiHeaders | undefined> {
  let headers: UapiHeaders;
  try {
    headers = await uapiHeaders();
  } catch (error) {
    t.skip(fetchFailed('Linux 7.2 UAPI headers', error));
    return undefined;
  }
  record('debian', undefined);
  t.diagnostic(
    `UAPI headers: linux-libc-dev ${headers.version} from Debian ` +
      `unstable (${headers.cached ? 'cached' : 'fetched'}) in ` +
      `${headers.includeDir}`,
  );
  return headers;
}

test('ABI conformance against the Linux UAPI headers', async (t) => {
  const headers = await obtainHeaders(t);
  if (!headers) return;
  const systemIncludeDirs = [headers.includeDir, headers.archIncludeDir];
  const abiSource = join(projectRoot, 'test', 'abi', 'abi_check.cc');
  const abiOptions = { language: 'c++' as const, systemIncludeDirs, includeDirs: [join(projectRoot, 'native')] };

  await t.test(
    'native/kvm_abi.h and sev_abi.h: request numbers, struct sizes, field offsets and sizes, bitfield positions',
    () => {
      const binary = compileProgram(abiSource, { ...abiOptions, flags: ['-DABI_CHECK_PRINT_ONLY'] });
      const lines = execText(binary).trim().split('\n');
      const kinds = new Set(lines.map((line) => line.split('\t')[0]));
      assert.deepEqual(
        [...kinds].sort(),
        ['bit', 'offsetof', 'request', 'sizeof'],
        'abi_check printed every kind of check',
      );
      const problems = lines
        .map((line) => line.split('\t'))
        .filter(([, , kernel, ours]) => kernel !== ours)
        .map(([kind, name, kernel, ours]) => `${kind} ${name}: kernel ${kernel}, kvm_abi.h ${ours}`);
      assertNoProblems(problems, 'kvm_abi.h values', headers);
    },
  );

  await t.test('native/kvm_abi.h: the same checks hold as static_asserts', () => {
    try {
      compileProgram(abiSource, abiOptions);
    } catch (error) {
      const stderr = (error as { stderr?: Buffer | string }).stderr?.toString() ?? '';
      const failed = stderr.split('\n').filter((line) => /static assertion failed|error:/.test(line));
      assert.fail(
        `abi_check.cc does not compile against linux-libc-dev ${headers.version}:\n${failed.join('\n') || stderr}`,
      );
    }
  });

  const constants = await libUapiConstants();
  const headerCaps = headerCapabilityNames(headers);
  const values = evaluateHeaderConstants(headers, [...headerCaps, ...constants.map((c) => c.name)]);

  await t.test('KVM_CAPABILITIES equals the KVM_CAP_* defines of linux/kvm.h, both ways', () => {
    const problems: string[] = [];
    const libNames = new Map<string, number>();
    for (const [name, number] of KVM_CAPABILITIES) {
      if (libNames.has(name)) problems.push(`${name} is listed twice in KVM_CAPABILITIES`);
      libNames.set(name, number);
    }
    const headerSet = new Set(headerCaps);
    for (const name of headerCaps) {
      if (!libNames.has(name))
        problems.push(`${name} = ${values.get(name)} is in linux/kvm.h but not in KVM_CAPABILITIES`);
    }
    for (const [name, number] of libNames) {
      if (!headerSet.has(name))
        problems.push(`${name} = ${number} is in KVM_CAPABILITIES but not defined in linux/kvm.h`);
      else if (values.get(name) !== tsValue(number)) {
        problems.push(`${name}: linux/kvm.h ${values.get(name)}, KVM_CAPABILITIES ${number}`);
      }
    }
    assert.ok(headerCaps.length > 200, `found only ${headerCaps.length} KVM_CAP_* defines in linux/kvm.h`);
    assertNoProblems(problems, 'capability numbers', headers);
  });

  await t.test('every UAPI constant of lib/knowledge equals the header value of its name', () => {
    const names = new Set(constants.map((c) => c.name));
    // The walk must see the tables it is meant to check.
    for (const expected of [
      'KVM_CAP_IRQCHIP',
      'KVM_X86_TDX_VM',
      'KVM_X86_GRP_SYSTEM',
      'KVM_X86_XCOMP_GUEST_SUPP',
      'KVM_X86_QUIRK_LINT0_REENABLED',
      'KVM_HC_MAP_GPA_RANGE',
    ]) {
      assert.ok(names.has(expected), `the walk of lib/knowledge did not find ${expected}`);
    }
    const problems = constants
      .filter((c) => values.get(c.name) !== tsValue(c.value))
      .map((c) =>
        values.get(c.name) === 'undefined'
          ? `${c.where}: ${c.name} is not defined by ${CONSTANT_HEADERS.join(', ')}`
          : `${c.where}: ${c.name} is ${values.get(c.name)} in the header, ${c.value} in lib`,
      );
    t.diagnostic(`checked ${constants.length} UAPI constants of lib/knowledge`);
    assertNoProblems(problems, 'UAPI constants of lib/knowledge', headers);
  });

  await t.test('every CAPABILITY_VALUES key is a capability in KVM_CAPABILITIES', () => {
    const capNames = new Set(KVM_CAPABILITIES.map(([name]) => name));
    const unknown = Object.keys(CAPABILITY_VALUES).filter((name) => !capNames.has(name));
    if (unknown.length > 0) assert.fail(`CAPABILITY_VALUES keys missing from KVM_CAPABILITIES: ${unknown.join(', ')}`);
  });
});
