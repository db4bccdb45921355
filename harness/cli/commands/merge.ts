// `bench merge <run> <run> [...] --out DIR`: one run made of several parts (runs of one clean
// commit, machine and settings, each with some --scenarios), for runs too long for one sitting.
import fs from 'node:fs';
import path from 'node:path';
import { UserError } from '../../errors.ts';
import { mergeRuns } from '../../results/merge.ts';
import { ResultsStore, readResults, resolveResultsFile, RESULTS_FILE } from '../../results/store.ts';
import { parseFlags } from '../args.ts';
import { writeReports } from '../write-reports.ts';
import { RESULTS_ROOT } from './run.ts';

export const mergeHelp = `Usage: npm run bench -- merge <run> <run> [<run> ...] --out DIR

Makes one run of several parts: runs measured by the same harness commit from a clean tree, on the
same machine, with the same command apart from --scenarios and --out. A full-profile run that is
longer than one sitting can be made scenario by scenario, e.g.
  npm run bench -- run --profile full --scenarios json,memory
  npm run bench -- run --profile full --scenarios db,queries
  npm run bench -- merge results/<first> results/<second> --out results/full
Each scenario comes whole from one part (its trials interleaved across targets in one sitting); a
scenario that a part measured only in part (it was interrupted) is taken from the part that
measured it whole. The report lists the parts. Writes DIR/results.json and the reports.
Each <run> is a run folder, a results.json file, a run id or "latest". Exit code 0, 2 on bad input.`;

export async function mergeCommand(argv: string[]): Promise<number> {
  const { values, positionals } = parseFlags('merge', argv, { out: { type: 'string' } }, true);
  if (values.help) {
    console.log(mergeHelp);
    return 0;
  }
  if (!values.out) throw new UserError('merge needs --out DIR, the folder of the merged run.', 'E.g. `npm run bench -- merge results/a results/b --out results/full`.');
  const parts = positionals.map((p) => readResults(resolveResultsFile(p, RESULTS_ROOT)));
  const dir = path.resolve(values.out);
  if (fs.existsSync(path.join(dir, RESULTS_FILE))) throw new UserError(`${path.join(values.out, RESULTS_FILE)} exists already.`, 'Give a new folder to --out (merge never overwrites a run).');
  const merged = mergeRuns(parts, path.basename(dir));
  new ResultsStore(dir, merged);
  await writeReports(dir, merged);
  for (const p of merged.parts!) console.log(`${p.runId}: ${p.scenarios.join(', ') || 'nothing taken'}${p.dropped.length ? ` (left out, measured only in part here: ${p.dropped.join(', ')})` : ''}`);
  console.log(`Wrote ${path.relative(process.cwd(), dir) || '.'}/results.json, report.md, report.html and charts/ (${merged.state === 'done' ? 'every scenario whole' : 'some scenario incomplete in every part'}).`);
  return 0;
}
