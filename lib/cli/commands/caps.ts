// `kvm-caps caps`: every capability, system and VM scope.
import { capabilityRows } from '../../decode/capabilities.js';
import { decodeSnapshot } from '../../decode/model.js';
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
    return finish(decodeSnapshot(snapshot), io, snapshot);
  },
};
