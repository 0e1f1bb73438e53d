// What the kernel log says about SEV: kvm_amd's ASID ranges, the ccp (PSP) driver's firmware
// version and INIT failures, the RMP table, and the AMD IOMMU's SNP prerequisites. Pure: the
// caller passes the messages. Every fact is a LogFact: typed values (which line, which numbers,
// which error code) with the quoted line as its source; what they mean is for check and render.
//
// Formats, each copied from the source that prints it:
// kvm_amd (pr_fmt "kvm_amd: "), arch/x86/kvm/svm/sev.c sev_hardware_setup():
//   "SEV %s (ASIDs %u - %u)", "SEV-ES %s (ASIDs %u - %u)", "SEV-SNP %s (ASIDs %u - %u)" with
//   %s = "enabled" | "unusable" | "disabled" (sev_str_feature_state()),
//   "SEV-SNP ciphertext hiding enabled",
//   "SEV: SNP_PLATFORM_STATUS failed ret=%d, fw_error=%d (%#x)" (is_sev_snp_initialized(), 6.16+),
//   "SEV%s: DF_FLUSH failed, ret=%d, error=%#x" (sev_flush_asids());
//   older kernels: "SEV supported: %u ASIDs", "SEV-ES supported: %u ASIDs",
//   "SEV-ES and SEV-SNP supported: %u ASIDs" (seen in AMDESE/AMDSEV#82, #189, #202).
// ccp (dev_* prefix "ccp <pci address>: "), drivers/crypto/ccp/sev-dev.c:
//   "SEV API:%d.%d build:%d", "SEV-SNP API:%d.%d build:%d" (also "SEV%s API:..." in sev_pci_init),
//   "SEV: failed to INIT error %#x, rc %d" (<= 6.15), "SEV: failed to INIT error %#x" (older),
//   "SEV: %s failed %#x, rc %d" with INIT/INIT_EX (6.16+), "SEV: DF_FLUSH failed %#x, rc %d",
//   "SEV-SNP: failed to INIT rc %d, error %#x" (6.9-6.15), "SEV-SNP: failed to INIT error %#x"
//   (AMD snp-host trees), "SEV-SNP: %s failed rc %d, error %#x" with SNP_INIT/SNP_INIT_EX (6.16+),
//   "SEV-SNP: SNP_DF_FLUSH failed rc %d, error %#x", "SEV: failed to get status. Error: %#x",
//   "SEV: failed to SHUTDOWN error %#x, rc %d", "SNP PLATFORM_STATUS command failed, ret = %d,
//   error = %#x" and "SNP FEATURE_INFO command failed, ret = %d, error = %#x" (6.16+: /dev/sev is
//   then not registered), "SEV-SNP DF_FLUSH failed, ret = %d, error = %#x" and "SEV-SNP firmware
//   shutdown failed, rc %d, error %#x" (SNP_SHUTDOWN_EX), "SEV: retrying INIT command because of
//   SECURE_DATA_INVALID error. Retrying once to reset PSP SEV state.",
//   "SEV firmware updated from %d.%d.%d to %d.%d.%d", "SEV-SNP support requires firmware
//   version >= %d:%d" (dev_dbg: absent from a default log), "sev command %#x timed out, disabling
//   PSP" (the failing command's own line then shows error 0 and rc -110), "SEV: TMR allocation failed,
//   SEV-ES support unavailable", "sev enabled", "sev initialization failed",
//   "SEV: memory encryption not enabled by BIOS", and (psp-dev.c) "psp does not support SEV".
// RMP (pr_fmt "SEV-SNP: "), arch/x86/virt/svm/sev.c:
//   "RMP table physical range [0x%016llx - 0x%016llx]", "Segmented RMP base table physical range
//   [...]", "Segmented RMP using %lluGB segments", "RMP segment %u physical address [0x%llx -
//   0x%llx] covering [0x%llx - 0x%llx]", "Memory for the RMP table has not been reserved by BIOS",
//   "RMP configuration not valid: base=%#llx, end=%#llx", "Memory reserved for the RMP table does
//   not cover full system RAM (expected 0x%llx got 0x%llx)", "Segmented RMP does not cover full
//   system RAM (...)", "Failed to map RMP table", "Failed to map RMP bookkeeping area", "Invalid
//   RMP size 0x%llx for configured segment size 0x%llx", "Invalid RMP segment base address 0x%llx
//   for configured segment size 0x%llx"; older trees: "RMP table physical address ...".
// AMD IOMMU (pr_fmt "AMD-Vi: "), drivers/iommu/amd/init.c iommu_snp_enable():
//   "SNP: IOMMU disabled or configured in passthrough mode, SNP cannot be supported.",
//   "SNP: IOMMU is configured with V2 page table mode, SNP cannot be supported.",
//   "SNP: IOMMU SNP feature not enabled, SNP cannot be supported.", "SNP: RMP initialization
//   failed, SNP cannot be supported." (snp_rmptable_init() failed), "IOMMU SNP support enabled."
//   (the first review version said "is disabled" / "is not enabled" / "is enabled").
import { hex } from '../knowledge/hex.js';
import { sevRetName } from '../knowledge/sev.js';
import type { LogFact } from './sourced.js';

/** The line a fact was read from: its text as given, and its position in the input. */
export interface LogSource {
  line: string;
  index: number;
}

export type AsidState = 'enabled' | 'unusable' | 'disabled' | 'supported';

export interface AsidRange {
  feature: 'SEV' | 'SEV-ES' | 'SEV-SNP';
  /** 'supported' is the pre-range wording ("SEV supported: 410 ASIDs"). */
  state: AsidState;
  first: number | null;
  last: number | null;
  /** ASIDs in the range (0 when first > last: the kernel's "unusable"). */
  count: number;
}

export interface ApiVersion {
  major: number;
  minor: number;
  build: number;
  /** "1.55.21", the form snphost prints. */
  text: string;
  device: string | null;
}

export interface FirmwareFailure {
  /** Who printed it. */
  reporter: 'ccp' | 'kvm_amd';
  technology: 'SEV' | 'SNP';
  /**
   * The firmware command or step: INIT, INIT_EX, SNP_INIT, SNP_INIT_EX, DF_FLUSH, SNP_DF_FLUSH, PLATFORM_STATUS,
   * SNP_PLATFORM_STATUS, SHUTDOWN.
   */
  operation: string;
  /** The kernel's return code (negative errno), where printed. */
  rc: number | null;
  /** The firmware status, where printed. */
  firmwareError: number | null;
  /** Its SEV_RET_* name; null when the code is not one psp-sev.h defines (e.g. 0x8003). */
  errorName: string | null;
  device: string | null;
}

export interface RmpTable {
  kind: 'contiguous' | 'segmented';
  start: string;
  end: string;
}

export interface RmpSegment {
  segment: number;
  start: string;
  end: string;
  coversStart: string;
  coversEnd: string;
}

export type RmpProblem =
  | 'not-reserved-by-bios'
  | 'invalid-configuration'
  | 'does-not-cover-ram'
  | 'map-failed'
  | 'bookkeeping-map-failed'
  | 'invalid-segment-size'
  | 'invalid-segment-base'
  | 'segment-size-out-of-bounds';

export type IommuProblem = 'disabled-or-passthrough' | 'v2-page-table' | 'no-snp-feature' | 'rmp-init-failed';

export interface SevLogFacts {
  /** kvm_amd's ASID lines; the last of each kind wins (a module reload prints them again). */
  asids: { sev?: LogFact<AsidRange>; sevEs?: LogFact<AsidRange>; snp?: LogFact<AsidRange> };
  ciphertextHiding?: LogFact<true>;
  sevApi?: LogFact<ApiVersion>;
  snpApi?: LogFact<ApiVersion>;
  firmwareUpdate?: LogFact<{ from: string | null; to: string | null }>;
  /** "SEV-SNP support requires firmware version >= 1:51". */
  snpNeedsFirmware?: LogFact<{ major: number; minor: number }>;
  failures: LogFact<FirmwareFailure>[];
  psp: {
    /** "ccp ...: sev enabled": the ccp driver registered /dev/sev. */
    sevEnabled?: LogFact<{ device: string | null }>;
    sevInitializationFailed?: LogFact<{ device: string | null }>;
    notEnabledByBios?: LogFact<{ device: string | null }>;
    noSevSupport: LogFact<{ device: string | null }>[];
    timeouts: LogFact<number>[];
    tmrAllocationFailed?: LogFact<{ device: string | null }>;
    /**
     * "SEV: retrying INIT command because of SECURE_DATA_INVALID error...": the first INIT failed and was retried once.
     */
    initRetried?: LogFact<{ device: string | null }>;
  };
  rmp: {
    table?: LogFact<RmpTable>;
    segmentSizeGiB?: LogFact<number>;
    segments: LogFact<RmpSegment>[];
    problems: LogFact<RmpProblem>[];
  };
  iommu: {
    snpSupport?: LogFact<true>;
    problems: LogFact<IommuProblem>[];
  };
  /** "Memory Encryption Features active: SEV SEV-ES SEV-SNP": this kernel is itself an SEV guest. */
  guestFeatures?: LogFact<string[]>;
  /** Every line some rule matched, in input order. */
  matched: LogSource[];
}

const HEX = '0x[0-9a-fA-F]+';
const NUM = `(?:${HEX}|\\d+)`;

/** A dmesg line without its "[    1.234567] " or "[Wed Oct 11 10:36:17 2023] " stamp and "kernel: " tag. */
export function stripLogPrefix(line: string): string {
  let text = line.replace(/\r$/, '');
  text = text.replace(/^\s*\[[^\]]*\]\s*/, '');
  text = text.replace(/^kernel:\s+/, '');
  return text.trim();
}

function num(text: string | undefined): number | null {
  if (text === undefined) return null;
  if (/^0x/i.test(text)) return Number.parseInt(text.slice(2), 16);
  const n = Number(text);
  return Number.isFinite(n) ? n : null;
}

function failure(
  reporter: FirmwareFailure['reporter'],
  technology: FirmwareFailure['technology'],
  operation: string,
  rc: number | null,
  firmwareError: number | null,
  device: string | null,
): FirmwareFailure {
  return {
    reporter,
    technology,
    operation,
    rc,
    firmwareError,
    errorName: firmwareError === null ? null : (sevRetName(firmwareError) ?? null),
    device,
  };
}

function range(feature: AsidRange['feature'], state: string, first: string, last: string): AsidRange {
  const a = Number(first);
  const b = Number(last);
  // ASID 0 is the host's: "SEV-ES disabled (ASIDs 0 - 0)" (bounds never set) counts no ASID.
  const low = Math.max(a, 1);
  return { feature, state: state as AsidState, first: a, last: b, count: b >= low ? b - low + 1 : 0 };
}

function apiVersion(major: string, minor: string, build: string, device: string | null): ApiVersion {
  return {
    major: Number(major),
    minor: Number(minor),
    build: Number(build),
    text: `${Number(major)}.${Number(minor)}.${Number(build)}`,
    device,
  };
}

/** Makes a fact of the line being read. */
type At = <T>(value: T) => LogFact<T>;

type Rule = (text: string, facts: SevLogFacts, t: At) => boolean;

/** Rules for lines the ccp driver prints through dev_*(): `rest` is the text after "ccp <device>: ". */
function ccpRules(rest: string, device: string | null, facts: SevLogFacts, t: At): boolean {
  let m: RegExpExecArray | null;
  if ((m = /^SEV(-SNP)? API:(\d+)\.(\d+) build:\s*(\d+)$/.exec(rest))) {
    const version = t(apiVersion(m[2]!, m[3]!, m[4]!, device));
    if (m[1]) facts.snpApi = version;
    else facts.sevApi = version;
    return true;
  }
  if ((m = new RegExp(`^SEV-SNP:\\s+failed to INIT rc (-?\\d+), error (${NUM})$`).exec(rest))) {
    facts.failures.push(t(failure('ccp', 'SNP', 'SNP INIT', num(m[1]), num(m[2]), device)));
    return true;
  }
  if ((m = new RegExp(`^SEV-SNP:\\s+failed to INIT error (${NUM})$`).exec(rest))) {
    facts.failures.push(t(failure('ccp', 'SNP', 'SNP INIT', null, num(m[1]), device)));
    return true;
  }
  if (
    (m = new RegExp(`^SEV-SNP: (SNP_INIT_EX|SNP_INIT|SNP_DF_FLUSH) failed rc (-?\\d+), error (${NUM})$`).exec(rest))
  ) {
    facts.failures.push(t(failure('ccp', 'SNP', m[1]!, num(m[2]), num(m[3]), device)));
    return true;
  }
  if (
    (m = new RegExp(`^SNP (PLATFORM_STATUS|FEATURE_INFO) command failed, ret = (-?\\d+), error = (${NUM})$`).exec(rest))
  ) {
    facts.failures.push(t(failure('ccp', 'SNP', `SNP_${m[1]!}`, num(m[2]), num(m[3]), device)));
    return true;
  }
  if ((m = new RegExp(`^SEV-SNP DF_FLUSH failed, ret = (-?\\d+), error = (${NUM})$`).exec(rest))) {
    facts.failures.push(t(failure('ccp', 'SNP', 'SNP_DF_FLUSH', num(m[1]), num(m[2]), device)));
    return true;
  }
  if ((m = new RegExp(`^SEV-SNP firmware shutdown failed, rc (-?\\d+), error (${NUM})$`).exec(rest))) {
    facts.failures.push(t(failure('ccp', 'SNP', 'SNP_SHUTDOWN_EX', num(m[1]), num(m[2]), device)));
    return true;
  }
  if (/^SEV: retrying INIT command because of SECURE_DATA_INVALID error\./.test(rest)) {
    facts.psp.initRetried = t({ device });
    return true;
  }
  if ((m = new RegExp(`^SEV: failed to INIT error (${NUM})(?:, rc (-?\\d+))?$`).exec(rest))) {
    facts.failures.push(t(failure('ccp', 'SEV', 'INIT', num(m[2]), num(m[1]), device)));
    return true;
  }
  if ((m = new RegExp(`^SEV: (INIT_EX|INIT|DF_FLUSH) failed (${NUM}), rc (-?\\d+)$`).exec(rest))) {
    facts.failures.push(t(failure('ccp', 'SEV', m[1]!, num(m[3]), num(m[2]), device)));
    return true;
  }
  if ((m = new RegExp(`^SEV: failed to get status\\. Error: (${NUM})$`).exec(rest))) {
    facts.failures.push(t(failure('ccp', 'SEV', 'PLATFORM_STATUS', null, num(m[1]), device)));
    return true;
  }
  if ((m = new RegExp(`^SEV: failed to SHUTDOWN error (${NUM}), rc (-?\\d+)$`).exec(rest))) {
    facts.failures.push(t(failure('ccp', 'SEV', 'SHUTDOWN', num(m[2]), num(m[1]), device)));
    return true;
  }
  if ((m = /^SEV firmware updated from (\d+\.\d+\.\d+) to (\d+\.\d+\.\d+)$/.exec(rest))) {
    facts.firmwareUpdate = t({ from: m[1]!, to: m[2]! });
    return true;
  }
  if (/^SEV firmware update successful$/.test(rest)) {
    facts.firmwareUpdate = t({ from: null, to: null });
    return true;
  }
  if ((m = /^SEV-SNP support requires firmware version >= (\d+):(\d+)$/.exec(rest))) {
    facts.snpNeedsFirmware = t({ major: Number(m[1]), minor: Number(m[2]) });
    return true;
  }
  if ((m = new RegExp(`^sev command (${HEX}) timed out, disabling PSP$`).exec(rest))) {
    facts.psp.timeouts.push(t(num(m[1]) ?? 0));
    return true;
  }
  if (/^SEV: TMR allocation failed, SEV-ES support unavailable$/.test(rest)) {
    facts.psp.tmrAllocationFailed = t({ device });
    return true;
  }
  if (/^sev enabled$/.test(rest)) {
    facts.psp.sevEnabled = t({ device });
    return true;
  }
  if (/^sev initialization failed$/.test(rest)) {
    facts.psp.sevInitializationFailed = t({ device });
    return true;
  }
  if (/^SEV: memory encryption not enabled by BIOS$/.test(rest)) {
    facts.psp.notEnabledByBios = t({ device });
    return true;
  }
  if (/^psp does not support SEV$/.test(rest)) {
    facts.psp.noSevSupport.push(t({ device }));
    return true;
  }
  return false;
}

const kvmAmdRules: Rule = (text, facts, t) => {
  let m: RegExpExecArray | null;
  // The newer lines always carry the "kvm_amd: " prefix; 5.x printed "SEV supported: N ASIDs" without it.
  const rest = text.replace(/^kvm_amd:\s+/, '');
  const prefixed = rest !== text;
  if (prefixed && (m = /^(SEV|SEV-ES|SEV-SNP) (enabled|unusable|disabled) \(ASIDs (\d+) - (\d+)\)$/.exec(rest))) {
    const fact = t(range(m[1] as AsidRange['feature'], m[2]!, m[3]!, m[4]!));
    if (m[1] === 'SEV') facts.asids.sev = fact;
    else if (m[1] === 'SEV-ES') facts.asids.sevEs = fact;
    else facts.asids.snp = fact;
    return true;
  }
  if ((m = /^(SEV|SEV-ES|SEV-ES and SEV-SNP) supported: (\d+) ASIDs$/.exec(rest))) {
    const count = Number(m[2]);
    const make = (feature: AsidRange['feature']): LogFact<AsidRange> =>
      t({ feature, state: 'supported', first: null, last: null, count });
    if (m[1] === 'SEV') facts.asids.sev = make('SEV');
    else {
      facts.asids.sevEs = make('SEV-ES');
      if (m[1] === 'SEV-ES and SEV-SNP') facts.asids.snp = make('SEV-SNP');
    }
    return true;
  }
  if (prefixed && /^SEV-SNP ciphertext hiding enabled$/.test(rest)) {
    facts.ciphertextHiding = t(true as const);
    return true;
  }
  if (
    prefixed &&
    (m = new RegExp(`^SEV: SNP_PLATFORM_STATUS failed ret=(-?\\d+), fw_error=(-?\\d+) \\((${NUM})\\)$`).exec(rest))
  ) {
    facts.failures.push(t(failure('kvm_amd', 'SNP', 'SNP_PLATFORM_STATUS', num(m[1]), num(m[3]), null)));
    return true;
  }
  if (prefixed && (m = new RegExp(`^SEV(-SNP)?: DF_FLUSH failed, ret=(-?\\d+), error=(${NUM})$`).exec(rest))) {
    facts.failures.push(
      t(failure('kvm_amd', m[1] ? 'SNP' : 'SEV', m[1] ? 'SNP_DF_FLUSH' : 'DF_FLUSH', num(m[2]), num(m[3]), null)),
    );
    return true;
  }
  return false;
};

const rmpRules: Rule = (text, facts, t) => {
  let m: RegExpExecArray | null;
  const rest = /^SEV-SNP:\s+(.*)$/.exec(text)?.[1];
  if (rest === undefined) return false;
  if (
    (m = new RegExp(`^(Segmented )?RMP (?:base )?table physical (?:range|address) \\[?(${HEX}) - (${HEX})\\]?$`).exec(
      rest,
    ))
  ) {
    facts.rmp.table = t<RmpTable>({
      kind: m[1] ? 'segmented' : 'contiguous',
      start: hex(BigInt(m[2]!)),
      end: hex(BigInt(m[3]!)),
    });
    return true;
  }
  if ((m = /^Segmented RMP using (\d+)GB segments$/.exec(rest))) {
    facts.rmp.segmentSizeGiB = t(Number(m[1]));
    return true;
  }
  if (
    (m = new RegExp(
      `^RMP segment (\\d+) physical address \\[(${HEX}) - (${HEX})\\] covering \\[(${HEX}) - (${HEX})\\]$`,
    ).exec(rest))
  ) {
    facts.rmp.segments.push(
      t({
        segment: Number(m[1]),
        start: hex(BigInt(m[2]!)),
        end: hex(BigInt(m[3]!)),
        coversStart: hex(BigInt(m[4]!)),
        coversEnd: hex(BigInt(m[5]!)),
      }),
    );
    return true;
  }
  const problems: [RegExp, RmpProblem][] = [
    [/^Memory for the RMP table has not been reserved by BIOS$/, 'not-reserved-by-bios'],
    [/^RMP configuration not valid: /, 'invalid-configuration'],
    [/^(?:Memory reserved for the RMP table|Segmented RMP) does not cover full system RAM/, 'does-not-cover-ram'],
    [/^Failed to map RMP (?:table|segment)/, 'map-failed'],
    [/^Failed to map RMP bookkeeping area$/, 'bookkeeping-map-failed'],
    [/^Invalid RMP size 0x[0-9a-f]+ for configured segment size/, 'invalid-segment-size'],
    [/^Invalid RMP segment base address 0x[0-9a-f]+ for configured segment size/, 'invalid-segment-base'],
    [/^RMP segment size \(\d+\) is not within advertised bounds/, 'segment-size-out-of-bounds'],
  ];
  for (const [pattern, problem] of problems) {
    if (pattern.test(rest)) {
      facts.rmp.problems.push(t(problem));
      return true;
    }
  }
  return false;
};

const iommuRules: Rule = (text, facts, t) => {
  const rest = text.replace(/^AMD-Vi:\s+/, '');
  const problems: [RegExp, IommuProblem][] = [
    [/^SNP: IOMMU (?:is )?disabled or configured in passthrough mode/, 'disabled-or-passthrough'],
    [/^SNP: IOMMU is configured with V2 page table mode/, 'v2-page-table'],
    [/^SNP: IOMMU SNP feature (?:is )?not enabled/, 'no-snp-feature'],
    [/^SNP: RMP initialization failed, SNP cannot be supported\.$/, 'rmp-init-failed'],
  ];
  for (const [pattern, problem] of problems) {
    if (pattern.test(rest)) {
      facts.iommu.problems.push(t(problem));
      return true;
    }
  }
  if (/^IOMMU SNP support (?:is )?enabled\.?$/.test(rest)) {
    facts.iommu.snpSupport = t(true as const);
    return true;
  }
  return false;
};

const guestRules: Rule = (text, facts, t) => {
  const m = /^(?:AMD )?Memory Encryption Features active:\s*(.*)$/.exec(text);
  if (!m) return false;
  facts.guestFeatures = t(m[1]!.split(/\s+/).filter(Boolean));
  return true;
};

function emptyFacts(): SevLogFacts {
  return {
    asids: {},
    failures: [],
    psp: { noSevSupport: [], timeouts: [] },
    rmp: { segments: [], problems: [] },
    iommu: { problems: [] },
    matched: [],
  };
}

/**
 * Reads kernel log messages (from /dev/kmsg records or dmesg lines; timestamps and "kernel: "
 * tags are ignored) and returns what they say about SEV, each fact with its line. `logName`
 * names the log in each fact's source: `${logName}: "<the line>"`.
 */
export function parseSevLog(messages: readonly string[], logName = 'kernel log'): SevLogFacts {
  const facts = emptyFacts();
  messages.forEach((line, index) => {
    const text = stripLogPrefix(line);
    if (text === '') return;
    const t: At = (value) => ({ value, source: `${logName}: "${line.trim()}"`, line, index });
    const ccp = /^ccp (\S+): (.*)$/.exec(text);
    const matched = ccp
      ? ccpRules(ccp[2]!.trim(), ccp[1]!, facts, t)
      : kvmAmdRules(text, facts, t) ||
        rmpRules(text, facts, t) ||
        iommuRules(text, facts, t) ||
        guestRules(text, facts, t);
    if (matched) facts.matched.push({ line, index });
  });
  return facts;
}
