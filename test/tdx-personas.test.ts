// The TDX personas against what real hosts can produce: the TDX module's own CPUID_CONFIG
// and fixed bits (lib/knowledge/tdx-module.ts, from the 1.5.01 source), KVM's masking in
// arch/x86/kvm/vmx/tdx.c, QEMU's fixed-1 table, and the kernel-version table. A persona that
// no upstream kernel can produce must say which kernel it models.
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { kernelHas } from '../lib/knowledge/kernel-versions.js';
import { QEMU_TDX_FIXED1_BITS, TDX_MODULE_1_5_01 } from '../lib/knowledge/tdx-module.js';
import type { CpuidEntry } from '../lib/native/binding.js';
import type { Snapshot } from '../lib/snapshot/types.js';
import { projectRoot } from './helpers/compile.js';
import { loadPersona } from './helpers/double.js';
import type { Persona } from './helpers/persona.js';

const KVM_CAP_VM_TYPES = '235';
const REGS = ['eax', 'ebx', 'ecx', 'edx'] as const;
/** arch/x86/kvm/vmx/tdx.c KVM_SUPPORTED_TDX_TD_ATTRS: SEPT_VE_DISABLE only (6.16-7.2). */
const KVM_SUPPORTED_TDX_TD_ATTRS = 1n << 28n;

const personas: Persona[] = readdirSync(join(projectRoot, 'test', 'personas'))
  .filter((name) => name.startsWith('tdx-') && name.endsWith('.json'))
  .map((name) => loadPersona(name.replace(/\.json$/, '')));

const release = (p: Persona): string => (p.files['/proc/sys/kernel/osrelease'] ?? '').trim();
const capsOf = (p: Persona) => {
  const caps = p.kvm?.tdx?.capabilities;
  return caps && !('errno' in caps) ? caps : undefined;
};
const key = (fn: number, index: number): string => `0x${fn.toString(16)}.${index}`;

test('there are TDX personas to check', () => {
  assert.ok(personas.length >= 5, personas.map((p) => p.name).join(' '));
});

for (const p of personas) {
  test(`${p.name}: KVM_TDX_CAPABILITIES as a TDX module and KVM produce it`, () => {
    const caps = capsOf(p);
    if (!caps) return;
    // KVM never sets flags on these entries (kzalloc'd; 6.16.x left them uninitialised).
    for (const e of caps.cpuid) assert.equal(e.flags, 0, `${key(e.function, e.index)} carries flags ${e.flags}`);
    // Every configurable bit is one the module lets the VMM configure: CONFIG_DIRECT or ALLOW_DIRECT.
    const configs = new Map(TDX_MODULE_1_5_01.cpuidConfig.map((c) => [key(c.function, c.subleaf ?? 0), c]));
    const outside = caps.cpuid.filter((e) => !configs.has(key(e.function, e.index)));
    if (outside.length > 0)
      assert.ok(
        p.models,
        `${outside.map((e) => key(e.function, e.index)).join(' ')} are not CPUID_CONFIG leaves of a public ` +
          `module: say which module this models`,
      );
    for (const e of caps.cpuid) {
      const c = configs.get(key(e.function, e.index));
      if (!c) continue;
      for (const reg of REGS) {
        let allowed: number = (c.configDirect[reg] | c.allowDirect[reg]) >>> 0;
        // KVM reports the GPAW bits
        if (e.function === 0x80000008 && reg === 'eax') allowed = (allowed | 0xff0000) >>> 0;
        assert.equal(
          (e[reg] & ~allowed) >>> 0,
          0,
          `${key(e.function, e.index)} ${reg}: bits the module does not offer`,
        );
      }
      // KVM removes HLE, RTM and WAITPKG (tdx_clear_unsupported_cpuid()).
      if (e.function === 7 && e.index === 0)
        assert.equal((e.ebx & 0x810) | (e.ecx & 0x20), 0, 'HLE/RTM/WAITPKG reported');
      if (e.function === 0x80000008) assert.equal((e.eax >>> 16) & 0xff, 0xff, 'GPAW bits reported configurable');
    }
    // The module's 12 CPUID_CONFIG leaves are all there, in the module's order.
    if (!p.models)
      assert.deepEqual(
        caps.cpuid.map((e) => key(e.function, e.index)),
        [...configs.keys()],
      );
  });

  test(`${p.name}: no configurable CPUID bit is one QEMU's fixed-1 table lists as fixed`, () => {
    const caps = capsOf(p);
    if (!caps) return;
    for (const bit of QEMU_TDX_FIXED1_BITS) {
      const e: CpuidEntry | undefined = caps.cpuid.find((x) => x.function === bit.function && x.index === bit.index);
      if (e)
        assert.equal(
          (e[bit.reg] >>> bit.bit) & 1,
          0,
          `${bit.qemu} (${key(bit.function, bit.index)} ${bit.reg}[${bit.bit}]) is fixed-1 for a TD`,
        );
    }
  });

  test(`${p.name}: supported attributes and XFAM as KVM derives them from the module's fixed bits`, () => {
    const caps = capsOf(p);
    if (!caps) return;
    const attrs = BigInt(caps.supportedAttrs);
    const xfam = BigInt(caps.supportedXfam);
    assert.equal(xfam & ~TDX_MODULE_1_5_01.xfamFixed0, 0n, 'XFAM within XFAM_FIXED0');
    assert.equal(xfam & TDX_MODULE_1_5_01.xfamFixed1, TDX_MODULE_1_5_01.xfamFixed1, 'XFAM has XFAM_FIXED1 (x87, SSE)');
    const upstream = KVM_SUPPORTED_TDX_TD_ATTRS & TDX_MODULE_1_5_01.attributesFixed0;
    if (attrs !== upstream)
      assert.ok(
        p.models,
        `supported_attrs ${caps.supportedAttrs} is not upstream KVM's (0x${upstream.toString(16)}): say ` +
          `which kernel this models`,
      );
  });

  test(`${p.name}: KVM_CAP_VM_TYPES fits the kernel release and build`, () => {
    const types = p.kvm?.capabilities[KVM_CAP_VM_TYPES] ?? 0;
    const rel = release(p);
    if (!p.kvm) return;
    if (kernelHas('kvm.cap-vm-types', rel) === true)
      assert.equal(types & 1, 1, `${rel} has KVM_CAP_VM_TYPES: bit 0 (the default VM) is always set`);
    else assert.equal(types, 0, `${rel} predates KVM_CAP_VM_TYPES`);
    // SW_PROTECTED (bit 1) needs CONFIG_KVM_SW_PROTECTED_VM, which depends on EXPERT: not a distribution build.
    if (types & 2)
      assert.ok(p.models, 'KVM_X86_SW_PROTECTED_VM offered: say which (non-distribution) build this models');
    if (types & (1 << 5))
      assert.ok(
        kernelHas('tdx.kvm-uapi', rel) === true || p.models,
        `${rel} offers KVM_X86_TDX_VM before the TDX uAPI`,
      );
    if (capsOf(p) && !p.models) assert.equal(types, 0x21, 'a distribution kernel with TDX answers 0x21');
  });

  test(`${p.name}: a TDX module that failed to initialise leaves /dev/kvm only where the kernel allows it`, () => {
    const kmsg = p.files['/dev/kmsg'] ?? '';
    const failed = /module initialization failed \((-?\d+)\)|TDX-Module initialization failed \((-?\d+)\)/.exec(kmsg);
    if (!failed || !p.kvm) return;
    const rel = release(p);
    // 6.16-7.x: a bring-up failure other than -ENODEV fails kvm_intel's load; 7.2 reports a failed module as -ENODEV.
    if (
      kernelHas('kvm.tdx-bringup-failure-fails-load', rel) === true &&
      kernelHas('kvm.tdx-module-init-failure-is-enodev', rel) !== true
    ) {
      assert.ok(
        p.models,
        `${rel}: kvm_intel cannot load after a failed TDX module init, yet /dev/kvm answers: say which ` +
          `kernel this models`,
      );
    }
  });

  test(`${p.name}: sources name the public data, and a non-upstream persona names its kernel`, () => {
    assert.ok(p.sources.length > 0);
    if (capsOf(p)) {
      assert.ok(
        p.sources.some((s) => /intel\/tdx-module TDX_1\.5\.01/.test(s)),
        'cites the TDX module 1.5.01 source',
      );
      assert.ok(
        p.sources.some((s) => /tdx-module-binaries/.test(s)),
        'cites the published module binaries',
      );
      assert.ok(
        p.sources.some((s) => /arch\/x86\/kvm\/vmx\/tdx\.c/.test(s)),
        "cites KVM's masking in tdx.c",
      );
    }
    if (p.models) assert.match(`${p.models.kernel} ${p.models.why}`, /\S{4}.*\S{4}/);
  });
}

// The hand-made TDX snapshots (test/fixtures/tdx-*.json) obey the same facts.
const fixtures = readdirSync(join(projectRoot, 'test', 'fixtures'))
  .filter((name) => name.startsWith('tdx-') && name.endsWith('.json'))
  .map((name) => ({
    name,
    snapshot: JSON.parse(readFileSync(join(projectRoot, 'test', 'fixtures', name), 'utf8')) as Snapshot,
  }));

for (const { name, snapshot } of fixtures) {
  test(`fixture ${name}: capability CPUID without flags, KVM_CAP_VM_TYPES as the release answers it`, () => {
    const caps = snapshot.kvm.tdx?.capabilities;
    if (caps && 'value' in caps) {
      for (const e of caps.value.cpuid)
        assert.equal(e.flags, 0, `${key(e.function, e.index)} carries flags ${e.flags}`);
      for (const bit of QEMU_TDX_FIXED1_BITS) {
        const e: CpuidEntry | undefined = caps.value.cpuid.find(
          (x) => x.function === bit.function && x.index === bit.index,
        );
        if (e) assert.equal((e[bit.reg] >>> bit.bit) & 1, 0, `${bit.qemu} is fixed-1 for a TD`);
      }
    }
    const system = snapshot.kvm.capabilities?.system;
    const rel = 'value' in snapshot.host.kernelRelease ? snapshot.host.kernelRelease.value : '';
    if (!system || !('value' in system)) return;
    const answer = system.value[KVM_CAP_VM_TYPES];
    const types = typeof answer === 'number' ? answer : 0;
    if (kernelHas('kvm.cap-vm-types', rel) === true)
      assert.equal(types & 1, 1, `${rel}: KVM_CAP_VM_TYPES always has bit 0`);
    assert.equal(types & 2, 0, 'no SW_PROTECTED VM type: distribution builds lack CONFIG_KVM_SW_PROTECTED_VM');
  });
}
