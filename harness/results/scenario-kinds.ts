// The core's one door to the scenarios: find a scenario (and so its result kind) by the name stored
// in a measurement. The core never names a scenario itself.
import { scenarios } from '../../scenarios/index.ts';
import type { Measurement, ResultKind, Scenario } from '../types.ts';

export function scenarioNamed(name: string): Scenario | undefined {
  return scenarios.find((s) => s.name === name);
}

export function kindOf(m: Pick<Measurement, 'scenario'>): ResultKind<unknown> | undefined {
  return scenarioNamed(m.scenario)?.kind;
}

/** Scenario names in the registry's order, then any unknown ones (from other harness versions) in order of appearance. */
export function scenarioOrder(names: string[]): string[] {
  const known = scenarios.map((s) => s.name).filter((n) => names.includes(n));
  return [...known, ...[...new Set(names)].filter((n) => !known.includes(n))];
}
