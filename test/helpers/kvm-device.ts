// The shared gate for tests that need a working /dev/kvm. Tests pass
// `{ skip: kvmSkipReason }`, so a skipped test always prints why it was skipped.
import { closeSync, openSync } from 'node:fs';

export const kvmDevicePath = '/dev/kvm';

function probe(path: string): string | undefined {
  let fd: number;
  try {
    fd = openSync(path, 'r+');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? String(error);
    if (code === 'ENOENT' || code === 'ENXIO' || code === 'ENODEV') return `no ${path} on this machine`;
    if (code === 'EACCES' || code === 'EPERM') {
      return `no permission to open ${path} (${code}): run as root or in the kvm group`;
    }
    return `cannot open ${path} read-write (${code})`;
  }
  closeSync(fd);
  return undefined;
}

/** Undefined when /dev/kvm can be opened read-write by this process, otherwise why not. */
export const kvmSkipReason: string | undefined = probe(kvmDevicePath);
