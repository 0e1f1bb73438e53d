// probeHost() under concurrency: several worker_threads and several concurrent async callers
// in one thread must collect identical snapshots (createdAt aside), on the real /dev/kvm and
// under the kernel double for an SNP persona (whose /dev/sev commands run on libuv's thread
// pool); and terminating a worker in the middle of a probe loop must leak no fd.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readdirSync, readlinkSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { pathToFileURL } from 'node:url';
import v8 from 'node:v8';
import vm from 'node:vm';
import { Worker } from 'node:worker_threads';
import { probeHost } from '../../lib/snapshot/probe.js';
import type { Snapshot } from '../../lib/snapshot/types.js';
import { projectRoot } from '../helpers/compile.js';
import {
  buildDouble,
  doubleSkipReason,
  loadPersona,
  preparePersona,
  readDoubleLog,
  type PreparedPersona,
} from '../helpers/double.js';
import { kvmSkipReason } from '../helpers/kvm-device.js';
import { uapiHeaders } from '../helpers/uapi-headers.js';

v8.setFlagsFromString('--expose-gc');
const gc = vm.runInNewContext('gc') as () => void;

const probeUrl = pathToFileURL(join(projectRoot, 'lib', 'snapshot', 'probe.ts')).href;
const tsxEsmApiUrl = import.meta.resolve('tsx/esm/api');

/**
 * The worker's code, shared by this process and the child under the double. On Node 20 a
 * worker does not inherit `--import tsx`: it registers tsx's hooks itself. With `forever` it
 * probes in a loop (and says 'looping' after the first probes) until it is terminated;
 * otherwise it posts the JSON of `times` snapshots.
 */
const workerSource = `
  const { parentPort, workerData } = require('node:worker_threads');
  import(workerData.tsxEsmApiUrl)
    .then(({ register }) => { register(); return import(workerData.probeUrl); })
    .then(async ({ probeHost }) => {
      if (workerData.forever) {
        for (let i = 0; ; i++) {
          await probeHost(workerData.options);
          if (i === 1) parentPort.postMessage('looping');
        }
      }
      const out = [];
      for (let i = 0; i < workerData.times; i++) out.push(await probeHost(workerData.options));
      parentPort.postMessage(JSON.stringify(out));
    })
    .catch((e) => parentPort.postMessage(JSON.stringify({ failed: String((e && e.stack) || e) })));
`;

/** Helpers the child under the double uses too (plain JavaScript). */
const sharedSource = `
  function startWorker(Worker, workerSource, data) {
    // No inherited execArgv: under --input-type=module the eval'd code would not be CommonJS.
    return new Worker(workerSource, { eval: true, workerData: data, execArgv: [] });
  }
  function firstMessage(worker) {
    return new Promise((resolve, reject) => {
      worker.once('message', resolve);
      worker.once('error', reject);
      worker.once('exit', (code) => reject(new Error('worker exited with ' + code + ' before answering')));
    });
  }
  function fdTargets(readdirSync, readlinkSync) {
    const out = [];
    for (const name of readdirSync('/proc/self/fd')) {
      try { out.push(readlinkSync('/proc/self/fd/' + name)); } catch {}
    }
    return out.sort();
  }
  /** The fds once they stop changing (workers still being torn down close theirs). */
  async function settledFds(gc, fds, sleep) {
    let last = fds();
    for (let i = 0; i < 100; i++) {
      gc();
      await sleep(30);
      const now = fds();
      if (JSON.stringify(now) === JSON.stringify(last)) return now;
      last = now;
    }
    return last;
  }
  /** The fds in \`after\` that \`before\` did not have (as multisets). */
  function extraFds(before, after) {
    const left = new Map();
    for (const fd of before) left.set(fd, (left.get(fd) || 0) + 1);
    const extra = [];
    for (const fd of after) {
      const n = left.get(fd) || 0;
      if (n > 0) left.set(fd, n - 1);
      else extra.push(fd);
    }
    return extra;
  }
  /** Terminates workers mid-loop after different delays; no fd may be left that was not there before. */
  async function terminateMidProbe(Worker, workerSource, data, gc, fds, sleep, delays) {
    const before = await settledFds(gc, fds, sleep);
    const rounds = [];
    for (const delay of delays) {
      const worker = startWorker(Worker, workerSource, { ...data, forever: true });
      const said = await firstMessage(worker);
      if (said !== 'looping') throw new Error('the probe loop failed: ' + said);
      await sleep(delay);
      await worker.terminate();
      rounds.push(delay);
    }
    let after = fds();
    const deadline = Date.now() + 5000;
    while (extraFds(before, after).length > 0 && Date.now() < deadline) {
      gc();
      await sleep(20);
      after = fds();
    }
    return { before, after, rounds, leaked: extraFds(before, after) };
  }
`;

interface Shared {
  startWorker(w: typeof Worker, source: string, data: Record<string, unknown>): Worker;
  firstMessage(w: Worker): Promise<unknown>;
  fdTargets(r: typeof readdirSync, l: typeof readlinkSync): string[];
  terminateMidProbe(
    w: typeof Worker,
    source: string,
    data: Record<string, unknown>,
    gc: () => void,
    fds: () => string[],
    sleep: (ms: number) => Promise<unknown>,
    delays: number[],
  ): Promise<{ before: string[]; after: string[]; rounds: number[]; leaked: string[] }>;
}
const shared = new Function(
  `${sharedSource}; return { startWorker, firstMessage, fdTargets, terminateMidProbe };`,
)() as Shared;

/**
 * KVM_GET_SUPPORTED_CPUID passes through the APIC IDs of the CPU the calling thread runs on
 * (seen here: leaf 1 EBX[31:24], leaf 0xB EDX), so two threads of one host can legitimately get
 * different words there. Those fields, and the other per-CPU topology IDs, are cleared.
 */
function withoutPerCpuIds(snapshot: Snapshot): void {
  const cpuid = snapshot.kvm.supportedCpuid;
  if (!cpuid || !('value' in cpuid)) return;
  for (const e of cpuid.value) {
    if (e.function === 0x1) e.ebx = (e.ebx & 0x00ffffff) >>> 0; // initial APIC ID
    if (e.function === 0xb || e.function === 0x1f) e.edx = 0; // x2APIC ID
    if (e.function === 0x8000001e) {
      e.eax = 0; // extended APIC ID
      e.ebx = (e.ebx & ~0xff) >>> 0; // compute unit ID
      e.ecx = (e.ecx & ~0xff) >>> 0; // node ID
    }
  }
}

/** A snapshot without what legitimately differs between two probes of one host: the time. */
function comparable(snapshot: Snapshot, live: boolean): unknown {
  const { createdAt: _, ...rest } = structuredClone(snapshot);
  if (live) {
    // The live kernel log can gain a record between two probes; it is compared for shape only.
    delete rest.host.kernelLog;
    withoutPerCpuIds(rest as Snapshot);
  }
  return rest;
}

function assertAllEqual(snapshots: Snapshot[], dropKernelLog: boolean, what: string): void {
  assert.ok(snapshots.length > 1);
  const first = comparable(snapshots[0]!, dropKernelLog);
  snapshots.forEach((s, i) => assert.deepEqual(comparable(s, dropKernelLog), first, `${what}: snapshot ${i} differs`));
  if (dropKernelLog)
    for (const s of snapshots)
      assert.ok(s.host.kernelLog && 'value' in s.host.kernelLog, JSON.stringify(s.host.kernelLog));
}

function workerSnapshots(options: Record<string, unknown>, times: number): Promise<Snapshot[]> {
  const worker = shared.startWorker(Worker, workerSource, { tsxEsmApiUrl, probeUrl, options, times });
  return shared.firstMessage(worker).then((text) => {
    const parsed = JSON.parse(String(text)) as Snapshot[] | { failed: string };
    if (!Array.isArray(parsed)) throw new Error(parsed.failed);
    return parsed;
  });
}

describe('probeHost on the real /dev/kvm', () => {
  const skip = kvmSkipReason;

  test('concurrent callers in one thread and in worker_threads collect identical snapshots', { skip }, async () => {
    const mine = await Promise.all(Array.from({ length: 4 }, () => probeHost()));
    const theirs = (await Promise.all(Array.from({ length: 3 }, () => workerSnapshots({}, 2)))).flat();
    assert.equal(theirs.length, 6);
    assertAllEqual([...mine, ...theirs], true, 'real /dev/kvm');
    assert.ok(mine[0] && 'value' in mine[0].kvm.open, 'the device was opened');
  });

  test('terminating a worker in the middle of a probe loop leaks no fd', { skip }, async () => {
    const fds = () => shared.fdTargets(readdirSync, readlinkSync);
    const result = await shared.terminateMidProbe(
      Worker,
      workerSource,
      { tsxEsmApiUrl, probeUrl, options: {} },
      gc,
      fds,
      sleep,
      [0, 2, 5, 9, 14],
    );
    assert.deepEqual(result.leaked, [], `fds left after terminating the workers (before: ${result.before.join(', ')})`);
  });
});

describe('probeHost under the kernel double (SNP persona)', { skip: await doubleSkipReason() }, () => {
  let p: PreparedPersona | undefined;
  before(async () => {
    buildDouble(await uapiHeaders());
    p = preparePersona(loadPersona('snp-genoa-linux-6.11'));
  });
  after(() => p?.cleanup());

  test('concurrent callers and workers agree, /dev/sev commands included; terminated workers leak no fd', () => {
    assert.ok(p);
    const options = { root: p.root, device: p.kvmDevice, sevDevice: p.sevDevice, deep: true };
    // The test runner never loads the double: everything runs in a child under it.
    const script =
      `
      import { readdirSync, readlinkSync } from 'node:fs';
      import { setTimeout as sleep } from ` +
      `'node:timers/promises';
      import v8 from 'node:v8';
      import vm from 'node:vm';
      import { ` +
      `Worker } from 'node:worker_threads';
      ${sharedSource}
      ` +
      `v8.setFlagsFromString('--expose-gc');
      const gc = vm.runInNewContext('gc');
      const { ` +
      `probeHost } = await import(${JSON.stringify(probeUrl)});
      const options = ` +
      `${JSON.stringify(options)};
      const data = { tsxEsmApiUrl: ${JSON.stringify(tsxEsmApiUrl)}, ` +
      `probeUrl: ${JSON.stringify(probeUrl)}, options };
      const workerSource = ` +
      `${JSON.stringify(workerSource)};
      const main = await Promise.all(Array.from({ length: 4 }, () => ` +
      `probeHost(options)));
      const workers = await Promise.all(Array.from({ length: 3 }, async () => ` +
      `{
        const text = await firstMessage(startWorker(Worker, workerSource, { ...data, times: 2 ` +
      `}));
        const parsed = JSON.parse(text);
        if (!Array.isArray(parsed)) throw new ` +
      `Error(parsed.failed);
        return parsed;
      }));
      // Workers and main-thread callers at ` +
      `once, with their /dev/sev commands interleaved on the pool.
      const mixed = await ` +
      `Promise.all([
        ...Array.from({ length: 3 }, () => probeHost(options)),
        ...Array.from({ ` +
      'length: 2 }, async () => JSON.parse(await firstMessage(startWorker(Worker, workerSource, { ...data, ' +
      `times: 1 })))[0]),
      ]);
      const fds = () => fdTargets(readdirSync, readlinkSync);
      const ` +
      `leak = await terminateMidProbe(Worker, workerSource, data, gc, fds, sleep, [0, 3, 8, 15, 25]);
      ` +
      `process.stdout.write(JSON.stringify({ snapshots: [...main, ...workers.flat(), ...mixed], leak }));
    `;
    const child = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {
      cwd: projectRoot,
      env: p.env,
      encoding: 'utf8',
      timeout: 180_000, // generous: the e2e tier runs files in parallel on two cores
    });
    assert.equal(child.signal, null, child.stderr);
    assert.equal(child.status, 0, child.stderr);
    const { snapshots, leak } = JSON.parse(child.stdout) as {
      snapshots: Snapshot[];
      leak: { before: string[]; leaked: string[] };
    };
    assert.equal(snapshots.length, 4 + 6 + 5);
    assertAllEqual(snapshots, false, 'SNP persona under the double');
    const first = snapshots[0]!;
    assert.ok(first.sev?.snpPlatformStatus && 'value' in first.sev.snpPlatformStatus, 'SNP_PLATFORM_STATUS answered');
    assert.ok(first.kvm.sevInit2?.SNP && 'value' in first.kvm.sevInit2.SNP.result, 'KVM_SEV_INIT2 answered');
    assert.deepEqual(leak.leaked, [], `fds left after terminating the workers (before: ${leak.before.join(', ')})`);
    const log = readDoubleLog(p.log);
    assert.deepEqual(
      log.filter((line) => line.startsWith('FATAL')),
      [],
    );
    const snpStatus = log.filter((line) => /SEV_ISSUE_CMD SNP_PLATFORM_STATUS/.test(line)).length;
    assert.ok(
      snpStatus >= snapshots.length,
      `${snpStatus} SNP_PLATFORM_STATUS commands for ${snapshots.length} snapshots`,
    );
  });
});
