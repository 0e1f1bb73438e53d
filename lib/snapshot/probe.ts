// probeHost(): collects a snapshot from the running host. The only module that combines
// file reads and ioctls; everything it learns goes into the snapshot unchanged.
import { cpuVendor } from '../knowledge/cpu-vendors.js';
import { hex } from '../knowledge/hex.js';
import { errnoName } from '../native/errors.js';
import { DEFAULT_KVM_DEVICE, DEFAULT_SEV_DEVICE, openKvm, type KvmSystem } from '../native/kvm.js';
import { toolInfo } from '../tool.js';
import { capabilityNumber, KVM_CAPABILITIES } from '../knowledge/capabilities.js';
import { KVM_X86_GRP_SYSTEM, KVM_X86_TDX_VM, KVM_X86_XCOMP_GUEST_SUPP } from '../knowledge/x86.js';
import { attempt, hasValue } from './facts.js';
import {
  containerMarkers,
  deviceAccess,
  deviceAcl,
  firmwareMsr,
  firmwareSwitchMsr,
  kernelCmdline,
  kvmModuleFiles,
} from './bringup-files.js';
import {
  cpuinfo,
  deviceNode,
  kernelRelease,
  kvmModules,
  memlockLimit,
  miscCgroup,
  pspSysfs,
  tdxModuleVersion,
  tdxRuntimeUpdate,
} from './host-files.js';
import { kernelLogFromFile, kernelLogFromKmsg } from './kernel-log.js';
import { AMD_SNP_MSRS, readMsr } from './msr.js';
import { readCpuidLeaf } from './cpuid-device.js';
import { probeSevAttributes, probeSevDevice, probeSevInit2, snpStatusWithheld } from './probe-sev.js';
import { probeTdx, type TdConfig } from './probe-tdx.js';
import {
  SNAPSHOT_FORMAT,
  SNAPSHOT_VERSION,
  type ExtensionAnswer,
  type Fact,
  type HostFacts,
  type KernelLogFact,
  type KvmFacts,
  type Snapshot,
} from './types.js';

export interface ProbeOptions {
  /** Root of the host filesystem for procfs, sysfs, /etc and /dev/kmsg reads. Default '/'. */
  root?: string;
  /** KVM device to open. Default '/dev/kvm'. */
  device?: string;
  /** SEV device to open (read-only). Default '/dev/sev'. */
  sevDevice?: string;
  /**
   * Read the kernel log from this file (dmesg or journalctl -k text, or a kmsg dump; '-' is
   * standard input) instead of <root>/dev/kmsg, or use the log kernelLogFromFile() already read.
   */
  kernelLog?: string | KernelLogFact;
  /**
   * Also try what allocates firmware resources for a moment: KVM_TDX_INIT_VM on a throwaway
   * TD, KVM_SEV_INIT2 on a throwaway VM of each SEV type. Off by default.
   */
  deep?: boolean;
  /**
   * SNP_PLATFORM_STATUS on /dev/sev: 'auto' (default) withholds it on Linux 6.16 to 6.19 unless
   * SNP firmware is known to be initialised, because there it initialises and shuts down SNP;
   * 'always' sends it anyway.
   */
  snpPlatformStatus?: 'auto' | 'always';
  /** The TD configuration --deep tries; default: derived from KVM_TDX_CAPABILITIES. */
  tdConfig?: TdConfig;
}

/** Whether the host's CPU or KVM modules make TDX or SEV worth asking about. */
function vendorHints(host: HostFacts): { intel: boolean; amd: boolean } {
  const vendor = cpuVendor(hasValue(host.cpuinfo) ? host.cpuinfo.value.vendor_id : undefined)?.vendor;
  const modules = hasValue(host.modules) ? Object.keys(host.modules.value) : [];
  return {
    intel: vendor === 'intel' || modules.includes('kvm_intel'),
    amd: vendor === 'amd' || modules.includes('kvm_amd'),
  };
}

const CAPABILITY_NUMBERS = new Uint32Array(KVM_CAPABILITIES.map(([, number]) => number));

function checkResults(results: Int32Array): Record<string, ExtensionAnswer> {
  const out: Record<string, ExtensionAnswer> = {};
  CAPABILITY_NUMBERS.forEach((cap, i) => {
    const value = results[i] as number;
    // checkExtensions stores a failed check as the negated errno.
    out[cap] = value >= 0 ? value : { code: errnoName(-value), errno: value };
  });
  return out;
}

/** Reads feature MSRs one run at a time: KVM_GET_MSRS stops at the first MSR it cannot read. */
function readFeatureMsrs(kvm: KvmSystem, indices: number[]): { values: Record<string, string>; unreadable: string[] } {
  const values: Record<string, string> = {};
  const unreadable: string[] = [];
  let rest = indices;
  while (rest.length > 0) {
    const read = kvm.getMsrs(rest);
    read.forEach((value, i) => (values[hex(rest[i] as number)] = hex(value)));
    if (read.length < rest.length) unreadable.push(hex(rest[read.length] as number));
    rest = rest.slice(read.length + 1);
  }
  return { values, unreadable };
}

function capability(facts: KvmFacts, name: string): number {
  const system = facts.capabilities?.system;
  const number = capabilityNumber(name);
  if (!hasValue(system)) return 0;
  const result = system.value[number];
  return typeof result === 'number' ? result : 0;
}

function probeKvm(device: string, options: ProbeOptions, hints: { intel: boolean; amd: boolean }): KvmFacts {
  const system = (request: string, arg?: string) =>
    arg === undefined
      ? { ioctl: request, path: device, fd: 'system' as const }
      : { ioctl: request, path: device, fd: 'system' as const, arg };
  let kvm: KvmSystem | undefined;
  const open: Fact<true> = attempt({ syscall: 'open', path: device }, () => {
    kvm = openKvm(device);
    return true as const;
  });
  if (kvm === undefined) return { open };
  const handle = kvm;
  try {
    const facts: KvmFacts = { open };
    facts.apiVersion = attempt(system('KVM_GET_API_VERSION'), () => handle.apiVersion());
    facts.vcpuMmapSize = attempt(system('KVM_GET_VCPU_MMAP_SIZE'), () => handle.vcpuMmapSize());
    const capabilities: NonNullable<KvmFacts['capabilities']> = {
      system: attempt(system('KVM_CHECK_EXTENSION'), () => checkResults(handle.checkExtensions(CAPABILITY_NUMBERS))),
    };
    // VM-scope answers (KVM_CAP_CHECK_EXTENSION_VM) come from a default VM that lives
    // only for these checks.
    facts.defaultVm = attempt(system('KVM_CREATE_VM', 'KVM_X86_DEFAULT_VM'), () => {
      const vm = handle.createVm(0);
      try {
        capabilities.vm = attempt({ ioctl: 'KVM_CHECK_EXTENSION', path: device, fd: 'vm' }, () =>
          checkResults(vm.checkExtensions(CAPABILITY_NUMBERS)),
        );
      } finally {
        vm.close();
      }
      return true as const;
    });
    facts.capabilities = capabilities;
    facts.supportedCpuid = attempt(system('KVM_GET_SUPPORTED_CPUID'), () => handle.supportedCpuid());
    facts.emulatedCpuid = attempt(system('KVM_GET_EMULATED_CPUID'), () => handle.emulatedCpuid());
    facts.msrIndexList = attempt(system('KVM_GET_MSR_INDEX_LIST'), () => handle.msrIndexList());
    facts.msrFeatureIndexList = attempt(system('KVM_GET_MSR_FEATURE_INDEX_LIST'), () => handle.msrFeatureIndexList());
    const featureList = facts.msrFeatureIndexList;
    if (hasValue(featureList)) {
      facts.featureMsrs = attempt(system('KVM_GET_MSRS'), () => readFeatureMsrs(handle, featureList.value));
    }
    facts.xcompGuestSupp = attempt(system('KVM_GET_DEVICE_ATTR', 'KVM_X86_GRP_SYSTEM/KVM_X86_XCOMP_GUEST_SUPP'), () =>
      hex(handle.getDeviceAttr(KVM_X86_GRP_SYSTEM, KVM_X86_XCOMP_GUEST_SUPP)),
    );
    const vmTypes = capability(facts, 'KVM_CAP_VM_TYPES');
    // On an Intel host KVM_CREATE_VM(TDX) is tried even when the type is not offered: its
    // EINVAL is the fact QEMU stops at, and the report explains it.
    if (hints.intel || ((vmTypes >>> KVM_X86_TDX_VM) & 1) === 1) {
      const tdx: Parameters<typeof probeTdx>[2] = { deep: options.deep === true };
      if (options.tdConfig) tdx.tdConfig = options.tdConfig;
      if (hasValue(facts.xcompGuestSupp)) tdx.xcompGuestSupp = facts.xcompGuestSupp.value;
      if (hasValue(facts.supportedCpuid)) tdx.supportedCpuid = facts.supportedCpuid.value;
      facts.tdx = probeTdx(handle, device, tdx);
    }
    if (hints.amd && capability(facts, 'KVM_CAP_SYS_ATTRIBUTES') > 0) {
      facts.sevAttributes = probeSevAttributes(handle, device);
    }
    if (options.deep && hints.amd) facts.sevInit2 = probeSevInit2(handle, device, vmTypes);
    return facts;
  } finally {
    handle.close();
  }
}

/** What says why KVM came up or not: command line, module files, firmware MSR, device access, container. */
function addBringupFacts(host: HostFacts, root: string, device: string): void {
  host.cmdline = kernelCmdline(root);
  if (hasValue(host.kernelRelease)) host.moduleFiles = kvmModuleFiles(root, host.kernelRelease.value);
  const msr = firmwareSwitchMsr(hasValue(host.cpuinfo) ? host.cpuinfo.value.vendor_id : undefined);
  if (msr !== undefined) host.firmwareMsr = firmwareMsr(root, msr);
  host.deviceAccess = deviceAccess(device);
  // The ACL is asked only of a node that exists: otherwise there is nothing to read.
  if (hasValue(host.device)) host.deviceAcl = deviceAcl(device);
  host.container = containerMarkers(root);
}

/** Collects everything kvm-caps knows how to ask this host, as a snapshot. */
export async function probeHost(options: ProbeOptions = {}): Promise<Snapshot> {
  const root = options.root ?? '/';
  const device = options.device ?? DEFAULT_KVM_DEVICE;
  const sevDevice = options.sevDevice ?? DEFAULT_SEV_DEVICE;
  const host: HostFacts = {
    kernelRelease: kernelRelease(root),
    cpuinfo: cpuinfo(root),
    modules: kvmModules(root),
    device: deviceNode(root, device),
    kernelLog:
      options.kernelLog === undefined
        ? kernelLogFromKmsg(root)
        : typeof options.kernelLog === 'string'
          ? kernelLogFromFile(options.kernelLog)
          : options.kernelLog,
    miscCapacity: miscCgroup(root, 'capacity'),
    miscCurrent: miscCgroup(root, 'current'),
  };
  const hints = vendorHints(host);
  addBringupFacts(host, root, device);
  if (hints.intel) {
    host.tdxModuleVersion = tdxModuleVersion(root);
    const update = tdxRuntimeUpdate(root);
    host.tdxSeamldrVersion = update.seamldrVersion;
    host.tdxNumRemainingUpdates = update.numRemainingUpdates;
  }
  if (hints.amd) {
    host.sevDevice = deviceNode(root, sevDevice);
    if (hasValue(host.sevDevice)) {
      host.sevDeviceAccess = deviceAccess(sevDevice);
      host.sevDeviceAcl = deviceAcl(sevDevice);
    }
    host.memlockLimit = memlockLimit();
    host.msrs = Object.fromEntries(Object.values(AMD_SNP_MSRS).map((index) => [hex(index), readMsr(root, 0, index)]));
    host.hostCpuid8000001f = readCpuidLeaf(root, 0, 0x8000001f);
    host.pspSysfs = pspSysfs(root);
  }
  const snapshot: Snapshot = {
    format: SNAPSHOT_FORMAT,
    version: SNAPSHOT_VERSION,
    createdAt: new Date().toISOString(),
    tool: toolInfo(),
    context: {
      root,
      device,
      sevDevice,
      uid: process.getuid?.() ?? -1,
      gid: process.getgid?.() ?? -1,
      groups: process.getgroups?.() ?? [],
      arch: process.arch,
      platform: process.platform,
    },
    host,
    kvm: probeKvm(device, options, hints),
  };
  // /dev/sev is asked only where it exists: elsewhere its absence is already the fact.
  if (hints.amd && host.sevDevice && hasValue(host.sevDevice)) {
    snapshot.sev = await probeSevDevice(sevDevice, snpStatusWithheld(host, options.snpPlatformStatus ?? 'auto'));
  }
  return snapshot;
}
