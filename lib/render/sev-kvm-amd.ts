// The SEV view's kvm_amd, ASIDs, kernel log and --deep KVM_SEV_INIT2 lines, in words, from the model's typed
// facts (decode/sev-kvm-amd.ts). No status: the SEV, SEV-ES and SEV-SNP checks judge them.
import { failureMeaning } from '../knowledge/probe-failures.js';
import {
  ASIDS_UNUSABLE,
  asidCapacityWords,
  asidRangeText,
  logFailureText,
  init2Words,
  missingParameterMeaning,
  notThisKernels,
  notThisKernelsMeaning,
  snpApiLineMeaning,
} from '../check/sev-kvm-amd-text.js';
import { decodeFirmwareError } from '../decode/sev-fields.js';
import type { FirmwareFailure } from '../decode/sev-log.js';
import { known } from '../decode/sourced.js';
import { hex } from '../knowledge/hex.js';
import { releaseRangeText } from '../knowledge/kernel-versions.js';
import { IOMMU_PROBLEMS, KVM_AMD_PARAMETERS, RMP_PROBLEM_MEANING, sevRetMeaning } from '../knowledge/sev.js';
import type { SevSection } from './report.js';
import type { SevLine } from './sev-line.js';

/** The parameters whose value is what kvm_amd could enable: their meaning is said when they are not Y. */
const GATES = new Set(['sev', 'sev_es', 'sev_snp', 'npt']);

export function moduleLines(view: SevSection): SevLine[] {
  const m = view.kvmAmd.module;
  const module = { id: 'module.kvm_amd', label: 'kvm_amd', source: m.source };
  if ('error' in m) return [{ ...module, value: m.error.code, meaning: failureMeaning(m.error) }];
  if (!m.value.loaded) return [{ ...module, value: 'not loaded' }];
  const { initstate } = m.value;
  const lines: SevLine[] = [{ ...module, value: initstate === null ? 'built in' : `loaded (${initstate})` }];
  for (const p of KVM_AMD_PARAMETERS) {
    const param = view.kvmAmd.parameters[p.name];
    if (param === undefined) continue;
    const line = { id: `module.kvm_amd.${p.name}`, label: `kvm_amd.${p.name}`, source: param.source ?? m.source };
    if ('error' in param) lines.push({ ...line, value: `unreadable (${param.error.code})` });
    else if ('missing' in param) {
      if (['sev', 'sev_es', 'sev_snp'].includes(p.name))
        lines.push({ ...line, value: 'no such parameter', meaning: missingParameterMeaning(p.name) });
    } else {
      const said = p.reason !== undefined && (!GATES.has(p.name) || param.value.enabled !== true);
      lines.push({ ...line, value: param.value.raw, ...(said ? { meaning: p.reason } : {}) });
    }
  }
  return lines;
}

export function capacityLines(view: SevSection): SevLine[] {
  return (
    [
      ['sev', 'SEV ASIDs', view.asids.sev],
      ['sev_es', 'SEV-ES/SNP ASIDs', view.asids.sevEs],
    ] as const
  ).map(([key, label, asids]) => ({
    id: `capacity.${key}`,
    label,
    ...asidCapacityWords(asids),
    source: asids.source ?? 'not probed',
    summary: true,
  }));
}

/** What a firmware failure line says, where that needs saying. */
function logFailureMeaning(f: FirmwareFailure, release: string | undefined): string | undefined {
  const fw = f.firmwareError === null ? null : decodeFirmwareError(f.firmwareError);
  const fwMeaning = fw?.name ? sevRetMeaning(fw.name) : undefined;
  const meanings: string[] = [];
  if (f.firmwareError === 0 && f.rc === -110)
    meanings.push(
      'rc -110 (ETIMEDOUT) with no firmware status: the PSP did not answer (see the "timed out, disabling PSP" line)',
    );
  else if (fwMeaning) meanings.push(fwMeaning);
  else if (fw && !fw.name) meanings.push('the status is not one of the SEV_RET codes in psp-sev.h');
  if (f.operation === 'SNP_DF_FLUSH' && f.reporter === 'ccp')
    meanings.push('printed while shutting SNP down (SNP_SHUTDOWN_EX: module unload, kexec or reboot)');
  if (f.operation === 'SNP_SHUTDOWN_EX')
    meanings.push(
      'SNP firmware shutdown failed (module unload, kexec or reboot); the firmware may still hold SNP state',
    );
  if ((f.operation === 'SNP_PLATFORM_STATUS' || f.operation === 'SNP_FEATURE_INFO') && f.reporter === 'ccp')
    meanings.push(
      `on Linux ${releaseRangeText('sev.snp-status-removes-dev-sev')} the ccp driver then does not register /dev/sev`,
    );
  // 6.9-6.15 only: __sev_snp_init_locked() on 6.16+ returns without this message.
  if (notThisKernels(f, release)) meanings.push(notThisKernelsMeaning(release));
  return meanings.length ? meanings.join('; ') : undefined;
}

export function logLines(view: SevSection): SevLine[] {
  const read = view.kernelLog;
  if ('missing' in read) return [{ id: 'log', label: 'Kernel log', value: 'not read', source: 'not probed' }];
  if ('error' in read)
    return [
      {
        id: 'log',
        label: 'Kernel log',
        value: read.error.code,
        source: read.source,
        meaning: failureMeaning(read.error),
      },
    ];
  const log = view.log;
  if (log === null) return [];
  const release = known(view.kernelRelease);
  const lines: SevLine[] = [];
  const older = read.value.olderBootRecords;
  if (older > 0)
    lines.push({
      id: 'log.earlierBoots',
      label: 'Kernel log',
      value: `${older} records of earlier boots left out: only the newest boot is judged`,
      source: read.source,
    });
  for (const key of ['sev', 'sevEs', 'snp'] as const) {
    const r = log.asids[key];
    if (!r) continue;
    const meaning =
      r.value.state === 'unusable'
        ? ASIDS_UNUSABLE[key]
        : r.value.state === 'disabled'
          ? 'kvm_amd could not enable it; see the firmware, RMP and IOMMU lines'
          : undefined;
    lines.push({
      id: `log.asids.${key}`,
      label: `kvm_amd: ${r.value.feature}`,
      value: asidRangeText(r.value),
      source: r.source,
      ...(meaning === undefined ? {} : { meaning }),
    });
  }
  if (log.ciphertextHiding)
    lines.push({
      id: 'log.ciphertextHiding',
      label: 'SEV-SNP ciphertext hiding',
      value: 'enabled',
      source: log.ciphertextHiding.source,
    });
  if (log.sevApi)
    lines.push({
      id: 'log.sevApi',
      label: 'ccp: SEV firmware',
      value: log.sevApi.value.text,
      source: log.sevApi.source,
    });
  if (log.snpApi) {
    const meaning = snpApiLineMeaning(release);
    lines.push({
      id: 'log.snpApi',
      label: 'ccp: SEV-SNP firmware',
      value: log.snpApi.value.text,
      source: log.snpApi.source,
      ...(meaning === undefined ? {} : { meaning }),
    });
  }
  if (log.firmwareUpdate) {
    const { from, to } = log.firmwareUpdate.value;
    lines.push({
      id: 'log.firmwareUpdate',
      label: 'ccp: SEV firmware update',
      value: from ? `${from} -> ${to}` : 'applied',
      source: log.firmwareUpdate.source,
    });
  }
  if (log.snpNeedsFirmware)
    lines.push({
      id: 'log.snpNeedsFirmware',
      label: 'ccp: SEV-SNP firmware',
      value: `needs firmware >= ${log.snpNeedsFirmware.value.major}.${log.snpNeedsFirmware.value.minor}`,
      source: log.snpNeedsFirmware.source,
    });
  log.failures.forEach((f, i) => {
    const meaning = logFailureMeaning(f.value, release);
    lines.push({
      id: `log.failure.${i}`,
      label: `${f.value.reporter}: ${f.value.technology} firmware`,
      value: logFailureText(f.value),
      source: f.source,
      ...(meaning === undefined ? {} : { meaning }),
    });
  });
  const psp = log.psp;
  if (psp.sevEnabled)
    lines.push({
      id: 'log.psp.sevEnabled',
      label: 'ccp: SEV device',
      value: `registered (${psp.sevEnabled.value.device})`,
      source: psp.sevEnabled.source,
    });
  if (psp.notEnabledByBios)
    lines.push({
      id: 'log.psp.bios',
      label: 'ccp: SEV',
      value: 'memory encryption not enabled by BIOS',
      source: psp.notEnabledByBios.source,
    });
  if (psp.sevInitializationFailed)
    lines.push({
      id: 'log.psp.initFailed',
      label: 'ccp: SEV device',
      value: 'initialization failed',
      source: psp.sevInitializationFailed.source,
    });
  if (psp.initRetried)
    lines.push({
      id: 'log.psp.initRetried',
      label: 'ccp: SEV INIT',
      value: 'retried once after SECURE_DATA_INVALID (0x18)',
      source: psp.initRetried.source,
      meaning:
        'the first INIT failed and the driver reset the PSP SEV state ' +
        'and tried again; a failure line after this one is the real error',
    });
  if (psp.tmrAllocationFailed)
    lines.push({
      id: 'log.psp.tmr',
      label: 'ccp: SEV-ES',
      value: 'TMR allocation failed, SEV-ES unavailable',
      source: psp.tmrAllocationFailed.source,
    });
  psp.timeouts.forEach((t, i) =>
    lines.push({
      id: `log.psp.timeout.${i}`,
      label: 'ccp: PSP',
      value: `command ${hex(t.value)} timed out; PSP disabled`,
      source: t.source,
      meaning:
        "the command's own failure line then shows error 0x0 and rc -110 " +
        '(ETIMEDOUT: the firmware never answered), and every later ' +
        'command fails with -EBUSY until reboot (psp_dead)',
    }),
  );
  if (log.rmp.table) {
    const { kind, start, end } = log.rmp.table.value;
    lines.push({
      id: 'log.rmp',
      label: 'RMP table',
      value: `${kind} [${start} - ${end}]`,
      source: log.rmp.table.source,
    });
  }
  if (log.rmp.segmentSizeGiB)
    lines.push({
      id: 'log.rmp.segmentSize',
      label: 'RMP segments',
      value: `${log.rmp.segmentSizeGiB.value} GB each, ${log.rmp.segments.length} listed`,
      source: log.rmp.segmentSizeGiB.source,
    });
  log.rmp.problems.forEach((p, i) =>
    lines.push({
      id: `log.rmp.problem.${i}`,
      label: 'RMP table',
      value: p.value,
      source: p.source,
      meaning: RMP_PROBLEM_MEANING,
    }),
  );
  if (log.iommu.snpSupport)
    lines.push({
      id: 'log.iommu',
      label: 'AMD IOMMU',
      value: 'SNP support enabled',
      source: log.iommu.snpSupport.source,
    });
  log.iommu.problems.forEach((p, i) =>
    lines.push({
      id: `log.iommu.problem.${i}`,
      label: 'AMD IOMMU',
      value: p.value,
      source: p.source,
      meaning: IOMMU_PROBLEMS[p.value]!.meaning,
    }),
  );
  if (log.guestFeatures)
    lines.push({
      id: 'log.guest',
      // A host with SME active prints the same line ("AMD SME"); only SEV features make this kernel a guest.
      label: log.guestFeatures.value.includes('SEV')
        ? 'This kernel is an SEV guest'
        : 'Memory encryption in this kernel',
      value: log.guestFeatures.value.join(' '),
      source: log.guestFeatures.source,
    });
  if (log.matched.length === 0)
    lines.push({
      id: 'log',
      label: 'Kernel log',
      value: `no SEV lines in ${read.value.records} records`,
      source: read.source,
    });
  return lines;
}

export function init2Lines(view: SevSection): SevLine[] {
  return view.init2.map((r) => ({
    id: `init2.${r.vmType}`,
    label: `KVM_SEV_INIT2 on a ${r.vmType} VM`,
    ...init2Words(r),
    source: r.result.source,
  }));
}
