// Intel TDX readiness: Intel CPU -> BIOS enabled TDX -> a kernel with KVM's TDX uAPI and an
// initialised TDX module -> kvm_intel.tdx and its prerequisites -> KVM offers the TDX VM
// type -> a TD can be created and has a free key. Every rule reads the TDX model
// (model.confidential.tdx) and the causes of tdx-causes.ts, computed once per run.
import { isKnown, type Traced } from '../../decode/sourced.js';
import { parameterOk, parameterText, say, seamcallText } from '../tdx-text.js';
import type { HostModel } from '../../decode/model.js';
import type { TdxParameterRow, TdxView } from '../../decode/tdx.js';
import {
  bringupFailedFix,
  bringupFailsKvmLoad,
  explainsStep,
  loadKvmIntelFix,
  turnsTdxOff,
  type TdStep,
  type TdxExplanation,
  type TdxExplanationCode,
} from '../tdx-causes.js';
import { kernelChange, kernelHas, releaseRangeText } from '../../knowledge/kernel-versions.js';
import { TDX_PARAMETERS } from '../../knowledge/tdx.js';
import type { Snapshot } from '../../snapshot/types.js';
import { inconsistentCounts } from '../counts.js';
import type { CheckContext, CheckRule, Finding } from '../types.js';
import { fail, kvmUnavailable, NEEDS, pass, releaseOf, unknown, unreadable, warn } from './kvm.js';

const view = (model: HostModel): TdxView => model.confidential.tdx;
const src = (fact: Traced<unknown>): string => fact.source ?? 'not probed';
const joinSources = (...sources: (string | null | undefined)[]): string =>
  [...new Set(sources.filter((s): s is string => !!s && s !== 'not probed'))].join('; ') || 'not probed';

const FIX_BIOS =
  'BIOS: enable TME (Total Memory Encryption) and TME-MT (multi-key), give TDX private KeyIDs (TME-MT/TDX ' +
  'key split > 0), enable TDX and the SEAM loader; boot without hibernation (nohibernate)';
const TDX_UAPI = kernelChange('tdx.kvm-uapi').since;
const FIX_KERNEL =
  `run Linux ${TDX_UAPI} or newer with CONFIG_KVM_INTEL_TDX=y; a vendor kernel (e.g. Ubuntu 6.8 -intel) ` +
  `carries an older, incompatible TDX interface usable only with the QEMU built for it`;
const FIX_PARAMETER =
  'boot with kvm_intel.tdx=1 (or `options kvm_intel tdx=1` in /etc/modprobe.d/, then reload kvm_intel)';

const checkedBy = (row: TdxParameterRow): string =>
  TDX_PARAMETERS.find((p) => p.module === row.module && p.parameter === row.parameter)?.checkedBy ?? 'tdx.kvm-uapi';

function parameter(t: TdxView, name: string): TdxParameterRow | undefined {
  return t.parameters.find((p) => p.parameter === name);
}

/** Whether this kernel has TDX host support at all (so that a missing tdx_host_platform flag is the BIOS's doing). */
function kernelHasTdxHost(t: TdxView, snapshot: Snapshot): boolean | null {
  const tdx = parameter(t, 'tdx');
  if (tdx !== undefined && tdx.value !== null) return true;
  if (isKnown(t.kernelLog) && t.kernelLog.value.tdxLines > 0) return true;
  // kvm_intel is loaded but has no tdx parameter: KVM built without TDX, or older than its TDX support.
  const modules = snapshot.host.modules;
  if (
    'value' in modules &&
    modules.value.kvm_intel !== undefined &&
    modules.value.kvm_intel.parameters.tdx === undefined
  )
    return false;
  return null;
}

/** The view's causes, for the found text and the fix. */
function causes(all: readonly TdxExplanation[], codes: (code: TdxExplanationCode) => boolean): TdxExplanation[] {
  return all.filter((e) => e.weight === 'cause' && codes(e.code));
}

function moduleHint(state: string, release: string | undefined): string {
  switch (state) {
    case 'not-loaded':
      return (
        'BIOS: enable TDX and the SEAM loader so that the firmware loads a TDX module ' +
        '(update the BIOS if it ships none)'
      );
    case 'failed':
      return (
        'check the BIOS TDX settings and update the BIOS / TDX module: the SEAMCALL status in the kernel log ' +
        'names the check that failed (e.g. canonical/tdx#331 with module 1.0/1.5)'
      );
    case 'not-initialized':
      // From 7.1 the core kernel initialises the module at boot, whatever kvm_intel.tdx says.
      return kernelHas('tdx.module-init-in-core', release) === true
        ? `on Linux ${releaseRangeText('tdx.module-init-in-core')} the core kernel initialises the TDX module ` +
            `at boot: \`journalctl -k -b | grep -i tdx\` says why it did not (BIOS settings, or the module)`
        : FIX_PARAMETER;
    default:
      return FIX_BIOS;
  }
}

export const TDX_RULES: readonly CheckRule[] = [
  {
    id: 'tdx.cpu.intel',
    technology: 'tdx',
    layer: 'hardware',
    title: 'Intel CPU',
    why: 'TDX is an Intel technology (Xeon Scalable 4th generation "Sapphire Rapids" and later)',
    evaluate({ model }) {
      const cpu = model.host.cpu;
      if (!('value' in cpu)) return unreadable('/proc/cpuinfo', cpu, NEEDS.cpuinfo);
      // Another vendor never gets here: the run marks TDX not applicable to it (applicability()).
      const guest = view(model).guestLog;
      if (guest !== null) {
        return unknown(
          `the kernel log is from a TDX guest ("${guest.first.value}"): the host's TDX state cannot be read ` +
            `from inside a TD`,
          guest.first.source,
          "kvm-caps run on the TDX host itself (or the host's kernel log with --kernel-log)",
        );
      }
      return pass(`${cpu.value.vendor}: ${cpu.value.modelName}`, `${cpu.source} (vendor_id, model name)`);
    },
  },
  {
    id: 'tdx.bios.enabled',
    technology: 'tdx',
    layer: 'firmware',
    parent: 'tdx.cpu.intel',
    title: 'TDX enabled by the BIOS (tdx_host_platform)',
    why:
      'the kernel marks the CPU tdx_host_platform only when the BIOS reserved TDX private KeyIDs and loaded ' +
      'the SEAM module; everything after depends on it',
    evaluate({ model, snapshot }) {
      const t = view(model);
      const flag = t.cpuFlag;
      if (!isKnown(flag)) return unknown(say.cpuFlag(flag), src(flag), NEEDS.cpuinfo);
      const keyIds = isKnown(t.privateKeyIds)
        ? `; BIOS-enabled private KeyIDs ${say.privateKeyIds(t.privateKeyIds)}`
        : '';
      if (flag.value)
        return pass(
          `tdx_host_platform present${keyIds}`,
          joinSources(flag.source, isKnown(t.privateKeyIds) ? t.privateKeyIds.source : null),
        );
      const release = isKnown(t.kernelRelease) ? t.kernelRelease.value : 'this kernel';
      const support = kernelHasTdxHost(t, snapshot);
      if (support !== true) {
        return unknown(
          `tdx_host_platform absent, but ${release} ` +
            `${support === false ? 'has no TDX host support' : 'may lack TDX host support'} (the flag exists ` +
            `only with CONFIG_INTEL_TDX_HOST), so the BIOS setting cannot be read from it`,
          src(flag),
          `a kernel with TDX host support (Linux ${releaseRangeText('tdx.host-platform-flag')} with ` +
            `CONFIG_INTEL_TDX_HOST sets the flag; KVM's TDX needs ${releaseRangeText('tdx.kvm-uapi')} and ` +
            `CONFIG_KVM_INTEL_TDX) to show whether the BIOS enabled TDX`,
        );
      }
      const state = isKnown(t.moduleState) ? t.moduleState.value : null;
      const reason =
        state !== null && (state.state === 'not-supported' || state.state === 'platform-init-failed')
          ? `; the kernel log says: ${state.reason}`
          : '';
      return fail(
        `tdx_host_platform absent: the BIOS has not enabled TDX (no TDX private KeyIDs: the TME-MT/TDX key ` +
          `split must be > 0), or hibernation is on${reason}; on Linux ` +
          `${releaseRangeText('tdx.host-platform-flag')} a kernel built with CONFIG_INTEL_TDX_HOST sets the ` +
          `flag and prints "virt/tdx: BIOS enabled: private KeyID range" when the BIOS enabled TDX`,
        joinSources(flag.source, reason ? t.moduleState.source : null),
        FIX_BIOS,
      );
    },
  },
  {
    id: 'tdx.kernel.version',
    technology: 'tdx',
    layer: 'kernel',
    parent: 'tdx.cpu.intel',
    title: `Kernel with KVM's TDX uAPI (Linux ${TDX_UAPI}+)`,
    why:
      'KVM_X86_TDX_VM and KVM_TDX_CAPABILITIES, which upstream QEMU uses, were merged in Linux 6.16; older TDX ' +
      'kernels speak another interface',
    evaluate({ model }) {
      const t = view(model);
      const rel = t.kernelRelease;
      if (!isKnown(rel)) return unknown(say.kernelRelease(rel), src(rel), 'read access to /proc/sys/kernel/osrelease');
      const has = kernelHas('tdx.kvm-uapi', releaseOf(model));
      if (has === true) return pass(`Linux ${rel.value}`, src(rel));
      if (isKnown(t.vmType) && t.vmType.value.offered)
        return pass(
          `Linux ${rel.value}: older than 6.16, but KVM offers the TDX VM type (a backport)`,
          joinSources(rel.source, t.vmType.source),
        );
      if (has === undefined)
        return unknown(
          `cannot read a version from "${rel.value}"`,
          src(rel),
          'a kernel release of the form MAJOR.MINOR',
        );
      return fail(`Linux ${rel.value} predates KVM's TDX support (${TDX_UAPI})`, src(rel), FIX_KERNEL);
    },
  },
  {
    id: 'tdx.kernel.module',
    technology: 'tdx',
    layer: 'kernel',
    parent: 'tdx.bios.enabled',
    title: 'TDX module initialised',
    why:
      'the TDX module (loaded by the BIOS, initialised by the kernel) runs every TD; KVM offers TDX only once ' +
      'it is initialised',
    evaluate({ model }) {
      const t = view(model);
      const s = t.moduleState;
      if (isKnown(s)) {
        if (s.value.state === 'initialized') {
          const version = isKnown(t.moduleVersion) ? `, module ${say.moduleVersion(t.moduleVersion)}` : '';
          return pass(
            `${say.moduleState(s)}${version}`,
            joinSources(s.source, isKnown(t.moduleVersion) ? t.moduleVersion.source : null),
          );
        }
        const seamcalls = t.seamcallFailures.map(seamcallText);
        return fail(
          `${say.moduleState(s)}${seamcalls.length ? `; ${seamcalls.join('; ')}` : ''}`,
          joinSources(s.source, ...t.seamcallFailures.map((f) => f.source)),
          moduleHint(s.value.state, releaseOf(model)),
        );
      }
      if (!isKnown(t.kernelLog)) return unknown(say.moduleState(s), src(s), NEEDS.log);
      const tdx = parameter(t, 'tdx');
      if (kernelHas('tdx.module-init-in-core', releaseOf(model)) === true) {
        return unknown(
          `the kernel log has no TDX module line: on Linux ${releaseRangeText('tdx.module-init-in-core')} ` +
            `the core kernel initialises the TDX module at boot ("virt/tdx: TDX-Module initialized" or ` +
            `"TDX-Module initialization failed (%d)"), whether or not kvm_intel loads with tdx=1; the line has ` +
            `left the log buffer`,
          src(s),
          'the kernel log since boot (pass the boot log with --kernel-log FILE, e.g. journalctl -k -b > FILE)',
        );
      }
      if (tdx !== undefined && parameterOk(tdx) === false) {
        return unknown(
          `the kernel log has no TDX module line: on Linux ${kernelChange('tdx.kvm-uapi').since} up to ` +
            `${kernelChange('tdx.module-init-in-core').since}, KVM initialises the module only when kvm_intel ` +
            `loads with tdx=1 (kvm_intel.tdx ${parameterText(tdx)})`,
          joinSources(s.source, tdx.source),
          'kvm_intel loaded with tdx=1; the kernel log then says whether the TDX module initialised',
        );
      }
      return unknown(
        say.moduleState(s),
        src(s),
        'the kernel log since boot (the TDX lines may have left the log buffer: pass the boot log with ' +
          '--kernel-log FILE)',
      );
    },
  },
  {
    id: 'tdx.kvm.parameter',
    technology: 'tdx',
    layer: 'kvm',
    parent: 'tdx.kernel.version',
    title: 'TDX on in KVM (kvm_intel.tdx)',
    why:
      'KVM leaves TDX off unless kvm_intel is loaded with tdx=1, and turns it off again when TDX bring-up ' +
      'fails, so it reads Y only when TDX is on',
    evaluate({ model, tdxCauses, kvm }) {
      const t = view(model);
      const row = parameter(t, 'tdx');
      if (row === undefined) return unknown('kvm_intel.tdx was not looked at', 'not probed', NEEDS.sysfs);
      if (parameterOk(row) === true) return pass(`kvm_intel.tdx = ${row.value}`, row.source);
      if (parameterOk(row) === null) return unknown(`kvm_intel.tdx: ${parameterText(row)}`, row.source, NEEDS.sysfs);
      if (row.found === 'module-not-loaded') {
        const failure = t.bringupFailure;
        const failsLoad = failure !== null && bringupFailsKvmLoad(failure, releaseOf(model)) !== false;
        return failsLoad
          ? fail(
              `kvm_intel is not loaded: TDX bring-up failed ("${failure.evidence.value}")`,
              joinSources(row.source, failure.evidence.source),
              bringupFailedFix(kvm),
            )
          : fail('kvm_intel is not loaded', row.source, loadKvmIntelFix(kvm));
      }
      if (row.value === null) return fail(`kvm_intel.tdx: ${parameterText(row)}`, row.source, FIX_KERNEL);
      const why = causes(tdxCauses, turnsTdxOff);
      if (why.length === 0)
        return fail(
          `kvm_intel.tdx = ${row.value}: TDX was not requested, and the facts show no bring-up failure`,
          row.source,
          FIX_PARAMETER,
        );
      return fail(
        `kvm_intel.tdx = ${row.value}; the facts show why TDX is off: ${why.map((e) => e.message).join('; ')}`,
        joinSources(row.source, ...why.flatMap((e) => e.evidence.map((ev) => ev.source))),
        why.find((e) => e.hint !== undefined)?.hint ?? FIX_PARAMETER,
      );
    },
  },
  {
    id: 'tdx.kvm.prerequisites',
    technology: 'tdx',
    layer: 'kvm',
    parent: 'tdx.kernel.version',
    title: 'KVM parameters TDX needs',
    why:
      `tdx_bringup() refuses TDX unless EPT, EPT A/D bits, the TDP MMU, MMIO caching and APICv are on (and, on ` +
      `Linux ${releaseRangeText('kvm.tdx-requires-enable-virt-at-load')}, kvm.enable_virt_at_load)`,
    evaluate({ model }) {
      const t = view(model);
      // Each parameter counts only on the kernels that check it (kvm.enable_virt_at_load: 6.16-7.0).
      const rows = t.parameters.filter(
        (p) => p.parameter !== 'tdx' && kernelHas(checkedBy(p), releaseOf(model)) !== false,
      );
      const off = rows.filter((p) => parameterOk(p) === false && p.value !== null);
      if (off.length > 0) {
        return fail(
          off.map((p) => `${p.module}.${p.parameter} = ${p.value}`).join(', '),
          joinSources(...off.map((p) => p.source)),
          `turn ${off.map((p) => `${p.module}.${p.parameter}`).join(', ')} on: ` +
            `${off.map((p) => `${p.module}.${p.parameter}=1`).join(' ')} on the kernel command line (or the ` +
            `matching \`options\` lines in /etc/modprobe.d/), then reload kvm and kvm_intel`,
        );
      }
      const tdx = parameter(t, 'tdx');
      const seen = rows.filter((p) => parameterOk(p) === true);
      if (seen.length === rows.length)
        return pass(
          seen.map((p) => `${p.module}.${p.parameter} = ${p.value}`).join(', '),
          joinSources(...seen.map((p) => p.source)),
        );
      if (tdx !== undefined && parameterOk(tdx) === true) {
        return pass(
          `kvm_intel.tdx = Y, so tdx_bringup() found its prerequisites ` +
            `on${seen.length ? ` (${seen.map((p) => `${p.module}.${p.parameter} = ${p.value}`).join(', ')})` : ''}`,
          `derived from ${tdx.source}`,
        );
      }
      const missing = rows.filter((p) => parameterOk(p) !== true);
      return unknown(
        missing.map((p) => `${p.module}.${p.parameter}: ${parameterText(p)}`).join('; '),
        joinSources(...missing.map((p) => p.source)),
        missing.some((p) => p.found === 'module-not-loaded')
          ? 'kvm and kvm_intel loaded (their parameters exist only then)'
          : NEEDS.sysfs,
      );
    },
  },
  {
    id: 'tdx.kvm.vm-type',
    technology: 'tdx',
    layer: 'kvm',
    parent: 'tdx.kvm.parameter',
    title: 'KVM offers the TDX VM type',
    why:
      'QEMU asks KVM_CAP_VM_TYPES for KVM_X86_TDX_VM (bit 5) and stops with "vm-type tdx not supported by KVM" ' +
      'when it is missing',
    evaluate({ model, tdxCauses, kvm }) {
      const t = view(model);
      const vm = t.vmType;
      if (!isKnown(vm)) return kvmUnavailable(model, kvm) ?? unknown(say.vmType(vm), src(vm), NEEDS.kvm);
      if (vm.value.offered) return pass(say.vmType(vm), src(vm));
      const why = causes(tdxCauses, (code) => code !== 'no-cause-found');
      return fail(
        say.vmType(vm),
        src(vm),
        why.find((e) => e.hint !== undefined)?.hint ??
          'load kvm_intel with tdx=1 on Linux 6.16+, then `dmesg | grep -i tdx` says why TDX stayed off',
      );
    },
  },
  {
    id: 'tdx.usable.td',
    technology: 'tdx',
    layer: 'usable',
    parent: 'tdx.kvm.vm-type',
    title: 'A TD can be created and answers KVM_TDX_CAPABILITIES',
    why: 'a VMM creates a TD with KVM_CREATE_VM(KVM_X86_TDX_VM) and reads KVM_TDX_CAPABILITIES before anything else',
    evaluate({ model, tdxCauses, kvm }) {
      const t = view(model);
      const create = t.createVm;
      if (!isKnown(create))
        return (
          kvmUnavailable(model, kvm) ??
          unknown(`KVM_CREATE_VM(KVM_X86_TDX_VM) ${say.createVm(create)}`, src(create), NEEDS.liveProbe)
        );
      const hint = (step: TdStep): string | undefined =>
        tdxCauses.find((e) => explainsStep(e.code, step) && e.hint !== undefined)?.hint;
      if (!create.value.ok)
        return fail(
          `KVM_CREATE_VM(KVM_X86_TDX_VM) ${say.createVm(create)}`,
          src(create),
          hint('create-vm') ?? FIX_KERNEL,
        );
      const caps = t.capabilities;
      if (!isKnown(caps))
        return unknown(
          `created a TD; KVM_TDX_CAPABILITIES ${say.capabilities(caps)}`,
          joinSources(create.source, caps.source),
          NEEDS.liveProbe,
        );
      if (!caps.value.ok)
        return fail(
          `created a TD, but KVM_TDX_CAPABILITIES ${say.capabilities(caps)}`,
          joinSources(create.source, caps.source),
          hint('capabilities') ?? FIX_KERNEL,
        );
      const vcpus = isKnown(t.maxVcpus) ? `; ${say.maxVcpus(t.maxVcpus)}` : '';
      return pass(
        `created a TD (closed at once); KVM_TDX_CAPABILITIES: ${say.capabilities(caps)}${vcpus}`,
        joinSources(create.source, caps.source),
      );
    },
  },
  {
    id: 'tdx.usable.keys',
    technology: 'tdx',
    layer: 'usable',
    parent: 'tdx.kvm.vm-type',
    title: 'A free TD key',
    why: 'every running TD holds one private KeyID; when all are in use, the next TD fails to initialise',
    evaluate({ model, snapshot }) {
      const t = view(model);
      const keys = t.tdKeys;
      if (isKnown(keys)) {
        const { capacity, free, inUse } = keys.value;
        const inconsistent = inconsistentCounts('TD key', capacity, inUse, src(keys));
        if (inconsistent !== null) return inconsistent;
        if (capacity === 0)
          return fail(say.tdKeys(keys), src(keys), 'give TDX private KeyIDs in the BIOS (TME-MT/TDX key split > 0)');
        if (free === 0)
          return fail(
            say.tdKeys(keys),
            src(keys),
            'a TD holds its key until it exits: shut a TD down, or give TDX more KeyIDs in the BIOS',
          );
        return pass(say.tdKeys(keys), src(keys));
      }
      const init = t.initVm;
      if (init !== null && isKnown(init) && init.value.ok)
        return pass(`${say.tdKeys(keys)}; but KVM_TDX_INIT_VM got a key (--deep)`, `derived from ${src(init)}`);
      const misc = snapshot.host.miscCapacity;
      if (misc === undefined || ('error' in misc && misc.error.code !== 'ENOENT'))
        return unknown(say.tdKeys(keys), src(keys), NEEDS.misc);
      return warn(`cannot count free TD keys: ${say.tdKeys(keys)}`, src(keys));
    },
  },
  {
    id: 'tdx.usable.init-vm',
    technology: 'tdx',
    layer: 'usable',
    parent: 'tdx.usable.td',
    title: 'The TDX module accepts the TD (--deep KVM_TDX_INIT_VM)',
    why: "KVM_TDX_INIT_VM hands the TD's attributes, XFAM and CPUID to the TDX module, which may still refuse them",
    appliesWhen: ({ snapshot }: CheckContext) => snapshot.kvm.tdx?.initVm !== undefined,
    evaluate({ model, tdxCauses }): Finding {
      const t = view(model);
      const init = t.initVm;
      if (init === null || !isKnown(init)) return unknown('KVM_TDX_INIT_VM was not tried', 'not probed', NEEDS.kvm);
      if (init.value.ok) {
        const r = init.value.value.requested;
        return pass(
          `accepted (attributes ${r.attributes.mask}, XFAM ${r.xfam.mask}, ${r.cpuidEntries} CPUID entries)`,
          src(init),
        );
      }
      const cause = tdxCauses.find((e) => explainsStep(e.code, 'init-vm'));
      return fail(
        `${say.initVm(init)}${cause ? `; ${cause.message}` : ''}`,
        src(init),
        'ask only for attributes and XFAM bits KVM_TDX_CAPABILITIES lists (`kvm-caps tdx`), or update the TDX module',
      );
    },
  },
];

export const TDX_CROSS_CHECKS: readonly CheckRule[] = [
  {
    id: 'cross.tdx.parameter-vs-vm-type',
    technology: 'tdx',
    layer: 'kvm',
    title: 'kvm_intel.tdx is Y, but KVM does not offer the TDX VM type',
    why:
      'the parameter reads Y only when TDX bring-up succeeded, yet QEMU gates on KVM_CAP_VM_TYPES: a Y without ' +
      'the VM type means a kernel whose TDX interface is not the upstream one',
    evaluate({ model }) {
      const t = view(model);
      const tdx = parameter(t, 'tdx');
      const vm = t.vmType;
      if (tdx === undefined || parameterOk(tdx) !== true || !isKnown(vm) || vm.value.offered)
        return pass('consistent', joinSources(tdx?.source, vm.source));
      return fail(
        `kvm_intel.tdx = ${tdx.value}, but ${say.vmType(vm)}`,
        joinSources(tdx.source, vm.source),
        kernelHas('tdx.kvm-uapi', releaseOf(model)) === false
          ? FIX_KERNEL
          : 'check `dmesg | grep -i tdx` and that the QEMU and kernel come from the same TDX stack',
      );
    },
  },
  {
    id: 'cross.tdx.log-vs-vm-type',
    technology: 'tdx',
    layer: 'kvm',
    title: 'The kernel log says the TDX module initialised, but KVM does not offer the TDX VM type',
    why:
      'the combination users model as "vm-type tdx not supported by KVM" although dmesg shows "virt/tdx: ' +
      'module initialized" (canonical/tdx#385)',
    evaluate({ model }) {
      const t = view(model);
      const s = t.moduleState;
      const vm = t.vmType;
      if (!isKnown(s) || s.value.state !== 'initialized' || !isKnown(vm) || vm.value.offered)
        return pass('consistent', joinSources(s.source, vm.source));
      const old = kernelHas('tdx.kvm-uapi', releaseOf(model)) === false;
      const release = isKnown(t.kernelRelease) ? t.kernelRelease.value : '';
      return fail(
        `TDX module ${say.moduleState(s)}, but ` +
          `${say.vmType(vm)}${old ? `: Linux ${release} has a pre-6.16 TDX interface` : ''}`,
        joinSources(s.source, vm.source),
        old ? FIX_KERNEL : 'check kvm_intel.tdx and `dmesg | grep -i tdx` for why KVM left TDX off',
      );
    },
  },
  {
    id: 'cross.tdx.vm-types-zero',
    technology: 'tdx',
    layer: 'kvm',
    title: 'KVM_CAP_VM_TYPES is 0 on a kernel that always offers the default VM type',
    why:
      `from Linux ${kernelChange('kvm.cap-vm-types').since} KVM_CAP_VM_TYPES answers 1, or 3 with ` +
      `CONFIG_KVM_SW_PROTECTED_VM; 0 means the snapshot does not come from one real host`,
    evaluate({ model, tdxCauses }) {
      const inconsistent = tdxCauses.find((e) => e.code === 'vm-types-inconsistent');
      const vm = view(model).vmType;
      if (inconsistent === undefined) return pass('consistent', src(vm));
      return warn(
        `snapshot inconsistent: ${inconsistent.message}`,
        joinSources(...inconsistent.evidence.map((e) => e.source)),
      );
    },
  },
  {
    id: 'cross.tdx.keys-exhausted',
    technology: 'tdx',
    layer: 'usable',
    title: 'TDX works, but every TD key is in use',
    why: 'a host that is TDX-capable and enabled still cannot start another TD while all KeyIDs are held',
    evaluate({ model }) {
      const keys = view(model).tdKeys;
      if (!isKnown(keys) || keys.value.capacity === 0 || keys.value.free !== 0) return pass('not exhausted', src(keys));
      return warn(say.tdKeys(keys), src(keys), 'shut a TD down, or give TDX more KeyIDs in the BIOS');
    },
  },
  {
    id: 'cross.tdx.key-count',
    technology: 'tdx',
    layer: 'usable',
    title: 'TD keys in the misc cgroup differ from the BIOS KeyID range',
    why:
      'KVM offers one TD key per BIOS TDX KeyID but the first (global) one; a difference means the log and the ' +
      'cgroup describe different boots or a kernel that reserves keys',
    evaluate({ model }) {
      const t = view(model);
      if (
        !isKnown(t.tdKeys) ||
        !isKnown(t.privateKeyIds) ||
        t.tdKeys.value.capacity === t.privateKeyIds.value.guestKeyIds
      ) {
        return pass('consistent', joinSources(t.tdKeys.source, t.privateKeyIds.source));
      }
      return warn(
        `misc cgroup: ${t.tdKeys.value.capacity} TD keys; BIOS range: ${say.privateKeyIds(t.privateKeyIds)}`,
        joinSources(t.tdKeys.source, t.privateKeyIds.source),
      );
    },
  },
];
