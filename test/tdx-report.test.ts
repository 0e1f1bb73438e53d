// The TDX interpretation layer: tables checked against the values the kernel, QEMU and the
// TDX module define (quoted in lib/knowledge/tdx.ts), kernel-log parsing for every format
// the kernel has printed (test/fixtures/kernel-logs/tdx-*.txt, each naming its source), the
// decoders, tdxView on hand-made snapshots (test/fixtures/tdx-*.json), and the TDX personas.
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import {
  decodeConfigurableCpuid,
  decodeHwError,
  decodeTdAttributes,
  decodeTdvmcallInfo,
  decodeXfam,
  notConfigurableForTd,
} from '../lib/decode/tdx-fields.js';
import { parseTdxLog, type TdxLogFacts } from '../lib/decode/tdx-log.js';
import { runChecks } from '../lib/check/run.js';
import type { TdxExplanation } from '../lib/check/tdx-causes.js';
import { decodeSnapshot } from '../lib/decode/model.js';
import { isKnown, type Traced } from '../lib/decode/sourced.js';
import { describeHwError, parameterOk, parameterText, say, seamcallText } from '../lib/check/tdx-text.js';
import { tdxSection, type TdxSection } from '../lib/render/report.js';
import {
  KVM_SUPPORTED_TD_ATTRS,
  SEAMCALL_LEAVES,
  TD_ATTRIBUTES,
  TDVMCALL_INFO_1_R11,
  TDX_OPERAND_IDS,
  TDX_PARAMETERS,
  TDX_STATUS_CODES,
  TDX_SW_ERRORS,
} from '../lib/knowledge/tdx.js';
import type { CpuidEntryRecord } from '../lib/snapshot/types.js';
import { projectRoot } from './helpers/compile.js';
import type { Persona, PersonaTdx } from './helpers/persona.js';
import { fixtureNames, fixtureSnapshot as snapshot, fixturesDir } from './helpers/fixtures.js';

/** What `kvm-caps tdx --json` prints: the TDX model with the TDX checks' verdict and causes. */
const view = (name: string): TdxSection => {
  const s = snapshot(name);
  const model = decodeSnapshot(s);
  return tdxSection(model, runChecks(s, ['tdx'], model));
};
/** The check run's usable verdict for TDX (true, false, or null: could not tell). */
const usable = (v: TdxSection): boolean | null | undefined => v.technologies[0]?.verdict.usable;

/** A kernel-log fixture: its `# source:` line and the dmesg lines after it. */
function kernelLog(name: string): { source: string; lines: string[] } {
  const text = readFileSync(join(fixturesDir, 'kernel-logs', `${name}.txt`), 'utf8');
  const [first, ...rest] = text.split('\n');
  assert.match(first ?? '', /^# source: \S/, `${name}.txt must start with a "# source:" line`);
  const lines = rest.filter((line) => line !== '' && !line.startsWith('# kernel: '));
  for (const line of lines)
    assert.match(line, /^\[\s*\d+\.\d{6}\] /, `${name}.txt: dmesg line with a timestamp: ${line}`);
  return { source: first ?? '', lines };
}
const parseFixture = (name: string): TdxLogFacts => parseTdxLog(kernelLog(name).lines);

function value<T>(fact: Traced<T>): T {
  assert.ok(isKnown(fact), `expected a known fact, got ${JSON.stringify(fact)}`);
  return fact.value;
}

const codes = (explanations: TdxExplanation[]): string[] => explanations.map((e) => e.code);

test("TD attribute bits are the kernel's TDX_TD_ATTR_*_BIT numbers (asm/shared/tdx.h) and QEMU's", () => {
  const bits = Object.fromEntries(TD_ATTRIBUTES.map((a) => [a.name, a.bit]));
  assert.deepEqual(bits, {
    DEBUG: 0,
    HGS_PLUS_PROF: 4,
    PERF_PROF: 5,
    PMT_PROF: 6,
    ICSSD: 16,
    LASS: 27,
    SEPT_VE_DISABLE: 28,
    MIGRATABLE: 29,
    PKS: 30,
    KL: 31,
    TPA: 62,
    PERFMON: 63,
  });
  // QEMU target/i386/kvm/tdx.c: TDX_TD_ATTRIBUTES_DEBUG BIT_ULL(0), SEPT_VE_DISABLE 28, PKS 30, PERFMON 63.
  assert.equal(
    decodeTdAttributes(1n | (1n << 28n) | (1n << 30n) | (1n << 63n))
      .attributes.map((a) => a.name)
      .join(','),
    'DEBUG,SEPT_VE_DISABLE,PKS,PERFMON',
  );
  // KVM_SUPPORTED_TD_ATTRS = TDX_TD_ATTR_SEPT_VE_DISABLE.
  assert.equal(KVM_SUPPORTED_TD_ATTRS, 0x10000000n);
  for (const a of TD_ATTRIBUTES) assert.ok(a.source.length > 0);
});

test('status codes, operand IDs, TDVMCALL bits and leaves match the kernel, the ABI spec and QEMU', () => {
  const code = (name: string, source = 'kernel'): bigint | undefined =>
    TDX_STATUS_CODES.find((c) => c.name === name && c.source === source)?.code;
  // arch/x86/kvm/vmx/tdx_errno.h
  assert.equal(code('TDX_SUCCESS'), 0n);
  assert.equal(code('TDX_OPERAND_INVALID'), 0xc000010000000000n);
  assert.equal(code('TDX_OPERAND_BUSY'), 0x8000020000000000n);
  assert.equal(code('TDX_RND_NO_ENTROPY'), 0x8000020300000000n);
  assert.equal(code('TDX_NON_RECOVERABLE_VCPU'), 0x4000000100000000n);
  assert.equal(code('TDX_FLUSHVP_NOT_DONE'), 0x8000082400000000n);
  assert.equal(code('TDX_KEY_CONFIGURED'), 0x0000081500000000n);
  // TDX module ABI spec v1.5 (348551-006)
  assert.equal(code('TDX_SYS_NOT_READY', 'abi-spec'), 0xc000050500000000n);
  assert.equal(code('TDX_INCORRECT_CPUID_VALUE', 'abi-spec'), 0xc000090000000000n);
  assert.equal(code('TDX_INCORRECT_MSR_VALUE', 'abi-spec'), 0xc000092100000000n);
  // asm/tdx.h: TDX_SW_ERROR | 0xFFFF0000
  assert.equal(TDX_SW_ERRORS.find((e) => e.name === 'TDX_SEAMCALL_VMFAILINVALID')?.code, 0x8000ff00ffff0000n);
  for (const c of TDX_STATUS_CODES) assert.equal(c.code & 0xffffffffn, 0n, `${c.name} has detail bits`);
  // Operand IDs: kernel TDX_OPERAND_ID_RCX/TDR/SEPT/TD_EPOCH, spec ATTRIBUTES/XFAM/CPUID_CONFIG.
  const operand = (name: string) => TDX_OPERAND_IDS.find((o) => o.name === name)?.id;
  assert.deepEqual([operand('RCX'), operand('TDR'), operand('SEPT'), operand('TD_EPOCH')], [0x01, 0x80, 0x92, 0xa9]);
  assert.deepEqual([operand('ATTRIBUTES'), operand('XFAM'), operand('CPUID_CONFIG')], [64, 65, 69]);
  // KVM TDVMCALLINFO_GET_QUOTE BIT(0), TDVMCALLINFO_SETUP_EVENT_NOTIFY_INTERRUPT BIT(1); QEMU TDVMCALL_* sub-functions.
  assert.deepEqual(
    TDVMCALL_INFO_1_R11.map((b) => [b.bit, b.constant, b.leaf]),
    [
      [0, 'TDVMCALLINFO_GET_QUOTE', 0x10002],
      [1, 'TDVMCALLINFO_SETUP_EVENT_NOTIFY_INTERRUPT', 0x10004],
    ],
  );
  // arch/x86/virt/vmx/tdx/tdx.h leaf numbers the logs show (canonical/tdx#161: 0x21, #331: 0x22).
  const leaf = (n: number) => SEAMCALL_LEAVES.find((l) => l.leaf === n)?.name;
  assert.deepEqual(
    [leaf(33), leaf(34), leaf(35), leaf(21), leaf(28)],
    ['TDH.SYS.INIT', 'TDH.SYS.RD', 'TDH.SYS.LP.INIT', 'TDH.MNG.INIT', 'TDH.PHYMEM.PAGE.RECLAIM'],
  );
  // tdx_bringup(): the parameters and the messages KVM prints.
  const params = TDX_PARAMETERS.map((p) => `${p.module}.${p.parameter}`);
  assert.deepEqual(params, [
    'kvm_intel.tdx',
    'kvm_intel.ept',
    'kvm.tdp_mmu',
    'kvm.mmio_caching',
    'kvm_intel.eptad',
    'kvm_intel.enable_apicv',
    'kvm.enable_virt_at_load',
  ]);
  assert.equal(TDX_PARAMETERS.find((p) => p.parameter === 'enable_apicv')?.message, 'APICv is required for TDX');
});

test('hw_error decodes to the status name and operand', () => {
  // intel/confidential-computing.tdx.tdx-module#24: "TDX_OPERAND_INVALID with 0x45 (69) operand ID CPUID_CONFIG".
  const cpuidConfig = decodeHwError('0xc000010000000045');
  assert.equal(cpuidConfig.name, 'TDX_OPERAND_INVALID');
  assert.deepEqual(cpuidConfig.operand, { id: 69, name: 'CPUID_CONFIG' });
  assert.equal(cpuidConfig.error, true);
  assert.equal(describeHwError(decodeHwError(0xc000010000000040n)), 'TDX_OPERAND_INVALID (operand ATTRIBUTES)');
  // canonical/tdx#331: TDH.SYS.RD -> TDX_SYS_NOT_READY; #161: TDH.SYS.INIT -> TDX_INCORRECT_CPUID_VALUE.
  assert.equal(decodeHwError('0xc000050500000000').name, 'TDX_SYS_NOT_READY');
  assert.equal(decodeHwError('0xc000090000000000').nameSource, 'abi-spec');
  // canonical/tdx#25: detail bits do not hide the status.
  const msr = decodeHwError('0xc000092100000122');
  assert.equal(msr.name, 'TDX_INCORRECT_MSR_VALUE');
  assert.equal(msr.details, 0x122);
  assert.equal(msr.operand, null);
  assert.equal(decodeHwError('0x0').name, 'TDX_SUCCESS');
  assert.equal(decodeHwError('0x8000ff00ffff0000').name, 'TDX_SEAMCALL_VMFAILINVALID');
  // Flag bits 63:60 that differ between the kernel and the spec still find the class.
  const fatal = decodeHwError('0xe000000200000000');
  assert.equal(fatal.name, 'TDX_NON_RECOVERABLE_TD');
  assert.equal(fatal.matchedOn, 'class');
  const unknown = decodeHwError('0xc0007f0000000000');
  assert.equal(unknown.name, null);
  assert.match(describeHwError(unknown), /unknown status 0xc0007f0000000000/);
});

test('attributes, XFAM and TDVMCALL words decode with unknown bits kept', () => {
  const attrs = decodeTdAttributes('0x8000000010000002');
  assert.deepEqual(
    attrs.attributes.map((a) => a.name),
    ['SEPT_VE_DISABLE', 'PERFMON'],
  );
  assert.deepEqual(attrs.unknownBits, [1]);
  assert.deepEqual(attrs.beyondKvm, ['bit 1', 'PERFMON']);
  const xfam = decodeXfam('0x602e7');
  assert.deepEqual(xfam.components, [
    'fp',
    'sse',
    'ymm',
    'opmask',
    'zmm_hi256',
    'hi16_zmm',
    'pkru',
    'xtile_cfg',
    'xtile_data',
  ]);
  assert.deepEqual(decodeXfam('0x100000').unknownBits, [20]);
  const info = decodeTdvmcallInfo({
    kernelTdvmcallinfo1R11: '0x1',
    userTdvmcallinfo1R11: '0x3',
    kernelTdvmcallinfo1R12: '0x0',
    userTdvmcallinfo1R12: '0x10',
  });
  assert.deepEqual(
    info.leaves.map((l) => [l.register, l.bit, l.name, l.handledBy]),
    [
      ['r11', 0, 'GetQuote', 'kernel and user space'],
      ['r11', 1, 'SetupEventNotifyInterrupt', 'user space'],
      ['r12', 4, null, 'user space'],
    ],
  );
});

test(
  'configurable CPUID entries are named with the CPUID table of lib/knowledge, and what a TD cannot configure ' +
    'is listed',
  () => {
    const configs: CpuidEntryRecord[] = [
      { function: 0x7, index: 0, flags: 1, eax: 0, ebx: 0, ecx: 0x80000008, edx: 0 },
      { function: 0x7, index: 1, flags: 1, eax: 1 << 4, ebx: 0, ecx: 0, edx: 0 },
      { function: 0x80000008, index: 0, flags: 0, eax: 0x00ff0000, ebx: 0, ecx: 0, edx: 0 },
    ];
    const decoded = decodeConfigurableCpuid(configs);
    // CPUID.7.0:ECX bit 3 is PKU; bit 31 (PKS, TD attribute 30's CPUID bit per QEMU) has no name in lib/knowledge.
    assert.deepEqual(decoded[0]?.configurable.ecx, ['pku']);
    assert.deepEqual(decoded[0]?.unknownBits.ecx, [31]);
    assert.deepEqual(decoded[1]?.configurable.eax, ['avx_vnni']);
    assert.equal(decoded[2]?.gpawKnob, true);
    assert.equal(decoded[0]?.gpawKnob, false);
    assert.equal(decoded[2]?.masks.eax, '0xff0000');
    const supported: CpuidEntryRecord[] = [
      { function: 0x7, index: 0, flags: 1, eax: 0, ebx: (1 << 5) | (1 << 16), ecx: 0x80000008, edx: 0 },
      { function: 0x80000001, index: 0, flags: 0, eax: 0, ebx: 0, ecx: 1, edx: 0 },
    ];
    const rows = notConfigurableForTd(supported, configs);
    assert.deepEqual(
      rows.map((r) => [r.function, r.register, r.features, r.leafListed]),
      [
        [0x7, 'ebx', ['avx2', 'avx512f'], true],
        [0x80000001, 'ecx', ['lahf_lm'], false],
      ],
    );
  },
);

test('kernel log fixtures: every file names its source and is a dmesg excerpt', () => {
  const names = readdirSync(join(fixturesDir, 'kernel-logs')).filter((n) => n.startsWith('tdx-') && n.endsWith('.txt'));
  assert.ok(names.length >= 10);
  for (const name of names) assert.ok(parseFixture(name.replace(/\.txt$/, '')).tdxLines > 0, name);
});

test('log: TDSYSINFO format (v6.8 era, Ubuntu -intel) with KeyIDs, PAMT and module initialized', () => {
  const facts = parseFixture('tdx-tdsysinfo-6.8-intel');
  const version = facts.moduleVersion?.value;
  assert.deepEqual(
    version && [
      version.major,
      version.minor,
      version.update,
      version.buildNum,
      version.buildDate,
      version.vendorId,
      version.attributes,
      version.format,
    ],
    [1, 5, null, 784, '20240725', 0x8086, 0, 'tdsysinfo'],
  );
  assert.equal(version?.text, '1.5 build 784');
  assert.match(facts.moduleVersion?.line ?? '', /^\[ {2}245\.715035\] virt\/tdx: TDX module: attributes/);
  assert.deepEqual(facts.keyIdRange?.value, { start: 32, end: 64, count: 32 });
  assert.equal(facts.pamtKb?.value, 4202516);
  assert.deepEqual(facts.moduleState?.value, { state: 'initialized' });
  assert.equal(facts.acpiS3Disabled?.value, true);
  assert.equal(facts.seamcallFailures.length, 0);
});

test('log: pre-merge TDSYSINFO without attributes, "tdx: " prefix', () => {
  const facts = parseFixture('tdx-tdsysinfo-premerge');
  assert.equal(facts.moduleVersion?.value.text, '1.0 build 160');
  assert.equal(facts.moduleVersion?.value.attributes, null);
  assert.deepEqual(facts.moduleState?.value, { state: 'initialized' });
});

test('log: "Module version: %u.%u.%02u" and "TDX-Module initialized" (2026)', () => {
  const facts = parseFixture('tdx-module-version-7.x');
  assert.equal(facts.moduleVersion?.value.text, '1.5.08');
  assert.deepEqual(
    [facts.moduleVersion?.value.major, facts.moduleVersion?.value.minor, facts.moduleVersion?.value.update],
    [1, 5, 8],
  );
  assert.equal(facts.moduleVersion?.value.format, 'major.minor.update');
  assert.deepEqual(facts.moduleState?.value, { state: 'initialized' });
  assert.equal(facts.moduleState?.line, '[    6.942130] virt/tdx: TDX-Module initialized');
});

test('log: "TDX-Module version" variant and "TDX-Module initialization failed (%d)"', () => {
  const facts = parseFixture('tdx-tdx-module-version-variant');
  assert.equal(facts.moduleVersion?.value.text, '1.5.06');
  assert.deepEqual(facts.moduleState?.value, {
    state: 'failed',
    errno: -22,
    errnoName: 'EINVAL',
    reason: null,
    seamcall: null,
  });
});

test('log: the RFC long formats with internal version, build number and date', () => {
  const first = parseFixture('tdx-module-version-long-rfc');
  assert.deepEqual(
    first.moduleVersion && [
      first.moduleVersion.value.text,
      first.moduleVersion.value.internal,
      first.moduleVersion.value.buildNum,
      first.moduleVersion.value.buildDate,
    ],
    ['1.5.06', 0, 744, '20231231'],
  );
  assert.equal(first.moduleBuild?.value, 'production');
  const second = parseFixture('tdx-module-version-long-rfc2');
  assert.equal(second.moduleVersion?.value.format, 'major.minor.update.internal.build');
  assert.equal(second.moduleVersion?.value.buildDate, '20231231');
  assert.equal(second.moduleVersion?.value.buildNum, 744);
});

test('log: SEAMCALL failure with registers, module initialization failed (-5), KVM message (canonical/tdx#331)', () => {
  const facts = parseFixture('tdx-seamcall-sys-rd-failed');
  assert.equal(facts.moduleVersion?.value.text, '1.0 build 457');
  assert.equal(facts.seamcallFailures.length, 1);
  const failure = facts.seamcallFailures[0]?.value;
  assert.deepEqual(
    failure && [failure.leaf, failure.leafName, failure.status, failure.statusName, failure.registers.length],
    [0x22, 'TDH.SYS.RD', '0xc000050500000000', 'TDX_SYS_NOT_READY', 2],
  );
  assert.deepEqual(facts.moduleState?.value, {
    state: 'failed',
    errno: -5,
    errnoName: 'EIO',
    reason: null,
    seamcall: null,
  });
  assert.match(facts.moduleState?.line ?? '', /module initialization failed \(-5\)/);
  assert.deepEqual(
    facts.kvmMessages.map((m) => [m.value.kind, m.value.text]),
    [['module-init', 'Failed to initialize TDX module.']],
  );
});

test('log: first SEAMCALL failing (canonical/tdx#161) and the pre-merge failure format (canonical/tdx#25)', () => {
  const sysInit = parseFixture('tdx-seamcall-sys-init-failed');
  assert.equal(sysInit.seamcallFailures[0]?.value.leafName, 'TDH.SYS.INIT');
  assert.equal(sysInit.seamcallFailures[0]?.value.statusName, 'TDX_INCORRECT_CPUID_VALUE');
  // The first TDH.SYS.* call failing is the module failing to initialise, with that status.
  assert.deepEqual(sysInit.moduleState?.value, {
    state: 'failed',
    errno: null,
    errnoName: null,
    reason: null,
    seamcall: { leafName: 'TDH.SYS.INIT', status: '0xc000090000000000', statusName: 'TDX_INCORRECT_CPUID_VALUE' },
  });
  assert.equal(
    say.moduleState(sysInit.moduleState ?? { missing: '' }),
    'initialization failed: TDH.SYS.INIT failed: TDX_INCORRECT_CPUID_VALUE (0xc000090000000000)',
  );
  const intelOpt = parseFixture('tdx-intel-opt-6.5');
  assert.deepEqual(intelOpt.keyIdRange?.value, { start: 32, end: 64, count: 32 });
  assert.deepEqual(
    intelOpt.seamcallFailures.map((f) => [f.value.leaf, f.value.leafName, f.value.status, f.value.statusName]),
    [[33, 'TDH.SYS.INIT', '0xc000092100000122', 'TDX_INCORRECT_MSR_VALUE']],
  );
});

test('log: module not loaded (mainline and pre-merge wording)', () => {
  assert.deepEqual(parseFixture('tdx-not-loaded').moduleState?.value, { state: 'not-loaded' });
  assert.deepEqual(parseFixture('tdx-not-loaded-premerge').moduleState?.value, { state: 'not-loaded' });
});

test('log: platform states: not supported (7.x) and too few KeyIDs', () => {
  assert.deepEqual(parseFixture('tdx-not-supported-7.x').moduleState?.value, {
    state: 'not-supported',
    reason: 'TDX not supported by the host platform',
  });
  const few = parseFixture('tdx-too-few-keyids');
  assert.deepEqual(few.keyIdRange?.value, { start: 127, end: 128, count: 1 });
  assert.deepEqual(few.moduleState?.value, {
    state: 'platform-init-failed',
    reason: 'too few private KeyIDs available',
  });
});

test('log: kvm_intel prerequisite messages name their parameters', () => {
  const facts = parseFixture('tdx-kvm-prerequisites');
  assert.deepEqual(
    facts.kvmMessages.map((m) => [m.value.kind, m.value.parameters]),
    [
      ['parameter', ['kvm.tdp_mmu', 'kvm.mmio_caching', 'kvm_intel.eptad']],
      ['parameter', ['kvm_intel.enable_apicv']],
      ['parameter', ['kvm.enable_virt_at_load']],
      ['module-limit', []],
      ['parameter', ['kvm_intel.ept']],
    ],
  );
});

test('log: KVM SEAMCALL lines with and without a prefix', () => {
  const facts = parseFixture('tdx-kvm-seamcall');
  assert.deepEqual(
    facts.seamcallFailures.map((f) => [f.value.leafName, f.value.statusName]),
    [
      ['TDH.PHYMEM.PAGE.RECLAIM', 'TDX_PAGE_METADATA_INCORRECT'],
      ['TDH.MNG.INIT', 'TDX_OPERAND_INVALID'],
    ],
  );
});

test('log: raw /dev/kmsg records and unrelated lines', () => {
  const facts = parseTdxLog([
    '6,512,2551768,-;virt/tdx: BIOS enabled: private KeyID range [64, 128)',
    '6,513,2551800,-;kvm: no hardware support for SVM',
    '4,514,2551900,-;kvm_intel: L1TF CPU bug present and SMT on, data leak possible.',
    '6,900,9000000,-;virt/tdx: module initialized',
  ]);
  assert.equal(facts.tdxLines, 2);
  assert.deepEqual(facts.keyIdRange?.value, { start: 64, end: 128, count: 64 });
  assert.equal(facts.keyIdRange?.index, 0);
  assert.deepEqual(facts.moduleState?.value, { state: 'initialized' });
  assert.equal(facts.kvmMessages.length, 0);
  assert.deepEqual(parseTdxLog([]), {
    tdxLines: 0,
    seamcallFailures: [],
    kvmMessages: [],
    coreMessages: [],
    guestLines: [],
  });
});

test('new TDX fixtures validate with loadSnapshot', () => {
  const names = fixtureNames().filter((name) => name.startsWith('tdx-'));
  assert.ok(names.length >= 7);
  for (const name of names) snapshot(name);
});

test('tdxView: a usable 6.16 host', () => {
  const v = view('tdx-usable-6.16');
  assert.equal(usable(v), true);
  assert.deepEqual(value(v.vmType).offeredTypes, ['DEFAULT', 'TDX']);
  assert.equal(value(v.createVm).ok, true);
  const caps = value(v.capabilities);
  assert.ok(caps.ok);
  assert.deepEqual(
    caps.value.supportedAttributes.attributes.map((a) => a.name),
    ['SEPT_VE_DISABLE'],
  );
  assert.deepEqual(
    caps.value.tdvmcall.leaves.map((l) => [l.name, l.handledBy]),
    [['SetupEventNotifyInterrupt', 'user space']],
  );
  assert.equal(caps.value.cpuidConfigCount, 12); // the TDX module 1.5.01's CPUID_CONFIG leaves
  assert.ok(value(caps.value.notConfigurable).some((r) => r.features.includes('avx2')));
  assert.equal(value(v.maxVcpus), 224);
  assert.deepEqual(value(v.moduleState), { state: 'initialized' });
  assert.match(v.moduleState.source ?? '', /file \/dev\/kmsg: "virt\/tdx: module initialized"/);
  assert.equal(isKnown(v.moduleVersion), false);
  assert.match(say.moduleVersion(v.moduleVersion), /before 7\.2/);
  assert.match(say.moduleVersion(v.moduleVersion), /no TDX module version line/);
  assert.deepEqual(value(v.privateKeyIds), { start: 64, end: 128, count: 64, guestKeyIds: 63 });
  assert.deepEqual(value(v.tdKeys), { capacity: 63, inUse: 2, free: 61 });
  assert.match(v.tdKeys.source ?? '', /misc\.capacity.*misc\.current/);
  assert.equal(value(v.cpuFlag), true);
  assert.ok(
    v.parameters.every((p) => parameterOk(p) === true),
    JSON.stringify(v.parameters),
  );
  assert.equal(v.parameters.find((p) => p.parameter === 'tdp_mmu')?.source, 'file /sys/module/kvm/parameters/tdp_mmu');
  assert.deepEqual(codes(v.explanations), []);
});

test('tdxView: Linux 7.2, version from sysfs, KVM_TDX_INIT_VM refused by the TDX module', () => {
  const v = view('tdx-init-vm-refused-7.2');
  // The --deep KVM_TDX_INIT_VM refusal makes TDX not usable, as `kvm-caps check tdx` says.
  assert.equal(usable(v), false);
  assert.deepEqual(value(v.moduleVersion), {
    text: '1.5.08',
    major: 1,
    minor: 5,
    update: 8,
    buildNum: null,
    buildDate: null,
    from: 'sysfs',
    format: 'sysfs',
  });
  assert.equal(v.moduleVersion.source, 'file /sys/devices/faux/tdx_host/version');
  const init = v.initVm;
  assert.ok(init !== null);
  const outcome = value(init);
  assert.ok(!outcome.ok);
  assert.equal(outcome.failure.code, 'EINVAL');
  assert.equal(outcome.hwError?.name, 'TDX_OPERAND_INVALID');
  assert.deepEqual(outcome.hwError?.operand, { id: 64, name: 'ATTRIBUTES' });
  const refused = v.explanations.find((e) => e.code === 'init-vm-refused-by-tdx-module');
  assert.ok(refused);
  assert.match(refused.message, /TDX_OPERAND_INVALID \(operand ATTRIBUTES\)/);
  assert.ok(refused.evidence.some((e) => /SEPT_VE_DISABLE, PERFMON/.test(e.value)));
  // enable_virt_at_load is gone on 7.2 and not needed there.
  assert.equal(
    parameterOk(
      v.parameters.find((p) => p.parameter === 'enable_virt_at_load') ?? assert.fail('no enable_virt_at_load row'),
    ),
    null,
  );
});

test('tdxView: a 6.8 -intel kernel predates the uAPI although its TDX module is initialised', () => {
  const v = view('tdx-kernel-6.8-intel');
  assert.equal(usable(v), false);
  // Mainline 6.8 added KVM_CAP_VM_TYPES: it answers 1 there, never 0.
  assert.equal(value(v.vmType).mask, 1);
  assert.match(say.createVm(v.createVm), /not attempted/);
  assert.equal(value(v.moduleVersion).text, '1.5 build 784');
  assert.equal(value(v.moduleVersion).from, 'kernel log');
  assert.deepEqual(value(v.moduleState), { state: 'initialized' });
  assert.deepEqual(codes(v.explanations), ['tdx-vm-type-not-offered', 'kernel-predates-tdx-uapi']);
  const cause = v.explanations[1];
  assert.match(cause?.message ?? '', /Linux 6\.8\.0-1028-intel predates KVM's TDX support .* 6\.16/);
  assert.deepEqual(
    cause?.evidence.map((e) => e.fact),
    ['kernel release'],
  );
  assert.equal(cause?.evidence[0]?.source, 'file /proc/sys/kernel/osrelease');
});

test('tdxView: a prerequisite parameter off, with the kvm_intel message', () => {
  const v = view('tdx-prerequisite-off');
  assert.equal(usable(v), false);
  assert.deepEqual(codes(v.explanations), [
    'tdx-vm-type-not-offered',
    'tdx-parameter-off',
    'prerequisite-parameter-off',
  ]);
  const off = v.explanations[2];
  assert.match(off?.message ?? '', /^kvm\.tdp_mmu is N/);
  assert.equal(off?.evidence[0]?.source, 'file /sys/module/kvm/parameters/tdp_mmu');
  assert.equal(v.kvmMessages[0]?.message.parameters.join(','), 'kvm.tdp_mmu,kvm.mmio_caching,kvm_intel.eptad');
  assert.deepEqual(value(v.tdKeys === undefined ? v.cpuFlag : v.cpuFlag), true);
  assert.equal(isKnown(v.tdKeys), false);
  assert.match(say.tdKeys(v.tdKeys), /misc cgroup was not read/);
});

test('tdxView: TDX module initialisation failed: state, SEAMCALL decoded, no invented version', () => {
  const v = view('tdx-module-init-failed');
  assert.equal(usable(v), false);
  assert.deepEqual(value(v.moduleState), {
    state: 'failed',
    errno: -5,
    errnoName: 'EIO',
    reason: null,
    seamcall: null,
  });
  assert.equal(isKnown(v.moduleVersion), false);
  assert.deepEqual(codes(v.explanations), [
    'tdx-vm-type-not-offered',
    'kernel-predates-tdx-uapi',
    'tdx-parameter-off',
    'module-init-failed',
  ]);
  const failed = v.explanations[3];
  assert.ok(failed?.evidence.some((e) => e.fact === 'SEAMCALL TDH.SYS.RD' && /TDX_SYS_NOT_READY/.test(e.value)));
  assert.equal(
    v.seamcallFailures[0] && seamcallText(v.seamcallFailures[0]),
    'TDH.SYS.RD failed: 0xc000050500000000 = TDX_SYS_NOT_READY',
  );
});

test('tdxView: BIOS has not enabled TDX', () => {
  const v = view('tdx-bios-disabled');
  assert.equal(value(v.cpuFlag), false);
  assert.equal(isKnown(v.privateKeyIds), false);
  assert.match(say.privateKeyIds(v.privateKeyIds), /did not enable TDX/);
  assert.deepEqual(codes(v.explanations), [
    'tdx-vm-type-not-offered',
    'tdx-parameter-off',
    'platform-not-enabled',
    'kvm-platform',
  ]);
  assert.ok(v.explanations[2]?.evidence.some((e) => /no "BIOS enabled/.test(e.value)));
  assert.equal(isKnown(v.moduleState), false);
});

test('tdxView: ENOTTY from KVM_TDX_CAPABILITIES means a kernel without this uAPI', () => {
  const v = view('tdx-capabilities-enotty');
  assert.equal(usable(v), false);
  const caps = value(v.capabilities);
  assert.ok(!caps.ok);
  assert.equal(caps.failure.code, 'ENOTTY');
  assert.deepEqual(codes(v.explanations), ['capabilities-enotty']);
  assert.match(v.explanations[0]?.message ?? '', /lacks the upstream TDX uAPI/);
  assert.match(v.capabilities.source ?? '', /KVM_MEMORY_ENCRYPT_OP\(KVM_TDX_CAPABILITIES\)/);
});

test('tdxView: the plain tdx-host fixture and a host without any TDX facts stay honest', () => {
  const v = view('tdx-host');
  assert.equal(usable(v), null);
  assert.equal(isKnown(v.capabilities), false);
  assert.equal(isKnown(v.kernelLog), false);
  assert.match(say.kernelLog(v.kernelLog), /CAP_SYSLOG/);
  assert.deepEqual(value(v.moduleState), { state: 'initialized', inferredFrom: 'vm-type' });
  assert.match(say.moduleState(v.moduleState), /inferred/);
  const snp = view('snp-host');
  assert.equal(snp.technologies[0]?.applicable, false);
  assert.equal(usable(snp), false);
  assert.equal(
    parameterText(snp.parameters.find((p) => p.parameter === 'tdx') ?? assert.fail('no tdx row')),
    'kvm_intel is not loaded',
  );
  assert.deepEqual(codes(snp.explanations), ['tdx-vm-type-not-offered', 'not-intel']);
  assert.equal(snp.explanations[1]?.message, 'TDX is an Intel technology; this CPU is AuthenticAMD');
  assert.equal(parameterOk(v.parameters.find((p) => p.parameter === 'eptad') ?? assert.fail('no eptad row')), null);
});

test('TDX personas: the shape test/helpers/persona.ts describes, with sources and the scenario each names', () => {
  const load = (name: string): Persona =>
    JSON.parse(readFileSync(join(projectRoot, 'test', 'personas', `${name}.json`), 'utf8')) as Persona;
  const capsOf = (tdx: PersonaTdx | undefined) => {
    assert.ok(tdx && !('errno' in tdx.capabilities));
    return tdx.capabilities;
  };
  const names = [
    'tdx-1.5-linux-6.16',
    'tdx-module-init-failed',
    'tdx-kernel-predates-uapi',
    'tdx-cpuid-grows-twice',
    'tdx-rejects-attribute',
  ];
  for (const name of names) {
    const p = load(name);
    assert.equal(p.name, name);
    assert.ok(p.sources.length >= 3, `${name}: sources`);
    assert.ok(p.kvm, `${name}: kvm`);
    for (const path of [
      '/proc/cpuinfo',
      '/proc/sys/kernel/osrelease',
      '/sys/module/kvm_intel/parameters/tdx',
      '/sys/fs/cgroup/misc.capacity',
      '/dev/kmsg',
    ]) {
      assert.ok(path in p.files, `${name}: ${path}`);
    }
    for (const line of (p.files['/dev/kmsg'] ?? '').split('\n').filter(Boolean))
      assert.match(line, /^\d,\d+,\d+,-;/, `${name}: kmsg record`);
    for (const e of p.kvm.supportedCpuid) assert.ok(e.eax >= 0 && e.eax <= 0xffffffff);
    const logFacts = parseTdxLog((p.files['/dev/kmsg'] ?? '').split('\n').filter(Boolean));
    assert.ok(logFacts.keyIdRange, `${name}: KeyID range in the log`);
  }
  const base = load('tdx-1.5-linux-6.16');
  // A distribution build: DEFAULT and TDX, no SW_PROTECTED (CONFIG_KVM_SW_PROTECTED_VM depends on EXPERT).
  assert.equal(base.kvm?.capabilities['235'], 0x21);
  assert.equal(base.kvm?.vmTypes['5'], 'ok');
  assert.equal(base.files['/sys/fs/cgroup/misc.capacity'], 'tdx 63\n');
  assert.equal(parseTdxLog((base.files['/dev/kmsg'] ?? '').split('\n')).moduleState?.value.state, 'initialized');
  const n = capsOf(base.kvm?.tdx).cpuid.length;
  assert.ok(n > 6 && n <= 12, 'grows once from 6');
  // QEMU's loop: start at 6, double on E2BIG. 20 entries need 6 -> 12 -> 24.
  const grows = capsOf(load('tdx-cpuid-grows-twice').kvm?.tdx).cpuid.length;
  let nent = 6;
  let retries = 0;
  while (nent < grows) {
    nent *= 2;
    retries++;
  }
  assert.equal(retries, 2);
  const failed = load('tdx-module-init-failed');
  assert.equal(failed.kvm?.vmTypes['5'], undefined);
  assert.equal(failed.kvm?.tdx, undefined);
  assert.equal(failed.files['/sys/module/kvm_intel/parameters/tdx'], 'N\n');
  assert.equal(parseTdxLog((failed.files['/dev/kmsg'] ?? '').split('\n')).moduleState?.value.state, 'failed');
  const old = load('tdx-kernel-predates-uapi');
  // 6.8 has KVM_CAP_VM_TYPES: the default VM only.
  assert.equal(old.kvm?.capabilities['235'], 1);
  assert.equal(old.kvm?.vmTypes['5'], undefined);
  assert.match(old.files['/proc/sys/kernel/osrelease'] ?? '', /^6\.8\./);
  const rejects = load('tdx-rejects-attribute');
  assert.deepEqual(rejects.kvm?.tdx?.initVm, { acceptAttributes: '0x10000000', rejectHwError: '0xc000010000000040' });
  assert.equal(
    describeHwError(decodeHwError(rejects.kvm?.tdx?.initVm?.rejectHwError ?? '0')),
    'TDX_OPERAND_INVALID (operand ATTRIBUTES)',
  );
  // KVM passes PERFMON through; the module accepts only SEPT_VE_DISABLE (see the persona's sources).
  const attrs = decodeTdAttributes(capsOf(rejects.kvm?.tdx).supportedAttrs);
  assert.deepEqual(
    attrs.attributes.map((a) => a.name),
    ['SEPT_VE_DISABLE', 'PERFMON'],
  );
});
