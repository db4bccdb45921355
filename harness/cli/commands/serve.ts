// `bench serve <target>`: prepare and start one target as the benchmark would, until Ctrl-C.
import { parseCpuList, planCpus, cpuCount } from '../../runtime/cpus.ts';
import { UserError } from '../../errors.ts';
import { loadAllTargets, selectByName } from '../../targets.ts';
import { parseFlags } from '../args.ts';
import { chooseRuntime } from '../runtime-choice.ts';

export const serveHelp = `Usage: npm run bench -- serve <target> [options]

Prepares and starts one target through the runtime, exactly as a benchmark run would (same pinning,
same workers), prints its URL and keeps it running until Ctrl-C.

Options:
  --runtime NAME      local (default), docker, auto
  --target-cpus LIST  CPUs for the target (default: the same as \`run\`, the upper half)
  -h, --help          this help`;

export async function serveCommand(argv: string[]): Promise<number> {
  const { values, positionals } = parseFlags('serve', argv, { runtime: { type: 'string' }, 'target-cpus': { type: 'string' } }, true);
  if (values.help) {
    console.log(serveHelp);
    return 0;
  }
  if (positionals.length !== 1) throw new UserError('serve takes exactly one target name.', 'E.g. `npm run bench -- serve node`; `npm run bench -- list` shows the targets.');
  const [target] = selectByName(loadAllTargets(), (t) => t.decl.name, positionals, 'target', 'serve');
  const targetCpus = values['target-cpus'] ? parseCpuList(values['target-cpus'], '--target-cpus') : planCpus(cpuCount()).targetCpus;
  const { runtime } = await chooseRuntime(values.runtime ?? 'local');
  await runtime.prepare(target!, (line) => console.error(line));
  const running = await runtime.start(target!, { cpus: targetCpus, readyTimeoutMs: 60_000 });
  console.log(`${target!.decl.name} is serving at ${running.url} (workers ${running.workers}, CPUs ${targetCpus.join(',')}); try ${running.url}/json. Ctrl-C stops it.`);
  const stopped = new Promise<'signal'>((resolve) => {
    process.once('SIGINT', () => resolve('signal'));
    process.once('SIGTERM', () => resolve('signal'));
  });
  const outcome = await Promise.race([stopped, running.exited]);
  await runtime.shutdown();
  if (outcome !== 'signal') {
    throw new UserError(`Target "${target!.decl.name}" exited on its own (code ${outcome.code ?? outcome.signal}).`, 'Read its last log lines below.', await running.logs(30));
  }
  console.error('stopped.');
  return 0;
}
