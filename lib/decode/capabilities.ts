// Capability answers by name, and what a capability's value means where it is more
// than present/absent.
import type { ExtensionAnswer, KvmFacts } from '../snapshot/types.js';
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
  /** The answer on /dev/kvm; null when it could not be asked (see systemError). */
  system: number | null;
  /** The answer on a default VM fd; null when it could not be asked (see vmError). */
  vm: number | null;
  systemError?: string;
  vmError?: string;
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

function answer(
  results: Record<string, ExtensionAnswer> | undefined,
  number: number,
): { value: number | null; error?: string } {
  const result = results?.[number];
  if (result === undefined) return { value: null };
  if (typeof result === 'number') return { value: result };
  return { value: null, error: result.code };
}

/** Every capability in the Linux 7.2 table with its system and VM answers. */
export function capabilityRows(kvm: KvmFacts): CapabilityRow[] {
  const caps = kvm.capabilities;
  const system = caps && 'value' in caps.system ? caps.system.value : undefined;
  const vm = caps?.vm && 'value' in caps.vm ? caps.vm.value : undefined;
  return KVM_CAPABILITIES.map(([name, number]) => {
    const s = answer(system, number);
    const v = answer(vm, number);
    const row: CapabilityRow = { name, number, system: s.value, vm: v.value };
    if (s.error !== undefined) row.systemError = s.error;
    if (v.error !== undefined) row.vmError = v.error;
    const shown = v.value ?? s.value;
    const decoded = shown === null ? undefined : decodeCapabilityValue(name, shown);
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
