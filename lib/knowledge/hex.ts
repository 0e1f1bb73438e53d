// The one hex formatter: how kvm-caps writes a register, mask, status or request number.
// It sits with the tables because every layer, from collection to the renderers, prints them.

/**
 * `0x` and the lowercase hex digits of `value`, zero-padded to `digits`. A negative number is
 * read as the u32 it came from (a C int returned through errno-style fields, a 32-bit status).
 */
export function hex(value: number | bigint, digits = 0): string {
  const unsigned = typeof value === 'number' && value < 0 ? value >>> 0 : value;
  return `0x${unsigned.toString(16).padStart(digits, '0')}`;
}
