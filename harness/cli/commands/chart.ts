// `bench chart <run>`: regenerates every report and chart of a run from its results.json alone,
// so they can be rebuilt anywhere (same input, same files).
import path from 'node:path';
import { UserError } from '../../errors.ts';
import { readResults, resolveResultsFile } from '../../results/store.ts';
import { parseFlags } from '../args.ts';
import { writeReports } from '../write-reports.ts';
import { RESULTS_ROOT } from './run.ts';

export const chartHelp = `Usage: npm run bench -- chart <run> [--out DIR]

Regenerates report.md, report.html and charts/*.svg|png from a run's results.json alone.
<run> is a run folder, a results.json file, a run id under results/, or "latest".
--out writes them to another folder (default: beside the results.json).`;

export async function chartCommand(argv: string[]): Promise<number> {
  const { values, positionals } = parseFlags('chart', argv, { out: { type: 'string' } }, true);
  if (values.help) {
    console.log(chartHelp);
    return 0;
  }
  if (positionals.length !== 1) throw new UserError('chart takes exactly one run.', 'E.g. `npm run bench -- chart latest`.');
  const file = resolveResultsFile(positionals[0]!, RESULTS_ROOT);
  const results = readResults(file);
  const dir = path.resolve(values.out ?? path.dirname(file));
  const written = await writeReports(dir, results);
  for (const f of written) console.log(path.relative(process.cwd(), f));
  return 0;
}
