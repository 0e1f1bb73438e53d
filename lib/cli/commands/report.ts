// The default command: the host report.
import { runChecks } from '../../check/run.js';
import { TECHNOLOGIES } from '../../check/types.js';
import { buildReport } from '../../report/report.js';
import { plainStyle } from '../../render/style.js';
import { renderReport } from '../../render/text.js';
import { emit, finish, json, PROBE, snapshotFor, writesToFile, type Command } from '../context.js';
import { formatOf, renderFleetFormat } from '../formats.js';

export const reportCommand: Command = {
  name: 'report',
  accepts: ['json', 'format', 'output', 'from', ...PROBE],
  args: { min: 0, max: 0 },
  async run(context) {
    const { values, io, style } = context;
    const format = formatOf(values);
    const { snapshot, origin } = await snapshotFor(values, io);
    const report = buildReport(snapshot);
    const text =
      format === 'json'
        ? json(report)
        : format === 'text'
          ? renderReport(report, writesToFile(values) ? plainStyle : style, origin)
          : renderFleetFormat(format, report, runChecks(snapshot, [...TECHNOLOGIES]));
    emit(context, text);
    return finish(report, io);
  },
};
