// The shared gate for tests that need a working /dev/kvm. Tests pass
// `{ skip: kvmSkipReason }`, so a skipped test always prints why it was skipped.
import { skipUnless } from './requirements.js';

export const kvmDevicePath = '/dev/kvm';

/** Undefined when /dev/kvm can be opened read-write by this process, otherwise why not. */
export const kvmSkipReason: string | undefined = skipUnless('kvm') || undefined;
