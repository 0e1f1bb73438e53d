// The words for the SEV model's kvm_amd, ASID, kernel-log and KVM_SEV_INIT2 facts that the checks' `found` lines,
// `diff` and `kvm-caps sev` share: one wording for each. Decode keeps typed values only.
import { failureMeaning } from '../knowledge/probe-failures.js';
import type { SevAsidCapacity, SevInit2Result } from '../decode/sev-kvm-amd.js';
import type { AsidRange, FirmwareFailure } from '../decode/sev-log.js';
import type { Traced } from '../decode/sourced.js';
import { firmwareStatusOf } from '../decode/sev-fields.js';
import { hex } from '../knowledge/hex.js';
import { kernelChange, kernelHas, releaseRangeText } from '../knowledge/kernel-versions.js';

/** A value in words, with what it says where that needs saying. */
export interface Words {
  value: string;
  meaning?: string;
}

/** A firmware failure of the log as one line: "SNP_INIT_EX failed: SEV_RET_INAVLID_CONFIG (0x3), rc -5". */
export function logFailureText(f: FirmwareFailure): string {
  const parts: string[] = [];
  if (f.firmwareError === 0) parts.push('no firmware status (0x0): the kernel failed before or without the firmware');
  else if (f.firmwareError !== null) {
    const fwHex = hex(f.firmwareError);
    parts.push(f.errorName ? `${f.errorName} (${fwHex})` : `firmware status ${fwHex} (not a psp-sev.h SEV_RET code)`);
  }
  if (f.rc !== null) parts.push(`rc ${f.rc}`);
  return (
    `${f.technology === 'SNP' && !f.operation.startsWith('SNP') ? 'SNP ' : ''}` +
    `${f.operation} failed` +
    `${parts.length ? `: ${parts.join(', ')}` : ''}`
  );
}

/**
 * Whether a firmware failure line cannot be this kernel's: 6.9-6.15's "failed to INIT rc" line (its `rc`) in the log
 * of a kernel that does not print it comes from an older boot or another kernel, so it is not this boot's cause.
 */
export function notThisKernels(f: FirmwareFailure, release: string | undefined): boolean {
  return f.operation === 'SNP INIT' && f.rc !== null && kernelHas('sev.snp-init-rc-message', release) === false;
}

/** What a firmware failure line that is not this kernel's means (see notThisKernels). */
export function notThisKernelsMeaning(release: string | undefined): string {
  return (
    `only Linux ${releaseRangeText('sev.snp-init-rc-message')} print ` +
    `this line, not ${release}: it comes from an older boot or another kernel, not from this one`
  );
}

const ALSO_PRINTED =
  'this line is also printed when SNP_PLATFORM_STATUS, SNP_COMMIT or SNP_SET_CONFIG on /dev/sev initialise ' +
  'SNP only to answer (and shut it down again): it does not prove that SNP is running';

/**
 * What the ccp "SEV-SNP API" line means on this kernel: on 6.16-6.19 SNP_PLATFORM_STATUS (ours, or any tool's)
 * initialises SNP just to answer and prints it too (also where the release cannot be read); undefined elsewhere.
 */
export function snpApiLineMeaning(release: string | undefined): string | undefined {
  return kernelHas('sev.snp-platform-status-inits', release) === false
    ? undefined
    : `on Linux ${releaseRangeText('sev.snp-platform-status-inits')} ${ALSO_PRINTED}`;
}

/** kvm_amd's ASID line: "enabled (ASIDs 1 - 99)", or "supported (410 ASIDs)" in the older wording. */
export function asidRangeText(r: AsidRange): string {
  return `${r.state} (${r.first !== null ? `ASIDs ${r.first} - ${r.last}` : `${r.count} ASIDs`})`;
}

/** What kvm_amd's "unusable" ASID line says, by whose line it is: supported, but its ASID range is empty. */
export const ASIDS_UNUSABLE: Readonly<Record<'sev' | 'sevEs' | 'snp', string>> = {
  snp:
    'supported, but SNP has no ASIDs (an empty range such as "1 - 0": ciphertext_hiding_asids=0 with hiding on, ' +
    'or a BIOS SEV-ES ASID limit of 0)',
  sevEs:
    'supported, but the kernel cannot offer it: firmware past AMD-SB-3023 (the SEV-ES VM type is dropped), or ' +
    'ciphertext hiding took the whole SEV-ES/SNP range (an empty range such as "100 - 99")',
  sev: 'supported, but no ASIDs are left for it',
};

/** Why kvm_amd has no `sev`, `sev_es` or `sev_snp` parameter. */
export function missingParameterMeaning(name: string): string {
  return name === 'sev_snp'
    ? `this kvm_amd predates SEV-SNP host support (Linux ${kernelChange('snp.kvm-host').since})`
    : 'kvm_amd was built without CONFIG_KVM_AMD_SEV';
}

/** The misc cgroup's count of one kind of ASID. */
export function asidCapacityWords(asids: Traced<SevAsidCapacity>): Words {
  if ('error' in asids) return { value: asids.error.code, meaning: failureMeaning(asids.error) };
  if ('missing' in asids)
    return asids.source === undefined
      ? { value: 'not read' }
      : {
          value: 'no such resource',
          meaning: `kvm_amd registers sev / sev_es in the misc cgroup when it sets SEV up (Linux ${releaseRangeText('sev.misc-cgroup-asids')})`,
        };
  const { capacity, current, free } = asids.value;
  const impossible = capacity < 0 || (current !== null && (current < 0 || current > capacity));
  if (impossible) return { value: `${current ?? 'unknown'} in use of a capacity of ${capacity}: inconsistent` };
  if (free === null) return { value: `capacity ${capacity}, in use unknown` };
  return { value: `${free} free of ${capacity} (${current} in use)` };
}

/** A --deep KVM_SEV_INIT2 answer: "ok (vmsa_features 0x0)", or the error with what it means for this command. */
export function init2Words(r: SevInit2Result): Words {
  if ('value' in r.result) return { value: `ok (vmsa_features ${r.vmsaFeatures})` };
  const error = r.result.error;
  const fw = firmwareStatusOf(error);
  const value = `${error.code}${fw === null ? '' : fw.name ? `; firmware ${fw.name} (${fw.hex})` : `; firmware status ${fw.hex}`}`;
  const meaning =
    error.code === 'EBUSY'
      ? 'no free ASID of this kind'
      : error.code === 'ENOTTY'
        ? 'no ASIDs exist for this VM type (e.g. all SEV-ES ASIDs given to SNP), or SEV is off'
        : fw
          ? `the SEV platform INIT failed: ${fw.name ?? fw.hex}`
          : failureMeaning(error);
  return { value, meaning };
}
