// How kvm-caps judges and explains TDX, kernel by kernel: which bring-up failure leaves which
// state (no /dev/kvm on 6.16 and later), the kernel-version boundaries, what each log line
// means, TDX_FEATURES0 against the kernel, configurable vs not configurable CPUID, Linux 7.2's
// runtime-update facts, and a log of several boots judged on its newest. Each test edits a
// saved fixture the way the host would differ, and asserts what the checks and the text say.
import { isKnown } from '../lib/decode/sourced.js';
import { say } from '../lib/check/tdx-text.js';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { flattenChecks, runChecks } from '../lib/check/run.js';
import { bringupFailsKvmLoad, tdxCauses, type TdxExplanation } from '../lib/check/tdx-causes.js';
import type { CheckResult, Technology } from '../lib/check/types.js';
import { decodeSnapshot } from '../lib/decode/model.js';
import { describeHwError } from '../lib/check/tdx-text.js';
import { decodeHwError, notConfigurableKind } from '../lib/decode/tdx-fields.js';
import { parseTdxLog } from '../lib/decode/tdx-log.js';
import type { TdxBringupFailureKind } from '../lib/decode/tdx.js';
import { TDX_SW_ERRORS } from '../lib/knowledge/tdx.js';
import { tdxSection } from '../lib/render/report.js';
import { plainStyle } from '../lib/render/style.js';
import { renderTdx } from '../lib/render/tdx.js';
import type { KernelLogRecord, Snapshot } from '../lib/snapshot/types.js';
import { projectRoot } from './helpers/compile.js';
import { fixtureNames, fixtureSnapshot as fixture } from './helpers/fixtures.js';

function edit(name: string, change: (s: Snapshot) => void): Snapshot {
  const s = structuredClone(fixture(name));
  change(s);
  return s;
}

function setLog(s: Snapshot, messages: readonly string[] | readonly KernelLogRecord[]): void {
  const records = messages.map((m) => (typeof m === 'string' ? { priority: 6, timestampUs: null, message: m } : m));
  s.host.kernelLog = { source: { file: '/dev/kmsg' }, value: records };
}

/** What a host looks like when kvm_intel failed to load: no /dev/kvm, no kvm_intel module, nothing asked of KVM. */
function noKvmIntel(s: Snapshot): void {
  const enoent = (path: string, syscall: string) => ({
    code: 'ENOENT',
    errno: -2,
    syscall,
    path,
    message: `ENOENT: no such file or directory, ${syscall} '${path}'`,
  });
  s.host.device = { source: { syscall: 'stat', path: '/dev/kvm' }, error: enoent('/dev/kvm', 'stat') };
  s.kvm = {
    open: { source: { syscall: 'open', path: '/dev/kvm' }, error: enoent('/dev/kvm', 'open') },
  } as Snapshot['kvm'];
  const modules = s.host.modules;
  if ('value' in modules) delete modules.value.kvm_intel;
}

const causes = (s: Snapshot): TdxExplanation[] => tdxCauses(s, decodeSnapshot(s).confidential.tdx);
const codes = (s: Snapshot): string[] => causes(s).map((e) => e.code);

function check(s: Snapshot, technology: Technology, id: string): CheckResult {
  const report = runChecks(s, [technology]);
  const found = flattenChecks(report.technologies[0]?.checks ?? []).find((c) => c.id === id);
  assert.ok(found, `${id} is in the ${technology} tree`);
  return found;
}

const text = (s: Snapshot): string => {
  const model = decodeSnapshot(s);
  return renderTdx(tdxSection(model, runChecks(s, ['tdx'], model)), plainStyle);
};

const MODULE_INIT_FAILED = [
  'virt/tdx: BIOS enabled: private KeyID range [64, 128)',
  'virt/tdx: SEAMCALL (0x0000000000000022) failed: 0xc000050500000000',
  'virt/tdx: module initialization failed (-5)',
];

describe('item 1: a failed TDX bring-up and a missing /dev/kvm', () => {
  test(
    "6.16: the module failed to initialise, so kvm_intel did not load: KVM's diagnosis names TDX, and the fix " +
      'is never "tdx=1 again"',
    () => {
      const s = edit('tdx-usable-6.16', (x) => {
        noKvmIntel(x);
        setLog(x, MODULE_INIT_FAILED);
      });
      assert.ok(codes(s).includes('tdx-bringup-failed-kvm-not-loaded'));
      const modules = check(s, 'kvm', 'kvm.kernel.modules');
      assert.equal(modules.status, 'FAIL');
      assert.match(modules.found, /TDX bring-up failed .*module initialization failed \(-5\)/);
      assert.match(modules.found, /6\.16\+.*no \/dev\/kvm/);
      assert.match(modules.fix ?? '', /tdx=0/);
      assert.match(modules.fix ?? '', /BIOS or the TDX module/);
      for (const [technology, id] of [
        ['kvm', 'kvm.kernel.modules'],
        ['tdx', 'tdx.kvm.parameter'],
      ] as const) {
        const fix = check(s, technology, id).fix ?? '';
        assert.doesNotMatch(fix, /modprobe kvm_intel tdx=1/, `${id} must not send the user back to tdx=1`);
      }
      for (const e of causes(s)) assert.doesNotMatch(e.hint ?? '', /modprobe kvm_intel tdx=1/, e.code);
    },
  );

  test('the TDX failure is named even when the modules could not be listed, and the device check defers to it', () => {
    const s = edit('tdx-usable-6.16', (x) => {
      noKvmIntel(x);
      x.host.modules = {
        source: { directory: '/sys/module' },
        error: { code: 'EACCES', errno: -13, syscall: 'scandir', path: '/sys/module', message: 'EACCES' },
      };
      setLog(x, MODULE_INIT_FAILED);
    });
    const modules = check(s, 'kvm', 'kvm.kernel.modules');
    assert.equal(modules.status, 'FAIL');
    assert.match(modules.found, /TDX bring-up failed/);
    assert.match(modules.fix ?? '', /tdx=0/);
    assert.equal(check(s, 'kvm', 'kvm.device.present').status, 'SKIP');
  });

  test('failures that leave kvm_intel loaded with tdx=N are not blamed for a missing /dev/kvm', () => {
    for (const line of ['kvm_intel: tdx: EPT is required for TDX', 'virt/tdx: module not loaded']) {
      const s = edit('tdx-usable-6.16', (x) => {
        noKvmIntel(x);
        setLog(x, [line]);
      });
      assert.ok(!codes(s).includes('tdx-bringup-failed-kvm-not-loaded'), line);
      assert.doesNotMatch(check(s, 'kvm', 'kvm.kernel.modules').found, /TDX/, line);
    }
  });

  test(
    '7.2: a module that failed in the core kernel is -ENODEV to KVM, which loads; ' +
      "KVM's own module check still fails the load",
    () => {
      const failedInCore = edit('tdx-init-vm-refused-7.2', (x) => {
        noKvmIntel(x);
        delete x.host.tdxModuleVersion;
        setLog(x, ['virt/tdx: TDX-Module initialization failed (-5)']);
      });
      assert.ok(!codes(failedInCore).includes('tdx-bringup-failed-kvm-not-loaded'));
      const limit = edit('tdx-init-vm-refused-7.2', (x) => {
        noKvmIntel(x);
        setLog(x, ['kvm_intel: Disable TDX: MAX_VCPU_PER_TD (480) smaller than number of logical CPUs (512).']);
      });
      assert.ok(codes(limit).includes('tdx-bringup-failed-kvm-not-loaded'));
    },
  );

  test(
    'which failure fails the load, per kernel (kvm.tdx-bringup-failure-fails-load, ' +
      'kvm.tdx-module-init-failure-is-enodev)',
    () => {
      const kinds: TdxBringupFailureKind[] = ['module-init', 'module-limit', 'module-not-loaded', 'prerequisite'];
      // [release, kinds that fail kvm_intel's init]
      const expected: [string, TdxBringupFailureKind[]][] = [
        ['6.8.0-1015-intel', []],
        ['6.15.11', []],
        ['6.16.0', ['module-init', 'module-limit']],
        ['6.18.3', ['module-init', 'module-limit']],
        ['7.0.1', ['module-init', 'module-limit']],
        ['7.2.0', ['module-limit']],
      ];
      const evidence = { value: 'x', source: 'kernel log', line: 'x', index: 0 };
      for (const [release, failing] of expected) {
        for (const kind of kinds) {
          assert.equal(
            bringupFailsKvmLoad({ kind, evidence, errno: null }, release),
            failing.includes(kind),
            `${release} ${kind}`,
          );
        }
      }
      assert.equal(bringupFailsKvmLoad({ kind: 'module-init', evidence, errno: null }, 'custom-kernel'), null);
    },
  );

  test(
    'the re-based module-init-failed fixture is a kernel that can produce it (Ubuntu 6.8 -intel: KVM loads ' +
      'with tdx=N)',
    () => {
      const s = fixture('tdx-module-init-failed');
      assert.match((s.host.kernelRelease as { value: string }).value, /^6\.8\.0-\d+-intel$/);
      const failure = decodeSnapshot(s).confidential.tdx.bringupFailure;
      assert.equal(failure?.kind, 'module-init');
      assert.equal(bringupFailsKvmLoad(failure, '6.8.0-1015-intel'), false);
    },
  );
});

describe('item 3: kernel-version boundaries in what the checks say', () => {
  test('from 7.1 the core kernel initialises the TDX module at boot, whatever kvm_intel.tdx is', () => {
    const s = edit('tdx-init-vm-refused-7.2', (x) => {
      delete x.host.tdxModuleVersion;
      setLog(x, ['virt/tdx: BIOS enabled: private KeyID range [64, 128)']);
      const modules = x.host.modules;
      if ('value' in modules && modules.value.kvm_intel) modules.value.kvm_intel.parameters.tdx = 'N';
      x.kvm.capabilities = undefined;
      delete x.kvm.tdx;
    });
    const r = check(s, 'tdx', 'tdx.kernel.module');
    assert.match(r.found, /core kernel initialises the TDX module at boot/);
    assert.doesNotMatch(r.found, /only when kvm_intel loads with tdx=1/);
    const old = edit('tdx-usable-6.16', (x) => {
      setLog(x, ['virt/tdx: BIOS enabled: private KeyID range [64, 128)']);
      const modules = x.host.modules;
      if ('value' in modules && modules.value.kvm_intel) modules.value.kvm_intel.parameters.tdx = 'N';
      const system = x.kvm.capabilities?.system;
      if (system && 'value' in system) system.value['235'] = 1;
    });
    assert.match(
      check(old, 'tdx', 'tdx.kernel.module').found,
      /6\.16 up to 7\.1, KVM initialises the module only when kvm_intel loads with tdx=1/,
    );
  });

  test('no tdx_host_platform on a 6.8+ kernel: the BIOS, or a kernel built without CONFIG_INTEL_TDX_HOST', () => {
    const r = check(fixture('tdx-bios-disabled'), 'tdx', 'tdx.bios.enabled');
    assert.equal(r.status, 'FAIL');
    assert.match(r.found, /key split must be > 0/);
    assert.match(r.found, /6\.8\+ .*CONFIG_INTEL_TDX_HOST/);
  });
});

describe('item 4: what each kernel-log line means', () => {
  test('pre-merge "TDX requires TDP MMU" is about kvm.tdp_mmu, and the fix says so', () => {
    const s = edit('tdx-prerequisite-off', (x) => {
      const modules = x.host.modules;
      if ('value' in modules && modules.value.kvm) modules.value.kvm.parameters.tdp_mmu = 'Y';
      setLog(x, ['TDX requires TDP MMU.  Please enable TDP MMU for TDX.']);
    });
    const cause = causes(s).find((e) => e.code === 'kvm-parameter');
    assert.ok(cause, JSON.stringify(codes(s)));
    assert.match(cause.message, /kvm\.tdp_mmu/);
    assert.match(cause.hint ?? '', /kvm\.tdp_mmu=1/);
  });

  test('"N pages allocated for PAMT" is read as pages', () => {
    assert.equal(parseTdxLog(['tdx: 262144 pages allocated for PAMT.']).pamtPages?.value, 262144);
  });

  test('the PAMT memory is shown: KB from mainline kernels, 4 KiB pages from pre-merge trees', () => {
    assert.match(text(fixture('tdx-usable-6.16')), /^ {2}PAMT memory +1050644 KiB {2}\[/m);
    const pages = edit('tdx-usable-6.16', (x) => setLog(x, ['tdx: 262144 pages allocated for PAMT.']));
    assert.match(text(pages), /^ {2}PAMT memory +1048576 KiB \(262144 pages of 4 KiB\)/m);
    const none = edit('tdx-usable-6.16', (x) => setLog(x, ['tdx: TDX module initialized.']));
    assert.match(text(none), /^ {2}PAMT memory +unknown: no "allocated for PAMT" line/m);
  });

  test('EIO from KVM_TDX_INIT_VM with "All packages need to have online CPU" is an offline package', () => {
    const s = edit('tdx-init-vm-refused-7.2', (x) => {
      const init = x.kvm.tdx?.initVm;
      assert.ok(init);
      init.result = { source: init.result.source, error: { code: 'EIO', errno: -5, syscall: 'ioctl', message: 'EIO' } };
      setLog(x, [
        'virt/tdx: TDX-Module initialized',
        'kvm_intel: All packages need to have online CPU to create TD. Online CPU and retry.',
      ]);
    });
    const cause = causes(s).find((e) => e.code === 'init-vm-package-offline');
    assert.ok(cause, JSON.stringify(codes(s)));
    assert.match(cause.hint ?? '', /online/);
    assert.match(check(s, 'tdx', 'tdx.usable.init-vm').found, /package has no online CPU/);
  });

  test(
    'a failed TDH.SYS.* SEAMCALL is the module failing to initialise with that status, ' + 'with the update remedy',
    () => {
      const cause = causes(fixture('tdx-module-init-failed')).find((e) => e.code === 'module-init-failed');
      assert.ok(cause);
      assert.match(cause.message, /failed to initialise: TDH\.SYS\.RD returned TDX_SYS_NOT_READY/);
      assert.match(cause.hint ?? '', /update the BIOS and the TDX module/);
    },
  );

  test('vendor lines: "not enabled by BIOS." and "TDX module is not loaded." set the module state', () => {
    assert.equal(parseTdxLog(['tdx: not enabled by BIOS.']).moduleState?.value.state, 'not-supported');
    assert.equal(parseTdxLog(['tdx: TDX module is not loaded.']).moduleState?.value.state, 'not-loaded');
  });

  test("a TD guest's log is said to be a guest's, and no host check passes on it", () => {
    const s = edit('tdx-usable-6.16', (x) =>
      setLog(x, [
        'tdx: Guest detected',
        'tdx: Attributes: SEPT_VE_DISABLE',
        'Memory Encryption Features active: Intel TDX',
      ]),
    );
    assert.ok(codes(s).includes('guest-log'));
    const cpu = check(s, 'tdx', 'tdx.cpu.intel');
    assert.equal(cpu.status, 'UNKNOWN');
    assert.match(cpu.found, /from a TDX guest/);
    assert.notEqual(runChecks(s, ['tdx']).technologies[0]?.verdict.usable, true);
    const module = decodeSnapshot(s).confidential.tdx.moduleState;
    assert.ok(!isKnown(module) || module.source?.includes('Guest') !== true);
  });

  test('a SEAMCALL that raised #UD is EACCES to the caller', () => {
    const ud = TDX_SW_ERRORS.find((e) => e.name === 'TDX_SEAMCALL_UD');
    assert.ok(ud);
    const decoded = decodeHwError(ud.code);
    assert.equal(decoded.errno, 'EACCES');
    assert.match(describeHwError(decoded), /EACCES/);
  });

  test('the "TDX module: attributes ..." version line is labelled a pre-merge/vendor kernel\'s', () => {
    assert.match(text(fixture('tdx-kernel-6.8-intel')), /pre-merge\/vendor kernel, not a mainline one/);
    assert.doesNotMatch(text(fixture('tdx-init-vm-refused-7.2')), /pre-merge\/vendor kernel/);
  });
});

describe('item 5: a log of several boots', () => {
  test('only the newest boot is judged; older boots are counted as such', () => {
    const s = edit('tdx-usable-6.16', (x) =>
      setLog(x, [
        {
          priority: 3,
          timestampUs: 1,
          message: 'virt/tdx: SEAMCALL (0x0000000000000022) failed: 0xc000050500000000',
          boot: 1,
        },
        { priority: 3, timestampUs: 2, message: 'virt/tdx: module initialization failed (-5)', boot: 1 },
        { priority: 6, timestampUs: 1, message: 'virt/tdx: BIOS enabled: private KeyID range [64, 128)', boot: 0 },
        { priority: 6, timestampUs: 2, message: 'virt/tdx: module initialized', boot: 0 },
      ]),
    );
    const t = decodeSnapshot(s).confidential.tdx;
    assert.deepEqual(t.seamcallFailures, []);
    assert.equal(t.bringupFailure, null);
    assert.ok(isKnown(t.kernelLog));
    assert.equal(t.kernelLog.value.olderBootRecords, 2);
    assert.match(say.kernelLog(t.kernelLog), /2 records of earlier boots left out/);
  });
});

describe('item 6: texts and TDX_FEATURES0', () => {
  test("QEMU's message is quoted in both cases, with the QEMU versions", () => {
    const s = edit('tdx-usable-6.16', (x) => {
      const system = x.kvm.capabilities?.system;
      if (system && 'value' in system) system.value['235'] = 1;
    });
    const lead = causes(s).find((e) => e.code === 'tdx-vm-type-not-offered');
    assert.ok(lead);
    assert.match(lead.message, /"vm-type TDX not supported by KVM" \(QEMU upstream/);
    assert.match(lead.message, /"vm-type tdx not supported by KVM" \(older Intel and Canonical/);
  });

  test('E2BIG from KVM_TDX_CAPABILITIES: no "256"; the kernel caps configs at 128 and kvm-caps grows to 4096', () => {
    const s = edit('tdx-usable-6.16', (x) => {
      const tdx = x.kvm.tdx;
      assert.ok(tdx?.capabilities);
      tdx.capabilities = {
        source: tdx.capabilities.source,
        error: { code: 'E2BIG', errno: -7, syscall: 'ioctl', message: 'E2BIG' },
      };
    });
    const e2big = causes(s).find((e) => e.code === 'capabilities-e2big');
    assert.ok(e2big);
    assert.doesNotMatch(e2big.message, /256/);
    assert.match(e2big.message, /4096.*128/);
  });

  test('the TME-MT/TDX key split is "> 0" wherever kvm-caps names it', () => {
    const files: string[] = [];
    const walk = (dir: string): void => {
      for (const name of readdirSync(dir)) {
        const path = join(dir, name);
        if (statSync(path).isDirectory()) walk(path);
        else if (name.endsWith('.ts')) files.push(path);
      }
    };
    walk(join(projectRoot, 'lib'));
    let seen = 0;
    for (const file of files) {
      for (const m of readFileSync(file, 'utf8').matchAll(/key split[^'`"\n]{0,12}/g)) {
        seen++;
        assert.match(m[0], /key split(?: must be)? > 0/, `${file}: ${m[0]}`);
      }
    }
    assert.ok(seen >= 3);
  });

  test('a known module lacking TOPOLOGY_ENUM (1.5.01) on a 6.16 kernel: KVM gives up on TDX silently', () => {
    const s = edit('tdx-usable-6.16', (x) => {
      x.host.tdxModuleVersion = { source: { file: '/sys/devices/faux/tdx_host/version' }, value: '1.5.01\n' };
    });
    const cause = causes(s).find((e) => e.code === 'module-lacks-topology-enum');
    assert.ok(cause, JSON.stringify(codes(s)));
    assert.match(cause.message, /silently/);
    assert.match(cause.hint ?? '', /1\.5\.05/);
    // A module that has it (1.5.08) raises nothing.
    const good = edit('tdx-usable-6.16', (x) => {
      x.host.tdxModuleVersion = { source: { file: '/sys/devices/faux/tdx_host/version' }, value: '1.5.08\n' };
    });
    assert.ok(!codes(good).some((c) => c.startsWith('module-lacks-')));
  });
});

describe('item 7: configurable, native, removed or not configurable through KVM', () => {
  test('each bit is classified where the tables tell', () => {
    assert.equal(notConfigurableKind(0x7, 0, 'ebx', 4), 'kvm-removed'); // HLE
    assert.equal(notConfigurableKind(0x7, 0, 'ebx', 11), 'kvm-removed'); // RTM
    assert.equal(notConfigurableKind(0x7, 0, 'ecx', 5), 'kvm-removed'); // WAITPKG
    assert.equal(notConfigurableKind(0x1, 0, 'ecx', 0), 'qemu-fixed1'); // SSE3
    assert.equal(notConfigurableKind(0x7, 0, 'ebx', 16), 'native'); // AVX512F: ALLOW_DIRECT in module 1.5.01
    assert.equal(notConfigurableKind(0x7, 0, 'ebx', 5), 'not-configurable'); // AVX2
  });

  test('no TDX output calls a non-configurable bit "fixed" unless QEMU fixes it to 1', () => {
    for (const name of fixtureNames().filter((n) => n.startsWith('tdx-'))) {
      const out = text(fixture(name));
      const block = out.split('\n').filter((line) => /not configurable|fixed/i.test(line));
      for (const line of block)
        assert.doesNotMatch(
          line.replace(/fixed to 1 for every TD \(QEMU's fixed-1 table\)/, ''),
          /\bfixed\b/i,
          `${name}: ${line}`,
        );
    }
    assert.match(
      text(fixture('tdx-usable-6.16')),
      /not configurable through KVM \(the TDX module sets or derives it\): .*avx2/,
    );
  });
});

describe('item 8: Linux 7.2 runtime-update facts', () => {
  test('absent on 7.2: explained (root only, module without TD_PRESERVING, or the CPU bug)', () => {
    const notRoot = edit('tdx-init-vm-refused-7.2', (x) => {
      const eacces = (path: string) => ({
        source: { file: path },
        error: { code: 'EACCES', errno: -13, syscall: 'open', path, message: 'EACCES' },
      });
      x.host.tdxSeamldrVersion = eacces('/sys/devices/faux/tdx_host/seamldr_version');
      x.host.tdxNumRemainingUpdates = eacces('/sys/devices/faux/tdx_host/num_remaining_updates');
    });
    assert.match(causes(notRoot).find((e) => e.code === 'runtime-update-files-absent')?.message ?? '', /root only/);
    const noSupport = edit('tdx-init-vm-refused-7.2', (x) => {
      x.host.tdxModuleVersion = { source: { file: '/sys/devices/faux/tdx_host/version' }, value: '1.5.01\n' };
      const enoent = (path: string) => ({
        source: { file: path },
        error: { code: 'ENOENT', errno: -2, syscall: 'open', path, message: 'ENOENT' },
      });
      x.host.tdxSeamldrVersion = enoent('/sys/devices/faux/tdx_host/seamldr_version');
      x.host.tdxNumRemainingUpdates = enoent('/sys/devices/faux/tdx_host/num_remaining_updates');
    });
    assert.match(
      causes(noSupport).find((e) => e.code === 'runtime-update-files-absent')?.message ?? '',
      /TD_PRESERVING/,
    );
    const bug = edit('tdx-init-vm-refused-7.2', (x) => {
      const enoent = (path: string) => ({
        source: { file: path },
        error: { code: 'ENOENT', errno: -2, syscall: 'open', path, message: 'ENOENT' },
      });
      x.host.tdxSeamldrVersion = enoent('/sys/devices/faux/tdx_host/seamldr_version');
      x.host.tdxNumRemainingUpdates = enoent('/sys/devices/faux/tdx_host/num_remaining_updates');
    });
    assert.match(causes(bug).find((e) => e.code === 'runtime-update-files-absent')?.message ?? '', /SEAMRET/);
  });

  test('num_remaining_updates 0: no further module update until reboot; the three facts are shown', () => {
    const s = edit('tdx-init-vm-refused-7.2', (x) => {
      x.host.tdxSeamldrVersion = { source: { file: '/sys/devices/faux/tdx_host/seamldr_version' }, value: '2.0.00\n' };
      x.host.tdxNumRemainingUpdates = {
        source: { file: '/sys/devices/faux/tdx_host/num_remaining_updates' },
        value: '0\n',
      };
    });
    assert.match(causes(s).find((e) => e.code === 'no-module-update-left')?.message ?? '', /until the host reboots/);
    const out = text(s);
    assert.match(out, /TDX module version\s+1\.5\.08/);
    assert.match(out, /P-SEAMLDR version\s+2\.0\.00/);
    assert.match(out, /Module updates left\s+0/);
  });
});

describe('the TDX checks read typed model fields', () => {
  test('no TDX rule or cause decides on the wording of a fact', () => {
    for (const file of ['lib/check/rules/tdx.ts', 'lib/check/tdx-causes.ts']) {
      const source = readFileSync(join(projectRoot, file), 'utf8');
      assert.doesNotMatch(source, /\.text\.(?:startsWith|endsWith|includes|match)\(|\.test\([^)]*\.text\)/, file);
    }
  });

  test('7.2: a module the tdx_host device says is not initialised is never fixed by "kvm_intel tdx=1"', () => {
    const s = edit('tdx-init-vm-refused-7.2', (x) => {
      const path = '/sys/devices/faux/tdx_host/version';
      x.host.tdxModuleVersion = {
        source: { file: path },
        error: { code: 'ENXIO', errno: -6, syscall: 'read', path, message: 'ENXIO' },
      };
      setLog(x, ['virt/tdx: BIOS enabled: private KeyID range [64, 128)']);
    });
    const r = check(s, 'tdx', 'tdx.kernel.module');
    assert.equal(r.status, 'FAIL');
    assert.doesNotMatch(r.fix ?? '', /tdx=1/);
    assert.match(r.fix ?? '', /core kernel initialises the TDX module at boot/);
  });
});
