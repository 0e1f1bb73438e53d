// x86 KVM constants other than capability numbers: VM types and device-attribute
// groups (arch/x86/include/uapi/asm/kvm.h). test/abi.test.ts checks each against the
// Linux 7.2 UAPI headers.

/** KVM_CREATE_VM machine types on x86: [header name, number, short name]. */
export const KVM_X86_VM_TYPES: readonly (readonly [name: string, type: number, short: string])[] = [
  ['KVM_X86_DEFAULT_VM', 0, 'DEFAULT'],
  ['KVM_X86_SW_PROTECTED_VM', 1, 'SW_PROTECTED'],
  ['KVM_X86_SEV_VM', 2, 'SEV'],
  ['KVM_X86_SEV_ES_VM', 3, 'SEV_ES'],
  ['KVM_X86_SNP_VM', 4, 'SNP'],
  ['KVM_X86_TDX_VM', 5, 'TDX'],
];

/** The number of the VM type with this short name (KVM_X86_VM_TYPES); throws on a name the table lacks. */
export function vmTypeNumber(short: string): number {
  const row = KVM_X86_VM_TYPES.find(([, , s]) => s === short);
  if (row === undefined) throw new RangeError(`no KVM VM type named ${short}`);
  return row[1];
}

/** KVM_CREATE_VM's type for a TD. */
export const KVM_X86_TDX_VM = vmTypeNumber('TDX');

/** Device-attribute group on /dev/kvm for system-wide x86 attributes. */
export const KVM_X86_GRP_SYSTEM = 0;
/** Attribute in KVM_X86_GRP_SYSTEM: the XSAVE components (XCR0 bits) KVM lets guests use. */
export const KVM_X86_XCOMP_GUEST_SUPP = 0;

/** Device-attribute group on /dev/kvm for AMD SEV (KVM_HAS/GET_DEVICE_ATTR). */
export const KVM_X86_GRP_SEV = 1;
/** Attributes in KVM_X86_GRP_SEV. */
export const KVM_X86_SEV_VMSA_FEATURES = 0;
export const KVM_X86_SNP_POLICY_BITS = 1;
export const KVM_X86_SEV_SNP_REQ_CERTS = 2;
