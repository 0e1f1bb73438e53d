// Plain KVM readiness, hardware to "a VM can be created", and the helpers every technology's
// rules share: how findings are built, what privilege an unreadable fact needs, and what an
// unusable KVM device means for a check that needed it. Rules read the host model (lib/decode/model.ts),
// never the raw facts a view already decodes; each Finding.source is the view's source.
import type { HostModel } from '../../decode/model.js';
import { KVM_API_VERSION } from '../../decode/model.js';
import type { Traced } from '../../decode/sourced.js';
import { describeSource } from '../../decode/sourced.js';
import { cpuVendor, vendorModule as moduleFor } from '../../knowledge/cpu-vendors.js';
import { failureMeaning } from '../../knowledge/probe-failures.js';
import { failureFix } from '../failure-fixes.js';
import type { CheckRule, Finding } from '../types.js';
import type { KvmCause, KvmCauseRule, KvmDiagnosis } from '../kvm-causes.js';

const joinSourceList = (...sources: string[]): string => [...new Set(sources)].join('; ');

/** What would let kvm-caps tell, for each kind of fact an unprivileged run cannot read. */
export const NEEDS = {
  kvm: 'read-write access to /dev/kvm (the kvm group or root)',
  sev: 'read access to /dev/sev (root, or a udev rule that grants it)',
  log: 'the kernel log: root or CAP_SYSLOG (or sysctl kernel.dmesg_restrict=0), or a saved log with --kernel-log FILE',
  cpuinfo: 'read access to /proc/cpuinfo',
  sysfs: 'read access to /sys/module',
  liveProbe: 'a live probe of this host by this kvm-caps version (the snapshot lacks the answer)',
  misc: 'read access to the misc cgroup (/sys/fs/cgroup/misc.capacity and misc.current, cgroup v2)',
} as const;

export function pass(found: string, source: string): Finding {
  return { status: 'PASS', found, source };
}

export function warn(found: string, source: string, fix?: string): Finding {
  return fix === undefined ? { status: 'WARN', found, source } : { status: 'WARN', found, source, fix };
}

export function fail(found: string, source: string, fix?: string): Finding {
  return fix === undefined ? { status: 'FAIL', found, source } : { status: 'FAIL', found, source, fix };
}

export function unknown(found: string, source: string, needs: string): Finding {
  return { status: 'UNKNOWN', found, source, needs };
}

/** A traced fact's source, or the reason it is missing. */
export function sourceOf(traced: Traced<unknown>): string {
  return 'missing' in traced ? 'not probed' : traced.source;
}

/** 'the kvm group' style owner text of the KVM device, for findings about access. */
function deviceOwnerText(model: HostModel): string {
  const node = model.device.node;
  return 'value' in node ? ` (${node.value.owner}:${node.value.group}, mode ${node.value.mode})` : '';
}

/**
 * For a check that needed the KVM device when its answers are missing: UNKNOWN with the
 * privilege when this user may not open it, FAIL with the fix when there is no usable KVM
 * device at all. Null when the device answered (the check can judge its own facts).
 */
/** The finding of a check that needed KVM's answers, where KVM gave none; null where KVM answers. */
export function kvmUnavailable(model: HostModel, kvm: KvmDiagnosis): Finding | null {
  const open = model.device.open;
  if ('value' in open) {
    if (model.kvm.usable) return null;
    const version = model.kvm.apiVersion;
    return fail(
      'value' in version
        ? `${model.device.path} speaks KVM API ${version.value}, not ${KVM_API_VERSION}`
        : `${model.device.path} did not answer KVM_GET_API_VERSION`,
      sourceOf(version),
      'use a kernel whose KVM speaks the stable API 12 (every Linux since 2.6.22)',
    );
  }
  if ('missing' in open) return unknown(`${model.device.path} was not probed`, 'not probed', NEEDS.kvm);
  const code = open.error.code;
  if (code === 'EACCES' || code === 'EPERM') {
    return unknown(
      `not asked: this user (uid ${model.snapshot.context.uid}) may not open ` +
        `${model.device.path}${deviceOwnerText(model)}: ${code}`,
      open.source,
      code === 'EPERM' ? `${NEEDS.kvm}, allowed by the container's or service's device policy` : NEEDS.kvm,
    );
  }
  return fail(
    `${model.device.path}: ${code}: ${failureMeaning(open.error)}`,
    open.source,
    failureFix(open.error, kvm) ?? FIX_MODULES,
  );
}

/** A finding for a file-backed fact that could not be read: UNKNOWN with the privilege. */
export function unreadable(what: string, traced: Traced<unknown>, needs: string): Finding {
  if ('missing' in traced) return unknown(`${what} was not read`, 'not probed', needs);
  if ('error' in traced)
    return unknown(
      `${what} could not be read: ${traced.error.code} (${failureMeaning(traced.error)})`,
      traced.source,
      needs,
    );
  return unknown(`${what} could not be read`, traced.source, needs);
}

/**
 * The running kernel's release as the host files give it, from the host model or from a view that
 * carries it (the SEV host facts); undefined when it could not be read.
 */
export function releaseOf(facts: HostModel | { kernelRelease: Traced<string> }): string | undefined {
  const rel = 'host' in facts ? facts.host.kernelRelease : facts.kernelRelease;
  return 'value' in rel ? rel.value.trim() : undefined;
}

// ---------------------------------------------------------------------------------------
// The KVM rules

const FIX_MODULES =
  'load kvm and the vendor module (`modprobe kvm_intel` or `modprobe kvm_amd`); `dmesg | grep -i kvm` says ' +
  'why one refuses';

/** The first cause of the diagnosis a rule reports, FAIL before WARN. */
function causeFor(diagnosis: KvmDiagnosis, rule: KvmCauseRule, status: KvmCause['status']): KvmCause | undefined {
  return diagnosis.causes.find((c) => c.rule === rule && c.status === status);
}

/** A cause as a finding: what it is, then the kernel's line(s) quoted with the kernels that print them. */
export function causeFinding(cause: KvmCause): Finding {
  const quotes = cause.evidence.map((e) =>
    e.kernelSource === undefined ? `${e.quote} [${e.source}]` : `the kernel logged "${e.quote}" (${e.kernelSource})`,
  );
  const found = quotes.length > 0 ? `${cause.found.replace(/\.$/, '')}: ${quotes.join('; ')}` : cause.found;
  const source = [...new Set(cause.evidence.map((e) => e.source))].join('; ') || 'derived from the bring-up facts';
  const finding: Finding = { status: cause.status, found, source };
  if (cause.fix !== undefined && cause.status !== 'PASS') finding.fix = cause.fix;
  return finding;
}

/** The module fix that can work here: modprobe only for a loadable module this boot allows. */
function moduleFix(diagnosis: KvmDiagnosis): string {
  const name = diagnosis.vendorModule;
  if (name === null) return FIX_MODULES;
  if (diagnosis.modprobe[name])
    return (
      `\`modprobe ${name}\`; if it refuses, \`dmesg | grep -i kvm\` says why (often: virtualization disabled ` +
      'in the BIOS)'
    );
  return (
    `${name} cannot be loaded with modprobe here (built in, nomodule or module_blacklist=): the kernel log ` +
    `says why it did not register (\`dmesg | grep -i -e kvm -e vmx -e svm\`)`
  );
}

const X86 = new Set(['x64', 'ia32']);

/** Loaded KVM backends that drive neither VMX nor SVM (e.g. kvm_pvm). */
function otherBackends(model: HostModel): { name: string; state: string }[] {
  const modules = model.host.modules;
  return 'value' in modules ? modules.value.backends.filter((b) => b.vendor === 'other') : [];
}

export const KVM_RULES: readonly CheckRule[] = [
  {
    id: 'kvm.cpu.virtualization',
    technology: 'kvm',
    layer: 'hardware',
    title: 'CPU virtualization extensions',
    why:
      "KVM runs guests on the CPU's own virtualization extensions (Intel VT-x, AMD-V); " +
      'without them there is no /dev/kvm',
    evaluate({ model, snapshot, kvm }) {
      // The kernel's own account comes first: a backend that would not bind, an SEV guest,
      // the firmware's switch, a missing extension (with or without an outer hypervisor).
      const failed = causeFor(kvm, 'kvm.cpu.virtualization', 'FAIL');
      if (failed !== undefined) return causeFinding(failed);
      const cpu = model.host.cpu;
      if (!('value' in cpu)) return unreadable('/proc/cpuinfo', cpu, NEEDS.cpuinfo);
      const flag = X86.has(snapshot.context.arch) ? (cpuVendor(cpu.value.vendor)?.flag ?? null) : null;
      if (flag === null) {
        // Another architecture or vendor: the KVM device is the only judge.
        if (model.kvm.usable)
          return pass(
            `${cpu.value.vendor} (${snapshot.context.arch}): KVM answers on ${model.device.path}`,
            sourceOf(model.kvm.apiVersion),
          );
        return unknown(
          `${cpu.value.vendor} (${snapshot.context.arch}): no x86 virtualization flag to check`,
          `${cpu.source} (vendor)`,
          NEEDS.kvm,
        );
      }
      // A software backend that bound (kvm_pvm runs guests on page tables alone).
      const bound = causeFor(kvm, 'kvm.cpu.virtualization', 'PASS');
      // KVM answers, yet the log says something went wrong this boot: a warning with the line.
      const warned = causeFor(kvm, 'kvm.cpu.virtualization', 'WARN');
      if (warned !== undefined) return causeFinding(warned);
      if (cpu.value.flags.includes(flag)) return pass(`${flag} present (${cpu.value.vendor})`, `${cpu.source} (flags)`);
      if (bound !== undefined) return causeFinding(bound);
      if (model.kvm.usable)
        return pass(
          `${flag} absent, yet KVM answers on ${model.device.path}`,
          `derived from ${sourceOf(model.kvm.apiVersion)}`,
        );
      return fail(
        `${flag} absent`,
        `${cpu.source} (flags)`,
        flag === 'vmx' ? 'BIOS: enable Intel Virtualization Technology (VT-x)' : 'BIOS: enable SVM Mode (AMD-V)',
      );
    },
  },
  {
    id: 'kvm.cpu.bare-metal',
    technology: 'kvm',
    layer: 'hardware',
    title: 'Bare metal, not a VM',
    why:
      'inside a VM, KVM works only through nested virtualization (slower), and confidential guests (TDX, SEV) ' +
      'cannot be nested at all',
    evaluate({ model, kvm }) {
      const guest = model.host.isGuest;
      if (!('value' in guest)) return unreadable('/proc/cpuinfo', guest, NEEDS.cpuinfo);
      if (!guest.value) return pass('no hypervisor flag: bare metal', `${guest.source} (flags)`);
      const outer = kvm.hypervisor;
      const exposes =
        outer === null || kvm.flag === null
          ? ''
          : `; ${outer.logged ?? 'the outer hypervisor'} ` +
            `${outer.exposesExtension ? 'exposes' : 'does not expose'} ${kvm.flag} to it`;
      return warn(
        `hypervisor flag set: this host is itself a VM${
          outer?.logged ? ` (Hypervisor detected: ${outer.logged})` : ''
        }, so any guest here is nested${exposes}`,
        `${guest.source} (flags)`,
        'run confidential guests on a bare-metal host; for plain KVM, nested virtualization must be enabled ' +
          'on the outer host',
      );
    },
  },
  {
    id: 'kvm.kernel.modules',
    technology: 'kvm',
    layer: 'kernel',
    parent: 'kvm.cpu.virtualization',
    title: 'kvm and a backend module loaded',
    why:
      'kvm provides /dev/kvm; kvm_intel or kvm_amd (or another backend) drives the CPU, and loads only where ' +
      'the firmware enabled virtualization',
    evaluate({ model, kvm, tdxCauses }) {
      const modules = model.host.modules;
      // A failed TDX bring-up is the specific reason kvm_intel did not load on 6.16 and later
      // (lib/check/tdx-causes.ts): it comes before the generic bring-up causes.
      const tdx = tdxCauses.find((e) => e.code === 'tdx-bringup-failed-kvm-not-loaded');
      if (tdx !== undefined)
        return fail(
          `kvm_intel not loaded: ${tdx.message}`,
          joinSourceList(sourceOf(modules), ...tdx.evidence.map((e) => e.source)),
          tdx.hint,
        );
      const failed = causeFor(kvm, 'kvm.kernel.modules', 'FAIL');
      if (failed !== undefined) return causeFinding(failed);
      const warned = causeFor(kvm, 'kvm.kernel.modules', 'WARN');
      if (warned !== undefined) return causeFinding(warned);
      if (!('value' in modules)) {
        if (model.kvm.usable)
          return pass('KVM answers, so kvm and its backend are loaded', sourceOf(model.kvm.apiVersion));
        return unreadable('/sys/module', modules, NEEDS.sysfs);
      }
      const cpu = model.host.cpu;
      const wanted = 'value' in cpu ? cpuVendor(cpu.value.vendor)?.flag : undefined;
      const vendorModule = wanted === undefined ? null : moduleFor(wanted);
      const names = [modules.value.kvm, ...modules.value.backends]
        .filter((m) => m !== null)
        .map((m) => `${m.name} (${m.state})`);
      const hasVendor =
        vendorModule === null
          ? modules.value.backends.length > 0 || modules.value.kvm !== null
          : modules.value.backends.some((b) => b.name === vendorModule) || otherBackends(model).length > 0;
      if (modules.value.kvm !== null && hasVendor) return pass(names.join(', '), modules.source);
      if (vendorModule === null && model.kvm.usable)
        return pass(`KVM answers (${names.join(', ') || 'built in'})`, sourceOf(model.kvm.apiVersion));
      const missing = [
        modules.value.kvm === null ? 'kvm' : null,
        hasVendor ? null : (vendorModule ?? 'a KVM backend'),
      ].filter((m) => m !== null);
      return fail(
        `${missing.join(' and ')} not loaded${names.length ? ` (loaded: ${names.join(', ')})` : ''}`,
        modules.source,
        moduleFix(kvm),
      );
    },
  },
  {
    id: 'kvm.kernel.nested',
    technology: 'kvm',
    layer: 'kernel',
    parent: 'kvm.kernel.modules',
    title: "Nested virtualization (the vendor module's nested parameter)",
    why: 'guests of this host can run their own VMs only when the vendor module was loaded with nested on',
    appliesWhen: ({ kvm }) => kvm.nested !== null,
    evaluate({ kvm, snapshot }) {
      const nested = kvm.nested;
      if (nested === null) return unknown('no nested parameter', 'not probed', NEEDS.sysfs);
      const source = `${describeSource(snapshot.host.modules.source)}/${nested.module}/parameters/nested`;
      // Informational: whether guests may nest does not decide whether KVM is usable.
      return pass(
        nested.enabled
          ? `${nested.module}.nested = ${nested.value}: guests of this host can run their own VMs`
          : `${nested.module}.nested = ${nested.value}: guests of this host cannot run their own VMs (boot ` +
              `with ${nested.module}.nested=1, or reload ${nested.module} with nested=1 where it is a module)`,
        source,
      );
    },
  },
  {
    id: 'kvm.device.present',
    technology: 'kvm',
    layer: 'kvm',
    parent: 'kvm.kernel.modules',
    title: 'KVM device node present',
    why: 'every VMM reaches KVM through its device node; kvm creates it when it loads (a container needs it passed in)',
    evaluate({ model, kvm, tdxCauses }) {
      const node = model.device.node;
      // A failed TDX bring-up that kept kvm_intel from loading explains a missing node first.
      const tdx = tdxCauses.find((e) => e.code === 'tdx-bringup-failed-kvm-not-loaded');
      if (tdx !== undefined && 'error' in node && node.error.code === 'ENOENT') {
        return fail(
          `${model.device.path} does not exist: ${tdx.message}`,
          joinSourceList(node.source, ...tdx.evidence.map((e) => e.source)),
          tdx.hint,
        );
      }
      const failed = causeFor(kvm, 'kvm.device.present', 'FAIL');
      if (failed !== undefined) return causeFinding(failed);
      if ('value' in node)
        return pass(
          `${model.device.path}: ${node.value.type} ${node.value.major}:${node.value.minor}, ` +
            `${node.value.owner}:${node.value.group} ${node.value.mode}`,
          node.source,
        );
      if ('missing' in node) return unknown(`${model.device.path} was not looked at`, 'not probed', NEEDS.kvm);
      if (node.error.code === 'ENOENT') return fail(`${model.device.path} does not exist`, node.source, moduleFix(kvm));
      return unknown(
        `${model.device.path} could not be looked at: ${node.error.code} (${failureMeaning(node.error)})`,
        node.source,
        NEEDS.kvm,
      );
    },
  },
  {
    id: 'kvm.api.version',
    technology: 'kvm',
    layer: 'kvm',
    parent: 'kvm.device.present',
    title: `KVM API version ${KVM_API_VERSION}`,
    why: `VMMs refuse any KVM whose KVM_GET_API_VERSION is not the stable ${KVM_API_VERSION}`,
    evaluate({ model, kvm }) {
      const version = model.kvm.apiVersion;
      if ('value' in version) {
        return version.value === KVM_API_VERSION
          ? pass(`API version ${version.value}`, version.source)
          : fail(
              `API version ${version.value}`,
              version.source,
              `use a kernel whose KVM speaks API ${KVM_API_VERSION}`,
            );
      }
      if ('error' in version)
        return fail(
          `KVM_GET_API_VERSION failed: ${version.error.code} (${failureMeaning(version.error)})`,
          version.source,
          failureFix(version.error, kvm) ?? FIX_MODULES,
        );
      return kvmUnavailable(model, kvm) ?? unknown('not asked', 'not probed', NEEDS.kvm);
    },
  },
  {
    id: 'kvm.device.access',
    technology: 'kvm',
    layer: 'usable',
    parent: 'kvm.device.present',
    title: 'KVM device usable by this user',
    why:
      'a VMM runs as some user; if that user cannot open the KVM device read-write it cannot start a guest, ' +
      'however well the host is set up',
    evaluate({ model, kvm }) {
      const open = model.device.open;
      const who = `uid ${model.snapshot.context.uid} (groups ${model.snapshot.context.groups.join(', ') || 'none'})`;
      if ('value' in open) return pass(`${who} opened ${model.device.path} read-write`, open.source);
      if ('missing' in open) return unknown(`${model.device.path} was not opened`, 'not probed', NEEDS.kvm);
      const denied = causeFor(kvm, 'kvm.device.access', 'FAIL');
      if (denied !== undefined) return causeFinding({ ...denied, found: `${who}: ${denied.found}` });
      // This user cannot use KVM: a fact about this user, so FAIL with the fix. The checks
      // that needed the device's answers say UNKNOWN with the access they need instead.
      return fail(
        `${who} may not open ${model.device.path}${deviceOwnerText(model)}: ${open.error.code} (${failureMeaning(open.error)})`,
        open.source,
        failureFix(open.error, kvm) ??
          'add the user to the group that owns the KVM device (usually `kvm`), or run as root',
      );
    },
  },
  {
    id: 'kvm.vm.default',
    technology: 'kvm',
    layer: 'usable',
    parent: 'kvm.api.version',
    title: 'A default VM can be created',
    why:
      'KVM_CREATE_VM is the first thing every VMM does; it fails when the kernel is out of memory or KVM ' +
      'refuses VMs',
    evaluate({ model, kvm }) {
      const vm = model.kvm.defaultVm;
      if ('value' in vm) return pass('KVM_CREATE_VM(KVM_X86_DEFAULT_VM) created a VM (closed at once)', vm.source);
      if ('error' in vm) {
        return fail(
          `KVM_CREATE_VM failed: ${vm.error.code} (${failureMeaning(vm.error)})`,
          vm.source,
          failureFix(vm.error, kvm) ??
            "check `dmesg | grep -i kvm` for why KVM refused the VM (memory, a security policy, or the module's state)",
        );
      }
      return kvmUnavailable(model, kvm) ?? unknown('not asked', 'not probed', NEEDS.kvm);
    },
  },
];

// ---------------------------------------------------------------------------------------
// Contradictions that concern every technology

export const KVM_CROSS_CHECKS: readonly CheckRule[] = [
  {
    id: 'cross.kvm.guest-host',
    technology: 'kvm',
    layer: 'hardware',
    title: 'This host is itself a VM',
    why:
      'guides for TDX and SEV assume bare metal; in a VM the hardware checks describe the virtual CPU, not the ' +
      'machine',
    evaluate({ model }) {
      const guest = model.host.isGuest;
      if (!('value' in guest) || !guest.value) return pass('not a VM', sourceOf(guest));
      const usable = model.kvm.usable;
      return warn(
        `the CPU shows the hypervisor flag${
          usable ? ', and KVM answers: guests ' + 'started here are nested' : ''
        }; TDX and SEV hosts must be bare metal`,
        `${guest.source} (flags)`,
        'check on the bare-metal host; in a VM, only plain (nested) KVM can work',
      );
    },
  },
];
