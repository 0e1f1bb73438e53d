// `kvm-caps snapshot`: the raw host snapshot.
import { decodeSnapshot } from '../../decode/model.js';
import { emit, finish, json, PROBE, snapshotFor, type Command } from '../context.js';

export const snapshotCommand: Command = {
  name: 'snapshot',
  accepts: ['output', ...PROBE],
  args: { min: 0, max: 0 },
  async run(context) {
    const { snapshot } = await snapshotFor(context.values, context.io);
    emit(context, json(snapshot));
    return finish(decodeSnapshot(snapshot), context.io, snapshot);
  },
};
