// The one kernel-version table: what each Linux release added, removed or changed that
// kvm-caps' answers depend on, each row with the commit or source file that shows it.
// Every rule that depends on the running kernel's version asks this table through
// `kernelHas()`; nothing else parses a kernel release.

/** A kernel release as `uname -r` prints it, reduced to what the table compares. */
export interface KernelRelease {
  readonly major: number;
  readonly minor: number;
  /** The stable patch level; 0 when the release has none (`6.8.0-31-generic` gives 0). */
  readonly patch: number;
  /** The text as given, for messages. */
  readonly text: string;
}

/** One change in the kernel: present from `since` up to, not including, `until`. */
export interface KernelChange {
  /** Stable identifier rules refer to, e.g. `kvm.cap-vm-types`. */
  readonly id: string;
  /** First mainline release that has it, as `major.minor`. */
  readonly since: string;
  /** First mainline release that no longer has it; absent while it still holds. */
  readonly until?: string;
  /** What changed, in a sentence a user can read. */
  readonly what: string;
  /** Where this is shown: a commit (`abcdef123456 "subject"`) or a file at a tag. */
  readonly citation: string;
}

const RELEASE = /^\s*(\d+)\.(\d+)(?:\.(\d+))?/;

/** Parses the leading `major.minor[.patch]` of a release string; undefined when there is none. */
export function parseKernelRelease(text: string): KernelRelease | undefined {
  const match = RELEASE.exec(text);
  if (!match) return undefined;
  return { major: Number(match[1]), minor: Number(match[2]), patch: match[3] === undefined ? 0 : Number(match[3]), text };
}

/** Orders two releases by major, minor and patch. */
export function compareReleases(a: KernelRelease, b: KernelRelease): number {
  return a.major - b.major || a.minor - b.minor || a.patch - b.patch;
}

function bound(text: string): KernelRelease {
  const parsed = parseKernelRelease(text);
  if (!parsed) throw new RangeError(`not a kernel release: ${text}`);
  return parsed;
}

/** True when `release` lies in [since, until): `since` inclusive, `until` exclusive. */
export function releaseInRange(release: KernelRelease, since: string, until?: string): boolean {
  return compareReleases(release, bound(since)) >= 0 && (until === undefined || compareReleases(release, bound(until)) < 0);
}

export const KERNEL_CHANGES: readonly KernelChange[] = [
  // Rows are added by area; ids are unique (the tests check it).
  {
    id: 'x86.feat-ctl-clears-vmx',
    since: '5.6',
    what: 'The boot code checks IA32_FEATURE_CONTROL: when the firmware left VMX disabled it logs "x86/cpu: VMX (outside TXT) disabled by BIOS" and clears the vmx flag, so /proc/cpuinfo no longer shows vmx on such a CPU.',
    citation: 'ef4d3bf19855 "x86/cpu: Clear VMX feature flag if VMX is not fully enabled"; arch/x86/kernel/cpu/feat_ctl.c at 5.10, 6.1 and 7.2',
  },
];

/** The row with this id; throws on an unknown id, which is a programming error. */
export function kernelChange(id: string): KernelChange {
  const row = KERNEL_CHANGES.find((change) => change.id === id);
  if (!row) throw new RangeError(`no kernel change named ${id}`);
  return row;
}

/**
 * Whether a kernel of this release has the change: true or false, or undefined when the
 * release cannot be parsed (a vendor string without a version), so callers say "cannot tell".
 */
export function kernelHas(id: string, release: string | KernelRelease | undefined): boolean | undefined {
  const change = kernelChange(id);
  const parsed = typeof release === 'string' ? parseKernelRelease(release) : release;
  if (!parsed) return undefined;
  return releaseInRange(parsed, change.since, change.until);
}
