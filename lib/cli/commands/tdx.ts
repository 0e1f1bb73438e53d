// `kvm-caps tdx`: the Intel TDX model and the TDX checks.
import { runChecks } from '../../check/run.js';
import { decodeSnapshot } from '../../decode/model.js';
import { tdxSection } from '../../render/report.js';
import { renderTdx } from '../../render/tdx.js';
import { finish, json, PROBE, snapshotFor, type Command } from '../context.js';

export const tdxCommand: Command = {
  name: 'tdx',
  accepts: ['json', 'from', ...PROBE],
  args: { min: 0, max: 0 },
  async run({ values, io, style }) {
    const { snapshot } = await snapshotFor(values, io);
    const model = decodeSnapshot(snapshot);
    const checks = runChecks(snapshot, ['tdx'], model);
    const section = tdxSection(model, checks);
    io.stdout.write(values.json ? json(section) : renderTdx(section, style));
    return finish(model, io, snapshot, checks);
  },
};
