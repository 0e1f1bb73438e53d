// Benchmarks (a script, not a test): node --import tsx test/bench/run.ts [--runs N] [--no-build]
//
// Every figure is the median of several runs, with its spread (min..max), and where there
// is a baseline, the ratio of the medians against it, measured in the same process tree:
//   1. KVM_CHECK_EXTENSION per call: openKvm().checkExtension(cap) vs a C loop (ioctl_loop.c),
//      also with an idle thread, and inside this very process (ioctl_loop_addon.c)
//   2. the batch: checkExtensions(all capability numbers) vs the same ioctls in C
//   3. probeHost() in-process, warm, with and without { deep: true }
//   4. the CLI report (node dist/cli/kvm-caps.cjs): wall time vs `node -e 0`, and peak RSS
// followed by where the time goes (crossing cost, probe phases, CLI start-up phases), so a
// missed target comes with its cause. Exit status is 0 unless something could not run;
// targets are reported, not enforced (timings on a shared machine are not a test).
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync } from 'node:fs';
import { availableParallelism, cpus, release, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { parseArgs } from 'node:util';
import { binding } from '../../lib/native/binding.js';
import { openKvm } from '../../lib/native/kvm.js';
import { cpuinfo, deviceNode, kernelRelease, kvmModules, miscCgroup } from '../../lib/snapshot/host-files.js';
import { kernelLogFromKmsg } from '../../lib/snapshot/kernel-log.js';
import { probeHost } from '../../lib/snapshot/probe.js';
import { KVM_CAPABILITIES } from '../../lib/knowledge/capabilities.js';
import { compileProgram, projectRoot } from '../helpers/compile.js';

const { values: opts } = parseArgs({
  options: {
    runs: { type: 'string', default: '15' },
    'no-build': { type: 'boolean', default: false },
  },
});
const RUNS = Math.max(3, Number.parseInt(opts.runs ?? '15', 10) || 15);
const SINGLE_CALLS = 200_000;
const BATCH_ITERATIONS = 2_000;
const PROBE_ITERATIONS = 40;
const CLI_RUNS = Math.max(RUNS * 3, 21); // cheap, and the noisiest figure
const DEVICE = process.env.KVM_CAPS_BENCH_DEVICE || '/dev/kvm';

const TARGETS = { single: 1.5, batch: 1.1, probeMs: 5, cli: 1.3 };

// ---------------------------------------------------------------------------------------
// Statistics and printing

function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 === 1 ? (s[mid] as number) : ((s[mid - 1] as number) + (s[mid] as number)) / 2;
}
const min = (xs: readonly number[]): number => Math.min(...xs);
const max = (xs: readonly number[]): number => Math.max(...xs);

function fmt(n: number, digits = 1): string {
  return n.toFixed(digits);
}
function spread(xs: readonly number[], unit: string, digits = 1): string {
  return `${fmt(median(xs), digits)} ${unit} (${fmt(min(xs), digits)}..${fmt(max(xs), digits)}, n=${xs.length})`;
}
function verdict(met: boolean): string {
  return met ? 'MET' : 'MISSED';
}
const rows: string[] = [];
function line(text = ''): void {
  console.log(text);
}
function summary(text: string): void {
  rows.push(text);
}

const nowNs = (): bigint => process.hrtime.bigint();
const msSince = (start: bigint): number => Number(nowNs() - start) / 1e6;

// ---------------------------------------------------------------------------------------
// Machine facts

function machineFacts(): void {
  const model = cpus()[0]?.model ?? 'unknown';
  const kvmModulesLoaded = existsSync('/sys/module')
    ? readdirSync('/sys/module').filter((m) => m === 'kvm' || m.startsWith('kvm_'))
    : [];
  let api = 'unavailable';
  try {
    const kvm = openKvm(DEVICE);
    api = String(kvm.apiVersion());
    kvm.close();
  } catch (error) {
    api = `unavailable (${(error as NodeJS.ErrnoException).code ?? String(error)})`;
  }
  line('Machine');
  line(`  CPU          ${model}`);
  line(`  cores        ${availableParallelism()} (online CPUs ${cpus().length})`);
  line(`  kernel       ${release()}`);
  line(`  node         ${process.version} (${process.arch})`);
  line(`  KVM          ${DEVICE}, API ${api}, modules: ${kvmModulesLoaded.join(', ') || 'none'}`);
  line(`  load avg     ${readFileSync('/proc/loadavg', 'utf8').trim().split(' ').slice(0, 3).join(' ')}`);
  line(`  runs         ${RUNS} per figure (medians; spread is min..max)`);
  line();
}

// ---------------------------------------------------------------------------------------
// 1 + 2. KVM_CHECK_EXTENSION against C

const CAPS = new Uint32Array(KVM_CAPABILITIES.map(([, number]) => number));
const SINGLE_CAP_NAME = 'KVM_CAP_USER_MEMORY';
const SINGLE_CAP = KVM_CAPABILITIES.find(([name]) => name === SINGLE_CAP_NAME)?.[1] ?? 3;

function cLoop(
  program: string,
  count: number,
  mode: 'single' | 'batch' | 'single-mt' | 'batch-mt',
  caps: readonly number[],
): number {
  const out = execFileSync(program, [String(count), mode, ...caps.map(String)], {
    encoding: 'utf8',
    env: { ...process.env, KVM_CAPS_BENCH_DEVICE: DEVICE },
  });
  const value = Number.parseFloat(out.trim());
  if (!Number.isFinite(value)) throw new Error(`ioctl_loop printed ${JSON.stringify(out)}`);
  return value;
}

// jsSingle, jsBatch and jsCrossing are three copies of one loop on purpose: a shared loop
// taking the call as a function would see three different functions, stop inlining them,
// and add its own call to every figure it measures.
function jsSingle(count: number): number {
  const kvm = openKvm(DEVICE);
  try {
    let sink = 0;
    for (let i = 0; i < count / 10; i++) sink += kvm.checkExtension(SINGLE_CAP); // warm-up, like the C side
    const start = nowNs();
    for (let i = 0; i < count; i++) sink += kvm.checkExtension(SINGLE_CAP);
    const ns = Number(nowNs() - start) / count;
    if (sink < 0) throw new Error('unreachable');
    return ns;
  } finally {
    kvm.close();
  }
}

function jsBatch(iterations: number): number {
  const kvm = openKvm(DEVICE);
  try {
    let sink = 0;
    for (let i = 0; i < iterations / 10; i++) sink += kvm.checkExtensions(CAPS)[0] as number;
    const start = nowNs();
    for (let i = 0; i < iterations; i++) sink += kvm.checkExtensions(CAPS)[0] as number;
    const ns = Number(nowNs() - start) / iterations;
    if (Number.isNaN(sink)) throw new Error('unreachable');
    return ns;
  } finally {
    kvm.close();
  }
}

/**
 * The addon's crossing with no ioctl behind it: isClosed() is the method, the N-API call, the handle check and a
 * boolean.
 */
function jsCrossing(count: number): number {
  const kvm = openKvm(DEVICE);
  try {
    let sink = 0;
    for (let i = 0; i < count / 10; i++) sink += kvm.isClosed() ? 1 : 0;
    const start = nowNs();
    for (let i = 0; i < count; i++) sink += kvm.isClosed() ? 1 : 0;
    const ns = Number(nowNs() - start) / count;
    if (sink !== 0) throw new Error('handle closed early');
    return ns;
  } finally {
    kvm.close();
  }
}

/** ioctl_loop_addon.c, loaded into this process: the C loop as a node process's thread gets it. */
function inProcessLoop(): ((path: string, count: number, caps: Uint32Array) => number) | string {
  const include = join(dirname(process.execPath), '..', 'include', 'node');
  if (!existsSync(join(include, 'node_api.h'))) return `no Node-API headers at ${include}`;
  const addon = compileProgram(join(projectRoot, 'test', 'bench', 'ioctl_loop_addon.c'), {
    language: 'c',
    includeDirs: [include],
    flags: ['-O2', '-shared', '-fPIC'],
  });
  const module = { exports: {} as { loop(path: string, count: number, caps: Uint32Array): number } };
  process.dlopen(module, addon);
  return module.exports.loop;
}

function ioctlBench(): void {
  const program = compileProgram(join(projectRoot, 'test', 'bench', 'ioctl_loop.c'), {
    language: 'c',
    flags: ['-O2', '-pthread'],
  });
  const loop = inProcessLoop();
  const single = {
    js: [] as number[],
    c: [] as number[],
    cMt: [] as number[],
    cIn: [] as number[],
    ratio: [] as number[],
    crossing: [] as number[],
  };
  const batch = {
    js: [] as number[],
    c: [] as number[],
    cMt: [] as number[],
    cIn: [] as number[],
    ratio: [] as number[],
  };
  const capList = Array.from(CAPS);
  for (let run = 0; run < RUNS; run++) {
    // Interleaved, so drift on a shared machine hits both sides of a ratio alike.
    const c1 = cLoop(program, SINGLE_CALLS, 'single', [SINGLE_CAP]);
    const j1 = jsSingle(SINGLE_CALLS);
    single.c.push(c1);
    single.js.push(j1);
    single.ratio.push(j1 / c1);
    single.crossing.push(jsCrossing(SINGLE_CALLS));
    single.cMt.push(cLoop(program, SINGLE_CALLS, 'single-mt', [SINGLE_CAP]));
    if (typeof loop === 'function') single.cIn.push(loop(DEVICE, SINGLE_CALLS, Uint32Array.of(SINGLE_CAP)));
    const c2 = cLoop(program, BATCH_ITERATIONS, 'batch', capList);
    const j2 = jsBatch(BATCH_ITERATIONS);
    batch.c.push(c2 / 1000);
    batch.js.push(j2 / 1000);
    batch.ratio.push(j2 / c2);
    batch.cMt.push(cLoop(program, BATCH_ITERATIONS, 'batch-mt', capList) / 1000);
    if (typeof loop === 'function') batch.cIn.push(loop(DEVICE, BATCH_ITERATIONS, CAPS) / 1000);
  }
  const singleRatio = median(single.js) / median(single.c);
  line(`1. KVM_CHECK_EXTENSION(${SINGLE_CAP_NAME}) per call, ${SINGLE_CALLS} calls per run`);
  line(`  addon checkExtension()   ${spread(single.js, 'ns/call')}`);
  line(`  C ioctl loop (-O2)       ${spread(single.c, 'ns/call')}`);
  line(
    `  ratio addon/C            ${fmt(singleRatio, 2)}x (per-run ` +
      `${fmt(min(single.ratio), 2)}..${fmt(max(single.ratio), 2)})  target <= ${TARGETS.single}x: ` +
      `${verdict(singleRatio <= TARGETS.single)}`,
  );
  line(`  where it goes:`);
  line(`    C loop with an idle thread (shared fd table, like any node process): ${spread(single.cMt, 'ns/call')}`);
  line(
    `      -> the same ioctl costs ${fmt(median(single.cMt) - median(single.c))} ns more in a multi-threaded ` +
      `process; addon/C-mt = ${fmt(median(single.js) / median(single.cMt), 2)}x`,
  );
  if (typeof loop === 'function') {
    line(
      `    the same C loop inside this node process (a small addon of the benchmark's own): ` +
        `${spread(single.cIn, 'ns/call')}`,
    );
    line(
      '      -> what the kernel charges this process per ioctl; addon/in-process C = ' +
        `${fmt(median(single.js) / median(single.cIn), 2)}x, ${fmt(median(single.js) - median(single.cIn))} ns ` +
        'per call',
    );
  } else {
    line(`    the C loop inside this node process: not measured (${loop})`);
  }
  line(
    `    the addon's crossing alone, isClosed() (method + N-API call + handle check + result): ` +
      `${spread(single.crossing, 'ns')}`,
  );
  line();
  const batchRatio = median(batch.js) / median(batch.c);
  line(`2. checkExtensions(${CAPS.length} capabilities) per batch, ${BATCH_ITERATIONS} batches per run`);
  line(
    `  addon checkExtensions()  ${spread(batch.js, 'us/batch')}  = ` +
      `${fmt((median(batch.js) * 1000) / CAPS.length)} ns/ioctl`,
  );
  line(
    `  C loop, same ioctls      ${spread(batch.c, 'us/batch')}  = ` +
      `${fmt((median(batch.c) * 1000) / CAPS.length)} ns/ioctl`,
  );
  line(
    `  ratio addon/C            ${fmt(batchRatio, 3)}x (per-run ` +
      `${fmt(min(batch.ratio), 3)}..${fmt(max(batch.ratio), 3)})  target <= ${TARGETS.batch}x: ` +
      `${verdict(batchRatio <= TARGETS.batch)}`,
  );
  line(
    `  C loop with an idle thread ${spread(batch.cMt, 'us/batch')}; addon/C-mt = ` +
      `${fmt(median(batch.js) / median(batch.cMt), 3)}x`,
  );
  if (batch.cIn.length > 0) {
    line(
      `  C loop inside this node process ${spread(batch.cIn, 'us/batch')}; addon/in-process C = ` +
        `${fmt(median(batch.js) / median(batch.cIn), 3)}x`,
    );
  }
  line();
  const inProcess =
    single.cIn.length > 0 ? `; vs C in this process ${fmt(median(single.js) / median(single.cIn), 2)}x` : '';
  summary(
    `checkExtension     ${fmt(median(single.js))} ns vs C ${fmt(median(single.c))} ns = ` +
      `${fmt(singleRatio, 2)}x (<= ${TARGETS.single}x) ${verdict(singleRatio <= TARGETS.single)}; vs C-mt ` +
      `${fmt(median(single.js) / median(single.cMt), 2)}x${inProcess}`,
  );
  const batchInProcess =
    batch.cIn.length > 0 ? `; vs C in this process ${fmt(median(batch.js) / median(batch.cIn), 3)}x` : '';
  summary(
    `checkExtensions    ${fmt(median(batch.js))} us vs C ${fmt(median(batch.c))} us = ${fmt(batchRatio, 3)}x ` +
      `(<= ${TARGETS.batch}x) ${verdict(batchRatio <= TARGETS.batch)}; vs C-mt ` +
      `${fmt(median(batch.js) / median(batch.cMt), 3)}x${batchInProcess}`,
  );
}

// ---------------------------------------------------------------------------------------
// 3. probeHost() in-process

async function probeTimes(deep: boolean): Promise<number[]> {
  await probeHost(deep ? { deep } : {}); // warm-up
  const times: number[] = [];
  for (let i = 0; i < PROBE_ITERATIONS; i++) {
    const start = nowNs();
    await probeHost(deep ? { deep } : {});
    times.push(msSince(start));
  }
  return times;
}

/** The pieces probeHost() is made of, each timed on its own (median of 20, ms). */
function probePhases(): Array<[string, number]> {
  const time = (fn: () => unknown): number => {
    fn();
    const xs: number[] = [];
    for (let i = 0; i < 20; i++) {
      const start = nowNs();
      fn();
      xs.push(msSince(start));
    }
    return median(xs);
  };
  const kvm = openKvm(DEVICE);
  try {
    const features = kvm.msrFeatureIndexList();
    return [
      [
        'host files (osrelease, cpuinfo, /sys/module, stat, misc cgroup)',
        time(() => {
          kernelRelease('/');
          cpuinfo('/');
          kvmModules('/');
          deviceNode('/', DEVICE);
          miscCgroup('/', 'capacity');
          miscCgroup('/', 'current');
        }),
      ],
      ['kernel log (/dev/kmsg read + parse)', time(() => kernelLogFromKmsg('/'))],
      ['open + close /dev/kvm', time(() => openKvm(DEVICE).close())],
      ['checkExtensions, system fd', time(() => kvm.checkExtensions(CAPS))],
      [
        'KVM_CREATE_VM + checkExtensions + close',
        time(() => {
          const vm = kvm.createVm(0);
          vm.checkExtensions(CAPS);
          vm.close();
        }),
      ],
      [
        'supported + emulated CPUID',
        time(() => {
          kvm.supportedCpuid();
          kvm.emulatedCpuid();
        }),
      ],
      [
        'MSR index lists + feature MSRs',
        time(() => {
          kvm.msrIndexList();
          kvm.msrFeatureIndexList();
          kvm.getMsrs(features);
        }),
      ],
    ];
  } finally {
    kvm.close();
  }
}

async function probeBench(): Promise<void> {
  const plain: number[] = [];
  const deep: number[] = [];
  // Alternate a few blocks of each, so neither gets all the quiet moments.
  for (let block = 0; block < 3; block++) {
    plain.push(...(await probeTimes(false)));
    deep.push(...(await probeTimes(true)));
  }
  const p = median(plain);
  line(`3. probeHost() in-process, warm (after one warm-up), ${plain.length} calls each`);
  line(
    `  probeHost()              ${spread(plain, 'ms', 2)}  target < ${TARGETS.probeMs} ms: ` +
      `${verdict(p < TARGETS.probeMs)}`,
  );
  line(`  probeHost({deep:true})   ${spread(deep, 'ms', 2)}`);
  line('  phases (each timed alone, median ms):');
  for (const [name, ms] of probePhases()) line(`    ${fmt(ms, 3).padStart(7)}  ${name}`);
  line();
  summary(
    `probeHost warm      ${fmt(p, 2)} ms (< ${TARGETS.probeMs} ms) ${verdict(p < TARGETS.probeMs)}; deep ` +
      `${fmt(median(deep), 2)} ms`,
  );
}

// ---------------------------------------------------------------------------------------
// 4. The CLI report as a process

const distCli = join(projectRoot, 'dist', 'cli');
const distBin = join(distCli, 'kvm-caps.cjs');

/** The lib/ sources newer than the built command (or no command at all). */
function staleSources(): string[] {
  const built = join(distCli, 'app.cjs.cache');
  if (!existsSync(built)) return ['(no build)'];
  const builtAt = statSync(built).mtimeMs;
  const lib = join(projectRoot, 'lib');
  return readdirSync(lib, { recursive: true, encoding: 'utf8' })
    .filter((f) => f.endsWith('.ts') && statSync(join(lib, f)).mtimeMs > builtAt)
    .map((f) => join(lib, f));
}

function ensureBuilt(): string {
  const stale = staleSources();
  if (stale.length === 0) return 'dist is up to date with lib';
  if (opts['no-build'])
    return `dist is STALE (${stale.length} lib files newer; --no-build given): figures are for the old build`;
  const build = spawnSync('npm', ['run', 'build:ts'], { cwd: projectRoot, encoding: 'utf8' });
  if (build.status !== 0) throw new Error(`npm run build:ts failed:\n${build.stdout}${build.stderr}`);
  return `dist was stale (${stale.length} files); rebuilt with npm run build:ts`;
}

function wallMs(args: string[], env: NodeJS.ProcessEnv = process.env): number {
  const start = nowNs();
  const r = spawnSync(process.execPath, args, { cwd: projectRoot, env, stdio: ['ignore', 'ignore', 'pipe'] });
  const ms = msSince(start);
  if (r.status !== 0) throw new Error(`node ${args.join(' ')} exited ${r.status}: ${String(r.stderr)}`);
  return ms;
}

/** Peak RSS in KiB: GNU time's "Maximum resident set size", else the child's own maxRSS at exit. */
function peakRssKb(args: string[]): { kb: number; how: string } {
  const dir = mkdtempSync(join(tmpdir(), 'kvm-caps-bench-'));
  try {
    const out = join(dir, 'rss');
    if (existsSync('/usr/bin/time')) {
      const r = spawnSync('/usr/bin/time', ['-v', '-o', out, process.execPath, ...args], {
        cwd: projectRoot,
        stdio: 'ignore',
      });
      const m = /Maximum resident set size \(kbytes\): (\d+)/.exec(existsSync(out) ? readFileSync(out, 'utf8') : '');
      if (r.status === 0 && m) return { kb: Number(m[1]), how: '/usr/bin/time -v' };
    }
    // maxRSS is in KiB; written from an exit hook preloaded with --import.
    const hook =
      `data:text/javascript,import{writeFileSync}from'node:fs';` +
      `process.on('exit',()=>writeFileSync(${JSON.stringify(out)},String(process.resourceUsage().maxRSS)))`;
    spawnSync(process.execPath, ['--import', hook, ...args], { cwd: projectRoot, stdio: 'ignore' });
    return { kb: Number(readFileSync(out, 'utf8')), how: 'process.resourceUsage().maxRSS' };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * Where the command's time goes, from inside fresh processes that start the way the
 * launcher does: node's own start-up, loading the bundle (read, compile with the code cache,
 * evaluate), the first report (cold: probe, build, render), the same again warm, and setting
 * up process.stdout, which the command writes its output to.
 */
function cliPhases(): Record<string, number> & { cache?: string } {
  const script =
    `
    const t = { bootstrap: performance.now() };
    let a = performance.now();
    const { loadApp } = ` +
    `require(${JSON.stringify(distBin)});
    const { app, cache } = loadApp(${JSON.stringify(distCli)});
    ` +
    `t.load = performance.now() - a;
    const sink = { write() { return true; } };
    a = performance.now(); ` +
    `app.main(['report'], { stdout: sink, stderr: sink }).then(async () => {
      t.reportCold = ` +
    `performance.now() - a;
      a = performance.now(); await app.main(['report'], { stdout: sink, stderr: ` +
    `sink }); t.reportWarm = performance.now() - a;
      a = performance.now(); void process.stdout; t.stdout ` +
    `= performance.now() - a;
      process.stdout.write(JSON.stringify({ t, cache }));
    });`;
  const runs: Array<{ t: Record<string, number>; cache: string }> = [];
  for (let i = 0; i < RUNS; i++) {
    const out = execFileSync(process.execPath, ['-e', script], { cwd: projectRoot, encoding: 'utf8' });
    runs.push(JSON.parse(out) as { t: Record<string, number>; cache: string });
  }
  const phases: Record<string, number> = {};
  for (const key of Object.keys(runs[0]?.t ?? {})) phases[key] = median(runs.map((r) => r.t[key] ?? 0));
  return Object.assign(phases, { cache: [...new Set(runs.map((r) => r.cache))].join(', ') });
}

function cliBench(): void {
  const distNote = ensureBuilt();
  if (!existsSync(distBin)) {
    line(`4. CLI: ${distBin} does not exist (${distNote}); skipped`);
    summary('CLI                skipped: no dist');
    return;
  }
  const cli: number[] = [];
  const base: number[] = [];
  const ratios: number[] = [];
  wallMs([distBin]); // warm the page cache
  wallMs(['-e', '0']);
  for (let i = 0; i < CLI_RUNS; i++) {
    const b = wallMs(['-e', '0']);
    const c = wallMs([distBin]);
    base.push(b);
    cli.push(c);
    ratios.push(c / b);
  }
  const ratio = median(cli) / median(base);
  const rssCli = peakRssKb([distBin]);
  const rssBase = peakRssKb(['-e', '0']);
  line(`4. CLI report, wall time of the whole process (${distNote})`);
  line(`  node dist/cli/kvm-caps.cjs ${spread(cli, 'ms')}`);
  line(`  node -e 0                ${spread(base, 'ms')}`);
  line(
    `  ratio                    ${fmt(ratio, 2)}x (per-run ${fmt(min(ratios), 2)}..${fmt(max(ratios), 2)})  ` +
      `target <= ${TARGETS.cli}x: ${verdict(ratio <= TARGETS.cli)}`,
  );
  line(`  extra over node -e 0     ${fmt(median(cli) - median(base))} ms`);
  line(
    `  peak RSS                 ${fmt(rssCli.kb / 1024)} MiB (node -e 0: ${fmt(rssBase.kb / 1024)} MiB; via ` +
      `${rssCli.how})`,
  );
  const phases = cliPhases();
  line(`  where it goes (inside one process, medians of ${RUNS}, ms):`);
  line(`    ${fmt(phases.bootstrap ?? 0).padStart(6)}  node start-up until the first line of user code`);
  line(
    `    ${fmt(phases.load ?? 0).padStart(6)}  loading the command: read, compile (code cache: ` +
      `${phases.cache}), evaluate`,
  );
  line(
    `    ${fmt(phases.reportCold ?? 0).padStart(6)}  the first report (cold: probe, build, render)   warm: ` +
      `${fmt(phases.reportWarm ?? 0)}`,
  );
  line(`    ${fmt(phases.stdout ?? 0).padStart(6)}  setting up process.stdout`);
  line();
  summary(
    `CLI report         ${fmt(median(cli))} ms vs node -e 0 ${fmt(median(base))} ms = ${fmt(ratio, 2)}x (<= ` +
      `${TARGETS.cli}x) ${verdict(ratio <= TARGETS.cli)}; peak RSS ${fmt(rssCli.kb / 1024)} MiB`,
  );
}

// ---------------------------------------------------------------------------------------

machineFacts();
binding(); // load the addon before anything is timed
ioctlBench();
await probeBench();
cliBench();
line('Summary');
for (const row of rows) line(`  ${row}`);
