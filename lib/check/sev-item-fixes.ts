// The SEV view's items that are failed probes carry the failure instead of a fix, since decode
// gives no advice: the fix is the checks' (failure-fixes.ts), filled in here for the SEV rules
// and the SEV text that still read `item.hint`. It goes with the items, when every SEV group
// reads typed fields.
import type { SevView } from '../decode/sev.js';
import { failureFix } from './failure-fixes.js';

export function withFailureFixes<V extends Pick<SevView, 'items'>>(sev: V): V {
  if (!sev.items.some((i) => i.failure !== undefined && i.hint === undefined)) return sev;
  const items = sev.items.map((i) => {
    const fix = i.hint === undefined && i.failure !== undefined ? failureFix(i.failure) : undefined;
    return fix === undefined ? i : { ...i, hint: fix };
  });
  return { ...sev, items };
}
