// CPUID decoding: the tables' names and bit positions checked against the kernel's own
// arch/x86/include/asm/cpufeatures.h (Linux 7.2, Debian unstable's linux-headers-<ver>-common),
// and the host's raw CPUID (test/oracle/cpuid_oracle.c executes the instruction) decoded and
// compared with /proc/cpuinfo. /proc/cpuinfo is what the kernel made of CPUID: it clears
// flags it does not use or trust and synthesises others (a guest's kernel differs from raw
// CPUID in both directions), so that comparison is a diagnostic, and only a decoded name at
// a bit position that contradicts cpufeatures.h fails.
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
import { type CpuFeatures, type KernelFeature, kernelName, readCpuFeatures } from './helpers/cpufeatures.js';
import { kernelFiles, kernelHeaders } from './helpers/kernel-sources.js';
import { skipUnless } from './helpers/requirements.js';

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
      : skipUnless('cc');

/** A table bit: where the tables put a name. */
interface TableBit {
  function: number;
  index: number;
  register: Register;
  bit: number;
  name: string;
}

const tableBits: TableBit[] = CPUID_FEATURE_REGISTERS.flatMap((t) =>
  Object.entries(t.bits).map(([bit, name]) => ({
    function: t.function,
    index: t.index,
    register: t.register,
    bit: Number(bit),
    name,
  })),
);

const where = (b: { function: number; index: number; register: string; bit: number }): string =>
  `CPUID.(0x${b.function.toString(16)},${b.index}):${b.register.toUpperCase()}[${b.bit}]`;

/**
 * What cpufeatures.h says against a table bit, or undefined when it says nothing against it:
 *   - a word copied from this register defines the bit under another name;
 *   - the word leaves the bit undefined, or no word copies this register, and the kernel
 *     defines the name at a bit of another CPUID register (a name defined in a Linux-defined
 *     word is set from scattered.c's table or by the kernel itself, which cpufeatures.h does
 *     not place). 0x80000001 EDX repeats leaf 1 EDX on AMD; the kernel keeps only leaf 1's
 *     copy ("Don't duplicate feature flags which are redundant with Intel!"), so the same
 *     name at the same bit of both is no contradiction.
 */
function contradiction(kernel: CpuFeatures, b: TableBit): string | undefined {
  const word = kernel.cpuidWords.find(
    (w) => w.function === b.function && w.index === b.index && w.register === b.register,
  );
  const atBit = word && kernel.features.find((f) => f.word === word.word && f.bit === b.bit);
  if (atBit) {
    const expected = kernelName(atBit);
    return expected === b.name
      ? undefined
      : `${where(b)} is "${b.name}"; cpufeatures.h word ${word.word} bit ${b.bit} is ` +
          `X86_FEATURE_${atBit.macro} ("${expected}")`;
  }
  const elsewhere = kernel.features.filter(
    (f) => kernelName(f) === b.name && kernel.cpuidWords.some((w) => w.word === f.word),
  );
  const place = (f: KernelFeature): string => {
    const w = kernel.cpuidWords.find((x) => x.word === f.word)!;
    return where({ ...w, bit: f.bit });
  };
  const mirror = (f: KernelFeature): boolean =>
    b.function === 0x80000001 && b.register === 'edx' && f.word === 0 && f.bit === b.bit;
  const wrong = elsewhere.filter((f) => !mirror(f));
  if (wrong.length === 0) return undefined;
  return `${where(b)} is "${b.name}"; cpufeatures.h puts "${b.name}" at ${wrong.map(place).join(', ')}`;
}

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

  test(
    'decoded names sit where cpufeatures.h puts them; flags the ' + 'kernel cleared or synthesised are reported',
    async (t) => {
      const headers = await kernelFiles(t, 'linux-headers-common', kernelHeaders);
      if (!headers) return;
      const kernel = readCpuFeatures(headers.root);
      // The table bits set in this host's raw CPUID.
      const setBits = tableBits.filter((b) => {
        const e = findEntry(entries, b.function, b.index);
        return e !== undefined && ((e[b.register] >>> b.bit) & 1) === 1;
      });
      assert.ok(setBits.length >= 20, `only ${setBits.length} table bits set in raw CPUID`);
      const printed = new Set(kernel.features.filter((f) => f.printed).map(kernelName));
      const cleared = [...decoded].filter(
        (n) => printed.has(n) && !NOT_IN_PROC_CPUINFO.has(n) && !cpuinfo.flags.has(n),
      );
      const synthesised = [...cpuinfo.flags].filter((f) => !decoded.has(f) && tableBits.some((b) => b.name === f));
      const otherWords = [...cpuinfo.flags].filter((f) => !decoded.has(f) && !synthesised.includes(f));
      t.diagnostic(
        `raw CPUID sets ${setBits.length} table bits; /proc/cpuinfo agrees on ` +
          `${[...decoded].filter((n) => cpuinfo.flags.has(n)).length} names`,
      );
      t.diagnostic(`cleared by the kernel (set in raw CPUID, not in /proc/cpuinfo): ${cleared.join(' ') || 'none'}`);
      t.diagnostic(
        `synthesised by the kernel (in /proc/cpuinfo, clear in raw CPUID): ${synthesised.join(' ') || 'none'}`,
      );
      t.diagnostic(
        'from kernel words kvm-caps does not decode (Linux-defined, scattered, other vendors): ' +
          `${otherWords.length} flags`,
      );
      const wrong = setBits.map((b) => contradiction(kernel, b)).filter((c) => c !== undefined);
      assert.deepEqual(wrong, [], 'decoded names at bit positions cpufeatures.h contradicts');
    },
  );

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
    assert.deepEqual(
      [...NOT_IN_PROC_CPUINFO].filter((name) => !all.has(name)),
      [],
    );
  });

  test('names and bit positions agree with Linux 7.2 cpufeatures.h', async (t) => {
    const headers = await kernelFiles(t, 'linux-headers-common', kernelHeaders);
    if (!headers) return;
    const kernel = readCpuFeatures(headers.root);
    assert.ok(
      kernel.features.length > 300 && kernel.cpuidWords.length >= 12,
      `read ${kernel.features.length} features, ${kernel.cpuidWords.length} CPUID words`,
    );
    assert.deepEqual(
      tableBits.map((b) => contradiction(kernel, b)).filter((c) => c !== undefined),
      [],
    );
    // The naming rule: a name the kernel prints is not said to be absent from /proc/cpuinfo,
    // and one it defines without printing is.
    const defined = new Map(
      kernel.features.filter((f) => kernel.cpuidWords.some((w) => w.word === f.word)).map((f) => [kernelName(f), f]),
    );
    const misfiled = tableBits
      .filter(
        (b) => defined.has(b.name) && (defined.get(b.name)!.printed !== undefined) === NOT_IN_PROC_CPUINFO.has(b.name),
      )
      .map(
        (b) =>
          `${b.name}: ${
            NOT_IN_PROC_CPUINFO.has(b.name)
              ? 'printed by the kernel, listed ' + 'as not printed'
              : 'not printed by the kernel, not listed'
          }`,
      );
    assert.deepEqual(misfiled, []);
    // Bits the kernel defines in a word the tables cover but the tables lack are decoded by
    // number only: worth adding, but no contradiction (a newer kernel adds bits).
    const covered = kernel.cpuidWords.filter((w) =>
      CPUID_FEATURE_REGISTERS.some(
        (r) => r.function === w.function && r.index === w.index && r.register === w.register,
      ),
    );
    const lacking = kernel.features.filter((f) => {
      const w = covered.find((x) => x.word === f.word);
      return (
        w !== undefined &&
        !tableBits.some(
          (b) => b.function === w.function && b.index === w.index && b.register === w.register && b.bit === f.bit,
        )
      );
    });
    t.diagnostic(
      `kernel bits the tables lack: ${
        lacking.map((f) => `word ${f.word} bit ${f.bit} ` + `X86_FEATURE_${f.macro}`).join(', ') || 'none'
      }`,
    );
  });
});
