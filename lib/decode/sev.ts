// The AMD SEV model: what `snphost ok` and `sevctl ok` would look at, from the snapshot alone.
// Each area is a facet of its own (sev-host.ts: VM types, KVM's SEV attributes, CPU, CPUID and
// MSRs; sev-platform.ts: /dev/sev, the SEV and SNP platform status, the PSP; sev-kvm-amd.ts:
// kvm_amd, ASIDs, the kernel log, the --deep KVM_SEV_INIT2 answers). Every field is a typed
// value with its source or why it is not known; check judges it and render words it.
import type { Snapshot } from '../snapshot/types.js';
import { sevHostFacts, type SevHostFacts } from './sev-host.js';
import { sevKvmAmdFacts, type SevKvmAmdFacts } from './sev-kvm-amd.js';
import { sevPlatformFacts, type SevPlatformFacts } from './sev-platform.js';

export interface SevView extends SevHostFacts, SevPlatformFacts, SevKvmAmdFacts {}

/** Everything the snapshot says about AMD SEV, SEV-ES and SEV-SNP on this host. */
export function sevView(snapshot: Snapshot): SevView {
  const host = sevHostFacts(snapshot);
  return { ...host, ...sevPlatformFacts(snapshot, host.cpu), ...sevKvmAmdFacts(snapshot) };
}
