// The TDX facts the kernel log holds: TDX module version, module state, private KeyID range,
// SEAMCALL failures and kvm_intel's TDX messages. Pure: takes the messages, returns each fact
// with the line it came from. Lines the parser does not understand are ignored, never guessed at.
//
// Formats, by where they come from (all read through the project's code search):
//   arch/x86/virt/vmx/tdx/tdx.c, pr_fmt "virt/tdx: " (v6.8 on; Intel's earlier trees used "tdx: "):
//     "BIOS enabled: private KeyID range [%u, %u)"                        tdx_init()
//     "initialization failed: too few private KeyIDs available."           tdx_init()
//     "initialization failed: Hibernation support is enabled"              tdx_init()
//     "initialization failed: register_memory_notifier() failed (%d)"      tdx_init()
//     "Disable ACPI S3. Turn off TDX in the BIOS to use ACPI S3."          tdx_init()
//     "module not loaded"                                                 try_init_module_global(),
//                                                                         first SEAMCALL -ENODEV
//     "SEAMCALL (0x%016llx) failed: 0x%016llx" + "RCX .. RDX .. R08 .." / "R09 .. R10 .. R11 .."  seamcall_err[_ret]()
//   (mainline 6.8 prints no module version.)
//   Pre-merge / vendor: "TDX module: attributes 0x%x, vendor_id 0x%x, major_version %u, minor_version %u,
//     build_date %u, build_num %u"  get_tdx_sysinfo() (TDH.SYS.INFO) of Intel's pre-merge series as carried
//     by Ubuntu's 6.8 -intel kernels (canonical/tdx#331); never in a mainline release.
//   Ubuntu kernels: "TDX module X.Y.ZZ.WW, build number N, build date D" (the wording a 2026 review of
//     kvm-caps quotes for Ubuntu kernels; no public dmesg with it was found yet, so the date is kept as
//     the text printed).
//   Intel's pre-merge trees: "%lu pages allocated for PAMT." (counted in 4 KiB pages, not KB);
//     seamcall()'s pr_err_once() texts (arch/x86/virt/vmx/tdx/tdx.c of Intel's pre-merge host series, as posted
//     to kvm@vger): "module is not loaded." (VMfailInvalid), "not enabled by BIOS." (SEAMCALL #GP; before
//     tdx_host_platform existed; canonical/tdx#102 shows "tdx: not enabled by BIOS." on an Ubuntu 23.10 TDX
//     host), "TDX module is outdated. Use v1.0.3 or newer." (TDX_INCORRECT_CPUID_VALUE).
//     "%lu KB allocated for PAMT", "module initialized", "module initialization failed (%d)"   __tdx_enable()
//     "initialization failed: TDMRs exhausted." and the reserved-area variant                   construct_tdmrs()
//   Later patches (2026):
//     "Module version: %u.%u.%02u"            "x86/virt/tdx: Print TDX module version" (Vishal Verma, v2,
//                                              tdx_global_metadata.c; later TDX_VERSION_FMT)
//     "TDX-Module version: %u.%u.%02u"        the same series' v2 variant in tdx.c print_module_version()
//     "TDX not supported by the host platform", "XSAVE/MOVDIR64B/Self-snoop is required for TDX",
//     "TDX-Module initialization failed (%d)", "TDX-Module initialized"   tdx_enable() as subsys_initcall
//   Unmerged RFC versions (seen on vendor kernels only):
//     "Module version: %u.%u.%02u.%02u.%04u, build_date: %u", "%s module." (Debug/Production),
//     "TDX_FEATURES0: 0x%llx"                 "x86/virt/tdx: Print TDX module basic information" (Kai Huang)
//     "module version: %u.%u.%02u.%02u.%04u (build_date %u)."   the same author's later revision
//   KVM of Intel's pre-merge trees (vt_hardware_setup(), main.c, as posted to kvm@vger; upstream review asked
//     to drop the message): "TDX requires TDP MMU.  Please enable TDP MMU for TDX." and "TDX requires mmio
//     caching.  Please enable mmio caching for TDX.", printed without a prefix: canonical/tdx#285 shows the
//     first in an Ubuntu 6.8 -intel host's dmesg.
//   arch/x86/kvm/vmx/tdx.c (6.16 on): "All packages need to have online CPU to create TD. Online CPU and retry."
//     (MSG_ALLPKG, tdx_td_init(): KVM_TDX_INIT_VM fails with EIO when a package has no online CPU).
//   A TD guest's own kernel (arch/x86/coco/tdx, pr_fmt "tdx: "; arch/x86/mm/mem_encrypt.c): "Guest detected",
//     "Attributes:" / "TD_CTLS:" (debug.c), "Memory Encryption Features active: Intel TDX". These say the log
//     is a guest's, not a host's: they are kept apart (guestLines) and never counted as host TDX lines.
//   Intel's pre-merge trees ("tdx: " prefix): "TDX module is not loaded.", "TDX module initialized.",
//     "TDX module: vendor_id 0x%x, major_version ...", and "SEAMCALL failed: CPU %d: leaf %d, error 0x%llx."
//     (canonical/tdx#25, a 6.5 intel-opt kernel).
//   arch/x86/kvm/vmx/tdx.c, pr_fmt "kvm_intel: ": tdx_bringup() prerequisite messages (see tables.ts
//     TDX_PARAMETERS), "tdx: OSXSAVE/MOVDIR64B is required for TDX", "Self-snoop is required for TDX",
//     "tdx: no TDX private KeyIDs available", "Disable TDX: MAX_VCPU_PER_TD (%u) smaller than number of
//     logical CPUs (%u).", "SEAMCALL %s failed: 0x%llx[, rcx ...]" (pr_tdx_error); Ubuntu's 6.8 -intel
//     KVM prints "Failed to initialize TDX module." (canonical/tdx#83, #331).
import { hex } from '../knowledge/hex.js';
import { SEAMCALL_LEAVES, TDX_PARAMETERS } from '../knowledge/tdx.js';
import type { LogFact } from './sourced.js';
import { decodeHwError } from './tdx-fields.js';

export type { LogFact };

export interface TdxModuleVersionFromLog {
  major: number;
  minor: number;
  /** The update number; null for the TDSYSINFO format, which does not print it. */
  update: number | null;
  internal: number | null;
  buildNum: number | null;
  /** YYYYMMDD as printed. */
  buildDate: string | null;
  /** TDSYSINFO_STRUCT.ATTRIBUTES / VENDOR_ID, TDSYSINFO format only. */
  attributes: number | null;
  vendorId: number | null;
  format: 'tdsysinfo' | 'major.minor.update' | 'major.minor.update.internal.build';
  /** The version as Intel writes it: "1.5.08", or "1.5 build 784" where the update is unknown. */
  text: string;
}

/** The `reason`s are the kernel's own words from the log line, never kvm-caps'. */
export type TdxModuleStateFromLog =
  | { state: 'initialized' }
  | { state: 'not-loaded' }
  /** The host platform is not TDX-capable or the BIOS did not enable TDX (tdx_host_platform unset). */
  | { state: 'not-supported'; reason: string }
  /** tdx_init() gave up before the module was touched (KeyIDs, hibernation, memory notifier). */
  | { state: 'platform-init-failed'; reason: string }
  | {
      state: 'failed';
      errno: number | null;
      errnoName: string | null;
      /** What "initialization failed: ..." said before, if anything. */
      reason: string | null;
      /** The TDH.SYS.* SEAMCALL of module bring-up that failed, where a log line shows it. */
      seamcall: { leafName: string; status: string; statusName: string | null } | null;
    };

export interface SeamcallFailure {
  /** The leaf number, or null where the line names the function instead. */
  leaf: number | null;
  /** TDH.* name from the leaf number, or the name KVM printed. */
  leafName: string | null;
  /** The 64-bit status as printed, lower-case hex. */
  status: string;
  /** The status name from tables.ts, or null if unknown. */
  statusName: string | null;
  /** Register dump lines that followed. */
  registers: string[];
}

export type KvmTdxMessageKind =
  | 'parameter'
  | 'cpu-feature'
  | 'platform'
  | 'module-init'
  | 'module-limit'
  | 'seamcall'
  /** KVM_TDX_INIT_VM's EIO: a CPU package has no online CPU (tdx.c MSG_ALLPKG). */
  | 'package-offline'
  | 'other';

export interface KvmTdxMessage {
  text: string;
  kind: KvmTdxMessageKind;
  /** For kind 'parameter': the module parameters the message is about ("kvm.tdp_mmu"). */
  parameters: string[];
}

export interface TdxLogFacts {
  /** How many lines were TDX-related (prefix virt/tdx:, tdx:, or a kvm_intel TDX message). */
  tdxLines: number;
  moduleVersion?: LogFact<TdxModuleVersionFromLog>;
  /** The last line that says what state the module is in. */
  moduleState?: LogFact<TdxModuleStateFromLog>;
  /** "BIOS enabled: private KeyID range [start, end)". */
  keyIdRange?: LogFact<{ start: number; end: number; count: number }>;
  pamtKb?: LogFact<number>;
  /** "%lu pages allocated for PAMT." (pre-merge trees): 4 KiB pages. */
  pamtPages?: LogFact<number>;
  /** Lines only a TD guest's kernel prints: the log is from inside a TD. */
  guestLines: LogFact<string>[];
  /** "Debug module." / "Production module." (RFC kernels). */
  moduleBuild?: LogFact<'debug' | 'production'>;
  /** ACPI S3 was disabled because TDX is enabled in the BIOS. */
  acpiS3Disabled?: LogFact<true>;
  seamcallFailures: LogFact<SeamcallFailure>[];
  kvmMessages: LogFact<KvmTdxMessage>[];
  /** Other "virt/tdx:" lines that state a requirement or failure (e.g. "XSAVE is required for TDX"). */
  coreMessages: LogFact<string>[];
}

/** Linux errno numbers (include/uapi/asm-generic/errno-base.h, errno.h) seen in TDX init failures. */
const ERRNO_NAMES: Readonly<Record<number, string>> = {
  1: 'EPERM',
  2: 'ENOENT',
  5: 'EIO',
  6: 'ENXIO',
  7: 'E2BIG',
  11: 'EAGAIN',
  12: 'ENOMEM',
  14: 'EFAULT',
  16: 'EBUSY',
  19: 'ENODEV',
  22: 'EINVAL',
  28: 'ENOSPC',
  95: 'EOPNOTSUPP',
  110: 'ETIMEDOUT',
};

export function errnoName(errno: number): string | null {
  return ERRNO_NAMES[Math.abs(errno)] ?? null;
}

const KMSG_PREFIX = /^\d+,\d+,\d+,[^;]*;/;
const DMESG_TIME = /^\[\s*\d+\.\d+\]\s*/;

/** The message without a /dev/kmsg record header or a dmesg timestamp. */
function bare(line: string): string {
  return line.replace(KMSG_PREFIX, '').replace(DMESG_TIME, '').trimEnd();
}

type Origin = 'core' | 'kvm' | 'none';

function split(message: string): { origin: Origin; text: string } {
  const core = /^(?:virt\/tdx|tdx): (.*)$/.exec(message);
  if (core) return { origin: 'core', text: core[1] ?? '' };
  const kvm = /^kvm_intel: (.*)$/.exec(message);
  if (kvm) return { origin: 'kvm', text: kvm[1] ?? '' };
  return { origin: 'none', text: message };
}

const num = (text: string | undefined): number => Number.parseInt(text ?? '', 10);

function leafName(leaf: number): string | null {
  return SEAMCALL_LEAVES.find((entry) => entry.leaf === leaf)?.name ?? null;
}

const U64_MAX = (1n << 64n) - 1n;

/** A SEAMCALL status is 64 bits; a wider number in a log line is not one, and the line is not read as a failure. */
function seamcallFailure(leaf: number | null, name: string | null, statusText: string): SeamcallFailure | null {
  const value = BigInt(statusText);
  if (value > U64_MAX) return null;
  const status = hex(value, 16);
  return {
    leaf,
    leafName: name ?? (leaf === null ? null : leafName(leaf)),
    status,
    statusName: decodeHwError(status).name,
    registers: [],
  };
}

/**
 * "SEAMCALL (0x..) failed: 0x..", "SEAMCALL (33) failed: 0x..", "SEAMCALL TDH_MNG_INIT failed: 0x..",
 * "SEAMCALL failed: CPU 94: leaf 33, error 0x..".
 */
function parseSeamcall(text: string): SeamcallFailure | null {
  let m = /^SEAMCALL \((0x[0-9a-fA-F]+|-?\d+)\) failed: (0x[0-9a-fA-F]+)/.exec(text);
  if (m) {
    const leafText = m[1] ?? '0';
    const leaf = leafText.startsWith('0x') ? Number(BigInt(leafText) & 0xffffn) : num(leafText) & 0xffff;
    return seamcallFailure(leaf, null, m[2] ?? '0');
  }
  m = /^SEAMCALL failed: CPU \d+: leaf (\d+), error (0x[0-9a-fA-F]+)/.exec(text);
  if (m) return seamcallFailure(num(m[1]), null, m[2] ?? '0');
  m = /^SEAMCALL (TDH_[A-Z0-9_]+) failed: (0x[0-9a-fA-F]+)/.exec(text);
  if (m) return seamcallFailure(null, (m[1] ?? '').replace(/_/g, '.'), m[2] ?? '0');
  return null;
}

/** The pre-merge / vendor "TDX module: attributes .., vendor_id .., major_version .." line. */
const PREMERGE_MODULE_LINE = new RegExp(
  '^TDX module: (?:attributes (0x[0-9a-fA-F]+), )?vendor_id (0x[0-9a-fA-F]+), ' +
    String.raw`major_version (\d+), minor_version (\d+), build_date (\d+), build_num (\d+)`,
);

/** A version printed as major.minor.update (groups 1-3 of `m`) and what else the line gave. */
function dotted(
  m: RegExpExecArray,
  rest: Pick<TdxModuleVersionFromLog, 'internal' | 'buildNum' | 'buildDate' | 'format'>,
): TdxModuleVersionFromLog {
  const major = num(m[1]);
  const minor = num(m[2]);
  const update = num(m[3]);
  const { internal, buildNum, buildDate, format } = rest;
  return {
    major,
    minor,
    update,
    internal,
    buildNum,
    buildDate,
    attributes: null,
    vendorId: null,
    format,
    text: `${major}.${minor}.${String(update).padStart(2, '0')}`,
  };
}

function parseVersion(text: string): TdxModuleVersionFromLog | null {
  let m = PREMERGE_MODULE_LINE.exec(text);
  if (m) {
    const major = num(m[3]);
    const minor = num(m[4]);
    const buildNum = num(m[6]);
    return {
      major,
      minor,
      update: null,
      internal: null,
      buildNum,
      buildDate: m[5] ?? null,
      attributes: m[1] === undefined ? null : Number(m[1]),
      vendorId: Number(m[2]),
      format: 'tdsysinfo',
      text: `${major}.${minor} build ${buildNum}`,
    };
  }
  // Two wordings print the same five numbers and a build date: Ubuntu's "TDX module X.Y.ZZ.WW,
  // build number N, build date D" and the RFC's "module version: X.Y.ZZ.WW.NNNN (build_date D)".
  m =
    /^TDX module (\d+)\.(\d+)\.(\d+)\.(\d+), build number (\d+), build date (\w+)/.exec(text) ??
    /^(?:TDX[- ]module|module) version: (\d+)\.(\d+)\.(\d+)\.(\d+)\.(\d+)(?:,? \(?build_date:? (\d+)\)?)?\.?$/i.exec(
      text,
    );
  if (m) {
    return dotted(m, {
      internal: num(m[4]),
      buildNum: num(m[5]),
      buildDate: m[6] ?? null,
      format: 'major.minor.update.internal.build',
    });
  }
  m = /^(?:TDX[- ]module|module) version: (\d+)\.(\d+)\.(\d+)$/i.exec(text);
  if (m) return dotted(m, { internal: null, buildNum: null, buildDate: null, format: 'major.minor.update' });
  return null;
}

function failed(errnoText: string | undefined, reason: string | null): TdxModuleStateFromLog {
  if (errnoText === undefined) return { state: 'failed', errno: null, errnoName: null, reason, seamcall: null };
  const errno = num(errnoText);
  return { state: 'failed', errno, errnoName: errnoName(errno), reason, seamcall: null };
}

/** tdx_init()'s "initialization failed: .." reasons. */
const INIT_FAILED_LINE = new RegExp(
  '^initialization failed: (too few private KeyIDs available|Hibernation support is enabled|' +
    String.raw`register_memory_notifier\(\) failed.*)`,
);

/** Module state from a virt/tdx (core) line, or null. */
function parseCoreState(text: string): TdxModuleStateFromLog | null {
  if (/^(?:TDX[- ])?module initialized\.?$/i.test(text)) return { state: 'initialized' };
  let m = /^(?:TDX[- ])?module initialization failed \((-?\d+)\)/i.exec(text);
  if (m) return failed(m[1], null);
  if (/^(?:TDX )?module (?:is )?not loaded\.?$/i.test(text)) return { state: 'not-loaded' };
  if (/^TDX not supported by the host platform|^not enabled by BIOS\.?$/.test(text))
    return { state: 'not-supported', reason: text };
  m = INIT_FAILED_LINE.exec(text);
  if (m) return { state: 'platform-init-failed', reason: (m[1] ?? '').replace(/\.$/, '') };
  return null;
}

/** Pre-merge KVM's own wording of two prerequisite checks (main.c vt_hardware_setup()). */
const PREMERGE_PARAMETER_MESSAGES: readonly { pattern: RegExp; parameters: string[] }[] = [
  { pattern: /^TDX requires TDP MMU\.\s+Please enable TDP MMU for TDX/, parameters: ['kvm.tdp_mmu'] },
  { pattern: /^TDX requires mmio caching\.\s+Please enable mmio caching for TDX/, parameters: ['kvm.mmio_caching'] },
];

function kvmMessage(text: string): KvmTdxMessage | null {
  const body = text.replace(/^tdx: /, '');
  const premerge = PREMERGE_PARAMETER_MESSAGES.find((m) => m.pattern.test(body));
  if (premerge) return { text, kind: 'parameter', parameters: premerge.parameters };
  if (/^All packages need to have online CPU to create TD/.test(body))
    return { text, kind: 'package-offline', parameters: [] };
  const parameters = TDX_PARAMETERS.filter(
    (p) => p.message !== '' && body.startsWith(p.message.replace(/^tdx: /, '')),
  ).map((p) => `${p.module}.${p.parameter}`);
  if (parameters.length > 0) return { text, kind: 'parameter', parameters };
  if (/^(?:OSXSAVE|MOVDIR64B|Self-snoop|XSAVE) is required for TDX/.test(body))
    return { text, kind: 'cpu-feature', parameters: [] };
  if (/^no TDX private KeyIDs available|^TDX not supported by the host platform/.test(body))
    return { text, kind: 'platform', parameters: [] };
  if (/^Disable TDX: MAX_VCPU_PER_TD/.test(body)) return { text, kind: 'module-limit', parameters: [] };
  if (/^Failed to initialize TDX module/i.test(body)) return { text, kind: 'module-init', parameters: [] };
  if (/^SEAMCALL /.test(body)) return { text, kind: 'seamcall', parameters: [] };
  if (/tdx/i.test(body)) return { text, kind: 'other', parameters: [] };
  return null;
}

/** The TDH.SYS.* leaves of module bring-up: a failure there leaves the module uninitialised. */
const INIT_LEAVES: ReadonlySet<string> = new Set([
  'TDH.SYS.INIT',
  'TDH.SYS.LP.INIT',
  'TDH.SYS.INFO',
  'TDH.SYS.RD',
  'TDH.SYS.CONFIG',
  'TDH.SYS.KEY.CONFIG',
  'TDH.SYS.TDMR.INIT',
]);

/** Messages only a TD guest's kernel prints (arch/x86/coco/tdx/tdx.c, debug.c; arch/x86/mm/mem_encrypt.c). */
const GUEST_LINE = /^tdx: (?:Guest detected|Attributes:|TD_CTLS:)|^Memory Encryption Features active:.*Intel TDX/;

/** Reads the TDX facts out of kernel log messages (raw kmsg records, dmesg lines, or bare messages). */
export function parseTdxLog(messages: readonly string[], logName = 'kernel log'): TdxLogFacts {
  const facts: TdxLogFacts = { tdxLines: 0, seamcallFailures: [], kvmMessages: [], coreMessages: [], guestLines: [] };
  let lastFailure: SeamcallFailure | null = null;
  let failureReason: string | null = null;

  messages.forEach((line, index) => {
    const message = bare(line);
    const { origin, text } = split(message);
    const at = <T>(value: T): LogFact<T> => ({ value, source: `${logName}: "${line.trim()}"`, line, index });

    if (GUEST_LINE.test(message)) {
      facts.guestLines.push(at(message));
      return;
    }

    // Register dumps that follow a SEAMCALL failure (seamcall_err_ret()).
    if (lastFailure !== null && /^(?:RCX|R09) 0x[0-9a-fA-F]+/.test(text) && origin !== 'kvm') {
      lastFailure.registers.push(text);
      facts.tdxLines++;
      return;
    }
    if (origin === 'none') {
      // Pre-merge KVM printed its prerequisite messages without a prefix (canonical/tdx#285).
      const premerge = PREMERGE_PARAMETER_MESSAGES.find((m) => m.pattern.test(text));
      if (premerge) {
        facts.tdxLines++;
        facts.kvmMessages.push(at({ text, kind: 'parameter', parameters: premerge.parameters }));
        return;
      }
      // KVM out-of-tree builds print SEAMCALL failures without a prefix (canonical/tdx#153).
      const failure = parseSeamcall(text);
      if (failure !== null) {
        facts.tdxLines++;
        facts.seamcallFailures.push(at(failure));
        lastFailure = failure;
      }
      return;
    }
    if (origin === 'kvm') {
      const message = kvmMessage(text);
      if (message === null) return;
      facts.tdxLines++;
      facts.kvmMessages.push(at(message));
      const failure = message.kind === 'seamcall' ? parseSeamcall(text.replace(/^tdx: /, '')) : null;
      if (failure !== null) {
        facts.seamcallFailures.push(at(failure));
        lastFailure = failure;
      }
      if (message.kind === 'module-init' && facts.moduleState === undefined)
        facts.moduleState = at(failed(undefined, failureReason));
      if (message.kind === 'platform' && /TDX not supported by the host platform/.test(text)) {
        facts.moduleState = at({ state: 'not-supported', reason: text });
      }
      return;
    }

    facts.tdxLines++;
    lastFailure = null;
    const version = parseVersion(text);
    if (version !== null) {
      facts.moduleVersion = at(version);
      return;
    }
    const state = parseCoreState(text);
    if (state !== null) {
      if (state.state === 'failed' && state.reason === null) state.reason = failureReason;
      facts.moduleState = at(state);
      return;
    }
    const failure = parseSeamcall(text);
    if (failure !== null) {
      facts.seamcallFailures.push(at(failure));
      lastFailure = failure;
      // A failed TDH.SYS.* call during bring-up is the module failing to initialise with that
      // status; a later line that states the module's state takes precedence.
      if (failure.leafName !== null && INIT_LEAVES.has(failure.leafName)) {
        const { leafName, status, statusName } = failure;
        facts.moduleState = at({
          state: 'failed',
          errno: null,
          errnoName: null,
          reason: null,
          seamcall: { leafName, status, statusName },
        });
      }
      return;
    }
    let m = /^BIOS enabled: private KeyID range \[(\d+), (\d+)\)/.exec(text);
    if (m) {
      const start = num(m[1]);
      const end = num(m[2]);
      facts.keyIdRange = at({ start, end, count: end - start });
      return;
    }
    m = /^(\d+) KBs? allocated for PAMT/.exec(text);
    if (m) {
      facts.pamtKb = at(num(m[1]));
      return;
    }
    m = /^(\d+) pages allocated for PAMT/.exec(text);
    if (m) {
      facts.pamtPages = at(num(m[1]));
      return;
    }
    m = /^(Debug|Production) module\.?$/.exec(text);
    if (m) {
      facts.moduleBuild = at(m[1] === 'Debug' ? 'debug' : 'production');
      return;
    }
    if (/^Disable ACPI S3/.test(text)) {
      facts.acpiS3Disabled = at(true);
      return;
    }
    if (/^initialization failed: /.test(text))
      failureReason = text.replace(/^initialization failed: /, '').replace(/\.$/, '');
    if (/required for TDX|failed|exhausted|bug present|upgrade TDX module/i.test(text))
      facts.coreMessages.push(at(text));
  });
  return facts;
}
