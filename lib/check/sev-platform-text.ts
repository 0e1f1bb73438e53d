// The words for the SEV model's platform facts (/dev/sev, SEV_PLATFORM_STATUS, SNP_PLATFORM_STATUS, the PSP):
// what each value, failure or gap reads as, in the checks' `found` lines, in `diff` and in `kvm-caps sev`.
// Decode keeps typed values only.
import { failureMeaning } from '../knowledge/probe-failures.js';
import type { SevView } from '../decode/sev.js';
import { known } from '../decode/sourced.js';
import { logFailureText } from './sev-kvm-amd-text.js';
import type { DecodedSevPlatformStatus, DecodedSnpPlatformStatus, TcbVersion } from '../decode/sev-fields.js';
import type { SevDeviceHolder, SevDeviceUsers } from '../decode/sev-platform.js';
import type { Traced, TracedFailure } from '../decode/sourced.js';
import type { ProbeFailure } from '../decode/failure.js';
import { firmwareStatusOf } from '../decode/sev-fields.js';

/** "bootloader 4, TEE 0, SNP 24, microcode 219" (with "FMC n, " first on Turin). */
export function formatTcbVersion(tcb: TcbVersion): string {
  const fmc = tcb.fmc === null ? '' : `FMC ${tcb.fmc}, `;
  return `${fmc}bootloader ${tcb.bootloader}, TEE ${tcb.tee}, SNP ${tcb.snp}, microcode ${tcb.microcode}`;
}
import type { DeviceNode } from '../snapshot/types.js';
import {
  SEV_FIRMWARE_INIT_ROWS,
  SNP_PLATFORM_STATUS_ROWS,
  firstChangeHeld,
  kernelChange,
  kernelHas,
  releaseRangeText,
} from '../knowledge/kernel-versions.js';

const IMPLICIT_INIT_FAILED =
  'not a firmware state problem by itself: the implicit SNP INIT this kernel runs first failed, and ' +
  'snp_move_to_init_state() reports that as SEV_RET_INVALID_PLATFORM_STATE (0x1); the INIT failure line ' +
  'in the kernel log has the real error (on this kernel:';
const NON_ROOT_VMM =
  'a VMM that does not run as root (qemu, libvirt-qemu, a member of the kvm group) cannot open /dev/sev, ' +
  'which QEMU opens read-write to start SEV guests';
const ACL_UNREAD = ' (by the mode alone: the ACL was not read, so an ACL entry may still let one in)';

/** What the VMM's user may do about a root-only /dev/sev. */
export const DEVICE_USERS_FIX =
  "give the VMM's group access: `chgrp kvm /dev/sev && chmod 0660 /dev/sev` (a udev rule to keep it), " +
  'or `setfacl -m u:qemu:rw /dev/sev`';

export const modeText = (node: DeviceNode): string => node.mode.toString(8).padStart(4, '0');

/** "character 10:124, mode 0600, root:root". */
export const nodeText = (n: DeviceNode): string =>
  `${n.type} ${n.major}:${n.minor}, mode ${modeText(n)}, ${n.owner ?? n.uid}:${n.group ?? n.gid}`;

/** A failed call: its error code, and the firmware's status where the firmware answered. */
export function failureText(f: { error: ProbeFailure }): string {
  const fw = firmwareStatusOf(f.error);
  if (fw === null) return f.error.code;
  return `${f.error.code}${fw.name ? `; firmware ${fw.name} (${fw.hex})` : `; firmware status ${fw.hex}`}`;
}

/** Why /dev/sev is not there, with every line of the kernel log that says so. */
export function noDeviceMeaning(view: SevView): string {
  const log = view.log;
  const reasons: string[] = [];
  if (log?.psp.notEnabledByBios) reasons.push('the ccp driver logged "SEV: memory encryption not enabled by BIOS"');
  if (log?.psp.noSevSupport.length) reasons.push('the PSP reports no SEV support');
  // 6.16+: a failed SNP_PLATFORM_STATUS / SNP_FEATURE_INFO at probe, or a failed SEV status read, leaves /dev/sev
  // unregistered.
  for (const f of log?.failures ?? []) {
    const { reporter, operation } = f.value;
    if (reporter !== 'ccp' || !['SNP_PLATFORM_STATUS', 'SNP_FEATURE_INFO', 'PLATFORM_STATUS'].includes(operation))
      continue;
    reasons.push(
      `the ccp driver logged "${f.line.trim()}" (` +
        `${logFailureText(f.value)}), after which it does not register /dev/sev`,
    );
  }
  const base =
    known(view.kvmAmd.module)?.loaded === true
      ? 'kvm_amd is loaded but the ccp driver never registered /dev/sev: ' +
        'there is no PSP the driver knows, SEV is disabled in the ' +
        'firmware (BIOS), or the ccp module is not loaded'
      : 'the ccp driver has not registered /dev/sev (it does so when it finds a PSP with SEV)';
  return reasons.length ? `${base}; ${reasons.join('; ')}` : base;
}

/** The /dev/sev node in words: its type, numbers, mode and owner; or what stat(2) said. */
export function nodeValue(node: Traced<DeviceNode>): string {
  if ('value' in node) return nodeText(node.value);
  if ('error' in node) return node.error.code === 'ENOENT' ? 'absent (ENOENT)' : failureText(node);
  return 'not looked at';
}

/** What the node's failure means: the ccp driver's reasons when it is absent, else the error's meaning. */
export function nodeMeaning(view: SevView, node: Traced<DeviceNode>): string | undefined {
  if (!('error' in node)) return undefined;
  return node.error.code === 'ENOENT' ? noDeviceMeaning(view) : failureMeaning(node.error);
}

/** The open of /dev/sev as the view shows it (null: not shown, because the node itself is missing). */
export function openShown(view: SevView): { label: string; value: string; source: string; meaning?: string } | null {
  const open = view.sevOpen;
  if ('missing' in open) {
    if (view.sevNode !== null && 'error' in view.sevNode) return null;
    return { label: 'open /dev/sev', value: 'not probed', source: 'not probed', meaning: open.missing };
  }
  const label = 'open /dev/sev (read-only)';
  if ('value' in open) return { label, value: 'ok', source: open.source };
  const code = open.error.code;
  if (code === 'ENOENT') return { label, value: code, source: open.source, meaning: noDeviceMeaning(view) };
  if (code === 'EACCES' || code === 'EPERM') {
    const node = view.sevNode;
    const modeNote =
      node !== null && 'value' in node
        ? ` (mode ${modeText(node.value)}, owner ${node.value.owner ?? node.value.uid})`
        : '';
    return {
      label,
      value: code,
      source: open.source,
      meaning:
        `/dev/sev is root-only${modeNote}: this user (uid ` +
        `${view.probeUid}) may not open it, so the SEV and SNP platform status cannot be read`,
    };
  }
  return { label, value: failureText(open), source: open.source, meaning: failureMeaning(open.error) };
}

// SEV_PLATFORM_STATUS

export const sevFirmwareText = (d: DecodedSevPlatformStatus): string =>
  `${d.firmwareVersion} (API ${d.api.text}, build ${d.build})`;

export const sevStateText = (d: DecodedSevPlatformStatus): string =>
  `${d.stateName ?? 'unknown'} (${d.state})${d.stateName === 'WORKING' ? ', running guests' : ''}`;

/** Why the SEV firmware is not initialised, and who initialises it on this kernel. */
export function sevStateMeaning(view: SevView, d: DecodedSevPlatformStatus): string | undefined {
  if (d.stateName !== 'UNINIT') return undefined;
  const init = firstChangeHeld(SEV_FIRMWARE_INIT_ROWS, known(view.kernelRelease));
  return `the SEV firmware is not initialised${init ? `; on Linux ${releaseRangeText(init.id)}, ${init.what}` : ''}`;
}

/** The fix for an SEV firmware left in UNINIT. */
export const SEV_UNINIT_FIX = 'load kvm_amd and check the kernel log for INIT failures';

export const sevEsText = (d: DecodedSevPlatformStatus): string => (d.esInitialised ? 'yes (CONFIG_ES)' : 'no');

/** What a failed SEV_PLATFORM_STATUS says. */
export function sevStatusFailureMeaning(f: TracedFailure): string {
  return f.error.code === 'ENODEV' ? 'the ccp driver has no PSP/SEV data behind /dev/sev' : failureMeaning(f.error);
}

// SNP_PLATFORM_STATUS

export const snpFirmwareText = (d: DecodedSnpPlatformStatus): string =>
  `${d.firmwareVersion} (API ${d.api.text}, build ${d.buildId})`;

export const snpStateText = (d: DecodedSnpPlatformStatus): string => `${d.stateName ?? 'unknown'} (${d.state})`;

export const SNP_UNINIT_MEANING = 'SNP firmware is not initialised: SNP guests cannot start';

/** A TCB_VERSION: its raw value, and its fields where the layout is known. */
export const tcbText = (raw: string, tcb: TcbVersion | null): string =>
  tcb ? `${raw}: ${formatTcbVersion(tcb)}` : raw;

/** Which TCB_VERSION layout the fields were read with. */
export const tcbLayoutText = (d: DecodedSnpPlatformStatus): string =>
  d.tcb.layout ? `${d.tcb.generation} layout` : 'layout unknown: CPU family/model not an SNP generation or not read';

/**
 * How this kernel's SNP_PLATFORM_STATUS behaves, with the row that says so: its row of SNP_PLATFORM_STATUS_ROWS, or
 * that it has no such command; undefined where the release cannot be read or no row holds.
 */
export function snpPlatformStatusNote(release: string): { text: string; source: string } | undefined {
  const history = firstChangeHeld(SNP_PLATFORM_STATUS_ROWS, release);
  if (history)
    return { text: `Linux ${release} (${releaseRangeText(history.id)}): ${history.what}`, source: history.citation };
  if (kernelHas('snp.platform-status', release) === false) {
    const row = kernelChange('snp.platform-status');
    return {
      text: `Linux ${release} has no SNP_PLATFORM_STATUS (added in ${row.since}): the command number answers EINVAL`,
      source: row.citation,
    };
  }
  return undefined;
}

/** What a failed SNP_PLATFORM_STATUS says on this kernel (the kernel-version rows of the command). */
export function snpStatusFailureMeaning(view: SevView, f: TracedFailure): string {
  const release = known(view.kernelRelease);
  const history = firstChangeHeld(SNP_PLATFORM_STATUS_ROWS, release);
  if (f.error.code === 'EINVAL') {
    if (kernelHas('snp.platform-status', release) === false)
      return `this kernel has no SNP_PLATFORM_STATUS (added in Linux ${kernelChange('snp.platform-status').since})`;
    if (kernelHas('snp.platform-status-needs-init', release) === true)
      return (
        `SNP firmware is not initialised: Linux ${releaseRangeText('snp.platform-status-needs-init')}` +
        ' refuse SNP_PLATFORM_STATUS until SNP_INIT has run'
      );
    return (
      'SNP firmware is not initialised, or this kernel has no SNP_PLATFORM_STATUS (before ' +
      `${kernelChange('snp.platform-status').since})`
    );
  }
  // snp_move_to_init_state() answers SEV_RET_INVALID_PLATFORM_STATE for any failed implicit INIT.
  const firmware = firmwareStatusOf(f.error);
  if (firmware?.code === 1 && history?.id === 'sev.snp-platform-status-inits')
    return `${IMPLICIT_INIT_FAILED} ${history.what})`;
  if (firmware)
    return `the firmware refused: ${firmware.name ?? 'unknown status'}${history ? ` (on this kernel: ${history.what})` : ''}`;
  return failureMeaning(f.error);
}

// Who may open /dev/sev read-write

export function holderText(h: SevDeviceHolder): string {
  switch (h.who) {
    case 'owner':
      return `user ${h.name} (owner)`;
    case 'owning-group':
      return `group ${h.name} (${h.via === 'acl' ? 'owning group' : 'group'})`;
    case 'user':
      return `user ${h.name} (ACL)`;
    case 'group':
      return `group ${h.name} (ACL)`;
    case 'other':
      return 'everyone (other)';
  }
}

/** Where who may open /dev/sev was read: the node's stat and, when it was read, its ACL. */
export function deviceUsersSource(view: Pick<SevView, 'sevNode' | 'sevAcl'>): string {
  return [view.sevNode?.source, view.sevAcl?.source].filter((s) => s !== undefined).join('; ');
}

/** "root only (mode 0600, root:root)", or the holders with the mode, owner and ACL. */
export function deviceUsersText(users: SevDeviceUsers, node: DeviceNode, acl: SevView['sevAcl']): string {
  const entries = acl !== null && 'value' in acl ? acl.value : undefined;
  const aclText =
    entries !== undefined && entries !== null && entries.length > 0
      ? `; ACL ${entries.join(',')}`
      : acl !== null && 'error' in acl
        ? `; ACL unread (${acl.error.code})`
        : entries === null
          ? '; ACL unread (getfacl failed)'
          : '';
  return (
    `${users.rootOnly ? 'root only' : users.holders.map(holderText).join(', ')}` +
    ` (mode ${modeText(node)}, ${node.owner ?? node.uid}:${node.group ?? node.gid}${aclText})`
  );
}

export function deviceUsersMeaning(users: SevDeviceUsers, acl: SevView['sevAcl']): string {
  const aclRead = acl !== null && 'value' in acl && acl.value !== null;
  if (users.rootOnly) return `${NON_ROOT_VMM}${aclRead ? '' : ACL_UNREAD}`;
  return (
    "the VMM's user (qemu, libvirt-qemu, the kvm group) can start SEV guests only if it is " +
    'one of these or in one of these groups'
  );
}
