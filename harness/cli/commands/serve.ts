// `bench serve <target>`: prepare and start one target as the benchmark would, with the services
// its endpoints need (PostgreSQL, Redis), until Ctrl-C; everything stops with it.
import { parseCpuList, planCpus, cpuCount } from '../../runtime/cpus.ts';
import { UserError } from '../../errors.ts';
import { servicesFor } from '../../run/plan.ts';
import { startServices, type StartedServices } from '../../run/services.ts';
import { requestedNames, selectTargets } from '../../versions/select.ts';
import { scenarios } from '../../../scenarios/index.ts';
import { parseFlags } from '../args.ts';
import { createRuntime, DEFAULT_RUNTIME } from '../../runtime/registry.ts';
import { gitHead } from '../../env/environment.ts';
import { PROJECT_ROOT } from '../../targets.ts';

export const serveHelp = `Usage: npm run bench -- serve <target> [options]

Prepares and starts one target through the runtime, exactly as a benchmark run would (same pinning,
same workers), with the services its endpoints need (PostgreSQL, Redis), prints its URL and keeps
it running until Ctrl-C, which stops the target and the services.

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
  if (positionals.length !== 1) throw new UserError('serve takes exactly one target name.', 'E.g. `npm run bench -- serve node` or `serve node@25`; `npm run bench -- list` shows the targets.');
  const names = requestedNames(positionals, {}, undefined, 'serve');
  const plan = planCpus(cpuCount(), values['target-cpus'] ? parseCpuList(values['target-cpus'], '--target-cpus') : undefined);
  const { runtime } = await createRuntime(values.runtime ?? DEFAULT_RUNTIME, { gitCommit: await gitHead(PROJECT_ROOT) });
  const [target] = await selectTargets(names, runtime).catch(async (error: unknown) => {
    await runtime.shutdown();
    throw error;
  });
  if (target!.cannotRun) {
    await runtime.shutdown();
    throw new UserError(`Cannot serve ${target!.decl.name} here: ${target!.cannotRun}.`, 'Choose another version, or the runtime named.');
  }
  const progress = { step: (line: string) => console.error(line), info: (line: string) => console.error(`  ${line}`), warn: (line: string) => console.error(`  ! ${line}`) };
  let services: StartedServices | undefined;
  try {
    await runtime.prepare(target!, (line) => console.error(line));
    // Only what this target needs with these workers (Redis serves a Node broadcast only with several workers).
    const needed = servicesFor(scenarios, [target!], runtime, plan.targetCpus.length);
    services = await startServices(runtime, needed, { cpus: plan.serviceCpus, readyTimeoutMs: 60_000, progress });
    for (const s of services.running) console.log(`${s.service.name} ${s.info.version} is running at ${s.endpoint.host}:${s.endpoint.port} (${Object.keys(s.env).join(', ')} handed to the target)`);
    const env = services.env;
    const running = await runtime.start(target!, { cpus: plan.targetCpus, readyTimeoutMs: 60_000, env });
    const sio = target!.decl.websocket?.socketio;
    const ws = running.url.replace(/^http/, 'ws');
    const paths = target!.decl.endpoints.map((e) => (!e.startsWith('/ws') ? `${running.url}${e}` : sio ? `${ws}${sio.path} (Socket.IO namespace ${sio.namespaces[e] ?? '?'} for ${e})` : `${ws}${e}`));
    console.log(`${target!.decl.name} is serving at ${running.url} (workers ${running.workers}, CPUs ${plan.targetCpus.join(',')}); try ${paths.join(' ')}. Ctrl-C stops it.`);
    // Until here a Ctrl-C ends the process at once, and the reaper stops what was started.
    const stopped = new Promise<'signal'>((resolve) => {
      process.once('SIGINT', () => resolve('signal'));
      process.once('SIGTERM', () => resolve('signal'));
    });
    // Signal listeners and the container's unref'd exit watch do not keep Node's event loop alive:
    // without a live handle the process would end here, and the reaper would remove the container.
    const keepAlive = setInterval(() => {}, 2 ** 30);
    const outcome = await Promise.race([stopped, running.exited]).finally(() => clearInterval(keepAlive));
    if (outcome !== 'signal') {
      throw new UserError(`Target "${target!.decl.name}" exited on its own (code ${outcome.code ?? outcome.signal}).`, 'Read its last log lines below.', await running.logs(30));
    }
    console.error('stopped.');
    return 0;
  } finally {
    await services?.stop();
    await runtime.shutdown();
  }
}
