// kvm-caps' TDX tables and log patterns against the kernel's own files: Linux 7.2's internal
// headers (linux-headers-<ver>-common) and source (linux-source-7.2), both from Debian
// unstable through helpers/kernel-sources.ts. Every number the project names must equal the
// kernel's where the kernel defines it, every name the kernel defines must be in the table,
// and what the kernel does not define must name its other source. Every log line claimed for
// a mainline kernel must be printed by a format in that kernel's source.
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test, type TestContext } from 'node:test';
import { INDEXED_CPUID_FUNCTIONS } from '../lib/knowledge/cpuid-leaves.js';
import { KERNEL_CHANGES, kernelChange, kernelHas } from '../lib/knowledge/kernel-versions.js';
import { QEMU_TDX_FIXED1_BITS } from '../lib/knowledge/tdx-module.js';
import { parseTdxLog } from '../lib/decode/tdx-log.js';
import {
  SEAMCALL_LEAVES,
  TD_ATTRIBUTES,
  TDVMCALL_INFO_1_R11,
  TDX_FEATURES0_BITS,
  TDX_GLOBAL_METADATA_FIELDS,
  TDX_MAX_CPUID_CONFIGS,
  TDX_OPERAND_IDS,
  TDX_PARAMETERS,
  TDX_STATUS_CODES,
  TDX_SW_ERRORS,
  KVM_SUPPORTED_TD_ATTRS,
} from '../lib/knowledge/tdx.js';
import { evaluateDefine, integerDefines, readDefines } from './helpers/c-defines.js';
import { fixturesDir } from './helpers/fixtures.js';
import {
  formatsPrinting,
  kernelFiles,
  kernelHeaders,
  kernelSource,
  printkFormats,
  type PrintkFormat,
} from './helpers/kernel-sources.js';

const ASM = 'arch/x86/include/asm';

async function headerDefines(t: TestContext): Promise<Map<string, string> | undefined> {
  const headers = await kernelFiles(t, 'linux-headers-common', kernelHeaders);
  if (!headers) return undefined;
  return readDefines(
    join(headers.root, ASM, 'shared/tdx.h'),
    join(headers.root, ASM, 'shared/tdx_errno.h'),
    join(headers.root, ASM, 'tdx.h'),
    join(headers.root, ASM, 'trapnr.h'),
  );
}

const value = (defines: Map<string, string>, name: string): bigint => {
  const v = evaluateDefine(defines, name);
  assert.notEqual(v, undefined, `the kernel defines ${name}`);
  return v as bigint;
};

test(
  'TD attributes: every bit equals TDX_TD_ATTR_<name>_BIT (asm/shared/tdx.h), ' + 'and every kernel bit is named',
  async (t) => {
    const defines = await headerDefines(t);
    if (!defines) return;
    for (const attribute of TD_ATTRIBUTES) {
      assert.equal(value(defines, `TDX_TD_ATTR_${attribute.name}_BIT`), BigInt(attribute.bit), attribute.name);
    }
    const kernelBits = integerDefines(defines, /^TDX_TD_ATTR_\w+_BIT$/);
    assert.ok(kernelBits.size >= 10, `found ${kernelBits.size} TDX_TD_ATTR_*_BIT`);
    for (const [name, bit] of kernelBits) {
      assert.ok(
        TD_ATTRIBUTES.some((a) => `TDX_TD_ATTR_${a.name}_BIT` === name && BigInt(a.bit) === bit),
        `${name} (${bit}) is in TD_ATTRIBUTES`,
      );
    }
  },
);

/** TDX_* defines with the detail bits clear that are not statuses. */
const NOT_A_STATUS = new RegExp(
  '^TDX_(ERROR|NON_RECOVERABLE|SW_ERROR|SEAMCALL_STATUS_MASK)$|' +
    '^TDX_(TD_ATTR_|FEATURES0_|PS_|CPUID_LEAF|HYPERCALL)',
);

test(
  "SEAMCALL statuses: kernel names equal 7.2's values, every kernel status is listed, " +
    "the rest are the module ABI's",
  async (t) => {
    const defines = await headerDefines(t);
    if (!defines) return;
    // Status codes: TDX_* defines with the low 32 (detail) bits clear, from tdx_errno.h and tdx.h.
    const kernelStatuses = new Map(
      [...integerDefines(defines, /^TDX_[A-Z0-9_]+$/)].filter(
        ([name, v]) => (v & 0xffffffffn) === 0n && v !== 0n && !NOT_A_STATUS.test(name),
      ),
    );
    kernelStatuses.set('TDX_SUCCESS', value(defines, 'TDX_SUCCESS'));
    assert.ok(
      kernelStatuses.has('TDX_OPERAND_INVALID') && kernelStatuses.has('TDX_RND_NO_ENTROPY'),
      [...kernelStatuses.keys()].join(' '),
    );
    for (const code of TDX_STATUS_CODES.filter((c) => c.source === 'kernel')) {
      assert.equal(
        kernelStatuses.get(code.name),
        code.code,
        `${code.name}: marked as the kernel's, so 7.2 defines it with this value`,
      );
    }
    for (const [name, code] of kernelStatuses) {
      assert.ok(
        TDX_STATUS_CODES.some((c) => c.source === 'kernel' && c.name === name && c.code === code),
        `${name} = 0x${code.toString(16)} (kernel) is in TDX_STATUS_CODES as a kernel name`,
      );
    }
    // A code the kernel names must be shown by the kernel's name: no other name listed before it.
    for (const [name, code] of kernelStatuses) {
      const first = TDX_STATUS_CODES.find((c) => c.code === code);
      assert.equal(first?.name, name, `0x${code.toString(16)} is looked up as ${name}`);
    }
    // The module ABI names: none duplicates a kernel name and value (that would be the kernel's).
    for (const code of TDX_STATUS_CODES.filter((c) => c.source === 'abi-spec')) {
      assert.notEqual(
        kernelStatuses.get(code.name),
        code.code,
        `${code.name} is defined by the kernel: mark it 'kernel'`,
      );
    }
    // Every code appears once per name and source.
    const keys = TDX_STATUS_CODES.map((c) => `${c.source}:${c.name}`);
    assert.equal(new Set(keys).size, keys.length, 'no duplicate entries');
  },
);

test(
  "0xC000050700000000 reads as the module ABI's TDX_SYS_KEY_CONFIG_NOT_PENDING, " +
    'not the pre-merge TDX_SYSCONFIG_NOT_DONE',
  () => {
    assert.equal(TDX_STATUS_CODES.find((c) => c.code === 0xc000050700000000n)?.name, 'TDX_SYS_KEY_CONFIG_NOT_PENDING');
    assert.ok(!TDX_STATUS_CODES.some((c) => c.name === 'TDX_SYSCONFIG_NOT_DONE'));
    assert.equal(TDX_STATUS_CODES.find((c) => c.name === 'TDX_HPA_RANGE_NOT_FREE')?.code, 0xc000030400000000n);
  },
);

test('software-defined SEAMCALL results: codes from asm/tdx.h, errnos from sc_retry_prerr() (7.2)', async (t) => {
  const defines = await headerDefines(t);
  if (!defines) return;
  const source = await kernelFiles(t, 'linux-source', kernelSource);
  if (!source) return;
  const internal = readFileSync(join(source.root, 'arch/x86/virt/vmx/tdx/seamcall_internal.h'), 'utf8');
  const errnos = new Map(
    [...internal.matchAll(/if \(sret == (TDX_SEAMCALL_\w+)\)\s*return -(E[A-Z]+);/g)].map((m) => [m[1], m[2]]),
  );
  assert.ok(errnos.size >= 3, 'sc_retry_prerr() maps the software errors to errnos');
  for (const error of TDX_SW_ERRORS) {
    assert.equal(value(defines, error.name), error.code, error.name);
    assert.equal(errnos.get(error.name), error.errno, `${error.name} -> -${errnos.get(error.name)}`);
  }
  for (const name of integerDefines(defines, /^TDX_SEAMCALL_(?!STATUS)/).keys()) {
    assert.ok(
      TDX_SW_ERRORS.some((e) => e.name === name),
      `${name} is in TDX_SW_ERRORS`,
    );
  }
  assert.equal(TDX_SW_ERRORS.find((e) => e.name === 'TDX_SEAMCALL_UD')?.errno, 'EACCES');
});

test(
  "operand IDs marked as the kernel's equal TDX_OPERAND_ID_* (shared/tdx_errno.h), " + 'and each is listed',
  async (t) => {
    const defines = await headerDefines(t);
    if (!defines) return;
    const kernelIds = integerDefines(defines, /^TDX_OPERAND_ID_/);
    assert.ok(kernelIds.size >= 4);
    for (const [name, id] of kernelIds) {
      const entry = TDX_OPERAND_IDS.find((o) => `TDX_OPERAND_ID_${o.name}` === name);
      assert.equal(entry?.id, Number(id), name);
      assert.equal(entry?.source, 'kernel', name);
    }
    for (const entry of TDX_OPERAND_IDS.filter((o) => o.source === 'kernel'))
      assert.ok(kernelIds.has(`TDX_OPERAND_ID_${entry.name}`), entry.name);
  },
);

test(
  'SEAMCALL leaves equal TDH_* in arch/x86/virt/vmx/tdx/tdx.h (7.2); ' + 'the ones 7.2 lacks name their source',
  async (t) => {
    const source = await kernelFiles(t, 'linux-source', kernelSource);
    if (!source) return;
    const leaves = integerDefines(readDefines(join(source.root, 'arch/x86/virt/vmx/tdx/tdx.h')), /^TDH_/);
    assert.ok(leaves.size >= 30, `found ${leaves.size} TDH_* leaves`);
    for (const [name, leaf] of leaves) {
      const entry = SEAMCALL_LEAVES.find((l) => l.name.replace(/\./g, '_') === name);
      assert.equal(entry?.leaf, Number(leaf), `${name} = ${leaf} is in SEAMCALL_LEAVES`);
    }
    for (const entry of SEAMCALL_LEAVES) {
      const kernel = leaves.get(entry.name.replace(/\./g, '_'));
      if (kernel === undefined)
        assert.match(entry.source ?? '', /\S/, `${entry.name} (${entry.leaf}) is not in 7.2: it names its source`);
      else assert.equal(BigInt(entry.leaf), kernel, entry.name);
    }
    const numbers = SEAMCALL_LEAVES.map((l) => l.leaf);
    assert.equal(new Set(numbers).size, numbers.length, 'leaf numbers are unique');
    // The Dynamic PAMT leaves (pre-merge) are named.
    assert.deepEqual(
      SEAMCALL_LEAVES.filter((l) => l.leaf === 58 || l.leaf === 59).map((l) => l.name),
      ['TDH.PHYMEM.PAMT.ADD', 'TDH.PHYMEM.PAMT.REMOVE'],
    );
  },
);

test("TDVMCALL leaves and GetTdVmCallInfo bits equal the kernel's (shared/tdx.h, kvm/vmx/tdx.c)", async (t) => {
  const defines = await headerDefines(t);
  if (!defines) return;
  const source = await kernelFiles(t, 'linux-source', kernelSource);
  if (!source) return;
  const kvm = readDefines(join(source.root, 'arch/x86/kvm/vmx/tdx.c'));
  const leafNames: Record<string, string> = {
    GetQuote: 'TDVMCALL_GET_QUOTE',
    SetupEventNotifyInterrupt: 'TDVMCALL_SETUP_EVENT_NOTIFY_INTERRUPT',
  };
  for (const bit of TDVMCALL_INFO_1_R11) {
    const leafName = leafNames[bit.name];
    assert.ok(leafName, `${bit.name} has a kernel leaf name`);
    assert.equal(value(defines, leafName), BigInt(bit.leaf), leafName);
    const kernelBit = evaluateDefine(kvm, bit.constant);
    if (kernelBit === undefined)
      assert.match(
        bit.note,
        /Don't report base TDVMCALLs/,
        `${bit.constant} is not in 7.2: the note says which change removed it`,
      );
    else assert.equal(kernelBit, 1n << BigInt(bit.bit), bit.constant);
  }
  assert.equal(
    evaluateDefine(kvm, 'KVM_SUPPORTED_TDX_TD_ATTRS') ?? value(defines, 'TDX_TD_ATTR_SEPT_VE_DISABLE'),
    KVM_SUPPORTED_TD_ATTRS,
  );
});

test("TDX_FEATURES0 bits equal asm/tdx.h and KVM's tdx_arch.h, and every kernel bit is listed", async (t) => {
  const defines = await headerDefines(t);
  if (!defines) return;
  const source = await kernelFiles(t, 'linux-source', kernelSource);
  if (!source) return;
  const kvm = readDefines(join(source.root, 'arch/x86/kvm/vmx/tdx_arch.h'));
  const kernel = new Map<string, bigint>([
    ...integerDefines(defines, /^TDX_FEATURES0_/),
    ...[...integerDefines(kvm, /^MD_FIELD_ID_FEATURES0_/)].map(
      ([n, v]) => [n.replace('MD_FIELD_ID_', 'TDX_'), v] as [string, bigint],
    ),
  ]);
  assert.ok(kernel.size >= 3, [...kernel.keys()].join(' '));
  for (const [name, mask] of kernel) {
    const entry = TDX_FEATURES0_BITS.find((b) => `TDX_FEATURES0_${b.name}` === name);
    assert.equal(entry === undefined ? undefined : 1n << BigInt(entry.bit), mask, `${name} is in TDX_FEATURES0_BITS`);
  }
  for (const entry of TDX_FEATURES0_BITS)
    assert.ok(kernel.has(`TDX_FEATURES0_${entry.name}`), `${entry.name} is the kernel's`);
});

test(
  'global metadata fields follow asm/tdx_global_metadata.h, ' + 'and the CPUID-config bound is its array size',
  async (t) => {
    const headers = await kernelFiles(t, 'linux-headers-common', kernelHeaders);
    if (!headers) return;
    const text = readFileSync(join(headers.root, ASM, 'tdx_global_metadata.h'), 'utf8');
    const structs = new Map<string, string>();
    for (const m of text.matchAll(/struct (\w+) \{([^}]*)\};/g)) structs.set(m[1] ?? '', m[2] ?? '');
    for (const field of TDX_GLOBAL_METADATA_FIELDS) {
      const body = structs.get(field.struct);
      assert.ok(body !== undefined, `struct ${field.struct} exists`);
      assert.match(
        body,
        new RegExp(`\\b${field.type} ${field.field};`),
        `${field.struct}.${field.field} is ${field.type}`,
      );
    }
    const bound = /u64 cpuid_config_leaves\[(\d+)\];/.exec(structs.get('tdx_sys_info_td_conf') ?? '');
    assert.equal(Number(bound?.[1]), TDX_MAX_CPUID_CONFIGS);
  },
);

test('kernel-version facts in the TDX tables agree with the one kernel-version table', () => {
  // Each parameter names the row of the kernels that check it (no second copy of a range).
  for (const p of TDX_PARAMETERS)
    assert.doesNotThrow(() => kernelChange(p.checkedBy), `${p.module}.${p.parameter}: ${p.checkedBy}`);
  const virtAtLoad = TDX_PARAMETERS.find((p) => p.parameter === 'enable_virt_at_load');
  assert.equal(virtAtLoad?.checkedBy, 'kvm.tdx-requires-enable-virt-at-load');
  // 6.16 through 7.0 (tdx_bringup() checks it; 7.1 moved module init into the core kernel).
  assert.equal(kernelHas('kvm.tdx-requires-enable-virt-at-load', '7.0.3'), true);
  assert.equal(kernelHas('kvm.tdx-requires-enable-virt-at-load', '6.18.1'), true);
  assert.equal(kernelHas('kvm.tdx-requires-enable-virt-at-load', '7.1.0'), false);
  assert.equal(kernelHas('kvm.tdx-requires-enable-virt-at-load', '6.15.9'), false);
  for (const row of KERNEL_CHANGES) assert.match(row.citation, /\S{8}/, `${row.id} carries a citation`);
});

// ---------------------------------------------------------------------------------------
// Log lines: each sample below is a line kvm-caps reads, with the kernels that print it.
// Lines claimed for Linux 7.2 are checked against its printk formats; lines of other
// kernels carry their public provenance, which the test requires.

type Claim = { linux72: true } | { kernels: string; citation: string };

interface Sample {
  line: string;
  claim: Claim;
  check: (facts: ReturnType<typeof parseTdxLog>) => void;
}

const SAMPLES: Sample[] = [
  {
    line: 'virt/tdx: TDX module 1.5.06.00, build number 744, build date 20231231',
    claim: {
      kernels: 'Ubuntu kernels (vendor)',
      citation:
        "Ubuntu's TDX host patches; the format as quoted by the 2026 review of kvm-caps (issue 12); " +
        'no public dmesg found',
    },
    check: (f) => {
      assert.equal(f.moduleVersion?.value.text, '1.5.06');
      assert.equal(f.moduleVersion?.value.buildNum, 744);
    },
  },
  {
    line: 'TDX requires TDP MMU.  Please enable TDP MMU for TDX.',
    claim: { kernels: 'Ubuntu 6.8 -intel (pre-merge KVM)', citation: 'canonical/tdx#285 host dmesg' },
    check: (f) =>
      assert.deepEqual(
        f.kvmMessages.map((m) => m.value.parameters),
        [['kvm.tdp_mmu']],
      ),
  },
  {
    line: 'tdx: 65667 pages allocated for PAMT.',
    claim: {
      kernels: 'Intel pre-merge trees',
      citation: 'Intel pre-merge Documentation/x86/tdx.rst draft (fixture tdx-tdsysinfo-premerge)',
    },
    check: (f) => assert.equal(f.pamtPages?.value, 65667),
  },
  {
    line: 'virt/tdx: 1050644 KB allocated for PAMT',
    claim: { linux72: true },
    check: (f) => assert.equal(f.pamtKb?.value, 1050644),
  },
  {
    line: 'kvm_intel: All packages need to have online CPU to create TD. Online CPU and retry.',
    claim: { linux72: true },
    check: (f) =>
      assert.deepEqual(
        f.kvmMessages.map((m) => m.value.kind),
        ['package-offline'],
      ),
  },
  {
    line: 'virt/tdx: SEAMCALL (0x0000000000000022) failed: 0xc000050500000000',
    claim: { linux72: true },
    check: (f) => {
      assert.equal(f.moduleState?.value.state, 'failed');
      const state = f.moduleState?.value;
      assert.ok(state?.state === 'failed');
      assert.deepEqual(state.seamcall, {
        leafName: 'TDH.SYS.RD',
        status: '0xc000050500000000',
        statusName: 'TDX_SYS_NOT_READY',
      });
    },
  },
  {
    line: 'tdx: not enabled by BIOS.',
    claim: {
      kernels: 'Intel pre-merge host series',
      citation:
        'canonical/tdx#102 (Ubuntu 23.10 TDX host dmesg); seamcall() TDX_SEAMCALL_GP case of the pre-merge ' +
        'arch/x86/virt/vmx/tdx/tdx.c',
    },
    check: (f) => assert.equal(f.moduleState?.value.state, 'not-supported'),
  },
  {
    line: 'tdx: module is not loaded.',
    claim: {
      kernels: 'Intel pre-merge host series',
      citation:
        'seamcall() TDX_SEAMCALL_VMFAILINVALID case of the pre-merge arch/x86/virt/vmx/tdx/tdx.c as posted to kvm@vger',
    },
    check: (f) => assert.equal(f.moduleState?.value.state, 'not-loaded'),
  },
  {
    line: 'tdx: TDX module is not loaded.',
    claim: {
      kernels: 'Intel pre-merge host series',
      citation: 'pre-merge Documentation/x86/tdx.rst draft (fixture tdx-not-loaded-premerge)',
    },
    check: (f) => assert.equal(f.moduleState?.value.state, 'not-loaded'),
  },
  {
    line: 'virt/tdx: module not loaded',
    claim: { linux72: true },
    check: (f) => assert.equal(f.moduleState?.value.state, 'not-loaded'),
  },
  {
    line: 'virt/tdx: TDX-Module initialized',
    claim: { linux72: true },
    check: (f) => assert.equal(f.moduleState?.value.state, 'initialized'),
  },
  {
    line: 'virt/tdx: TDX-Module initialization failed (-5)',
    claim: { linux72: true },
    check: (f) => {
      const state = f.moduleState?.value as { state?: string; errnoName?: string } | undefined;
      assert.deepEqual([state?.state, state?.errnoName], ['failed', 'EIO']);
    },
  },
  {
    line: 'virt/tdx: Module version: 1.5.08',
    claim: { linux72: true },
    check: (f) => assert.equal(f.moduleVersion?.value.text, '1.5.08'),
  },
  {
    line: 'virt/tdx: BIOS enabled: private KeyID range [64, 128)',
    claim: { linux72: true },
    check: (f) => assert.deepEqual(f.keyIdRange?.value, { start: 64, end: 128, count: 64 }),
  },
  {
    line: 'virt/tdx: TDX not supported by the host platform',
    claim: { linux72: true },
    check: (f) => assert.equal(f.moduleState?.value.state, 'not-supported'),
  },
  {
    line: 'kvm_intel: TDP MMU and MMIO caching and EPT A/D bit is required for TDX',
    claim: { linux72: true },
    check: (f) =>
      assert.deepEqual(f.kvmMessages[0]?.value.parameters, ['kvm.tdp_mmu', 'kvm.mmio_caching', 'kvm_intel.eptad']),
  },
  {
    line:
      'virt/tdx: TDX module: attributes 0x0, vendor_id 0x8086, major_version 1, minor_version 5, build_date ' +
      '20240129, build_num 698',
    claim: {
      kernels: 'Ubuntu 6.8 -intel (Intel pre-merge series; never mainline)',
      citation: 'canonical/tdx#135 and #285 host dmesg',
    },
    check: (f) => assert.equal(f.moduleVersion?.value.format, 'tdsysinfo'),
  },
  // A TD guest's own log: recognised as such, never counted as host TDX lines.
  {
    line: 'tdx: Guest detected',
    claim: { linux72: true },
    check: (f) => assert.deepEqual([f.guestLines.length, f.tdxLines, f.moduleState], [1, 0, undefined]),
  },
  {
    line: 'tdx: Attributes: SEPT_VE_DISABLE',
    claim: {
      kernels: 'TD guests (printed in parts: pr_info then pr_cont per bit)',
      citation: 'arch/x86/coco/tdx/debug.c@7.2 pr_info("Attributes:") then pr_cont(" %s") per bit',
    },
    check: (f) => assert.deepEqual([f.guestLines.length, f.tdxLines], [1, 0]),
  },
  {
    line: 'Memory Encryption Features active: Intel TDX',
    claim: { linux72: true },
    check: (f) => assert.deepEqual([f.guestLines.length, f.tdxLines], [1, 0]),
  },
];

/** Drops formats that are only a prefix and conversions ("tdx: %s"): they print anything. */
/** The TDX host code's printk formats (arch/x86/virt/vmx/tdx), each with the "virt/tdx: " prefix it prints. */
function tdxHostFormats(root: string): PrintkFormat[] {
  return [
    ...printkFormats(root, ['arch/x86/virt/vmx/tdx'], 'tdx'),
    // seamcall_internal.h has no pr_fmt of its own: its lines carry tdx.c's "virt/tdx: ".
    ...printkFormats(root, ['arch/x86/virt/vmx/tdx/seamcall_internal.h']).map((f) => ({
      ...f,
      format: `virt/tdx: ${f.format}`,
    })),
  ];
}

const meaningful = (formats: PrintkFormat[]): PrintkFormat[] =>
  formats.filter(
    (f) =>
      f.format
        .replace(/^[\w/]+: /, '')
        .replace(/%[-+ #0]*\d*(?:\.\d+)?[hlzjt]*[a-zA-Z]/g, '')
        .replace(/[^A-Za-z]/g, '').length >= 3,
  );

/**
 * Formats printkFormats() does not follow: a `#define MSG "literal"` passed to a printing call, and literals joined
 * with a string macro.
 */
function macroFormats(root: string, file: string, prefix: string): PrintkFormat[] {
  const source = readFileSync(join(root, file), 'utf8');
  const out: PrintkFormat[] = [];
  for (const m of source.matchAll(/#define\s+(MSG_\w+)\s*\\?\s*"((?:[^"\\]|\\.)*)"/g)) {
    const [, name = '', text = ''] = m;
    if (new RegExp(`pr_\\w+\\(\\s*${name}\\s*\\)`).test(source))
      out.push({ file, line: 0, call: 'pr_*', format: prefix + text.replace(/\\n/g, '\n') });
  }
  // pr_*("literal" MACRO "literal", ...) with MACRO a string #define (TDX_VERSION_FMT in asm/tdx.h).
  const strings = new Map<string, string>();
  for (const m of readFileSync(join(root, 'arch/x86/include/asm/tdx.h'), 'utf8').matchAll(
    /#define\s+(\w+)\s+"((?:[^"\\]|\\.)*)"/g,
  )) {
    strings.set(m[1] ?? '', m[2] ?? '');
  }
  for (const m of source.matchAll(/pr_\w+\(\s*"((?:[^"\\]|\\.)*)"\s+([A-Z_]\w*)\s+"((?:[^"\\]|\\.)*)"/g)) {
    const middle = strings.get(m[2] ?? '');
    if (middle !== undefined)
      out.push({ file, line: 0, call: 'pr_*', format: prefix + `${m[1]}${middle}${m[3]}`.replace(/\\n/g, '\n') });
  }
  return out;
}

test(
  'TDX log lines: the ones claimed for Linux 7.2 are printed by its source; the others carry their provenance; ' +
    'each is read as claimed',
  async (t) => {
    const source = await kernelFiles(t, 'linux-source', kernelSource);
    if (!source) return;
    const formats = meaningful([
      ...tdxHostFormats(source.root),
      ...printkFormats(source.root, ['arch/x86/kvm/vmx/tdx.c', 'arch/x86/kvm/vmx/main.c'], 'kvm_intel'),
      ...printkFormats(source.root, ['arch/x86/coco/tdx', 'arch/x86/mm/mem_encrypt.c']),
      ...macroFormats(source.root, 'arch/x86/kvm/vmx/tdx.c', 'kvm_intel: '),
      ...macroFormats(source.root, 'arch/x86/virt/vmx/tdx/tdx.c', 'virt/tdx: '),
      ...macroFormats(source.root, 'arch/x86/virt/vmx/tdx/tdx_global_metadata.c', 'virt/tdx: '),
    ]);
    // pr_cont lines are split in the source; the guest's feature line joins two calls.
    formats.push({
      file: 'arch/x86/mm/mem_encrypt.c',
      line: 0,
      call: 'pr_info+pr_cont',
      format: 'Memory Encryption Features active: Intel TDX',
    });
    for (const sample of SAMPLES) {
      await t.test(sample.line, () => {
        if ('linux72' in sample.claim) {
          assert.ok(formatsPrinting(formats, sample.line).length > 0, `no Linux 7.2 format prints "${sample.line}"`);
        } else {
          assert.match(sample.claim.citation, /\S{6}/, `"${sample.line}" (${sample.claim.kernels}) names its source`);
          assert.equal(
            formatsPrinting(formats, sample.line).length,
            0,
            `"${sample.line}" is printed by 7.2: claim it for 7.2`,
          );
        }
        sample.check(parseTdxLog([sample.line]));
      });
    }
  },
);

test(
  'kernel-log fixtures: a fixture claimed for Linux 7.2 holds only lines 7.2 prints; the others name their ' + 'source',
  async (t) => {
    const source = await kernelFiles(t, 'linux-source', kernelSource);
    if (!source) return;
    const formats = meaningful([
      ...tdxHostFormats(source.root),
      ...printkFormats(source.root, ['arch/x86/kvm/vmx/tdx.c'], 'kvm_intel'),
      ...macroFormats(source.root, 'arch/x86/kvm/vmx/tdx.c', 'kvm_intel: '),
      ...macroFormats(source.root, 'arch/x86/virt/vmx/tdx/tdx_global_metadata.c', 'virt/tdx: '),
    ]);
    const names = readdirSync(join(fixturesDir, 'kernel-logs')).filter(
      (n) => n.startsWith('tdx-') && n.endsWith('.txt'),
    );
    assert.ok(names.length > 10);
    let checked72 = 0;
    for (const name of names) {
      const [first = '', second = '', ...rest] = readFileSync(join(fixturesDir, 'kernel-logs', name), 'utf8').split(
        '\n',
      );
      assert.match(first, /^# source: \S/, name);
      const kernel = /^# kernel: (.+)$/.exec(second)?.[1];
      assert.ok(
        kernel,
        `${name}: second line says which kernels print it ("# kernel: linux 7.2", "# kernel: ... (vendor)", ...)`,
      );
      if (kernel !== 'linux 7.2') continue;
      checked72++;
      for (const line of rest.filter(Boolean)) {
        const message = line.replace(/^\[\s*\d+\.\d+\]\s*/, '');
        assert.ok(formatsPrinting(formats, message).length > 0, `${name}: no Linux 7.2 format prints "${message}"`);
      }
    }
    assert.ok(checked72 >= 3, `${checked72} fixtures are claimed for 7.2`);
  },
);

test("indexed CPUID leaves are the kernel's cpuid_function_is_indexed() list (asm/cpuid/api.h, 7.2)", async (t) => {
  const source = await kernelFiles(t, 'linux-source', kernelSource);
  if (!source) return;
  const api = readFileSync(join(source.root, 'arch/x86/include/asm/cpuid/api.h'), 'utf8');
  const body = /cpuid_function_is_indexed\(u32 function\)\s*\{([\s\S]*?)return true;/.exec(api)?.[1] ?? '';
  const kernel = [...body.matchAll(/case (0x[0-9a-f]+|\d+):/g)].map((m) => Number(m[1]));
  assert.ok(kernel.length >= 10, `found ${kernel.length} indexed functions`);
  assert.deepEqual(
    [...INDEXED_CPUID_FUNCTIONS].sort((a, b) => a - b),
    kernel.sort((a, b) => a - b),
  );
});

test("QEMU's fixed-1 CPUID bits sit where the kernel's cpufeatures.h puts the same features", async (t) => {
  const headers = await kernelFiles(t, 'linux-headers-common', kernelHeaders);
  if (!headers) return;
  const features = readFileSync(join(headers.root, ASM, 'cpufeatures.h'), 'utf8');
  // cpufeatures.h words that are plain CPUID registers (the comments above each word say which).
  const words: Record<number, string> = {
    0: '1.0.edx',
    1: '80000001.0.edx',
    4: '1.0.ecx',
    6: '80000001.0.ecx',
    9: '7.0.ebx',
    10: 'd.1.eax',
    14: '6.0.eax',
    16: '7.0.ecx',
    18: '7.0.edx',
  };
  let checked = 0;
  for (const bit of QEMU_TDX_FIXED1_BITS) {
    if (bit.kernel === undefined) continue;
    const m = new RegExp(`#define X86_FEATURE_${bit.kernel}\\s+\\(\\s*(\\d+)\\*32\\+\\s*(\\d+)\\)`).exec(features);
    assert.ok(m, `X86_FEATURE_${bit.kernel} is in cpufeatures.h`);
    assert.equal(
      words[Number(m[1])],
      `${bit.function.toString(16)}.${bit.index}.${bit.reg}`,
      `${bit.qemu}: word ${m[1]}`,
    );
    assert.equal(Number(m[2]), bit.bit, bit.qemu);
    checked++;
  }
  assert.ok(checked > 60, `${checked} bits checked`);
});

test('public vendor logs read as they mean: pre-merge TDP MMU message, "not enabled by BIOS."', () => {
  const read = (name: string) =>
    parseTdxLog(
      readFileSync(join(fixturesDir, 'kernel-logs', `${name}.txt`), 'utf8')
        .split('\n')
        .filter((line) => line !== '' && !line.startsWith('#')),
    );
  const tdp = read('tdx-premerge-tdp-mmu');
  assert.equal(tdp.moduleState?.value.state, 'initialized');
  assert.deepEqual(
    tdp.kvmMessages.map((m) => m.value.parameters),
    [['kvm.tdp_mmu']],
  );
  const bios = read('tdx-not-enabled-by-bios-premerge');
  assert.deepEqual(bios.moduleState?.value, { state: 'not-supported', reason: 'not enabled by BIOS.' });
  assert.deepEqual(bios.keyIdRange?.value, { start: 32, end: 64, count: 32 });
});
