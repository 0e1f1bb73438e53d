// The words for the SEV model's kvm and cpu facts that both the checks' found lines and
// `kvm-caps sev` say: what a VM type's answer means on this kernel, why a cpuinfo flag is absent,
// and the ASID split of CPUID 0x8000001F. Decode keeps typed values only.
import type { SevCpuidSummary } from '../decode/sev-fields.js';
import type { SevHostFacts, SevVmTypeName } from '../decode/sev-host.js';
import type { Traced } from '../decode/sourced.js';
import { kernelChange, kernelHas, releaseRangeText } from '../knowledge/kernel-versions.js';
import { releaseOf } from './rules/kvm.js';

const LEGACY_ONLY =
  'only the default VM type exists, and SEV/SEV-ES guests can only use the legacy KVM_SEV_INIT / ' +
  'KVM_SEV_ES_INIT; SNP needs';
const NO_SEV_VM_TYPE =
  'but has no SEV VM type yet; SEV and SEV-ES guests use KVM_SEV_INIT / KVM_SEV_ES_INIT on a default VM ' +
  '(QEMU does this). The SEV VM types came in';
const SNP_MASKED =
  'never show sev_snp: the feature was masked until "x86/cpufeatures: Enable/unmask SEV-SNP CPU feature"';

/** Where a traced fact came from, or "not probed". */
export const sourceOf = (fact: Traced<unknown>): string => ('source' in fact && fact.source) || 'not probed';

/** A SEV VM type in KVM_CAP_VM_TYPES, in words: the answer and, where it needs saying, what it means here. */
export function vmTypeText(view: SevHostFacts, name: SevVmTypeName): { value: string; meaning?: string } {
  const mask = view.vmTypeMask;
  if ('missing' in mask) return { value: 'unknown', meaning: mask.missing };
  if ('error' in mask)
    return { value: 'unknown', meaning: `KVM_CHECK_EXTENSION(KVM_CAP_VM_TYPES) failed: ${mask.error.code}` };
  const type = view.vmTypes.find((t) => t.name === name)!;
  const release = releaseOf(view);
  if (mask.value === 0)
    return {
      value: 'not enumerable (KVM_CAP_VM_TYPES is 0)',
      meaning:
        `this kernel predates KVM_CAP_VM_TYPES (Linux ${kernelChange('kvm.cap-vm-types').since}): ` +
        `${LEGACY_ONLY} ${releaseRangeText('snp.kvm-host')}`,
    };
  if (!type.offered && name !== 'SNP' && kernelHas('kvm.sev-vm-types', release) === false)
    // 6.8 and 6.9 report VM types, but the SEV ones came in 6.10: a mask of 0x1 or 0x3 is not "SEV off".
    return {
      value: 'not a VM type on this kernel',
      meaning:
        `this kernel (Linux ${kernelChange('kvm.cap-vm-types').since} up ` +
        `to ${kernelChange('kvm.sev-vm-types').since}) reports VM types ` +
        `${NO_SEV_VM_TYPE} ${kernelChange('kvm.sev-vm-types').since}`,
    };
  if (!type.offered && name === 'SNP' && kernelHas('snp.kvm-host', release) === false)
    return {
      value: 'not a VM type on this kernel',
      meaning: `KVM_X86_SNP_VM came in Linux ${kernelChange('snp.kvm-host').since}: mainline kernels before it run no SEV-SNP guests`,
    };
  if (type.offered) return { value: 'offered' };
  return {
    value: 'not offered',
    meaning:
      `KVM_CREATE_VM(${type.type}) will fail with EINVAL; QEMU says ` +
      `"vm-type ${name.toLowerCase().replace('_', '-')} not supported by KVM"`,
  };
}

/** Why the kernel does not show a SEV cpuinfo flag on this kernel. */
export function flagAbsentText(view: SevHostFacts, flag: 'sev' | 'sev_es' | 'sev_snp'): string {
  if (flag !== 'sev_snp')
    return (
      'the kernel clears sev/sev_es when SYSCFG.MemEncryptionModeEn ' +
      '(bit 23, SMEE) or HWCR.SMMLOCK is off, i.e. the BIOS has not ' +
      'enabled memory encryption (early_detect_mem_encrypt), or the ' +
      'CPU lacks it'
    );
  if (kernelHas('snp.cpu-flag', releaseOf(view)) === false)
    return `kernels before ${kernelChange('snp.cpu-flag').since} ${SNP_MASKED}`;
  return (
    'the kernel clears sev_snp when the RMP table was not reserved ' +
    'by the BIOS, the host is a VM, or the CPU is not supported ' +
    '(bsp_determine_snp)'
  );
}

export const MIN_SEV_ASID_LABEL = 'Minimum ASID for SEV (non-ES) guests';

/** The ASID split that CPUID 0x8000001F EDX (the lowest SEV ASID) and ECX (the highest) give. */
export function asidSplitText(cpuid: SevCpuidSummary): string {
  if (!cpuid.sevEsAsids) return 'no ASIDs below it: the BIOS left none for SEV-ES/SNP ("SEV-ES ASID Space Limit")';
  const sev = cpuid.sevAsids ? `${cpuid.sevAsids.first}-${cpuid.sevAsids.last}` : 'none';
  return `SEV-ES/SNP ASIDs ${cpuid.sevEsAsids.first}-${cpuid.sevEsAsids.last}; SEV ASIDs ${sev}`;
}
