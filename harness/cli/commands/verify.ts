// `bench verify`: the contract checks only, per target and scenario; non-zero exit on any fail.
import { servicesNeeded, skipReason } from '../../run/execute.ts';
import { cpuCount, planCpus } from '../../runtime/cpus.ts';
import { errorMessage } from '../../errors.ts';
import { loadAllTargets, selectByName } from '../../targets.ts';
import { scenarios } from '../../../scenarios/index.ts';
import { parseList } from '../../config.ts';
import { parseFlags } from '../args.ts';
import { chooseRuntime } from '../runtime-choice.ts';
import type { RunningService } from '../../types.ts';

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
  const targets = selectByName(loadAllTargets(), (t) => t.decl.name, values.targets ? parseList(values.targets) : undefined, 'target', '--targets');
  const { runtime } = await chooseRuntime(values.runtime ?? 'local');
  const plan = planCpus(cpuCount());
  let failed = false;
  const env: Record<string, string> = {};
  const services: RunningService[] = [];
  for (const service of servicesNeeded(scenarios.filter((s) => targets.some((t) => !skipReason(s, t, runtime.name))))) {
    const s = await runtime.startService(service, { cpus: plan.serviceCpus, readyTimeoutMs: 60_000, log: (line) => console.error(`  ${line}`) });
    services.push(s);
    Object.assign(env, s.env);
  }
  for (const target of targets) {
    console.log(`${target.decl.name}:`);
    try {
      await runtime.prepare(target, (line) => console.error(`  ${line}`));
      const running = await runtime.start(target, { cpus: plan.targetCpus, readyTimeoutMs: 60_000, env });
      try {
        for (const scenario of scenarios.filter((s) => !skipReason(s, target, runtime.name))) {
          for (const check of await scenario.verify(running, { services })) {
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
  await runtime.shutdown();
  return failed ? 1 : 0;
}
