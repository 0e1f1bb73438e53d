// The headings of the report's confidential-computing sections and of `kvm-caps tdx` / `kvm-caps sev`: display
// words, so render's alone (the models and their JSON carry none).
export const SECTION_TITLES = {
  tdx: 'Intel TDX',
  sev: 'AMD SEV / SEV-ES / SEV-SNP',
} as const;
