// The SEV model's device, sev-firmware, snp-firmware and psp groups: /dev/sev (node, open, who may open it, memlock), SEV_PLATFORM_STATUS, SEV_GET_ID2, SNP_PLATFORM_STATUS and the PSP's sysfs facts.
// Typed values with their sources only: no status and no prose (check judges, render words).

// biome-ignore lint/suspicious/noEmptyInterface: empty until its group moves to typed fields
export interface SevPlatformFacts {}

export function sevPlatformFacts(): SevPlatformFacts {
  return {};
}
