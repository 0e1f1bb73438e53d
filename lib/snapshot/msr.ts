// Model-specific registers read through the msr driver's device, /dev/cpu/<n>/msr: one
// pread(2) of 8 bytes at the MSR's index, on a descriptor opened read-only. Where the node
// is missing (the msr module is not loaded) or unreadable (not root, lockdown), the error
// is the fact: kvm-caps never loads a module or writes an MSR.
import { closeSync, openSync, readSync } from 'node:fs';
import { attempt } from './facts.js';
import { underRoot } from './host-files.js';
import type { Fact } from './types.js';

/** The MSRs kvm-caps reads on AMD hosts (AMD APM vol. 2, 15.36; snphost reads the same). */
export const AMD_SNP_MSRS = {
  /** SYSCFG: bit 23 SMEE (memory encryption enabled), bit 24 SNPEn (SNP enabled). */
  SYSCFG: 0xc0010010,
  RMP_BASE: 0xc0010132,
  RMP_END: 0xc0010133,
} as const;

/** Reads one MSR of `cpu` as a hex string, under `root`. */
export function readMsr(root: string, cpu: number, index: number): Fact<string> {
  if (!Number.isInteger(cpu) || cpu < 0) throw new RangeError(`cpu must be a non-negative integer, not ${cpu}`);
  if (!Number.isInteger(index) || index < 0 || index > 0xffffffff)
    throw new RangeError(`MSR index must be a u32, not ${index}`);
  const file = underRoot(root, `/dev/cpu/${cpu}/msr`);
  return attempt({ syscall: 'pread', path: file }, () => {
    const fd = openSync(file, 'r');
    try {
      const buffer = Buffer.alloc(8);
      const read = readSync(fd, buffer, 0, 8, index);
      // The driver answers a whole MSR or fails (EIO for an MSR the CPU does not have).
      if (read !== 8)
        throw Object.assign(new Error(`short read of MSR 0x${index.toString(16)}: ${read} bytes`), {
          code: 'EIO',
          errno: -5,
          syscall: 'pread',
          path: file,
        });
      return `0x${buffer.readBigUInt64LE(0).toString(16)}`;
    } finally {
      closeSync(fd);
    }
  });
}
