// The confidential-VM launch vocabulary as data: for SEV, SEV-ES, SEV-SNP and TDX, the steps
// from creating the VM to attestation, the KVM command each step uses and the firmware
// operation (AMD-SP command, SEAMCALL, TDCALL) behind it. Checked against
// Documentation/virt/kvm/x86/amd-memory-encryption.rst and intel-tdx.rst and
// arch/x86/kvm/svm/sev.c / arch/x86/kvm/vmx/tdx.c; the sub-command ids come from
// lib/knowledge/confidential-commands.ts, which test/abi.test.ts checks against the 7.2 headers.
//
// Also: technologyStates(), capable / enabled / usable per technology, from a CheckReport
// when one is given and otherwise from the report's own views (nfd, prometheus, diff and
// lifecycleFor share it), and lifecycleFor(), which of the launch flows this host supports.
import { isKnown, known, valueOrNull } from '../decode/sourced.js';
import { say } from '../check/tdx-text.js';
import type { CheckReport, Technology, Verdict } from '../check/types.js';
import { CONFIDENTIAL_LAUNCH_IOCTLS, KVM_SEV_COMMANDS, KVM_TDX_COMMANDS } from '../knowledge/confidential-commands.js';
import { KVM_X86_VM_TYPES } from '../knowledge/x86.js';
import { kernelChange, releaseRangeText } from '../knowledge/kernel-versions.js';
import { failureMeaning } from '../knowledge/probe-failures.js';
import type { HostModel as Report } from '../decode/model.js';

export const LIFECYCLE_FORMAT = 'kvm-caps-lifecycle';
export const LIFECYCLE_VERSION = 1;

export type LifecycleTechnology = 'sev' | 'sev-es' | 'snp' | 'tdx';

/** The steps of a confidential-VM launch, in the vocabulary's order (each technology's real order is `sequence`). */
export const LIFECYCLE_STEPS = [
  'create',
  'init-vm',
  'add-memory',
  'init-vcpus',
  'finalize',
  'measurement',
  'attestation',
] as const;
export type LifecycleStepId = (typeof LIFECYCLE_STEPS)[number];

export const STEP_TITLES: Readonly<Record<LifecycleStepId, string>> = {
  create: 'create the VM',
  'init-vm': 'initialise the VM',
  'add-memory': 'add and measure initial memory',
  'init-vcpus': 'initialise vCPUs',
  finalize: 'finalise the launch',
  measurement: 'get the launch measurement',
  attestation: 'attestation',
};

/** One call the VMM (or the guest) makes. */
export interface LaunchCall {
  /** The ioctl, or for guest-side steps the instruction / protocol message. */
  call: string;
  /** The fd it is made on; 'guest' for what the guest itself does. */
  fd: 'system' | 'vm' | 'vcpu' | 'guest';
  /** For KVM_MEMORY_ENCRYPT_OP: the sub-command (enum sev_cmd_id / kvm_tdx_cmd_id) and its id. */
  command?: string;
  id?: number;
  /** For KVM_CREATE_VM: the machine type (KVM_X86_*_VM) and its number. */
  vmType?: string;
  vmTypeNumber?: number;
  /** The ioctl's request number, where it is one of lib/knowledge's. */
  request?: number;
}

export interface LifecycleStep {
  step: LifecycleStepId;
  title: string;
  /** Position in the real call sequence, 1-based; steps done by one call share a number. */
  sequence: number;
  /** Who makes the calls: the host VMM, or the guest once it runs. */
  by: 'host' | 'guest';
  /** Empty when the step has no KVM command of its own (the note says where it happens). */
  calls: LaunchCall[];
  /** The firmware operations behind the calls: AMD-SP commands, SEAMCALLs (TDH.*), TDCALLs (TDG.*). */
  firmware: string[];
  note: string;
  /** Where this is documented. */
  reference: string;
}

export interface TechnologyLifecycle {
  technology: LifecycleTechnology;
  title: string;
  /** The KVM_CREATE_VM machine type. */
  vmType: { name: string; number: number };
  steps: LifecycleStep[];
}

const SEV_DOC = 'Documentation/virt/kvm/x86/amd-memory-encryption.rst';
const TDX_DOC = 'Documentation/virt/kvm/x86/intel-tdx.rst';

function lookup(table: readonly (readonly [string, number])[], name: string): number {
  const found = table.find(([n]) => n === name);
  if (found === undefined) throw new Error(`lifecycle: ${name} is not in lib/knowledge`);
  return found[1];
}

const vmTypeNumber = (name: string): number => {
  const found = KVM_X86_VM_TYPES.find(([n]) => n === name);
  if (found === undefined) throw new Error(`lifecycle: ${name} is not in KVM_X86_VM_TYPES`);
  return found[1];
};

const request = (name: string): number => lookup(CONFIDENTIAL_LAUNCH_IOCTLS, name);

const ENCRYPT_OP = 'KVM_MEMORY_ENCRYPT_OP';

function sevOp(command: string, fd: LaunchCall['fd'] = 'vm'): LaunchCall {
  return { call: ENCRYPT_OP, fd, command, id: lookup(KVM_SEV_COMMANDS, command), request: request(ENCRYPT_OP) };
}

function tdxOp(command: string, fd: LaunchCall['fd']): LaunchCall {
  return { call: ENCRYPT_OP, fd, command, id: lookup(KVM_TDX_COMMANDS, command), request: request(ENCRYPT_OP) };
}

function createVm(vmType: string): LaunchCall {
  return {
    call: 'KVM_CREATE_VM',
    fd: 'system',
    vmType,
    vmTypeNumber: vmTypeNumber(vmType),
    request: request('KVM_CREATE_VM'),
  };
}

const guest = (call: string): LaunchCall => ({ call, fd: 'guest' });

function step(
  id: LifecycleStepId,
  sequence: number,
  calls: LaunchCall[],
  firmware: string[],
  note: string,
  reference: string,
  by: 'host' | 'guest' = 'host',
): LifecycleStep {
  return { step: id, title: STEP_TITLES[id], sequence, by, calls, firmware, note, reference };
}

const SEV_PLATFORM_INIT = 'INIT / INIT_EX (only if the platform is not initialised yet; KVM then assigns an ASID)';

function sevFamily(es: boolean): TechnologyLifecycle {
  const vmType = es ? 'KVM_X86_SEV_ES_VM' : 'KVM_X86_SEV_VM';
  return {
    technology: es ? 'sev-es' : 'sev',
    title: es ? 'AMD SEV-ES' : 'AMD SEV',
    vmType: { name: vmType, number: vmTypeNumber(vmType) },
    steps: [
      step(
        'create',
        1,
        [createVm(vmType)],
        [],
        `a VM of this type cannot run until KVM_SEV_INIT2; before Linux ${kernelChange('kvm.sev-vm-types').since} ` +
          `(no ${vmType}) the VM is a KVM_X86_DEFAULT_VM and ${es ? 'KVM_SEV_ES_INIT' : 'KVM_SEV_INIT'} replaces ` +
          'KVM_SEV_INIT2',
        `${SEV_DOC} "KVM_SEV_INIT2"`,
      ),
      step(
        'init-vm',
        2,
        [sevOp('KVM_SEV_INIT2'), sevOp('KVM_SEV_LAUNCH_START')],
        [SEV_PLATFORM_INIT, 'LAUNCH_START', 'ACTIVATE (binds the ASID to the guest handle)'],
        'KVM_SEV_INIT2 takes vmsa_features (must be 0 for SEV) and ghcb_version; KVM_SEV_LAUNCH_START takes ' +
          `the guest policy, the owner's PDH key and session data, and needs sev_fd (an open /dev/sev)`,
        `${SEV_DOC} "KVM_SEV_INIT2", "KVM_SEV_LAUNCH_START"`,
      ),
      step(
        'add-memory',
        3,
        [sevOp('KVM_SEV_LAUNCH_UPDATE_DATA')],
        ['LAUNCH_UPDATE_DATA'],
        'encrypts the region in place and extends the launch measurement (16-byte aligned address and length)',
        `${SEV_DOC} "KVM_SEV_LAUNCH_UPDATE_DATA"`,
      ),
      es
        ? step(
            'init-vcpus',
            4,
            [sevOp('KVM_SEV_LAUNCH_UPDATE_VMSA')],
            ['LAUNCH_UPDATE_VMSA'],
            "encrypts and measures every vCPU's register state (VMSA) after the registers are set with " +
              'KVM_SET_REGS / KVM_SET_SREGS; the vCPUs cannot be changed by the host afterwards',
            `${SEV_DOC} (enum sev_cmd_id); arch/x86/kvm/svm/sev.c sev_launch_update_vmsa()`,
          )
        : step(
            'init-vcpus',
            4,
            [],
            [],
            "no confidential step: an SEV guest's register state is not encrypted; " +
              'the VMM sets it with KVM_SET_REGS / KVM_SET_SREGS as for any VM',
            `${SEV_DOC} "Overview"`,
          ),
      step(
        'measurement',
        5,
        [sevOp('KVM_SEV_LAUNCH_MEASURE')],
        ['LAUNCH_MEASURE'],
        'before KVM_SEV_LAUNCH_FINISH: the guest owner checks the measurement, then KVM_SEV_LAUNCH_SECRET ' +
          'may inject secrets (pre-attestation); len 0 asks for the blob size',
        `${SEV_DOC} "KVM_SEV_LAUNCH_MEASURE", "KVM_SEV_LAUNCH_SECRET"`,
      ),
      step(
        'finalize',
        6,
        [sevOp('KVM_SEV_LAUNCH_FINISH')],
        ['LAUNCH_FINISH'],
        'makes the guest ready to run',
        `${SEV_DOC} "KVM_SEV_LAUNCH_FINISH"`,
      ),
      step(
        'attestation',
        7,
        [sevOp('KVM_SEV_GET_ATTESTATION_REPORT')],
        ['ATTESTATION (SEV API 0.23 and later)'],
        'the hypervisor asks the firmware for a report of the launch digest, signed with the PEK, with a ' +
          'caller-chosen mnonce; the guest itself cannot ask',
        `${SEV_DOC} "KVM_SEV_GET_ATTESTATION_REPORT"`,
      ),
    ],
  };
}

const SNP: TechnologyLifecycle = {
  technology: 'snp',
  title: 'AMD SEV-SNP',
  vmType: { name: 'KVM_X86_SNP_VM', number: vmTypeNumber('KVM_X86_SNP_VM') },
  steps: [
    step(
      'create',
      1,
      [createVm('KVM_X86_SNP_VM')],
      [],
      `Linux ${releaseRangeText('snp.kvm-host')}; private memory comes from guest_memfd (KVM_CREATE_GUEST_MEMFD, ` +
        'KVM_SET_USER_MEMORY_REGION2)',
      `${SEV_DOC} "KVM_SEV_SNP_LAUNCH_START"`,
    ),
    step(
      'init-vm',
      2,
      [sevOp('KVM_SEV_INIT2'), sevOp('KVM_SEV_SNP_LAUNCH_START')],
      [
        'SNP_INIT_EX (only if the platform is not initialised yet)',
        'SNP_GCTX_CREATE',
        'SNP_LAUNCH_START',
        'SNP_ACTIVATE (binds the ASID)',
      ],
      'KVM_SEV_SNP_LAUNCH_START takes the guest policy (within KVM_X86_SNP_POLICY_BITS) and the ' +
        'guest-OS-visible workarounds; it must precede KVM_SEV_SNP_LAUNCH_UPDATE',
      `${SEV_DOC} "KVM_SEV_INIT2", "KVM_SEV_SNP_LAUNCH_START"`,
    ),
    step(
      'add-memory',
      3,
      [
        { call: 'KVM_SET_MEMORY_ATTRIBUTES', fd: 'vm', request: request('KVM_SET_MEMORY_ATTRIBUTES') },
        sevOp('KVM_SEV_SNP_LAUNCH_UPDATE'),
      ],
      ['SNP_LAUNCH_UPDATE (with RMPUPDATE assigning each page to the guest)'],
      'the range must be private (KVM_MEMORY_ATTRIBUTE_PRIVATE) first; page types NORMAL, ZERO, UNMEASURED, ' +
        'SECRETS, CPUID; the call may process only part of the range (repeat until len is 0)',
      `${SEV_DOC} "KVM_SEV_SNP_LAUNCH_UPDATE"`,
    ),
    step(
      'init-vcpus',
      4,
      [sevOp('KVM_SEV_SNP_LAUNCH_FINISH')],
      ['SNP_LAUNCH_UPDATE (page type VMSA, one per vCPU)'],
      "no command of its own: KVM_SEV_SNP_LAUNCH_FINISH encrypts and measures every vCPU's VMSA before finishing, " +
        'so the registers must be set (KVM_SET_REGS / KVM_SET_SREGS) before it',
      'arch/x86/kvm/svm/sev.c snp_launch_finish() / snp_launch_update_vmsa()',
    ),
    step(
      'finalize',
      4,
      [sevOp('KVM_SEV_SNP_LAUNCH_FINISH')],
      ['SNP_LAUNCH_FINISH'],
      'optional ID block and authentication key, and 32 bytes of HOST_DATA that appear in every attestation report',
      `${SEV_DOC} "KVM_SEV_SNP_LAUNCH_FINISH"`,
    ),
    step(
      'measurement',
      5,
      [],
      [],
      'no KVM command: the launch measurement is the MEASUREMENT field of the attestation report the guest requests',
      `${SEV_DOC} "KVM_SEV_SNP_LAUNCH_UPDATE"`,
      'guest',
    ),
    step(
      'attestation',
      5,
      [guest('SNP guest request MSG_REPORT_REQ (GHCB #VMGEXIT)'), sevOp('KVM_SEV_SNP_ENABLE_REQ_CERTS')],
      ['SNP_GUEST_REQUEST (MSG_REPORT_REQ, signed with the VCEK or VLEK)'],
      'the guest asks the firmware through KVM; with KVM_SEV_SNP_ENABLE_REQ_CERTS (before any vCPU runs) KVM ' +
        'exits to the VMM with KVM_EXIT_SNP_REQ_CERTS so it can supply the endorsement-key certificates ' +
        '(KVM_X86_SEV_SNP_REQ_CERTS says whether the kernel can)',
      `${SEV_DOC} "KVM_SEV_SNP_ENABLE_REQ_CERTS"`,
      'guest',
    ),
  ],
};

const TDX: TechnologyLifecycle = {
  technology: 'tdx',
  title: 'Intel TDX',
  vmType: { name: 'KVM_X86_TDX_VM', number: vmTypeNumber('KVM_X86_TDX_VM') },
  steps: [
    step(
      'create',
      1,
      [createVm('KVM_X86_TDX_VM'), tdxOp('KVM_TDX_CAPABILITIES', 'vm')],
      [],
      'KVM state only, no SEAMCALL yet; KVM_TDX_CAPABILITIES then says which TD attributes, XFAM bits and ' +
        'CPUID bits may be configured',
      `${TDX_DOC} "KVM TDX creation flow"`,
    ),
    step(
      'init-vm',
      2,
      [tdxOp('KVM_TDX_INIT_VM', 'vm')],
      [
        'TDH.MNG.CREATE (with a private HKID)',
        'TDH.MNG.KEY.CONFIG (on each package)',
        'TDH.MNG.ADDCX',
        'TDH.MNG.INIT (the TD_PARAMS: attributes, XFAM, CPUID, MRCONFIGID, MROWNER, MROWNERCONFIG)',
      ],
      'before any vCPU is created; the TDX module may refuse the parameters with a SEAMCALL status in hw_error',
      `${TDX_DOC} "KVM_TDX_INIT_VM"`,
    ),
    step(
      'init-vcpus',
      3,
      [{ call: 'KVM_CREATE_VCPU', fd: 'vm', request: request('KVM_CREATE_VCPU') }, tdxOp('KVM_TDX_INIT_VCPU', 'vcpu')],
      ['TDH.VP.CREATE', 'TDH.VP.ADDCX', 'TDH.VP.INIT'],
      'data is the initial RCX; then KVM_SET_CPUID2 and KVM_SET_MSRS; the TDX module owns the register state ' +
        'from here on',
      `${TDX_DOC} "KVM_TDX_INIT_VCPU"`,
    ),
    step(
      'add-memory',
      4,
      [
        { call: 'KVM_SET_MEMORY_ATTRIBUTES', fd: 'vm', request: request('KVM_SET_MEMORY_ATTRIBUTES') },
        tdxOp('KVM_TDX_INIT_MEM_REGION', 'vcpu'),
      ],
      ['TDH.MEM.SEPT.ADD', 'TDH.MEM.PAGE.ADD', 'TDH.MR.EXTEND (with KVM_TDX_MEASURE_MEMORY_REGION)'],
      'the range must be private first; flag KVM_TDX_MEASURE_MEMORY_REGION also extends MRTD',
      `${TDX_DOC} "KVM_TDX_INIT_MEM_REGION"`,
    ),
    step(
      'finalize',
      5,
      [tdxOp('KVM_TDX_FINALIZE_VM', 'vm')],
      ['TDH.MR.FINALIZE'],
      'completes MRTD and makes the TD runnable',
      `${TDX_DOC} "KVM_TDX_FINALIZE_VM"`,
    ),
    step(
      'measurement',
      6,
      [guest('TDG.MR.REPORT')],
      ['TDG.MR.REPORT (TDREPORT with MRTD and the RTMRs)'],
      'no KVM command: the measurement is MRTD in the TDREPORT the guest asks the TDX module for',
      'Intel TDX module ABI: TDG.MR.REPORT',
      'guest',
    ),
    step(
      'attestation',
      6,
      [guest('TDG.MR.REPORT'), guest('TDG.VP.VMCALL<GetQuote>')],
      [
        'TDG.MR.REPORT',
        'TDG.VP.VMCALL<GetQuote> (KVM_EXIT_TDX to the VMM, which passes the TDREPORT to a quote generation service)',
      ],
      'the quote is signed by the TD Quoting Enclave, an SGX enclave on the host: TD attestation needs SGX ' +
        '(and a quote generation service) on this host',
      `${TDX_DOC}; GHCI "TDG.VP.VMCALL<GetQuote>"`,
      'guest',
    ),
  ],
};

/** The launch flows, as data. */
export const LIFECYCLES: readonly TechnologyLifecycle[] = [sevFamily(false), sevFamily(true), SNP, TDX];

// ---------------------------------------------------------------------------------------
// Capable / enabled / usable per technology: the check verdicts, the one source of them

export interface TechnologyState extends Verdict {
  technology: Technology;
  /** false: the technology does not apply to this host (another CPU vendor or architecture). */
  applicable: boolean;
  /** Where the three answers came from. */
  sources: string[];
}

const SEV_VM_TYPE: Record<'sev' | 'sev-es' | 'snp', 'SEV' | 'SEV_ES' | 'SNP'> = {
  sev: 'SEV',
  'sev-es': 'SEV_ES',
  snp: 'SNP',
};

function vmTypesMask(report: Report): number | null {
  const types = known(report.kvm.vmTypes);
  return types === undefined ? null : types.mask;
}

/** Capable, enabled and usable per technology the check report covers. */
export function technologyStates(checks: CheckReport): TechnologyState[] {
  return checks.technologies.map(({ technology, applicable, reason, verdict, checks: list }) => ({
    technology,
    applicable,
    ...verdict,
    sources: [
      applicable
        ? `kvm-caps check ${technology} (${list.length} check${list.length === 1 ? '' : 's'})`
        : `kvm-caps check ${technology} (not applicable: ${reason ?? ''})`,
    ],
  }));
}

// ---------------------------------------------------------------------------------------
// Which launch flows this host supports

export interface LifecycleStepSupport extends LifecycleStep {
  /** true: this host can do the step; false: it cannot; null: could not tell. */
  available: boolean | null;
  why: string;
}

export interface LifecycleSupport {
  technology: LifecycleTechnology;
  title: string;
  vmType: { name: string; number: number };
  /** Whether a guest of this kind can be launched here: the technology's usable verdict. */
  supported: boolean | null;
  summary: string;
  /**
   * SEV / SEV-ES: the KVM_SEV_INIT2 interface (6.10+) or only the legacy KVM_SEV_INIT / KVM_SEV_ES_INIT; null when not
   * known.
   */
  interface: 'init2' | 'legacy' | null;
  steps: LifecycleStepSupport[];
}

export interface LifecycleReport {
  format: typeof LIFECYCLE_FORMAT;
  version: typeof LIFECYCLE_VERSION;
  snapshot: Report['snapshot'];
  technologies: LifecycleSupport[];
}

function sevInterface(report: Report): 'init2' | 'legacy' | null {
  const sev = report.confidential.sev;
  if (isKnown(sev.sevAttributes.vmsaFeatures)) return 'init2';
  // ENXIO (the kernel has no such attribute), or no device attributes on /dev/kvm at all: before KVM_SEV_INIT2.
  const vmsa = sev.sevAttributes.vmsaFeatures;
  const sys = sev.sysAttributes;
  if (('error' in vmsa && vmsa.error.absence) || ('missing' in vmsa && 'value' in sys && sys.value === 0))
    return 'legacy';
  const mask = vmTypesMask(report);
  if (mask === 0) return 'legacy';
  if (mask !== null && (mask & 0b11100) !== 0) return 'init2';
  return null;
}

/**
 * The legacy SEV launch: KVM_CREATE_VM(KVM_X86_DEFAULT_VM) and KVM_SEV_INIT / KVM_SEV_ES_INIT instead of KVM_SEV_INIT2.
 */
function legacySteps(flow: TechnologyLifecycle): LifecycleStep[] {
  const es = flow.technology === 'sev-es';
  return flow.steps.map((s) => {
    if (s.step === 'create')
      return {
        ...s,
        calls: [createVm('KVM_X86_DEFAULT_VM')],
        note: 'legacy interface: a default VM, made confidential by the next step',
      };
    if (s.step === 'init-vm') {
      const init = es ? 'KVM_SEV_ES_INIT' : 'KVM_SEV_INIT';
      return {
        ...s,
        calls: [sevOp(init), sevOp('KVM_SEV_LAUNCH_START')],
        note: `legacy interface: ${init} takes no parameters (as KVM_SEV_INIT2 with vmsa_features 0)`,
      };
    }
    return s;
  });
}

function stepSupport(
  report: Report,
  flow: TechnologyLifecycle,
  steps: LifecycleStep[],
  state: TechnologyState,
): LifecycleStepSupport[] {
  const base = state.usable;
  const baseWhy = state.summary;
  return steps.map((s) => {
    let available: boolean | null = base;
    let why = baseWhy;
    if (base !== false) {
      if (flow.technology !== 'tdx' && s.step === 'init-vm') {
        const vmType = SEV_VM_TYPE[flow.technology];
        const init2 = report.confidential.sev.init2.find((r) => r.vmType === vmType);
        if (init2 !== undefined) {
          const result = init2.result;
          available = 'value' in result;
          why =
            'value' in result
              ? `--deep: KVM_SEV_INIT2 succeeded on a ${vmType} VM`
              : `--deep: KVM_SEV_INIT2 failed on a ${vmType} VM (${result.error.code}: ` +
                `${failureMeaning(result.error)})`;
        }
      }
      if (flow.technology === 'tdx' && s.step === 'init-vm') {
        const init = report.confidential.tdx.initVm;
        if (init !== null && isKnown(init)) {
          available = init.value.ok;
          why = `--deep: KVM_TDX_INIT_VM ${say.initVm(init)}`;
        }
      }
      if (flow.technology === 'sev' || flow.technology === 'sev-es') {
        if (s.step === 'attestation') {
          const status = valueOrNull(report.confidential.sev.platformStatus);
          if (status === null) {
            available = base === true ? null : base;
            why =
              'the SEV firmware API version is unknown (SEV_PLATFORM_STATUS was not read); the ATTESTATION ' +
              'command needs API 0.23 or later';
          } else {
            const ok = status.api.major > 0 || status.api.minor >= 23;
            available = base === true ? ok : base;
            why =
              `SEV firmware API ${status.api.text} ${ok ? 'has' : 'lacks'} the ATTESTATION command (0.23 and ` +
              'later)';
          }
        }
      }
      if (flow.technology === 'snp' && s.step === 'attestation') {
        const certs = known(report.confidential.sev.sevAttributes.snpReqCerts);
        why =
          certs === true
            ? 'KVM_X86_SEV_SNP_REQ_CERTS = 1: the VMM can supply certificates with the report ' +
              '(KVM_SEV_SNP_ENABLE_REQ_CERTS)'
            : certs === false
              ? 'guests can get reports; KVM_X86_SEV_SNP_REQ_CERTS = 0: the VMM cannot supply certificates ' +
                'through KVM (the guest fetches them elsewhere)'
              : 'guests can get reports; whether KVM can fetch certificates from the VMM ' +
                '(KVM_X86_SEV_SNP_REQ_CERTS) is not known';
      }
      if (flow.technology === 'tdx' && s.step === 'attestation') {
        const cpu = known(report.host.cpu);
        const sgx = cpu === undefined ? null : cpu.flags.includes('sgx');
        if (sgx === false) {
          available = base === true ? null : base;
          why =
            'no sgx flag in /proc/cpuinfo: TD quotes are signed by an SGX enclave (the TD Quoting Enclave), ' +
            'so quoting needs SGX enabled on this host';
        } else if (sgx === true) {
          why =
            'SGX is enabled (sgx flag in /proc/cpuinfo): a quote generation service can run the TD Quoting ' +
            'Enclave here';
        }
      }
    }
    return { ...s, available, why };
  });
}

/** Which of the launch flows this host supports, step by step. */
export function lifecycleFor(report: Report, checks: CheckReport): LifecycleReport {
  const states = technologyStates(checks);
  const technologies = LIFECYCLES.map((flow): LifecycleSupport => {
    const state = states.find((s) => s.technology === flow.technology);
    if (state === undefined) throw new Error(`lifecycle: no state for ${flow.technology}`);
    const iface = flow.technology === 'sev' || flow.technology === 'sev-es' ? sevInterface(report) : null;
    const steps = iface === 'legacy' ? legacySteps(flow) : flow.steps;
    return {
      technology: flow.technology,
      title: flow.title,
      vmType:
        iface === 'legacy' ? { name: 'KVM_X86_DEFAULT_VM', number: vmTypeNumber('KVM_X86_DEFAULT_VM') } : flow.vmType,
      supported: state.usable,
      summary: state.summary,
      interface: iface,
      steps: stepSupport(report, flow, steps, state),
    };
  });
  return { format: LIFECYCLE_FORMAT, version: LIFECYCLE_VERSION, snapshot: report.snapshot, technologies };
}
