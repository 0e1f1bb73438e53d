// `kvm-caps check [kvm|tdx|sev|sev-es|snp|all]`: readiness checks with a verdict per
// technology and an exit code for scripts: 0 ready, 1 not ready, 3 could not tell.
import { isTechnologyChoice, runChecks, technologiesFor } from '../../check/run.js';
import { TECHNOLOGIES, type CheckReport } from '../../check/types.js';
import { renderCheck } from '../../render/check.js';
import { plainStyle } from '../../render/style.js';
import { decodeSnapshot } from '../../decode/model.js';
import { emit, EXIT, json, PROBE, snapshotFor, UsageError, writesToFile, type Command } from '../context.js';
import { formatOf, renderFleetFormat } from '../formats.js';

export const CHECK_CHOICES: readonly string[] = [...TECHNOLOGIES, 'all'];

/** ready -> 0, not-ready -> 1, unknown -> 3 (EXIT in context.ts). */
export function checkExitCode(report: CheckReport): number {
  switch (report.outcome) {
    case 'ready':
      return EXIT.ok;
    case 'not-ready':
      return EXIT.notReady;
    case 'unknown':
      return EXIT.couldNotTell;
  }
}

export const checkCommand: Command = {
  name: 'check',
  accepts: ['json', 'verbose', 'from', 'format', 'output', ...PROBE],
  args: { min: 0, max: 1 },
  async run(context) {
    const { values, args, io, style } = context;
    const choice = args[0] ?? 'all';
    if (!isTechnologyChoice(choice))
      throw new UsageError(`unknown technology "${choice}"; choose one of ${CHECK_CHOICES.join(', ')}`);
    const format = formatOf(values);
    const { snapshot } = await snapshotFor(values, io);
    const model = decodeSnapshot(snapshot);
    const report = runChecks(snapshot, technologiesFor(choice), model);
    const text =
      format === 'json'
        ? json(report)
        : format === 'text'
          ? // -o FILE gets plain text: colour codes belong on a terminal only.
            renderCheck(report, writesToFile(values) ? plainStyle : style, { verbose: values.verbose === true })
          : renderFleetFormat(format, model, report);
    emit(context, text);
    return checkExitCode(report);
  },
};
