// A failed probe in words: what the kernel's answer says about the host (the kernel-behaviour
// table in lib/knowledge/probe-failures.ts). The fix is the checks' (lib/check/failure-fixes.ts).
import type { ProbeFailure } from '../decode/failure.js';
import { failureMeaning } from '../knowledge/probe-failures.js';

/** What a failure says about the host: "the KVM device exists but this user may not open it". */
export function failureText(failure: ProbeFailure): string {
  return failureMeaning(failure);
}
