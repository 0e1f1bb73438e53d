// `kvm-caps lifecycle`: the launch vocabulary of SEV, SEV-ES, SNP and TDX, and this host's support.
import { runChecks } from '../../check/run.js';
import { TECHNOLOGIES } from '../../check/types.js';
import { lifecycleFor } from '../../report/lifecycle.js';
import { buildReport } from '../../report/report.js';
import { renderLifecycle } from '../../render/lifecycle.js';
import { finish, json, PROBE, snapshotFor, type Command } from '../context.js';

export const lifecycleCommand: Command = {
  name: 'lifecycle',
  accepts: ['json', 'from', ...PROBE],
  args: { min: 0, max: 0 },
  async run({ values, io, style }) {
    const { snapshot } = await snapshotFor(values, io);
    const report = buildReport(snapshot);
    const lifecycle = lifecycleFor(report, runChecks(snapshot, [...TECHNOLOGIES]));
    io.stdout.write(values.json ? json(lifecycle) : renderLifecycle(lifecycle, style));
    return finish(report, io);
  },
};
