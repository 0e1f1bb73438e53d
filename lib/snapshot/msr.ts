// Model-specific registers read through the msr driver's device, /dev/cpu/<n>/msr: one
// pread(2) of 8 bytes at the MSR's index, on a descriptor opened read-only. Where the node
// is missing (the msr module is not loaded) or unreadable (not root, lockdown), the error
// is the fact: kvm-caps never loads a module or writes an MSR.
import { hex } from '../knowledge/hex.js';
import { cpuDeviceFile, preadCpuDevice } from './cpu-device.js';
import { attempt } from './facts.js';
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
  if (!Number.isInteger(index) || index < 0 || index > 0xffffffff)
    throw new RangeError(`MSR index must be a u32, not ${index}`);
  const file = cpuDeviceFile(root, cpu, 'msr');
  // The driver answers a whole MSR or fails (EIO for an MSR the CPU does not have).
  return attempt({ syscall: 'pread', path: file }, () => {
    const buffer = preadCpuDevice(file, index, 8, `MSR ${hex(index)}`);
    return hex(buffer.readBigUInt64LE(0));
  });
}
