// The CPU-vendor table (lib/knowledge/cpu-vendors.ts) against the kernel that defines the
// vendors, and what every consumer makes of it: the virtualization flag and vendor module KVM's
// diagnosis wants, the firmware switch the collector reads, and which confidential technologies
// apply. A Zhaoxin or Hygon host must get the same answer from each of them.
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { kvmDiagnosis } from '../lib/check/kvm-causes.js';
import { applicability, runChecks } from '../lib/check/run.js';
import { CPU_VENDORS, cpuVendor, vendorModule } from '../lib/knowledge/cpu-vendors.js';
import { firmwareSwitchMsr, MSR_IA32_FEATURE_CONTROL, MSR_VM_CR } from '../lib/snapshot/bringup-files.js';
import { loadSnapshot } from '../lib/snapshot/load.js';
import type { Snapshot } from '../lib/snapshot/types.js';
import { kernelFiles, kernelSource } from './helpers/kernel-sources.js';

const FIXTURES = new URL('./fixtures/', import.meta.url).pathname;

/** A fixture whose CPU is `vendorId` (as /proc/cpuinfo would print it) with `flag` among its flags. */
function hostWith(fixture: string, vendorId: string, flag: string): Snapshot {
  const snapshot = structuredClone(loadSnapshot(join(FIXTURES, `${fixture}.json`)));
  const cpuinfo = snapshot.host.cpuinfo;
  assert.ok('value' in cpuinfo, `${fixture} has cpuinfo`);
  cpuinfo.value.vendor_id = vendorId;
  const flags = cpuinfo.value.flags?.split(' ').filter((f) => f !== 'vmx' && f !== 'svm') ?? [];
  cpuinfo.value.flags = [...flags, flag].join(' ');
  return snapshot;
}

test('cpuVendor: the vendor_id as read, padding ignored; an unknown vendor has no row', () => {
  assert.equal(cpuVendor('GenuineIntel')?.flag, 'vmx');
  assert.equal(cpuVendor('  Shanghai  ')?.vendorId, 'Shanghai', "Zhaoxin's c_ident is padded");
  assert.equal(cpuVendor('HygonGenuine')?.vendor, 'other');
  assert.equal(cpuVendor('AuthenticAMD')?.vendor, 'amd');
  assert.equal(cpuVendor('VIA VIA VIA '), undefined);
  assert.equal(cpuVendor(undefined), undefined);
  assert.equal(vendorModule('vmx'), 'kvm_intel');
  assert.equal(vendorModule('svm'), 'kvm_amd');
});

test('the table matches linux-source: c_ident strings, VMX and SVM vendors, the PSP driver', async (t) => {
  const src = await kernelFiles(t, 'linux-source', kernelSource);
  if (!src) return;
  const cpuDir = join(src.root, 'arch/x86/kernel/cpu');
  const read = (path: string): string => readFileSync(join(src.root, path), 'utf8');
  // Each vendor's cpu_dev: which file names which vendor_id, and which vendor constant it sets.
  const devs = readdirSync(cpuDir)
    .filter((f) => f.endsWith('.c'))
    .flatMap((file) => {
      const text = readFileSync(join(cpuDir, file), 'utf8');
      const ident = /\.c_ident\s*=\s*\{\s*"([^"]+)"/.exec(text)?.[1];
      const vendor = /\.c_x86_vendor\s*=\s*(X86_VENDOR_\w+)/.exec(text)?.[1];
      return ident === undefined || vendor === undefined ? [] : [{ file, ident: ident.trim(), vendor, text }];
    });
  for (const row of CPU_VENDORS) {
    const dev = devs.find((d) => d.ident === row.vendorId);
    assert.ok(dev, `a cpu_dev in arch/x86/kernel/cpu has c_ident "${row.vendorId}"`);
    // VMX: the vendor's setup enables IA32_FEATURE_CONTROL's VMX bits (feat_ctl.c).
    assert.equal(/\binit_ia32_feat_ctl\(c\)/.test(dev.text), row.flag === 'vmx', `${dev.file}: init_ia32_feat_ctl`);
  }
  // Every vendor whose setup calls init_ia32_feat_ctl() is in the table as VMX.
  for (const dev of devs.filter((d) => /\binit_ia32_feat_ctl\(c\)/.test(d.text)))
    assert.equal(cpuVendor(dev.ident)?.flag, 'vmx', `${dev.file} (${dev.ident}) sets up VMX`);
  // SVM: kvm_amd accepts exactly these vendors.
  const svm = /static bool __kvm_is_svm_supported\(void\)\n\{([\s\S]*?)\n\}/.exec(read('arch/x86/kvm/svm/svm.c'))?.[1];
  assert.ok(svm, 'svm.c has __kvm_is_svm_supported()');
  const svmVendors = new Set([...svm.matchAll(/X86_VENDOR_\w+/g)].map((m) => m[0]));
  assert.deepEqual(
    new Set(CPU_VENDORS.filter((r) => r.flag === 'svm').map((r) => devs.find((d) => d.ident === r.vendorId)?.vendor)),
    svmVendors,
  );
  // SEV needs the PSP through the ccp driver: its PCI table binds AMD devices only, and only
  // AMD's CPU setup detects memory encryption. So only AuthenticAMD is an 'amd' vendor.
  const pciTable = /sp_pci_table\[\] = \{([\s\S]*?)\};/.exec(read('drivers/crypto/ccp/sp-pci.c'))?.[1];
  assert.ok(pciTable, 'sp-pci.c has sp_pci_table');
  assert.deepEqual(new Set([...pciTable.matchAll(/PCI_VDEVICE\((\w+),/g)].map((m) => m[1])), new Set(['AMD']));
  const encryptionDetected = devs.filter((d) => /early_detect_mem_encrypt\(c\)/.test(d.text)).map((d) => d.ident);
  assert.deepEqual(encryptionDetected, ['AuthenticAMD']);
  assert.deepEqual(
    CPU_VENDORS.filter((r) => r.vendor === 'amd').map((r) => r.vendorId),
    encryptionDetected,
  );
});

test('a Zhaoxin host: VMX and kvm_intel everywhere, IA32_FEATURE_CONTROL, and neither TDX nor SEV applies', () => {
  const snapshot = hostWith('tdx-usable-6.16', 'Shanghai', 'vmx');
  assert.equal(firmwareSwitchMsr('Shanghai'), MSR_IA32_FEATURE_CONTROL);
  const diagnosis = kvmDiagnosis(snapshot);
  assert.equal(diagnosis.flag, 'vmx');
  assert.equal(diagnosis.vendorModule, 'kvm_intel');
  for (const technology of ['tdx', 'sev', 'sev-es', 'snp'] as const)
    assert.equal(applicability(technology, snapshot).applicable, false, technology);
  const run = runChecks(snapshot, ['kvm']);
  const virt = run.technologies[0]?.checks.find((c) => c.id === 'kvm.cpu.virtualization');
  assert.equal(virt?.status, 'PASS');
  assert.match(virt?.found ?? '', /^vmx present \(Shanghai\)/);
});

test('a Hygon host: SVM and kvm_amd, VM_CR, and SEV does not apply (no PSP driver for it in mainline)', () => {
  const snapshot = hostWith('snp-host', 'HygonGenuine', 'svm');
  assert.equal(firmwareSwitchMsr('HygonGenuine'), MSR_VM_CR);
  const diagnosis = kvmDiagnosis(snapshot);
  assert.equal(diagnosis.flag, 'svm');
  assert.equal(diagnosis.vendorModule, 'kvm_amd');
  const sev = applicability('sev', snapshot);
  assert.deepEqual(sev, { applicable: false, reason: 'needs an AMD CPU; this CPU is HygonGenuine' });
  assert.equal(applicability('tdx', snapshot).applicable, false);
  const virt = runChecks(snapshot, ['kvm']).technologies[0]?.checks.find((c) => c.id === 'kvm.cpu.virtualization');
  assert.match(virt?.found ?? '', /^svm present \(HygonGenuine\)/);
});

test('an Intel and an AMD host: the technologies of their own vendor apply', () => {
  const intel = loadSnapshot(join(FIXTURES, 'tdx-usable-6.16.json'));
  const amd = loadSnapshot(join(FIXTURES, 'snp-host.json'));
  assert.equal(applicability('tdx', intel).applicable, true);
  assert.equal(applicability('snp', intel).applicable, false);
  assert.equal(applicability('snp', amd).applicable, true);
  assert.equal(applicability('tdx', amd).applicable, false);
  assert.equal(firmwareSwitchMsr('VIA VIA VIA '), undefined, 'no switch for a vendor KVM has no extension for');
});
