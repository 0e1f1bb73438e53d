// `kvm-caps diff A.json B.json`: what differs between two hosts' snapshots. Exit 0 when they
// agree on everything that matters for confidential guests, 1 (EXIT.notReady) when they do not.
import { diffSnapshots } from '../../compare/diff.js';
import { renderDiff } from '../../render/diff.js';
import { loadSnapshot } from '../../snapshot/load.js';
import { EXIT, json, UsageError, type Command } from '../context.js';

export const diffCommand: Command = {
  name: 'diff',
  accepts: ['json'],
  args: { min: 2, max: 2 },
  async run({ values, args, io, style }) {
    const [pathA, pathB] = args as [string, string];
    if (pathA === '-' && pathB === '-')
      throw new UsageError('only one of the two snapshots can come from standard input (-)');
    // A file that cannot be read or is not a snapshot throws SnapshotFileError: exit 4.
    const a = loadSnapshot(pathA);
    const b = loadSnapshot(pathB);
    const diff = diffSnapshots(a, b);
    io.stdout.write(values.json ? json(diff) : renderDiff(diff, style, { a: pathA, b: pathB }));
    return diff.agree ? EXIT.ok : EXIT.notReady;
  },
};
