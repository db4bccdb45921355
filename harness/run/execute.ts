// The run itself, in one direction: for each target, prepare → for each scenario: start → verify →
// load → store → stop. Every failure is kept in the results (never thrown past a target), and the
// results file is rewritten after every trial.
import type { ConsoleProgress } from '../cli/progress.ts';
import { errorLogTail, errorMessage, errorSummary } from '../errors.ts';
import { summarizeTrials } from '../stats/summarize.ts';
import { ResultsStore } from '../results/store.ts';
import type { HttpLoader, LoadShape, Measurement, ProfileName, Runtime, RuntimeName, Scenario, Target, Trial } from '../types.ts';
import { verdictOf } from '../verify/json-contract.ts';

export interface ExecuteOptions {
  store: ResultsStore;
  profile: ProfileName;
  targets: Target[];
  scenarios: Scenario[];
  runtime: Runtime;
  load: LoadShape;
  loader: HttpLoader;
  targetCpus: number[];
  loaderBoundPct: number;
  readyTimeoutMs: number;
  progress: ConsoleProgress;
  signal: AbortSignal;
  /** Called after each measurement is stored, e.g. to rewrite the reports. */
  afterMeasurement?: () => void;
}

/** Seconds that starting and verifying a target add to a scenario, for the estimate. */
export const OVERHEAD_S = 4;

export function plannedSeconds(targets: Target[], scenarios: Scenario[], load: LoadShape, profile: ProfileName, runtime: RuntimeName): number {
  let total = 0;
  for (const t of targets) for (const s of scenarios) if (!skipReason(s, t, runtime)) total += s.plannedSeconds(load, profile) + OVERHEAD_S;
  return total;
}

/** Why a scenario cannot measure a target on a runtime, or null when it can. */
export function skipReason(scenario: Scenario, target: Target, runtime: RuntimeName): string | null {
  const missing = scenario.requires.filter((e) => !(target.decl.endpoints as string[]).includes(e));
  if (missing.length) return `target does not serve ${missing.join(', ')}`;
  if (scenario.runtimes && !scenario.runtimes.includes(runtime)) return `needs the ${scenario.runtimes.join(' or ')} runtime (this run uses ${runtime})`;
  return null;
}

export async function executeRun(o: ExecuteOptions): Promise<void> {
  const { store, progress } = o;
  const now = () => new Date().toISOString();
  const record = (m: Measurement) => {
    store.upsert(m);
    o.afterMeasurement?.();
  };
  const blank = (target: Target, scenario: Scenario): Measurement => ({
    target: target.decl.name,
    scenario: scenario.name,
    runtime: o.runtime.name,
    status: 'ok',
    complete: false,
    startedAt: now(),
    checks: [],
    trials: [],
    summary: [],
  });

  for (const target of o.targets) {
    if (o.signal.aborted) break;
    const name = target.decl.name;
    const todo = o.scenarios.filter((s) => !skipReason(s, target, o.runtime.name));
    for (const s of o.scenarios) {
      const reason = skipReason(s, target, o.runtime.name);
      if (reason) record({ ...blank(target, s), status: 'skipped', complete: true, finishedAt: now(), error: reason });
    }
    if (todo.length === 0) continue;
    const plannedForTarget = todo.reduce((sum, s) => sum + s.plannedSeconds(o.load, o.profile) + OVERHEAD_S, 0);

    progress.setContext(`${name}: `);
    progress.step(`preparing (${o.runtime.name} runtime)`);
    try {
      await o.runtime.prepare(target, (line) => progress.info(line));
      store.results.targets[name]!.versions = await o.runtime.versions(target);
      store.save();
    } catch (error) {
      progress.warn(`prepare failed: ${errorMessage(error)}`);
      for (const s of todo) {
        record({ ...blank(target, s), status: 'failed', complete: true, finishedAt: now(), error: `prepare failed: ${errorSummary(error)}`, logTail: errorLogTail(error) });
      }
      progress.skipPlanned(plannedForTarget);
      continue;
    }

    for (const scenario of todo) {
      if (o.signal.aborted) break;
      progress.setContext(`${name} · ${scenario.name}: `);
      const m: Measurement = { ...blank(target, scenario), load: o.load, workers: o.targetCpus.length };
      progress.step(`starting on CPUs ${o.targetCpus.join(',')}`, OVERHEAD_S);
      const startTarget = (extra: { readyPath?: string; pollIntervalMs?: number } = {}) =>
        o.runtime.start(target, { cpus: o.targetCpus, readyTimeoutMs: o.readyTimeoutMs, ...extra });
      let running;
      try {
        running = await startTarget();
      } catch (error) {
        progress.warn(errorMessage(error));
        record({ ...m, status: 'failed', complete: true, finishedAt: now(), error: errorSummary(error), logTail: errorLogTail(error) });
        progress.skipPlanned(scenario.plannedSeconds(o.load, o.profile));
        continue;
      }
      try {
        progress.info(`ready at ${running.url} after ${running.readyMs.toFixed(0)} ms; verifying the contract`);
        m.checks = await scenario.verify(running);
        const failed = m.checks.filter((c) => c.status === 'fail');
        for (const c of m.checks.filter((c) => c.status !== 'pass')) progress.warn(`check ${c.name}: ${c.status} (${c.detail})`);
        if (verdictOf(m.checks) === 'fail') {
          record({ ...m, status: 'invalid', complete: true, finishedAt: now(), error: `contract check failed: ${failed.map((c) => `${c.name} (${c.detail})`).join('; ')}` });
          progress.skipPlanned(scenario.plannedSeconds(o.load, o.profile));
          continue;
        }
        const trials: Trial[] = [];
        const output = await scenario.run(running, {
          profile: o.profile,
          target,
          runtime: o.runtime,
          startTarget,
          load: o.load,
          loader: o.loader,
          loaderBoundPct: o.loaderBoundPct,
          progress,
          signal: o.signal,
          onTrial: async (trial) => {
            trials.push(trial);
            store.upsert({ ...m, trials, summary: summarizeTrials(trials) });
          },
        });
        const finalTrials = output.trials ?? trials;
        record({ ...m, ...output, trials: finalTrials, summary: summarizeTrials(finalTrials), complete: true, finishedAt: now() });
      } catch (error) {
        const interrupted = o.signal.aborted;
        const current = store.results.measurements.find((x) => x.target === name && x.scenario === scenario.name);
        const trials = current?.trials ?? [];
        record({
          ...m,
          trials,
          summary: summarizeTrials(trials),
          status: 'failed',
          complete: false,
          finishedAt: now(),
          error: interrupted ? 'interrupted (Ctrl-C) before the scenario finished; the trials so far are kept' : errorSummary(error),
          logTail: interrupted ? undefined : errorLogTail(error),
        });
        if (!interrupted) progress.warn(errorMessage(error));
      } finally {
        await running.stop();
      }
    }
  }
}
