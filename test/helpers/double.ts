// The harness of the kernel double (test/double/kernel_double.c): builds the LD_PRELOAD
// library, lays out a persona's root in a temporary directory and writes the double's
// config from the persona. Children run with `env` from preparePersona(); the test
// runner itself never loads the double.
//
// Config format (one request answer per line, '#' comments, numbers decimal or 0x-hex,
// errnos as numbers, '-' for "no firmware error"):
//   device kvm|sev <absolute path>
//   api <n> | mmap <n>
//   cap <cap> <value> | vmcap <vm type> <cap> <value>
//   cpuid supported|emulated <function> <index> <flags> <eax> <ebx> <ecx> <edx>
//   msrindex <index> | msrfeature <index> | featuremsr <index> <value>
//   attr <group> <attr> <value>
//   vmtype <type> <errno, 0 = ok>
//   tdxcaps value <attrs> <xfam> <k_r11> <u_r11> <k_r12> <u_r12> | tdxcaps errno <n> <fw|->
//   tdxcpuid <function> <index> <flags> <eax> <ebx> <ecx> <edx>
//   tdxinitvm <acceptAttributes> <rejectHwError>
//   sevinit2 <type> value <acceptVmsaFeatures> | sevinit2 <type> errno <n> <fw|->
//   sevstatus value <major> <minor> <state> <flags> <build> <guests> | sevstatus errno <n> <fw|->
//   snpstatus value <major> <minor> <state> <rmpFlags> <buildId> <featureFlags> <guests> <currentTcb> <reportedTcb>
//   id2 value <hex bytes> | id2 errno <n> <fw|->
// Adversarial answers (persona.adversarial; see kernel_double.c):
//   adv overcount <request> <excess> | adv e2big <request> none|needed|<count>
//   adv eintr <request> <calls> | adv fail <request> <errno> <fw|->
//   adv msrslimit <n> | adv garbage | adv id2length <n>
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import {
  chmodSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  renameSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { constants, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { CpuidEntry } from '../../lib/native/binding.js';
import { cacheDir, projectRoot } from './compile.js';
import type { ErrnoName, Hex, Persona, PersonaAdversarial, PersonaKvm, PersonaSev, SevAnswer } from './persona.js';
import { fetchFailed, record, skipUnless } from './requirements.js';
import { type UapiHeaders, uapiHeaders } from './uapi-headers.js';

export const doubleSource = join(projectRoot, 'test', 'double', 'kernel_double.c');

let headersMemo: UapiHeaders | undefined;
let builtMemo: string | undefined;

/** The UAPI headers, resolved synchronously (in a child process) when no caller handed them over. */
function headersSync(): UapiHeaders {
  if (headersMemo) return headersMemo;
  const module = pathToFileURL(join(projectRoot, 'test', 'helpers', 'uapi-headers.ts')).href;
  const script =
    `import { uapiHeaders } from ${JSON.stringify(module)}; process.stdout.write(JSON.stringify(await ` +
    'uapiHeaders()));';
  const out = execFileSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {
    cwd: projectRoot,
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  headersMemo = JSON.parse(out) as UapiHeaders;
  return headersMemo;
}

/**
 * For a `skip` option: undefined once the double is built (a C compiler, and the Linux 7.2
 * UAPI headers fetched from Debian unstable), otherwise why it cannot be. Under CI=true,
 * where both must be there, throws instead (helpers/requirements.ts).
 */
export async function doubleSkipReason(): Promise<string | undefined> {
  const noCompiler = skipUnless('cc');
  if (noCompiler) return noCompiler;
  let headers: UapiHeaders;
  try {
    headers = await uapiHeaders();
  } catch (error) {
    return fetchFailed('Linux UAPI headers (linux-libc-dev) for the kernel double', error);
  }
  record('debian', undefined);
  buildDouble(headers);
  return undefined;
}

/**
 * Compiles the double into <project>/.cache/double/, keyed by the hash of its source, the
 * compiler arguments and the headers' version, and returns the .so path. `headers` is what
 * `await uapiHeaders()` returned; without it the headers are looked up synchronously.
 * Throws with the compiler's output on failure.
 */
export function buildDouble(headers?: UapiHeaders): string {
  if (headers) headersMemo = headers;
  if (builtMemo && existsSync(builtMemo)) return builtMemo;
  const h = headersSync();
  const args = [
    '-std=gnu11',
    '-O1',
    '-Wall',
    '-Werror',
    '-shared',
    '-fPIC',
    '-isystem',
    h.includeDir,
    '-isystem',
    h.archIncludeDir,
  ];
  const libs = ['-ldl', '-lpthread'];
  const hash = createHash('sha256')
    .update('cc')
    .update(JSON.stringify(args))
    .update(JSON.stringify(libs))
    .update(h.version)
    .update(readFileSync(doubleSource))
    .digest('hex')
    .slice(0, 16);
  const outDir = join(cacheDir, 'double');
  mkdirSync(outDir, { recursive: true });
  const output = join(outDir, `kernel_double-${hash}.so`);
  if (!existsSync(output)) {
    const tmp = `${output}.${process.pid}.tmp`;
    try {
      execFileSync('cc', [...args, '-o', tmp, doubleSource, ...libs], { stdio: ['ignore', 'pipe', 'pipe'] });
    } catch (error) {
      const e = error as { stderr?: Buffer | string; stdout?: Buffer | string; message?: string };
      const text = `${String(e.stderr ?? '')}${String(e.stdout ?? '')}`.trim();
      rmSync(tmp, { force: true });
      throw new Error(
        `compiling the kernel double failed: cc ${args.join(' ')} ` +
          `${doubleSource}\n${text || e.message || String(error)}`,
      );
    }
    chmodSync(tmp, 0o755);
    renameSync(tmp, output);
  }
  builtMemo = output;
  return output;
}

/** An errno name as its number; ENOTSUPP (524) is kernel-internal and not in os.constants. */
export function errnoNumber(name: ErrnoName): number {
  if (name === 'ENOTSUPP') return 524;
  const value = (constants.errno as Record<string, number | undefined>)[name];
  if (value === undefined) throw new Error(`persona: unknown errno name ${name}`);
  return value;
}

function hex(value: Hex, what: string): string {
  if (!/^0x[0-9a-fA-F]+$/.test(value))
    throw new Error(`persona: ${what} must be a 0x-hex string, not ${JSON.stringify(value)}`);
  const n = BigInt(value);
  if (n >= 1n << 64n) throw new Error(`persona: ${what} ${value} does not fit in 64 bits`);
  return `0x${n.toString(16)}`;
}

function int(value: number, what: string, min = 0, max = 0xffffffff): string {
  if (!Number.isInteger(value) || value < min || value > max)
    throw new Error(`persona: ${what} must be an integer in [${min}, ${max}], not ${value}`);
  return String(value);
}

function key(value: string, what: string): string {
  return /^0x/i.test(value) ? hex(value, what) : int(Number(value), what);
}

function cpuidFields(e: CpuidEntry, what: string): string {
  return (['function', 'index', 'flags', 'eax', 'ebx', 'ecx', 'edx'] as const)
    .map((f) => int(e[f], `${what}.${f}`))
    .join(' ');
}

function errnoAnswer(a: { errno: ErrnoName; firmwareError?: number }, what: string): string {
  const fw = a.firmwareError === undefined ? '-' : int(a.firmwareError, `${what}.firmwareError`);
  return `errno ${errnoNumber(a.errno)} ${fw}`;
}

function kvmLines(kvm: PersonaKvm): string[] {
  const lines = [`api ${int(kvm.apiVersion, 'apiVersion')}`, `mmap ${int(kvm.vcpuMmapSize, 'vcpuMmapSize')}`];
  const capValue = (v: number, what: string): string => int(v, what, -0x80000000, 0x7fffffff);
  for (const [cap, value] of Object.entries(kvm.capabilities))
    lines.push(`cap ${key(cap, 'capability')} ${capValue(value, `capabilities.${cap}`)}`);
  for (const [type, caps] of Object.entries(kvm.vmCapabilities ?? {})) {
    for (const [cap, value] of Object.entries(caps)) {
      lines.push(
        `vmcap ${int(Number(type), 'vmCapabilities type', 0, 31)} ${key(cap, 'capability')} ` +
          `${capValue(value, `vmCapabilities.${type}.${cap}`)}`,
      );
    }
  }
  kvm.supportedCpuid.forEach((e, i) => lines.push(`cpuid supported ${cpuidFields(e, `supportedCpuid[${i}]`)}`));
  kvm.emulatedCpuid.forEach((e, i) => lines.push(`cpuid emulated ${cpuidFields(e, `emulatedCpuid[${i}]`)}`));
  for (const index of kvm.msrIndexList) lines.push(`msrindex ${int(index, 'msrIndexList')}`);
  for (const index of kvm.msrFeatureIndexList) lines.push(`msrfeature ${int(index, 'msrFeatureIndexList')}`);
  for (const [index, value] of Object.entries(kvm.featureMsrs)) {
    lines.push(`featuremsr ${key(index, 'featureMsrs index')} ${hex(value, `featureMsrs.${index}`)}`);
  }
  for (const a of kvm.deviceAttrs)
    lines.push(
      `attr ${int(a.group, 'deviceAttrs.group')} ` +
        `${int(a.attr, 'deviceAttrs.attr', 0, Number.MAX_SAFE_INTEGER)} ${hex(a.value, 'deviceAttrs.value')}`,
    );
  for (const [type, answer] of Object.entries(kvm.vmTypes)) {
    lines.push(`vmtype ${int(Number(type), 'vmTypes key', 0, 31)} ${answer === 'ok' ? 0 : errnoNumber(answer)}`);
  }
  if (kvm.tdx) {
    const caps = kvm.tdx.capabilities;
    if ('errno' in caps) {
      // 7.2 does not copy the kvm_tdx_cmd back for KVM_TDX_CAPABILITIES, so hwError cannot reach userspace.
      lines.push(`tdxcaps errno ${errnoNumber(caps.errno)} -`);
    } else {
      const fields = [
        caps.supportedAttrs,
        caps.supportedXfam,
        caps.kernelTdvmcallinfo1R11,
        caps.userTdvmcallinfo1R11,
        caps.kernelTdvmcallinfo1R12,
        caps.userTdvmcallinfo1R12,
      ];
      lines.push(`tdxcaps value ${fields.map((f) => hex(f, 'tdx.capabilities')).join(' ')}`);
      caps.cpuid.forEach((e, i) => lines.push(`tdxcpuid ${cpuidFields(e, `tdx.capabilities.cpuid[${i}]`)}`));
    }
    if (kvm.tdx.initVm)
      lines.push(
        `tdxinitvm ${hex(kvm.tdx.initVm.acceptAttributes, 'tdx.initVm.acceptAttributes')} ` +
          `${hex(kvm.tdx.initVm.rejectHwError, 'tdx.initVm.rejectHwError')}`,
      );
  }
  for (const [type, answer] of Object.entries(kvm.sevInit2 ?? {})) {
    const t = int(Number(type), 'sevInit2 type', 2, 4);
    lines.push(
      'ok' in answer
        ? `sevinit2 ${t} value ${hex(answer.acceptVmsaFeatures, `sevInit2.${type}.acceptVmsaFeatures`)}`
        : `sevinit2 ${t} ${errnoAnswer(answer, `sevInit2.${type}`)}`,
    );
  }
  return lines;
}

function sevAnswer<T>(name: string, answer: SevAnswer<T>, value: (v: T) => string): string {
  return 'value' in answer ? `${name} value ${value(answer.value)}` : `${name} ${errnoAnswer(answer, name)}`;
}

function sevLines(sev: PersonaSev): string[] {
  return [
    sevAnswer('sevstatus', sev.platformStatus, (v) =>
      [
        int(v.apiMajor, 'apiMajor', 0, 255),
        int(v.apiMinor, 'apiMinor', 0, 255),
        int(v.state, 'state', 0, 255),
        int(v.flags, 'flags'),
        int(v.build, 'build', 0, 255),
        int(v.guestCount, 'guestCount'),
      ].join(' '),
    ),
    sevAnswer('snpstatus', sev.snpPlatformStatus, (v) =>
      [
        int(v.apiMajor, 'apiMajor', 0, 255),
        int(v.apiMinor, 'apiMinor', 0, 255),
        int(v.state, 'state', 0, 255),
        int(v.rmpFlags, 'rmpFlags', 0, 255),
        int(v.buildId, 'buildId'),
        int(v.featureFlags, 'featureFlags'),
        int(v.guestCount, 'guestCount'),
        hex(v.currentTcbVersion, 'currentTcbVersion'),
        hex(v.reportedTcbVersion, 'reportedTcbVersion'),
      ].join(' '),
    ),
    sevAnswer('id2', sev.getId2, (v) => {
      const id = v.id.replace(/^0x/i, '').replace(/\s+/g, '');
      if (!/^([0-9a-fA-F]{2})+$/.test(id)) throw new Error('persona: sev.getId2.id must be hex bytes');
      return id.toLowerCase();
    }),
  ];
}

function requestName(name: string, what: string): string {
  if (!/^[A-Z][A-Z0-9_]*$/.test(name))
    throw new Error(
      `persona: ${what} must be a request name like KVM_GET_SUPPORTED_CPUID, not ${JSON.stringify(name)}`,
    );
  return name;
}

function adversarialLines(adv: PersonaAdversarial): string[] {
  const lines: string[] = [];
  for (const [name, excess] of Object.entries(adv.overlongCount ?? {})) {
    lines.push(`adv overcount ${requestName(name, 'overlongCount key')} ${int(excess, `overlongCount.${name}`, 1)}`);
  }
  for (const [name, { writeBack }] of Object.entries(adv.e2bigForever ?? {})) {
    const count =
      writeBack === 'unchanged'
        ? 'none'
        : writeBack === 'needed'
          ? 'needed'
          : int(writeBack, `e2bigForever.${name}.writeBack`);
    lines.push(`adv e2big ${requestName(name, 'e2bigForever key')} ${count}`);
  }
  for (const [name, calls] of Object.entries(adv.eintr ?? {}))
    lines.push(`adv eintr ${requestName(name, 'eintr key')} ${int(calls, `eintr.${name}`)}`);
  for (const [name, answer] of Object.entries(adv.fail ?? {}))
    lines.push(
      `adv fail ${requestName(name, 'fail key')} ${errnoAnswer(answer, `fail.${name}`).replace(/^errno /, '')}`,
    );
  if (adv.getMsrsLimit !== undefined) lines.push(`adv msrslimit ${int(adv.getMsrsLimit, 'getMsrsLimit')}`);
  if (adv.garbage) lines.push('adv garbage');
  if (adv.getId2Length !== undefined) lines.push(`adv id2length ${int(adv.getId2Length, 'getId2Length')}`);
  return lines;
}

/** The double's config for `persona`, whose devices live under `root`. */
export function personaConfig(persona: Persona, root: string): string {
  if (/\s/.test(root)) throw new Error(`the double's config cannot name a path with white space: ${root}`);
  const lines = [`# kernel double config for persona ${persona.name.replace(/\s+/g, ' ')}`];
  if (persona.kvm) lines.push(`device kvm ${join(root, 'dev', 'kvm')}`, ...kvmLines(persona.kvm));
  if (persona.sev) lines.push(`device sev ${join(root, 'dev', 'sev')}`, ...sevLines(persona.sev));
  if (persona.adversarial) lines.push(...adversarialLines(persona.adversarial));
  return `${lines.join('\n')}\n`;
}

export interface PreparedPersona {
  root: string;
  kvmDevice: string;
  sevDevice: string;
  env: NodeJS.ProcessEnv;
  log: string;
  cleanup(): void;
}

/** Sanitizer runtimes (ASan, UBSan, ...): they must come first in LD_PRELOAD (test/asan/run.sh). */
const SANITIZER_RUNTIME = /(^|\/)lib(?:asan|ubsan|tsan|lsan|hwasan)\.so/;

/**
 * LD_PRELOAD with the double in front of everything but the sanitizer runtimes, which stay
 * first: under test/asan/run.sh the runtimes are already preloaded, and the sanitizers'
 * ioctl interceptors then reach the double through RTLD_NEXT.
 */
export function preloadWith(so: string, existing: string | undefined): string {
  const entries = (existing ?? '').split(/[:\s]+/).filter((e) => e !== '');
  const runtimes = entries.filter((e) => SANITIZER_RUNTIME.test(e));
  const rest = entries.filter((e) => !SANITIZER_RUNTIME.test(e));
  return [...runtimes, so, ...rest].join(':');
}

/**
 * Lays out `persona` under a fresh temporary root (mode 0755, so an unprivileged child can
 * read it): its files, and <root>/dev/kvm and <root>/dev/sev as regular files when the
 * persona has them (mode from persona.modes, default 0666 for devices, 0644 for files).
 * Returns the environment that runs a child under the double.
 */
export function preparePersona(persona: Persona): PreparedPersona {
  const so = buildDouble();
  const base = mkdtempSync(join(tmpdir(), 'kvm-caps-persona-'));
  chmodSync(base, 0o755);
  const root = join(base, 'root');
  try {
    mkdirSync(root, { mode: 0o755 });
    const modes = persona.modes ?? {};
    const place = (path: string, content: string, defaultMode: number): void => {
      if (!path.startsWith('/') || path.split('/').includes('..'))
        throw new Error(`persona ${persona.name}: bad path ${path}`);
      const target = join(root, path);
      mkdirSync(dirname(target), { recursive: true, mode: 0o755 });
      writeFileSync(target, content);
      chmodSync(target, modes[path] ?? defaultMode);
    };
    for (const [path, content] of Object.entries(persona.files)) {
      if (path === '/dev/kvm' || path === '/dev/sev')
        throw new Error(`persona ${persona.name}: ${path} comes from persona.kvm / persona.sev, not files`);
      place(path, content, 0o644);
    }
    if (persona.kvm) place('/dev/kvm', '', 0o666);
    if (persona.sev) place('/dev/sev', '', 0o666);
    for (const [path, mode] of Object.entries(modes)) {
      if (!existsSync(join(root, path)))
        throw new Error(`persona ${persona.name}: modes names ${path}, which the persona does not create`);
      chmodSync(join(root, path), mode);
    }
    const config = join(base, 'double.conf');
    writeFileSync(config, personaConfig(persona, root));
    chmodSync(config, 0o644);
    const log = join(base, 'double.log');
    writeFileSync(log, '');
    chmodSync(log, 0o666);
    const preload = preloadWith(so, process.env.LD_PRELOAD);
    return {
      root,
      kvmDevice: join(root, 'dev', 'kvm'),
      sevDevice: join(root, 'dev', 'sev'),
      env: { ...process.env, LD_PRELOAD: preload, KVM_CAPS_DOUBLE_CONFIG: config, KVM_CAPS_DOUBLE_LOG: log },
      log,
      cleanup: () => rmSync(base, { recursive: true, force: true }),
    };
  } catch (error) {
    rmSync(base, { recursive: true, force: true });
    throw error;
  }
}

/** The double's log: one line per ioctl served ("kvm KVM_CHECK_EXTENSION cap=235 -> 1"), and FATAL lines. */
export function readDoubleLog(log: string): string[] {
  if (!existsSync(log)) return [];
  return readFileSync(log, 'utf8')
    .split('\n')
    .filter((line) => line !== '');
}

/** test/personas/<name>.json */
export function loadPersona(name: string): Persona {
  if (!/^[\w.-]+$/.test(name)) throw new Error(`bad persona name ${name}`);
  return JSON.parse(readFileSync(join(projectRoot, 'test', 'personas', `${name}.json`), 'utf8')) as Persona;
}
