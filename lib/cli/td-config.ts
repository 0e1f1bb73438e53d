// --td-config FILE: the TD configuration `--deep` asks the TDX module to accept.
//   { "attributes": "0x10000000", "xfam": "0x603e7", "cpuid": [ { "function": 7, ... } ] }
import { InputFileError, MiB, readBounded, utf8Text } from '../snapshot/bounded-read.js';
import type { TdConfig } from '../snapshot/probe-tdx.js';
import { SnapshotFormatError, array, hexString, object, u32 } from '../snapshot/validate.js';

const check = object({
  attributes: hexString,
  xfam: hexString,
  'cpuid?': array(object({ function: u32, index: u32, flags: u32, eax: u32, ebx: u32, ecx: u32, edx: u32 })),
});

export class TdConfigError extends Error {}

/** Far more than any TD configuration: the kernel takes at most 256 CPUID entries (about 40 KiB as JSON). */
const MAX_TD_CONFIG_BYTES = 1 * MiB;

export function loadTdConfig(path: string): TdConfig {
  let document: unknown;
  try {
    document = JSON.parse(utf8Text(readBounded(path, MAX_TD_CONFIG_BYTES, 'refuse').bytes));
  } catch (error) {
    const problem = error instanceof InputFileError ? error.detail : (error as Error).message;
    throw new TdConfigError(`${path}: cannot read the TD configuration (${problem})`);
  }
  try {
    check(document, 'tdConfig');
  } catch (error) {
    if (error instanceof SnapshotFormatError) throw new TdConfigError(`${path}: ${error.message}`);
    throw error;
  }
  const config = document as { attributes: string; xfam: string; cpuid?: TdConfig['cpuid'] };
  return { attributes: BigInt(config.attributes), xfam: BigInt(config.xfam), cpuid: config.cpuid ?? [] };
}
