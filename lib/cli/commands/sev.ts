// `kvm-caps sev`: the AMD SEV / SEV-ES / SEV-SNP model and their checks.
import { runChecks } from '../../check/run.js';
import { decodeSnapshot } from '../../decode/model.js';
import { sevSection } from '../../render/report.js';
import { renderSev } from '../../render/sev.js';
import { finish, json, PROBE, snapshotFor, type Command } from '../context.js';

export const sevCommand: Command = {
  name: 'sev',
  accepts: ['json', 'from', ...PROBE],
  args: { min: 0, max: 0 },
  async run({ values, io, style }) {
    const { snapshot } = await snapshotFor(values, io);
    const model = decodeSnapshot(snapshot);
    const checks = runChecks(snapshot, ['sev', 'sev-es', 'snp'], model);
    const section = sevSection(model, checks);
    io.stdout.write(values.json ? json(section) : renderSev(section, style));
    return finish(model, io, snapshot, checks);
  },
};
