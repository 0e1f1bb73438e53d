// The SEV view's /dev/sev, SEV firmware, SEV-SNP firmware and PSP lines, and the note on how this kernel's
// SNP_PLATFORM_STATUS behaves: the words for lib/decode/sev-platform.ts's facts.
import { failureMeaning } from '../knowledge/probe-failures.js';
import {
  deviceUsersMeaning,
  deviceUsersSource,
  deviceUsersText,
  failureText,
  nodeMeaning,
  nodeValue,
  openShown,
  sevEsText,
  sevFirmwareText,
  sevStateMeaning,
  sevStateText,
  sevStatusFailureMeaning,
  snpFirmwareText,
  snpStateText,
  snpPlatformStatusNote,
  snpStatusFailureMeaning,
  SNP_UNINIT_MEANING,
  tcbLayoutText,
  tcbText,
} from '../check/sev-platform-text.js';
import { hex } from '../knowledge/hex.js';
import { releaseRangeText } from '../knowledge/kernel-versions.js';
import { SNP_MIN_FIRMWARE } from '../knowledge/sev.js';
import { failureOf, known, valueOrNull } from '../decode/sourced.js';
import { sourceOf } from '../check/sev-host-text.js';
import { sevDeviceUsers } from '../decode/sev-platform.js';
import type { SevSection } from './report.js';
import type { SevLine, SevNote } from './sev-line.js';

const INITS_AND_SHUTS =
  'this command initialises SNP firmware and shuts it down again when SNP is not already running, ' +
  'which also takes the IOMMU out of SNP mode';
const UNFUSED = 'this looks like an engineering or unfused part, whose attestation a verifier should not trust';

/** errno 524: the kernel-internal ENOTSUPP that SEV_GET_ID2 leaks to userspace; Node has no name for it. */
const ENOTSUPP = 524;

const line = (id: string, label: string, value: string, source: string, meaning?: string): SevLine =>
  meaning === undefined ? { id, label, value, source } : { id, label, value, source, meaning };

/** /dev/sev: the node, the open, the probing user's access, the memlock limit and who may open it read-write. */
export function deviceLines(view: SevSection): SevLine[] {
  const lines: SevLine[] = [];
  const node = view.sevNode;
  if (node !== null)
    lines.push(line('device.node', '/dev/sev', nodeValue(node), node.source ?? 'not probed', nodeMeaning(view, node)));
  const open = openShown(view);
  if (open !== null) lines.push(line('device.open', open.label, open.value, open.source, open.meaning));
  const access = view.sevAccess;
  if (access !== null && 'value' in access) {
    const nodeNote =
      node !== null && 'value' in node
        ? `; mode ${node.value.mode.toString(8).padStart(4, '0')}, owner ` +
          `${node.value.owner ?? node.value.uid}, group ${node.value.group ?? node.value.gid}`
        : '';
    const a = access.value;
    lines.push(
      line(
        'device.access',
        `/dev/sev for uid ${view.probeUid}`,
        `${a.write ? 'read-write' : a.read ? 'read-only' : 'no access'}${nodeNote}`,
        access.source,
        'QEMU opens /dev/sev read-write: the user the VMM runs as needs read and write through the mode, its groups ' +
          'or an ACL; this line is for the user kvm-caps ran as',
      ),
    );
  } else if (access !== null && 'error' in access)
    lines.push(
      line('device.access', '/dev/sev access', failureText(access), access.source, failureMeaning(access.error)),
    );
  const memlock = view.memlock;
  if (memlock !== null && 'value' in memlock) {
    const bytes = (n: number | null): string => (n === null ? 'unlimited' : `${n} bytes`);
    lines.push(
      line(
        'host.memlock',
        'Locked-memory limit (RLIMIT_MEMLOCK)',
        `soft ${bytes(memlock.value.soft)}, hard ${bytes(memlock.value.hard)}`,
        memlock.source,
        'of this process; a VMM that pins SEV guest memory needs a limit as large as the guest (libvirt raises it ' +
          'for the guests it starts)',
      ),
    );
  } else if (memlock !== null && 'error' in memlock)
    lines.push(
      line('host.memlock', 'Locked-memory limit', failureText(memlock), memlock.source, failureMeaning(memlock.error)),
    );
  const users = sevDeviceUsers(view);
  if (users !== null && node !== null && 'value' in node)
    lines.push(
      line(
        'device.users',
        '/dev/sev read-write for',
        deviceUsersText(users, node.value, view.sevAcl),
        deviceUsersSource(view),
        deviceUsersMeaning(users, view.sevAcl),
      ),
    );
  return lines;
}

/** SEV_PLATFORM_STATUS and SEV_GET_ID2. */
export function sevFirmwareLines(view: SevSection): SevLine[] {
  const lines: SevLine[] = [];
  const d = valueOrNull(view.platformStatus);
  const s = sourceOf(view.platformStatus);
  if (d !== null) {
    lines.push({
      ...line(
        'sev.firmware',
        'SEV firmware version',
        sevFirmwareText(d),
        `${s} (api_major, api_minor, build)`,
        d.meetsSnpMinimum
          ? undefined
          : `SEV-SNP needs firmware API ${SNP_MIN_FIRMWARE.major}.${SNP_MIN_FIRMWARE.minor} or later ` +
              '(SNP_MIN_API_MAJOR/MINOR)',
      ),
      summary: true,
    });
    lines.push(line('sev.state', 'SEV platform state', sevStateText(d), `${s} (state)`, sevStateMeaning(view, d)));
    lines.push(line('sev.es', 'SEV-ES initialised', sevEsText(d), `${s} (flags bit 8)`));
    lines.push(line('sev.owner', 'Platform owner', d.owned ? 'externally owned' : 'self-owned', `${s} (flags bit 0)`));
    lines.push(line('sev.guests', 'SEV guests', String(d.guestCount), `${s} (guest_count)`));
    if (d.flags.unknownBits.length)
      lines.push(
        line(
          'sev.flags',
          'Platform flags',
          `${hex(d.flags.raw)} (unknown bits ${d.flags.unknownBits.join(', ')})`,
          `${s} (flags)`,
        ),
      );
  }
  const failed = failureOf(view.platformStatus);
  if (failed !== null)
    lines.push(
      line('sev.status', 'SEV_PLATFORM_STATUS', failureText(failed), failed.source, sevStatusFailureMeaning(failed)),
    );
  const id = view.chipId;
  if (id !== null && 'value' in id)
    lines.push(line('sev.chipId', 'Chip ID (SEV_GET_ID2)', `present (${id.value.bytes} bytes)`, id.source));
  else if (id !== null)
    lines.push(
      line(
        'sev.chipId',
        'Chip ID (SEV_GET_ID2)',
        failureText(id),
        id.source,
        Math.abs(id.error.errno) === ENOTSUPP
          ? 'ENOTSUPP: SEV firmware API older than 0.16 has no GET_ID'
          : failureMeaning(id.error),
      ),
    );
  return lines;
}

/** SNP_PLATFORM_STATUS: its answer, its failure, or why it was not asked. */
export function snpFirmwareLines(view: SevSection): SevLine[] {
  const lines: SevLine[] = [];
  const withheld = view.snpPlatformStatusWithheld;
  if (withheld !== null)
    lines.push(
      line(
        'snp.withheld',
        'SNP_PLATFORM_STATUS',
        `not asked (SNP initialised: ${withheld.snpInitialized === 'no' ? 'no' : 'cannot tell'})`,
        `kvm-caps (${withheld.kernelChange})`,
        `on Linux ${releaseRangeText(withheld.kernelChange)} ${INITS_AND_SHUTS}; run with ${withheld.override} to ask anyway`,
      ),
    );
  const d = valueOrNull(view.snpPlatformStatus);
  const s = sourceOf(view.snpPlatformStatus);
  if (d !== null) {
    const tcb = d.tcb;
    const layout = tcbLayoutText(d);
    const flags = d.featureFlags;
    lines.push(
      {
        ...line('snp.firmware', 'SNP firmware', snpFirmwareText(d), `${s} (api_major, api_minor, build_id)`),
        summary: true,
      },
      line(
        'snp.state',
        'SNP platform state',
        snpStateText(d),
        `${s} (state)`,
        d.state === 0 ? SNP_UNINIT_MEANING : undefined,
      ),
      line('snp.rmp', 'RMP table initialised', d.rmpInitialised ? 'yes' : 'no', `${s} (byte 3 bit 0)`),
      line(
        'snp.aliasCheck',
        'Alias check complete',
        d.aliasCheckComplete ? 'yes, no aliasing addresses' : 'no',
        `${s} (byte 3 bit 1)`,
        d.aliasCheckComplete
          ? undefined
          : 'the firmware does not report that alias detection completed since the last reset with no aliasing ' +
              'addresses (the bit exists from Milan 1.55.22 / Genoa 1.55.38; CVE-2024-21944, AMD-SB-3015)',
      ),
      line(
        'snp.features',
        'SNP platform flags',
        `${hex(flags.raw)}${flags.names.length ? ` (${flags.names.join(', ')})` : ' (none)'}` +
          `${flags.unknownBits.length ? `, unknown bits ${flags.unknownBits.join(', ')}` : ''}`,
        `${s} (bytes 8-11)`,
      ),
      line('snp.guests', 'SNP guests', String(d.guestCount), `${s} (guest_count)`),
      line(
        'snp.tcb.current',
        'Current (platform) TCB',
        tcbText(tcb.currentRaw, tcb.current),
        `${s} (current_tcb_version; ${layout})`,
      ),
      line(
        'snp.tcb.reported',
        'Reported TCB',
        tcbText(tcb.reportedRaw, tcb.reported),
        `${s} (reported_tcb_version; ${layout})`,
      ),
      line(
        'snp.tcb.match',
        'Current and reported TCB match',
        tcb.match ? 'yes' : 'no',
        `${s} (current_tcb_version, reported_tcb_version)`,
        tcb.match
          ? undefined
          : 'attestation reports carry the older reported TCB: the current firmware has not been committed (or ' +
              'SNP_SET_CONFIG set a lower reported TCB)',
      ),
    );
    if (tcb.current?.reservedNonZero || tcb.reported?.reservedNonZero)
      lines.push(
        line(
          'snp.tcb.layout',
          'TCB layout',
          'reserved bytes are not zero',
          s,
          'the TCB layout chosen from the CPU family/model may not fit this firmware',
        ),
      );
  }
  const failed = failureOf(view.snpPlatformStatus);
  if (failed !== null)
    lines.push(
      line(
        'snp.status',
        'SNP_PLATFORM_STATUS',
        failureText(failed),
        failed.source,
        snpStatusFailureMeaning(view, failed),
      ),
    );
  return lines;
}

/** The PSP's sysfs attributes, each as the kernel shows it. */
export function pspLines(view: SevSection): SevLine[] {
  const psp = view.psp;
  if (psp === null) return [];
  if ('error' in psp) return [line('psp', 'PSP sysfs', failureText(psp), psp.source, failureMeaning(psp.error))];
  return psp.value.attributes.map(({ name, value }) => {
    if ('error' in value) return line(`psp.${name}`, name, `unreadable (${value.error.code})`, value.source);
    const production = name === 'fused_part' || name === 'debug_lock_on';
    return line(
      `psp.${name}`,
      name,
      value.value,
      value.source,
      production && value.value !== '1' ? `a production part shows ${name} = 1: ${UNFUSED}` : undefined,
    );
  });
}

/** How this kernel's SNP_PLATFORM_STATUS behaves (said where /dev/sev was asked at all). */
export function platformNotes(view: SevSection): SevNote[] {
  const release = known(view.kernelRelease) ?? null;
  if (release === null || 'missing' in view.sevOpen) return [];
  const note = snpPlatformStatusNote(release);
  return note === undefined ? [] : [note];
}
