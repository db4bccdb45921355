// `bench claims <run> <run> [...]`: each claim judged on several runs of the same machine; a verdict
// stands when every run agrees, otherwise the claim is unstable, with each run's figure.
import fs from 'node:fs';
import { UserError } from '../../errors.ts';
import { machineMismatch, replicateClaims, replicatedTable } from '../../claims/replicate.ts';
import { mdTable } from '../../report/markdown.ts';
import { readResults, resolveResultsFile } from '../../results/store.ts';
import { parseFlags } from '../args.ts';
import { RESULTS_ROOT } from './run.ts';

export const claimsHelp = `Usage: npm run bench -- claims <run> <run> [<run> ...] [--out FILE]

Judges every claim of the article on each run (as its report does) and puts the verdicts side by
side: a verdict stands when every run gives it; otherwise the claim is "unstable", with each run's
ratio and interval. The runs must come from the same machine (figures from different machines do
not replicate each other). Prints Markdown (also written to --out). Exit code 0, 2 on bad input.
Each <run> is a run folder, a results.json file, a run id or "latest".`;

export async function claimsCommand(argv: string[]): Promise<number> {
  const { values, positionals } = parseFlags('claims', argv, { out: { type: 'string' } }, true);
  if (values.help) {
    console.log(claimsHelp);
    return 0;
  }
  if (positionals.length < 2) throw new UserError('claims takes two runs or more.', 'E.g. `npm run bench -- claims results/run-a results/run-b`; one run\'s verdicts are in its report.md.');
  const runs = positionals.map((p) => readResults(resolveResultsFile(p, RESULTS_ROOT)));
  const mismatch = machineMismatch(runs);
  if (mismatch) throw new UserError(`Cannot replicate verdicts: ${mismatch}.`, 'Give runs made on one machine; compare machines with `compare` instead.');
  const rows = replicateClaims(runs);
  const stands = rows.filter((r) => r.verdict !== 'unstable').length;
  const markdown = [
    `# The article's claims over ${runs.length} runs`,
    '',
    `Made by \`npm run bench -- claims ${positionals.join(' ')}\` from the runs' results.json alone (run it again to check).`,
    '',
    `Runs ${runs.map((r) => `${r.runId} (profile ${r.profile}, runtime ${r.runtime}, commit ${r.environment.gitCommit ?? 'unknown'}${r.environment.gitDirty ? ', dirty tree' : ''})`).join(', ')} on ${runs[0]!.environment.cpuModel}, ${runs[0]!.environment.cores} cores (${runs[0]!.environment.hostname}).`,
    '',
    `A verdict stands when every run gives it: ${stands} of ${rows.length} stand, ${rows.length - stands} are unstable (the runs disagree: lean on none of them).`,
    '',
    mdTable(replicatedTable(rows, runs)),
    '',
  ].join('\n');
  process.stdout.write(markdown);
  if (values.out) fs.writeFileSync(values.out, markdown);
  return 0;
}
