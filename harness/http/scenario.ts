// An HTTP load scenario as a short declaration: the endpoint (with {param} placeholders), its
// levels, its contract checks and the services it needs. Trials, interleaving, resource sampling,
// loader-bound flags and the result kind come from here.
import type { CheckResult, Endpoint, LoadShape, ProfileName, RunningTarget, Scenario, ServiceDeclaration, VerifyContext } from '../types.ts';
import { httpResultKind } from './kind.ts';
import type { HttpLevel, HttpResult } from './schema.ts';
import { plannedHttpSeconds, runHttpTrials } from './trials.ts';

export interface HttpScenarioDeclaration {
  name: string;
  description: string;
  /** What is measured, for chart titles, e.g. "JSON throughput". */
  title: string;
  /** Path and query; {name} is replaced by the level's parameter of that name, e.g. /queries?queries={queries}. */
  endpoint: string;
  requires: Endpoint[];
  services?: ServiceDeclaration[];
  verify(running: RunningTarget, ctx: VerifyContext): Promise<CheckResult[]>;
  /** Load levels for a load shape and profile (default: one per connection count). */
  levels?(load: LoadShape, profile: ProfileName): HttpLevel[];
  /** Other HTTP scenarios whose throughput the report shows beside this one's. */
  beside?: string[];
}

export function httpScenario(d: HttpScenarioDeclaration): Scenario<HttpResult> {
  const levels = d.levels ?? ((load: LoadShape) => load.connections.map((connections) => ({ connections })));
  return {
    name: d.name,
    description: d.description,
    requires: d.requires,
    ...(d.services && { services: d.services }),
    schedule: 'interleaved',
    kind: httpResultKind({ scenario: d.name, title: d.title, endpoint: d.endpoint, ...(d.beside && { beside: d.beside }) }),
    verify: d.verify,
    plannedSeconds: (load, profile, targets, claimTargets) => plannedHttpSeconds({ levels: levels(load, profile), load }, targets, claimTargets),
    run: (targets, ctx) => runHttpTrials(targets, ctx, { endpoint: d.endpoint, levels: levels(ctx.load, ctx.profile), load: ctx.load }),
  };
}
