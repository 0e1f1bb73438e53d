// The SEV model's device, sev-firmware, snp-firmware and psp groups: /dev/sev (node, open, who may open it, memlock), SEV_PLATFORM_STATUS, SEV_GET_ID2, SNP_PLATFORM_STATUS and the PSP's sysfs facts.
// Typed values with their sources only: no status and no prose (check judges, render words). A failed command's
// firmware status (SEV_RET_*) is its ProbeFailure's `firmwareError` (sev-fields.ts firmwareStatusOf names it).
import type { DeviceAccess, DeviceNode, Snapshot, WithheldCommand } from '../snapshot/types.js';
import { probeFailure } from './failure.js';
import { describeSource } from './sourced.js';
import {
  decodeSevPlatformStatus,
  decodeSnpPlatformStatus,
  type DecodedSevPlatformStatus,
  type DecodedSnpPlatformStatus,
} from './sev-fields.js';
import { probed, trace, type Probed, type Traced } from './sourced.js';

/** One holder of read-write access to /dev/sev, as its mode or its POSIX ACL grants it. */
export interface SevDeviceHolder {
  /** The node's owner and owning group, an ACL's named user or group, or everyone else. */
  who: 'owner' | 'owning-group' | 'user' | 'group' | 'other';
  /** The user or group name (or number); '' for everyone else. */
  name: string;
  /** Whether the holder is root (uid or gid 0). */
  root: boolean;
  via: 'mode' | 'acl';
}

export interface SevPlatformFacts {
  /** The user kvm-caps ran as (the snapshot's context): whose open, access and memlock limit these are. */
  probeUid: number;
  /** /dev/sev as stat(2) shows it; null: not looked at (kvm-caps looks on AMD hosts). */
  sevNode: Traced<DeviceNode> | null;
  /** Opening /dev/sev read-only, which every command below needs; missing: the snapshot has no /dev/sev answers. */
  sevOpen: Traced<true>;
  /** What access(2) allows the probing user on /dev/sev (mode, groups, ACL); null: not looked at. */
  sevAccess: Traced<DeviceAccess> | null;
  /** RLIMIT_MEMLOCK of the probing process, in bytes (null: unlimited); null: not read. */
  memlock: Traced<{ soft: number | null; hard: number | null }> | null;
  /** getfacl's entries for /dev/sev (null: getfacl failed), or why they were not read; null: not looked at. */
  sevAcl: Traced<string[] | null> | null;
  /**
   * SEV_PLATFORM_STATUS, decoded, or its failure (its firmware status is the failure's `firmwareError`); missing:
   * not asked (no /dev/sev answers).
   */
  platformStatus: Traced<DecodedSevPlatformStatus>;
  /**
   * SNP_PLATFORM_STATUS, decoded, or its failure; missing: not asked (no /dev/sev answers), or withheld on purpose
   * (`snpPlatformStatusWithheld` says why).
   */
  snpPlatformStatus: Traced<DecodedSnpPlatformStatus>;
  /** SNP_PLATFORM_STATUS not sent on purpose (it would change the firmware's state on this kernel); null: not withheld. */
  snpPlatformStatusWithheld: WithheldCommand | null;
  /** SEV_GET_ID2: the chip id's length in bytes, or the failure; null: not asked. */
  chipId: Probed<{ bytes: number }> | null;
  /**
   * The PSP's sysfs attributes (drivers/crypto/ccp/sp-pci.c, hsti.c), in the order listed, each its text or its read
   * error; fused_part and debug_lock_on as flags (null: not shown, or not 0/1). Null: not looked at.
   */
  psp: Probed<{
    fusedPart: boolean | null;
    debugLockOn: boolean | null;
    attributes: { name: string; value: Probed<string> }[];
  }> | null;
}

/** The rw bits of one `rwx` triple. */
const readWrite = (perm: string | undefined): boolean => perm !== undefined && perm[0] === 'r' && perm[1] === 'w';

/** Who may open /dev/sev read-write by its mode and ACL (`sevDeviceUsers`). */
export interface SevDeviceUsers {
  holders: SevDeviceHolder[];
  /** No holder but root. */
  rootOnly: boolean;
}

/**
 * Who may open /dev/sev read-write, as its mode and POSIX ACL grant it (QEMU opens it O_RDWR):
 * the owner, the owning group, the ACL's named users and groups (each through the ACL mask) and
 * everyone. Root may always; "root only" means no one else is named. Null where the node was not
 * stat'ed; its sources are the node's and the ACL's.
 */
export function sevDeviceUsers(facts: Pick<SevPlatformFacts, 'sevNode' | 'sevAcl'>): SevDeviceUsers | null {
  const node = facts.sevNode;
  if (node === null || !('value' in node)) return null;
  const n = node.value;
  const entries = facts.sevAcl !== null && 'value' in facts.sevAcl ? facts.sevAcl.value : null;
  const owner = `${n.owner ?? n.uid}`;
  const group = `${n.group ?? n.gid}`;
  const holders: SevDeviceHolder[] = [];
  const perm = (mode: number, shift: number): string =>
    `${mode & (4 << shift) ? 'r' : '-'}${mode & (2 << shift) ? 'w' : '-'}`;
  if (entries && entries.length > 0) {
    const table = entries.map((e) => e.split(':'));
    const mask = table.find(([kind]) => kind === 'mask')?.[2];
    const masked = (p: string | undefined): boolean => readWrite(p) && (mask === undefined || readWrite(mask));
    for (const [kind, id, p] of table) {
      if (kind === 'user' && id === '' && readWrite(p))
        holders.push({ who: 'owner', name: owner, root: n.uid === 0, via: 'acl' });
      else if (kind === 'user' && id !== '' && masked(p))
        holders.push({ who: 'user', name: id!, root: id === '0', via: 'acl' });
      else if (kind === 'group' && id === '' && masked(p))
        holders.push({ who: 'owning-group', name: group, root: n.gid === 0, via: 'acl' });
      else if (kind === 'group' && id !== '' && masked(p))
        holders.push({ who: 'group', name: id!, root: id === '0', via: 'acl' });
      else if (kind === 'other' && readWrite(p)) holders.push({ who: 'other', name: '', root: false, via: 'acl' });
    }
  } else {
    if (readWrite(perm(n.mode, 6))) holders.push({ who: 'owner', name: owner, root: n.uid === 0, via: 'mode' });
    if (readWrite(perm(n.mode, 3))) holders.push({ who: 'owning-group', name: group, root: n.gid === 0, via: 'mode' });
    if (readWrite(perm(n.mode, 0))) holders.push({ who: 'other', name: '', root: false, via: 'mode' });
  }
  return { holders, rootOnly: holders.every((h) => h.root) };
}

/** The PSP's own sysfs facts: each attribute's text or its read error, and the two production-part flags. */
function psp(snapshot: Snapshot): SevPlatformFacts['psp'] {
  const fact = snapshot.host.pspSysfs;
  if (!fact) return null;
  const source = describeSource(fact.source);
  if ('error' in fact) return { error: probeFailure(fact.source, fact.error), source };
  const attributes = Object.entries(fact.value.attributes).map(([name, raw]) => ({
    name,
    value:
      typeof raw === 'string'
        ? { value: raw.trim(), source: `${source} (${name})` }
        : { error: probeFailure(fact.source, raw), source: `${source} (${name})` },
  }));
  const flag = (name: string): boolean | null => {
    const raw = fact.value.attributes[name];
    return typeof raw === 'string' && /^[01]$/.test(raw.trim()) ? raw.trim() === '1' : null;
  };
  return { value: { fusedPart: flag('fused_part'), debugLockOn: flag('debug_lock_on'), attributes }, source };
}

/** /dev/sev and what its commands answered; `cpu`: family and model, which choose the SNP TCB layout. */
export function sevPlatformFacts(
  snapshot: Snapshot,
  cpu: { family: number | null; model: number | null },
): SevPlatformFacts {
  const host = snapshot.host;
  const sev = snapshot.sev;
  const ps = sev?.platformStatus;
  const snp = sev?.snpPlatformStatus;
  const id = sev?.chipId;
  const withheld = sev?.withheld?.SNP_PLATFORM_STATUS ?? null;
  const notAsked = sev ? 'not asked' : 'not asked: the snapshot has no /dev/sev answers';
  const cpuId = cpu.family !== null && cpu.model !== null ? { family: cpu.family, model: cpu.model } : null;
  return {
    probeUid: snapshot.context.uid,
    sevNode: host.sevDevice ? trace(host.sevDevice, (v) => v, 'not looked at') : null,
    sevOpen: trace(sev?.open, () => true as const, 'the snapshot has no /dev/sev answers'),
    sevAccess: host.sevDeviceAccess ? trace(host.sevDeviceAccess, (v) => v, 'not looked at') : null,
    memlock: host.memlockLimit ? trace(host.memlockLimit, (v) => v, 'not read') : null,
    sevAcl: host.sevDeviceAcl ? trace(host.sevDeviceAcl, (v) => v.entries, 'the ACL was not read') : null,
    platformStatus: trace(ps, decodeSevPlatformStatus, notAsked),
    snpPlatformStatus: trace(
      snp,
      (value) => decodeSnpPlatformStatus(value, cpuId),
      withheld ? 'withheld: not sent on purpose' : notAsked,
    ),
    snpPlatformStatusWithheld: withheld,
    chipId: id ? probed(id, (v) => ({ bytes: v.replace(/^0x/, '').length / 2 })) : null,
    psp: psp(snapshot),
  };
}
