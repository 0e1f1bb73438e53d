// The saved host snapshots in test/fixtures/ (and their kernel-log excerpts), by name.
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { loadSnapshot } from '../../lib/snapshot/load.js';
import type { Snapshot } from '../../lib/snapshot/types.js';
import { projectRoot } from './compile.js';

export const fixturesDir = join(projectRoot, 'test', 'fixtures');

/** test/fixtures/<name>.json */
export function fixturePath(name: string): string {
  return join(fixturesDir, `${name}.json`);
}

/** Every snapshot fixture's name (without .json), sorted. */
export function fixtureNames(): string[] {
  return readdirSync(fixturesDir)
    .filter((file) => file.endsWith('.json'))
    .map((file) => file.slice(0, -'.json'.length))
    .sort();
}

/** A fixture read through the snapshot loader, as `--from` reads it. */
export function fixtureSnapshot(name: string): Snapshot {
  return loadSnapshot(fixturePath(name));
}
