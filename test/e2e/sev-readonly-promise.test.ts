// The read-only promise on Linux 6.16 to 6.19: there the ccp driver answers SNP_PLATFORM_STATUS,
// when SNP is not initialised, with SNP_INIT_EX + SNP_SHUTDOWN_EX (ceac7fb89e8d until
// 551120148b67). kvm-caps withholds the command there unless SNP is known to be initialised,
// records why in the snapshot, and sends it with --snp-platform-status. The kernel double logs
// every /dev/sev command it receives, so what the host was sent is counted, not assumed.
import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import type { Snapshot } from '../../lib/snapshot/types.js';
import { runCli } from '../helpers/cli.js';
import {
  doubleSkipReason,
  loadPersona,
  preparePersona,
  readDoubleLog,
  type PreparedPersona,
} from '../helpers/double.js';
import type { Persona } from '../helpers/persona.js';

// The double needs a C compiler and the UAPI headers: without them these skip with the reason.
const skip = await doubleSkipReason();
const prepared: PreparedPersona[] = [];
after(() => prepared.forEach((p) => p.cleanup()));

/**
 * The Genoa host of snp-genoa-linux-6.11 moved to another kernel. `snp` says what kvm_amd
 * made of SNP when it loaded: 'initialised' (sev_snp=Y, "SEV-SNP enabled"), 'not-initialised'
 * (SNP INIT failed: sev_snp=N, "SEV-SNP disabled", no SNP VM type), or 'no-log' (sev_snp=Y but
 * the kvm_amd lines are gone from the log, e.g. a ring buffer that wrapped).
 */
function genoaOn(release: string, snp: 'initialised' | 'not-initialised' | 'no-log'): Persona {
  const persona = structuredClone(loadPersona('snp-genoa-linux-6.11'));
  persona.name = `genoa-${release}-${snp}`;
  persona.files['/proc/sys/kernel/osrelease'] = `${release}\n`;
  let kmsg = persona.files['/dev/kmsg'] ?? '';
  if (snp === 'not-initialised') {
    persona.files['/sys/module/kvm_amd/parameters/sev_snp'] = 'N\n';
    // sev_hardware_setup() at v7.2: is_sev_snp_initialized() false -> "disabled", no SNP VM type.
    kmsg = kmsg.replace('kvm_amd: SEV-SNP enabled (ASIDs 1 - 99)', 'kvm_amd: SEV-SNP disabled (ASIDs 1 - 99)');
    kmsg = kmsg.replace(/^.*SEV-SNP API:.*\n(?: .*\n)*/m, '');
    const kvm = persona.kvm!;
    kvm.capabilities['235'] = 0x0d;
    delete kvm.sevInit2?.['4'];
    delete kvm.vmTypes['4'];
    // With the option the kernel initialises SNP for the command: the firmware answers INIT, no guests.
    const status = persona.sev!.snpPlatformStatus;
    if ('value' in status) status.value.guestCount = 0;
  }
  if (snp === 'no-log')
    kmsg = kmsg
      .split('\n')
      .filter((line) => !line.includes('kvm_amd: SEV'))
      .join('\n');
  persona.files['/dev/kmsg'] = kmsg;
  return persona;
}

function snapshotOf(persona: Persona, extra: string[] = []) {
  const p = preparePersona(persona);
  prepared.push(p);
  const result = runCli(
    ['snapshot', ...extra, '--root', p.root, '--device', p.kvmDevice, '--sev-device', p.sevDevice],
    { env: p.env },
  );
  assert.equal(result.status, 0, result.stderr);
  const snapshot = JSON.parse(result.stdout) as Snapshot;
  const sent = readDoubleLog(p.log)
    .filter((line) => line.startsWith('sev '))
    .map((line) => /SEV_ISSUE_CMD (\w+)/.exec(line)?.[1] ?? line);
  return { snapshot, sent, count: (name: string) => sent.filter((c) => c === name).length };
}

for (const release of ['6.16.3', '6.18.0-1-amd64', '6.19.0']) {
  test(`Linux ${release}, SNP not initialised: no SNP_PLATFORM_STATUS reaches /dev/sev, and the snapshot says why`, {
    skip,
  }, () => {
    const { snapshot, sent, count } = snapshotOf(genoaOn(release, 'not-initialised'));
    assert.equal(count('SNP_PLATFORM_STATUS'), 0, `sent: ${sent.join(', ')}`);
    assert.deepEqual(sent, ['SEV_PLATFORM_STATUS', 'SEV_GET_ID2']);
    assert.equal(snapshot.sev?.snpPlatformStatus, undefined);
    const withheld = snapshot.sev?.withheld?.SNP_PLATFORM_STATUS;
    assert.ok(withheld, 'recorded as withheld');
    assert.equal(withheld.snpInitialized, 'no');
    assert.equal(withheld.kernelChange, 'sev.snp-platform-status-inits');
    assert.equal(withheld.override, '--snp-platform-status');
    assert.match(withheld.reason, /SNP_INIT_EX and SNP_SHUTDOWN_EX/);
  });
}

test('Linux 6.18, SNP not initialised, --snp-platform-status: exactly one SNP_PLATFORM_STATUS is sent', {
  skip,
}, () => {
  const { snapshot, count } = snapshotOf(genoaOn('6.18.0', 'not-initialised'), ['--snp-platform-status']);
  assert.equal(count('SNP_PLATFORM_STATUS'), 1);
  assert.ok(snapshot.sev?.snpPlatformStatus && 'value' in snapshot.sev.snpPlatformStatus);
  assert.equal(snapshot.sev?.withheld, undefined);
});

test('Linux 6.18, kvm_amd sev_snp=Y but its log lines gone: cannot be told, so not sent', { skip }, () => {
  const { snapshot, count } = snapshotOf(genoaOn('6.18.0', 'no-log'));
  assert.equal(count('SNP_PLATFORM_STATUS'), 0);
  assert.equal(snapshot.sev?.withheld?.SNP_PLATFORM_STATUS?.snpInitialized, 'unknown');
  assert.match(snapshot.sev?.withheld?.SNP_PLATFORM_STATUS?.reason ?? '', /cannot be told/);
});

test('Linux 6.18 with SNP initialised by kvm_amd (sev_snp=Y, "SEV-SNP enabled"): the status is a plain read and ' +
  'is sent', { skip }, () => {
  const { snapshot, count } = snapshotOf(genoaOn('6.18.0', 'initialised'));
  assert.equal(count('SNP_PLATFORM_STATUS'), 1);
  assert.equal(snapshot.sev?.withheld, undefined);
});

for (const release of ['6.15.9', '7.0.1', '7.2.0']) {
  test(`Linux ${release}, outside 6.16-6.19: SNP_PLATFORM_STATUS is sent even without SNP initialised`, {
    skip,
  }, () => {
    const { count, snapshot } = snapshotOf(genoaOn(release, 'not-initialised'));
    assert.equal(count('SNP_PLATFORM_STATUS'), 1);
    assert.equal(snapshot.sev?.withheld, undefined);
  });
}
