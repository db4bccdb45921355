// The run, in one direction: prepare every target once → start the services the scenarios need,
// once per run → for each scenario: start all its targets (pinned, idle while not measured),
// verify each (a 'fail' marks it invalid), hand the valid ones to the scenario with its options and
// the run's loaders (its rounds, run/rounds.ts, interleave trials across them and save after every
// trial) → stop them. Failures are kept in the results (never thrown past a target), and services
// are stopped on every path.
import type { ConsoleProgress } from '../cli/progress.ts';
import { errorLogTail, errorMessage, errorSummary, UserError } from '../errors.ts';
import type { ResultsStore } from '../results/store.ts';
import type { CpuPlan } from '../runtime/cpus.ts';
import type { LoadShape, Measurement, ProfileName, RunLoaders, RunningService, RunningTarget, Runtime, Scenario, ScenarioContext, ServiceDeclaration, StartOptions, Target } from '../types.ts';
import { verdictOf } from '../verify/json-contract.ts';
import { claimsResting, openClaims } from '../claims/open.ts';
import { DEFAULT_CONFIDENCE } from '../claims/evaluate.ts';
import { optionsOf, type RunOptions } from './options.ts';
import { OVERHEAD_S, plannedFor, skipReason } from './plan.ts';
import { startServices } from './services.ts';
import { describeExit } from '../runtime/readiness.ts';

export interface ExecuteOptions {
  store: ResultsStore;
  profile: ProfileName;
  targets: Target[];
  scenarios: Scenario[];
  runtime: Runtime;
  load: LoadShape;
  /** The scenarios' options by key (run/options.ts); a scenario whose key is absent gets its declaration's defaults for the profile. */
  options?: RunOptions;
  loaders: RunLoaders;
  cpus: CpuPlan;
  loaderBoundPct: number;
  readyTimeoutMs: number;
  progress: Pick<ConsoleProgress, 'step' | 'info' | 'warn' | 'setContext' | 'skipPlanned'>;
  signal: AbortSignal;
  /** Called after each measurement is finished, e.g. to rewrite the reports. */
  afterMeasurement?: () => void;
}

export async function executeRun(o: ExecuteOptions): Promise<void> {
  const { store, progress, runtime } = o;
  const planned = (scenario: Scenario, target: Target) => plannedFor(scenario, [target], o.load, o.profile, o.options ?? {});
  const now = () => new Date().toISOString();
  const record = (m: Measurement) => {
    store.upsert(m);
    o.afterMeasurement?.();
  };
  const blank = (target: Target, scenario: Scenario): Measurement => ({
    target: target.decl.name,
    scenario: scenario.name,
    runtime: runtime.name,
    status: 'ok',
    complete: false,
    startedAt: now(),
    workers: o.cpus.targetCpus.length,
    checks: [],
  });
  const finish = (m: Measurement, status: Measurement['status'], error: unknown, complete: boolean, logTail = errorLogTail(error)) =>
    record({ ...m, status, complete, finishedAt: now(), error: errorSummary(error), ...(logTail && { logTail }) });

  // Who measures what: skipped pairs are recorded at once, with the reason.
  const plan = o.scenarios.map((scenario) => {
    const todo: Target[] = [];
    for (const target of o.targets) {
      const reason = skipReason(scenario, target, runtime);
      if (reason) record({ ...blank(target, scenario), status: 'skipped', complete: true, finishedAt: now(), error: reason });
      else todo.push(target);
    }
    return { scenario, todo };
  });

  // Prepare each target once, for every scenario that measures it.
  const prepared = new Map<string, unknown>(); // target -> null (ok) or the error
  for (const target of o.targets.filter((t) => plan.some((p) => p.todo.includes(t)))) {
    if (o.signal.aborted) break;
    const name = target.decl.name;
    progress.setContext(`${name}: `);
    progress.step(`preparing (${runtime.name} runtime)`);
    try {
      await runtime.prepare(target, (line) => progress.info(line));
      store.results.targets[name]!.versions = await runtime.versions(target);
      store.save();
      prepared.set(name, null);
    } catch (error) {
      progress.warn(`prepare failed: ${errorMessage(error)}`);
      prepared.set(name, error);
    }
  }

  const services = new Map<string, RunningService>();
  /** Set while a scenario runs: ends it when one of the run's services dies. */
  let serviceDied: ((error: UserError) => void) | undefined;
  const serviceErrors = new Map<string, unknown>();
  const startNeeded = async (needed: ServiceDeclaration[]) => {
    const todo = needed.filter((s) => !services.has(s.name) && !serviceErrors.has(s.name));
    if (!todo.length || o.signal.aborted) return;
    progress.setContext('');
    // Each service once per run; one that fails leaves only the targets that need it without it.
    const started = await startServices(runtime, todo, { cpus: o.cpus.serviceCpus, readyTimeoutMs: o.readyTimeoutMs, progress, signal: o.signal, keepGoing: true });
    for (const { service, error } of started.failed) serviceErrors.set(service.name, error);
    for (const running of started.running) {
      const name = running.service.name;
      services.set(name, running);
      // A service that dies mid-run ends the scenario that uses it, with its last log lines, and
      // the later scenarios go without it (their targets fail or are skipped, saying why).
      void running.exited.then(async (exit) => {
        if (services.get(name) !== running) return;
        const error = new UserError(
          `Service ${name} ${exit.lost ? 'was lost' : 'exited'} during the run (${describeExit(exit)}).`,
          exit.lost ? 'Check the link to that host and its engine; the measurements that needed the service are marked failed, and those done before are kept.' : 'Read its log lines below; the measurements that needed it are marked failed.',
          exit.lost ? [] : await running.logs(20).catch(() => []),
        );
        services.delete(name);
        serviceErrors.set(name, error);
        progress.warn(errorMessage(error));
        serviceDied?.(error);
      });
      store.results.services.push(running.info);
    }
    store.save();
  };
  const stopServices = async () => {
    for (const [name, s] of services) {
      await s.stop().catch((error: unknown) => progress.warn(`stopping ${name}: ${errorMessage(error)}`));
      const info = store.results.services.find((i) => i.name === name && !i.stoppedAt);
      if (info) info.stoppedAt = now();
      services.delete(name);
    }
    store.save();
  };

  try {
    for (const { scenario, todo } of plan) {
      if (o.signal.aborted) break;
      // Only for targets it will measure: a scenario every target skips (one this runtime cannot run) needs none.
      if (todo.length) await startNeeded(scenario.services ?? []);
      progress.setContext(`${scenario.name}: `);
      const env = Object.assign({}, ...[...services.values()].map((s) => s.env)) as Record<string, string>;
      const missingServices = (scenario.services ?? []).filter((s) => serviceErrors.has(s.name) || !services.has(s.name));
      const serviceError = (s: ServiceDeclaration) => errorSummary(serviceErrors.get(s.name) ?? 'interrupted');
      const startOptions = (extra: Partial<StartOptions> = {}): StartOptions => ({ cpus: o.cpus.targetCpus, readyTimeoutMs: o.readyTimeoutMs, env, ...extra });

      // Start every target of the scenario; they stay up (idle) while the others are measured.
      const running: RunningTarget[] = [];
      const measurements = new Map<string, Measurement>();
      for (const target of todo) {
        if (o.signal.aborted) break;
        const m = blank(target, scenario);
        const prepError = prepared.get(target.decl.name);
        if (prepError !== null) {
          finish(m, 'failed', new Error(prepError === undefined ? 'not prepared (interrupted)' : `prepare failed: ${errorSummary(prepError)}`), true, errorLogTail(prepError));
          progress.skipPlanned(planned(scenario, target));
          continue;
        }
        const missingService = missingServices.find((s) => scenario.needsService?.(s, target, o.cpus.targetCpus.length) ?? true);
        if (missingService && scenario.needsService) {
          // An optional service: only the targets that need it go without the scenario, and say why.
          record({ ...m, status: 'skipped', complete: true, finishedAt: now(), error: `needs the ${missingService.name} service here, which could not be started: ${serviceError(missingService)}` });
          progress.warn(`${target.decl.name}: skipped, it needs ${missingService.name} for ${scenario.name}`);
          progress.skipPlanned(planned(scenario, target));
          continue;
        }
        if (missingService) {
          finish(m, 'failed', new Error(`service ${missingService.name} did not start: ${serviceError(missingService)}`), true);
          progress.skipPlanned(planned(scenario, target));
          continue;
        }
        progress.step(`starting ${target.decl.name} on CPUs ${o.cpus.targetCpus.join(',')}`, OVERHEAD_S);
        try {
          const r = await runtime.start(target, startOptions());
          progress.info(`${target.decl.name} ready at ${r.url} after ${r.readyMs.toFixed(0)} ms; verifying the contract`);
          m.checks = await scenario.verify(r, { services: [...services.values()] });
          for (const c of m.checks.filter((c) => c.status !== 'pass')) progress.warn(`${target.decl.name}: check ${c.name}: ${c.status} (${c.detail})`);
          if (verdictOf(m.checks) === 'fail') {
            await r.stop();
            const failed = m.checks.filter((c) => c.status === 'fail');
            record({ ...m, status: 'invalid', complete: true, finishedAt: now(), error: `contract check failed: ${failed.map((c) => `${c.name} (${c.detail})`).join('; ')}` });
            progress.skipPlanned(planned(scenario, target) - OVERHEAD_S);
            continue;
          }
          running.push(r);
          measurements.set(target.decl.name, m);
          store.upsert(m);
        } catch (error) {
          progress.warn(errorMessage(error));
          finish(m, 'failed', error, true);
          progress.skipPlanned(planned(scenario, target) - OVERHEAD_S);
        }
      }
      if (running.length === 0) continue;

      const instances = new Set<RunningTarget>(running);
      const failed = new Set<string>();
      // The scenario's own signal: the run's (Ctrl-C), or a service of the run that died.
      const scenarioAbort = new AbortController();
      const onRunAbort = () => scenarioAbort.abort(o.signal.reason);
      o.signal.addEventListener('abort', onRunAbort, { once: true });
      let deadService: UserError | undefined;
      serviceDied = (error) => {
        deadService ??= error;
        scenarioAbort.abort(error);
      };
      const names = running.map((r) => r.target.decl.name);
      const confidence = o.load.confidence ?? DEFAULT_CONFIDENCE;
      // --trials above the most rounds raises the most: the least rounds always run.
      const claimRounds = { max: Math.max(o.load.trials, o.load.claimRounds?.max ?? 0), budgetS: o.load.claimRounds?.budgetS ?? Number.MAX_SAFE_INTEGER };
      const ctx: ScenarioContext<unknown, unknown> = {
        claims: {
          minRounds: o.load.trials,
          maxRounds: claimRounds.max,
          budgetS: claimRounds.budgetS,
          confidence,
          feeds: claimsResting(scenario.name, running.map((r) => r.target)).length > 0,
          open: () => openClaims(store.results, scenario.name, names.filter((n) => !failed.has(n))),
          done: (record) => {
            store.results.rounds = { ...store.results.rounds, [scenario.name]: { minRounds: o.load.trials, maxRounds: Math.max(claimRounds.max, record.minRounds ?? 0), budgetS: claimRounds.budgetS, confidence, ...record } };
            store.save();
          },
        },
        profile: o.profile,
        runtime,
        load: o.load,
        options: optionsOf(scenario, o.options ?? {}, o.profile),
        loaders: o.loaders,
        loaderBoundPct: o.loaderBoundPct,
        progress,
        signal: scenarioAbort.signal,
        services: [...services.values()],
        earlier: structuredClone(store.results.measurements.filter((m) => m.scenario !== scenario.name)),
        pinning: { loaderCpus: o.cpus.loaderCpus, serviceCpus: o.cpus.serviceCpus, targetCpus: o.cpus.targetCpus },
        startTarget: async (target, options = {}) => {
          const r = await runtime.start(target, startOptions(options));
          instances.add(r);
          return r;
        },
        save: (target, result) => {
          const m = measurements.get(target);
          if (!m || failed.has(target)) return;
          m.result = result;
          store.upsert(m);
        },
        fail: async (target, error) => {
          const m = measurements.get(target);
          if (!m || failed.has(target)) return;
          failed.add(target);
          finish(m, 'failed', error, false);
          for (const r of [...instances].filter((r) => r.target.decl.name === target)) await r.stop();
        },
      };
      try {
        await scenario.run(running, ctx);
        for (const [name, m] of measurements) if (!failed.has(name)) record({ ...m, complete: true, finishedAt: now() });
      } catch (error) {
        const interrupted = o.signal.aborted;
        if (!interrupted && !deadService) progress.warn(errorMessage(error));
        const why = interrupted ? new Error('interrupted (Ctrl-C) before the scenario finished; the results so far are kept') : (deadService ?? error);
        for (const [name, m] of measurements) if (!failed.has(name)) finish(m, 'failed', why, false);
      } finally {
        serviceDied = undefined;
        o.signal.removeEventListener('abort', onRunAbort);
        await Promise.all([...instances].map((r) => r.stop()));
      }
    }
  } finally {
    await stopServices();
  }
}
