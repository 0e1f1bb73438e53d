// The AMD SEV part of the report: the tables against the sources they were copied from
// (the Linux 7.2 psp-sev.h when the UAPI cache is present), TCB decoding in both layouts with
// public worked examples, kernel-log parsing on real log excerpts, sevView() on hand-made
// snapshots, and the SEV personas for the kernel double.
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { loadSnapshot, validateSnapshot } from '../lib/snapshot/load.js';
import type { Snapshot } from '../lib/snapshot/types.js';
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
  tcbLayoutFor,
} from '../lib/decode/sev-fields.js';
import { parseSevLog, stripLogPrefix } from '../lib/decode/sev-log.js';
import { logFailureText } from '../lib/check/sev-kvm-amd-text.js';
import { formatTcbVersion } from '../lib/check/sev-platform-text.js';
import { sevView, type SevView } from '../lib/decode/sev.js';
import { failureOf, known, valueOrNull } from '../lib/decode/sourced.js';
import { parameterEnabled, parameterValue } from '../lib/decode/sev-kvm-amd.js';
import { flattenChecks, runChecks } from '../lib/check/run.js';
import { sevLines } from '../lib/render/sev.js';
import {
  KVM_AMD_PARAMETERS,
  KVM_SNP_POLICY_MASK_VALID,
  SEV_ATTRIBUTES,
  SEV_PLATFORM_STATES,
  SEV_RET_CODES,
  SEV_STATUS_FLAGS,
  SNP_FEATURE_FLAGS,
  SNP_POLICY_BITS,
  SNP_POLICY_FIELDS,
  VMSA_FEATURES,
  parseModuleBool,
  sevRetMeaning,
  sevRetName,
} from '../lib/knowledge/sev.js';
import { KVM_X86_SEV_SNP_REQ_CERTS, KVM_X86_SEV_VMSA_FEATURES, KVM_X86_SNP_POLICY_BITS } from '../lib/knowledge/x86.js';
import { projectRoot } from './helpers/compile.js';
import { runCli } from './helpers/cli.js';
import {
  buildDouble,
  doubleSkipReason,
  loadPersona,
  personaConfig,
  preparePersona,
  type PreparedPersona,
} from './helpers/double.js';
import type { Persona } from './helpers/persona.js';
import { uapiHeaders } from './helpers/uapi-headers.js';
import { kernelFiles } from './helpers/kernel-sources.js';
import {
  SEV_FIRMWARE_INIT_ROWS,
  SNP_PLATFORM_STATUS_ROWS,
  firstChangeHeld,
  kernelHas,
} from '../lib/knowledge/kernel-versions.js';
import { fixtureNames, fixtureSnapshot, fixturesDir } from './helpers/fixtures.js';
import type { CheckResult, Technology } from '../lib/check/types.js';
import { hostNotes } from '../lib/render/sev-host.js';
import { platformNotes } from '../lib/render/sev-platform.js';
import type { SevLine, SevNote } from '../lib/render/sev-line.js';
import { need } from './helpers/requirements.js';

const logDir = join(fixturesDir, 'kernel-logs');
const personaDir = join(projectRoot, 'test', 'personas');

// ---------------------------------------------------------------------------------------

describe('tables', () => {
  test('SEV_RET codes match the Linux 7.2 psp-sev.h enum', async (t) => {
    const headers = await kernelFiles(t, 'linux-libc-dev', uapiHeaders);
    if (!headers) return;
    const header = readFileSync(join(headers.includeDir, 'linux', 'psp-sev.h'), 'utf8');
    const body = /typedef enum \{([\s\S]*?)\} sev_ret_code;/.exec(header)?.[1];
    assert.ok(body, 'sev_ret_code enum found');
    const fromHeader = new Map<string, number>();
    for (const m of body
      .replace(/\/\*[\s\S]*?\*\//g, '')
      .matchAll(/(SEV_RET_\w+)\s*=\s*(-?0x[0-9a-fA-F]+|-?\d+|SEV_RET_\w+)/g)) {
      const value = m[2]!.startsWith('SEV_RET_') ? fromHeader.get(m[2]!) : Number(m[2]);
      assert.notEqual(value, undefined, m[0]);
      fromHeader.set(m[1]!, value!);
    }
    assert.ok(fromHeader.size > 50, `parsed ${fromHeader.size} codes`);
    const ours = new Map(SEV_RET_CODES.map(([code, name]) => [name, code]));
    assert.deepEqual([...ours].sort(), [...fromHeader].sort());
    // The status flag and the snp_status bitfields, in declaration order (GCC allocates LSB first).
    assert.match(header, /#define SEV_STATUS_FLAGS_CONFIG_ES\s+0x0100/);
    const snpStatus = /struct sev_user_data_snp_status \{([\s\S]*?)\} __attribute__/.exec(header)?.[1] ?? '';
    const featureBits = [...snpStatus.matchAll(/__u32 (\w+):1;/g)].map((m) => m[1]!.toUpperCase());
    assert.deepEqual(
      featureBits,
      SNP_FEATURE_FLAGS.filter((f) => f.bit <= 6).map((f) => f.name),
    );
    assert.match(snpStatus, /__u8 is_rmp_initialized:1;/);
    // SNP_PLATFORM_STATUS is the tenth command (0-based 9).
    const commands = /enum \{([\s\S]*?)SEV_MAX,/.exec(header)?.[1] ?? '';
    const names = [...commands.replace(/\/\*[\s\S]*?\*\//g, '').matchAll(/\b(SEV_\w+|SNP_\w+)/g)].map((m) => m[1]);
    assert.equal(names.indexOf('SNP_PLATFORM_STATUS'), 9);
  });

  test('SEV_RET names by code, as the ioctl error field carries them', () => {
    assert.equal(sevRetName(0xffffffff), 'SEV_RET_NO_FW_CALL');
    assert.equal(sevRetName(-1), 'SEV_RET_NO_FW_CALL');
    assert.equal(sevRetName(0), 'SEV_RET_SUCCESS');
    assert.equal(sevRetName(1), 'SEV_RET_INVALID_PLATFORM_STATE');
    // The header's misspelt name comes first; the alias SEV_RET_INVALID_CONFIG has the same value.
    assert.equal(sevRetName(3), 'SEV_RET_INAVLID_CONFIG');
    assert.ok(SEV_RET_CODES.some(([code, name]) => code === 3 && name === 'SEV_RET_INVALID_CONFIG'));
    assert.equal(sevRetName(0x0e), 'SEV_RET_WBINVD_REQUIRED'); // AMDESE/AMDSEV#202: "0xe refers to WBINVD_REQUIRED"
    assert.equal(sevRetName(0x13), 'SEV_RET_HWSEV_RET_PLATFORM'); // AMDESE/sev-tool#43
    assert.equal(sevRetName(0x1a), 'SEV_RET_INVALID_PAGE_STATE'); // sev-dev.c: "INVALID_PAGE_STATE (0x1A)"
    assert.equal(sevRetName(0x1e), undefined); // 0x1e is not defined
    assert.equal(sevRetName(0x3f), 'SEV_RET_SEV_STATUS_RESPONSE_TOO_LARGE');
    assert.equal(sevRetName(0x8003), undefined); // AMDESE/AMDSEV#246's "Error: 0x8003" is no SEV_RET code
    assert.equal(firmwareErrorName(0x26), 'SEV_RET_RMP_INITIALIZATION_FAILED');
    assert.deepEqual(decodeFirmwareError(0xffffffff), {
      code: 0xffffffff,
      hex: '0xffffffff',
      name: 'SEV_RET_NO_FW_CALL',
    });
    // What a status means is the knowledge table's, by name: decode carries the name only.
    assert.equal(
      sevRetMeaning('SEV_RET_NO_FW_CALL'),
      'an error prevented the SEV firmware from being called at all (kernel-side failure)',
    );
  });

  test('platform states and status flags', () => {
    // enum sev_state in include/linux/psp-sev.h
    assert.deepEqual(SEV_PLATFORM_STATES, { 0: 'UNINIT', 1: 'INIT', 2: 'WORKING' });
    assert.deepEqual(
      SEV_STATUS_FLAGS.map((f) => [f.bit, f.name]),
      [
        [0, 'OWNER'],
        [8, 'CONFIG_ES'],
      ],
    );
  });

  test('VMSA feature bits: svm.h defines, and SEV_STATUS MSR bits shifted right by 2', () => {
    // arch/x86/include/asm/svm.h (mainline and the 2025/2026 series).
    const svmH: Record<string, number> = {
      SVM_SEV_FEAT_SNP_ACTIVE: 0,
      SVM_SEV_FEAT_RESTRICTED_INJECTION: 3,
      SVM_SEV_FEAT_ALTERNATE_INJECTION: 4,
      SVM_SEV_FEAT_DEBUG_SWAP: 5,
      SVM_SEV_FEAT_BTB_ISOLATION: 7,
      SVM_SEV_FEAT_SECURE_TSC: 9,
      SVM_SEV_FEAT_SECURE_AVIC: 16,
      SVM_SEV_FEAT_IBPB_ON_ENTRY: 21,
    };
    // arch/x86/include/asm/msr-index.h MSR_AMD64_SNP_*_BIT; arch/x86/hyperv/ivm.c:
    // "SEV_FEATURES (matches the SEV STATUS MSR right shifted 2 bits)".
    const msrIndex: Record<string, number> = {
      VTOM: 3,
      REFLECT_VC: 4,
      RESTRICTED_INJECTION: 5,
      ALTERNATE_INJECTION: 6,
      DEBUG_SWAP: 7,
      PREVENT_HOST_IBS: 8,
      BTB_ISOLATION: 9,
      VMPL_SSS: 10,
      SECURE_TSC: 11,
      VMGEXIT_PARAMETER: 12,
      IBS_VIRT: 14,
      VMSA_REG_PROT: 16,
      SMT_PROTECTION: 17,
      SECURE_AVIC: 18,
      IBPB_ON_ENTRY: 23,
    };
    for (const f of VMSA_FEATURES) {
      if (f.define in svmH) assert.equal(f.bit, svmH[f.define], f.define);
      if (f.name in msrIndex) assert.equal(f.bit, msrIndex[f.name]! - 2, `${f.name}: SEV_STATUS bit - 2`);
      assert.ok(f.define in svmH || f.name in msrIndex, `${f.name} has a source`);
    }
    for (const [define, bit] of Object.entries(svmH))
      assert.ok(
        VMSA_FEATURES.some((f) => f.define === define && f.bit === bit),
        define,
      );
    for (const [name, bit] of Object.entries(msrIndex))
      assert.ok(
        VMSA_FEATURES.some((f) => f.name === name && f.bit === bit - 2),
        name,
      );
  });

  test('SNP policy bits and KVM_SNP_POLICY_MASK_VALID', () => {
    // include/linux/psp-sev.h SNP_POLICY_MASK_* (BIT_ULL / GENMASK_ULL).
    const expected: Record<string, number> = {
      SMT: 16,
      RSVD_MBO: 17,
      MIGRATE_MA: 18,
      DEBUG: 19,
      SINGLE_SOCKET: 20,
      CXL_ALLOW: 21,
      MEM_AES_256_XTS: 22,
      RAPL_DIS: 23,
      CIPHERTEXT_HIDING_DRAM: 24,
      PAGE_SWAP_DISABLE: 25,
    };
    assert.deepEqual(Object.fromEntries(SNP_POLICY_BITS.map((b) => [b.name, b.bit])), expected);
    assert.deepEqual(
      SNP_POLICY_FIELDS.map((f) => [f.name, f.low, f.width]),
      [
        ['ABI_MINOR', 0, 8],
        ['ABI_MAJOR', 8, 8],
      ],
    );
    // kvm-x86 sev.c: every policy bit KVM knows but MIGRATE_MA.
    let mask = 0xffffn;
    for (const b of SNP_POLICY_BITS) if (b.name !== 'MIGRATE_MA') mask |= 1n << BigInt(b.bit);
    assert.equal(KVM_SNP_POLICY_MASK_VALID, mask);
  });

  test('KVM_X86_GRP_SEV attributes use lib/knowledge numbers; kvm_amd parameters parse Y/N and 1/0', () => {
    assert.deepEqual(
      SEV_ATTRIBUTES.map((a) => a.attr),
      [KVM_X86_SEV_VMSA_FEATURES, KVM_X86_SNP_POLICY_BITS, KVM_X86_SEV_SNP_REQ_CERTS],
    );
    assert.deepEqual(['Y', 'y', '1', 'N', 'n', '0', 'maybe'].map(parseModuleBool), [
      true,
      true,
      true,
      false,
      false,
      false,
      null,
    ]);
    for (const name of ['sev', 'sev_es', 'sev_snp', 'ciphertext_hiding_asids', 'debug_swap', 'nested', 'npt']) {
      assert.ok(
        KVM_AMD_PARAMETERS.some((p) => p.name === name && p.reason.length > 0),
        name,
      );
    }
  });

  test('SNP_PLATFORM_STATUS behaviour by kernel version: rows of the one kernel-version table', () => {
    const row = (release: string) => firstChangeHeld(SNP_PLATFORM_STATUS_ROWS, release)?.id;
    assert.equal(kernelHas('snp.platform-status', '6.8.0-31-generic'), false);
    assert.equal(row('6.8.0-31-generic'), undefined);
    assert.equal(row('6.11.0-snp-host'), 'snp.platform-status-needs-init');
    assert.equal(row('6.16.3'), 'sev.snp-platform-status-inits');
    assert.equal(row('6.19.0'), 'sev.snp-platform-status-inits');
    assert.equal(row('7.2.13-amd64'), 'snp.platform-status-as-is');
    assert.equal(row('unknown'), undefined);
    assert.equal(firstChangeHeld(SEV_FIRMWARE_INIT_ROWS, '6.12.9')?.id, 'sev.firmware-init-at-ccp-probe');
    assert.equal(firstChangeHeld(SEV_FIRMWARE_INIT_ROWS, '6.16.0')?.id, 'sev.firmware-init-in-kvm');
  });
});

// ---------------------------------------------------------------------------------------

describe('TCB version', () => {
  test('processor generation by family and model (virtee/sev Generation::identify_cpu)', () => {
    assert.equal(processorGeneration(0x19, 0x01), 'Milan');
    assert.equal(processorGeneration(0x19, 0x11), 'Genoa');
    assert.equal(processorGeneration(0x19, 0xa0), 'Genoa'); // Siena (EPYC 8004)
    assert.equal(processorGeneration(0x1a, 0x02), 'Turin');
    assert.equal(processorGeneration(0x1a, 0x11), 'Turin');
    assert.equal(processorGeneration(0x1a, 0x50), 'Venice');
    assert.equal(processorGeneration(0x17, 0x31), null); // Rome: no SNP
    assert.equal(processorGeneration(0x19, 0x21), null); // a Ryzen, not an SNP EPYC
    assert.equal(tcbLayoutFor('Genoa'), 'milan-genoa');
    assert.equal(tcbLayoutFor('Turin'), 'turin');
    assert.equal(tcbLayoutFor('Venice'), 'turin');
  });

  test('Genoa: 0x3e0f000000000007 is blSPL=07 teeSPL=00 snpSPL=15 ucodeSPL=62', () => {
    // private-compute-infra-toolkit/hats client/launcher/certificates_test.cc: reported_tcb_ =
    // 0x3e0f000000000007 on "AMD EPYC Genoa B1" gives the KDS URL "?blSPL=07&teeSPL=00&snpSPL=15&ucodeSPL=62".
    const tcb = decodeTcbVersion('0x3e0f000000000007', 'milan-genoa');
    assert.deepEqual(tcb, {
      raw: '0x3e0f000000000007',
      layout: 'milan-genoa',
      fmc: null,
      bootloader: 7,
      tee: 0,
      snp: 15,
      microcode: 62,
      reservedNonZero: false,
    });
    assert.equal(formatTcbVersion(tcb), 'bootloader 7, TEE 0, SNP 15, microcode 62');
  });

  test(
    'Milan: virtee/snphost#125 platform TCB (microcode 219, SNP 24, ' +
      'TEE 0, boot loader 4), and what the Turin layout makes of it',
    () => {
      // The bytes are [4, 0, 0, 0, 0, 0, 24, 219]; read as a little-endian u64: 0xdb18000000000004.
      const raw = 0xdb18000000000004n;
      assert.deepEqual(decodeTcbVersion(raw, 'milan-genoa'), {
        raw: '0xdb18000000000004',
        layout: 'milan-genoa',
        fmc: null,
        bootloader: 4,
        tee: 0,
        snp: 24,
        microcode: 219,
        reservedNonZero: false,
      });
      // snphost 0.6.0 took this Milan for a Turin (#125): the FMC byte then holds the boot loader
      // SVN and SNP lands in a reserved byte - which decodeTcbVersion flags.
      const wrong = decodeTcbVersion(raw, 'turin');
      assert.equal(wrong.fmc, 4);
      assert.equal(wrong.snp, 0);
      assert.equal(wrong.microcode, 219);
      assert.equal(wrong.reservedNonZero, true);
    },
  );

  test('Turin layout: virtee/sev tcb.rs test vector TcbVersion::new(Some(1), 2, 3, 4, 5)', () => {
    // to_turin_bytes() = [fmc, bootloader, tee, snp, 0, 0, 0, microcode] = [1, 2, 3, 4, 0, 0, 0, 5].
    const tcb = decodeTcbVersion('0x0500000004030201', 'turin');
    assert.deepEqual(tcb, {
      raw: '0x500000004030201',
      layout: 'turin',
      fmc: 1,
      bootloader: 2,
      tee: 3,
      snp: 4,
      microcode: 5,
      reservedNonZero: false,
    });
    assert.equal(formatTcbVersion(tcb), 'FMC 1, bootloader 2, TEE 3, SNP 4, microcode 5');
    // The legacy vector TcbVersion::new(None, 1, 2, 3, 4) -> [1, 2, 0, 0, 0, 0, 3, 4].
    assert.deepEqual(
      (({ bootloader, tee, snp, microcode }) => ({ bootloader, tee, snp, microcode }))(
        decodeTcbVersion('0x0403000000000201', 'milan-genoa'),
      ),
      { bootloader: 1, tee: 2, snp: 3, microcode: 4 },
    );
  });

  test('SNP platform status: the layout follows the CPU, and current/reported are compared', () => {
    // virtee/snphost#127 (Milan): platform TCB SNP 24, reported SNP 23 -> "The TCB versions did NOT match".
    const status = {
      apiMajor: 1,
      apiMinor: 55,
      state: 1,
      rmpFlags: 1,
      buildId: 29,
      featureFlags: 0,
      guestCount: 0,
      currentTcbVersion: '0xd518000000000002',
      reportedTcbVersion: '0xd517000000000002',
    };
    const d = decodeSnpPlatformStatus(status, { family: 25, model: 1 });
    assert.equal(d.tcb.generation, 'Milan');
    assert.equal(d.tcb.match, false);
    assert.equal(d.tcb.current?.snp, 24);
    assert.equal(d.tcb.reported?.snp, 23);
    assert.equal(d.tcb.current?.microcode, 213);
    assert.equal(d.rmpInitialised, true);
    assert.equal(d.aliasCheckComplete, false);
    assert.equal(d.stateName, 'INIT');
    assert.equal(d.firmwareVersion, '1.55.29');
    // Without a CPU the TCB stays raw: no layout is guessed.
    const raw = decodeSnpPlatformStatus(status, null);
    assert.equal(raw.tcb.layout, null);
    assert.equal(raw.tcb.current, null);
    assert.equal(raw.tcb.currentRaw, '0xd518000000000002');
    // Feature flags by name; bits beyond the table by number.
    const flags = decodeSnpPlatformStatus(
      { ...status, featureFlags: 0x1 | 0x8 | 0x20 | 0x40 | 0x100, rmpFlags: 0x0b },
      { family: 0x1a, model: 2 },
    );
    assert.deepEqual(flags.featureFlags.names, [
      'MASK_CHIP_ID',
      'FEATURE_INFO',
      'CIPHERTEXT_HIDING_CAP',
      'CIPHERTEXT_HIDING_EN',
    ]);
    assert.deepEqual(flags.featureFlags.unknownBits, [8]);
    assert.deepEqual(flags.rmpFlags.names, ['IS_RMP_INITIALIZED', 'ALIAS_CHECK_COMPLETE', 'TIO_EN']);
    assert.equal(flags.tcb.layout, 'turin');
  });
});

describe('decoders', () => {
  test('SEV platform status', () => {
    const d = decodeSevPlatformStatus({ apiMajor: 1, apiMinor: 55, state: 2, flags: 0x101, build: 21, guestCount: 3 });
    assert.equal(d.firmwareVersion, '1.55.21');
    assert.equal(d.stateName, 'WORKING');
    assert.equal(d.owned, true);
    assert.equal(d.esInitialised, true);
    assert.deepEqual(d.flags.names, ['OWNER', 'CONFIG_ES']);
    assert.equal(d.meetsSnpMinimum, true);
    assert.equal(
      decodeSevPlatformStatus({ apiMajor: 1, apiMinor: 49, state: 0, flags: 0, build: 1, guestCount: 0 })
        .meetsSnpMinimum,
      false,
    );
    assert.equal(
      decodeSevPlatformStatus({ apiMajor: 1, apiMinor: 55, state: 7, flags: 0, build: 1, guestCount: 0 }).stateName,
      null,
    );
  });

  test('VMSA features and SNP policy by name, unknown bits by number', () => {
    assert.deepEqual(decodeVmsaFeatures('0x220'), {
      raw: '0x220',
      names: ['DEBUG_SWAP', 'SECURE_TSC'],
      unknownBits: [],
    });
    assert.deepEqual(decodeVmsaFeatures(0x800n | 0x1n | (1n << 40n)), {
      raw: '0x10000000801',
      names: ['SNP_ACTIVE'],
      unknownBits: [11, 40],
    });
    // A typical launch policy: ABI 0.0, SMT allowed, reserved-must-be-one (QEMU's default 0x30000).
    const policy = decodeSnpPolicy('0x30000');
    assert.deepEqual(policy, { raw: '0x30000', abiMajor: 0, abiMinor: 0, names: ['SMT', 'RSVD_MBO'], unknownBits: [] });
    const bits = decodeSnpPolicy(KVM_SNP_POLICY_MASK_VALID | (1n << 30n));
    assert.equal(bits.abiMajor, 255);
    assert.ok(!bits.names.includes('MIGRATE_MA'));
    assert.deepEqual(bits.unknownBits, [30]);
  });

  test('CPUID 0x8000001F through the CPUID decoder', () => {
    const s = decodeSevCpuid({ function: 0x8000001f, index: 0, flags: 0, eax: 0x41a, ebx: 51, ecx: 1006, edx: 100 });
    assert.deepEqual(s.features, ['sev', 'sev_es', 'sev_snp', 'sme_coherent']);
    assert.equal(s.cBitPosition, 51);
    assert.deepEqual(s.sevAsids, { first: 100, last: 1006 });
    assert.deepEqual(s.sevEsAsids, { first: 1, last: 99 });
    // sevctl ok on a Milan (AMDESE/AMDSEV#271): "Number of VMPLs: 4", "Physical address bit reduction: 5",
    // "C-bit location: 51", 509 guests, minimum SEV ASID 256 - the raw host leaf those numbers decode from.
    const milan = decodeSevCpuid({
      function: 0x8000001f,
      index: 0,
      flags: 0,
      eax: 0x1007f,
      ebx: (4 << 12) | (5 << 6) | 51,
      ecx: 509,
      edx: 256,
    });
    assert.equal(milan.numberOfVmpls, 4);
    assert.equal(milan.physicalAddressReduction, 5);
    assert.deepEqual(milan.sevEsAsids, { first: 1, last: 255 });
    assert.equal(
      decodeSevCpuid({ function: 0x8000001f, index: 0, flags: 0, eax: 0x2, ebx: 47, ecx: 509, edx: 1 }).sevEsAsids,
      null,
    );
  });
});

// ---------------------------------------------------------------------------------------

function readLog(name: string): { source: string; lines: string[] } {
  const text = readFileSync(join(logDir, name), 'utf8');
  const all = text.split('\n').filter((l) => l !== '');
  const first = all[0] ?? '';
  assert.match(first, /^# source: \S/, `${name}: first line names the source`);
  const lines = all.filter((l) => !l.startsWith('#'));
  for (const line of lines) assert.match(line, /^\[\s*\d+\.\d{6}\] /, `${name}: dmesg timestamp on "${line}"`);
  return { source: first, lines };
}

describe('kernel log', () => {
  test(
    'every sev-*.txt fixture has a source line and dmesg timestamps, ' +
      'and every line the parser matches is traceable',
    () => {
      const files = readdirSync(logDir).filter((f) => /^sev-.*\.txt$/.test(f));
      assert.ok(files.length >= 10, files.join(' '));
      for (const file of files) {
        const { lines } = readLog(file);
        const facts = parseSevLog(lines);
        assert.ok(facts.matched.length > 0, `${file}: something matched`);
        for (const m of facts.matched) assert.equal(lines[m.index], m.line, `${file}: index and line agree`);
      }
    },
  );

  test('stripLogPrefix drops dmesg and dmesg -T stamps and the journal tag', () => {
    assert.equal(
      stripLogPrefix('[   11.782063] kvm_amd: SEV enabled (ASIDs 100 - 509)'),
      'kvm_amd: SEV enabled (ASIDs 100 - 509)',
    );
    assert.equal(stripLogPrefix('[Wed Oct 11 10:36:17 2023] SEV supported'), 'SEV supported');
    assert.equal(
      stripLogPrefix('[  126.228774] kernel: ccp 0000:01:00.5: sev command 0x85 timed out, disabling PSP'),
      'ccp 0000:01:00.5: sev command 0x85 timed out, disabling PSP',
    );
  });

  test('AMDESE/AMDSEV#189: SNP INIT 0x3 and SEV INIT 0x1 (6.9-6.15 wording), old and new ASID lines', () => {
    const { lines } = readLog('sev-snp-init-failed-6.5.txt');
    const f = parseSevLog(lines);
    assert.deepEqual(
      f.failures.map(({ value: x }) => [x.operation, x.rc, x.firmwareError, x.errorName, x.device]),
      [
        ['SNP INIT', -5, 3, 'SEV_RET_INAVLID_CONFIG', '0000:42:00.1'],
        ['INIT', -5, 1, 'SEV_RET_INVALID_PLATFORM_STATE', '0000:42:00.1'],
      ],
    );
    assert.equal(f.failures[0]!.line, lines[2]);
    assert.equal(f.failures[0]!.source, `kernel log: "${lines[2]!.trim()}"`);
    assert.equal(logFailureText(f.failures[0]!.value), 'SNP INIT failed: SEV_RET_INAVLID_CONFIG (0x3), rc -5');
    assert.deepEqual(f.rmp.table?.value, {
      kind: 'contiguous',
      start: '0x4de00000',
      end: '0x566fffff',
    });
    assert.equal(f.sevApi?.value.text, '1.55.7');
    assert.equal(f.psp.sevEnabled?.value.device, '0000:42:00.1');
    // "SEV-ES and SEV-SNP supported: 99 ASIDs" comes first; the range lines after it win for SEV-ES.
    assert.deepEqual(f.asids.snp && [f.asids.snp.value.state, f.asids.snp.value.count], ['supported', 99]);
    assert.deepEqual(
      f.asids.sevEs && [
        f.asids.sevEs.value.state,
        f.asids.sevEs.value.first,
        f.asids.sevEs.value.last,
        f.asids.sevEs.value.count,
      ],
      ['enabled', 1, 99, 99],
    );
    assert.deepEqual(
      f.asids.sev && [f.asids.sev.value.first, f.asids.sev.value.last, f.asids.sev.value.count],
      [100, 509, 410],
    );
  });

  test('AMDESE/AMDSEV#184: PSP timeout, SEV_RET_NO_FW_CALL as 0xffffffff, journal "kernel:" tag', () => {
    const f = parseSevLog(readLog('sev-psp-timeout.txt').lines);
    assert.deepEqual(
      f.psp.timeouts.map((t) => t.value),
      [0x85],
    );
    assert.deepEqual(
      f.failures.map(({ value: x }) => [x.technology, x.rc, x.firmwareError, x.errorName]),
      [
        ['SNP', -110, 0, 'SEV_RET_SUCCESS'],
        ['SEV', -16, 0xffffffff, 'SEV_RET_NO_FW_CALL'],
      ],
    );
    assert.equal(f.sevApi?.value.text, '1.55.5');
  });

  test('AMDESE/AMDSEV#202: the pre-range "supported: N ASIDs" lines without the kvm_amd prefix, SEV INIT 0xe', () => {
    const f = parseSevLog(readLog('sev-old-format-genoa.txt').lines);
    assert.deepEqual(
      f.failures.map(({ value: x }) => [x.operation, x.rc, x.errorName]),
      [['INIT', null, 'SEV_RET_WBINVD_REQUIRED']],
    );
    assert.deepEqual(f.asids.sev && [f.asids.sev.value.state, f.asids.sev.value.count, f.asids.sev.value.first], [
      'supported',
      907,
      null,
    ]);
    assert.deepEqual(f.asids.sevEs && [f.asids.sevEs.value.state, f.asids.sevEs.value.count], ['supported', 99]);
    assert.equal(f.asids.snp, undefined);
  });

  test('AMDESE/AMDSEV#246: "failed to get status. Error: 0x8003" is not a SEV_RET code; 6.x ranges', () => {
    const f = parseSevLog(readLog('sev-get-status-failed.txt').lines);
    assert.deepEqual(
      f.failures.map(({ value: x }) => [x.operation, x.firmwareError, x.errorName]),
      [['PLATFORM_STATUS', 0x8003, null]],
    );
    assert.match(logFailureText(f.failures[0]!.value), /0x8003 \(not a psp-sev.h SEV_RET code\)/);
    assert.match(
      logFailureText(parseSevLog(readLog('sev-psp-timeout.txt').lines).failures[0]!.value),
      /no firmware status \(0x0\).*rc -110/,
    );
    assert.deepEqual(
      [
        f.asids.sev?.value.first,
        f.asids.sev?.value.last,
        f.asids.sevEs?.value.last,
        f.asids.snp?.value.state,
        f.asids.snp?.value.last,
      ],
      [256, 1006, 255, 'enabled', 255],
    );
    // sev enabled, get status, three ranges; psp enabled and the SVM lines are not SEV facts
    assert.equal(f.matched.length, 5);
  });

  test('AMDESE/AMDSEV README: segmented RMP and SEV-SNP API', () => {
    const f = parseSevLog(readLog('sev-segmented-rmp.txt').lines);
    assert.equal(f.rmp.table?.value.kind, 'segmented');
    assert.equal(f.rmp.table?.value.start, '0x9ba00000');
    assert.equal(f.rmp.segmentSizeGiB?.value, 128);
    assert.deepEqual(
      f.rmp.segments.map(({ value: s }) => [s.segment, s.start, s.end, s.coversStart, s.coversEnd]),
      [
        [0, '0x8800000', '0x10ffffff', '0x0', '0x87fffffff'],
        [8, '0x55b00000', '0x75afffff', '0x10000000000', '0x11fffffffff'],
        [9, '0x35a00000', '0x559fffff', '0x12000000000', '0x13fffffffff'],
      ],
    );
    assert.deepEqual(
      f.snpApi && [f.snpApi.value.major, f.snpApi.value.minor, f.snpApi.value.build, f.snpApi.value.device],
      [1, 58, 5, '0000:a9:00.5'],
    );
    assert.deepEqual(f.asids.snp && [f.asids.snp.value.first, f.asids.snp.value.last], [1, 98]);
  });

  test('ciphertext hiding: SEV-ES "unusable" with an empty range', () => {
    const f = parseSevLog(readLog('sev-ciphertext-hiding.txt').lines);
    assert.equal(f.ciphertextHiding?.value, true);
    assert.deepEqual(
      f.asids.sevEs && [
        f.asids.sevEs.value.state,
        f.asids.sevEs.value.first,
        f.asids.sevEs.value.last,
        f.asids.sevEs.value.count,
      ],
      ['unusable', 100, 99, 0],
    );
    assert.deepEqual(f.asids.snp && [f.asids.snp.value.state, f.asids.snp.value.count], ['enabled', 99]);
  });

  test('6.16+ wording: "SEV-SNP: SNP_INIT_EX failed rc %d, error %#x" and SEV/SEV-ES/SNP disabled', () => {
    const f = parseSevLog(readLog('sev-6.16-init-failed.txt').lines);
    assert.deepEqual(
      f.failures.map(({ value: x }) => [x.operation, x.rc, x.errorName]),
      // 6.16+ prints only the command's own line: _sev_platform_init_locked() adds none.
      [['SNP_INIT_EX', -5, 'SEV_RET_INAVLID_CONFIG']],
    );
    assert.deepEqual(
      [f.asids.sev?.value.state, f.asids.sevEs?.value.state, f.asids.snp?.value.state],
      ['disabled', 'disabled', 'disabled'],
    );
    assert.equal(f.iommu.snpSupport?.value, true);
    assert.equal(f.rmp.table?.value.kind, 'contiguous');
    // Other 6.16+ formats, from the format strings.
    const more = parseSevLog([
      'ccp 0000:42:00.1: SEV: INIT_EX failed 0x18, rc -5',
      'ccp 0000:42:00.1: SEV: DF_FLUSH failed 0xe, rc -5',
      'ccp 0000:42:00.1: SEV-SNP: SNP_DF_FLUSH failed rc -5, error 0x20',
      'ccp 0000:42:00.1: SEV: failed to SHUTDOWN error 0x12, rc -5',
      'kvm_amd: SEV: SNP_PLATFORM_STATUS failed ret=-5, fw_error=38 (0x26)',
      'kvm_amd: SEV-SNP: DF_FLUSH failed, ret=-5, error=0x20',
      'ccp 0000:42:00.1: SEV-SNP: failed to INIT, continue SEV INIT',
      'ccp 0000:42:00.1: SEV firmware updated from 1.55.21 to 1.55.37',
      'ccp 0000:42:00.1: SEV-SNP support requires firmware version >= 1:51',
      'ccp 0000:42:00.1: SEV: TMR allocation failed, SEV-ES support unavailable',
      'ccp 0000:42:00.1: SEV: memory encryption not enabled by BIOS',
    ]);
    assert.deepEqual(
      more.failures.map(({ value: x }) => [x.reporter, x.operation, x.errorName]),
      [
        ['ccp', 'INIT_EX', 'SEV_RET_SECURE_DATA_INVALID'],
        ['ccp', 'DF_FLUSH', 'SEV_RET_WBINVD_REQUIRED'],
        ['ccp', 'SNP_DF_FLUSH', 'SEV_RET_RMP_INIT_REQUIRED'],
        ['ccp', 'SHUTDOWN', 'SEV_RET_ACTIVE'],
        ['kvm_amd', 'SNP_PLATFORM_STATUS', 'SEV_RET_RMP_INITIALIZATION_FAILED'],
        ['kvm_amd', 'SNP_DF_FLUSH', 'SEV_RET_RMP_INIT_REQUIRED'],
      ],
    );
    // Only review versions of the 6.16 series had this line; no kernel printed it.
    assert.ok(!more.matched.some((m) => m.line.includes('continue SEV INIT')));
    assert.deepEqual(more.firmwareUpdate && [more.firmwareUpdate.value.from, more.firmwareUpdate.value.to], [
      '1.55.21',
      '1.55.37',
    ]);
    assert.deepEqual(
      more.snpNeedsFirmware && [more.snpNeedsFirmware.value.major, more.snpNeedsFirmware.value.minor],
      [1, 51],
    );
    assert.ok(more.psp.tmrAllocationFailed);
    assert.ok(more.psp.notEnabledByBios);
  });

  test('RMP not reserved by the BIOS; IOMMU prerequisites in both wordings; an SNP guest', () => {
    const bios = parseSevLog(readLog('sev-bios-no-rmp.txt').lines);
    assert.deepEqual(
      bios.rmp.problems.map((p) => p.value),
      ['not-reserved-by-bios'],
    );
    assert.equal(bios.asids.snp, undefined);
    const iommu = parseSevLog(readLog('sev-iommu-passthrough.txt').lines);
    assert.deepEqual(
      iommu.iommu.problems.map((p) => p.value),
      ['disabled-or-passthrough', 'disabled-or-passthrough', 'no-snp-feature', 'v2-page-table'],
    );
    assert.equal(iommu.failures[0]?.value.errorName, 'SEV_RET_INAVLID_CONFIG');
    const guest = parseSevLog(readLog('sev-snp-guest.txt').lines);
    assert.deepEqual(guest.guestFeatures?.value, ['SEV', 'SEV-ES', 'SEV-SNP']);
    const rmp = parseSevLog([
      'SEV-SNP: RMP configuration not valid: base=0x1000, end=0x0',
      'SEV-SNP: Memory reserved for the RMP table does not cover full system RAM (expected 0x1000 got 0x800)',
      'SEV-SNP: Segmented RMP does not cover full system RAM (expected 0x1000 got 0x800)',
      'SEV-SNP: Failed to map RMP table',
      'SEV-SNP: RMP table physical address 0x0000000035600000 - 0x0000000075bfffff',
    ]);
    assert.deepEqual(
      rmp.rmp.problems.map((p) => p.value),
      ['invalid-configuration', 'does-not-cover-ram', 'does-not-cover-ram', 'map-failed'],
    );
    assert.equal(rmp.rmp.table?.value.end, '0x75bfffff'); // AMDESE/AMDSEV#82's 5.14 wording, without brackets
  });
});

// ---------------------------------------------------------------------------------------

function view(name: string): SevView {
  return sevView(fixtureSnapshot(name));
}

/** The lines the SEV view shows from the model, in its order. */
function modelLines(v: SevView): SevLine[] {
  return sevLines({ ...v, technologies: [] });
}

function line(v: SevView, id: string): SevLine {
  const found = modelLines(v).find((l) => l.id === id);
  assert.ok(
    found,
    `line ${id}: ${modelLines(v)
      .map((l) => l.id)
      .join(' ')}`,
  );
  return found;
}

/** Every check of the SEV technologies on this snapshot, by id. */
function sevChecks(snapshot: Snapshot) {
  return runChecks(snapshot, ['sev', 'sev-es', 'snp']).technologies.flatMap((t) => flattenChecks(t.checks));
}

/** Every note under the SEV view: the kernel and CPU notes render adds. */
const notesOf = (v: SevView): SevNote[] => [
  ...hostNotes({ ...v, technologies: [] }),
  ...platformNotes({ ...v, technologies: [] }),
];

function checkOf(snapshot: Snapshot, technology: Technology, id: string): CheckResult {
  const t = runChecks(snapshot, [technology]).technologies.find((x) => x.technology === technology);
  const found = t && flattenChecks(t.checks).find((c) => c.id === id);
  assert.ok(found, `${technology}: no check ${id}`);
  return found;
}

/** The SEV, SEV-ES and SEV-SNP checks and cross-checks of a snapshot that FAIL, by id. */
function failingChecks(snapshot: Snapshot): string[] {
  const run = runChecks(snapshot, ['sev', 'sev-es', 'snp']);
  return [...run.technologies.flatMap((t) => flattenChecks(t.checks)), ...run.crossChecks]
    .filter((c) => c.status === 'FAIL')
    .map((c) => c.id);
}

const SEV_FIXTURES = fixtureNames().filter((name) => name.startsWith('sev-'));

describe('sevView', () => {
  test('every sev-*.json fixture loads as a snapshot and every line names its source', () => {
    assert.ok(SEV_FIXTURES.length >= 7, SEV_FIXTURES.join(' '));
    for (const name of SEV_FIXTURES) {
      const v = view(name);
      for (const l of modelLines(v)) {
        assert.ok(l.source.length > 0, `${name} ${l.id}`);
        assert.notEqual(l.value, '', `${name} ${l.id}`);
      }
      const ids = modelLines(v).map((l) => l.id);
      assert.equal(new Set(ids).size, ids.length, `${name}: ids unique`);
    }
  });

  test('Genoa SNP host on 6.11: everything snphost ok checks, passing', () => {
    const v = view('sev-snp-genoa-6.11');
    assert.deepEqual(
      v.vmTypes.map((t) => [t.name, t.offered]),
      [
        ['SEV', true],
        ['SEV_ES', true],
        ['SNP', true],
      ],
    );
    assert.match(line(v, 'kvm.vmType.SNP').source, /KVM_CHECK_EXTENSION.*KVM_CAP_VM_TYPES/);
    assert.match(v.vmTypeMask.source ?? '', /KVM_CHECK_EXTENSION.*KVM_CAP_VM_TYPES/);
    // No mem_encrypt=on on this host: the kernel clears "sme" from /proc/cpuinfo.
    assert.deepEqual(v.cpu.flags, { sme: false, sev: true, sev_es: true, sev_snp: true });
    assert.equal(v.cpu.generation, 'Genoa');
    assert.deepEqual(known(v.sevAttributes.vmsaFeatures)?.names, ['DEBUG_SWAP']);
    assert.equal(known(v.sevAttributes.snpPolicyBits), undefined);
    assert.equal(line(v, 'kvm.attr.snpPolicyBits').value, 'not offered by this kernel');
    // ENXIO is not an error: the kernel does not have the attribute.
    const policy = v.sevAttributes.snpPolicyBits;
    assert.ok('error' in policy && policy.error.code === 'ENXIO' && policy.error.absence === true);
    assert.equal(valueOrNull(v.platformStatus)?.stateName, 'INIT');
    assert.equal(valueOrNull(v.platformStatus)?.esInitialised, true);
    assert.equal(line(v, 'sev.firmware').value, '1.55.43 (API 1.55, build 43)');
    assert.equal(line(v, 'sev.firmware').summary, true);
    for (const t of ['sev', 'sev-es', 'snp'] as const)
      assert.equal(checkOf(fixtureSnapshot('sev-snp-genoa-6.11'), t, `${t}.firmware.version`).status, 'PASS');
    assert.equal(valueOrNull(v.snpPlatformStatus)?.tcb.current?.snp, 25);
    assert.equal(valueOrNull(v.snpPlatformStatus)?.tcb.match, true);
    assert.equal(line(v, 'snp.tcb.current').value, '0x541900000000000a: bootloader 10, TEE 0, SNP 25, microcode 84');
    assert.match(line(v, 'snp.tcb.current').source, /Genoa layout/);
    assert.deepEqual(known(v.asids.sevEs), { capacity: 99, current: 1, free: 98 });
    assert.deepEqual(v.asids.sev, {
      value: { capacity: 907, current: 0, free: 907 },
      source: 'file /sys/fs/cgroup/misc.capacity (sev); file /sys/fs/cgroup/misc.current (sev)',
    });
    assert.equal(parameterEnabled(v.kvmAmd.parameters.sev_snp), true);
    assert.equal(v.kvmAmd.parameters.sev_snp?.source, 'file /sys/module/kvm_amd/parameters/sev_snp');
    assert.equal(parameterValue(v.kvmAmd.parameters.nested)?.raw, '1');
    assert.deepEqual(
      v.init2.map((r) => [r.vmType, 'value' in r.result]),
      [
        ['SEV', true],
        ['SEV_ES', true],
        ['SNP', true],
      ],
    );
    assert.equal(v.cpuid?.maxEncryptedGuests, 1006);
    assert.equal(line(v, 'log.asids.snp').value, 'enabled (ASIDs 1 - 99)');
    assert.equal(line(v, 'log.asids.snp').source, 'file /dev/kmsg: "kvm_amd: SEV-SNP enabled (ASIDs 1 - 99)"');
    assert.ok(
      notesOf(v).some((n) =>
        new RegExp(
          [
            String.raw`6\.11\.0-snp-host \(6\.9-6\.15\): SNP_PLATFORM_STATUS a`,
            'nswers EINVAL unless SNP firmware is already initialise',
            'd',
          ].join(''),
        ).test(n.text),
      ),
    );
  });

  test('Genoa SNP host on 6.11: nothing fails (a missing "sme" only means SME is not active)', () => {
    const v = view('sev-snp-genoa-6.11');
    assert.deepEqual(failingChecks(fixtureSnapshot('sev-snp-genoa-6.11')), []);
    assert.equal(line(v, 'cpu.flag.sme').value, 'absent');
  });

  test(
    'Turin on 7.2: all three KVM_X86_GRP_SEV attributes, Turin TCB ' +
      'layout, INIT2 on every type; EBUSY with every SNP ASID in use',
    () => {
      const v = view('sev-turin-7.2');
      assert.deepEqual(known(v.sevAttributes.vmsaFeatures)?.names, ['DEBUG_SWAP', 'SECURE_TSC']);
      assert.deepEqual(known(v.sevAttributes.snpPolicyBits)?.names, [
        'SMT',
        'RSVD_MBO',
        'DEBUG',
        'SINGLE_SOCKET',
        'PAGE_SWAP_DISABLE',
      ]);
      assert.equal(known(v.sevAttributes.snpReqCerts), true);
      assert.equal(valueOrNull(v.snpPlatformStatus)?.tcb.layout, 'turin');
      assert.equal(valueOrNull(v.snpPlatformStatus)?.tcb.current?.fmc, 1);
      assert.deepEqual(valueOrNull(v.snpPlatformStatus)?.featureFlags.names, ['FEATURE_INFO']);
      assert.equal(v.log?.rmp.table?.value.kind, 'segmented');
      assert.deepEqual(
        v.init2.map((r) => [r.vmType, 'value' in r.result]),
        [
          ['SEV', true],
          ['SNP', true],
        ],
      );
      // No firmware command runs in KVM_SEV_INIT2 once SNP is initialised: a refusal is KVM's own, without a firmware
      // error.
      const busy = view('sev-turin-7.2-snp-asids-in-use').init2.find((r) => r.vmType === 'SNP');
      assert.ok(busy !== undefined && 'error' in busy.result);
      assert.equal(busy.result.error.firmwareError, undefined);
      assert.match(line(view('sev-turin-7.2-snp-asids-in-use'), 'init2.SNP').value, /^EBUSY/);
      assert.ok(failingChecks(fixtureSnapshot('sev-turin-7.2-snp-asids-in-use')).includes('snp.usable.init2'));
      assert.ok(
        notesOf(v).some((n) =>
          /7\.2\.13-amd64 \(7\.0\+\): SNP_PLATFORM_STATUS reports the status as it is/.test(n.text),
        ),
      );
    },
  );

  test('Milan with an uncommitted TCB (virtee/snphost#127): mismatch and alias check FAIL, as in snphost', () => {
    const v = view('sev-milan-tcb-mismatch-6.11');
    const s = fixtureSnapshot('sev-milan-tcb-mismatch-6.11');
    assert.equal(v.cpu.generation, 'Milan');
    assert.equal(valueOrNull(v.snpPlatformStatus)?.tcb.match, false);
    assert.equal(line(v, 'snp.tcb.match').value, 'no');
    assert.equal(checkOf(s, 'snp', 'snp.firmware.tcb').status, 'FAIL');
    assert.match(checkOf(s, 'snp', 'snp.firmware.tcb').fix ?? '', /snphost commit/);
    assert.equal(line(v, 'snp.tcb.reported').value, '0xd517000000000002: bootloader 2, TEE 0, SNP 23, microcode 213');
    assert.equal(valueOrNull(v.snpPlatformStatus)?.aliasCheckComplete, false);
    assert.equal(checkOf(s, 'snp', 'snp.firmware.alias-check').status, 'FAIL');
  });

  test('/dev/sev root-only, run as uid 1000: EACCES explained, nothing read is invented', () => {
    const v = view('sev-root-only');
    const open = line(v, 'device.open');
    assert.equal(open.value, 'EACCES');
    assert.match(open.meaning ?? '', /root-only \(mode 0600, owner root\): this user \(uid 1000\)/);
    // Not a host failure: kvm-caps could not read the firmware, and says what would let it.
    const state = checkOf(fixtureSnapshot('sev-root-only'), 'sev', 'sev.firmware.state');
    assert.equal(state.status, 'UNKNOWN');
    assert.match(state.found, /may not open \/dev\/sev \(EACCES\)/);
    assert.match(state.needs ?? '', /root, or a udev rule/);
    assert.equal(valueOrNull(v.platformStatus), null);
    assert.equal(valueOrNull(v.snpPlatformStatus), null);
    assert.deepEqual([failureOf(v.platformStatus), failureOf(v.snpPlatformStatus), v.chipId], [null, null, null]);
    assert.ok(!modelLines(v).some((l) => l.id.startsWith('sev.') || l.id.startsWith('snp.')));
    assert.equal(v.log, null);
    assert.ok('error' in v.kernelLog);
    assert.equal(line(v, 'log').value, 'EPERM');
    // What an unprivileged user can read is still there.
    assert.equal(
      v.vmTypes.every((t) => t.offered === true),
      true,
    );
    assert.equal(known(v.asids.sevEs)?.free, 98);
  });

  test('kvm_amd sev=Y but no /dev/sev (6.8): ENOENT with kvm_amd loaded means no PSP/SEV in firmware, no ccp', () => {
    const v = view('sev-no-dev-sev-6.8');
    const node = line(v, 'device.node');
    assert.equal(node.value, 'absent (ENOENT)');
    assert.match(node.meaning ?? '', /kvm_amd is loaded but the ccp driver never registered \/dev\/sev/);
    const device = checkOf(fixtureSnapshot('sev-no-dev-sev-6.8'), 'sev', 'sev.firmware.sev-device');
    assert.equal(device.status, 'FAIL');
    assert.match(device.found, /kvm_amd is loaded but the ccp driver never registered \/dev\/sev/);
    assert.match(device.fix ?? '', /BIOS/);
    // The probe opens /dev/sev only where it exists: no open() answer, and none invented.
    assert.ok('missing' in v.sevOpen);
    assert.equal(
      modelLines(v).some((l) => l.id === 'device.open'),
      false,
    );
    assert.equal(valueOrNull(v.platformStatus), null);
    assert.equal(parameterEnabled(v.kvmAmd.parameters.sev), true);
    assert.deepEqual(v.kvmAmd.parameters.sev_snp, {
      missing: 'no such parameter',
      source: 'file /sys/module/kvm_amd/parameters/sev_snp',
    });
    assert.equal(line(v, 'module.kvm_amd.sev_snp').value, 'no such parameter');
    assert.match(line(v, 'module.kvm_amd.sev_snp').meaning ?? '', /predates SEV-SNP host support \(Linux 6\.11\)/);
    assert.deepEqual(
      v.vmTypes.map((t) => t.offered),
      [false, false, false],
    );
    assert.match(line(v, 'cpu.flag.sev_snp').meaning ?? '', /before 6\.9/);
    assert.equal(line(v, 'kvm.attr.vmsaFeatures').value, 'not offered by this kernel');
  });

  test('6.8: KVM_CAP_VM_TYPES 0x1 without the SEV types is the legacy interface, not SEV off', () => {
    const v = view('sev-no-dev-sev-6.8');
    const sevType = sevChecks(fixtureSnapshot('sev-no-dev-sev-6.8')).find((c) => c.id === 'sev.kvm.vm-type');
    assert.notEqual(sevType?.status, 'FAIL');
    assert.equal(line(v, 'kvm.vmType.SEV').value, 'not a VM type on this kernel');
    assert.match(line(v, 'kvm.vmType.SEV').meaning ?? '', /KVM_SEV_INIT/);
  });

  test('SNP INIT failed on 6.18: every part points at the firmware error', () => {
    const v = view('sev-snp-init-failed-6.18');
    assert.deepEqual(
      v.vmTypes.map((t) => t.offered),
      [false, false, false],
    );
    assert.equal(line(v, 'kvm.vmType.SNP').value, 'not offered');
    assert.match(line(v, 'kvm.vmType.SNP').meaning ?? '', /KVM_CREATE_VM\(4\) will fail with EINVAL/);
    // Judged under kvm_amd.sev_snp, which FAILs first here: the VM type and KVM's CPUID leaf are not judged again.
    const checks = sevChecks(fixtureSnapshot('sev-snp-init-failed-6.18'));
    const snpCheck = (id: string) => checks.find((c) => c.id === id)?.status;
    assert.equal(snpCheck('snp.kvm.parameter'), 'FAIL');
    assert.equal(snpCheck('snp.kvm.vm-type'), 'SKIP');
    assert.equal(snpCheck('snp.kvm.cpuid'), 'SKIP');
    assert.equal(parameterEnabled(v.kvmAmd.parameters.sev), false);
    assert.equal(line(v, 'cpuid.8000001f.features').value, 'all zero');
    assert.deepEqual(v.cpuidLeaf, {
      value: { listed: true, allZero: true },
      source: 'ioctl KVM_GET_SUPPORTED_CPUID on /dev/kvm (leaf 0x8000001F)',
    });
    assert.equal(valueOrNull(v.platformStatus)?.stateName, 'UNINIT');
    assert.match(
      line(v, 'sev.state').meaning ?? '',
      new RegExp(
        [
          String.raw`on Linux 6\.16\+, kvm_amd, not the ccp driver probe, in`,
          String.raw`itialises SEV\/SNP firmware; if SNP INIT fails, SEV INI`,
          'T is not attempted',
        ].join(''),
      ),
    );
    const snp = line(v, 'snp.status');
    // snp_move_to_init_state() reports a failed implicit SNP INIT as SEV_RET_INVALID_PLATFORM_STATE.
    assert.equal(snp.value, 'EIO; firmware SEV_RET_INVALID_PLATFORM_STATE (0x1)');
    assert.match(snp.meaning ?? '', /runs snp_move_to_init_state\(\): SNP_INIT_EX, the command, then SNP_SHUTDOWN_EX/);
    assert.deepEqual(
      v.log?.failures.map((f) => f.value.operation),
      ['SNP_INIT_EX'],
    );
    assert.equal(line(v, 'log.failure.0').value, 'SNP_INIT_EX failed: SEV_RET_INAVLID_CONFIG (0x3), rc -5');
    assert.equal(v.log?.asids.snp?.value.state, 'disabled');
    const failing = failingChecks(fixtureSnapshot('sev-snp-init-failed-6.18'));
    assert.ok(failing.includes('snp.kvm.parameter'), failing.join(' '));
    assert.ok(failing.includes('cross.snp.firmware-log'), failing.join(' '));
    assert.ok(
      notesOf(v).some((n) =>
        new RegExp(
          [
            String.raw`6\.18\.0-061800-generic \(6\.16 up to 7\.0\): SNP_PLATF`,
            String.raw`ORM_STATUS on \/dev\/sev, when SNP is not initialised, `,
            String.raw`runs snp_move_to_init_state\(\)`,
          ].join(''),
        ).test(n.text),
      ),
    );
  });

  test('6.6: no KVM_X86_GRP_SEV (ENXIO is "not offered"), no SNP_PLATFORM_STATUS', () => {
    const v = view('sev-legacy-6.6');
    for (const key of ['vmsaFeatures', 'snpPolicyBits', 'snpReqCerts'] as const) {
      const fact = v.sevAttributes[key];
      assert.ok('error' in fact && fact.error.code === 'ENXIO' && fact.error.absence === true, key);
      assert.equal(line(v, `kvm.attr.${key}`).value, 'not offered by this kernel');
    }
    assert.match(line(v, 'kvm.attr.vmsaFeatures').meaning ?? '', /legacy KVM_SEV_INIT/);
    // No check judges an attribute the kernel does not have.
    assert.ok(!sevChecks(fixtureSnapshot('sev-legacy-6.6')).some((c) => c.id === 'snp.kvm.policy-bits'));
    assert.match(line(v, 'snp.status').meaning ?? '', /no SNP_PLATFORM_STATUS \(added in Linux 6\.9\)/);
    assert.equal(valueOrNull(v.platformStatus)?.stateName, 'INIT');
  });

  test('a snapshot without SEV facts: unknown, never guessed', () => {
    const snapshot = loadSnapshot(join(fixturesDir, 'snp-host.json'));
    const v = sevView(snapshot);
    assert.equal(valueOrNull(v.platformStatus), null);
    assert.equal(valueOrNull(v.snpPlatformStatus), null);
    assert.equal(v.cpuid, null);
    assert.equal(v.log, null);
    assert.deepEqual(v.asids, {
      sev: { missing: 'the misc cgroup was not read' },
      sevEs: { missing: 'the misc cgroup was not read' },
    });
    assert.deepEqual(v.sevOpen, { missing: 'the snapshot has no /dev/sev answers' });
    assert.equal(line(v, 'device.open').value, 'not probed');
    assert.equal(line(v, 'capacity.sev').value, 'not read');
    assert.equal(line(v, 'cpuid.8000001f').value, 'not probed');
    assert.ok('missing' in v.cpuidLeaf);
    for (const key of ['vmsaFeatures', 'snpPolicyBits', 'snpReqCerts'] as const) {
      assert.ok('missing' in v.sevAttributes[key], key);
      assert.equal(line(v, `kvm.attr.${key}`).value, 'not probed');
    }
    assert.ok(!modelLines(v).some((l) => l.id.startsWith('sev.') || l.id.startsWith('snp.')));
    // Failed cpuinfo and /sys/module reads stay unknown too.
    const broken: Snapshot = structuredClone(snapshot);
    const error = { code: 'EACCES', errno: -13, syscall: 'open', message: 'EACCES' };
    broken.host.cpuinfo = { source: { file: '/proc/cpuinfo' }, error };
    broken.host.modules = { source: { directory: '/sys/module' }, error };
    const b = sevView(broken);
    assert.deepEqual(b.cpu.flags, { sme: null, sev: null, sev_es: null, sev_snp: null });
    assert.ok('error' in b.kvmAmd.module && b.kvmAmd.module.error.code === 'EACCES');
    assert.ok('error' in b.cpuinfo && b.cpuinfo.error.code === 'EACCES');
    assert.equal(line(b, 'cpu.cpuinfo').value, 'EACCES');
    // Unread is "cannot tell": the CPU checks say UNKNOWN, never FAIL.
    const unread = sevChecks(broken).filter((c) => c.id.endsWith('.bios.cpu-flag') || c.id.endsWith('.cpu.bare-metal'));
    assert.equal(unread.length, 6);
    for (const c of unread) assert.equal(c.status, 'UNKNOWN', c.id);
  });
});

// ---------------------------------------------------------------------------------------

const SEV_PERSONAS = [
  'snp-genoa-linux-6.11',
  'sev-es-no-snp-bios',
  'kvm-amd-sev-no-dev-sev',
  'snp-firmware-too-old',
  'dev-sev-root-only',
  'kernel-without-grp-sev',
];

function loadPersonaFile(name: string): Persona {
  return JSON.parse(readFileSync(join(personaDir, `${name}.json`), 'utf8')) as Persona;
}

/** The messages of /dev/kmsg records ("prio,seq,usec,flags;text"), dictionary lines skipped. */
function kmsgMessages(text: string): string[] {
  return text
    .split('\n')
    .filter((line) => line !== '' && !line.startsWith(' '))
    .map((line) => {
      assert.match(line, /^\d+,\d+,\d+,[-c+];/, line);
      return line.slice(line.indexOf(';') + 1);
    });
}

describe('SEV personas', () => {
  for (const name of SEV_PERSONAS) {
    test(`${name}: well formed for the kernel double, with sources, and consistent with itself`, () => {
      const p = loadPersonaFile(name);
      assert.equal(p.name, name);
      assert.ok(p.description.length > 40);
      assert.ok(p.sources.length >= 3);
      assert.doesNotThrow(() => personaConfig(p, '/tmp/kvm-caps-persona-check'));
      const kmsg = kmsgMessages(p.files['/dev/kmsg'] ?? '');
      const log = parseSevLog(kmsg);
      const param = (n: string): boolean | null => {
        const text = p.files[`/sys/module/kvm_amd/parameters/${n}`];
        return text === undefined ? null : parseModuleBool(text);
      };
      // KVM_CAP_VM_TYPES bits 2/3/4 agree with the effective kvm_amd parameters, on kernels that
      // have the SEV VM types (6.10+); 6.8 and 6.9 report the mask without them.
      const mask = p.kvm?.capabilities['235'];
      if (mask !== undefined && kernelHas('kvm.sev-vm-types', p.files['/proc/sys/kernel/osrelease']?.trim()) === true) {
        assert.equal((mask & 0x4) !== 0, param('sev') === true, 'SEV bit');
        assert.equal((mask & 0x8) !== 0, param('sev_es') === true, 'SEV_ES bit');
        assert.equal((mask & 0x10) !== 0, param('sev_snp') === true, 'SNP bit');
      }
      // The kvm_amd log lines agree with the parameters.
      if (log.asids.sev) assert.equal(log.asids.sev.value.state === 'enabled', param('sev') === true);
      if (log.asids.snp) assert.equal(log.asids.snp.value.state === 'enabled', param('sev_snp') === true);
      // The misc cgroup capacity is what sev_hardware_setup() sets from the ASID ranges.
      const capacity = Object.fromEntries(
        (p.files['/sys/fs/cgroup/misc.capacity'] ?? '')
          .trim()
          .split('\n')
          .map((l) => l.split(' '))
          .map(([k, v]) => [k, Number(v)]),
      );
      if (log.asids.sev?.value.first != null) assert.equal(capacity.sev, log.asids.sev.value.count);
      if (log.asids.sevEs?.value.first != null) assert.equal(capacity.sev_es, log.asids.sevEs.value.count);
    });
  }

  test('the personas show what their names say', () => {
    const genoa = loadPersonaFile('snp-genoa-linux-6.11');
    assert.equal(genoa.kvm?.capabilities['235'], 0x1d);
    assert.deepEqual(
      genoa.kvm?.deviceAttrs.filter((a) => a.group === 1).map((a) => a.attr),
      [0],
    ); // 6.11: KVM_X86_SNP_POLICY_BITS and KVM_X86_SEV_SNP_REQ_CERTS answer ENXIO
    assert.ok(
      genoa.files['/dev/kmsg']?.includes('6,') &&
        genoa.files['/dev/kmsg']?.includes(';kvm_amd: SEV-SNP enabled (ASIDs 1 - 99)'),
    );
    const snp = genoa.sev?.snpPlatformStatus;
    assert.ok(snp && 'value' in snp);
    assert.equal(decodeSnpPlatformStatus({ ...snp.value }, { family: 25, model: 17 }).tcb.current?.microcode, 84);

    const noSnp = loadPersonaFile('sev-es-no-snp-bios');
    assert.equal(noSnp.kvm?.capabilities['235'], 0x0d);
    assert.doesNotMatch(noSnp.files['/proc/cpuinfo'] ?? '', /\bsev_snp\b/);
    assert.deepEqual(
      parseSevLog(kmsgMessages(noSnp.files['/dev/kmsg'] ?? '')).rmp.problems.map((x) => x.value),
      ['not-reserved-by-bios'],
    );

    assert.equal(loadPersonaFile('kvm-amd-sev-no-dev-sev').sev, undefined);

    const old = loadPersonaFile('snp-firmware-too-old');
    const oldLog = parseSevLog(kmsgMessages(old.files['/dev/kmsg'] ?? ''));
    assert.ok(
      oldLog.failures.some(({ value: f }) => f.technology === 'SNP' && f.errorName === 'SEV_RET_INAVLID_CONFIG'),
    );
    assert.equal((old.kvm?.capabilities['235'] ?? 0) & 0x10, 0);
    assert.deepEqual(old.sev?.snpPlatformStatus, { errno: 'EIO', firmwareError: 1 });

    assert.deepEqual(loadPersonaFile('dev-sev-root-only').modes, { '/dev/sev': 0o600 });

    const k66 = loadPersonaFile('kernel-without-grp-sev');
    assert.equal(k66.kvm?.capabilities['235'], undefined);
    assert.equal(k66.kvm?.capabilities['209'], 1);
    assert.ok(!k66.kvm?.deviceAttrs.some((a) => a.group === 1));
  });
});

// ---------------------------------------------------------------------------------------
// End to end: `kvm-caps snapshot` under the kernel double for three personas, read by sevView.

describe('SEV personas under the kernel double', { skip: await doubleSkipReason() }, () => {
  const prepared: PreparedPersona[] = [];
  before(async () => {
    buildDouble(await uapiHeaders());
  });
  after(() => prepared.forEach((p) => p.cleanup()));

  function snapshotOf(
    name: string,
    spawn: { uid?: number; gid?: number } = {},
    extra: string[] = [],
  ): { persona: Persona; view: SevView; snapshot: Snapshot; root: string } {
    const persona = loadPersona(name);
    const p = preparePersona(persona);
    prepared.push(p);
    const r = runCli(
      ['snapshot', '--deep', ...extra, '--root', p.root, '--device', p.kvmDevice, '--sev-device', p.sevDevice],
      { env: p.env, ...spawn },
    );
    assert.equal(r.status, 0, r.stderr);
    const snapshot = validateSnapshot(JSON.parse(r.stdout));
    return { persona, view: sevView(snapshot), snapshot, root: p.root };
  }

  test(
    "the host CPUID leaf and /dev/sev's ACL are collected under --root, " + 'a missing cpuid node recorded as ENOENT',
    () => {
      const { snapshot: s, root } = snapshotOf('snp-genoa-linux-6.11');
      const leaf = s.host.hostCpuid8000001f;
      assert.ok(leaf && 'error' in leaf, JSON.stringify(leaf));
      assert.equal(leaf.error.code, 'ENOENT');
      assert.deepEqual(leaf.source, { syscall: 'pread', path: join(root, 'dev', 'cpu', '0', 'cpuid') });
      assert.ok(s.host.sevDeviceAcl, "the ACL fact (a value, or getfacl's spawn error) is recorded");
    },
  );

  test("snp-genoa-linux-6.11: the persona's own values come back decoded", () => {
    const { persona, view: v } = snapshotOf('snp-genoa-linux-6.11');
    const snp = persona.sev?.snpPlatformStatus;
    assert.ok(snp && 'value' in snp);
    assert.equal(valueOrNull(v.snpPlatformStatus)?.tcb.currentRaw, snp.value.currentTcbVersion);
    assert.equal(valueOrNull(v.snpPlatformStatus)?.tcb.current?.snp, 25);
    assert.deepEqual(
      v.vmTypes.map((t) => t.offered),
      [true, true, true],
    );
    assert.deepEqual(
      v.init2.map((r) => [r.vmType, 'value' in r.result]),
      [
        ['SEV', true],
        ['SEV_ES', true],
        ['SNP', true],
      ],
    );
    assert.equal(v.log?.asids.snp?.value.state, 'enabled');
    assert.equal(v.log?.snpApi?.value.device, '0000:02:00.5'); // a dev_printk record with its dictionary lines
    assert.deepEqual(known(v.asids.sevEs), { capacity: 99, current: 1, free: 98 });
  });

  test('snp-genoa-linux-6.11 under the double: nothing fails', () => {
    const { snapshot } = snapshotOf('snp-genoa-linux-6.11');
    assert.deepEqual(failingChecks(snapshot), []);
  });

  test(
    'snp-firmware-too-old: SNP not offered, SNP_PLATFORM_STATUS EIO ' +
      'with the firmware error, the INIT failure from the log',
    () => {
      // Linux 6.18 with SNP not initialised: the status is asked only with --snp-platform-status.
      const { view: v } = snapshotOf('snp-firmware-too-old', {}, ['--snp-platform-status']);
      assert.deepEqual(
        v.vmTypes.map((t) => t.offered),
        [false, false, false],
      );
      assert.equal(line(v, 'snp.status').value, 'EIO; firmware SEV_RET_INVALID_PLATFORM_STATE (0x1)');
      assert.ok(
        v.log?.failures.some(
          ({ value: f }) => f.operation === 'SNP_INIT_EX' && f.errorName === 'SEV_RET_INAVLID_CONFIG',
        ),
      );
      assert.equal(valueOrNull(v.platformStatus)?.stateName, 'UNINIT');
    },
  );

  test('dev-sev-root-only, run as an unprivileged user: EACCES on /dev/sev', (t) => {
    if (!need(t, 'root')) return;
    const { view: v, snapshot } = snapshotOf('dev-sev-root-only', { uid: 65534, gid: 65534 });
    assert.equal(line(v, 'device.open').value, 'EACCES');
    assert.match(checkOf(snapshot, 'sev', 'sev.firmware.state').needs ?? '', /root/);
    assert.equal(valueOrNull(v.platformStatus), null);
    assert.deepEqual(
      v.vmTypes.map((t) => t.offered),
      [true, true, true],
    );
  });
});
