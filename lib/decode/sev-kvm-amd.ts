// The SEV model's module, capacity, log and init2 groups: kvm_amd and its parameters, the SEV ASIDs in the misc cgroup, the kernel log and the --deep KVM_SEV_INIT2 answers.
// Typed values with their sources only: no status and no prose (check judges, render words).

export type SevKvmAmdFacts = {};

export function sevKvmAmdFacts(): SevKvmAmdFacts {
  return {};
}
