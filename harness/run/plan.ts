// What a run will do before it does it: which target each scenario measures (and why it skips the
// others), the services the scenarios need, and the plan's upper bound in seconds.
import type { LoadShape, ProfileName, Runtime, RuntimeCapabilities, Scenario, ServiceDeclaration, Target } from '../types.ts';
import { restingTargets } from '../claims/open.ts';
import { optionsOf, type RunOptions } from './options.ts';

/** Seconds that starting and verifying a target add to a scenario, for the estimate. */
export const OVERHEAD_S = 2.5;

/** What the runtime can do, as the plan and the skip reasons read it (a runtime, or its registration). */
export type RuntimeAbilities = Pick<Runtime, 'name' | 'can'>;

const NEED_WORDS: Record<keyof Omit<RuntimeCapabilities, 'unit'>, string> = {
  images: 'builds images',
  startupSplit: "splits a start into the engine's share and the application's",
  processTree: "reads the target's process tree",
  hosts: "runs targets through other hosts' engines",
};

/** "builds images": what a scenario needs of the runtime, in words. */
export const runtimeNeedsInWords = (needs: Scenario['runtimeNeeds'] = []): string => needs.map((n) => NEED_WORDS[n]).join(' and ');

/** Why a scenario cannot measure a target on a runtime, or null when it can. */
export function skipReason(scenario: Scenario, target: Target, runtime: RuntimeAbilities): string | null {
  if (target.cannotRun) return target.cannotRun;
  const missing = scenario.requires.filter((e) => !target.decl.endpoints.includes(e));
  if (missing.length) return `target does not serve ${missing.join(', ')}`;
  const lacking = (scenario.runtimeNeeds ?? []).filter((need) => !runtime.can[need]);
  if (lacking.length) return `needs a runtime that ${runtimeNeedsInWords(lacking)} (the ${runtime.name} runtime does not)`;
  return null;
}

/** A scenario's planned seconds for these targets (its least rounds, its claim rounds up to their budget, and the starts). */
export function plannedFor(scenario: Scenario, targets: Target[], load: LoadShape, profile: ProfileName, options: RunOptions): number {
  const claimTargets = restingTargets(scenario.name, targets).size;
  return targets.length ? scenario.plannedSeconds(load, profile, targets.length, claimTargets, optionsOf(scenario, options, profile)) + OVERHEAD_S * targets.length : 0;
}

/** The plan's upper bound in seconds: every scenario's least rounds, and its claim rounds up to their budget. */
export function plannedSeconds(targets: Target[], scenarios: Scenario[], load: LoadShape, profile: ProfileName, runtime: RuntimeAbilities, options: RunOptions = {}): number {
  return scenarios.reduce((sum, s) => sum + plannedFor(s, targets.filter((t) => !skipReason(s, t, runtime)), load, profile, options), 0);
}

/** The services a set of scenarios needs, each once. */
export function servicesNeeded(scenarios: Scenario[]): ServiceDeclaration[] {
  const byName = new Map<string, ServiceDeclaration>();
  for (const s of scenarios) for (const service of s.services ?? []) byName.set(service.name, service);
  return [...byName.values()];
}

/**
 * The services these targets need: those of every scenario that measures one of them on this
 * runtime, where the scenario needs it for that target with these workers (Scenario.needsService:
 * Redis serves a Node broadcast only with several workers), never one the scenario alone uses
 * (ServiceDeclaration.scenarioOnly: the registry).
 */
export function servicesFor(scenarios: Scenario[], targets: Target[], runtime: RuntimeAbilities, workers: number): ServiceDeclaration[] {
  return servicesNeeded(scenarios).filter((service) =>
    !service.scenarioOnly && targets.some((t) => scenarios.some((s) => s.services?.includes(service) && !skipReason(s, t, runtime) && (s.needsService?.(service, t, workers) ?? true))),
  );
}
