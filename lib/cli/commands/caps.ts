// `kvm-caps caps`: every capability, system and VM scope.
import { capabilityRows } from '../../report/capabilities.js';
import { buildReport } from '../../report/report.js';
import { capsJson, renderCaps } from '../../render/caps.js';
import { finish, json, snapshotFor, type Command } from '../context.js';

export const capsCommand: Command = {
  name: 'caps',
  accepts: ['json', 'from', 'root', 'device'],
  args: { min: 0, max: 0 },
  async run({ values, io, style }) {
    const { snapshot } = await snapshotFor(values, io);
    const rows = capabilityRows(snapshot.kvm);
    io.stdout.write(values.json ? json(capsJson(rows)) : renderCaps(rows, style));
    return finish(buildReport(snapshot), io);
  },
};
