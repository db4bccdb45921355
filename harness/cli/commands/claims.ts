// `bench claims <run> <run> [...]`: each claim judged on the pairs of several runs of one machine and
// commit together, with each run's own verdict beside it; runs that contradict each other are flagged.
import fs from 'node:fs';
import { UserError } from '../../errors.ts';
import { machineMismatch, replicateClaims, replicatedTable } from '../../claims/replicate.ts';
import { mdTable } from '../../report/markdown.ts';
import { readResults, resolveResultsFile } from '../../results/store.ts';
import { parseFlags } from '../args.ts';
import { RESULTS_ROOT } from './run.ts';

export const claimsHelp = `Usage: npm run bench -- claims <run> <run> [<run> ...] [--out FILE]

Judges every claim of the article on the pairs of all the runs together (the anytime-valid interval
runs over the pairs of every run, so pooling more runs only narrows it), and shows each run's own
verdict and ratio beside it; a claim on which one run says supported and another refuted is flagged
as a contradiction. The runs must come from one machine and one commit (figures from different
machines do not replicate each other). Prints Markdown (also written to --out). Exit code 0, 2 on
bad input.
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
  if (mismatch) throw new UserError(`Cannot pool the runs' verdicts: ${mismatch}.`, 'Give runs made on one machine from one commit; compare machines or commits with `compare` instead.');
  const rows = replicateClaims(runs);
  const contradicting = rows.filter((r) => r.contradicts);
  const judged = rows.filter((r) => r.verdict !== 'shown');
  const decided = judged.filter((r) => r.verdict !== 'inconclusive').length;
  const markdown = [
    `# The article's claims over ${runs.length} runs`,
    '',
    `Made by \`npm run bench -- claims ${positionals.join(' ')}\` from the runs' results.json alone (run it again to check).`,
    '',
    `Runs ${runs.map((r) => `${r.runId} (profile ${r.profile}, runtime ${r.runtime}, commit ${r.environment.gitCommit ?? 'unknown'}${r.environment.gitDirty ? ', dirty tree' : ''})`).join(', ')} on ${runs[0]!.environment.cpuModel}, ${runs[0]!.environment.cores} cores (${runs[0]!.environment.hostname}).`,
    '',
    `Each claim is judged on the pairs of all ${runs.length} runs together (its interval is anytime-valid, so the pairs of several runs pool without losing its level): ${decided} of ${judged.length} are decided. ` +
      (contradicting.length
        ? `**${contradicting.length} contradict** (one run supported what another refuted: ${contradicting.map((r) => r.id).join(', ')}): lean on none of them.`
        : 'No run contradicts another (none supported what another refuted).'),
    '',
    mdTable(replicatedTable(rows, runs)),
    '',
  ].join('\n');
  process.stdout.write(markdown);
  if (values.out) fs.writeFileSync(values.out, markdown);
  return 0;
}
