// Counts of guest keys from the misc cgroup (misc.capacity and misc.current: TDX KeyIDs, SEV
// and SEV-ES/SNP ASIDs). The kernel keeps current <= capacity and neither below 0: in
// kernel/cgroup/misc.c misc_cg_try_charge() refuses (-EBUSY) a charge whose new usage would
// exceed the capacity, and both files print u64 values (read in the tree at torvalds/linux
// 0d20742b8e6b; so since the controller came in Linux 5.13). A count that breaks this did not come
// from one consistent reading: a snapshot edited by hand or put together from two hosts, or files
// under --root copied at different moments. Such a fact is neither a pass nor a failure of the
// host: it is a WARN that quotes both numbers, and nothing is derived from it (decode leaves the
// free count unknown, so no NFD label or Prometheus sample shows a negative number).
import { warn } from './rules/kvm.js';
import type { Finding } from './types.js';

/** Whether capacity and in-use can be a real reading: both at least 0, in use at most the capacity. */
export function countsConsistent(capacity: number, inUse: number | null): boolean {
  return capacity >= 0 && (inUse === null || (inUse >= 0 && inUse <= capacity));
}

/** The WARN for counts that cannot be, with both numbers; null when they can be. */
export function inconsistentCounts(
  what: string,
  capacity: number,
  inUse: number | null,
  source: string,
): Finding | null {
  if (countsConsistent(capacity, inUse)) return null;
  const numbers = inUse === null ? `capacity ${capacity}` : `${inUse} in use of a capacity of ${capacity}`;
  return warn(
    `inconsistent ${what} counts: ` +
      `${numbers} (misc.current cannot exceed misc.capacity, and neither can be negative); the free count is unknown`,
    source,
    'read misc.capacity and misc.current again, from the same host at the same moment (a fresh `kvm-caps snapshot`)',
  );
}
