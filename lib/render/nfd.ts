// node-feature-discovery: a feature file for nfd-worker's `local` source. NFD reads every file in
// /etc/kubernetes/node-feature-discovery/features.d/ (dot files ignored, 64 kB at most), one
// `<namespace>/<name>[=<value>]` per line (value "true" when left out), `#` lines are comments,
// and `# +expiry-time=<RFC 3339>` makes the lines after it expire. Each line becomes a node label,
// so names and values follow the Kubernetes label rules: name ≤ 63 characters and value ≤ 63,
// both [A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])? (a value may be empty).
//
// NFD's own cpu-security.* labels say only what kvm_intel.tdx / kvm_amd.sev* say ("enabled").
// These say what KVM offers and what a guest can use: per technology capable / enabled / usable,
// each VM type KVM_CAP_VM_TYPES offers, the TDX module and SEV / SNP firmware versions, free TD
// keys and SEV ASIDs, and the KVM API version.
import { isKnown, valueOrNull } from '../decode/sourced.js';
import type { CheckReport } from '../check/types.js';
import { technologyStates } from '../compare/lifecycle.js';
import type { HostModel as Report } from '../decode/model.js';
import { cpuVendor } from '../knowledge/cpu-vendors.js';
import { KVM_X86_VM_TYPES } from '../knowledge/x86.js';
import { terminalSafe } from './escape.js';

/** Our label namespace (the `<namespace>/` part of every name). */
export const NFD_PREFIX = 'kvm-caps.dev/';

/** Where nfd-worker's `local` source reads feature files. */
export const NFD_FEATURES_DIR = '/etc/kubernetes/node-feature-discovery/features.d/';

/** The name part of a label: at most 63 characters. */
export const LABEL_NAME = /^[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$/;
/** A label value: empty, or at most 63 characters of this form. */
export const LABEL_VALUE = /^([A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?)?$/;
export const LABEL_MAX = 63;

export interface NfdOptions {
  /** Adds `# +expiry-time=` so NFD drops the labels if kvm-caps stops refreshing the file. */
  expiresAt?: Date | string;
}

export interface NfdFeature {
  /** Without the prefix, e.g. "tdx.usable". */
  name: string;
  value: string;
}

const tristate = (value: boolean | null): string => (value === null ? 'unknown' : String(value));

/**
 * A label value from free text: invalid characters become '-', trimmed to 63 and to alphanumeric ends; null when
 * nothing is left.
 */
export function labelValue(text: string): string | null {
  let value = text.trim().replace(/[^-A-Za-z0-9_.]/g, '-');
  if (value.length > LABEL_MAX) value = value.slice(0, LABEL_MAX);
  value = value.replace(/^[^A-Za-z0-9]+/, '').replace(/[^A-Za-z0-9]+$/, '');
  return value.length === 0 ? null : value;
}

function kebab(name: string): string {
  return name.toLowerCase().replace(/_/g, '-');
}

/** The features, in file order: what a scheduler selects on first, details after. */
export function nfdFeatureList(report: Report, checks: CheckReport): NfdFeature[] {
  const out: NfdFeature[] = [];
  const add = (name: string, value: string | number | boolean | null | undefined): void => {
    if (value === undefined || value === null) return;
    // Every number labelled is a count or a version part: one below 0 is no reading (lib/check/counts.ts warns of it),
    // and no label value may start with '-'.
    if (typeof value === 'number' && value < 0) return;
    const text = typeof value === 'string' ? labelValue(value) : String(value);
    if (text !== null) out.push({ name, value: text });
  };

  for (const state of technologyStates(checks)) {
    // Only where it is false: a technology the host's CPU cannot run is not a broken one.
    if (!state.applicable) add(`${state.technology}.applicable`, false);
    add(`${state.technology}.capable`, tristate(state.capable));
    add(`${state.technology}.enabled`, tristate(state.enabled));
    add(`${state.technology}.usable`, tristate(state.usable));
  }
  add('check.outcome', checks.outcome);

  const api = report.kvm.apiVersion;
  if ('value' in api) add('kvm.api-version', api.value);
  const vmTypes = report.kvm.vmTypes;
  if ('value' in vmTypes && vmTypes.value.mask !== 0) {
    for (const [, number, short] of KVM_X86_VM_TYPES)
      add(`vm-type.${kebab(short)}`, ((vmTypes.value.mask >>> number) & 1) === 1);
  }

  const tdx = report.confidential.tdx;
  if (isKnown(tdx.moduleVersion)) add('tdx.module-version', tdx.moduleVersion.value.text);
  if (isKnown(tdx.moduleState)) add('tdx.module-state', tdx.moduleState.value.state);
  if (isKnown(tdx.tdKeys)) {
    add('tdx.keys.capacity', tdx.tdKeys.value.capacity);
    add('tdx.keys.free', tdx.tdKeys.value.free);
  }

  const sev = report.confidential.sev;
  const ps = valueOrNull(sev.platformStatus);
  const snp = valueOrNull(sev.snpPlatformStatus);
  if (ps !== null) add('sev.firmware-version', ps.firmwareVersion);
  if (snp !== null) {
    add('snp.firmware-version', snp.firmwareVersion);
    add('snp.tcb-match', snp.tcb.match);
  }
  for (const [key, name] of [
    ['sev', 'sev'],
    ['sevEs', 'sev-es'],
  ] as const) {
    const asids = sev.asids[key];
    if (!isKnown(asids)) continue;
    add(`${name}.asids.capacity`, asids.value.capacity);
    add(`${name}.asids.free`, asids.value.free);
  }

  // What NFD's cpu-security labels also say, from the same facts, so one file can stand alone.
  const cpu = report.host.cpu;
  if ('value' in cpu && cpuVendor(cpu.value.vendor)?.vendor === 'intel')
    add('sgx.enabled', cpu.value.flags.includes('sgx'));
  const guest = report.host.isGuest;
  if ('value' in guest) add('host.guest', guest.value);
  if ('value' in cpu && cpu.value.flags.includes('tdx_guest')) add('tdx.protected', true);
  return out;
}

function rfc3339(value: Date | string): string {
  const date = typeof value === 'string' ? new Date(value) : value;
  if (Number.isNaN(date.getTime())) throw new RangeError(`not a date: ${String(value)}`);
  return date.toISOString().replace(/\.\d{3}Z$/, 'Z');
}

/** The feature file: comments, then `kvm-caps.dev/<name>=<value>` lines. */
export function nfdFeatures(unsafeReport: Report, unsafeChecks: CheckReport, options: NfdOptions = {}): string {
  const report = terminalSafe(unsafeReport);
  const checks = terminalSafe(unsafeChecks);
  const lines = [
    `# kvm-caps ${report.snapshot.tool.version}: what this node's KVM can run (snapshot taken ` +
      `${report.snapshot.createdAt})`,
    `# for node-feature-discovery's local source: install as ${NFD_FEATURES_DIR}kvm-caps (kvm-caps -o writes ` +
      'a dot file and renames it)',
  ];
  if (options.expiresAt !== undefined) lines.push(`# +expiry-time=${rfc3339(options.expiresAt)}`);
  for (const feature of nfdFeatureList(report, checks)) lines.push(`${NFD_PREFIX}${feature.name}=${feature.value}`);
  return `${lines.join('\n')}\n`;
}
