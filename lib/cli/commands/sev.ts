// `kvm-caps sev`: the AMD SEV / SEV-ES / SEV-SNP view.
import { buildReport } from '../../report/report.js';
import { renderSev } from '../../render/sev.js';
import { finish, json, PROBE, snapshotFor, type Command } from '../context.js';

export const sevCommand: Command = {
  name: 'sev',
  accepts: ['json', 'from', ...PROBE],
  args: { min: 0, max: 0 },
  async run({ values, io, style }) {
    const { snapshot } = await snapshotFor(values, io);
    const report = buildReport(snapshot);
    const view = report.confidential.sev;
    io.stdout.write(values.json ? json(view) : renderSev(view, style));
    return finish(report, io);
  },
};
