// The per-CPU device nodes of the x86 msr and cpuid drivers, /dev/cpu/<n>/msr and
// /dev/cpu/<n>/cpuid, read the one way kvm-caps reads them: open read-only, one pread(2) at
// the offset that names what is asked (an MSR index; a CPUID leaf and subleaf), close. The
// drivers answer the whole record or fail, so a short read is an error (EIO), never a value.
import { closeSync, openSync, readSync } from 'node:fs';
import { underRoot } from './host-files.js';

/** The node of `device` for CPU `cpu` under `root`. */
export function cpuDeviceFile(root: string, cpu: number, device: 'msr' | 'cpuid'): string {
  if (!Number.isInteger(cpu) || cpu < 0) throw new RangeError(`cpu must be a non-negative integer, not ${cpu}`);
  return underRoot(root, `/dev/cpu/${cpu}/${device}`);
}

/** `length` bytes of `file` at `offset`; `what` names the record in the error of a short read. */
export function preadCpuDevice(file: string, offset: number | bigint, length: number, what: string): Buffer {
  const fd = openSync(file, 'r');
  try {
    const buffer = Buffer.alloc(length);
    const read = readSync(fd, buffer, 0, length, offset);
    if (read !== length)
      throw Object.assign(new Error(`short read of ${what}: ${read} bytes`), {
        code: 'EIO',
        errno: -5,
        syscall: 'pread',
        path: file,
      });
    return buffer;
  } finally {
    closeSync(fd);
  }
}
