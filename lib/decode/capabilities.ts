// Capability answers by name, and what a capability's value means where it is more
// than present/absent.
import type { ExtensionAnswer, Fact, KvmFacts } from '../snapshot/types.js';
import { probeFailure } from './failure.js';
import { describeSource, known, type Traced } from './sourced.js';
import { KVM_CAPABILITIES } from '../knowledge/capabilities.js';
import { CAPABILITY_VALUES, type Flag } from '../knowledge/capability-values.js';
import { KVM_X86_VM_TYPES } from '../knowledge/x86.js';

export type DecodedValue =
  | { flags: string[]; unknownBits: number[] }
  | { vmTypes: string[]; unknownBits: number[] }
  | { count: number; unit: string };

export interface CapabilityRow {
  name: string;
  number: number;
  /** KVM_CHECK_EXTENSION's answer on /dev/kvm, or its error; missing: not asked. */
  system: Traced<number>;
  /** The answer on a throwaway default VM fd, or its error; missing: no VM was asked. */
  vm: Traced<number>;
  /** The meaning of the VM-scope value (or the system one, where no VM answered). */
  decoded?: DecodedValue;
}

function setBits(value: number): number[] {
  const bits: number[] = [];
  for (let bit = 0; bit < 32; bit++) if ((value >>> bit) & 1) bits.push(bit);
  return bits;
}

function decodeFlags(
  value: number,
  flags: readonly Flag[],
  asBitNumbers: boolean,
): { flags: string[]; unknownBits: number[] } {
  const names: string[] = [];
  const unknownBits: number[] = [];
  for (const bit of setBits(value)) {
    const flag = flags.find(([, v]) => (asBitNumbers ? v === bit : v === 2 ** bit));
    if (flag) names.push(flag[0]);
    else unknownBits.push(bit);
  }
  return { flags: names, unknownBits };
}

/** The VM types a KVM_CAP_VM_TYPES mask offers, by short name (DEFAULT, SEV, TDX, ...). */
export function decodeVmTypes(mask: number): { vmTypes: string[]; unknownBits: number[] } {
  const vmTypes: string[] = [];
  const unknownBits: number[] = [];
  for (const bit of setBits(mask)) {
    const type = KVM_X86_VM_TYPES.find(([, number]) => number === bit);
    if (type) vmTypes.push(type[2]);
    else unknownBits.push(bit);
  }
  return { vmTypes, unknownBits };
}

export function decodeCapabilityValue(name: string, value: number): DecodedValue | undefined {
  const meaning = CAPABILITY_VALUES[name];
  if (meaning === undefined || value < 0) return undefined;
  switch (meaning.kind) {
    case 'vm-types':
      return decodeVmTypes(value);
    case 'count':
      return { count: value, unit: meaning.unit };
    case 'mask':
      return decodeFlags(value, meaning.flags, false);
    case 'bit':
      return decodeFlags(value, meaning.flags, true);
  }
}

/** One capability's answer in a batch of KVM_CHECK_EXTENSION calls (the batch's fact, or its failure). */
function answer(
  batch: Fact<Record<string, ExtensionAnswer>> | undefined,
  name: string,
  number: number,
): Traced<number> {
  if (batch === undefined) return { missing: 'not probed' };
  const source = `${describeSource(batch.source)} (${name})`;
  if ('error' in batch) return { error: probeFailure(batch.source, batch.error), source };
  const result = batch.value[number];
  if (result === undefined) return { missing: 'not asked', source };
  if (typeof result === 'number') return { value: result, source };
  // A per-capability answer keeps only the errno: the batch's source says which call it was.
  const error = { ...result, syscall: 'ioctl', request: 'KVM_CHECK_EXTENSION', message: result.code };
  return { error: probeFailure(batch.source, error), source };
}

/** Every capability in the Linux 7.2 table with its system and VM answers. */
export function capabilityRows(kvm: KvmFacts): CapabilityRow[] {
  return KVM_CAPABILITIES.map(([name, number]) => {
    const system = answer(kvm.capabilities?.system, name, number);
    const vm = answer(kvm.capabilities?.vm, name, number);
    const row: CapabilityRow = { name, number, system, vm };
    const shown = known(vm) ?? known(system);
    const decoded = shown === undefined ? undefined : decodeCapabilityValue(name, shown);
    if (decoded !== undefined) row.decoded = decoded;
    return row;
  });
}

/** A compact text form of a decoded value, for reports. */
export function formatDecoded(decoded: DecodedValue): string {
  if ('count' in decoded) return `${decoded.count} ${decoded.unit}`;
  const names = 'vmTypes' in decoded ? decoded.vmTypes : decoded.flags;
  const unknown = decoded.unknownBits.map((bit) => `bit ${bit}`);
  const all = [...names, ...unknown];
  return all.length === 0 ? 'none' : all.join(', ');
}
