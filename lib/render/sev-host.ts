// The SEV view's KVM, CPU and MSR lines, in words, from the SEV model's host facts
// (decode/sev-host.ts): the SEV VM types and KVM's SEV attributes, /proc/cpuinfo, CPUID
// 0x8000001F as KVM and the host report it, SYSCFG and the RMP MSRs.
import { failureMeaning } from '../knowledge/probe-failures.js';
import { hostCpuidBits, snpMsrValues } from '../decode/sev-host.js';
import { asidSplitText, flagAbsentText, MIN_SEV_ASID_LABEL, sourceOf, vmTypeText } from '../check/sev-host-text.js';
import type { DecodedMask } from '../decode/sev-fields.js';
import { hex } from '../knowledge/hex.js';
import { SEV_ATTRIBUTES } from '../knowledge/sev.js';
import { KVM_X86_VM_TYPES } from '../knowledge/x86.js';
import { AMD_SNP_MSRS } from '../snapshot/msr.js';
import type { SevSection } from './report.js';
import type { SevLine, SevNote } from './sev-line.js';

function describeMask(d: DecodedMask): string {
  const parts = [...d.names, ...d.unknownBits.map((bit) => `bit ${bit}`)];
  return `${d.raw}${parts.length ? ` (${parts.join(', ')})` : ' (none)'}`;
}

/** The SEV VM types KVM offers (the short section shows them too), then KVM's SEV attributes. */
export function kvmLines(view: SevSection): SevLine[] {
  const lines: SevLine[] = view.vmTypes.map((t) => {
    const header = KVM_X86_VM_TYPES.find(([, number]) => number === t.type)![0];
    return {
      id: `kvm.vmType.${t.name}`,
      label: `KVM VM type ${header} (${t.type})`,
      ...vmTypeText(view, t.name),
      source: sourceOf(view.vmTypeMask),
      summary: true,
    };
  });
  const sys = view.sysAttributes;
  for (const a of SEV_ATTRIBUTES) {
    const fact = view.sevAttributes[a.key];
    const line = { id: `kvm.attr.${a.key}`, label: a.name };
    if ('missing' in fact) {
      if ('value' in sys && sys.value === 0)
        lines.push({
          ...line,
          value: 'not offered by this kernel',
          source: sys.source,
          meaning: 'no device attributes on /dev/kvm (KVM_CAP_SYS_ATTRIBUTES)',
        });
      else lines.push({ ...line, value: 'not probed', source: 'not probed', meaning: a.meaning });
    } else if ('error' in fact) {
      lines.push(
        fact.error.code === 'ENXIO'
          ? {
              ...line,
              value: 'not offered by this kernel',
              source: fact.source,
              meaning: `ENXIO: the attribute is not implemented here; it exists since ${a.since}`,
            }
          : { ...line, value: fact.error.code, source: fact.source, meaning: failureMeaning(fact.error) },
      );
    } else {
      const v = fact.value;
      const value =
        typeof v === 'boolean'
          ? v
            ? '1 (supported)'
            : '0'
          : a.key === 'snpPolicyBits' && BigInt(v.raw) === 0n
            ? '0 (SNP not supported)'
            : describeMask(v);
      lines.push({ ...line, value, source: fact.source, meaning: a.meaning });
    }
  }
  return lines;
}

/** /proc/cpuinfo, CPUID 0x8000001F as KVM reports it, the brand string and the host's own CPUID 0x8000001F. */
export function cpuLines(view: SevSection): SevLine[] {
  const info = view.cpuinfo;
  const cpu = view.cpu;
  const notApplicable = view.technologies.find((t) => !t.applicable);
  const lines: SevLine[] = [];
  if (!('value' in info)) {
    lines.push({
      id: 'cpu.cpuinfo',
      label: 'CPU flags',
      value: 'error' in info ? info.error.code : 'not read',
      source: sourceOf(info),
      ...('error' in info ? { meaning: failureMeaning(info.error) } : { meaning: info.missing }),
    });
  } else {
    const source = info.source;
    lines.push({
      id: 'cpu.model',
      label: 'CPU',
      value:
        `${info.value.modelName ?? 'unknown'} (vendor ${cpu.vendor ?? 'unknown'}, ` +
        `family ${cpu.family ?? '?'}, model ${cpu.model ?? '?'})`,
      source: `${source} (vendor_id, cpu family, model)`,
      // Whether SEV applies to this CPU is the check run's to say.
      ...(notApplicable?.reason === undefined ? {} : { meaning: notApplicable.reason }),
    });
    lines.push({
      id: 'cpu.generation',
      label: 'SEV-SNP generation',
      value: cpu.generation ?? 'none (not a Milan, Genoa, Turin or Venice family/model)',
      source: `${source} (cpu family, model)`,
      meaning: 'chooses the TCB_VERSION byte layout (Turin and later add an FMC byte)',
    });
    // "sme" shows only while SME is active (mem_encrypt=on, or the kernel's default set so):
    // early_detect_mem_encrypt() clears it otherwise, so its absence says nothing about SEV.
    lines.push({
      id: 'cpu.flag.sme',
      label: 'CPU flag sme',
      value: cpu.flags.sme ? 'present (SME active)' : 'absent',
      source: `${source} (flags)`,
      ...(cpu.flags.sme
        ? {}
        : {
            meaning:
              'the kernel shows sme only while host memory encryption is ' +
              'active (mem_encrypt=on); its absence does not mean SEV is off',
          }),
    });
    for (const flag of ['sev', 'sev_es', 'sev_snp'] as const) {
      const present = cpu.flags[flag];
      lines.push({
        id: `cpu.flag.${flag}`,
        label: `CPU flag ${flag}`,
        value: present ? 'present' : 'absent',
        source: `${source} (flags)`,
        ...(present ? {} : { meaning: flagAbsentText(view, flag) }),
      });
    }
    if (cpu.isGuest)
      lines.push({
        id: 'cpu.hypervisor',
        label: 'Running in a VM',
        value: 'yes (hypervisor flag)',
        source: `${source} (flags)`,
        meaning: 'SEV hosts must be bare metal; a guest cannot offer SEV VMs to its own guests',
      });
  }
  lines.push(...kvmCpuidLines(view));
  if ('value' in info && cpu.vendor === 'AuthenticAMD') {
    const epyc = /\bEPYC\b/.test(info.value.modelName ?? '');
    lines.push({
      id: 'cpu.epyc',
      label: 'EPYC processor',
      value: epyc ? 'yes' : 'no',
      source: `${info.source} (model name)`,
      ...(epyc ? {} : { meaning: 'SEV, SEV-ES and SEV-SNP host support is for EPYC server parts (snphost "Is EPYC")' }),
    });
  }
  lines.push(...hostCpuidLines(view));
  return lines;
}

function kvmCpuidLines(view: SevSection): SevLine[] {
  const leaf = view.cpuidLeaf;
  const label = 'CPUID 0x8000001F (KVM)';
  if ('missing' in leaf) return [{ id: 'cpuid.8000001f', label, value: 'not probed', source: 'not probed' }];
  if ('error' in leaf)
    return [
      { id: 'cpuid.8000001f', label, value: leaf.error.code, source: leaf.source, meaning: failureMeaning(leaf.error) },
    ];
  const source = leaf.source;
  if (!leaf.value.listed)
    return [{ id: 'cpuid.8000001f', label, value: 'absent', source, meaning: 'KVM reports no memory-encryption leaf' }];
  const features = { id: 'cpuid.8000001f.features', label: 'CPUID 0x8000001F EAX (KVM)', source };
  const cpuid = view.cpuid!;
  if (leaf.value.allZero)
    return [
      {
        ...features,
        value: 'all zero',
        meaning:
          'KVM zeroes the memory-encryption leaf when it has no SEV support (kvm_cpu_cap_has(X86_FEATURE_SEV) is false)',
      },
    ];
  return [
    {
      ...features,
      value: cpuid.features.length ? cpuid.features.join(', ') : 'none',
      ...(cpuid.features.includes('sev')
        ? {}
        : {
            meaning:
              'KVM_GET_SUPPORTED_CPUID zeroes the leaf when KVM has no SEV, ' +
              'and sets sev/sev_es/sev_snp only for what kvm_amd enabled',
          }),
    },
    {
      id: 'cpuid.8000001f.cbit',
      label: 'C-bit position',
      value: String(cpuid.cBitPosition),
      source: `${source} EBX[5:0]`,
    },
    {
      id: 'cpuid.8000001f.maxGuests',
      label: 'Encrypted guests supported simultaneously',
      value: String(cpuid.maxEncryptedGuests),
      source: `${source} ECX`,
    },
    {
      id: 'cpuid.8000001f.minSevAsid',
      label: MIN_SEV_ASID_LABEL,
      value: String(cpuid.minSevAsid),
      source: `${source} EDX`,
      meaning: asidSplitText(cpuid),
    },
  ];
}

function hostCpuidLines(view: SevSection): SevLine[] {
  const leaf = view.hostCpuid;
  if ('missing' in leaf) return [];
  if ('error' in leaf)
    return [
      {
        id: 'cpuid.host',
        label: 'CPUID 0x8000001F (host, /dev/cpu/0/cpuid)',
        value: leaf.error.code,
        source: leaf.source,
        meaning:
          'cannot tell VMPL support, the number of VMPLs or the page-flush ' +
          'MSR: the cpuid module is not loaded (ENOENT) or this user may ' +
          'not read it (EACCES/EPERM)',
      },
    ];
  const { eax, ebx } = leaf.value;
  const h = hostCpuidBits(leaf)!;
  return [
    {
      id: 'cpuid.host.vmpl',
      label: 'VM Permission Levels (host CPUID)',
      value: h.vmpl ? 'supported' : 'not supported',
      source: `${leaf.source} (0x8000001F EAX ${eax}, bit 5)`,
      ...(h.vmpl || !h.snp
        ? {}
        : { meaning: 'the CPU reports SEV-SNP without VMPLs: SNP guests (and an SVSM at VMPL0) need them' }),
    },
    {
      id: 'cpuid.host.vmplCount',
      label: 'Number of VMPLs (host CPUID)',
      value: String(h.vmplCount),
      source: `${leaf.source} (0x8000001F EBX ${ebx}, bits 15:12)`,
    },
    {
      id: 'cpuid.host.pageFlush',
      label: 'VM page flush MSR (host CPUID)',
      value: h.pageFlush ? 'supported' : h.smeCoherent ? 'not supported (not needed: SME_COHERENT)' : 'not supported',
      source: `${leaf.source} (0x8000001F EAX ${eax}, bits 2 and 10)`,
      ...(h.pageFlush
        ? {}
        : {
            meaning: h.smeCoherent
              ? 'the CPU keeps encrypted and plain cache lines coherent ' +
                '(SME_COHERENT), so KVM flushes a page it takes back from a ' +
                'guest with CLFLUSHOPT and never uses VM_PAGE_FLUSH'
              : 'KVM flushes an encrypted guest page it takes back with the ' +
                'VM_PAGE_FLUSH MSR; where that write faults it warns and writes ' +
                'back the caches of every CPU the guest ran on',
          }),
    },
  ];
}

/** SYSCFG's SMEE and SNPEn bits, RMP_BASE and RMP_END, as read through /dev/cpu/0/msr. */
export function msrLines(view: SevSection): SevLine[] {
  const lines: SevLine[] = [];
  for (const [name, fact] of Object.entries(view.msrs) as [keyof typeof AMD_SNP_MSRS, typeof view.msrs.SYSCFG][]) {
    const label = `${name} (MSR ${hex(AMD_SNP_MSRS[name])})`;
    if ('missing' in fact) continue;
    if ('error' in fact) {
      lines.push({
        id: `msr.${name.toLowerCase()}`,
        label,
        value: fact.error.code,
        source: fact.source,
        meaning:
          'cannot tell: the msr module is not loaded (ENOENT), this user ' +
          'may not read MSRs (EACCES/EPERM), or the CPU has no such MSR ' +
          '(EIO)',
      });
      continue;
    }
    if (name === 'SYSCFG') {
      const { smee, snpEn } = snpMsrValues(view.msrs);
      lines.push(
        {
          id: 'msr.syscfg.smee',
          label: 'SYSCFG bit 23 (SMEE)',
          value: smee ? 'set' : 'clear',
          source: `${fact.source} (${fact.value}, bit 23)`,
          ...(smee ? {} : { meaning: 'the BIOS has not enabled memory encryption: no SME, SEV, SEV-ES or SEV-SNP' }),
        },
        {
          id: 'msr.syscfg.snpEn',
          label: 'SYSCFG bit 24 (SNPEn)',
          value: snpEn ? 'set' : 'clear',
          source: `${fact.source} (${fact.value}, bit 24)`,
          ...(snpEn
            ? {}
            : {
                meaning:
                  'SEV-SNP is not enabled in SYSCFG: the BIOS did not set it up ' +
                  '(or the kernel did not, on kernels that set SNPEn themselves)',
              }),
        },
      );
      continue;
    }
    lines.push({
      id: `msr.${name.toLowerCase()}`,
      label,
      value: fact.value,
      source: fact.source,
      ...(BigInt(fact.value) === 0n ? { meaning: 'no RMP table reserved: SEV-SNP cannot run' } : {}),
    });
  }
  return lines;
}

/** What a reader needs to read the CPU lines right: which CPUID fields KVM hides, and when cpuinfo hides a flag. */
export function hostNotes(view: SevSection): SevNote[] {
  const leaf = view.cpuidLeaf;
  const notes: SevNote[] = [];
  if ('value' in leaf && leaf.value.listed && !leaf.value.allZero)
    notes.push({
      text:
        'KVM clears NumVMPL (EBX[15:12]) and the physical-address ' +
        'reduction (EBX[11:6]) of leaf 0x8000001F in ' +
        'KVM_GET_SUPPORTED_CPUID; those two host values are not in the ' +
        'snapshot',
      source: 'arch/x86/kvm/cpuid.c __do_cpuid_func() case 0x8000001F',
    });
  notes.push({
    text:
      'the kernel hides the sev, sev_es and sev_snp flags in ' +
      '/proc/cpuinfo when the BIOS has not enabled them, and shows sme ' +
      'only while SME is active (mem_encrypt=on), so an absent flag ' +
      'does not mean the CPU lacks the feature',
    source: 'arch/x86/kernel/cpu/amd.c early_detect_mem_encrypt(), bsp_determine_snp()',
  });
  return notes;
}
