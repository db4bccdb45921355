// `bench verify`: the contract checks only, per target and scenario; non-zero exit on any fail.
import { servicesFor, skipReason } from '../../run/plan.ts';
import { startServices } from '../../run/services.ts';
import { cpuCount, planCpus } from '../../runtime/cpus.ts';
import { errorMessage } from '../../errors.ts';
import { requestedNames, selectTargets } from '../../versions/select.ts';
import { scenarios } from '../../../scenarios/index.ts';
import { parseList } from '../../config.ts';
import { parseFlags } from '../args.ts';
import { createRuntime, DEFAULT_RUNTIME } from '../../runtime/registry.ts';
import { gitHead } from '../../env/environment.ts';
import { PROJECT_ROOT } from '../../targets.ts';

export const verifyHelp = `Usage: npm run bench -- verify [--targets a,b] [--runtime local]

Starts each target and runs the endpoint contract checks of every scenario it supports
(see targets/CONTRACT.md), printing pass/warn/fail per check. Exits 1 if any check fails or a
target cannot start.`;

export async function verifyCommand(argv: string[]): Promise<number> {
  const { values } = parseFlags('verify', argv, { targets: { type: 'string' }, runtime: { type: 'string' } });
  if (values.help) {
    console.log(verifyHelp);
    return 0;
  }
  const names = requestedNames(values.targets ? parseList(values.targets) : undefined, {});
  const { runtime } = await createRuntime(values.runtime ?? DEFAULT_RUNTIME, { gitCommit: await gitHead(PROJECT_ROOT) });
  const targets = await selectTargets(names, runtime).catch(async (error: unknown) => {
    await runtime.shutdown();
    throw error;
  });
  const plan = planCpus(cpuCount());
  let failed = false;
  // Only the services the verified targets need for the scenarios they serve (with the run's workers).
  const needed = servicesFor(scenarios, targets, runtime, plan.targetCpus.length);
  const progress = { step: (line: string) => console.error(line), info: (line: string) => console.error(`  ${line}`), warn: (line: string) => console.error(`  ! ${line}`) };
  const services = await startServices(runtime, needed, { cpus: plan.serviceCpus, readyTimeoutMs: 60_000, progress }).catch(async (error: unknown) => {
    await runtime.shutdown();
    throw error;
  });
  try {
    for (const target of targets) {
      console.log(`${target.decl.name}:`);
      if (target.cannotRun) {
        console.log(`  SKIP ${target.cannotRun}`);
        continue;
      }
      try {
        await runtime.prepare(target, (line) => console.error(`  ${line}`));
        const running = await runtime.start(target, { cpus: plan.targetCpus, readyTimeoutMs: 60_000, env: services.env });
        try {
          for (const scenario of scenarios.filter((s) => !skipReason(s, target, runtime))) {
            for (const check of await scenario.verify(running, { services: services.running })) {
              if (check.status === 'fail') failed = true;
              console.log(`  ${check.status.toUpperCase().padEnd(4)} ${scenario.name}/${check.name}: ${check.detail}`);
            }
          }
        } finally {
          await running.stop();
        }
      } catch (error) {
        failed = true;
        console.log(`  FAIL start: ${errorMessage(error).replace(/\n/g, '\n  ')}`);
      }
    }
  } finally {
    await services.stop();
    await runtime.shutdown();
  }
  return failed ? 1 : 0;
}
