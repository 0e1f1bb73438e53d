// The Linux UAPI headers kvm-caps is checked against: Debian unstable's linux-libc-dev,
// fetched by helpers/debian-unstable.ts into the project's cache.
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { fetchPackage } from './debian-unstable.js';

export interface UapiHeaders {
  /** <unpacked>/usr/include */
  includeDir: string;
  /** <unpacked>/usr/include/<multiarch triplet>, where asm/ lives. */
  archIncludeDir: string;
  /** The linux-libc-dev package version, e.g. 7.2.1-1. */
  version: string;
  /** True when the cached copy was reused without contacting the archive. */
  cached: boolean;
}

function locate(root: string): { includeDir: string; archIncludeDir: string } {
  const includeDir = join(root, 'usr', 'include');
  const triplets = existsSync(includeDir)
    ? readdirSync(includeDir).filter((name) => /-linux-gnu/.test(name) && existsSync(join(includeDir, name, 'asm')))
    : [];
  const triplet = triplets.includes('x86_64-linux-gnu') ? 'x86_64-linux-gnu' : triplets[0];
  if (!triplet) throw new Error(`unpacked linux-libc-dev in ${root} has no usr/include/<triplet>/asm`);
  for (const header of ['linux/kvm.h', `${triplet}/asm/kvm.h`]) {
    if (!existsSync(join(includeDir, header))) throw new Error(`unpacked linux-libc-dev lacks usr/include/${header}`);
  }
  return { includeDir, archIncludeDir: join(includeDir, triplet) };
}

/**
 * Returns the unpacked UAPI headers of Debian unstable's linux-libc-dev, fetching them when
 * there is no cached copy younger than a week. Throws an Error saying what failed.
 */
export async function uapiHeaders(options: { maxAgeMs?: number } = {}): Promise<UapiHeaders> {
  const accept = (root: string): boolean => {
    try {
      locate(root);
      return true;
    } catch {
      return false; // a damaged cache: fetch again
    }
  };
  const unpacked = await fetchPackage('linux-libc-dev', 'linux-libc-dev', { maxAgeMs: options.maxAgeMs, accept });
  return { ...locate(unpacked.root), version: unpacked.version, cached: unpacked.cached };
}
