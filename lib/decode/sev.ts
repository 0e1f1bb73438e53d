// The AMD SEV section of a report: what `snphost ok` and `sevctl ok` would check, from the
// snapshot alone - the VM types KVM offers, KVM's SEV attributes, /dev/sev and the SEV / SNP
// platform status, the CPU flags the kernel shows, kvm_amd's parameters, free ASIDs in the
// misc cgroup, the kernel log and the --deep KVM_SEV_INIT2 answers. Every item names where
// its value came from; a fact that was not collected is reported as such, never guessed.
import { hex } from '../knowledge/hex.js';
import {
  SEV_FIRMWARE_INIT_ROWS,
  SNP_PLATFORM_STATUS_ROWS,
  firstChangeHeld,
  kernelChange,
  kernelHas,
  releaseRangeText,
  type KernelChange,
} from '../knowledge/kernel-versions.js';
import type { Fact, KernelLogRecord, ProbeError, Snapshot, Source } from '../snapshot/types.js';
import { KVM_X86_VM_TYPES } from '../knowledge/x86.js';
import { describeSource, explain, type Explained } from './explain.js';
import {
  decodeFirmwareError,
  decodeSevPlatformStatus,
  decodeSnpPlatformStatus,
  formatTcbVersion,
  type DecodedFirmwareError,
  type DecodedSevPlatformStatus,
  type DecodedSnpPlatformStatus,
} from './sev-fields.js';
import { sevHostFacts, type SevHostFacts } from './sev-host.js';
import { sevKvmAmdFacts, type SevKvmAmdFacts } from './sev-kvm-amd.js';
import { sevPlatformFacts, type SevPlatformFacts } from './sev-platform.js';
import { inNewestBoot } from '../snapshot/log-formats.js';
import { describeFailure, parseSevLog, type SevLogFacts, type Traced as LogTraced } from './sev-log.js';
import {
  IOMMU_PROBLEMS,
  KVM_AMD_PARAMETERS,
  RMP_PROBLEM_FIX,
  RMP_PROBLEM_MEANING,
  SNP_MIN_FIRMWARE,
  parseModuleBool,
} from '../knowledge/sev.js';

const NOT_ASKED_FOR =
  'the value is what kvm_amd could enable, not what was asked: see the kernel log below for why ' +
  '(RMP, IOMMU, firmware INIT); kernel';
const ALSO_PRINTED =
  'this line is also printed when SNP_PLATFORM_STATUS, SNP_COMMIT or SNP_SET_CONFIG on /dev/sev initialise ' +
  'SNP only to answer (and shut it down again): it does not prove that SNP is running';

export type SevItemStatus = 'pass' | 'fail' | 'warn' | 'info' | 'unknown';

export type SevGroup =
  | 'kvm'
  | 'cpu'
  | 'msr'
  | 'module'
  | 'device'
  | 'sev-firmware'
  | 'psp'
  | 'snp-firmware'
  | 'capacity'
  | 'log'
  | 'init2';

/** One line of the section: what was found, how it reads, and where it came from. */
export interface SevItem {
  /** Stable key, e.g. "kvm.vmType.SNP", "snp.tcb.match". */
  id: string;
  group: SevGroup;
  label: string;
  value: string;
  status: SevItemStatus;
  /** Where the value came from: the ioctl, file, log line. */
  source: string;
  /** What the value says about the host, where that needs saying. */
  meaning?: string;
  hint?: string;
}

export interface SevAsidCapacity {
  capacity: number;
  /** Null when misc.current was not read. */
  current: number | null;
  free: number | null;
}

export interface SevInit2Result {
  vmType: string;
  vmsaFeatures: string;
  ok: boolean;
  error?: Explained;
  firmwareError?: DecodedFirmwareError;
}

export interface SevView extends SevHostFacts, SevPlatformFacts, SevKvmAmdFacts {
  title: string;
  items: SevItem[];
  kvmAmd: {
    loaded: boolean | null;
    parameters: Record<string, { raw: string | null; enabled: boolean | null; error?: string }>;
  };
  asids: { sev: SevAsidCapacity | null; sevEs: SevAsidCapacity | null };
  log: SevLogFacts | null;
  init2: SevInit2Result[];
  /** Where each structured field above came from, for rules that quote it. */
  sources: {
    platformStatus: string;
    snpPlatformStatus: string;
    cpuinfo: string;
    kvmAmd: string;
    vmTypes: string;
    kernelLog: string;
  };
  notes: { text: string; source: string }[];
}

function src(fact: { source: Source } | undefined, detail?: string): string {
  if (!fact) return 'not probed';
  const base = describeSource(fact.source);
  return detail === undefined ? base : `${base} (${detail})`;
}

function logSource(fact: Fact<KernelLogRecord[]>, line: string): string {
  return `${describeSource(fact.source)}: "${line.trim()}"`;
}

/**
 * The firmware status of a failed command, when the firmware was asked and said something: 0 means it was not (or it
 * succeeded).
 */
function firmwareStatus(error: ProbeError): number | undefined {
  return error.firmwareError === undefined || error.firmwareError === 0 ? undefined : error.firmwareError;
}

function firmwareText(error: ProbeError): string {
  const status = firmwareStatus(error);
  if (status === undefined) return '';
  const fw = decodeFirmwareError(status);
  return fw.name ? `; firmware ${fw.name} (${fw.hex})` : `; firmware status ${fw.hex}`;
}

class Builder {
  readonly items: SevItem[] = [];
  readonly notes: { text: string; source: string }[] = [];
  add(item: SevItem): void {
    const clean: SevItem = {
      id: item.id,
      group: item.group,
      label: item.label,
      value: item.value,
      status: item.status,
      source: item.source,
    };
    if (item.meaning !== undefined) clean.meaning = item.meaning;
    if (item.hint !== undefined) clean.hint = item.hint;
    this.items.push(clean);
  }
  failed(
    id: string,
    group: SevGroup,
    label: string,
    fact: { source: Source; error: ProbeError },
    extra?: { meaning?: string; hint?: string; status?: SevItemStatus },
  ): Explained {
    const explained = explain(fact.source, fact.error);
    const item: SevItem = {
      id,
      group,
      label,
      value: `${fact.error.code}${firmwareText(fact.error)}`,
      status: extra?.status ?? 'fail',
      source: src(fact),
      meaning: extra?.meaning ?? explained.meaning,
    };
    const hint = extra?.hint ?? explained.hint;
    if (hint !== undefined) item.hint = hint;
    this.add(item);
    return explained;
  }
}

function moduleItems(snapshot: Snapshot, b: Builder): SevView['kvmAmd'] {
  const fact = snapshot.host.modules;
  const parameters: SevView['kvmAmd']['parameters'] = {};
  if (!('value' in fact)) {
    b.failed('module.kvm_amd', 'module', 'kvm_amd', fact, { status: 'unknown' });
    return { loaded: null, parameters };
  }
  const module = fact.value.kvm_amd;
  const root = snapshot.context.root.replace(/\/$/, '');
  if (!module) {
    b.add({
      id: 'module.kvm_amd',
      group: 'module',
      label: 'kvm_amd',
      value: 'not loaded',
      status: 'fail',
      source: src(fact),
      hint: 'modprobe kvm_amd',
    });
    return { loaded: false, parameters };
  }
  b.add({
    id: 'module.kvm_amd',
    group: 'module',
    label: 'kvm_amd',
    value: module.initstate === null ? 'built in' : `loaded (${module.initstate})`,
    status: 'pass',
    source: src(fact),
  });
  for (const p of KVM_AMD_PARAMETERS) {
    const raw = module.parameters[p.name];
    const source = `file ${root}/sys/module/kvm_amd/parameters/${p.name}`;
    const id = `module.kvm_amd.${p.name}`;
    const label = `kvm_amd.${p.name}`;
    if (raw === undefined) {
      parameters[p.name] = { raw: null, enabled: null };
      if (['sev', 'sev_es', 'sev_snp'].includes(p.name)) {
        b.add({
          id,
          group: 'module',
          label,
          value: 'no such parameter',
          status: p.name === 'sev_snp' ? 'fail' : 'unknown',
          source,
          meaning:
            p.name === 'sev_snp'
              ? `this kvm_amd predates SEV-SNP host support (Linux ${kernelChange('snp.kvm-host').since})`
              : 'kvm_amd was built without CONFIG_KVM_AMD_SEV',
        });
      }
      continue;
    }
    if (typeof raw !== 'string') {
      parameters[p.name] = { raw: null, enabled: null, error: raw.code };
      b.add({ id, group: 'module', label, value: `unreadable (${raw.code})`, status: 'unknown', source });
      continue;
    }
    const enabled = p.type === 'bool' || p.name === 'nested' ? parseModuleBool(raw) : null;
    parameters[p.name] = { raw, enabled };
    let status: SevItemStatus = 'info';
    if (['sev', 'sev_es', 'sev_snp', 'npt'].includes(p.name))
      status = enabled === true ? 'pass' : enabled === false ? 'fail' : 'unknown';
    const item: SevItem = { id, group: 'module', label, value: raw, status, source, meaning: p.reason };
    if (enabled === false && ['sev', 'sev_es', 'sev_snp'].includes(p.name)) {
      item.hint =
        p.name === 'sev_snp'
          ? `${NOT_ASKED_FOR} ${releaseRangeText('snp.kvm-host')} is needed`
          : 'the value is what kvm_amd could enable: check the BIOS (SMEE, ' +
            'SEV, SEV-ES ASID Space Limit) and the kernel log';
    }
    b.add(item);
  }
  return { loaded: true, parameters };
}


function capacityItems(snapshot: Snapshot, b: Builder): SevView['asids'] {
  const cap = snapshot.host.miscCapacity;
  const cur = snapshot.host.miscCurrent;
  const one = (key: 'sev' | 'sev_es', label: string): SevAsidCapacity | null => {
    const id = `capacity.${key}`;
    if (!cap) {
      b.add({ id, group: 'capacity', label, value: 'not read', status: 'unknown', source: 'not probed' });
      return null;
    }
    if (!('value' in cap)) {
      b.failed(id, 'capacity', label, cap, { status: 'unknown' });
      return null;
    }
    const capacity = cap.value[key];
    if (capacity === undefined) {
      b.add({
        id,
        group: 'capacity',
        label,
        value: 'no such resource',
        status: 'unknown',
        source: src(cap, key),
        meaning: 'kvm_amd registers sev / sev_es in the misc cgroup when it sets SEV up (Linux 5.13+)',
      });
      return null;
    }
    const current = cur && 'value' in cur ? (cur.value[key] ?? 0) : null;
    // Counts no kernel keeps (more in use than the capacity, or below 0): no free count is made up from them.
    const impossible = capacity < 0 || (current !== null && (current < 0 || current > capacity));
    const free = current === null || impossible ? null : capacity - current;
    b.add({
      id,
      group: 'capacity',
      label,
      value: impossible
        ? `${current ?? 'unknown'} in use of a capacity of ${capacity}: inconsistent`
        : free === null
          ? `capacity ${capacity}, in use unknown`
          : `${free} free of ${capacity} (${current} in use)`,
      status: impossible ? 'warn' : capacity === 0 ? 'fail' : free === 0 ? 'warn' : 'info',
      source: cur && 'value' in cur ? `${src(cap, key)}; ${src(cur, key)}` : src(cap, key),
    });
    return { capacity, current, free };
  };
  return { sev: one('sev', 'SEV ASIDs'), sevEs: one('sev_es', 'SEV-ES/SNP ASIDs') };
}

function logItems(snapshot: Snapshot, b: Builder): SevLogFacts | null {
  const fact = snapshot.host.kernelLog;
  if (!fact) {
    b.add({ id: 'log', group: 'log', label: 'Kernel log', value: 'not read', status: 'unknown', source: 'not probed' });
    return null;
  }
  if (!('value' in fact)) {
    b.failed('log', 'log', 'Kernel log', fact, {
      status: 'unknown',
      hint: 'run as root, or allow unprivileged reads with `sysctl kernel.dmesg_restrict=0`',
    });
    return null;
  }
  // Only the newest boot of a saved log is judged; earlier boots are shown as such.
  const newest = fact.value.filter(inNewestBoot);
  const older = fact.value.length - newest.length;
  if (older > 0)
    b.add({
      id: 'log.earlierBoots',
      group: 'log',
      label: 'Kernel log',
      value: `${older} records of earlier boots left out: only the newest boot is judged`,
      status: 'info',
      source: describeSource(fact.source),
    });
  const log = parseSevLog(newest.map((record) => record.message));
  const at = (t: LogTraced<object>): string => logSource(fact, t.source.line);
  for (const [key, r] of [
    ['sev', log.asids.sev],
    ['sevEs', log.asids.sevEs],
    ['snp', log.asids.snp],
  ] as const) {
    if (!r) continue;
    const span = r.first !== null ? `ASIDs ${r.first} - ${r.last}` : `${r.count} ASIDs`;
    b.add({
      id: `log.asids.${key}`,
      group: 'log',
      label: `kvm_amd: ${r.feature}`,
      value: `${r.state} (${span})`,
      status: r.state === 'enabled' || r.state === 'supported' ? 'pass' : r.state === 'unusable' ? 'warn' : 'fail',
      source: at(r),
      ...(r.state === 'unusable'
        ? {
            meaning:
              key === 'snp'
                ? 'supported, but SNP has no ASIDs (an empty range such as "1 - ' +
                  '0": ciphertext_hiding_asids=0 with hiding on, or a BIOS SEV-ES ' +
                  'ASID limit of 0)'
                : key === 'sevEs'
                  ? 'supported, but the kernel cannot offer it: firmware past ' +
                    'AMD-SB-3023 (the SEV-ES VM type is dropped), or ciphertext ' +
                    'hiding took the whole SEV-ES/SNP range (an empty range such as ' +
                    '"100 - 99")'
                  : 'supported, but no ASIDs are left for it',
          }
        : {}),
      ...(r.state === 'disabled'
        ? { meaning: 'kvm_amd could not enable it; see the firmware, RMP and IOMMU lines' }
        : {}),
    });
  }
  if (log.ciphertextHiding)
    b.add({
      id: 'log.ciphertextHiding',
      group: 'log',
      label: 'SEV-SNP ciphertext hiding',
      value: 'enabled',
      status: 'info',
      source: at(log.ciphertextHiding),
    });
  if (log.sevApi)
    b.add({
      id: 'log.sevApi',
      group: 'log',
      label: 'ccp: SEV firmware',
      value: log.sevApi.text,
      status: 'info',
      source: at(log.sevApi),
    });
  if (log.snpApi) {
    // On 6.16-6.19 SNP_PLATFORM_STATUS (ours, or any tool's) initialises SNP just to answer and prints this line too.
    const selfMade =
      kernelHas(
        'sev.snp-platform-status-inits',
        'value' in snapshot.host.kernelRelease ? snapshot.host.kernelRelease.value : undefined,
      ) !== false;
    b.add({
      id: 'log.snpApi',
      group: 'log',
      label: 'ccp: SEV-SNP firmware',
      value: log.snpApi.text,
      status: selfMade ? 'info' : 'pass',
      source: at(log.snpApi),
      ...(selfMade ? { meaning: `on Linux ${releaseRangeText('sev.snp-platform-status-inits')} ${ALSO_PRINTED}` } : {}),
    });
  }
  if (log.firmwareUpdate) {
    b.add({
      id: 'log.firmwareUpdate',
      group: 'log',
      label: 'ccp: SEV firmware update',
      value: log.firmwareUpdate.from ? `${log.firmwareUpdate.from} -> ${log.firmwareUpdate.to}` : 'applied',
      status: 'info',
      source: at(log.firmwareUpdate),
    });
  }
  if (log.snpNeedsFirmware) {
    b.add({
      id: 'log.snpNeedsFirmware',
      group: 'log',
      label: 'ccp: SEV-SNP firmware',
      value: `needs firmware >= ${log.snpNeedsFirmware.major}.${log.snpNeedsFirmware.minor}`,
      status: 'fail',
      source: at(log.snpNeedsFirmware),
    });
  }
  const release = 'value' in snapshot.host.kernelRelease ? snapshot.host.kernelRelease.value : undefined;
  log.failures.forEach((f, i) => {
    const fw = f.firmwareError === null ? null : decodeFirmwareError(f.firmwareError);
    const item: SevItem = {
      id: `log.failure.${i}`,
      group: 'log',
      label: `${f.reporter}: ${f.technology} firmware`,
      value: describeFailure(f),
      status: 'fail',
      source: at(f),
    };
    const meanings: string[] = [];
    if (f.firmwareError === 0 && f.rc === -110)
      meanings.push(
        'rc -110 (ETIMEDOUT) with no firmware status: the PSP did not answer (see the "timed out, disabling PSP" line)',
      );
    else if (fw?.meaning) meanings.push(fw.meaning);
    else if (fw && !fw.name) meanings.push('the status is not one of the SEV_RET codes in psp-sev.h');
    if (f.operation === 'SNP_DF_FLUSH' && f.reporter === 'ccp')
      meanings.push('printed while shutting SNP down (SNP_SHUTDOWN_EX: module unload, kexec or reboot)');
    if (f.operation === 'SNP_SHUTDOWN_EX')
      meanings.push(
        'SNP firmware shutdown failed (module unload, kexec or reboot); the firmware may still hold SNP state',
      );
    if ((f.operation === 'SNP_PLATFORM_STATUS' || f.operation === 'SNP_FEATURE_INFO') && f.reporter === 'ccp') {
      meanings.push(
        `on Linux ${releaseRangeText('sev.snp-status-removes-dev-sev')} the ccp driver then does not register /dev/sev`,
      );
    }
    // 6.9-6.15 only: __sev_snp_init_locked() on 6.16+ returns without this message.
    if (f.operation === 'SNP INIT' && f.rc !== null && kernelHas('sev.snp-init-rc-message', release) === false) {
      item.status = 'info';
      meanings.push(
        `only Linux ${releaseRangeText('sev.snp-init-rc-message')} print ` +
          `this line, not ${release}: it comes from an older boot or another kernel, not from this one`,
      );
    }
    if (meanings.length) item.meaning = meanings.join('; ');
    b.add(item);
  });
  const psp = log.psp;
  if (psp.sevEnabled)
    b.add({
      id: 'log.psp.sevEnabled',
      group: 'log',
      label: 'ccp: SEV device',
      value: `registered (${psp.sevEnabled.device})`,
      status: 'pass',
      source: at(psp.sevEnabled),
    });
  if (psp.notEnabledByBios)
    b.add({
      id: 'log.psp.bios',
      group: 'log',
      label: 'ccp: SEV',
      value: 'memory encryption not enabled by BIOS',
      status: 'fail',
      source: at(psp.notEnabledByBios),
      hint: 'BIOS: enable SMEE and SEV',
    });
  if (psp.sevInitializationFailed)
    b.add({
      id: 'log.psp.initFailed',
      group: 'log',
      label: 'ccp: SEV device',
      value: 'initialization failed',
      status: 'fail',
      source: at(psp.sevInitializationFailed),
    });
  if (psp.initRetried) {
    b.add({
      id: 'log.psp.initRetried',
      group: 'log',
      label: 'ccp: SEV INIT',
      value: 'retried once after SECURE_DATA_INVALID (0x18)',
      status: 'info',
      source: at(psp.initRetried),
      meaning:
        'the first INIT failed and the driver reset the PSP SEV state ' +
        'and tried again; a failure line after this one is the real error',
    });
  }
  if (psp.tmrAllocationFailed)
    b.add({
      id: 'log.psp.tmr',
      group: 'log',
      label: 'ccp: SEV-ES',
      value: 'TMR allocation failed, SEV-ES unavailable',
      status: 'fail',
      source: at(psp.tmrAllocationFailed),
    });
  psp.timeouts.forEach((t, i) =>
    b.add({
      id: `log.psp.timeout.${i}`,
      group: 'log',
      label: 'ccp: PSP',
      value: `command ${hex(t.command)} timed out; PSP disabled`,
      status: 'fail',
      source: at(t),
      meaning:
        "the command's own failure line then shows error 0x0 and rc -110 " +
        '(ETIMEDOUT: the firmware never answered), and every later ' +
        'command fails with -EBUSY until reboot (psp_dead)',
      hint: 'reboot; if it recurs, update the SEV firmware / BIOS',
    }),
  );
  if (log.rmp.table) {
    b.add({
      id: 'log.rmp',
      group: 'log',
      label: 'RMP table',
      value: `${log.rmp.table.kind} [${log.rmp.table.start} - ${log.rmp.table.end}]`,
      status: 'pass',
      source: at(log.rmp.table),
    });
  }
  if (log.rmp.segmentSizeGiB)
    b.add({
      id: 'log.rmp.segmentSize',
      group: 'log',
      label: 'RMP segments',
      value: `${log.rmp.segmentSizeGiB.gib} GB each, ${log.rmp.segments.length} listed`,
      status: 'info',
      source: at(log.rmp.segmentSizeGiB),
    });
  log.rmp.problems.forEach((p, i) =>
    b.add({
      id: `log.rmp.problem.${i}`,
      group: 'log',
      label: 'RMP table',
      value: p.problem,
      status: 'fail',
      source: at(p),
      meaning: RMP_PROBLEM_MEANING,
      hint: RMP_PROBLEM_FIX,
    }),
  );
  if (log.iommu.snpSupport)
    b.add({
      id: 'log.iommu',
      group: 'log',
      label: 'AMD IOMMU',
      value: 'SNP support enabled',
      status: 'pass',
      source: at(log.iommu.snpSupport),
    });
  log.iommu.problems.forEach((p, i) =>
    b.add({
      id: `log.iommu.problem.${i}`,
      group: 'log',
      label: 'AMD IOMMU',
      value: p.problem,
      status: 'fail',
      source: at(p),
      meaning: IOMMU_PROBLEMS[p.problem]!.meaning,
      hint: IOMMU_PROBLEMS[p.problem]!.fix,
    }),
  );
  if (log.guestFeatures) {
    b.add({
      id: 'log.guest',
      group: 'log',
      label: 'This kernel is an SEV guest',
      value: log.guestFeatures.features.join(' '),
      status: 'warn',
      source: at(log.guestFeatures),
    });
  }
  if (log.matched.length === 0) {
    b.add({
      id: 'log',
      group: 'log',
      label: 'Kernel log',
      value: `no SEV lines in ${fact.value.length} records`,
      status: 'info',
      source: src(fact),
    });
  }
  return log;
}

function vmTypeName(key: string): string {
  const byNumber = KVM_X86_VM_TYPES.find(
    ([header, number, short]) => String(number) === key || header === key || short === key,
  );
  return byNumber ? byNumber[2] : key;
}

function init2Items(snapshot: Snapshot, b: Builder): SevInit2Result[] {
  const init2 = snapshot.kvm.sevInit2;
  if (!init2) return [];
  const results: SevInit2Result[] = [];
  for (const [key, entry] of Object.entries(init2)) {
    const vmType = vmTypeName(key);
    const id = `init2.${vmType}`;
    const label = `KVM_SEV_INIT2 on a ${vmType} VM`;
    if ('value' in entry.result) {
      results.push({ vmType, vmsaFeatures: entry.vmsaFeatures, ok: true });
      b.add({
        id,
        group: 'init2',
        label,
        value: `ok (vmsa_features ${entry.vmsaFeatures})`,
        status: 'pass',
        source: src(entry.result),
      });
      continue;
    }
    const error = entry.result.error;
    const status = firmwareStatus(error);
    const fw = status === undefined ? undefined : decodeFirmwareError(status);
    const meaning =
      error.code === 'EBUSY'
        ? 'no free ASID of this kind'
        : error.code === 'ENOTTY'
          ? 'no ASIDs exist for this VM type (e.g. all SEV-ES ASIDs given to SNP), or SEV is off'
          : fw
            ? `the SEV platform INIT failed: ${fw.name ?? fw.hex}`
            : undefined;
    const explained = b.failed(id, 'init2', label, entry.result, meaning ? { meaning } : undefined);
    const r: SevInit2Result = { vmType, vmsaFeatures: entry.vmsaFeatures, ok: false, error: explained };
    if (fw) r.firmwareError = fw;
    results.push(r);
  }
  return results;
}


/** The rw bits of one `rwx` triple. */



/** Everything the snapshot says about AMD SEV, SEV-ES and SEV-SNP on this host. */
export function sevView(snapshot: Snapshot): SevView {
  const b = new Builder();
  const host = sevHostFacts(snapshot);
  const kvmAmd = moduleItems(snapshot, b);
  const log = logItems(snapshot, b);
  const asids = capacityItems(snapshot, b);
  const init2 = init2Items(snapshot, b);
  return {
    ...host,
    ...sevPlatformFacts(snapshot, host.cpu),
    ...sevKvmAmdFacts(),
    title: 'AMD SEV / SEV-ES / SEV-SNP',
    items: b.items,
    kvmAmd,
    asids,
    log,
    init2,
    sources: {
      platformStatus: src(snapshot.sev?.platformStatus),
      snpPlatformStatus: src(snapshot.sev?.snpPlatformStatus),
      cpuinfo: src(snapshot.host.cpuinfo),
      kvmAmd: src(snapshot.host.modules),
      vmTypes: src(snapshot.kvm.capabilities?.system, 'KVM_CAP_VM_TYPES'),
      kernelLog: src(snapshot.host.kernelLog),
    },
    notes: b.notes,
  };
}
