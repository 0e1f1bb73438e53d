// `kvm-caps cpuid`: CPUID offered to guests (or emulated by KVM), decoded.
import { decodeCpuid } from '../../decode/cpuid.js';
import { decodeSnapshot } from '../../decode/model.js';
import { renderCpuid } from '../../render/cpuid.js';
import { finish, json, snapshotFor, type Command } from '../context.js';

export const cpuidCommand: Command = {
  name: 'cpuid',
  accepts: ['json', 'from', 'root', 'device', 'emulated'],
  args: { min: 0, max: 0 },
  async run({ values, io, style }) {
    const { snapshot } = await snapshotFor(values, io);
    const fact = values.emulated ? snapshot.kvm.emulatedCpuid : snapshot.kvm.supportedCpuid;
    const entries = fact !== undefined && 'value' in fact ? decodeCpuid(fact.value) : [];
    io.stdout.write(values.json ? json(entries) : renderCpuid(entries, style));
    if (fact !== undefined && 'error' in fact) io.stderr.write(`kvm-caps: ${fact.error.message}\n`);
    return finish(decodeSnapshot(snapshot), io, snapshot);
  },
};
