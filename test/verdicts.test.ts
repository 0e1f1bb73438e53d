// One verdict per technology, the same in every output: for every fixture and every persona
// (snapshotted through the kernel double), each technology's capable / enabled / usable is
// identical in `check --json`, `report --json`, `tdx --json`, `sev --json`, and in the NFD and
// Prometheus outputs of both `report` and `check`; both fleet outputs carry the same
// technologies and the same outcome. Also: the host report of a usable TDX host has no FAIL
// line, and that of a usable SNP host no TDX FAIL line.
import assert from 'node:assert/strict';
import { readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { after, describe, test } from 'node:test';
import { TECHNOLOGIES, type Technology } from '../lib/check/types.js';
import { main } from '../lib/cli/main.js';
import { runCli } from './helpers/cli.js';
import { projectRoot } from './helpers/compile.js';
import { doubleSkipReason, loadPersona, preparePersona, type PreparedPersona } from './helpers/double.js';
import { fixtureNames, fixturePath } from './helpers/fixtures.js';

type State = boolean | null;
type Verdicts = Map<Technology, [State, State, State]>;

/** Runs the command in this process, as `kvm-caps ARGS` would; returns what it printed. */
async function run(args: string[]): Promise<string> {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  const chunks: Buffer[] = [];
  stdout.on('data', (chunk: Buffer) => chunks.push(chunk));
  const code = await main(args, { stdout, stderr });
  assert.ok(code !== 2 && code !== 4 && code !== 70, `kvm-caps ${args.join(' ')} exited ${code}`);
  return Buffer.concat(chunks).toString('utf8');
}

interface JsonVerdict {
  technology: Technology;
  verdict: { capable: State; enabled: State; usable: State };
}

function fromJson(list: JsonVerdict[]): Verdicts {
  return new Map(list.map((t) => [t.technology, [t.verdict.capable, t.verdict.enabled, t.verdict.usable]]));
}

const NFD_WORD: Readonly<Record<string, State>> = { true: true, false: false, unknown: null };

function fromNfd(text: string): { verdicts: Verdicts; outcome: string | undefined } {
  const labels = new Map(
    text
      .split('\n')
      .filter((line) => line.startsWith('kvm-caps.dev/'))
      .map((line) => {
        const [name, value] = line.slice('kvm-caps.dev/'.length).split('=');
        return [name ?? '', value ?? ''] as const;
      }),
  );
  const verdicts: Verdicts = new Map();
  for (const technology of TECHNOLOGIES) {
    const states = (['capable', 'enabled', 'usable'] as const).map((state) => labels.get(`${technology}.${state}`));
    if (states.every((s) => s === undefined)) continue;
    verdicts.set(
      technology,
      states.map((s) => {
        assert.ok(s !== undefined && s in NFD_WORD, `${technology}: NFD value ${String(s)}`);
        return NFD_WORD[s] as State;
      }) as [State, State, State],
    );
  }
  return { verdicts, outcome: labels.get('check.outcome') };
}

function fromPrometheus(text: string): { verdicts: Verdicts; outcome: string | undefined } {
  const samples = new Map<string, number>();
  for (const line of text.split('\n')) {
    const m = /^kvm_caps_(technology_(?:capable|enabled|usable|undetermined)|check_outcome)\{([^}]*)\} (\S+)$/.exec(
      line,
    );
    if (m) samples.set(`${m[1]}{${m[2]}}`, Number(m[3]));
  }
  const verdicts: Verdicts = new Map();
  for (const technology of TECHNOLOGIES) {
    const states = (['capable', 'enabled', 'usable'] as const).map((state): State | undefined => {
      const value = samples.get(`technology_${state}{technology="${technology}"}`);
      if (value !== undefined) return value === 1;
      return samples.get(`technology_undetermined{technology="${technology}",state="${state}"}`) === 1
        ? null
        : undefined;
    });
    if (states.every((s) => s === undefined)) continue;
    assert.ok(
      states.every((s) => s !== undefined),
      `${technology}: every state has a sample or is undetermined`,
    );
    verdicts.set(technology, states as [State, State, State]);
  }
  const outcome = ['ready', 'not-ready', 'unknown'].find((o) => samples.get(`check_outcome{outcome="${o}"}`) === 1);
  return { verdicts, outcome };
}

/** Every output's verdicts for one snapshot file, compared with `check --json`. */
async function assertOneVerdict(what: string, file: string): Promise<void> {
  const from = ['--from', file];
  const check = JSON.parse(await run(['check', '--json', ...from])) as { technologies: JsonVerdict[]; outcome: string };
  const expected = fromJson(check.technologies);
  assert.deepEqual([...expected.keys()], [...TECHNOLOGIES], `${what}: check covers every technology`);

  const report = JSON.parse(await run(['--json', ...from])) as {
    technologies: JsonVerdict[];
    outcome: string;
    confidential: { tdx: { technologies: JsonVerdict[] }; sev: { technologies: JsonVerdict[] } };
  };
  assert.deepEqual(fromJson(report.technologies), expected, `${what}: report --json technologies`);
  assert.equal(report.outcome, check.outcome, `${what}: report --json outcome`);
  const sections = fromJson([...report.confidential.tdx.technologies, ...report.confidential.sev.technologies]);
  for (const [technology, verdict] of sections)
    assert.deepEqual(verdict, expected.get(technology), `${what}: report --json ${technology} section`);

  const tdx = fromJson(
    (JSON.parse(await run(['tdx', '--json', ...from])) as { technologies: JsonVerdict[] }).technologies,
  );
  assert.deepEqual([...tdx.keys()], ['tdx'], `${what}: tdx --json has the TDX verdict`);
  assert.deepEqual(tdx.get('tdx'), expected.get('tdx'), `${what}: tdx --json`);
  const sev = fromJson(
    (JSON.parse(await run(['sev', '--json', ...from])) as { technologies: JsonVerdict[] }).technologies,
  );
  assert.deepEqual([...sev.keys()], ['sev', 'sev-es', 'snp'], `${what}: sev --json has the SEV verdicts`);
  for (const [technology, verdict] of sev)
    assert.deepEqual(verdict, expected.get(technology), `${what}: sev --json ${technology}`);

  const notApplicable = check.technologies
    .filter((t) => !(t as JsonVerdict & { applicable: boolean }).applicable)
    .map((t) => t.technology);
  for (const command of [[], ['check']]) {
    const nfdText = await run([...command, '--format', 'nfd', ...from]);
    const prometheusText = await run([...command, '--format', 'prometheus', ...from]);
    for (const technology of TECHNOLOGIES) {
      const applies = !notApplicable.includes(technology);
      assert.equal(
        nfdText.includes(`kvm-caps.dev/${technology}.applicable=false\n`),
        !applies,
        `${what}: NFD ${technology}.applicable`,
      );
      assert.ok(
        prometheusText.includes(`kvm_caps_technology_applicable{technology="${technology}"} ${applies ? 1 : 0}\n`),
        `${what}: Prometheus ${technology} applicable`,
      );
    }
    const nfd = fromNfd(nfdText);
    assert.deepEqual(nfd.verdicts, expected, `${what}: ${command.join('') || 'report'} --format nfd`);
    assert.equal(nfd.outcome, check.outcome, `${what}: ${command.join('') || 'report'} --format nfd outcome`);
    const prometheus = fromPrometheus(prometheusText);
    assert.deepEqual(prometheus.verdicts, expected, `${what}: ${command.join('') || 'report'} --format prometheus`);
    assert.equal(
      prometheus.outcome,
      check.outcome,
      `${what}: ${command.join('') || 'report'} --format prometheus outcome`,
    );
  }
}

describe('every fixture', () => {
  for (const name of fixtureNames()) {
    test(`${name}: one verdict per technology in every output`, async () => {
      await assertOneVerdict(name, fixturePath(name));
    });
  }
});

// The double needs a C compiler and the UAPI headers: without them these skip with the reason.
const doubleSkip = await doubleSkipReason();

describe('every persona, snapshotted through the kernel double', () => {
  const prepared: PreparedPersona[] = [];
  after(() => prepared.forEach((p) => p.cleanup()));
  const personas = readdirSync(join(projectRoot, 'test', 'personas'))
    .filter((file) => file.endsWith('.json'))
    .map((file) => file.replace(/\.json$/, ''));
  for (const name of personas) {
    test(`${name}: one verdict per technology in every output`, { skip: doubleSkip }, async () => {
      const p = preparePersona(loadPersona(name));
      prepared.push(p);
      const snapshot = runCli(['snapshot', '--root', p.root, '--device', p.kvmDevice, '--sev-device', p.sevDevice], {
        env: p.env,
      });
      assert.equal(snapshot.status, 0, snapshot.stderr);
      const file = join(p.root, 'snapshot.json');
      writeFileSync(file, snapshot.stdout);
      await assertOneVerdict(`persona ${name}`, file);
    });
  }
});

describe('the host report does not call a healthy host broken', () => {
  const failLines = (text: string): string[] => text.split('\n').filter((line) => /\bFAIL\b/.test(line));

  test('a usable TDX host: no FAIL line at all, and SEV in one "not applicable" line', async () => {
    const text = await run(['--from', fixturePath('tdx-usable-6.16')]);
    assert.deepEqual(failLines(text), []);
    assert.match(
      text,
      new RegExp(
        [
          String.raw`^AMD SEV \/ SEV-ES \/ SEV-SNP\n {2}Verdict +not applica`,
          'ble: needs an AMD CPU; this CPU is GenuineIntel',
          String.raw`\n(?:\n|$)`,
        ].join(''),
        'm',
      ),
    );
    assert.doesNotMatch(text, /modprobe kvm_amd/);
  });

  test('a usable SNP host: no TDX FAIL line, and TDX in one "not applicable" line', async () => {
    for (const name of ['sev-snp-genoa-6.11', 'sev-milan-tcb-mismatch-6.11']) {
      const text = await run(['--from', fixturePath(name)]);
      const tdx = text.slice(text.indexOf('\nIntel TDX\n'), text.indexOf('\nAMD SEV / SEV-ES / SEV-SNP\n'));
      assert.match(
        tdx,
        /^\nIntel TDX\n {2}Verdict +not applicable: needs an Intel CPU; this CPU is AuthenticAMD\n$/,
        `${name}: ${tdx}`,
      );
      assert.deepEqual(failLines(tdx), [], name);
    }
  });

  test('the check of the lines above can fail: a FAIL line is seen', () => {
    assert.deepEqual(failLines('  x  FAIL y\n  ok z'), ['  x  FAIL y']);
  });
});
