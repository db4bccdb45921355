// Entry point: `npm run bench -- <command> [options]`. Errors meant for the user are printed as one
// paragraph (exit 2); anything else is a bug and keeps its stack trace (exit 1).
import { UserError } from './errors.ts';
import { chartCommand, chartHelp } from './cli/commands/chart.ts';
import { claimsCommand, claimsHelp } from './cli/commands/claims.ts';
import { mergeCommand, mergeHelp } from './cli/commands/merge.ts';
import { cleanCommand, cleanHelp } from './cli/commands/clean.ts';
import { compareCommand, compareHelp } from './cli/commands/compare.ts';
import { doctorCommand, doctorHelp } from './cli/commands/doctor.ts';
import { imagesCommand, imagesHelp } from './cli/commands/images.ts';
import { listCommand, listHelp } from './cli/commands/list.ts';
import { loadCommand, loadHelp } from './cli/commands/load.ts';
import { runCommand, runHelp } from './cli/commands/run.ts';
import { serveCommand, serveHelp } from './cli/commands/serve.ts';
import { verifyCommand, verifyHelp } from './cli/commands/verify.ts';

const commands: Record<string, { run: (argv: string[]) => Promise<number>; help: string; summary: string }> = {
  run: { run: runCommand, help: runHelp, summary: 'run scenarios against targets and write results and reports (default)' },
  serve: { run: serveCommand, help: serveHelp, summary: 'prepare and start one target, keep it running until Ctrl-C' },
  verify: { run: verifyCommand, help: verifyHelp, summary: 'contract checks only; non-zero exit on a fail' },
  list: { run: listCommand, help: listHelp, summary: 'targets, their endpoints, scenarios and profiles' },
  load: { run: loadCommand, help: loadHelp, summary: "one trial of a load generator against any URL (the harness's loader on your server)" },
  chart: { run: chartCommand, help: chartHelp, summary: 'regenerate the reports and charts of a run from its results.json' },
  compare: { run: compareCommand, help: compareHelp, summary: 'compare two runs, or two targets of one run pair by pair (--base node@main --head node); exit 1 on a significant regression (for CI)' },
  claims: { run: claimsCommand, help: claimsHelp, summary: 'judge the claims on several runs of one machine: a verdict stands when every run agrees' },
  merge: { run: mergeCommand, help: mergeHelp, summary: 'one run made of several parts of one commit and machine (a run longer than one sitting)' },
  doctor: { run: doctorCommand, help: doctorHelp, summary: 'what this machine has for each runtime, and how to fix what is missing' },
  images: { run: imagesCommand, help: imagesHelp, summary: 'get the base images (official, or local equivalents built from Debian)' },
  clean: { run: cleanCommand, help: cleanHelp, summary: 'remove the containers and images the harness made' },
};

const usage = `Usage: npm run bench -- [command] [options]

Commands:
${Object.entries(commands)
  .map(([name, c]) => `  ${name.padEnd(8)} ${c.summary}`)
  .join('\n')}

\`npm run bench\` alone runs the quick profile of every scenario on every target.
\`npm run bench -- <command> --help\` describes a command.`;

async function main(argv: string[]): Promise<number> {
  const [first, ...rest] = argv;
  if (first === '--help' || first === '-h' || first === 'help') {
    console.log(rest[0] && commands[rest[0]] ? commands[rest[0]]!.help : usage);
    return 0;
  }
  if (first === undefined || first.startsWith('-')) return runCommand(argv);
  const command = commands[first];
  if (!command) throw new UserError(`Unknown command "${first}".`, `Commands: ${Object.keys(commands).join(', ')}. See \`npm run bench -- --help\`.`);
  return command.run(rest);
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    if (error instanceof UserError) {
      process.stderr.write(`error: ${error.format()}\n`);
      process.exitCode = 2;
    } else {
      process.stderr.write(`internal error (a bug in the harness, please report it): ${(error as Error)?.stack ?? String(error)}\n`);
      process.exitCode = 1;
    }
  },
);
