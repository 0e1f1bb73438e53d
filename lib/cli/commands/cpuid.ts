// `kvm-caps cpuid`: CPUID offered to guests (or emulated by KVM), decoded.
import { decodeCpuid } from '../../decode/cpuid.js';
import { decodeSnapshot } from '../../decode/model.js';
import { renderCpuid } from '../../render/cpuid.js';
import { escapeControls } from '../../render/escape.js';
import { EXIT, finish, json, snapshotFor, type Command } from '../context.js';

export const cpuidCommand: Command = {
  name: 'cpuid',
  accepts: ['json', 'from', 'root', 'device', 'emulated'],
  args: { min: 0, max: 0 },
  async run({ values, io, style }) {
    const { snapshot } = await snapshotFor(values, io);
    const request = values.emulated ? 'KVM_GET_EMULATED_CPUID' : 'KVM_GET_SUPPORTED_CPUID';
    const fact = values.emulated ? snapshot.kvm.emulatedCpuid : snapshot.kvm.supportedCpuid;
    const entries = fact !== undefined && 'value' in fact ? decodeCpuid(fact.value) : [];
    io.stdout.write(values.json ? json(entries) : renderCpuid(entries, style));
    const finished = finish(decodeSnapshot(snapshot), io, snapshot);
    // No entries because none were read is not "no entries": say why, and that we could not tell.
    if (fact === undefined) {
      const why =
        values.from === undefined
          ? 'the KVM device could not be used'
          : `the snapshot ${values.from === '-' ? 'on standard input' : values.from} does not record it`;
      io.stderr.write(`kvm-caps: no ${request} answer: ${escapeControls(why)}\n`);
      return EXIT.couldNotTell;
    }
    if ('error' in fact) {
      io.stderr.write(`kvm-caps: ${request} failed: ${escapeControls(fact.error.message)}\n`);
      return EXIT.couldNotTell;
    }
    return finished;
  },
};
