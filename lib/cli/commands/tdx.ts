// `kvm-caps tdx`: the Intel TDX view.
import { buildReport } from '../../report/report.js';
import { renderTdx } from '../../render/tdx.js';
import { finish, json, PROBE, snapshotFor, type Command } from '../context.js';

export const tdxCommand: Command = {
  name: 'tdx',
  accepts: ['json', 'from', ...PROBE],
  args: { min: 0, max: 0 },
  async run({ values, io, style }) {
    const { snapshot } = await snapshotFor(values, io);
    const report = buildReport(snapshot);
    const view = report.confidential.tdx;
    io.stdout.write(values.json ? json(view) : renderTdx(view, style));
    return finish(report, io);
  },
};
