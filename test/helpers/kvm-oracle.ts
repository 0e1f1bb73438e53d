// The independent oracle for real-device tests: test/oracle/kvm_oracle.c, plain C on the
// system's own <linux/kvm.h> with fixed buffers, run in a child process on the device.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { CpuidEntry } from '../../lib/native/binding.js';
import { compileProgram } from './compile.js';
import { kvmDevicePath } from './kvm-device.js';

/** A value, or the negative errno the oracle got instead. */
export type OrErrno<T> = T | number;

export interface Oracle {
  apiVersion: number;
  vcpuMmapSize: number;
  system: number[];
  createVm0: boolean;
  vm: OrErrno<number[]>;
  supportedCpuid: OrErrno<CpuidEntry[]>;
  emulatedCpuid: OrErrno<CpuidEntry[]>;
  msrIndexList: OrErrno<number[]>;
  msrFeatureIndexList: OrErrno<number[]>;
  featureMsrs: OrErrno<{ count: number; values: string[] }>;
  xcompGuestSupp: OrErrno<string>;
  deviceAttrProbes: { has_0_0: number; has_1_0: number; get_0_99: number };
  createVmTypes: Record<string, number>;
}

let oracleCache: Oracle | undefined;
export function oracle(): Oracle {
  if (oracleCache === undefined) {
    const source = fileURLToPath(new URL('../oracle/kvm_oracle.c', import.meta.url));
    const program = compileProgram(source, { language: 'c' });
    oracleCache = JSON.parse(execFileSync(program, [kvmDevicePath], { encoding: 'utf8' })) as Oracle;
  }
  return oracleCache;
}

/** Narrows an oracle answer to its value, failing the test if the oracle got an errno. */
export function ok<T>(value: OrErrno<T>, what: string): T {
  assert.ok(typeof value !== 'number', `the oracle's ${what} failed with errno ${String(value)}`);
  return value as T;
}
