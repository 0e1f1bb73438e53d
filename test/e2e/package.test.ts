// The package as users get it: `npm pack`, then an install of the tarball in a scratch
// project with install scripts disabled and a PATH that holds node, npm, npx and sh but no
// compiler, make or python3. The command must run from the package's prebuilt binary
// (prebuilds/, made by `npm run prebuildify`), and the addon must answer a real ioctl.
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  realpathSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { runCli } from '../helpers/cli.js';
import { projectRoot } from '../helpers/compile.js';
import { fixturePath } from '../helpers/fixtures.js';
import { skipUnless } from '../helpers/requirements.js';

/** The tools the install may use; nothing that can build the addon. */
function toolsOnly(dir: string): string {
  const bin = join(dir, 'bin');
  mkdirSync(bin);
  const which = (name: string): string => execFileSync('sh', ['-c', `command -v ${name}`], { encoding: 'utf8' }).trim();
  symlinkSync(process.execPath, join(bin, 'node'));
  for (const name of ['npm', 'npx', 'sh']) symlinkSync(realpathSync(which(name)), join(bin, name));
  return bin;
}

describe('the packed tarball, installed without scripts or a toolchain', { skip: skipUnless('prebuild') }, () => {
  const dir = mkdtempSync(join(tmpdir(), 'kvm-caps-package-'));
  after(() => rmSync(dir, { recursive: true, force: true }));
  const scratch = join(dir, 'scratch');
  let env: NodeJS.ProcessEnv = {};

  test('npm pack, then npm install --ignore-scripts of the tarball with no cc, g++, make or python3 on PATH', () => {
    const packed = JSON.parse(
      execFileSync('npm', ['pack', '--ignore-scripts', '--json', '--pack-destination', dir], {
        cwd: projectRoot,
        encoding: 'utf8',
      }),
    ) as Array<{ filename: string; files: Array<{ path: string }> }>;
    const tarball = join(dir, packed[0]!.filename);
    const files = packed[0]!.files.map((f) => f.path);
    assert.ok(
      files.some((f) => /^prebuilds\/linux-x64\/[^/]+\.node$/.test(f)),
      `the tarball carries the prebuilt addon: ${files.filter((f) => f.startsWith('prebuilds')).join(' ') || 'none'}`,
    );
    assert.ok(!files.some((f) => f.startsWith('build/')), 'no local build in the tarball');
    for (const f of ['LICENSE', 'CHANGELOG.md', 'dist/cli/kvm-caps.cjs', 'binding.gyp'])
      assert.ok(files.includes(f), `the tarball has ${f}`);

    const bin = toolsOnly(dir);
    env = { HOME: dir, PATH: bin, npm_config_cache: join(dir, 'npm-cache'), npm_config_update_notifier: 'false' };
    const probe = spawnSync(
      'sh',
      ['-c', 'for t in cc gcc g++ c++ make python3 node-gyp; do command -v $t; done; exit 0'],
      { env, encoding: 'utf8' },
    );
    assert.equal(probe.stdout, '', 'no build tool is reachable on the PATH');

    mkdirSync(scratch);
    writeFileSync(join(scratch, 'package.json'), JSON.stringify({ name: 'scratch', version: '1.0.0', private: true }));
    const install = spawnSync(
      'npm',
      ['install', '--ignore-scripts', '--no-audit', '--no-fund', '--prefer-offline', tarball],
      {
        cwd: scratch,
        env: { ...env, npm_config_cache: execFileSync('npm', ['config', 'get', 'cache'], { encoding: 'utf8' }).trim() },
        encoding: 'utf8',
        timeout: 180_000,
      },
    );
    assert.equal(install.status, 0, `npm install failed:\n${install.stdout}${install.stderr}`);
    const installed = join(scratch, 'node_modules', 'kvm-caps');
    assert.ok(!existsSync(join(installed, 'build')), 'nothing was built at install');
    assert.ok(readdirSync(join(installed, 'prebuilds', 'linux-x64')).some((f) => f.endsWith('.node')));
  });

  test('npx kvm-caps --from <snapshot> prints what the command prints from source', () => {
    for (const args of [
      ['--from', fixturePath('tdx-host')],
      ['check', '--json', '--from', fixturePath('snp-host')],
    ]) {
      const result = spawnSync('npx', ['--no-install', 'kvm-caps', ...args], {
        cwd: scratch,
        env,
        encoding: 'utf8',
        timeout: 60_000,
      });
      const source = runCli(args);
      assert.equal(result.stderr, source.stderr);
      assert.equal(result.status, source.status, `npx kvm-caps ${args.join(' ')}`);
      assert.equal(result.stdout, source.stdout);
      assert.ok(result.stdout.length > 100);
    }
  });

  test('the installed addon answers an ioctl on /dev/null with ENOTTY', () => {
    const script =
      `
      import { openKvm } from 'kvm-caps';
      const handle = openKvm('/dev/null');
      try { ` +
      `handle.apiVersion(); console.log('no error'); }
      catch (e) { console.log(JSON.stringify({ code: ` +
      'e.code, errno: e.errno, syscall: e.syscall, request: e.request, path: e.path })); }';
    const result = spawnSync('node', ['--input-type=module', '-e', script], { cwd: scratch, env, encoding: 'utf8' });
    assert.equal(result.stderr, '');
    assert.deepEqual(JSON.parse(result.stdout), {
      code: 'ENOTTY',
      errno: -25,
      syscall: 'ioctl',
      request: 'KVM_GET_API_VERSION',
      path: '/dev/null',
    });
  });

  test(
    'without a binary for the platform, a live command exits 70 ' + 'saying how to build one; a replay still works',
    () => {
      const prebuilds = join(scratch, 'node_modules', 'kvm-caps', 'prebuilds');
      rmSync(prebuilds, { recursive: true });
      const live = spawnSync('npx', ['--no-install', 'kvm-caps', 'caps'], {
        cwd: scratch,
        env,
        encoding: 'utf8',
        timeout: 60_000,
      });
      assert.equal(live.status, 70, live.stderr);
      assert.equal(live.stdout, '');
      assert.match(
        live.stderr,
        /^kvm-caps: internal error: Error: kvm-caps: no native addon for this platform \(linux-x64\)/,
      );
      assert.match(live.stderr, /npm rebuild kvm-caps/);
      assert.match(live.stderr, /No native build was found/);
      const replay = spawnSync('npx', ['--no-install', 'kvm-caps', '--from', fixturePath('tdx-host')], {
        cwd: scratch,
        env,
        encoding: 'utf8',
      });
      assert.equal(replay.stderr, '');
      assert.equal(replay.stdout, runCli(['--from', fixturePath('tdx-host')]).stdout);
    },
  );
});
