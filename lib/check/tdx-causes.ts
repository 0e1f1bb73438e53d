// Why TDX is not usable on this host, and what would fix it: every cause the facts support,
// strongest first, each with its evidence (the fact, its value, where it was read). These are
// judgments, so they live with the checks; the TDX rules and `kvm-caps tdx` both show them.
import { describeHwError, decodeHwError, decodeTdAttributes } from '../decode/tdx-fields.js';
import { describeSource } from '../decode/explain.js';
import { logSource, stateText, tdxLogContext, type LogContext, type TdxFact, type TdxView } from '../decode/tdx.js';
import { kernelChange, kernelHas } from '../knowledge/kernel-versions.js';
import type { Snapshot } from '../snapshot/types.js';

export interface TdxExplanation {
  /** Stable identifier, e.g. 'kernel-predates-tdx-uapi'. */
  code: string;
  /** 'cause': the facts show it; 'likely-cause': consistent with the facts; 'note': context. */
  weight: 'cause' | 'likely-cause' | 'note';
  message: string;
  hint?: string;
  evidence: { fact: string; value: string; source: string }[];
}

function evidenceOf<T>(fact: string, item: TdxFact<T>): { fact: string; value: string; source: string } {
  return { fact, value: item.text, source: item.source ?? 'not collected' };
}

interface Facts extends TdxView {
  snapshot: Snapshot;
  release: TdxFact<string>;
  log: LogContext;
}

/** Why the TDX VM type is not there: every cause the other facts support, strongest first. */
function whyNoTdxVm(f: Facts): TdxExplanation[] {
  const out: TdxExplanation[] = [];
  const cpu = f.snapshot.host.cpuinfo;
  const vendor = 'value' in cpu ? cpu.value.vendor_id : undefined;
  if (vendor !== undefined && vendor !== 'GenuineIntel') {
    return [
      {
        code: 'not-intel',
        weight: 'cause',
        message: `TDX is an Intel technology; this CPU is ${vendor}`,
        evidence: [{ fact: 'CPU vendor', value: vendor, source: `${describeSource(cpu.source)} (vendor_id)` }],
      },
    ];
  }
  const rel = f.release;
  if (rel.known) {
    if (kernelHas('tdx.kvm-uapi', rel.value) === false) {
      const evidence = [evidenceOf('kernel release', rel)];
      if (f.vmType.known && f.vmType.value.mask === 0 && kernelHas('kvm.cap-vm-types', rel.value) === false) {
        evidence.push(evidenceOf('KVM_CAP_VM_TYPES', f.vmType));
      }
      out.push({
        code: 'kernel-predates-tdx-uapi',
        weight: 'cause',
        message: `Linux ${rel.value} predates KVM's TDX support (KVM_X86_TDX_VM and KVM_TDX_CAPABILITIES were merged in ${kernelChange('tdx.kvm-uapi').since}), so KVM_CREATE_VM(5) is refused with EINVAL`,
        hint:
          'run a 6.16 or newer kernel; a vendor kernel may carry an earlier, incompatible TDX interface (e.g. Ubuntu 6.8 -intel), usable only with the VMM built for it',
        evidence,
      });
    }
  }
  const tdx = f.parameters.find((p) => p.module === 'kvm_intel' && p.parameter === 'tdx');
  const modulesFact = f.snapshot.host.modules;
  if ('value' in modulesFact && modulesFact.value.kvm_intel === undefined) {
    out.push({
      code: 'kvm-intel-not-loaded',
      weight: 'cause',
      message: 'kvm_intel is not loaded, so no Intel VM type (TDX included) is offered',
      hint: 'modprobe kvm_intel tdx=1',
      evidence: [{ fact: 'kernel modules', value: 'no kvm_intel', source: describeSource(modulesFact.source) }],
    });
  } else if (tdx !== undefined && tdx.ok === false) {
    out.push({
      code: tdx.value === null ? 'kvm-intel-without-tdx' : 'tdx-parameter-off',
      weight: 'cause',
      message:
        tdx.value === null
          ? 'kvm_intel has no tdx parameter: this KVM was built without TDX (CONFIG_KVM_INTEL_TDX) or predates it'
          : 'kvm_intel.tdx is N: TDX was not requested (kvm_intel.tdx=1), or KVM turned it off because TDX bring-up failed (the causes below say which)',
      hint: tdx.value === null ? undefined : 'boot with kvm_intel.tdx=1 (or options kvm_intel tdx=1 in modprobe.d) and check the kernel log for the reason if it stays N',
      evidence: [{ fact: 'kvm_intel.tdx', value: tdx.text, source: tdx.source }],
    } as TdxExplanation);
  }
  for (const p of f.parameters) {
    if (p.parameter === 'tdx' || p.ok !== false || p.text.endsWith('is not loaded')) continue;
    if (p.value === null) continue;
    if (p.parameter === 'enable_virt_at_load' && rel.known && kernelHas('tdx.module-init-in-core', rel.value) === true) continue;
    out.push({
      code: 'prerequisite-parameter-off',
      weight: 'cause',
      message: `${p.module}.${p.parameter} is ${p.value}: ${p.reason}`,
      hint: `load ${p.module} with ${p.parameter}=1`,
      evidence: [{ fact: `${p.module}.${p.parameter}`, value: p.text, source: p.source }],
    });
  }
  if (f.cpuFlag.known && !f.cpuFlag.value) {
    const evidence = [evidenceOf('CPU flag tdx_host_platform', f.cpuFlag)];
    if (f.log.facts !== null && f.log.facts.keyIdRange === undefined) {
      evidence.push({ fact: 'kernel log', value: 'no "BIOS enabled: private KeyID range" line', source: f.log.source ?? 'kernel log' });
    }
    out.push({
      code: 'platform-not-enabled',
      weight: 'cause',
      message:
        'the kernel did not mark this host TDX-capable (tdx_host_platform): the BIOS has not enabled TDX (no TDX private KeyIDs), fewer than 2 KeyIDs are reserved, or hibernation is enabled (tdx_init())',
      hint: 'enable TDX in the BIOS (TME, TME-MT/TDX key split > 0, SEAM loader) and boot with nohibernate',
      evidence,
    });
  }
  const state = f.moduleState;
  if (state.known && state.value.state !== 'initialized') {
    const failures = f.log.facts?.seamcallFailures ?? [];
    const evidence = [evidenceOf('TDX module state', state)];
    for (const failure of failures) {
      evidence.push({
        fact: `SEAMCALL ${failure.value.leafName ?? failure.value.leaf ?? '?'}`,
        value: `${failure.value.status} = ${describeHwError(decodeHwError(failure.value.status))}`,
        source: logSource(f.log, failure),
      });
    }
    out.push({
      code: state.value.state === 'not-loaded' ? 'module-not-loaded' : state.value.state === 'failed' ? 'module-init-failed' : 'module-not-initialized',
      weight: 'cause',
      message: `TDX module: ${stateText(state.value)}; KVM offers TDX only once the module is initialised`,
      hint:
        state.value.state === 'not-loaded'
          ? 'enable the SEAM loader / TDX in the BIOS so that it loads a TDX module'
          : 'check the BIOS TDX settings and the BIOS / TDX module version; the SEAMCALL status names the check that failed',
      evidence,
    });
  }
  for (const { value: message, line, index } of f.log.facts?.kvmMessages ?? []) {
    if (message.kind === 'seamcall' || message.kind === 'module-init') continue;
    if (message.kind === 'parameter' && out.some((e) => e.code === 'prerequisite-parameter-off')) continue;
    out.push({
      code: `kvm-${message.kind}`,
      weight: 'cause',
      message: `kvm_intel turned TDX off: ${message.text}`,
      evidence: [{ fact: 'kernel log', value: message.text, source: logSource(f.log, { value: message, line, index }) }],
    });
  }
  if (out.length === 0 || out.every((e) => e.code === 'tdx-parameter-off')) {
    const gaps: string[] = [];
    if (!f.log.fact.known) gaps.push(`kernel log ${f.log.fact.text}`);
    if (!f.moduleState.known) gaps.push(`TDX module state ${f.moduleState.text}`);
    if (!f.cpuFlag.known) gaps.push(`CPU flags ${f.cpuFlag.text}`);
    out.push({
      code: 'no-cause-found',
      weight: 'note',
      message:
        gaps.length === 0
          ? 'no cause found in the facts collected'
          : `no cause found in the facts collected; missing: ${gaps.join('; ')}`,
      evidence: [],
    });
  }
  return out;
}

function explanations(f: Facts): TdxExplanation[] {
  const out: TdxExplanation[] = [];
  const vm = f.vmType;
  const create = f.createVm;
  const refused = create.known && !create.value.ok ? create.value : null;
  const notOffered = vm.known && !vm.value.offered;
  if (notOffered || (refused !== null && refused.code === 'EINVAL')) {
    const lead: TdxExplanation = {
      code: notOffered ? 'tdx-vm-type-not-offered' : 'tdx-vm-refused',
      weight: 'note',
      message: notOffered
        ? 'KVM does not offer KVM_X86_TDX_VM (bit 5 of KVM_CAP_VM_TYPES): QEMU reports "vm-type tdx not supported by KVM"'
        : 'KVM_CREATE_VM(KVM_X86_TDX_VM) was refused with EINVAL: this KVM does not offer the TDX VM type',
      evidence: [notOffered ? evidenceOf('KVM_CAP_VM_TYPES', vm) : evidenceOf('KVM_CREATE_VM(5)', create)],
    };
    out.push(lead, ...whyNoTdxVm(f));
  } else if (refused !== null) {
    out.push({
      code: 'tdx-vm-create-failed',
      weight: 'cause',
      message: `KVM_CREATE_VM(KVM_X86_TDX_VM) failed with ${refused.code}: ${refused.meaning}`,
      evidence: [evidenceOf('KVM_CREATE_VM(5)', create)],
    });
  }
  const caps = f.capabilities;
  if (caps.known && !caps.value.ok) {
    const e = caps.value;
    const messages: Record<string, { code: string; message: string; hint?: string }> = {
      ENOTTY: {
        code: 'capabilities-enotty',
        message:
          'KVM_MEMORY_ENCRYPT_OP(KVM_TDX_CAPABILITIES) is not implemented here: the kernel lacks the upstream TDX uAPI (an out-of-tree TDX kernel with a different interface answers ENOTTY)',
        hint: 'use a 6.16+ kernel, or the VMM built for this vendor kernel (canonical/tdx#114: "KVM_TDX_CAPABILITIES failed: Inappropriate ioctl for device")',
      },
      EINVAL: {
        code: 'capabilities-einval',
        message: 'KVM_TDX_CAPABILITIES was refused as invalid: the kernel expects a different kvm_tdx_cmd / kvm_tdx_capabilities layout (a pre-6.16 TDX uAPI)',
      },
      EIO: {
        code: 'capabilities-eio',
        message: 'KVM_TDX_CAPABILITIES failed with EIO: KVM computed no supported attributes or XFAM for this TDX module (init_kvm_tdx_caps())',
        hint: 'update the TDX module or the kernel',
      },
      E2BIG: {
        code: 'capabilities-e2big',
        message: 'the TDX module reports more CPUID configs than kvm-caps allows (256, KVM_MAX_CPUID_ENTRIES)',
      },
    };
    const known = messages[e.code] ?? { code: 'capabilities-failed', message: `KVM_TDX_CAPABILITIES failed with ${e.code}: ${e.meaning}` };
    const explanation: TdxExplanation = { ...known, weight: 'cause', evidence: [evidenceOf('KVM_TDX_CAPABILITIES', caps)] };
    if (e.hwError !== null && e.hwError.value !== '0x0000000000000000') {
      explanation.evidence.push({ fact: 'hw_error', value: `${e.hwError.value} = ${describeHwError(e.hwError)}`, source: caps.source });
    }
    out.push(explanation);
  }
  const init = f.initVm;
  if (init !== null && init.known && !init.value.ok) {
    const e = init.value;
    const requested = f.snapshot.kvm.tdx?.initVm?.config;
    const evidence = [evidenceOf('KVM_TDX_INIT_VM', init)];
    if (requested !== undefined) {
      const attrs = decodeTdAttributes(requested.attributes);
      evidence.push({
        fact: 'requested attributes',
        value: `${attrs.mask} (${attrs.attributes.map((a) => a.name).join(', ') || 'none'})`,
        source: 'kvm-caps --deep KVM_TDX_INIT_VM configuration',
      });
    }
    const hw = e.hwError !== null && e.hwError.value !== '0x0000000000000000' ? e.hwError : null;
    out.push({
      code: hw !== null ? 'init-vm-refused-by-tdx-module' : 'init-vm-refused',
      weight: 'cause',
      message:
        hw !== null
          ? `the TDX module refused the TD parameters: ${describeHwError(hw)} (hw_error ${hw.value}; KVM passes TDH.MNG.INIT's TDX_OPERAND_INVALID back in hw_error)`
          : `KVM_TDX_INIT_VM failed with ${e.code}: ${e.meaning}${e.code === 'EINVAL' ? ' (KVM itself refuses attributes or XFAM bits outside KVM_TDX_CAPABILITIES, with hw_error 0)' : ''}`,
      evidence,
    });
  }
  if (f.tdKeys.known && f.tdKeys.value.free === 0) {
    out.push({
      code: 'no-free-td-keys',
      weight: 'note',
      message: `all ${f.tdKeys.value.capacity} TD keys are in use: a new TD cannot get a private KeyID until one is shut down`,
      evidence: [evidenceOf('misc cgroup tdx', f.tdKeys)],
    });
  }
  if (f.tdKeys.known && f.privateKeyIds.known && f.tdKeys.value.capacity !== f.privateKeyIds.value.guestKeyIds) {
    out.push({
      code: 'key-count-mismatch',
      weight: 'note',
      message: `the misc cgroup offers ${f.tdKeys.value.capacity} TD keys but the BIOS range leaves ${f.privateKeyIds.value.guestKeyIds} for TDs`,
      evidence: [evidenceOf('misc cgroup tdx', f.tdKeys), evidenceOf('private KeyIDs', f.privateKeyIds)],
    });
  }
  return out;
}

/** The causes and notes the TDX facts support, for a TDX model decoded from this snapshot. */
export function tdxCauses(snapshot: Snapshot, model: TdxView): TdxExplanation[] {
  return explanations({ ...model, snapshot, release: model.kernelRelease, log: tdxLogContext(snapshot) });
}
