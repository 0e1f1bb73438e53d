// CPUID decoding: checked against the host's raw CPUID (test/oracle/cpuid_oracle.c executes
// the instruction) and against the kernel's own naming in /proc/cpuinfo.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { before, describe, test } from 'node:test';
import type { CpuidEntry } from '../lib/native/binding.js';
import { decodeCpuidEntry, decodeXsaveMask, featureSet, findEntry } from '../lib/decode/cpuid-entry.js';
import { CPUID_FEATURE_REGISTERS, NOT_IN_PROC_CPUINFO, XSAVE_COMPONENTS } from '../lib/knowledge/cpuid-features.js';
import type { Register } from '../lib/knowledge/cpuid-features.js';
import { compileProgram } from './helpers/compile.js';

const REGISTERS: readonly Register[] = ['eax', 'ebx', 'ecx', 'edx'];

function entry(fields: Partial<CpuidEntry> & { function: number }): CpuidEntry {
  return { index: 0, flags: 0, eax: 0, ebx: 0, ecx: 0, edx: 0, ...fields };
}

// ---------------------------------------------------------------------------------------------
// Host checks
// ---------------------------------------------------------------------------------------------

const hostSkip: string | false =
  process.arch !== 'x64' && process.arch !== 'ia32'
    ? `CPUID exists only on x86; this is ${process.arch}`
    : !existsSync('/proc/cpuinfo')
      ? '/proc/cpuinfo is not available'
      : false;

/**
 * Names the kernel prints only when it has also enabled or kept the feature, so a bit set in raw
 * CPUID may legitimately be missing from /proc/cpuinfo.
 */
const KERNEL_MAY_CLEAR: ReadonlyMap<string, string> = new Map([
  ['la57', 'cleared unless the kernel runs with 5-level paging'],
  ['pku', 'cleared when protection keys are not enabled (CONFIG_X86_INTEL_MEMORY_PROTECTION_KEYS=n, nopku)'],
  ['hle', 'cleared when the kernel disables TSX (tsx=off, RTM_ALWAYS_ABORT microcode)'],
  ['rtm', 'cleared when the kernel disables TSX (tsx=off, RTM_ALWAYS_ABORT microcode)'],
  ['vmx', 'cleared when IA32_FEAT_CTL is locked with VMX disabled (init_ia32_feat_ctl)'],
  ['sgx', 'cleared when IA32_FEAT_CTL does not enable SGX'],
  ['sgx_lc', 'cleared when IA32_FEAT_CTL does not enable SGX launch control'],
  ['tme', 'cleared when firmware has not enabled Total Memory Encryption'],
  ['sme', 'cleared unless memory encryption is enabled in SYSCFG (early_detect_mem_encrypt)'],
  ['sev', 'cleared together with SME when memory encryption is not enabled'],
  ['sev_es', 'cleared together with SEV'],
  ['sev_snp', 'cleared when SEV is cleared or the RMP table is not set up'],
  ['xsaves', 'cleared on AMD family 17h (erratum 1386)'],
  ['v_vmsave_vmload', 'cleared on Zen4 client parts (erratum 1235)'],
  ['mpx', 'in the kernel\'s disabled-features mask since MPX support was removed'],
  ['ibt', 'cleared unless kernel IBT is built in and enabled'],
  ['tsc_deadline_timer', 'cleared on microcode with the TSC-deadline erratum'],
  ['x2apic', 'cleared when x2APIC mode is disabled (nox2apic)'],
]);

/**
 * Names in the tables that the kernel may also set from something other than this CPUID bit, so
 * a /proc/cpuinfo flag of that name need not decode from raw CPUID.
 */
const KERNEL_MAY_SET: ReadonlyMap<string, string> = new Map([
  ['intel_ppin', 'also set from a model list after probing MSR_PPIN_CTL'],
  ['mba', 'also set from Intel CPUID leaf 0x10 (scattered.c)'],
  ['svsm', 'forced by the SEV-SNP guest code when it runs under an SVSM'],
  ['vnmi', 'kernels before 6.4 used the name for Intel VMX virtual NMIs (word 8)'],
]);

/**
 * /proc/cpuinfo names that come from kernel feature words this package does not decode
 * (cpufeatures.h words 2, 3, 5, 7, 8, 11, 14, 17 and 21: Transmeta, Linux-synthesized,
 * VIA/Centaur, scattered leaves 6/0x10/0x80000007/0x80000022, VMX capabilities), plus a few
 * older spellings. A flag outside this list and outside the decoded set points at a missing or
 * misplaced bit in lib/knowledge/cpuid-features.ts.
 */
const OTHER_WORD_FLAGS: ReadonlySet<string> = new Set([
  // word 2
  'recovery', 'longrun', 'lrti',
  // word 3
  'cxmmx', 'k6_mtrr', 'cyrix_arr', 'centaur_mcr', 'constant_tsc', 'up', 'art', 'arch_perfmon', 'pebs', 'bts',
  'rep_good', 'amd_lbr_v2', 'acc_power', 'nopl', 'xtopology', 'tsc_reliable', 'nonstop_tsc', 'cpuid',
  'extd_apicid', 'amd_dcm', 'aperfmperf', 'rapl', 'nonstop_tsc_s3', 'tsc_known_freq',
  // word 5
  'rng', 'rng_en', 'ace', 'ace_en', 'ace2', 'ace2_en', 'phe', 'phe_en', 'pmm', 'pmm_en',
  // word 7
  'ring3mwait', 'cpuid_fault', 'cpb', 'epb', 'cat_l3', 'cat_l2', 'cdp_l3', 'tdx_host_platform', 'hw_pstate',
  'proc_feedback', 'pti', 'cdp_l2', 'ssbd', 'perfmon_v2', 'ibrs', 'ibpb', 'stibp', 'ibrs_enhanced',
  'invpcid_single', 'kaiser',
  // word 8
  'tpr_shadow', 'flexpriority', 'ept', 'vpid', 'vmmcall', 'ept_ad', 'tdx_guest',
  // word 11
  'cqm_llc', 'cqm_occup_llc', 'cqm_mbm_total', 'cqm_mbm_local', 'split_lock_detect', 'user_shstk',
  // word 14
  'dtherm', 'ida', 'arat', 'pln', 'pts', 'hwp', 'hwp_notify', 'hwp_act_window', 'hwp_epp', 'hwp_pkg_req', 'hfi',
  // word 17
  'overflow_recov', 'succor', 'smca',
  // word 21
  'amd_lbr_pmc_freeze',
]);

interface CpuinfoBlock {
  fields: Map<string, string>;
  flags: Set<string>;
}

function firstCpuinfoBlock(): CpuinfoBlock {
  const text = readFileSync('/proc/cpuinfo', 'utf8');
  const block = text.split(/\n\s*\n/)[0] ?? '';
  const fields = new Map<string, string>();
  for (const line of block.split('\n')) {
    const match = /^([^:]+?)\s*:\s?(.*)$/.exec(line);
    if (match?.[1] !== undefined && match[2] !== undefined) fields.set(match[1], match[2]);
  }
  const flags = new Set((fields.get('flags') ?? '').split(/\s+/).filter(Boolean));
  return { fields, flags };
}

interface OracleEntry {
  function: number;
  index: number;
  eax: number;
  ebx: number;
  ecx: number;
  edx: number;
}

/** Raw CPUID from the oracle, flagged like KVM flags subleaf-specific leaves (7 and 0xD). */
function hostCpuid(): CpuidEntry[] {
  const source = fileURLToPath(new URL('./oracle/cpuid_oracle.c', import.meta.url));
  const binary = compileProgram(source, { language: 'c' });
  const raw = JSON.parse(execFileSync(binary, { encoding: 'utf8' })) as OracleEntry[];
  return raw.map((e) => ({ ...e, flags: e.function === 0x7 || e.function === 0xd ? 1 : 0 }));
}

describe('decoding the host CPUID against /proc/cpuinfo', { skip: hostSkip }, () => {
  let entries: CpuidEntry[] = [];
  let cpuinfo: CpuinfoBlock = { fields: new Map(), flags: new Set() };
  let decoded: Set<string> = new Set();

  before(() => {
    entries = hostCpuid();
    cpuinfo = firstCpuinfoBlock();
    decoded = featureSet(entries);
  });

  test('the oracle and /proc/cpuinfo produced data', () => {
    assert.ok(findEntry(entries, 0x1), 'leaf 1 is always present');
    assert.ok(cpuinfo.flags.size > 0, '/proc/cpuinfo has a flags line');
  });

  test('every set bit with a /proc/cpuinfo name appears in /proc/cpuinfo', (t) => {
    const verified: string[] = [];
    const clearedByKernel: string[] = [];
    const missing: string[] = [];
    for (const name of decoded) {
      if (NOT_IN_PROC_CPUINFO.has(name)) continue;
      if (cpuinfo.flags.has(name)) verified.push(name);
      else if (KERNEL_MAY_CLEAR.has(name)) clearedByKernel.push(name);
      else missing.push(name);
    }
    t.diagnostic(`verified ${verified.length} names; kernel-cleared: ${clearedByKernel.join(' ') || 'none'}`);
    assert.deepEqual(missing, [], 'decoded from raw CPUID but absent from /proc/cpuinfo');
    assert.ok(verified.length >= 20, `only ${verified.length} names could be checked`);
    assert.ok(clearedByKernel.length <= verified.length / 10, 'too many names excused as kernel-cleared');
  });

  test('every /proc/cpuinfo flag from a covered register decodes from raw CPUID', () => {
    const claimed = new Set<string>();
    for (const table of CPUID_FEATURE_REGISTERS) {
      for (const name of Object.values(table.bits)) if (!NOT_IN_PROC_CPUINFO.has(name)) claimed.add(name);
    }
    const notDecoded = [...cpuinfo.flags].filter((f) => claimed.has(f) && !decoded.has(f) && !KERNEL_MAY_SET.has(f));
    assert.deepEqual(notDecoded, [], 'in /proc/cpuinfo but its table bit is clear in raw CPUID');
  });

  test('every /proc/cpuinfo flag is either decoded or from a word this package does not cover', () => {
    const unexplained = [...cpuinfo.flags].filter(
      (f) => !decoded.has(f) && !OTHER_WORD_FLAGS.has(f) && !KERNEL_MAY_SET.has(f),
    );
    assert.deepEqual(unexplained, [], 'flags neither decoded nor known to come from other kernel words');
  });

  test('names the kernel does not print never show up in /proc/cpuinfo', () => {
    const leaked = [...NOT_IN_PROC_CPUINFO].filter((name) => cpuinfo.flags.has(name));
    assert.deepEqual(leaked, []);
  });

  test('leaf 1 family/model/stepping match /proc/cpuinfo', () => {
    const leaf1 = findEntry(entries, 0x1);
    assert.ok(leaf1);
    const { fields } = decodeCpuidEntry(leaf1);
    assert.equal(fields.family, Number(cpuinfo.fields.get('cpu family')));
    assert.equal(fields.model, Number(cpuinfo.fields.get('model')));
    assert.equal(fields.stepping, Number(cpuinfo.fields.get('stepping')));
  });

  test('max basic leaf and address sizes match /proc/cpuinfo', (t) => {
    const leaf0 = findEntry(entries, 0x0);
    assert.ok(leaf0);
    assert.equal(decodeCpuidEntry(leaf0).fields.maxBasicLeaf, Number(cpuinfo.fields.get('cpuid level')));

    const sizes = /^(\d+) bits physical, (\d+) bits virtual$/.exec(cpuinfo.fields.get('address sizes') ?? '');
    const leaf = findEntry(entries, 0x80000008);
    if (!sizes || !leaf) {
      t.skip('no "address sizes" line or no leaf 0x80000008');
      return;
    }
    const { fields } = decodeCpuidEntry(leaf);
    assert.equal(fields.linearAddressBits, Number(sizes[2]));
    // The kernel subtracts 0x8000001F EBX[11:6] when SME is active, and the TME KeyID bits on Intel.
    const physical = Number(sizes[1]);
    const sev = findEntry(entries, 0x8000001f);
    const reduction = sev ? (decodeCpuidEntry(sev).fields.physicalAddressReduction ?? 0) : 0;
    const pa = fields.physicalAddressBits ?? -1;
    assert.ok(
      physical === pa || physical === pa - reduction || (cpuinfo.flags.has('tme') && physical < pa),
      `/proc/cpuinfo says ${physical} physical bits, CPUID says ${pa} (SME reduction ${reduction})`,
    );
  });

  test('registers the tables cover decode without duplicate names', () => {
    for (const e of entries) {
      const { features } = decodeCpuidEntry(e);
      for (const register of REGISTERS) {
        const names = features[register] ?? [];
        assert.equal(new Set(names).size, names.length, `duplicate name in leaf ${e.function.toString(16)}`);
      }
    }
  });
});

// ---------------------------------------------------------------------------------------------
// Fixed-value checks
// ---------------------------------------------------------------------------------------------

describe('decodeXsaveMask', () => {
  // Bit meanings per Intel SDM Vol. 1 §13.1 (XSAVE-supported features and state components);
  // names as in the kernel's enum xfeature (arch/x86/include/asm/fpu/types.h), lower-cased.
  test('x87 + SSE + AVX', () => {
    assert.deepEqual(decodeXsaveMask(0x7n), { components: ['fp', 'sse', 'ymm'], unknownBits: [] });
  });

  test('the AVX-512 XCR0 of an AVX-512 machine (0xe7)', () => {
    assert.deepEqual(decodeXsaveMask(0xe7n), {
      components: ['fp', 'sse', 'ymm', 'opmask', 'zmm_hi256', 'hi16_zmm'],
      unknownBits: [],
    });
  });

  test('PKRU and the AMX tile state', () => {
    assert.deepEqual(decodeXsaveMask((1n << 9n) | (1n << 17n) | (1n << 18n)), {
      components: ['pkru', 'xtile_cfg', 'xtile_data'],
      unknownBits: [],
    });
  });

  test('supervisor components of IA32_XSS: PT, PASID, CET', () => {
    assert.deepEqual(decodeXsaveMask((1n << 8n) | (1n << 10n) | (1n << 11n) | (1n << 12n)).components, [
      'pt',
      'pasid',
      'cet_user',
      'cet_kernel',
    ]);
  });

  test('undefined bits are reported by number, beyond 32 bits too', () => {
    assert.deepEqual(decodeXsaveMask(0x3n | (1n << 40n) | (1n << 63n)), {
      components: ['fp', 'sse'],
      unknownBits: [40, 63],
    });
  });

  test('zero and bad arguments', () => {
    assert.deepEqual(decodeXsaveMask(0n), { components: [], unknownBits: [] });
    assert.throws(() => decodeXsaveMask(-1n), RangeError);
    assert.throws(() => decodeXsaveMask(7 as unknown as bigint), TypeError);
  });

  test('the component table has unique bits 0..19 and unique names', () => {
    assert.deepEqual(
      XSAVE_COMPONENTS.map(([bit]) => bit),
      Array.from({ length: 20 }, (_, i) => i),
    );
    assert.equal(new Set(XSAVE_COMPONENTS.map(([, name]) => name)).size, XSAVE_COMPONENTS.length);
  });
});

describe('decodeCpuidEntry', () => {
  test('unknown bits are reported by number', () => {
    // Leaf 1 EDX bits 10 and 20 are reserved in the SDM and undefined in cpufeatures.h word 0;
    // bit 0 is FPU.
    const decoded = decodeCpuidEntry(entry({ function: 0x1, edx: (1 << 10) | (1 << 20) | 1 }));
    assert.deepEqual(decoded.features.edx, ['fpu']);
    assert.deepEqual(decoded.unknownBits.edx, [10, 20]);
    assert.deepEqual(decoded.features.ecx, []);
    assert.deepEqual(decoded.unknownBits.ecx, []);
    assert.equal(decoded.features.eax, undefined, 'leaf 1 EAX has no feature table');
  });

  test('leaves without tables decode to no features', () => {
    const decoded = decodeCpuidEntry(entry({ function: 0x40000000, eax: 0xffffffff, ebx: 0xffffffff }));
    assert.deepEqual(decoded.features, {});
    assert.deepEqual(decoded.unknownBits, {});
    assert.deepEqual(decoded.fields, {});
  });

  test('a register with every bit set names each feature once and accounts for all 32 bits', () => {
    for (const table of CPUID_FEATURE_REGISTERS) {
      const decoded = decodeCpuidEntry(
        entry({ function: table.function, index: table.index, flags: 1, [table.register]: 0xffffffff }),
      );
      const names = decoded.features[table.register] ?? [];
      const unknown = decoded.unknownBits[table.register] ?? [];
      const label = `leaf ${table.function.toString(16)}.${table.index} ${table.register}`;
      assert.equal(new Set(names).size, names.length, `${label}: a name reported twice`);
      assert.equal(names.length + unknown.length, 32, label);
      assert.ok(names.length > 0, label);
    }
  });

  test('the subleaf is honoured only with KVM_CPUID_FLAG_SIGNIFCANT_INDEX', () => {
    // CPUID.(7,1):EAX[5] is AVX512_BF16 (cpufeatures.h word 12); CPUID.(7,0):EAX is the max subleaf.
    const sub1 = decodeCpuidEntry(entry({ function: 0x7, index: 1, flags: 1, eax: 1 << 5 }));
    assert.deepEqual(sub1.features.eax, ['avx512_bf16']);
    const sub0 = decodeCpuidEntry(entry({ function: 0x7, index: 0, flags: 1, eax: 1 << 5 }));
    assert.equal(sub0.features.eax, undefined);
  });

  test('multi-bit fields', () => {
    // Family 19h model 11h stepping 1 (EPYC 9004): base family 0xF + extended family 0xA,
    // extended model 1, base model 1: eax = 0x00A10F11.
    assert.deepEqual(decodeCpuidEntry(entry({ function: 0x1, eax: 0x00a10f11 })).fields, {
      family: 0x19,
      model: 0x11,
      stepping: 1,
    });
    // Family 6 model 0x8F stepping 8 (Sapphire Rapids): eax = 0x000806F8.
    assert.deepEqual(decodeCpuidEntry(entry({ function: 0x1, eax: 0x000806f8 })).fields, {
      family: 6,
      model: 0x8f,
      stepping: 8,
    });
    // Family 5: the extended model is not used.
    assert.equal(decodeCpuidEntry(entry({ function: 0x1, eax: 0x000f0543 })).fields.model, 4);
    // 0x8000001F EBX 0x0000_4173: C-bit 51, phys reduction 5, 4 VMPLs.
    assert.deepEqual(
      decodeCpuidEntry(entry({ function: 0x8000001f, ebx: 51 | (5 << 6) | (4 << 12), ecx: 1006, edx: 100 })).fields,
      { cBitPosition: 51, physicalAddressReduction: 5, numberOfVmpls: 4, maxEncryptedGuests: 1006, minSevAsid: 100 },
    );
    assert.deepEqual(decodeCpuidEntry(entry({ function: 0x80000008, eax: 0x00303030 })).fields, {
      physicalAddressBits: 48,
      linearAddressBits: 48,
      guestPhysicalAddressBits: 48,
    });
    assert.deepEqual(
      decodeCpuidEntry(entry({ function: 0xd, flags: 1, eax: 0x2e7, ebx: 0x988, ecx: 0x2b00, edx: 0 })).fields,
      { xcr0SupportedLow: 0x2e7, xcr0SupportedHigh: 0, xsaveSizeEnabled: 0x988, xsaveSizeMax: 0x2b00 },
    );
    assert.deepEqual(decodeCpuidEntry(entry({ function: 0xd, index: 1, flags: 1, eax: 0xf })).fields, {});
    assert.deepEqual(decodeCpuidEntry(entry({ function: 0x80000000, eax: 0x80000028 })).fields, {
      maxExtendedLeaf: 0x80000028,
    });
  });
});

describe('findEntry and featureSet', () => {
  const entries: CpuidEntry[] = [
    entry({ function: 0x1, index: 5, ecx: 1 << 31 }), // index ignored: no significant-index flag
    entry({ function: 0x7, index: 0, flags: 1, ebx: 1 << 5 }),
    entry({ function: 0x7, index: 1, flags: 1, eax: 1 << 4 }),
    entry({ function: 0x8000001f, eax: (1 << 1) | (1 << 4) }),
  ];

  test('index is compared only for significant-index entries', () => {
    assert.equal(findEntry(entries, 0x1), entries[0]);
    assert.equal(findEntry(entries, 0x1, 3), entries[0]);
    assert.equal(findEntry(entries, 0x7), entries[1]);
    assert.equal(findEntry(entries, 0x7, 1), entries[2]);
    assert.equal(findEntry(entries, 0x7, 2), undefined);
    assert.equal(findEntry(entries, 0x80000008), undefined);
  });

  test('featureSet unions every table register', () => {
    // leaf 1 ECX[31] hypervisor; 7.0 EBX[5] AVX2; 7.1 EAX[4] AVX-VNNI; 0x8000001F EAX[1] SEV, [4] SEV-SNP.
    assert.deepEqual([...featureSet(entries)].sort(), ['avx2', 'avx_vnni', 'hypervisor', 'sev', 'sev_snp']);
    assert.deepEqual(featureSet([]), new Set());
  });
});

describe('feature tables', () => {
  test('names are lower-case identifiers, one table per register', () => {
    const keys = new Set<string>();
    for (const table of CPUID_FEATURE_REGISTERS) {
      const key = `${table.function}.${table.index}.${table.register}`;
      assert.ok(!keys.has(key), `two tables for ${key}`);
      keys.add(key);
      for (const [bit, name] of Object.entries(table.bits)) {
        assert.ok(Number(bit) >= 0 && Number(bit) < 32, `${key} bit ${bit}`);
        assert.match(name, /^[a-z0-9_]+$/, `${key} bit ${bit}`);
      }
    }
  });

  test('every name said to be absent from /proc/cpuinfo is in a table', () => {
    const all = new Set(CPUID_FEATURE_REGISTERS.flatMap((table) => Object.values(table.bits)));
    assert.deepEqual([...NOT_IN_PROC_CPUINFO].filter((name) => !all.has(name)), []);
  });

  test('the host-check exception lists only excuse table names', () => {
    const all = new Set(CPUID_FEATURE_REGISTERS.flatMap((table) => Object.values(table.bits)));
    assert.deepEqual([...KERNEL_MAY_CLEAR.keys(), ...KERNEL_MAY_SET.keys()].filter((name) => !all.has(name)), []);
    assert.deepEqual([...OTHER_WORD_FLAGS].filter((name) => all.has(name)), [], 'a covered name in the other-words list');
  });
});
