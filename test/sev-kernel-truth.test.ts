// The SEV tables and log patterns, checked against the kernel's own text: Linux 7.2's headers
// (UAPI psp-sev.h from linux-libc-dev; include/linux/psp-sev.h, asm/svm.h, asm/msr-index.h and
// cpufeatures.h from linux-headers-<ver>-common) and the printk formats of linux-source-7.2's
// drivers/crypto/ccp, arch/x86/kvm/svm, arch/x86/virt/svm and drivers/iommu/amd. Lines the
// parser reads for older or vendor kernels carry their public provenance instead, and must
// not be printable by 7.2 (else they belong with the mainline lines).
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { CPUID_FEATURE_REGISTERS } from '../lib/knowledge/cpuid-features.js';
import { parseSevLog } from '../lib/decode/sev-log.js';
import {
  KVM_AMD_PARAMETERS,
  KVM_SNP_POLICY_MASK_VALID,
  SEV_PLATFORM_STATES,
  SEV_RET_CODES,
  SEV_STATUS_FLAGS,
  SNP_FEATURE_FLAGS,
  SNP_MIN_FIRMWARE,
  SNP_POLICY_BITS,
  SNP_POLICY_FIELDS,
  SNP_RMP_FLAGS,
  VMSA_FEATURES,
} from '../lib/knowledge/sev.js';
import { HOST_CPUID_8000001F } from '../lib/knowledge/sev.js';
import { PSP_SYSFS_ATTRIBUTES } from '../lib/snapshot/host-files.js';
import { AMD_SNP_MSRS } from '../lib/snapshot/msr.js';
import {
  formatsPrinting,
  kernelFiles,
  kernelHeaders,
  kernelSource,
  printkFormats,
  type PrintkFormat,
} from './helpers/kernel-sources.js';
import { uapiHeaders } from './helpers/uapi-headers.js';

/** `#define NAME value` -> value text (first definition), from C source. */
function defines(text: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const m of text.matchAll(/^#define\s+(\w+)\s+(.+?)\s*(?:\/\*.*)?$/gm))
    if (!out.has(m[1]!)) out.set(m[1]!, m[2]!.trim());
  return out;
}

/** BIT(n), BIT_ULL(n), GENMASK_ULL(h, l), (w*32+ n), a number: the bit number or mask it names. */
function bitOf(value: string): number {
  const m = /^(?:BIT|BIT_ULL)\((\d+)\)$/.exec(value) ?? /^\(\s*\d+\s*\*\s*32\s*\+\s*(\d+)\s*\)$/.exec(value);
  if (!m) throw new Error(`not a single bit: ${value}`);
  return Number(m[1]);
}

test('psp-sev.h (UAPI 7.2): SEV_RET codes, the status flag and the SNP status bitfields', async (t) => {
  const headers = await kernelFiles(t, 'linux-libc-dev', uapiHeaders);
  if (!headers) return;
  const header = readFileSync(join(headers.includeDir, 'linux', 'psp-sev.h'), 'utf8').replace(/\/\*[\s\S]*?\*\//g, '');
  const body = /typedef enum \{([\s\S]*?)\} sev_ret_code;/.exec(header)?.[1] ?? '';
  const codes = new Map<string, number>();
  for (const m of body.matchAll(/(SEV_RET_\w+)\s*=\s*(-?0x[0-9a-fA-F]+|-?\d+|SEV_RET_\w+)/g)) {
    codes.set(m[1]!, m[2]!.startsWith('SEV_RET_') ? codes.get(m[2]!)! : Number(m[2]));
  }
  assert.ok(codes.size > 50, `parsed ${codes.size} codes`);
  assert.deepEqual(new Map(SEV_RET_CODES.map(([code, name]) => [name, code])), codes);
  const flags = defines(header);
  const configEs = SEV_STATUS_FLAGS.find((f) => f.name === 'CONFIG_ES');
  assert.equal(1 << configEs!.bit, Number(flags.get('SEV_STATUS_FLAGS_CONFIG_ES')));
  const snp = /struct sev_user_data_snp_status \{([\s\S]*?)\} __attribute__/.exec(header)?.[1] ?? '';
  // GCC allocates bitfields from the least significant bit, in declaration order.
  const feature = [...snp.matchAll(/__u32 (\w+):1;/g)].map((m, bit) => [bit, m[1]!.toUpperCase()]);
  for (const [bit, name] of feature)
    assert.equal(SNP_FEATURE_FLAGS.find((f) => f.bit === bit)?.name, name, `feature bit ${bit}`);
  const rmp = [...snp.matchAll(/__u8 (\w+):(\d+);/g)];
  assert.equal(rmp[0]?.[1], 'is_rmp_initialized');
  assert.equal(SNP_RMP_FLAGS.find((f) => f.bit === 0)?.name, 'IS_RMP_INITIALIZED');
});

test('include/linux/psp-sev.h (7.2): platform states and the SNP guest policy bits', async (t) => {
  const tree = await kernelFiles(t, 'linux-headers-common', kernelHeaders);
  if (!tree) return;
  const header = readFileSync(join(tree.root, 'include', 'linux', 'psp-sev.h'), 'utf8');
  const states = /enum sev_state \{([\s\S]*?)\};/.exec(header)?.[1] ?? '';
  const fromHeader = Object.fromEntries(
    [...states.matchAll(/SEV_STATE_(\w+)\s*=\s*(0x[0-9a-f]+|\d+)/gi)].map((m) => [Number(m[2]), m[1]!]),
  );
  assert.deepEqual(SEV_PLATFORM_STATES, fromHeader);
  const d = defines(header);
  for (const bit of SNP_POLICY_BITS)
    assert.equal(bitOf(d.get(`SNP_POLICY_MASK_${bit.name}`) ?? 'none'), bit.bit, bit.name);
  const policyDefines = [...d.keys()].filter((k) => /^SNP_POLICY_MASK_/.test(k) && !/_(BASE|VALID)$/.test(k));
  const ours = [...SNP_POLICY_BITS.map((b) => b.name), ...SNP_POLICY_FIELDS.map((f) => f.name.replace('ABI_', 'API_'))];
  assert.deepEqual(
    policyDefines.map((k) => k.replace('SNP_POLICY_MASK_', '')).sort(),
    ours.sort(),
    'every SNP_POLICY_MASK_* is in the table',
  );
  assert.equal(d.get('SNP_POLICY_MASK_API_MINOR'), 'GENMASK_ULL(7, 0)');
  assert.equal(d.get('SNP_POLICY_MASK_API_MAJOR'), 'GENMASK_ULL(15, 8)');
});

test('asm/svm.h and msr-index.h (7.2): every VMSA SEV_FEATURES bit, mainline or with its series named', async (t) => {
  const tree = await kernelFiles(t, 'linux-headers-common', kernelHeaders);
  if (!tree) return;
  const svm = defines(readFileSync(join(tree.root, 'arch', 'x86', 'include', 'asm', 'svm.h'), 'utf8'));
  const msr = defines(readFileSync(join(tree.root, 'arch', 'x86', 'include', 'asm', 'msr-index.h'), 'utf8'));
  for (const feature of VMSA_FEATURES) {
    const svmDefine = /^SVM_SEV_FEAT_\w+$/.exec(feature.define)?.[0];
    if (svmDefine && svm.has(svmDefine)) {
      assert.equal(bitOf(svm.get(svmDefine)!), feature.bit, svmDefine);
      continue;
    }
    // Not in 7.2's svm.h: the SEV_STATUS MSR bit (VMSA bit + 2) must exist, and an SVM_SEV_FEAT
    // name from a later series must say so.
    if (svmDefine)
      assert.match(
        feature.source,
        /patch|series/,
        `${svmDefine} is not in 7.2's svm.h: its source must name the series`,
      );
    const msrDefine = [...msr.keys()].find(
      (k) => /^MSR_AMD64_SNP_\w+_BIT$/.test(k) && Number(msr.get(k)) === feature.bit + 2,
    );
    assert.ok(msrDefine, `${feature.name}: no MSR_AMD64_SNP_*_BIT ${feature.bit + 2} in 7.2's msr-index.h`);
    const named = /^(MSR_AMD64_SNP_\w+_BIT) (\d+) - 2$/.exec(feature.define);
    if (named) assert.equal(named[1], msrDefine, feature.name);
  }
});

test('msr-index.h (7.2): the MSRs and SYSCFG bits the snapshot reads', async (t) => {
  const tree = await kernelFiles(t, 'linux-headers-common', kernelHeaders);
  if (!tree) return;
  const msr = defines(readFileSync(join(tree.root, 'arch', 'x86', 'include', 'asm', 'msr-index.h'), 'utf8'));
  assert.equal(Number(msr.get('MSR_AMD64_SYSCFG')), AMD_SNP_MSRS.SYSCFG);
  assert.equal(Number(msr.get('MSR_AMD64_RMP_BASE')), AMD_SNP_MSRS.RMP_BASE);
  assert.equal(Number(msr.get('MSR_AMD64_RMP_END')), AMD_SNP_MSRS.RMP_END);
  assert.equal(Number(msr.get('MSR_AMD64_SYSCFG_MEM_ENCRYPT_BIT')), 23, 'SMEE');
  assert.equal(Number(msr.get('MSR_AMD64_SYSCFG_SNP_EN_BIT')), 24, 'SNPEn');
});

test('cpufeatures.h word 19 (7.2): the host-CPUID bits behind the VMPL and page-flush checks', async (t) => {
  const tree = await kernelFiles(t, 'linux-headers-common', kernelHeaders);
  if (!tree) return;
  const text = readFileSync(join(tree.root, 'arch', 'x86', 'include', 'asm', 'cpufeatures.h'), 'utf8');
  const at = (bit: number): RegExpExecArray | null =>
    new RegExp(`^#define X86_FEATURE_(\\w+)\\s+\\(19\\*32\\+\\s*${bit}\\)\\s*(?:/\\*\\s*("[^"]*")?)?`, 'm').exec(text);
  assert.equal(at(HOST_CPUID_8000001F.sevBit)?.[1], 'SEV');
  assert.equal(at(HOST_CPUID_8000001F.snpBit)?.[1], 'SEV_SNP');
  assert.equal(at(HOST_CPUID_8000001F.pageFlushBit)?.[1], 'VM_PAGE_FLUSH');
  assert.equal(at(HOST_CPUID_8000001F.smeCoherentBit)?.[1], 'SME_COHERENT');
  // Not printed in /proc/cpuinfo (no quoted name): the raw leaf is the only source of either.
  assert.equal(at(HOST_CPUID_8000001F.pageFlushBit)?.[2], undefined, 'vm_page_flush is not a cpuinfo flag');
  assert.equal(at(HOST_CPUID_8000001F.smeCoherentBit)?.[2], undefined);
  // VMPL (APM bit 5) has no kernel define: the bit is AMD's alone.
  assert.equal(at(HOST_CPUID_8000001F.vmplBit), null, 'the kernel defines no word-19 bit 5');
});

/** Word-19 bits lib/cpuid names that 7.2's cpufeatures.h does not define (from later series; see its comment). */
const WORD19_NOT_IN_7_2: Record<number, string> = { 26: 'secure_avic' };

test('cpufeatures.h word 19 (7.2): the CPUID 0x8000001F EAX names follow the kernel', async (t) => {
  const tree = await kernelFiles(t, 'linux-headers-common', kernelHeaders);
  if (!tree) return;
  const text = readFileSync(join(tree.root, 'arch', 'x86', 'include', 'asm', 'cpufeatures.h'), 'utf8');
  const table = CPUID_FEATURE_REGISTERS.find((f) => f.function === 0x8000001f && f.register === 'eax');
  assert.ok(table, 'lib/cpuid has the 0x8000001F EAX table');
  const kernel = new Map<number, string>();
  for (const m of text.matchAll(
    /^#define X86_FEATURE_(\w+)\s+\(19\*32\+\s*(\d+)\)\s*(?:\/\*\s*(?:"([^"]*)")?.*)?$/gm,
  )) {
    // A quoted name is what /proc/cpuinfo prints; otherwise the define's name, lower case.
    kernel.set(Number(m[2]), m[3] ?? m[1]!.toLowerCase());
  }
  assert.ok(kernel.size >= 10, `found ${kernel.size} word-19 defines`);
  for (const [bit, name] of kernel) assert.equal(table.bits[bit], name, `bit ${bit}: the kernel's name`);
  for (const [bit, name] of Object.entries(WORD19_NOT_IN_7_2)) {
    assert.ok(!kernel.has(Number(bit)), `bit ${bit} is in 7.2 now: drop it from WORD19_NOT_IN_7_2`);
    assert.equal(table.bits[Number(bit)], name);
  }
});

test(
  'kernel sources (7.2): SNP minimum firmware, ' +
    'KVM_SNP_POLICY_MASK_VALID, kvm_amd parameters, PSP sysfs ' +
    'attributes',
  async (t) => {
    const src = await kernelFiles(t, 'linux-source', kernelSource);
    const tree = await kernelFiles(t, 'linux-headers-common', kernelHeaders);
    if (!src || !tree) return;
    const sevDev = defines(readFileSync(join(src.root, 'drivers', 'crypto', 'ccp', 'sev-dev.c'), 'utf8'));
    assert.deepEqual(SNP_MIN_FIRMWARE, {
      major: Number(sevDev.get('SNP_MIN_API_MAJOR')),
      minor: Number(sevDev.get('SNP_MIN_API_MINOR')),
    });
    const kvmSev = readFileSync(join(src.root, 'arch', 'x86', 'kvm', 'svm', 'sev.c'), 'utf8');
    const psp = defines(readFileSync(join(tree.root, 'include', 'linux', 'psp-sev.h'), 'utf8'));
    const valid = /#define KVM_SNP_POLICY_MASK_VALID\s*\(([\s\S]*?)\)\n/.exec(kvmSev)?.[1] ?? '';
    let mask = 0n;
    for (const m of valid.matchAll(/SNP_POLICY_MASK_(\w+)/g)) {
      const v = psp.get(`SNP_POLICY_MASK_${m[1]!}`)!;
      const genmask = /GENMASK_ULL\((\d+), (\d+)\)/.exec(v);
      mask |= genmask
        ? ((1n << BigInt(Number(genmask[1]) + 1)) - 1n) & ~((1n << BigInt(genmask[2]!)) - 1n)
        : 1n << BigInt(bitOf(v));
    }
    assert.equal(KVM_SNP_POLICY_MASK_VALID, mask);
    const svm = readFileSync(join(src.root, 'arch', 'x86', 'kvm', 'svm', 'svm.c'), 'utf8');
    const params = new Set([...`${kvmSev}\n${svm}`.matchAll(/module_param(?:_named)?\(\s*(\w+)/g)].map((m) => m[1]!));
    // debug_swap is gone from 7.2; the table keeps it for the kernels that have it (its reason says when).
    for (const p of KVM_AMD_PARAMETERS) {
      if (p.name === 'debug_swap') assert.match(p.reason, /removed/);
      else assert.ok(params.has(p.name), `kvm_amd parameter ${p.name} in 7.2`);
    }
    const spPci = readFileSync(join(src.root, 'drivers', 'crypto', 'ccp', 'sp-pci.c'), 'utf8');
    const hsti = readFileSync(join(src.root, 'drivers', 'crypto', 'ccp', 'hsti.c'), 'utf8');
    const attributes = [...`${spPci}\n${hsti}`.matchAll(/DEVICE_ATTR_RO\((\w+)\)/g)].map((m) => m[1]!);
    assert.deepEqual([...PSP_SYSFS_ATTRIBUTES].sort(), [...new Set(attributes)].sort());
  },
);

// ---------------------------------------------------------------------------------------
// Log patterns

/** Lines Linux 7.2 prints (as messages, no timestamp), with what the parser must make of them. */
const MAINLINE_LINES: { line: string; check?: (f: ReturnType<typeof parseSevLog>) => void }[] = [
  { line: 'kvm_amd: SEV enabled (ASIDs 100 - 1006)' },
  { line: 'kvm_amd: SEV-ES unusable (ASIDs 100 - 99)', check: (f) => assert.equal(f.asids.sevEs?.value.count, 0) },
  { line: 'kvm_amd: SEV-SNP enabled (ASIDs 1 - 0)', check: (f) => assert.equal(f.asids.snp?.value.count, 0) },
  {
    line: 'kvm_amd: SEV-ES disabled (ASIDs 0 - 0)',
    // ASID 0 is the host's: no ASID at all, not one.
    check: (f) => assert.equal(f.asids.sevEs?.value.count, 0),
  },
  { line: 'kvm_amd: SEV-SNP ciphertext hiding enabled' },
  { line: 'kvm_amd: SEV: SNP_PLATFORM_STATUS failed ret=-5, fw_error=38 (0x26)' },
  { line: 'ccp 0000:42:00.1: SEV API:1.55 build:38' },
  { line: 'ccp 0000:42:00.1: SEV-SNP API:1.55 build:38' },
  { line: 'ccp 0000:42:00.1: SEV: INIT_EX failed 0x18, rc -5' },
  { line: 'ccp 0000:42:00.1: SEV: DF_FLUSH failed 0xe, rc -5' },
  { line: 'ccp 0000:42:00.1: SEV-SNP: SNP_INIT_EX failed rc -5, error 0x3' },
  { line: 'ccp 0000:42:00.1: SEV-SNP: SNP_DF_FLUSH failed rc -5, error 0x20' },
  { line: 'ccp 0000:42:00.1: SEV: failed to get status. Error: 0x1' },
  { line: 'ccp 0000:42:00.1: SEV: failed to SHUTDOWN error 0x12, rc -5' },
  {
    line: 'ccp 0000:42:00.1: SNP PLATFORM_STATUS command failed, ret = -5, error = 0x26',
    check: (f) =>
      assert.deepEqual(
        f.failures.map(({ value: x }) => [x.reporter, x.operation, x.rc, x.errorName]),
        [['ccp', 'SNP_PLATFORM_STATUS', -5, 'SEV_RET_RMP_INITIALIZATION_FAILED']],
      ),
  },
  {
    line: 'ccp 0000:42:00.1: SNP FEATURE_INFO command failed, ret = -5, error = 0x11',
    check: (f) =>
      assert.deepEqual(
        f.failures.map(({ value: x }) => [x.operation, x.errorName]),
        [['SNP_FEATURE_INFO', 'SEV_RET_INVALID_COMMAND']],
      ),
  },
  {
    line: 'ccp 0000:42:00.1: SEV-SNP DF_FLUSH failed, ret = -5, error = 0x20',
    check: (f) =>
      assert.deepEqual(
        f.failures.map(({ value: x }) => [x.operation, x.rc]),
        [['SNP_DF_FLUSH', -5]],
      ),
  },
  {
    line: 'ccp 0000:42:00.1: SEV-SNP firmware shutdown failed, rc -5, error 0xf',
    check: (f) =>
      assert.deepEqual(
        f.failures.map(({ value: x }) => [x.operation, x.errorName]),
        [['SNP_SHUTDOWN_EX', 'SEV_RET_DFFLUSH_REQUIRED']],
      ),
  },
  {
    line:
      'ccp 0000:42:00.1: SEV: retrying INIT command because of ' +
      'SECURE_DATA_INVALID error. Retrying once to reset PSP SEV state.',
    check: (f) => assert.ok(f.psp.initRetried),
  },
  {
    line: 'ccp 0000:01:00.5: sev command 0x85 timed out, disabling PSP',
    check: (f) => assert.equal(f.psp.timeouts[0]?.value, 0x85),
  },
  { line: 'ccp 0000:42:00.1: SEV: TMR allocation failed, SEV-ES support unavailable' },
  { line: 'ccp 0000:42:00.1: sev enabled' },
  { line: 'ccp 0000:42:00.1: SEV firmware updated from 1.55.21 to 1.55.37' },
  { line: 'kvm_amd: SEV-SNP: DF_FLUSH failed, ret=-5, error=0x20' },
  { line: 'SEV-SNP: RMP table physical range [0x0000000016000000 - 0x00000000568fffff]' },
  { line: 'SEV-SNP: Segmented RMP base table physical range [0x0000000016000000 - 0x00000000160fffff]' },
  { line: 'SEV-SNP: Segmented RMP using 64GB segments' },
  { line: 'SEV-SNP: RMP segment 0 physical address [0x16100000 - 0x16500000] covering [0x0 - 0x1000000000]' },
  { line: 'SEV-SNP: Memory for the RMP table has not been reserved by BIOS' },
  { line: 'SEV-SNP: RMP configuration not valid: base=0x16000000, end=0x0' },
  {
    line:
      'SEV-SNP: Memory reserved for the RMP table does not cover full ' +
      'system RAM (expected 0x4100000 got 0x4000000)',
  },
  {
    line: 'SEV-SNP: Failed to map RMP bookkeeping area',
    check: (f) =>
      assert.deepEqual(
        f.rmp.problems.map((p) => p.value),
        ['bookkeeping-map-failed'],
      ),
  },
  {
    line: 'SEV-SNP: Invalid RMP size 0x4000 for configured segment size 0x1000000000',
    check: (f) =>
      assert.deepEqual(
        f.rmp.problems.map((p) => p.value),
        ['invalid-segment-size'],
      ),
  },
  {
    line: 'SEV-SNP: Invalid RMP segment base address 0x16000001 for configured segment size 0x1000000000',
    check: (f) =>
      assert.deepEqual(
        f.rmp.problems.map((p) => p.value),
        ['invalid-segment-base'],
      ),
  },
  { line: 'SEV-SNP: RMP segment size (30) is not within advertised bounds (min=32, max=52)' },
  { line: 'AMD-Vi: SNP: IOMMU disabled or configured in passthrough mode, SNP cannot be supported.' },
  { line: 'AMD-Vi: SNP: IOMMU is configured with V2 page table mode, SNP cannot be supported.' },
  { line: 'AMD-Vi: SNP: IOMMU SNP feature not enabled, SNP cannot be supported.' },
  {
    line: 'AMD-Vi: SNP: RMP initialization failed, SNP cannot be supported.',
    check: (f) =>
      assert.deepEqual(
        f.iommu.problems.map((p) => p.value),
        ['rmp-init-failed'],
      ),
  },
  { line: 'AMD-Vi: IOMMU SNP support enabled.' },
];

/** Lines the parser reads that 7.2 does not print, each with where it was printed. */
const OLDER_LINES: { line: string; provenance: string }[] = [
  {
    line: 'kvm_amd: SEV supported: 410 ASIDs',
    provenance: 'arch/x86/kvm/svm/sev.c sev_hardware_setup() before the "(ASIDs %u - %u)" lines; AMDESE/AMDSEV#82',
  },
  { line: 'kvm_amd: SEV-ES supported: 99 ASIDs', provenance: 'as above; AMDESE/AMDSEV#189' },
  {
    line: 'kvm_amd: SEV-ES and SEV-SNP supported: 99 ASIDs',
    provenance: 'AMD snp-host trees (AMDESE/linux); AMDESE/AMDSEV#202',
  },
  { line: 'SEV supported: 410 ASIDs', provenance: 'Linux 5.x, printed without the kvm_amd prefix' },
  {
    line: 'ccp 0000:42:00.1: SEV-SNP: failed to INIT rc -5, error 0x3',
    provenance: 'drivers/crypto/ccp/sev-dev.c 6.9-6.15 (kernel-versions sev.snp-init-rc-message)',
  },
  { line: 'ccp 0000:42:00.1: SEV-SNP: failed to INIT error 0x3', provenance: 'AMD snp-host trees (AMDESE/AMDSEV#176)' },
  {
    line: 'ccp 0000:42:00.1: SEV: failed to INIT error 0x1, rc -5',
    provenance: 'drivers/crypto/ccp/sev-dev.c up to 6.15',
  },
  {
    line: 'ccp 0000:01:00.5: SEV: failed to INIT error 0xffffffff, rc -16',
    provenance: 'AMDESE/AMDSEV#184 (snp-latest kernel)',
  },
  {
    line: 'SEV-SNP: RMP table physical address [0x0000000016000000 - 0x00000000568fffff]',
    provenance: 'AMD snp-host trees (AMDESE/AMDSEV#274)',
  },
  {
    line: 'AMD-Vi: SNP: IOMMU is disabled or configured in passthrough mode, SNP cannot be supported',
    provenance: 'review versions of iommu_snp_enable() shipped in AMD snp-host trees',
  },
];

/** Lines no kernel printed: the parser must not read them. */
const NEVER_PRINTED = ['ccp 0000:42:00.1: SEV-SNP: failed to INIT, continue SEV INIT'];

/** Whether a format says something of its own: "%s\n" or "kvm_amd: %-20s%*pb" print anything. */
function specific(format: PrintkFormat): boolean {
  const literal = format.format
    .replace(/%[-+ #0]*(?:\*|\d+)?(?:\.(?:\*|\d+))?(?:hh|h|ll|l|z|t|j)?[diouxXcsp%][A-Za-z0-9]*/g, '')
    .replace(/^[\w-]+: /, '');
  return literal.trim().length >= 8;
}

function messageFormats(formats: PrintkFormat[], line: string): PrintkFormat[] {
  // dev_*() lines carry "<driver> <device>: " before the format; the formats do not.
  const dev = /^(?:ccp|AMD-Vi) \S+: (.*)$/.exec(line);
  return formatsPrinting(formats, dev && /^ccp /.test(line) ? dev[1]! : line);
}

test('log patterns: every line read as mainline is printed by Linux 7.2 and parsed as it means', async (t) => {
  const src = await kernelFiles(t, 'linux-source', kernelSource);
  if (!src) return;
  const formats = [
    ...printkFormats(src.root, ['drivers/crypto/ccp'], 'ccp'),
    ...printkFormats(src.root, ['arch/x86/kvm/svm'], 'kvm_amd'),
    ...printkFormats(src.root, ['arch/x86/virt/svm']),
    ...printkFormats(src.root, ['drivers/iommu/amd']),
  ];
  // Every line is checked and every problem listed, so one failure does not hide the next.
  const problems: string[] = [];
  const expect = (what: string, check: () => void): void => {
    try {
      check();
    } catch (error) {
      problems.push(`${what}: ${(error as Error).message.split('\n')[0]}`);
    }
  };
  for (const { line, check } of MAINLINE_LINES) {
    expect(line, () => assert.ok(messageFormats(formats, line).length > 0, 'Linux 7.2 does not print it'));
    const facts = parseSevLog([line]);
    expect(line, () => assert.equal(facts.matched.length, 1, 'the parser does not read it'));
    if (check) expect(line, () => check(facts));
  }
  for (const { line, provenance } of OLDER_LINES) {
    expect(line, () => assert.ok(provenance.length > 0));
    expect(line, () => assert.equal(parseSevLog([line]).matched.length, 1, 'the parser does not read it'));
    const printing = messageFormats(formats, line).filter(specific);
    expect(line, () =>
      assert.deepEqual(
        printing.map((f) => `${f.file}:${f.line}`),
        [],
        '7.2 prints it: list it as mainline',
      ),
    );
  }
  for (const line of NEVER_PRINTED) {
    expect(line, () => assert.equal(messageFormats(formats, line).filter(specific).length, 0));
    expect(line, () =>
      assert.equal(parseSevLog([line]).matched.length, 0, 'no kernel printed it, the parser must not read it'),
    );
  }
  assert.deepEqual(problems, []);
  // The "requires firmware version" line is dev_dbg: a default log never has it.
  const needs = messageFormats(formats, 'ccp 0000:42:00.1: SEV-SNP support requires firmware version >= 1:51');
  assert.ok(
    needs.length > 0 && needs.every((f) => f.call === 'dev_dbg'),
    needs.map((f) => `${f.call} ${f.format}`).join('; '),
  );
});
