// The command's exit codes, in a module of their own: the launcher (kvm-caps.ts) needs them
// before the command is loaded, and must not load the rest to get them.

/** Exit codes, stable across releases; the README documents them. */
export const EXIT = {
  /** Done; the KVM device answered (or, with --from, answered when the snapshot was taken); `check`: ready. */
  ok: 0,
  /** `check`: a technology asked about is not ready. `diff`: the snapshots differ where it matters. */
  notReady: 1,
  /** Bad command line. */
  usage: 2,
  /**
   * Could not tell: output was produced, but the KVM device could not be opened or used, or a check needs a privilege
   * or device it lacked.
   */
  couldNotTell: 3,
  /** The --from snapshot (or another input file) could not be read or is not valid, or -o could not be written. */
  file: 4,
  /** An unexpected failure inside kvm-caps: a bug, or the addon is not built (EX_SOFTWARE). */
  internal: 70,
} as const;
