// The host's raw CPUID, read through the x86 cpuid driver's device, /dev/cpu/<n>/cpuid: one
// pread(2) of 16 bytes (EAX, EBX, ECX, EDX, little-endian) at file offset
// `leaf | (subleaf << 32)`, on a descriptor opened read-only. KVM_GET_SUPPORTED_CPUID is KVM's
// view and clears host-only fields (NumVMPL in 0x8000001F EBX[15:12], for one); this is the
// CPU's. Where the node is missing (the cpuid module is not loaded) or unreadable (not root),
// the error is the fact: kvm-caps never loads a module.
import { hex } from '../knowledge/hex.js';
import { cpuDeviceFile, preadCpuDevice } from './cpu-device.js';
import { attempt } from './facts.js';
import type { CpuidRegisters, Fact } from './types.js';

/** Reads CPUID `leaf`.`subleaf` as CPU `cpu` answers it, under `root`; registers as hex strings. */
export function readCpuidLeaf(root: string, cpu: number, leaf: number, subleaf = 0): Fact<CpuidRegisters> {
  if (!Number.isInteger(leaf) || leaf < 0 || leaf > 0xffffffff)
    throw new RangeError(`CPUID leaf must be a u32, not ${leaf}`);
  if (!Number.isInteger(subleaf) || subleaf < 0 || subleaf > 0xffffffff)
    throw new RangeError(`CPUID subleaf must be a u32, not ${subleaf}`);
  const file = cpuDeviceFile(root, cpu, 'cpuid');
  // The driver answers all four registers or fails (EIO where the CPU is offline).
  return attempt({ syscall: 'pread', path: file }, () => {
    const offset = (BigInt(subleaf) << 32n) | BigInt(leaf);
    const buffer = preadCpuDevice(file, offset, 16, `CPUID ${hex(leaf)}`);
    const reg = (i: number): string => hex(buffer.readUInt32LE(i * 4));
    return { eax: reg(0), ebx: reg(1), ecx: reg(2), edx: reg(3) };
  });
}
