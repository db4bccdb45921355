// `bench compare <base> <head>`: per metric the change with its interval; Markdown for a CI job
// summary; exit 1 when a significant regression passes the threshold.
import fs from 'node:fs';
import { UserError } from '../../errors.ts';
import { readResults, resolveResultsFile } from '../../results/store.ts';
import { compareRuns, renderComparison } from '../../stats/compare-runs.ts';
import { parseFlags } from '../args.ts';
import { RESULTS_ROOT } from './run.ts';

export const compareHelp = `Usage: npm run bench -- compare <base> <head> [--threshold 5%] [--out FILE]

Compares two runs metric by metric (req/s and p99 per connection level, startup, image size,
memory): the change of the median with its 95% bootstrap interval. A change is a regression or an
improvement only when its whole interval passes the threshold. Prints Markdown (also appended to
$GITHUB_STEP_SUMMARY when set, and written to --out). Exit code 1 when there is a significant
regression, 0 otherwise, 2 on bad input. <base> and <head> are run folders, results.json files,
run ids or "latest".`;

export function parseThreshold(text: string): number {
  const m = /^(\d+(?:\.\d+)?)(%?)$/.exec(text.trim());
  const value = m ? Number(m[1]) / (m[2] ? 100 : 1) : NaN;
  if (!m || !(value >= 0 && value < 1)) throw new UserError(`--threshold: "${text}" is not a threshold.`, 'Give a percentage such as 5% (or a fraction such as 0.05).');
  return value;
}

export async function compareCommand(argv: string[]): Promise<number> {
  const { values, positionals } = parseFlags('compare', argv, { threshold: { type: 'string' }, out: { type: 'string' } }, true);
  if (values.help) {
    console.log(compareHelp);
    return 0;
  }
  if (positionals.length !== 2) throw new UserError('compare takes two runs: the base and the head.', 'E.g. `npm run bench -- compare results/main results/latest`.');
  const threshold = parseThreshold(values.threshold ?? '5%');
  const base = readResults(resolveResultsFile(positionals[0]!, RESULTS_ROOT));
  const head = readResults(resolveResultsFile(positionals[1]!, RESULTS_ROOT));
  const rows = compareRuns(base, head, threshold);
  if (rows.length === 0) throw new UserError('The two runs share no metric to compare.', 'Run the same targets and scenarios in both.');
  const markdown = renderComparison(base, head, rows, threshold);
  console.log(markdown);
  if (values.out) fs.writeFileSync(values.out, markdown);
  if (process.env.GITHUB_STEP_SUMMARY) fs.appendFileSync(process.env.GITHUB_STEP_SUMMARY, markdown + '\n');
  return rows.some((r) => r.status === 'regression') ? 1 : 0;
}
