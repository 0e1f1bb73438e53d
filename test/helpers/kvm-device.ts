// The shared gate for tests that need a working /dev/kvm. Tests pass
// `{ skip: kvmSkipReason }`, so a skipped test always prints why it was skipped.
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import type { TestContext } from 'node:test';
import { skipUnless } from './requirements.js';

export const kvmDevicePath = '/dev/kvm';

/** Undefined when /dev/kvm can be opened read-write by this process, otherwise why not. */
export const kvmSkipReason: string | undefined = skipUnless('kvm') || undefined;

/**
 * For live tests of a machine without /dev/kvm: this machine's own kernel log, one message a line (dmesg's
 * timestamps removed), or undefined after skipping the test with why (a /dev/kvm here, or no readable dmesg).
 */
export function kernelLogWithoutKvm(t: TestContext, withKvm: string): string[] | undefined {
  if (existsSync(kvmDevicePath)) {
    t.skip(`this machine has /dev/kvm: ${withKvm}`);
    return undefined;
  }
  try {
    const dmesg = execFileSync('dmesg', [], { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
    return dmesg.split('\n').map((line) => line.replace(/^\[\s*\d+\.\d+\]\s?/, ''));
  } catch (error) {
    t.skip(`dmesg cannot be read here: ${(error as Error).message}`);
    return undefined;
  }
}
