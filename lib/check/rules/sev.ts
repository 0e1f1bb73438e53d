// AMD SEV, SEV-ES and SEV-SNP readiness, one tree per technology from the same rule
// templates: AMD CPU -> the BIOS enabled it (cpuinfo flag) -> /dev/sev and the firmware's
// platform status and version -> a kernel new enough (and, for SNP, the IOMMU) -> kvm_amd's
// parameter and the VM type KVM offers -> free ASIDs (and --deep KVM_SEV_INIT2). Every rule
// reads the SEV view (model.confidential.sev): its items (by id) and structured fields.
import { failureFix } from '../failure-fixes.js';
import { failureMeaning } from '../../knowledge/probe-failures.js';
import { hex } from '../../knowledge/hex.js';
import type { HostModel } from '../../decode/model.js';
import type { SevView } from '../../decode/sev.js';
import { parameterEnabled, parameterValue } from '../../decode/sev-kvm-amd.js';
import { hostCpuidBits, snpMsrValues } from '../../decode/sev-host.js';
import { sevDeviceUsers } from '../../decode/sev-platform.js';
import { IOMMU_PROBLEMS, RMP_PROBLEM_FIX, SEV_ES_MAX_SNP_SVN, SNP_MIN_FIRMWARE } from '../../knowledge/sev.js';
import {
  ASIDS_UNUSABLE,
  asidCapacityWords,
  asidRangeText,
  init2Words,
  logFailureText,
  missingParameterMeaning,
  notThisKernels,
} from '../sev-kvm-amd-text.js';
import { kernelChange, kernelHas, parseKernelRelease, releaseRangeText } from '../../knowledge/kernel-versions.js';
import { inconsistentCounts } from '../counts.js';
import { asidSplitText, flagAbsentText, MIN_SEV_ASID_LABEL, sourceOf, vmTypeText } from '../sev-host-text.js';
import {
  DEVICE_USERS_FIX,
  formatTcbVersion,
  deviceUsersSource,
  deviceUsersText,
  failureText,
  nodeMeaning,
  nodeValue,
  openShown,
  SEV_UNINIT_FIX,
  sevEsText,
  sevStateMeaning,
  sevStateText,
  sevStatusFailureMeaning,
  snpStateText,
  snpStatusFailureMeaning,
  SNP_UNINIT_MEANING,
} from '../sev-platform-text.js';
import type { CheckContext, CheckRule, Finding, Technology } from '../types.js';
import { failureOf, known, valueOrNull, type Probed } from '../../decode/sourced.js';
import { fail, kvmUnavailable, NEEDS, pass, releaseOf, unknown, unreadable, warn } from './kvm.js';

type SevTechnology = Extract<Technology, 'sev' | 'sev-es' | 'snp'>;

/** What differs between SEV, SEV-ES and SEV-SNP, as data. */
interface Flavour {
  technology: SevTechnology;
  name: string;
  /** /proc/cpuinfo flag. */
  flag: 'sev' | 'sev_es' | 'sev_snp';
  /** kvm_amd parameter. */
  parameter: 'sev' | 'sev_es' | 'sev_snp';
  vmType: 'SEV' | 'SEV_ES' | 'SNP';
  /** SevView.asids key: SEV-ES and SNP guests share the SEV-ES ASIDs. */
  asids: 'sev' | 'sevEs';
  /** SevView.log.asids key. */
  logAsids: 'sev' | 'sevEs' | 'snp';
  /** The kernel-version row of KVM's host support for it. */
  kernel: string;
  biosFix: string;
}

const FLAVOURS: readonly Flavour[] = [
  {
    technology: 'sev',
    name: 'SEV',
    flag: 'sev',
    parameter: 'sev',
    vmType: 'SEV',
    asids: 'sev',
    logAsids: 'sev',
    kernel: 'sev.kvm-host',
    biosFix:
      'BIOS: enable SMEE (Secure Memory Encryption) and SEV (AMD CBS > ' +
      'CPU Common Options), with SEV ASIDs above the SEV-ES ASID Space ' +
      'Limit',
  },
  {
    technology: 'sev-es',
    name: 'SEV-ES',
    flag: 'sev_es',
    parameter: 'sev_es',
    vmType: 'SEV_ES',
    asids: 'sevEs',
    logAsids: 'sevEs',
    kernel: 'sev-es.kvm-host',
    biosFix: 'BIOS: enable SMEE and SEV, and set "SEV-ES ASID Space Limit" above 1 so that SEV-ES guests get ASIDs',
  },
  {
    technology: 'snp',
    name: 'SEV-SNP',
    flag: 'sev_snp',
    parameter: 'sev_snp',
    vmType: 'SNP',
    asids: 'sevEs',
    logAsids: 'snp',
    kernel: 'snp.kvm-host',
    biosFix: 'BIOS: enable SMEE, SEV-SNP Support and SNP Memory (RMP Table) Coverage, and the IOMMU',
  },
];

const FIX_SEV_DEVICE = 'check `dmesg | grep -e ccp -e SEV`; enable SEV in the BIOS (SMEE, SEV Control); `modprobe ccp`';
const FIX_RMP = 'BIOS: enable "SNP Memory (RMP Table) Coverage"';
const FIX_IOMMU = 'remove iommu=pt / amd_iommu=off from the kernel command line and enable the IOMMU in the BIOS';
const FIX_FIRMWARE =
  'update the SEV firmware: a BIOS update, or the ' +
  'amd_sev_fam19h_model*.sbin / amd_sev_fam1ah_model*.sbin file in ' +
  '/lib/firmware/amd (loaded by the ccp driver at boot)';

const TCB_LAGS =
  "attestation reports carry the reported TCB, not the running firmware's " +
  '(not committed, or SNP_SET_CONFIG set it lower)';
const NO_MODPROBE = 'on the kernel command line (kvm_amd cannot be loaded with modprobe here)';
const FIX_TCB =
  'commit the firmware (`snphost commit`, SNP_COMMIT; irreversible: it blocks rollback to older firmware) or reboot';
const FIX_PSP_TIMEOUT = 'reboot; if it recurs, update the SEV firmware / BIOS';
const FIX_ALIAS =
  'check DIMM population and the BIOS memory settings, and update the BIOS / SEV firmware per AMD-SB-3015';

/** The kernel SEV-SNP guests need. */
const SNP_KERNEL_FIX = `run Linux ${kernelChange('snp.kvm-host').since} or newer`;

/** What to do when kvm_amd reports the flavour off: the parameter is what kvm_amd could enable, not what was asked. */
function parameterOffFix(f: Flavour, model: HostModel): string {
  if (f.technology !== 'snp')
    return 'the value is what kvm_amd could enable: check the BIOS (SMEE, SEV, SEV-ES ASID Space Limit) and the kernel log';
  // The fix is read where the log is above it (kvm-caps sev) and where there is none (check): no direction.
  const fix =
    'the value is what kvm_amd could enable, not what was asked: the kernel log says why (RMP, IOMMU, firmware INIT)';
  // A kernel older than mainline SNP host support has sev_snp only as a backport.
  return kernelHas('snp.kvm-host', releaseOf(model)) === false
    ? `${fix}; mainline SEV-SNP host support needs Linux ${releaseRangeText('snp.kvm-host')}`
    : fix;
}

const sevOf = (model: HostModel): SevView => model.confidential.sev;

/** The PSP's sysfs attributes, where the directory was read. */
const pspAttributes = (view: SevView): { name: string; value: Probed<string> }[] =>
  view.psp !== null && 'value' in view.psp ? view.psp.value.attributes : [];
/** The sources a finding read, each once (a cause's sources may repeat the rule's own). */
const joinSources = (...sources: (string | null | undefined)[]): string =>
  [...new Set(sources.flatMap((s) => (s ? s.split('; ') : [])).filter((s) => s !== 'not probed'))].join('; ') ||
  'not probed';
/** /proc/cpuinfo, narrowed to the fields a rule read; "not probed" when it was not read. */
const cpuinfoSource = (model: HostModel, fields: string): string => {
  const info = sevOf(model).cpuinfo;
  return 'value' in info ? `${info.source} (${fields})` : 'not probed';
};
/** The host CPUID 0x8000001F register a rule read, with its raw value (the view's source when it was not read). */
const hostCpuidSource = (model: HostModel, register: 'eax' | 'ebx', bits: string): string => {
  const leaf = sevOf(model).hostCpuid;
  if (!('value' in leaf)) return sourceOf(leaf);
  return `${leaf.source} (0x8000001F ${register.toUpperCase()} ${leaf.value[register]}, ${bits})`;
};
/** A VM type's answer with what it means on this kernel. */
const vmTypeFound = (model: HostModel, name: Flavour['vmType']): string => {
  const t = vmTypeText(sevOf(model), name);
  return t.meaning === undefined ? t.value : `${t.value}: ${t.meaning}`;
};

/**
 * Why SEV-ES is missing though kvm_amd supports it, when the cause is not ASID exhaustion:
 * firmware past AMD-SB-3023's SNP SVN (the kernel drops the SEV-ES VM type), or ciphertext
 * hiding that took the whole SEV-ES/SNP range. Neither is fixed by reloading kvm_amd.
 */
export function sevEsDroppedCause(model: HostModel): { found: string; source: string; fix: string } | null {
  const view = sevOf(model);
  const log = view.log;
  const esLine = log?.asids.sevEs;
  const param = view.kvmAmd.parameters.sev_es;
  const esType = view.vmTypes.find((t) => t.name === 'SEV_ES');
  const missing = esLine?.value.state === 'unusable' || (parameterEnabled(param) === true && esType?.offered === false);
  if (!missing) return null;
  const es = esLine?.value;
  // Ciphertext hiding: "SEV-ES unusable (ASIDs N+1 - N)", an empty range.
  if (log?.ciphertextHiding && es && es.first !== null && es.last !== null && es.first > es.last) {
    const tookAll = 'SEV-SNP ciphertext hiding is on and took every SEV-ES/SNP ASID: ' + 'SEV-ES has an empty range';
    return {
      found: `${tookAll} (ASIDs ${es.first} - ${es.last})`,
      source: esLine!.source,
      fix:
        'lower kvm_amd.ciphertext_hiding_asids on the kernel command ' +
        'line (it is read when kvm_amd loads) so that some ASIDs remain ' +
        'for SEV-ES',
    };
  }
  const status = valueOrNull(view.snpPlatformStatus);
  const tcb = status?.tcb;
  if (tcb?.current && tcb.layout) {
    const limit = SEV_ES_MAX_SNP_SVN[tcb.layout];
    if (tcb.current.snp >= limit) {
      return {
        found:
          `this SEV firmware (current TCB SNP SVN ${tcb.current.snp}, ` +
          `${tcb.generation}) no longer allows SEV-ES guests (AMD-SB-3023: ` +
          `SVN ${hex(limit)} and later); the kernel drops the SEV-ES VM type`,
        source: joinSources(
          `${sourceOf(view.snpPlatformStatus)} (current_tcb_version)`,
          esLine ? esLine.source : sourceOf(view.vmTypeMask),
        ),
        fix: 'none on the host short of older firmware: run SEV-SNP guests instead of SEV-ES',
      };
    }
  }
  return null;
}

/**
 * Linux 6.16+: __sev_snp_init_locked() fails without a message when there is no SNP host
 * support (-ENODEV, which does not stop SEV INIT) or the SEV firmware is older than 1.51
 * (-EOPNOTSUPP, which aborts SEV INIT too: `if (rc && rc != -ENODEV) return rc;` in
 * _sev_platform_init_locked() at 7.2). Said only where the log has no failure line of its own.
 */
function silentInitCause(model: HostModel, f: Flavour): { found: string; source: string; fix: string } | null {
  const view = sevOf(model);
  if (kernelHas('sev.snp-init-failure-silent', releaseOf(model)) !== true || view.log === null) return null;
  const min = `${SNP_MIN_FIRMWARE.major}.${SNP_MIN_FIRMWARE.minor}`;
  const silentSince = releaseRangeText('sev.snp-init-failure-silent');
  const api =
    valueOrNull(view.platformStatus)?.api ??
    (view.log.sevApi ? { major: view.log.sevApi.value.major, minor: view.log.sevApi.value.minor } : null);
  const old =
    api !== null &&
    (api.major < SNP_MIN_FIRMWARE.major ||
      (api.major === SNP_MIN_FIRMWARE.major && api.minor < SNP_MIN_FIRMWARE.minor));
  const sevOff = parameterEnabled(view.kvmAmd.parameters.sev) === false;
  const apiSource = valueOrNull(view.platformStatus)
    ? `${sourceOf(view.platformStatus)} (api_major, api_minor)`
    : sourceOf(view.kernelLog);
  if (sevOff && old) {
    const silent = `on Linux ${silentSince} SNP INIT fails silently with -EOPNOTSUPP when the SEV firmware is older than`;
    const aborts = 'and that aborts SEV INIT too, so kvm_amd disables SEV, SEV-ES and SEV-SNP';
    const newerFile = '(or a newer amd_sev_*.sbin in /lib/firmware/amd, loaded by the ccp driver)';
    return {
      found: `${silent} ${min} (this one: API ` + `${api!.major}.${api!.minor}), ${aborts}`,
      source: apiSource,
      fix: `a BIOS update that brings SEV firmware ${min} or later ${newerFile}`,
    };
  }
  if (f.technology === 'snp' && !sevOff) {
    return {
      found:
        `on Linux ${silentSince} SNP INIT fails silently with -ENODEV when the ` +
        'host has no SNP support (SNP off in the BIOS, the IOMMU not in ' +
        'SNP mode, or no RMP table); SEV INIT still runs, so SEV can ' +
        'work while SNP is off',
      source: sourceOf(view.kernelLog),
      fix:
        'BIOS: enable SEV-SNP Support and SNP Memory (RMP Table) ' +
        'Coverage, and the IOMMU; the AMD-Vi and RMP lines of the boot ' +
        'log say which is missing',
    };
  }
  if (sevOff) {
    const apiText = api ? ` (firmware API ${api.major}.${api.minor})` : ' (the firmware version was not read)';
    return {
      found:
        `on Linux ${silentSince} a failed SNP INIT is not logged: -EOPNOTSUPP (SEV firmware older than ${min}) aborts ` +
        `SEV INIT too and disables everything; -ENODEV (no SNP host support) does not${apiText}`,
      source: api ? apiSource : sourceOf(view.kernelLog),
      fix: `${FIX_FIRMWARE}; SEV-SNP needs firmware ${min} or later`,
    };
  }
  return null;
}

/** The /dev/sev open error when this user could not open it (so firmware answers are missing for lack of privilege). */
function sevBlocked(model: HostModel): string | null {
  const open = sevOf(model).sevOpen;
  if (!('error' in open)) return null;
  return open.error.code === 'EACCES' || open.error.code === 'EPERM' ? open.error.code : null;
}

/**
 * For a firmware check whose answer is missing: UNKNOWN with root when /dev/sev was refused, else UNKNOWN "not probed".
 */
function firmwareUnread(model: HostModel, what: string): Finding {
  const blocked = sevBlocked(model);
  const open = openShown(sevOf(model));
  if (blocked !== null)
    return unknown(
      `${what} not read: this user (uid ${sevOf(model).probeUid}) may not open /dev/sev (${blocked})`,
      open?.source ?? 'not probed',
      NEEDS.sev,
    );
  // Why /dev/sev gave no answer ("not probed", ENOENT); an open that worked explains nothing.
  const why = open && open.value !== 'ok' ? ` (${open.value})` : '';
  return unknown(`${what} not read${why}`, open?.source ?? 'not probed', NEEDS.sev);
}

/**
 * For a field of SNP_PLATFORM_STATUS that is missing: why the command gave no answer (this kernel has no such
 * command, it failed, kvm-caps did not ask it), else what firmwareUnread says.
 */
function snpStatusUnread(model: HostModel, what: string): Finding {
  const view = sevOf(model);
  const failed = failureOf(view.snpPlatformStatus);
  if (failed !== null && sevBlocked(model) === null) {
    if (kernelHas('snp.platform-status', releaseOf(model)) === false)
      return unknown(
        `${what} not read: this kernel has no SNP_PLATFORM_STATUS (${failureText(failed)})`,
        failed.source,
        `a kernel with SNP_PLATFORM_STATUS (Linux ${SNP_STATUS_RELEASE} or later)`,
      );
    return unknown(`${what} not read: SNP_PLATFORM_STATUS failed (${failureText(failed)})`, failed.source, NEEDS.sev);
  }
  const withheld = view.snpPlatformStatusWithheld;
  if (withheld)
    return unknown(
      `${what} not read: SNP_PLATFORM_STATUS not asked (on Linux ${releaseRangeText(withheld.kernelChange)} it ` +
        'initialises SNP firmware)',
      `kvm-caps (${withheld.kernelChange})`,
      `${withheld.override}, to send it anyway`,
    );
  return firmwareUnread(model, what);
}

/** One kernel-log line that says why something is off, judged from the typed log facts. */
interface LogCause {
  kind: 'asids' | 'firmware-minimum' | 'failure' | 'bios' | 'psp' | 'rmp' | 'iommu';
  /** "kvm_amd: SEV-SNP: disabled (ASIDs 1 - 99)". */
  text: string;
  source: string;
  fix?: string;
  /** For kvm_amd's ASID lines: whose line it is. */
  asids?: 'sev' | 'sevEs' | 'snp';
}

/**
 * Every line of this boot's log that says why the firmware or kvm_amd left SEV, SEV-ES or SNP off, in the log's order
 * of topics.
 */
function allLogCauses(model: HostModel): LogCause[] {
  const view = sevOf(model);
  const log = view.log;
  if (log === null) return [];
  const out: LogCause[] = [];
  for (const key of ['sev', 'sevEs', 'snp'] as const) {
    const r = log.asids[key];
    if (r?.value.state !== 'disabled') continue;
    out.push({
      kind: 'asids',
      text: `kvm_amd: ${r.value.feature}: ${asidRangeText(r.value)}`,
      source: r.source,
      asids: key,
    });
  }
  if (log.snpNeedsFirmware) {
    const needs = log.snpNeedsFirmware.value;
    out.push({
      kind: 'firmware-minimum',
      text: `ccp: SEV-SNP firmware: needs firmware >= ${needs.major}.${needs.minor}`,
      source: log.snpNeedsFirmware.source,
    });
  }
  const release = releaseOf(model);
  for (const { value: f, source } of log.failures) {
    // 6.9-6.15's "failed to INIT rc" line, in a log of another kernel, is not this boot's cause.
    if (notThisKernels(f, release)) continue;
    out.push({
      kind: 'failure',
      text: `${f.reporter}: ${f.technology} firmware: ${logFailureText(f)}`,
      source,
    });
  }
  const psp = log.psp;
  if (psp.notEnabledByBios)
    out.push({
      kind: 'bios',
      text: 'ccp: SEV: memory encryption not enabled by BIOS',
      source: psp.notEnabledByBios.source,
      fix: 'BIOS: enable SMEE and SEV',
    });
  if (psp.sevInitializationFailed)
    out.push({
      kind: 'psp',
      text: 'ccp: SEV device: initialization failed',
      source: psp.sevInitializationFailed.source,
    });
  if (psp.tmrAllocationFailed)
    out.push({
      kind: 'psp',
      text: 'ccp: SEV-ES: TMR allocation failed, SEV-ES unavailable',
      source: psp.tmrAllocationFailed.source,
    });
  for (const t of psp.timeouts) {
    out.push({
      kind: 'psp',
      text: `ccp: PSP: command ${hex(t.value)} timed out; PSP disabled`,
      source: t.source,
      fix: FIX_PSP_TIMEOUT,
    });
  }
  for (const p of log.rmp.problems)
    out.push({ kind: 'rmp', text: `RMP table: ${p.value}`, source: p.source, fix: RMP_PROBLEM_FIX });
  for (const p of log.iommu.problems)
    out.push({
      kind: 'iommu',
      text: `AMD IOMMU: ${p.value}`,
      source: p.source,
      fix: IOMMU_PROBLEMS[p.value]!.fix,
    });
  return out;
}

/**
 * The log causes that concern this flavour: RMP and IOMMU problems stop SNP only; kvm_amd's ASID line of this flavour
 * only.
 */
function logCauses(model: HostModel, f: Flavour): LogCause[] {
  return allLogCauses(model).filter(
    (c) =>
      (f.technology === 'snp' || (c.kind !== 'rmp' && c.kind !== 'iommu')) &&
      // Firmware failures concern every flavour: since 6.16 a failed SNP INIT turns SEV off too.
      (c.kind !== 'asids' || c.asids === f.logAsids),
  );
}

/** The IOMMU problems of the log, each with what it means. */
function iommuProblems(model: HostModel): { text: string; explained: string; source: string; fix: string }[] {
  const view = sevOf(model);
  return (view.log?.iommu.problems ?? []).map((p) => ({
    text: `AMD IOMMU: ${p.value}`,
    explained: `${p.value}: ${IOMMU_PROBLEMS[p.value]!.meaning}`,
    source: p.source,
    fix: IOMMU_PROBLEMS[p.value]!.fix,
  }));
}

function vendorRule(f: Flavour): CheckRule {
  return {
    id: `${f.technology}.cpu.amd`,
    technology: f.technology,
    layer: 'hardware',
    title: 'AMD CPU',
    why: `${f.name} is an AMD EPYC technology`,
    evaluate({ model }) {
      const cpu = model.host.cpu;
      if (!('value' in cpu)) return unreadable('/proc/cpuinfo', cpu, NEEDS.cpuinfo);
      const source = cpuinfoSource(model, 'vendor_id, cpu family, model');
      // Another vendor never gets here: the run marks SEV not applicable to it (applicability()).
      return pass(`${cpu.value.vendor}: ${cpu.value.modelName}`, source);
    },
  };
}

const SNP_GENERATION: CheckRule = {
  id: 'snp.cpu.generation',
  technology: 'snp',
  layer: 'hardware',
  parent: 'snp.cpu.amd',
  title: 'EPYC generation with SEV-SNP (Milan or later)',
  why: 'SEV-SNP arrived with EPYC 7003 "Milan" (family 19h); Naples and Rome have SEV and SEV-ES only',
  evaluate({ model }) {
    const cpu = sevOf(model).cpu;
    const source = cpuinfoSource(model, 'cpu family, model');
    if (cpu.family === null || cpu.model === null)
      return unknown('CPU family and model not read', source, NEEDS.cpuinfo);
    const fm = `family ${hex(cpu.family)}, model ${hex(cpu.model)}`;
    if (cpu.generation !== null) return pass(`${cpu.generation} (${fm})`, source);
    if (cpu.family < 0x19) return fail(`${fm}: before Milan, no SEV-SNP`, source, 'an EPYC 7003 (Milan) or newer CPU');
    return warn(`${fm}: not a generation kvm-caps knows (Milan, Genoa, Turin, Venice)`, source);
  },
};

function cpuFlagRule(f: Flavour): CheckRule {
  return {
    id: `${f.technology}.bios.cpu-flag`,
    technology: f.technology,
    layer: 'firmware',
    parent: f.technology === 'snp' ? 'snp.cpu.generation' : `${f.technology}.cpu.amd`,
    title: `${f.name} enabled by the BIOS (cpuinfo ${f.flag})`,
    why:
      `the kernel shows ${f.flag} only when the CPU has it and the ` +
      `BIOS enabled it${f.technology === 'snp' ? ' (with the RMP table reserved)' : ''}`,
    evaluate({ model }) {
      const present = sevOf(model).cpu.flags[f.flag];
      const source = cpuinfoSource(model, 'flags');
      if (present === null) return unknown('/proc/cpuinfo not read', source, NEEDS.cpuinfo);
      if (present) return pass(`${f.flag} present`, source);
      const release = parseKernelRelease(releaseOf(model) ?? '');
      if (f.technology === 'snp' && release !== undefined && kernelHas('snp.cpu-flag', release) === false) {
        const since = kernelChange('snp.cpu-flag').since;
        return unknown(
          `sev_snp absent, but Linux ${release.major}.${release.minor} never shows it (masked before ${since})`,
          source,
          `Linux ${since}+ to show whether the BIOS enabled SEV-SNP`,
        );
      }
      const evidence = logCauses(model, f).filter((c) => c.kind === 'bios' || c.kind === 'rmp');
      return fail(
        `${f.flag} absent: ${flagAbsentText(sevOf(model), f.flag)}` +
          `${evidence.length ? `; the kernel log: ${evidence.map((c) => c.text).join('; ')}` : ''}`,
        joinSources(source, ...evidence.map((c) => c.source)),
        f.biosFix,
      );
    },
  };
}

function deviceRule(f: Flavour): CheckRule {
  return {
    id: `${f.technology}.firmware.sev-device`,
    technology: f.technology,
    layer: 'firmware',
    parent: `${f.technology}.bios.cpu-flag`,
    title: 'SEV firmware device /dev/sev',
    why:
      'the ccp driver creates /dev/sev when it finds the PSP running ' +
      'SEV firmware; KVM launches every SEV guest through that firmware',
    evaluate({ model, kvm }) {
      const view = sevOf(model);
      const node = view.sevNode;
      const open = view.sevOpen;
      if (node !== null) {
        const value = nodeValue(node);
        const source = node.source ?? 'not probed';
        if ('value' in node) {
          // The node is there, but the driver behind it refused the open: no command can reach the firmware.
          if ('error' in open && !['EACCES', 'EPERM', 'ENOENT'].includes(open.error.code))
            return fail(
              `${value}; open: ${failureText(open)}: ${failureMeaning(open.error)}`,
              joinSources(source, open.source),
              failureFix(open.error, kvm) ?? FIX_SEV_DEVICE,
            );
          return pass(value, source);
        }
        if ('error' in node && node.error.code === 'ENOENT')
          return fail(`${value}: ${nodeMeaning(view, node)}`, source, FIX_SEV_DEVICE);
        return unknown(value, source, NEEDS.sev);
      }
      const shown = openShown(view);
      if ('value' in open) return pass('/dev/sev opened', open.source);
      if ('error' in open && open.error.code === 'ENOENT')
        return fail(`${shown!.value}: ${shown!.meaning}`, open.source, FIX_SEV_DEVICE);
      return unknown(
        '/dev/sev was not looked at',
        'not probed',
        'a probe of this host that looks at /dev/sev (kvm-caps does where kvm_amd is loaded or the node exists)',
      );
    },
  };
}

const SNP_STATUS_RELEASE = kernelChange('snp.platform-status').since;

function stateRule(f: Flavour): CheckRule {
  const snp = f.technology === 'snp';
  return {
    id: `${f.technology}.firmware.state`,
    technology: f.technology,
    layer: 'firmware',
    parent: `${f.technology}.firmware.sev-device`,
    title: snp
      ? 'SNP firmware initialised'
      : f.technology === 'sev-es'
        ? 'SEV firmware initialised with SEV-ES'
        : 'SEV firmware initialised',
    why: snp
      ? 'SNP_INIT sets the RMP up; until it succeeds no SNP guest can start (snphost "SNP INIT")'
      : 'the firmware must be past INIT (INIT or WORKING) before KVM can ' +
        'launch a guest (sevctl / snphost "SEV initialized")',
    evaluate({ model }) {
      const view = sevOf(model);
      const fromLog = logCauses(model, f).filter((c) => c.kind === 'failure' || c.kind === 'bios' || c.kind === 'psp');
      const logFail = (what: string): Finding | null =>
        fromLog.length === 0
          ? null
          : fail(
              `${what}; the kernel log: ${fromLog.map((c) => c.text).join('; ')}`,
              joinSources(...fromLog.map((c) => c.source)),
              FIX_FIRMWARE,
            );
      if (snp) {
        const status = valueOrNull(view.snpPlatformStatus);
        if (status !== null) {
          const state = snpStateText(status);
          const source = `${sourceOf(view.snpPlatformStatus)} (state)`;
          if (status.state !== 0) return pass(state, source);
          return (
            logFail(`SNP platform state ${state}`) ??
            fail(
              `${state}: ${SNP_UNINIT_MEANING}`,
              source,
              `${FIX_FIRMWARE}; check \`dmesg | grep -i -e sev -e snp\` for the INIT error`,
            )
          );
        }
        const failed = failureOf(view.snpPlatformStatus);
        const failedText = failed && `${failureText(failed)}: ${snpStatusFailureMeaning(view, failed)}`;
        if (failed !== null && kernelHas('snp.platform-status', releaseOf(model)) === false) {
          // Without SNP_PLATFORM_STATUS in the ccp driver, the kernel, not the firmware, cannot say.
          return (
            logFail('SNP_PLATFORM_STATUS not available') ??
            unknown(
              failedText!,
              failed.source,
              `a kernel with SNP_PLATFORM_STATUS (Linux ${SNP_STATUS_RELEASE} or later)`,
            )
          );
        }
        if (failed !== null && sevBlocked(model) === null) return fail(failedText!, failed.source, FIX_FIRMWARE);
        const withheld = view.snpPlatformStatusWithheld;
        if (withheld) {
          // Not asked on purpose; the log's "SEV-SNP API:" line cannot stand in for it on these kernels.
          const initialised = withheld.snpInitialized === 'no' ? 'no' : 'cannot tell';
          return (
            logFail('SNP_PLATFORM_STATUS not asked') ??
            unknown(
              `SNP_PLATFORM_STATUS not asked: on Linux ${releaseRangeText(withheld.kernelChange)} it initialises SNP ` +
                `firmware and shuts it down again when SNP is not already running (SNP initialised: ${initialised})`,
              `kvm-caps (${withheld.kernelChange})`,
              `${withheld.override}, to send it anyway`,
            )
          );
        }
        return logFail('SNP_PLATFORM_STATUS not read') ?? firmwareUnread(model, 'SNP_PLATFORM_STATUS');
      }
      const status = valueOrNull(view.platformStatus);
      if (status !== null) {
        const state = sevStateText(status);
        const source = `${sourceOf(view.platformStatus)} (state)`;
        const esSource = `${sourceOf(view.platformStatus)} (flags bit 8)`;
        const initialised = status.stateName === 'INIT' || status.stateName === 'WORKING';
        if (!initialised) {
          const meaning = sevStateMeaning(view, status);
          return (
            logFail(`SEV platform state ${state}`) ??
            fail(
              meaning === undefined ? state : `${state}: ${meaning}`,
              source,
              status.stateName === 'UNINIT' ? SEV_UNINIT_FIX : FIX_FIRMWARE,
            )
          );
        }
        if (f.technology === 'sev-es' && !status.esInitialised)
          return fail(`${state}, but SEV-ES is not initialised (flags bit 8 clear)`, esSource, FIX_FIRMWARE);
        return f.technology === 'sev-es'
          ? pass(`${state}; SEV-ES ${sevEsText(status)}`, joinSources(source, esSource))
          : pass(state, source);
      }
      const failed = failureOf(view.platformStatus);
      if (failed !== null && sevBlocked(model) === null)
        return fail(`${failureText(failed)}: ${sevStatusFailureMeaning(failed)}`, failed.source, FIX_FIRMWARE);
      return logFail('SEV_PLATFORM_STATUS not read') ?? firmwareUnread(model, 'SEV_PLATFORM_STATUS');
    },
  };
}

function versionRule(f: Flavour): CheckRule {
  const snp = f.technology === 'snp';
  return {
    id: `${f.technology}.firmware.version`,
    technology: f.technology,
    layer: 'firmware',
    parent: `${f.technology}.firmware.sev-device`,
    title: snp ? `SEV firmware ${SNP_MIN_FIRMWARE.major}.${SNP_MIN_FIRMWARE.minor} or later` : 'SEV firmware version',
    why: snp
      ? `the kernel refuses SNP with firmware older than API ${SNP_MIN_FIRMWARE.major}.` +
        `${SNP_MIN_FIRMWARE.minor} (snphost's minimum too), and older builds lack security fixes`
      : 'a firmware that reports API 0.0 is not running SEV',
    evaluate({ model }) {
      const view = sevOf(model);
      const needs = view.log?.snpNeedsFirmware;
      if (snp && needs !== undefined)
        return fail(`needs firmware >= ${needs.value.major}.${needs.value.minor}`, needs.source, FIX_FIRMWARE);
      let api: { major: number; minor: number } | null = null;
      let text = '';
      let source = '';
      const ps = valueOrNull(view.platformStatus);
      const snpStatus = valueOrNull(view.snpPlatformStatus);
      const logApi = snp ? (view.log?.snpApi ?? view.log?.sevApi) : (view.log?.sevApi ?? view.log?.snpApi);
      if (ps !== null) {
        api = ps.api;
        text = ps.firmwareVersion;
        source = `${sourceOf(view.platformStatus)} (api_major, api_minor, build)`;
      } else if (snpStatus !== null) {
        api = snpStatus.api;
        text = snpStatus.firmwareVersion;
        source = `${sourceOf(view.snpPlatformStatus)} (api_major, api_minor, build_id)`;
      } else if (logApi !== undefined) {
        api = { major: logApi.value.major, minor: logApi.value.minor };
        text = logApi.value.text;
        source = logApi.source;
      }
      if (api === null) {
        const failed = (snp ? failureOf(view.snpPlatformStatus) : null) ?? failureOf(view.platformStatus);
        if (failed !== null && sevBlocked(model) === null)
          return unknown(`firmware version not read: ${failureText(failed)}`, failed.source, NEEDS.sev);
        return firmwareUnread(model, 'the firmware version');
      }
      if (api.major === 0 && api.minor === 0)
        return fail(`API 0.0 (${text}): no SEV firmware running`, source, FIX_FIRMWARE);
      if (!snp) return pass(text, source);
      const ok =
        api.major > SNP_MIN_FIRMWARE.major ||
        (api.major === SNP_MIN_FIRMWARE.major && api.minor >= SNP_MIN_FIRMWARE.minor);
      return ok
        ? pass(text, source)
        : fail(
            `${text}: SEV-SNP needs API ${SNP_MIN_FIRMWARE.major}.${SNP_MIN_FIRMWARE.minor} or later`,
            source,
            FIX_FIRMWARE,
          );
    },
  };
}

const SNP_FIRMWARE_RULES: readonly CheckRule[] = [
  {
    id: 'snp.firmware.rmp',
    technology: 'snp',
    layer: 'firmware',
    parent: 'snp.firmware.state',
    title: 'RMP table initialised',
    why:
      'the Reverse Map Table tracks who owns each page; SNP guests ' +
      'cannot run until the firmware has initialised it over all memory',
    evaluate({ model }) {
      const problems = allLogCauses(model).filter((c) => c.kind === 'rmp');
      if (problems.length > 0)
        return fail(
          problems.map((c) => c.text).join('; '),
          joinSources(...problems.map((c) => c.source)),
          problems[0]?.fix ?? FIX_RMP,
        );
      const status = valueOrNull(sevOf(model).snpPlatformStatus);
      const source = `${sourceOf(sevOf(model).snpPlatformStatus)} (byte 3 bit 0)`;
      if (status !== null)
        return status.rmpInitialised
          ? pass('yes', source)
          : fail('no', source, `${FIX_RMP}; check the kernel log for SNP_INIT errors`);
      return snpStatusUnread(model, 'SNP_PLATFORM_STATUS (RMP)');
    },
  },
  {
    id: 'snp.firmware.alias-check',
    technology: 'snp',
    layer: 'firmware',
    parent: 'snp.firmware.state',
    title: 'Memory alias check complete',
    why:
      'firmware that has not completed alias detection leaves the host ' +
      'open to CVE-2024-21944 (AMD-SB-3015): guests run, but their ' +
      'protection is weaker',
    evaluate({ model }) {
      const status = valueOrNull(sevOf(model).snpPlatformStatus);
      if (status === null) return snpStatusUnread(model, 'SNP_PLATFORM_STATUS (alias check)');
      const source = `${sourceOf(sevOf(model).snpPlatformStatus)} (byte 3 bit 1)`;
      // snphost's "Alias check" FAILs here: guest memory stays exposed to CVE-2024-21944 until it completes.
      return status.aliasCheckComplete
        ? pass('complete, no aliasing addresses', source)
        : fail(
            'not complete: the firmware does not report that alias detection ' +
              'found no aliasing addresses since the last reset (the bit ' +
              'exists from Milan 1.55.22 / Genoa 1.55.38; AMD-SB-3015)',
            source,
            FIX_ALIAS,
          );
    },
  },
  {
    id: 'snp.firmware.tcb',
    technology: 'snp',
    layer: 'firmware',
    parent: 'snp.firmware.state',
    title: 'Reported TCB is the current TCB',
    why:
      'attestation reports carry the reported TCB; when it lags the ' +
      'running firmware, verifiers see older firmware than runs',
    evaluate({ model }) {
      const status = valueOrNull(sevOf(model).snpPlatformStatus);
      if (status === null) return snpStatusUnread(model, 'SNP_PLATFORM_STATUS (TCB)');
      const t = status.tcb;
      const text = (raw: string, tcb: typeof t.current): string => (tcb ? `${raw} (${formatTcbVersion(tcb)})` : raw);
      const found = `current ${text(t.currentRaw, t.current)}, reported ${text(t.reportedRaw, t.reported)}`;
      const source = `${sourceOf(sevOf(model).snpPlatformStatus)} (current_tcb_version, reported_tcb_version)`;
      // snphost: "Comparing TCB values ... did NOT match" is a FAIL.
      return t.match ? pass(found, source) : fail(`${found}: ${TCB_LAGS}`, source, FIX_TCB);
    },
  },
  {
    id: 'snp.firmware.tcb-layout',
    technology: 'snp',
    layer: 'firmware',
    parent: 'snp.firmware.state',
    title: 'TCB versions fit the layout of this CPU generation',
    why:
      'the TCB_VERSION byte layout depends on the generation (Turin and later add an FMC byte); bytes that ' +
      'should be reserved but are not mean the SVNs shown, and what verifiers compare, may be read from the ' +
      'wrong bytes',
    // Judged where the CPU family/model chose a layout; without one the TCB is shown raw only.
    appliesWhen: ({ model }: CheckContext) =>
      (valueOrNull(sevOf(model).snpPlatformStatus)?.tcb.layout ?? null) !== null,
    evaluate({ model }) {
      const view = sevOf(model);
      const t = valueOrNull(view.snpPlatformStatus)!.tcb;
      const source = joinSources(
        `${sourceOf(view.snpPlatformStatus)} (current_tcb_version, reported_tcb_version)`,
        `${sourceOf(view.cpuinfo)} (cpu family, model)`,
      );
      const odd = [
        ...(t.current?.reservedNonZero ? [`current ${t.currentRaw}`] : []),
        ...(t.reported?.reservedNonZero ? [`reported ${t.reportedRaw}`] : []),
      ];
      if (odd.length === 0) return pass(`reserved bytes zero (${t.generation} layout)`, source);
      return warn(
        `${odd.join(', ')}: reserved bytes of the ${t.generation} layout are not zero, so this firmware may use ` +
          'another layout',
        source,
        'compare with `snphost show tcb` and check that /proc/cpuinfo shows the real CPU family and model (a ' +
          'hypervisor or an override may change them)',
      );
    },
  },
];

function kernelRule(f: Flavour): CheckRule {
  const since = kernelChange(f.kernel).since;
  return {
    id: `${f.technology}.kernel.version`,
    technology: f.technology,
    layer: 'kernel',
    parent: `${f.technology}.cpu.amd`,
    title: `Kernel with ${f.name} host support (Linux ${since}+)`,
    why: `KVM gained ${f.name} host support in Linux ${since}`,
    evaluate({ model }) {
      const rel = model.host.kernelRelease;
      if (!('value' in rel))
        return unreadable('/proc/sys/kernel/osrelease', rel, 'read access to /proc/sys/kernel/osrelease');
      const has = kernelHas(f.kernel, releaseOf(model));
      if (has === undefined)
        return unknown(
          `cannot read a version from "${rel.value}"`,
          rel.source,
          'a kernel release of the form MAJOR.MINOR',
        );
      if (has) return pass(`Linux ${rel.value.trim()}`, rel.source);
      const offered = sevOf(model).vmTypes.find((t) => t.name === f.vmType)?.offered === true;
      if (offered)
        return pass(
          `Linux ${rel.value.trim()}: older than ${since}, but KVM offers the ${f.vmType} VM type (a backport)`,
          rel.source,
        );
      return fail(
        `Linux ${rel.value.trim()} predates ${f.name} host support (${since})`,
        rel.source,
        `run Linux ${since} or newer${f.technology === 'snp' ? ' (SNP host support and KVM_SEV_INIT2)' : ''}`,
      );
    },
  };
}

const SNP_IOMMU: CheckRule = {
  id: 'snp.kernel.iommu',
  technology: 'snp',
  layer: 'kernel',
  parent: 'snp.kernel.version',
  title: 'IOMMU ready for SEV-SNP',
  why:
    'the kernel turns SNP off unless the AMD IOMMU is on, not in ' +
    'passthrough, with v1 page tables and its SNP feature ' +
    '(AMDSEV#113)',
  evaluate({ model }) {
    const view = sevOf(model);
    const problems = iommuProblems(model);
    if (problems.length > 0)
      return fail(
        problems.map((p) => p.explained).join('; '),
        joinSources(...problems.map((p) => p.source)),
        problems[0]?.fix ?? FIX_IOMMU,
      );
    const enabled = view.log?.iommu.snpSupport;
    if (enabled !== undefined) return pass('SNP support enabled', enabled.source);
    const param = view.kvmAmd.parameters.sev_snp;
    if (param !== undefined && 'value' in param && param.value.enabled === true)
      return pass(
        `kvm_amd.sev_snp = ${param.value.raw}: the kernel enables SNP only when the IOMMU supports it`,
        `derived from ${param.source}`,
      );
    const logSource = view.kernelLog.source ?? 'not probed';
    if (view.log === null) return unknown('the kernel log was not read', logSource, NEEDS.log);
    return unknown(
      'the kernel log has no "AMD-Vi: ... SNP" line',
      logSource,
      'the kernel log since boot (the IOMMU lines may have left the buffer: pass the boot log with --kernel-log FILE)',
    );
  },
};

function parameterRule(f: Flavour): CheckRule {
  return {
    id: `${f.technology}.kvm.parameter`,
    technology: f.technology,
    layer: 'kvm',
    parent: `${f.technology}.kernel.version`,
    title: `${f.name} on in KVM (kvm_amd.${f.parameter})`,
    why: `kvm_amd sets ${f.parameter} to what it could enable, so it reads Y only when ${f.name} is on in KVM`,
    evaluate({ model, kvm }) {
      const { module, parameters } = sevOf(model).kvmAmd;
      if ('error' in module) return unknown('kernel modules not read', module.source, NEEDS.sysfs);
      if (!module.value.loaded)
        return fail(
          'kvm_amd is not loaded',
          module.source,
          kvm.modprobe.kvm_amd
            ? `modprobe kvm_amd ${f.parameter}=1`
            : `boot with kvm_amd.${f.parameter}=1 ${NO_MODPROBE}`,
        );
      const param = parameters[f.parameter];
      const source = param?.source ?? module.source;
      if (param === undefined || 'error' in param)
        return unknown(
          `kvm_amd.${f.parameter} unreadable${param ? ` (${param.error.code})` : ''}`,
          source,
          NEEDS.sysfs,
        );
      if ('missing' in param) {
        return fail(
          `kvm_amd has no ${f.parameter} parameter: ${missingParameterMeaning(f.parameter)}`,
          source,
          f.technology === 'snp' ? SNP_KERNEL_FIX : 'use a kernel built with CONFIG_KVM_AMD_SEV=y',
        );
      }
      const p = param.value;
      if (p.enabled === true) return pass(`kvm_amd.${f.parameter} = ${p.raw.trim()}`, source);
      if (p.enabled === null)
        return unknown(`kvm_amd.${f.parameter} = ${p.raw.trim()} (not a boolean)`, source, NEEDS.sysfs);
      const why = logCauses(model, f);
      // Only kvm_amd's own "disabled" lines, no failure of the firmware, RMP or IOMMU: 6.16+ may have failed silently.
      const silent = why.every((c) => c.kind === 'asids') ? silentInitCause(model, f) : null;
      if (silent)
        return fail(
          `kvm_amd.${f.parameter} = ${p.raw.trim()}` +
            `${why.length ? ` (${why.map((c) => c.text).join('; ')})` : ''}; ` +
            `${silent.found}`,
          joinSources(source, silent.source, ...why.map((c) => c.source)),
          silent.fix,
        );
      return fail(
        `kvm_amd.${f.parameter} = ${p.raw.trim()}` +
          `${why.length ? `; the kernel log: ${why.map((c) => c.text).join('; ')}` : ''}`,
        joinSources(source, ...why.map((c) => c.source)),
        why.find((c) => c.fix !== undefined)?.fix ?? parameterOffFix(f, model),
      );
    },
  };
}

function vmTypeRule(f: Flavour): CheckRule {
  return {
    id: `${f.technology}.kvm.vm-type`,
    technology: f.technology,
    layer: 'kvm',
    parent: `${f.technology}.kvm.parameter`,
    title: `KVM offers the ${f.vmType} VM type`,
    why:
      `QEMU creates ${f.name} guests` +
      ` as KVM_X86_${f.vmType}_VM and stops with "vm-type ... not supported by KVM" when KVM_CAP_VM_TYPES lacks it`,
    evaluate({ model, kvm }) {
      const view = sevOf(model);
      const entry = view.vmTypes.find((t) => t.name === f.vmType);
      const source = sourceOf(view.vmTypeMask);
      if (entry === undefined || entry.offered === null)
        return (
          kvmUnavailable(model, kvm) ??
          unknown(vmTypeText(view, f.vmType).meaning ?? 'KVM_CAP_VM_TYPES not read', source, NEEDS.kvm)
        );
      if (entry.offered) return pass(vmTypeText(view, f.vmType).value, source);
      const mask = model.kvm.vmTypes;
      const legacyOnly = f.technology !== 'snp' && kernelHas('kvm.sev-vm-types', releaseOf(model)) === false;
      if ('value' in mask && mask.value.mask !== 0 && legacyOnly) {
        // 6.8 and 6.9 report VM types, but none for SEV: SEV and SEV-ES still run, through the legacy commands.
        return warn(
          `KVM_CAP_VM_TYPES = ${hex(mask.value.mask)} on Linux ` +
            `${kernelChange('kvm.cap-vm-types').since} up to ` +
            `${kernelChange('kvm.sev-vm-types').since}: no ${f.vmType} VM ` +
            `type yet; ${f.name} guests use the legacy KVM_` +
            `${f.technology === 'sev' ? 'SEV' : 'SEV_ES'}_INIT on a default VM`,
          source,
          `Linux ${kernelChange('kvm.sev-vm-types').since}+ for the ` +
            `${f.vmType} VM type and KVM_SEV_INIT2, which current QEMU prefers`,
        );
      }
      if ('value' in mask && mask.value.mask === 0) {
        if (f.technology === 'snp')
          return fail(
            `KVM_CAP_VM_TYPES is 0: ${vmTypeText(view, f.vmType).meaning ?? 'this kernel predates VM types'}`,
            source,
            SNP_KERNEL_FIX,
          );
        return warn(
          `KVM_CAP_VM_TYPES is 0 (a kernel before Linux ${kernelChange('kvm.cap-vm-types').since}): ` +
            `${f.name} guests only through the legacy KVM_${f.technology === 'sev' ? 'SEV' : 'SEV_ES'}_INIT`,
          source,
          `Linux ${releaseRangeText('kvm.sev-vm-types')} for the ${f.vmType} VM type and KVM_SEV_INIT2, which ` +
            'current QEMU prefers',
        );
      }
      const dropped = f.technology === 'sev-es' ? sevEsDroppedCause(model) : null;
      if (dropped) return fail(dropped.found, joinSources(source, dropped.source), dropped.fix);
      return fail(
        vmTypeFound(model, f.vmType),
        source,
        `check kvm_amd.${f.parameter} and \`dmesg | grep -i sev\` for why KVM left ${f.name} off`,
      );
    },
  };
}

function asidRule(f: Flavour): CheckRule {
  return {
    id: `${f.technology}.usable.asids`,
    technology: f.technology,
    layer: 'usable',
    parent: `${f.technology}.kvm.vm-type`,
    title: f.asids === 'sev' ? 'A free SEV ASID' : 'A free SEV-ES/SNP ASID',
    why:
      'every running guest holds one ASID of its kind; the BIOS splits ' +
      'them between SEV and SEV-ES/SNP, and when none is free the next ' +
      'guest fails',
    evaluate({ model, snapshot }) {
      const asids = sevOf(model).asids[f.asids];
      const source = asids.source ?? 'not probed';
      const words = asidCapacityWords(asids);
      if ('value' in asids) {
        const { capacity, current, free } = asids.value;
        const inconsistent = inconsistentCounts(
          f.asids === 'sev' ? 'SEV ASID' : 'SEV-ES/SNP ASID',
          capacity,
          current,
          source,
        );
        if (inconsistent !== null) return inconsistent;
        if (capacity === 0)
          return fail(
            `0 ${f.asids === 'sev' ? 'SEV' : 'SEV-ES/SNP'} ASIDs`,
            source,
            f.asids === 'sev'
              ? 'BIOS: leave ASIDs above the "SEV-ES ASID Space Limit" for SEV guests'
              : 'BIOS: set "SEV-ES ASID Space Limit" above 1',
          );
        if (free === 0)
          return fail(
            words.value,
            source,
            'a guest holds its ASID until it exits: shut one down, or move the BIOS ASID split',
          );
        return pass(words.value, source);
      }
      const init2 = sevOf(model).init2.find((r) => r.vmType === f.vmType);
      if (init2 !== undefined && 'value' in init2.result)
        return pass(
          'misc cgroup not read, but --deep KVM_SEV_INIT2 got an ASID',
          `derived from ${init2.result.source}`,
        );
      const found = words.meaning === undefined ? words.value : `${words.value}: ${words.meaning}`;
      const misc = snapshot.host.miscCapacity;
      if (misc === undefined || ('error' in misc && misc.error.code !== 'ENOENT'))
        return unknown(found, source, NEEDS.misc);
      return warn(`cannot count free ASIDs: ${found}`, source);
    },
  };
}

function init2Rule(f: Flavour): CheckRule {
  return {
    id: `${f.technology}.usable.init2`,
    technology: f.technology,
    layer: 'usable',
    parent: `${f.technology}.kvm.vm-type`,
    title: `KVM_SEV_INIT2 on a throwaway ${f.vmType} VM (--deep)`,
    why:
      'KVM_SEV_INIT2 is what QEMU runs first on an SEV VM: it takes an ' +
      'ASID and, if need be, initialises the firmware',
    appliesWhen: ({ model }: CheckContext) => sevOf(model).init2.some((r) => r.vmType === f.vmType),
    evaluate({ model, kvm }) {
      const r = sevOf(model).init2.find((result) => result.vmType === f.vmType);
      if (r === undefined) return unknown('not tried', 'not probed', NEEDS.kvm);
      const words = init2Words(r);
      if ('value' in r.result) return pass(words.value, r.result.source);
      const found = words.meaning === undefined ? words.value : `${words.value}: ${words.meaning}`;
      return fail(found, r.result.source, ('error' in r.result && failureFix(r.result.error, kvm)) || FIX_FIRMWARE);
    },
  };
}

// The rest of `snphost ok`'s CPU and device checks (virtee/snphost src/ok/mod.rs): "VM
// Permission Levels" FAILs when CPUID 0x8000001F EAX bit 5 is clear, "Number of VMPLs" only
// shows EBX[15:12], "Page flush MSR" shows DISABLED without failing (the MSR may be switched
// off), "/dev/sev readable/writable" asks access(2) for the user it runs as. They judge the
// host's raw CPUID (/dev/cpu/0/cpuid), so they apply only where it was read and reports the
// technology (SEV bit 1 for the page flush, SNP bit 4 for VMPLs; without it the CPU-flag and
// generation rules say why): unread, the SEV view says "cannot tell", as with the MSRs.

const hostReportsSev = ({ model }: CheckContext): boolean => hostCpuidBits(sevOf(model).hostCpuid)?.sev === true;
const hostReportsSnp = ({ model }: CheckContext): boolean => hostCpuidBits(sevOf(model).hostCpuid)?.snp === true;

const SNP_VMPL: CheckRule = {
  id: 'snp.cpu.vmpl',
  technology: 'snp',
  layer: 'hardware',
  parent: 'snp.cpu.generation',
  title: 'VM Permission Levels (host CPUID 0x8000001F EAX bit 5)',
  why:
    'SEV-SNP guests run at VMPL0-3 (an SVSM at VMPL0 below the guest ' +
    'OS); a CPU that reports SNP without VMPLs is not SNP-capable ' +
    '(snphost "VM Permission Levels"); KVM\'s CPUID view hides the ' +
    "VMPL count, so only the host's raw CPUID tells",
  appliesWhen: hostReportsSnp,
  evaluate({ model }) {
    // Applies only where the leaf was read.
    const h = hostCpuidBits(sevOf(model).hostCpuid)!;
    const source = hostCpuidSource(model, 'eax', 'bit 5');
    if (h.vmpl === true)
      return pass(
        `supported, ${h.vmplCount} VMPLs (EBX[15:12])`,
        joinSources(source, hostCpuidSource(model, 'ebx', 'bits 15:12')),
      );
    const snpSet = h.snp ? ' while bit 4 (SEV-SNP) is set' : '';
    return fail(
      `EAX bit 5 (VMPL) clear${snpSet}, ${h.vmplCount} VMPLs: not SEV-SNP-capable`,
      source,
      'SEV-SNP needs an EPYC 7003 (Milan) or later that reports VMPLs: ' +
        'check the BIOS and microcode versions, or use another host',
    );
  },
};

function pageFlushRule(f: Flavour): CheckRule {
  return {
    id: `${f.technology}.cpu.page-flush`,
    technology: f.technology,
    layer: 'hardware',
    parent: `${f.technology}.cpu.amd`,
    title: 'VM page flush MSR (host CPUID 0x8000001F EAX bit 2)',
    why:
      'on CPUs without SME_COHERENT, KVM flushes the encrypted pages ' +
      'it takes back from a guest with VM_PAGE_FLUSH; without it the ' +
      'kernel warns and writes back whole caches (snphost shows "Page ' +
      'flush MSR: DISABLED" without failing, virtee/sevctl#70)',
    appliesWhen: hostReportsSev,
    evaluate({ model }) {
      const source = hostCpuidSource(model, 'eax', 'bits 2 and 10');
      const h = hostCpuidBits(sevOf(model).hostCpuid)!;
      if (h.pageFlush === true) return pass('supported', source);
      // Linux 7.2 sev_flush_encrypted_page(): CLFLUSHOPT with SME_COHERENT, the MSR only without it.
      if (h.smeCoherent === true)
        return pass(
          'not reported, and not needed: the CPU has SME_COHERENT (EAX bit 10), so KVM flushes with CLFLUSHOPT',
          source,
        );
      return warn(
        'not reported, nor SME_COHERENT: KVM warns and writes back whole ' +
          'caches when it takes encrypted pages back from a guest',
        source,
        'update the BIOS / microcode (the MSR may be disabled there); guests still run',
      );
    },
  };
}

function deviceUsersRule(f: Flavour): CheckRule {
  return {
    id: `${f.technology}.usable.device-users`,
    technology: f.technology,
    layer: 'usable',
    parent: `${f.technology}.firmware.sev-device`,
    title: "Who may open /dev/sev read-write (the VMM's user)",
    why:
      'QEMU opens /dev/sev read-write to start an SEV guest; a VMM ' +
      'running as qemu, libvirt-qemu or a member of the kvm group ' +
      'needs the mode, the group or an ACL to let it',
    appliesWhen: ({ model }: CheckContext) => sevDeviceUsers(sevOf(model)) !== null,
    evaluate({ model }) {
      const view = sevOf(model);
      const users = sevDeviceUsers(view)!;
      const node = view.sevNode;
      const shown = node !== null && 'value' in node ? deviceUsersText(users, node.value, view.sevAcl) : "not stat'ed";
      const source = deviceUsersSource(view);
      if (!users.rootOnly) return pass(shown, source);
      return warn(`${shown}: only a VMM running as root can start SEV guests`, source, DEVICE_USERS_FIX);
    },
  };
}

/** The PSP's production-part flags (sysfs fused_part, debug_lock_on: drivers/crypto/ccp/hsti.c). */
function pspRule(f: Flavour): CheckRule {
  return {
    id: `${f.technology}.firmware.psp-production`,
    technology: f.technology,
    layer: 'firmware',
    parent: `${f.technology}.firmware.sev-device`,
    title: 'A production part (PSP fused_part and debug_lock_on)',
    why:
      'an engineering or unfused part, or one whose PSP debug lock is off, runs guests, but its launch ' +
      'measurements and attestation reports are not ones a verifier should trust',
    // Only where the kernel shows the attributes (the ccp driver's security attributes, not on every platform).
    appliesWhen: ({ model }: CheckContext) =>
      pspAttributes(sevOf(model)).some((a) => a.name === 'fused_part' || a.name === 'debug_lock_on'),
    evaluate({ model }) {
      const attributes = pspAttributes(sevOf(model)).filter(
        (a) => a.name === 'fused_part' || a.name === 'debug_lock_on',
      );
      const source = joinSources(...attributes.map((a) => a.value.source));
      const shown = attributes.map((a) => `${a.name} ${'value' in a.value ? a.value.value : a.value.error.code}`);
      const unread = attributes.filter((a) => !('value' in a.value) || !/^[01]$/.test(a.value.value));
      const off = attributes.filter((a) => 'value' in a.value && a.value.value === '0');
      if (off.length > 0)
        return warn(
          `${shown.join(', ')}: ${off.map((a) => (a.name === 'fused_part' ? 'not a fused (production) part' : 'the PSP debug lock is off')).join('; ')}`,
          source,
          'run attested guests on a production (fused) EPYC part with its debug lock on; an engineering sample ' +
            'or a debug-unlocked part is for development only',
        );
      if (unread.length > 0)
        return unknown(
          `${shown.join(', ')}: not 0 or 1`,
          source,
          "read access to the PSP's sysfs attributes (/sys/bus/pci/drivers/ccp/<device>/)",
        );
      return pass(shown.join(', '), source);
    },
  };
}

function bareMetalRule(f: Flavour): CheckRule {
  return {
    id: `${f.technology}.cpu.bare-metal`,
    technology: f.technology,
    layer: 'hardware',
    parent: `${f.technology}.cpu.amd`,
    title: 'Bare metal, not a VM (cpuinfo hypervisor flag)',
    why: `${f.name} hosts must be bare metal: a guest cannot offer ${f.name} VMs to its own guests`,
    evaluate({ model }) {
      const source = cpuinfoSource(model, 'flags');
      const guest = sevOf(model).cpu.isGuest;
      if (guest === null) return unknown('/proc/cpuinfo not read', source, NEEDS.cpuinfo);
      if (!guest) return pass('no hypervisor flag: bare metal', source);
      return warn(
        `hypervisor flag set: this host is itself a VM, so it cannot offer ${f.name} VMs`,
        source,
        `run ${f.name} guests on a bare-metal AMD EPYC host`,
      );
    },
  };
}

function kvmCpuidRule(f: Flavour): CheckRule {
  return {
    id: `${f.technology}.kvm.cpuid`,
    technology: f.technology,
    layer: 'kvm',
    parent: `${f.technology}.kvm.parameter`,
    title: 'KVM reports SEV in CPUID 0x8000001F (KVM_GET_SUPPORTED_CPUID)',
    why:
      'KVM_GET_SUPPORTED_CPUID zeroes the memory-encryption leaf when KVM has no SEV ' +
      '(kvm_cpu_cap_has(X86_FEATURE_SEV) is false), and sets sev/sev_es/sev_snp only for what kvm_amd enabled',
    evaluate({ model, kvm }) {
      const view = sevOf(model);
      const leaf = view.cpuidLeaf;
      const source = sourceOf(leaf);
      if ('missing' in leaf)
        return kvmUnavailable(model, kvm) ?? unknown('KVM_GET_SUPPORTED_CPUID not read', source, NEEDS.kvm);
      if ('error' in leaf) return unknown(`KVM_GET_SUPPORTED_CPUID failed: ${leaf.error.code}`, source, NEEDS.kvm);
      const fix = `check kvm_amd.${f.parameter} and \`dmesg | grep -i sev\` for why KVM left SEV off`;
      if (!leaf.value.listed) return fail('leaf 0x8000001F absent: KVM reports no memory-encryption leaf', source, fix);
      if (leaf.value.allZero) return fail('leaf 0x8000001F all zero: KVM has no SEV support', source, fix);
      const features = view.cpuid?.features ?? [];
      const text = `EAX: ${features.join(', ') || 'none'}`;
      return features.includes('sev') ? pass(text, source) : fail(`${text}: no sev bit`, source, fix);
    },
  };
}

const SNP_POLICY_BITS: CheckRule = {
  id: 'snp.kvm.policy-bits',
  technology: 'snp',
  layer: 'kvm',
  parent: 'snp.kvm.vm-type',
  title: 'SNP guest policy bits supported (KVM_X86_SNP_POLICY_BITS)',
  why:
    'KVM answers the SNP guest policy bits that it and the firmware support, and 0 when SNP is not supported; ' +
    'QEMU refuses a guest policy with bits outside them',
  // Only kernels that have the attribute (6.19+) and were asked: elsewhere there is nothing to judge.
  appliesWhen: ({ model }: CheckContext) => 'value' in sevOf(model).sevAttributes.snpPolicyBits,
  evaluate({ model }) {
    const fact = sevOf(model).sevAttributes.snpPolicyBits;
    if (!('value' in fact)) return unknown('KVM_X86_SNP_POLICY_BITS not read', sourceOf(fact), NEEDS.kvm);
    const d = fact.value;
    if (BigInt(d.raw) !== 0n)
      return pass(`${d.raw} (${[...d.names, ...d.unknownBits.map((b) => `bit ${b}`)].join(', ')})`, fact.source);
    return warn(
      '0: KVM and the firmware support no SNP guest policy bits (SNP not supported)',
      fact.source,
      'check kvm_amd.sev_snp and `dmesg | grep -i -e sev -e snp` for why SNP is off',
    );
  },
};

function rulesFor(f: Flavour): CheckRule[] {
  const snp = f.technology === 'snp';
  return [
    vendorRule(f),
    bareMetalRule(f),
    ...(snp ? [SNP_GENERATION, SNP_VMPL] : []),
    pageFlushRule(f),
    cpuFlagRule(f),
    deviceRule(f),
    stateRule(f),
    versionRule(f),
    pspRule(f),
    ...(snp ? SNP_FIRMWARE_RULES : []),
    kernelRule(f),
    ...(snp ? [SNP_IOMMU] : []),
    parameterRule(f),
    kvmCpuidRule(f),
    vmTypeRule(f),
    ...(snp ? [SNP_POLICY_BITS] : []),
    asidRule(f),
    deviceUsersRule(f),
    init2Rule(f),
  ];
}

export const SEV_RULES: readonly CheckRule[] = FLAVOURS.flatMap(rulesFor);

// ---------------------------------------------------------------------------------------
// Contradictions

function parameterVsVmType(f: Flavour): CheckRule {
  return {
    id: `cross.${f.technology}.parameter-vs-vm-type`,
    technology: f.technology,
    layer: 'kvm',
    title: `kvm_amd.${f.parameter} is Y, but KVM does not offer the ${f.vmType} VM type`,
    why: 'the parameter says kvm_amd enabled it, yet QEMU gates on KVM_CAP_VM_TYPES',
    evaluate({ model }) {
      const view = sevOf(model);
      const p = view.kvmAmd.parameters[f.parameter];
      const entry = view.vmTypes.find((t) => t.name === f.vmType);
      const mask = model.kvm.vmTypes;
      const source = joinSources(p?.source, sourceOf(view.vmTypeMask));
      // Before the SEV VM types (6.10) the mask never has them, whatever the parameter says.
      const typesExist =
        f.technology === 'snp'
          ? kernelHas('snp.kvm-host', releaseOf(model)) !== false
          : kernelHas('kvm.sev-vm-types', releaseOf(model)) !== false;
      const value = parameterValue(p);
      if (
        value?.enabled !== true ||
        entry?.offered !== false ||
        !('value' in mask) ||
        mask.value.mask === 0 ||
        !typesExist
      )
        return pass('consistent', source);
      const found =
        `kvm_amd.${f.parameter} = ${value.raw.trim()}, but KVM_CAP_VM_TYPES ` +
        `= ${hex(mask.value.mask)} (` +
        `${mask.value.offered.join(', ') || 'none'})`;
      const dropped = f.technology === 'sev-es' ? sevEsDroppedCause(model) : null;
      if (dropped) return fail(`${found}: ${dropped.found}`, joinSources(source, dropped.source), dropped.fix);
      return fail(
        found,
        source,
        'see `dmesg | grep -i sev` for why KVM left it off (the firmware, ASIDs, or SNP INIT)',
      );
    },
  };
}

function asidsExhausted(f: Flavour): CheckRule {
  return {
    id: `cross.${f.technology}.asids-exhausted`,
    technology: f.technology,
    layer: 'usable',
    title: `${f.name} works, but every ${f.asids === 'sev' ? 'SEV' : 'SEV-ES/SNP'} ASID is in use`,
    why: 'a host that is capable and enabled still cannot start another guest while all its ASIDs are held',
    evaluate({ model }) {
      const asids = sevOf(model).asids[f.asids];
      const source = asids.source ?? 'not probed';
      const a = known(asids);
      if (a === undefined || a.capacity === 0 || a.free !== 0) return pass('not exhausted', source);
      return warn(
        `${a.current} of ${a.capacity} in use, none free`,
        source,
        'shut a guest down, or move the BIOS ASID split',
      );
    },
  };
}

/** What to do about kvm_amd's "unusable" line of a flavour (never a module reload: the range is set at load). */
const ASIDS_UNUSABLE_FIX: Record<SevTechnology, string> = {
  sev: 'BIOS: leave ASIDs above the "SEV-ES ASID Space Limit" for SEV guests',
  'sev-es':
    'lower kvm_amd.ciphertext_hiding_asids on the kernel command line so that ASIDs remain for SEV-ES; with ' +
    'firmware past AMD-SB-3023, run SEV-SNP guests instead',
  snp:
    'BIOS: set "SEV-ES ASID Space Limit" above 1 (SEV-ES and SEV-SNP guests share the ASIDs below it); with ' +
    'ciphertext hiding, give kvm_amd.ciphertext_hiding_asids a number above 0 on the kernel command line',
};

function asidsUnusable(f: Flavour): CheckRule {
  return {
    id: `cross.${f.technology}.asids-unusable`,
    technology: f.technology,
    layer: 'kvm',
    title: `kvm_amd supports ${f.name}, but logs it unusable`,
    why:
      'kvm_amd prints "unusable" when the CPU and firmware have it but its ASID range is empty: the BIOS ASID ' +
      'split, ciphertext hiding, or (SEV-ES) firmware past AMD-SB-3023; the range is set when kvm_amd loads',
    evaluate({ model }) {
      const view = sevOf(model);
      const line = view.log?.asids[f.logAsids];
      if (line?.value.state !== 'unusable')
        return pass('no "unusable" line', line?.source ?? view.kernelLog.source ?? 'not probed');
      const found = `kvm_amd: ${line.value.feature}: ${asidRangeText(line.value)}`;
      const dropped = f.technology === 'sev-es' ? sevEsDroppedCause(model) : null;
      if (dropped) return warn(`${found}: ${dropped.found}`, joinSources(line.source, dropped.source), dropped.fix);
      return warn(`${found}: ${ASIDS_UNUSABLE[f.logAsids]}`, line.source, ASIDS_UNUSABLE_FIX[f.technology]);
    },
  };
}

/**
 * This boot's firmware and PSP failures from the kernel log, of SEV's (with the PSP's own) or of SNP's firmware, each
 * with what to do. 6.9-6.15's "failed to INIT rc" line in the log of another kernel is not this boot's.
 */
function firmwareLogProblems(
  model: HostModel,
  technology: 'SEV' | 'SNP',
): { text: string; source: string; fix: string }[] {
  const log = sevOf(model).log;
  if (log === null) return [];
  const release = releaseOf(model);
  const out: { text: string; source: string; fix: string }[] = [];
  for (const { value: f, source } of log.failures) {
    if (f.technology !== technology) continue;
    if (notThisKernels(f, release)) continue;
    // rc -110 with no firmware status: the PSP never answered (its "timed out, disabling PSP" line says which command).
    const timedOut = f.firmwareError === 0 && f.rc === -110;
    out.push({
      text: `${f.reporter}: ${f.technology} firmware: ${logFailureText(f)}`,
      source,
      fix: timedOut ? FIX_PSP_TIMEOUT : FIX_FIRMWARE,
    });
  }
  if (technology === 'SEV') {
    const psp = log.psp;
    if (psp.notEnabledByBios)
      out.push({
        text: 'ccp: SEV: memory encryption not enabled by BIOS',
        source: psp.notEnabledByBios.source,
        fix: 'BIOS: enable SMEE and SEV',
      });
    if (psp.sevInitializationFailed)
      out.push({
        text: 'ccp: SEV device: initialization failed',
        source: psp.sevInitializationFailed.source,
        fix: FIX_FIRMWARE,
      });
    if (psp.tmrAllocationFailed)
      out.push({
        text: 'ccp: SEV-ES: TMR allocation failed, SEV-ES unavailable',
        source: psp.tmrAllocationFailed.source,
        fix: FIX_PSP_TIMEOUT,
      });
    for (const t of psp.timeouts)
      out.push({
        text: `ccp: PSP: command ${hex(t.value)} timed out; PSP disabled`,
        source: t.source,
        fix: FIX_PSP_TIMEOUT,
      });
  }
  return out;
}

function firmwareLog(technology: 'sev' | 'snp'): CheckRule {
  const firmware = technology === 'snp' ? 'SNP' : 'SEV';
  return {
    id: `cross.${technology}.firmware-log`,
    technology,
    layer: 'firmware',
    title: `The kernel log shows ${firmware} firmware${technology === 'sev' ? ' or PSP' : ''} failures`,
    why:
      'the ccp driver and kvm_amd log every firmware command that failed (INIT, DF_FLUSH, SHUTDOWN, PLATFORM_STATUS) ' +
      'and a PSP that stopped answering; a failure while shutting down can leave the firmware in a state the next ' +
      'INIT refuses',
    evaluate({ model }) {
      const problems = firmwareLogProblems(model, firmware);
      const source = sevOf(model).kernelLog.source ?? 'not probed';
      if (problems.length === 0) return pass('no failure lines', source);
      return fail(
        problems.map((p) => p.text).join('; '),
        joinSources(...problems.map((p) => p.source)),
        problems[0]!.fix,
      );
    },
  };
}

const SEV_ONLY_CROSS: readonly CheckRule[] = [
  {
    id: 'cross.sev.npt',
    technology: 'sev',
    layer: 'kvm',
    title: 'kvm_amd.npt is N: SEV needs nested paging',
    why:
      'sev_hardware_setup() leaves SEV, SEV-ES and SEV-SNP off unless nested paging (NPT) is on; npt reads N when ' +
      'kvm_amd was loaded with npt=0 or the CPU does not offer NPT',
    evaluate({ model, kvm }) {
      const npt = sevOf(model).kvmAmd.parameters.npt;
      const value = parameterValue(npt);
      if (npt === undefined || value?.enabled !== false)
        return pass('consistent', npt?.source ?? sevOf(model).kvmAmd.module.source);
      const guest = model.host.isGuest;
      const fix =
        'value' in guest && guest.value
          ? 'this host is a VM: SEV guests cannot be nested; use the bare-metal host'
          : kvm.modprobe.kvm_amd
            ? 'reload kvm_amd with nested paging: `modprobe -r kvm_amd && modprobe kvm_amd npt=1`'
            : `boot with kvm_amd.npt=1 ${NO_MODPROBE}`;
      return fail(`kvm_amd.npt = ${value.raw.trim()}`, npt.source ?? sevOf(model).kvmAmd.module.source, fix);
    },
  },
  {
    id: 'cross.sev.sev-guest',
    technology: 'sev',
    layer: 'hardware',
    title: 'This kernel is itself an SEV guest',
    why:
      'a kernel that runs with SEV memory encryption as a guest logs "Memory Encryption Features active: AMD SEV ..."; ' +
      'an SEV guest cannot start SEV guests of its own',
    evaluate({ model }) {
      const view = sevOf(model);
      const line = view.log?.guestFeatures;
      // A host with SME active logs the same line with "SME" only.
      if (line === undefined || !line.value.includes('SEV'))
        return pass('no SEV guest line', line?.source ?? view.kernelLog.source ?? 'not probed');
      return warn(
        `Memory Encryption Features active: ${line.value.join(' ')}`,
        line.source,
        'check and run SEV guests on the bare-metal host',
      );
    },
  },

  {
    id: 'cross.sev.parameter-without-device',
    technology: 'sev',
    layer: 'firmware',
    title: 'kvm_amd.sev is Y, but there is no /dev/sev',
    why: 'users see sev=1 and expect SEV to work (AMDSEV#191); without /dev/sev the firmware cannot be reached',
    evaluate({ model }) {
      const p = sevOf(model).kvmAmd.parameters.sev;
      const node = sevOf(model).sevNode;
      const source = joinSources(p?.source, node?.source);
      const value = parameterValue(p);
      if (value?.enabled !== true || node === null || !('error' in node) || node.error.code !== 'ENOENT')
        return pass('consistent', source);
      return fail(
        `kvm_amd.sev = ${value.raw.trim()}, but /dev/sev does not exist: ${nodeMeaning(sevOf(model), node)}`,
        source,
        FIX_SEV_DEVICE,
      );
    },
  },
  {
    id: 'cross.sev-es.flag-vs-parameter',
    technology: 'sev-es',
    layer: 'kvm',
    title: 'The CPU and BIOS have SEV-ES, but kvm_amd left it off',
    why:
      'a BIOS that gives every ASID to plain SEV leaves SEV-ES with ' +
      'none, so kvm_amd reports sev_es = N (virtee/sevctl#116)',
    evaluate({ model }) {
      const view = sevOf(model);
      const sev = view.kvmAmd.parameters.sev;
      const es = view.kvmAmd.parameters.sev_es;
      const source = joinSources(cpuinfoSource(model, 'flags'), es?.source);
      const esValue = parameterValue(es);
      if (view.cpu.flags.sev_es !== true || parameterEnabled(sev) !== true || esValue?.enabled !== false)
        return pass('consistent', source);
      const cpuid = view.cpuidLeaf;
      // The ASID split is known where KVM lists a leaf that is not all zero.
      const min = 'value' in cpuid && !cpuid.value.allZero && view.cpuid !== null ? view.cpuid : null;
      const log = view.log?.asids.sevEs;
      return fail(
        `sev_es in cpuinfo and kvm_amd.sev = Y, but kvm_amd.sev_es = ${esValue.raw.trim()}` +
          `${log ? `; ${asidRangeText(log.value)}` : ''}` +
          `${min ? `; ${MIN_SEV_ASID_LABEL}: ${min.minSevAsid}: ${asidSplitText(min)}` : ''}`,
        joinSources(source, log?.source, min ? `${sourceOf(cpuid)} EDX` : undefined),
        'BIOS: set "SEV-ES ASID Space Limit" above 1 so that SEV-ES guests get ASIDs',
      );
    },
  },
  {
    id: 'cross.snp.iommu',
    technology: 'snp',
    layer: 'kernel',
    title: 'The BIOS enabled SEV-SNP, but the IOMMU kept it off',
    why:
      'sev_snp in cpuinfo with kvm_amd.sev_snp = N is the pattern of ' +
      'AMDSEV#113: the real cause is only in the AMD-Vi log lines',
    evaluate({ model }) {
      const view = sevOf(model);
      const problems = iommuProblems(model);
      const snp = view.kvmAmd.parameters.sev_snp;
      const source = joinSources(
        `${sourceOf(view.cpuinfo)} (flags)`,
        view.kvmAmd.module.source,
        ...problems.map((p) => p.source),
      );
      const snpValue = parameterValue(snp);
      if (view.cpu.flags.sev_snp !== true || snpValue?.enabled !== false || problems.length === 0)
        return pass('consistent', source);
      return fail(
        `sev_snp in cpuinfo, kvm_amd.sev_snp = ${snpValue.raw.trim()}, and ` +
          `the kernel log: ${problems.map((p) => p.text).join('; ')}`,
        source,
        problems[0]?.fix ?? FIX_IOMMU,
      );
    },
  },
  {
    id: 'cross.snp.alias-check',
    technology: 'snp',
    layer: 'firmware',
    title: 'SEV-SNP is enabled, but the alias check is not complete',
    why:
      'guests start, so the gap goes unnoticed; their memory is ' +
      'exposed to CVE-2024-21944 until the firmware is updated ' +
      '(AMD-SB-3015)',
    evaluate({ model }) {
      const view = sevOf(model);
      const source = `${sourceOf(view.snpPlatformStatus)} (byte 3 bit 1)`;
      const status = valueOrNull(view.snpPlatformStatus);
      const enabled = parameterEnabled(view.kvmAmd.parameters.sev_snp) === true || (status?.state ?? 0) !== 0;
      if (!enabled || status === null || status.aliasCheckComplete) return pass('consistent', source);
      return fail(`SNP ${status.stateName ?? 'enabled'}, alias check not complete`, source, FIX_ALIAS);
    },
  },
  {
    id: 'cross.snp.tcb',
    technology: 'snp',
    layer: 'firmware',
    title: 'SEV-SNP is enabled, but the reported TCB differs from the current one',
    why:
      'guests start, but their attestation reports name older firmware ' +
      'than runs, which verifiers may reject or misjudge',
    evaluate({ model }) {
      const view = sevOf(model);
      const source = `${sourceOf(view.snpPlatformStatus)} (current_tcb_version, reported_tcb_version)`;
      const status = valueOrNull(view.snpPlatformStatus);
      const enabled = parameterEnabled(view.kvmAmd.parameters.sev_snp) === true || (status?.state ?? 0) !== 0;
      if (!enabled || status === null || status.tcb.match) return pass('consistent', source);
      const t = status.tcb;
      return fail(`current TCB ${t.currentRaw}, reported ${t.reportedRaw}`, source, FIX_TCB);
    },
  },
];

/** Where SYSCFG was read, naming the MSR ('not probed' where it was not looked for). */
const syscfgSource = (model: HostModel): string => {
  const read = sevOf(model).msrs.SYSCFG;
  return read.source === undefined ? 'not probed' : `${read.source} (MSR 0xc0010010 SYSCFG)`;
};

/** SYSCFG and the RMP MSRs as snphost reads them; an MSR that could not be read proves nothing either way. */
const MSR_CROSS: readonly CheckRule[] = [
  {
    id: 'cross.sev.syscfg-smee',
    technology: 'sev',
    layer: 'firmware',
    title: 'SYSCFG says the BIOS left memory encryption off (SMEE, bit 23)',
    why:
      'without SYSCFG.MemEncryptionModeEn no SME, SEV, SEV-ES or ' +
      'SEV-SNP can run, whatever the kernel and kvm_amd say (snphost ' +
      '"SME" / "SEV" checks)',
    evaluate({ model }) {
      const m = snpMsrValues(sevOf(model).msrs);
      const source = syscfgSource(model);
      if (m.smee !== false) return pass('consistent', source);
      return fail(
        `SYSCFG = ${m.syscfg}: bit 23 (SMEE) clear`,
        `${source}, bit 23`,
        'BIOS: enable SMEE (Secure Memory Encryption), then reboot',
      );
    },
  },
  {
    id: 'cross.snp.syscfg-snp',
    technology: 'snp',
    layer: 'firmware',
    title: 'SYSCFG or the RMP MSRs say SEV-SNP is not set up (SNPEn, RMP_BASE/RMP_END)',
    why:
      'SEV-SNP needs SYSCFG.SNPEn (bit 24) and an RMP table between ' +
      'RMP_BASE and RMP_END, both set up before the kernel boots ' +
      '(snphost "SNP" and "RMP table" checks)',
    evaluate({ model }) {
      const m = snpMsrValues(sevOf(model).msrs);
      const source = syscfgSource(model);
      const problems: string[] = [];
      if (m.snpEn === false) problems.push(`SYSCFG = ${m.syscfg}: bit 24 (SNPEn) clear`);
      if (m.rmpBase !== null && BigInt(m.rmpBase) === 0n) problems.push('RMP_BASE = 0');
      if (m.rmpEnd !== null && BigInt(m.rmpEnd) === 0n) problems.push('RMP_END = 0');
      if (problems.length === 0) return pass('consistent', source);
      return fail(
        `${problems.join('; ')}: no RMP table reserved / SNP not enabled`,
        `${source}; MSRs 0xc0010132, 0xc0010133`,
        FIX_RMP.replace('BIOS: enable', 'BIOS: enable "SEV-SNP Support" and'),
      );
    },
  },
];

export const SEV_CROSS_CHECKS: readonly CheckRule[] = [
  ...MSR_CROSS,
  ...FLAVOURS.flatMap((f) => [parameterVsVmType(f), asidsExhausted(f), asidsUnusable(f)]),
  firmwareLog('sev'),
  firmwareLog('snp'),
  ...SEV_ONLY_CROSS,
];
