// The default command: the host report.
import { buildReport } from '../../report/report.js';
import { renderReport } from '../../render/text.js';
import { finish, json, PROBE, snapshotFor, type Command } from '../context.js';

export const reportCommand: Command = {
  name: 'report',
  accepts: ['json', 'from', ...PROBE],
  args: { min: 0, max: 0 },
  async run({ values, io, style }) {
    const { snapshot, origin } = await snapshotFor(values);
    const report = buildReport(snapshot);
    io.stdout.write(values.json ? json(report) : renderReport(report, style, origin));
    return finish(report, io);
  },
};
