// `bench compare`: per metric the change with its interval; Markdown for a CI job summary; exit 1
// when a significant regression passes the threshold. Two runs (`compare <base> <head>`: independent
// samples), or two targets of one run (`compare <run> --base node@main --head node`: paired trials).
import fs from 'node:fs';
import { UserError } from '../../errors.ts';
import { readResults, resolveResultsFile } from '../../results/store.ts';
import { compareRuns, renderComparison, type MetricChange } from '../../stats/compare-runs.ts';
import { compareWithin, renderWithin, type WithinPair } from '../../stats/compare-within.ts';
import { parseFlags } from '../args.ts';
import { RESULTS_ROOT } from './run.ts';

export const compareHelp = `Usage: npm run bench -- compare <base> <head> [--threshold 5%] [--out FILE]
       npm run bench -- compare <run> --base TARGET[,TARGET...] --head TARGET[,TARGET...] [--threshold 5%] [--out FILE]

Two runs: compares them metric by metric (req/s and p99 per connection level, startup, image size,
memory): the change of the median with its distribution-free interval between the two runs'
samples (Mann-Whitney), at the level it really has.

One run, two of its targets (--base and --head, e.g. --base node@origin/main --head node: two
revisions of one target measured side by side, or two releases, --base node@24 --head node@25):
the change head/base taken pair by pair from their trials in the same rounds (interleaved, so the
machine's drift cancels pair by pair), with the claims' anytime-valid confidence sequence of the
median ratio at the run's confidence (bounded from 10 pairs on at 95%: run enough rounds, e.g.
--trials 12). Lists pair up in order: --base node@origin/main,django@origin/main --head node,django.
A name may be a target's alias in that run (node for node@24 where 24 is the default).

Either way a change is a regression or an improvement only when its whole interval passes the
threshold. Prints Markdown (also appended to $GITHUB_STEP_SUMMARY when set, and written to --out).
Exit code 1 when there is a significant regression, 0 otherwise, 2 on bad input. Runs are run
folders, results.json files, run ids or "latest".`;

export function parseThreshold(text: string): number {
  const m = /^(\d+(?:\.\d+)?)(%?)$/.exec(text.trim());
  const value = m ? Number(m[1]) / (m[2] ? 100 : 1) : NaN;
  if (!m || !(value >= 0 && value < 1)) throw new UserError(`--threshold: "${text}" is not a threshold.`, 'Give a percentage such as 5% (or a fraction such as 0.05).');
  return value;
}

/** --base and --head as pairs, in order. A git revision in a name may hold '/' (node@origin/main), never ','. */
export function parseTargetPairs(base: string, head: string): WithinPair[] {
  const list = (text: string) => text.split(',').map((s) => s.trim()).filter(Boolean);
  const [b, h] = [list(base), list(head)];
  if (!b.length || b.length !== h.length) {
    throw new UserError(`--base names ${b.length} target(s) and --head ${h.length}.`, 'Give as many of each, paired in order: e.g. --base node@origin/main,django@origin/main --head node,django.');
  }
  return b.map((x, i) => ({ base: x, head: h[i]! }));
}

function output(markdown: string, out: string | undefined): void {
  console.log(markdown);
  if (out) fs.writeFileSync(out, markdown);
  if (process.env.GITHUB_STEP_SUMMARY) fs.appendFileSync(process.env.GITHUB_STEP_SUMMARY, markdown + '\n');
}

export async function compareCommand(argv: string[]): Promise<number> {
  const { values, positionals } = parseFlags('compare', argv, { threshold: { type: 'string' }, out: { type: 'string' }, base: { type: 'string' }, head: { type: 'string' } }, true);
  if (values.help) {
    console.log(compareHelp);
    return 0;
  }
  const threshold = parseThreshold(values.threshold ?? '5%');
  const regressed = (rows: MetricChange[]) => (rows.some((r) => r.status === 'regression') ? 1 : 0);
  if (values.base !== undefined || values.head !== undefined) {
    if (positionals.length !== 1) throw new UserError('compare with --base and --head takes one run: the run that measured both targets.', 'E.g. `npm run bench -- compare results/pr --base node@origin/main --head node`.');
    if (values.base === undefined || values.head === undefined) throw new UserError('compare within one run needs both --base and --head.', 'E.g. `npm run bench -- compare results/pr --base node@origin/main --head node`.');
    const run = readResults(resolveResultsFile(positionals[0]!, RESULTS_ROOT));
    const pairs = parseTargetPairs(values.base, values.head);
    const rows = pairs.flatMap((pair) => {
      try {
        return compareWithin(run, pair, threshold);
      } catch (error) {
        if (error instanceof RangeError) throw new UserError(`${error.message}.`, 'Name targets of that run (or their aliases), as `npm run bench -- run --targets` named them.');
        throw error;
      }
    });
    if (rows.length === 0) throw new UserError(`The targets ${pairs.map((p) => `${p.base} and ${p.head}`).join(', ')} share no measured metric in run ${run.runId}.`, 'Run both in the same scenarios (one `run --targets` naming both).');
    output(renderWithin(run, pairs, rows, threshold), values.out);
    return regressed(rows);
  }
  if (positionals.length !== 2) throw new UserError('compare takes two runs (the base and the head), or one run with --base and --head.', 'E.g. `npm run bench -- compare results/main results/latest`, or `npm run bench -- compare results/pr --base node@origin/main --head node`.');
  const base = readResults(resolveResultsFile(positionals[0]!, RESULTS_ROOT));
  const head = readResults(resolveResultsFile(positionals[1]!, RESULTS_ROOT));
  const rows = compareRuns(base, head, threshold);
  if (rows.length === 0) throw new UserError('The two runs share no metric to compare.', 'Run the same targets and scenarios in both.');
  output(renderComparison(base, head, rows, threshold), values.out);
  return regressed(rows);
}
