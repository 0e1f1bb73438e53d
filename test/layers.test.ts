// The layers under lib/ import only downwards: knowledge, native, snapshot, decode, check,
// compare, render, cli. A file that imports from a layer above its own is named here, with the
// import, so the next engineer sees which dependency turned upwards.
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, normalize, relative } from 'node:path';
import { test } from 'node:test';
import { projectRoot } from './helpers/compile.js';

/**
 * Lowest first. The two top-level helpers are below everything (they import nothing in lib/ but each other); index.ts
 * is the public API, above everything.
 */
const LAYERS = [
  '(base)',
  'knowledge',
  'native',
  'snapshot',
  'decode',
  'check',
  'compare',
  'render',
  'cli',
  '(api)',
] as const;
const BASE_FILES = new Set(['package-root.ts', 'tool.ts']);

const lib = join(projectRoot, 'lib');

function layerOf(file: string): number {
  const rel = relative(lib, file);
  const [first] = rel.split('/');
  if (first === rel) return BASE_FILES.has(rel) ? 0 : rel === 'index.ts' ? LAYERS.indexOf('(api)') : -1;
  return LAYERS.indexOf(first as (typeof LAYERS)[number]);
}

function sources(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? sources(path) : path.endsWith('.ts') ? [path] : [];
  });
}

/** Every relative module specifier a file imports or re-exports, type-only ones included. */
function importsOf(text: string): string[] {
  return [
    ...text.matchAll(
      /(?:^|\n)\s*(?:import|export)\b[^'";]*?from\s*'(\.{1,2}\/[^']+)'|import\(\s*'(\.{1,2}\/[^']+)'\s*\)/g,
    ),
  ].map((m) => m[1] ?? m[2] ?? '');
}

const files = sources(lib);

test('every file under lib/ belongs to a layer', () => {
  const stray = files.filter((file) => layerOf(file) < 0).map((file) => relative(projectRoot, file));
  assert.deepEqual(
    stray,
    [],
    `files outside the layer folders (${LAYERS.slice(1, -1).join(', ')}): ${stray.join(', ')}`,
  );
});

test('no file under lib/ imports from a layer above its own', () => {
  const upward: string[] = [];
  for (const file of files) {
    const own = layerOf(file);
    for (const spec of importsOf(readFileSync(file, 'utf8'))) {
      const target = normalize(join(dirname(file), spec.replace(/\.js$/, '.ts')));
      const theirs = layerOf(target);
      if (theirs > own)
        upward.push(`${relative(projectRoot, file)} (${LAYERS[own]}) imports ${spec} (${LAYERS[theirs]})`);
    }
  }
  assert.deepEqual(upward, [], `upward imports:\n${upward.join('\n')}`);
});

test('the import reader sees the forms lib/ uses (so the test above can fail)', () => {
  const text =
    "import type { A } from '../check/types.js';\nimport {\n  b,\n} " +
    "from './b.js';\nexport { c } from '../render/c.js';\nconst d = " +
    "await import('../cli/d.js');";
  assert.deepEqual(importsOf(text), ['../check/types.js', './b.js', '../render/c.js', '../cli/d.js']);
  assert.ok(layerOf(join(lib, 'decode', 'x.ts')) < layerOf(join(lib, 'check', 'y.ts')));
});
