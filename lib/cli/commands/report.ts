// The default command: the host report.
import { decodeSnapshot } from '../../decode/model.js';
import { buildReport, reportChecks } from '../../render/report.js';
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
    const model = decodeSnapshot(snapshot);
    const checks = reportChecks(snapshot, model);
    const text =
      format === 'json'
        ? json(buildReport(snapshot, model, checks))
        : format === 'text'
          ? renderReport(buildReport(snapshot, model, checks), writesToFile(values) ? plainStyle : style, origin)
          : renderFleetFormat(format, model, checks);
    emit(context, text);
    return finish(model, io, snapshot, checks);
  },
};
