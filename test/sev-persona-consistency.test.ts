// Every AMD persona and fixture must be a host some kernel and firmware could produce. Each
// test is one class of impossible combination, checked across all of them; the rule says
// which source shows it is impossible.
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { kernelHas, parseKernelRelease, releaseInRange } from '../lib/knowledge/kernel-versions.js';
import { SEV_ES_MAX_SNP_SVN } from '../lib/knowledge/sev.js';
import type { Snapshot } from '../lib/snapshot/types.js';
import { projectRoot } from './helpers/compile.js';
import { fixturesDir } from './helpers/fixtures.js';
import type { Persona } from './helpers/persona.js';

/** What the rules look at, from a persona (files and answers) or a saved snapshot. */
interface Host {
  name: string;
  cpuinfo: Record<string, string>;
  release: string | undefined;
  /** Kernel log messages, and /proc/cmdline where a persona has one. */
  log: string[];
  cmdline: string | undefined;
  vmTypes: number | undefined;
  /** KVM_SEV_INIT2 answers by VM type name, where --deep ran: ok, or the errno and firmware error. */
  init2: Record<string, { ok: boolean; errno?: string; firmwareError?: number }> | undefined;
  snp:
    | {
        state: number;
        rmpFlags: number;
        major: number;
        minor: number;
        build: number;
        currentTcb: bigint;
        reportedTcb: bigint;
      }
    | undefined;
}

function parseCpuinfo(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const line of text.split('\n')) {
    if (line.trim() === '') {
      if (Object.keys(out).length) break;
      continue;
    }
    const i = line.indexOf(':');
    if (i > 0 && !(line.slice(0, i).trim() in out)) out[line.slice(0, i).trim()] = line.slice(i + 1).trim();
  }
  return out;
}

/** SNP_PLATFORM_STATUS as a persona and a snapshot both record it (the snapshot's field names). */
interface SnpStatusRecord {
  state: number;
  rmpFlags: number;
  apiMajor: number;
  apiMinor: number;
  buildId: number;
  currentTcbVersion: string;
  reportedTcbVersion: string;
}

function snpStatus(snp: SnpStatusRecord): NonNullable<Host['snp']> {
  return {
    state: snp.state,
    rmpFlags: snp.rmpFlags,
    major: snp.apiMajor,
    minor: snp.apiMinor,
    build: snp.buildId,
    currentTcb: BigInt(snp.currentTcbVersion),
    reportedTcb: BigInt(snp.reportedTcbVersion),
  };
}

const TYPE_NAMES: Record<string, string> = { '2': 'SEV', '3': 'SEV_ES', '4': 'SNP' };

function fromPersona(name: string, p: Persona): Host {
  const kmsg = (p.files['/dev/kmsg'] ?? '')
    .split('\n')
    .filter((l) => !l.startsWith(' ') && l.includes(';'))
    .map((l) => l.slice(l.indexOf(';') + 1));
  const snp = p.sev && 'value' in p.sev.snpPlatformStatus ? p.sev.snpPlatformStatus.value : undefined;
  return {
    name: `persona ${name}`,
    cpuinfo: parseCpuinfo(p.files['/proc/cpuinfo'] ?? ''),
    release: p.files['/proc/sys/kernel/osrelease']?.trim(),
    log: kmsg,
    cmdline: p.files['/proc/cmdline'],
    vmTypes: p.kvm?.capabilities['235'],
    init2: p.kvm?.sevInit2
      ? Object.fromEntries(
          Object.entries(p.kvm.sevInit2).map(([t, a]) => [
            TYPE_NAMES[t]!,
            'ok' in a
              ? { ok: true }
              : {
                  ok: false,
                  errno: a.errno,
                  ...(a.firmwareError === undefined ? {} : { firmwareError: a.firmwareError }),
                },
          ]),
        )
      : undefined,
    snp: snp && snpStatus(snp),
  };
}

function fromSnapshot(name: string, s: Snapshot): Host {
  const value = <T>(f: { value: T } | { error: unknown } | undefined): T | undefined =>
    f && 'value' in f ? f.value : undefined;
  const caps = value(s.kvm.capabilities?.system);
  const snp = value(s.sev?.snpPlatformStatus);
  return {
    name: `fixture ${name}`,
    cpuinfo: value(s.host.cpuinfo) ?? {},
    release: value(s.host.kernelRelease),
    log: (value(s.host.kernelLog) ?? []).map((r) => r.message),
    cmdline: undefined,
    vmTypes: typeof caps?.['235'] === 'number' ? caps['235'] : undefined,
    init2: s.kvm.sevInit2
      ? Object.fromEntries(
          Object.entries(s.kvm.sevInit2).map(([t, r]) => [
            t,
            'value' in r.result
              ? { ok: true }
              : {
                  ok: false,
                  errno: r.result.error.code,
                  ...(r.result.error.firmwareError === undefined
                    ? {}
                    : { firmwareError: r.result.error.firmwareError }),
                },
          ]),
        )
      : undefined,
    snp: snp && snpStatus(snp),
  };
}

const personaDir = join(projectRoot, 'test', 'personas');
const HOSTS: Host[] = [
  ...readdirSync(personaDir)
    .filter((f) => f.endsWith('.json'))
    .map((f) =>
      fromPersona(f.replace(/\.json$/, ''), JSON.parse(readFileSync(join(personaDir, f), 'utf8')) as Persona),
    ),
  ...readdirSync(fixturesDir)
    .filter((f) => f.endsWith('.json'))
    .map((f) =>
      fromSnapshot(f.replace(/\.json$/, ''), JSON.parse(readFileSync(join(fixturesDir, f), 'utf8')) as Snapshot),
    ),
].filter((h) => h.cpuinfo.vendor_id === 'AuthenticAMD');

/** Hosts whose data breaks a rule for want of a public sample; each still breaks it (else drop it here). */
const KNOWN: Record<string, Record<string, string>> = {};

function check(rule: string, broken: (h: Host) => string | undefined): void {
  const problems: string[] = [];
  for (const host of HOSTS) {
    const why = broken(host);
    const known = KNOWN[rule]?.[host.name];
    if (why && !known) problems.push(`${host.name}: ${why}`);
    if (!why && known) problems.push(`${host.name} no longer breaks ${rule}: remove it from KNOWN`);
  }
  assert.deepEqual(problems, []);
}

test('there are AMD hosts to check', () => {
  assert.ok(HOSTS.length >= 10, HOSTS.map((h) => h.name).join(', '));
});

test('a VM type KVM offers has its KVM_SEV_INIT2 answer wherever --deep ran', () => {
  check('init2-per-type', (h) => {
    if (h.init2 === undefined || h.vmTypes === undefined) return undefined;
    const offered = Object.entries(TYPE_NAMES)
      .filter(([bit]) => (h.vmTypes! >> Number(bit)) & 1)
      .map(([, name]) => name);
    const answered = Object.keys(h.init2).sort();
    return JSON.stringify(offered.sort()) === JSON.stringify(answered)
      ? undefined
      : `mask 0x${h.vmTypes.toString(16)} offers ${offered}, INIT2 answered ${answered}`;
  });
});

test('"sme" in /proc/cpuinfo only with SME active (mem_encrypt=on)', () => {
  // arch/x86/kernel/cpu/amd.c early_detect_mem_encrypt() at v7.2: "if (!sme_me_mask)
  // setup_clear_cpu_cap(X86_FEATURE_SME)";
  // an active SME shows as mem_encrypt=on on the command line and "Memory Encryption Features active: AMD SME".
  check('sme-needs-mem-encrypt', (h) => {
    if (!` ${h.cpuinfo.flags ?? ''} `.includes(' sme ')) return undefined;
    const active =
      /\bmem_encrypt=on\b/.test(h.cmdline ?? '') ||
      h.log.some((l) => /mem_encrypt=on|Memory Encryption Features active: AMD SME/.test(l));
    return active ? undefined : '"sme" in cpuinfo without mem_encrypt=on or an SME-active log line';
  });
});

test('cpu cores agree with the "NN-Core" of the brand string', () => {
  check('cores-vs-model', (h) => {
    const m = /(\d+)-Core Processor/.exec(h.cpuinfo['model name'] ?? '');
    if (!m || h.cpuinfo['cpu cores'] === undefined) return undefined;
    return h.cpuinfo['cpu cores'] === m[1]
      ? undefined
      : `${h.cpuinfo['model name']} with cpu cores ${h.cpuinfo['cpu cores']}`;
  });
});

test(
  'KVM_SEV_INIT2 on an SNP VM issues no firmware command once SNP ' +
    'firmware is initialised: no firmware error, no EIO',
  () => {
    // arch/x86/kvm/svm/sev.c __sev_guest_init() at v7.2: ASID allocation and sev_platform_init(), which returns 0 when
    // the firmware is initialised.
    check('init2-snp-after-init', (h) => {
      const snp = h.init2?.SNP;
      if (!snp || snp.ok || h.snp?.state !== 1) return undefined;
      return snp.errno === 'EIO' || snp.firmwareError !== undefined
        ? `SNP INIT2 ${snp.errno} (firmware ${snp.firmwareError}) with SNP firmware in INIT`
        : undefined;
    });
  },
);

test('a TCB is not a test vector (consecutive component values)', () => {
  check('tcb-test-vector', (h) => {
    if (!h.snp) return undefined;
    const bytes = (v: bigint): number[] =>
      Array.from({ length: 8 }, (_, i) => Number((v >> BigInt(8 * i)) & 0xffn)).filter((b) => b !== 0);
    const b = bytes(h.snp.currentTcb);
    const sequence = b.length >= 4 && b.every((x, i) => i === 0 || x === b[i - 1]! + 1);
    return sequence ? `TCB 0x${h.snp.currentTcb.toString(16)} is the sequence ${b.join(', ')}` : undefined;
  });
});

/**
 * Firmware that reports ALIAS_CHECK_COMPLETE is the AMD-SB-3015 (BadRAM) release or later:
 * Milan 1.55.22, Genoa 1.55.38 (virtee/snphost#108). Its SNP SVN is at least that release's:
 * Milan 1.55.22 carries SNP SVN 24 (virtee/snphost#108, "fw version 24 (Milan)"; #125: 1.55.29,
 * SNP 24). For Genoa the lower bound 0x17 is AMD-SB-3019's minimum for Genoa (0x18 for Milan, as
 * quoted in microsoft/CCF#6812), the generation's counterpart of Milan's 24.
 */
const BADRAM_RELEASE: Record<string, { build: number; minSvn: number }> = {
  Milan: { build: 22, minSvn: 24 },
  Genoa: { build: 38, minSvn: 0x17 },
};

function generation(cpuinfo: Record<string, string>): string | undefined {
  const family = Number(cpuinfo['cpu family']);
  const model = Number(cpuinfo.model);
  if (family === 25 && model < 0x10) return 'Milan';
  if (family === 25 && model >= 0x10 && model < 0x20) return 'Genoa';
  return undefined;
}

test("SNP SVN and firmware build in order: alias-check firmware carries at least its release's SNP SVN", () => {
  check('snp-svn-vs-firmware', (h) => {
    const gen = generation(h.cpuinfo);
    const release = gen ? BADRAM_RELEASE[gen] : undefined;
    if (!h.snp || !release || h.snp.major !== 1 || h.snp.minor !== 55) return undefined;
    const svn = Number((h.snp.currentTcb >> 48n) & 0xffn);
    const aliasCheck = (h.snp.rmpFlags & 0x2) !== 0;
    if (aliasCheck && h.snp.build < release.build)
      return `${gen} alias check complete with firmware 1.55.${h.snp.build}, before 1.55.${release.build}`;
    if (h.snp.build >= release.build && svn < release.minSvn)
      return `${gen} firmware 1.55.${h.snp.build} with SNP SVN ${svn} (< ${release.minSvn})`;
    return undefined;
  });
});

test(
  'KVM_CAP_VM_TYPES (235) is there exactly on kernels that have it ' +
    '(6.8+), and offers the SEV types only from 6.10',
  () => {
    check('cap-vm-types-by-release', (h) => {
      const has = kernelHas('kvm.cap-vm-types', h.release);
      if (has === undefined || (h.vmTypes === undefined && !h.name.startsWith('persona'))) return undefined;
      const mask = h.vmTypes ?? 0;
      if (has && mask === 0) return `${h.release} has KVM_CAP_VM_TYPES, the host answers 0`;
      if (!has && mask !== 0) return `${h.release} predates KVM_CAP_VM_TYPES, the host answers 0x${mask.toString(16)}`;
      if (kernelHas('kvm.sev-vm-types', h.release) === false && (mask & 0x0c) !== 0)
        return `${h.release} offers SEV VM types before 6.10`;
      if (kernelHas('snp.kvm-host', h.release) === false && (mask & 0x10) !== 0)
        return `${h.release} offers the SNP VM type before 6.11`;
      return undefined;
    });
  },
);

/**
 * The TCB layout sev_firmware_allows_es() reads the SNP SVN with: v1 (byte 6) on X86_FEATURE_ZEN3/ZEN4, v2 (byte 3) on
 * ZEN5, none on other CPUs (drivers/crypto/ccp/sev-dev.c get_v1_svn()/get_v2_svn() at v7.2; the family and model
 * ranges of each ZEN flag from arch/x86/kernel/cpu/amd.c bsp_init_amd() at v7.2).
 */
function sevEsSvnLayout(cpuinfo: Record<string, string>): keyof typeof SEV_ES_MAX_SNP_SVN | undefined {
  const family = Number(cpuinfo['cpu family']);
  const model = Number(cpuinfo.model);
  if (family === 0x19 && model <= 0xaf) return 'milan-genoa';
  const zen5 = [
    [0x00, 0x2f],
    [0x40, 0x4f],
    [0x60, 0x7f],
    [0xd0, 0xd7],
  ];
  if (family === 0x1a && zen5.some(([lo, hi]) => model >= lo! && model <= hi!)) return 'turin';
  return undefined;
}

test('AMD-SB-3023: no SEV-ES VM type once SNP is initialised on firmware at or past the SNP SVN limit', () => {
  // drivers/crypto/ccp/sev-dev.c sev_firmware_supported_vm_types() at v7.2: with SNP initialised, the SEV-ES VM type
  // goes when sev_firmware_allows_es() says no, and arch/x86/kvm/svm/sev.c sev_hardware_setup() then logs
  // "SEV-ES unusable". The first release with it is not pinned: the rule holds kernels from 7.2, whose source the
  // kernel-truth tests read.
  check('sev-es-vs-snp-svn', (h) => {
    const release = h.release === undefined ? undefined : parseKernelRelease(h.release);
    const layout = sevEsSvnLayout(h.cpuinfo);
    if (!release || !releaseInRange(release, '7.2') || !layout || h.snp?.state !== 1) return undefined;
    const svn = Number((h.snp.currentTcb >> (layout === 'turin' ? 24n : 48n)) & 0xffn);
    if (svn < SEV_ES_MAX_SNP_SVN[layout]) return undefined;
    const offered = h.vmTypes !== undefined && (h.vmTypes & (1 << 3)) !== 0;
    const enabledLine = h.log.some((l) => /SEV-ES enabled \(ASIDs/.test(l));
    return offered || enabledLine
      ? `SNP SVN ${svn} (limit ${SEV_ES_MAX_SNP_SVN[layout]}) on ${h.release}, yet SEV-ES ` +
          (offered ? `is in the VM types 0x${h.vmTypes!.toString(16)}` : 'is logged as enabled')
      : undefined;
  });
});
