// `kvm-caps lifecycle`: the launch vocabulary of SEV, SEV-ES, SNP and TDX, and this host's support.
import { lifecycleFor } from '../../compare/lifecycle.js';
import { decodeSnapshot } from '../../decode/model.js';
import { renderLifecycle } from '../../render/lifecycle.js';
import { reportChecks } from '../../render/report.js';
import { finish, json, PROBE, snapshotFor, type Command } from '../context.js';

export const lifecycleCommand: Command = {
  name: 'lifecycle',
  accepts: ['json', 'from', ...PROBE],
  args: { min: 0, max: 0 },
  async run({ values, io, style }) {
    const { snapshot } = await snapshotFor(values, io);
    const model = decodeSnapshot(snapshot);
    const checks = reportChecks(snapshot, model);
    const lifecycle = lifecycleFor(model, checks);
    io.stdout.write(values.json ? json(lifecycle) : renderLifecycle(lifecycle, style));
    return finish(model, io, snapshot, checks);
  },
};
