// Which of a run's targets a name means. Claims (and `compare --base/--head`) name targets as the
// article does (`node`, `django`) or by version (`node@24`, `django@5.2`); a run names each target it
// measured once (`node@24` in a matrix, bare `node` in a default run) and lists the other names of
// the same build as its aliases. A name means the run's target of that exact name, else the target
// whose aliases hold it; results from before versions have no aliases, so a name means itself.
import type { RunResults } from '../types.ts';

/** A target as the callers have one: a run's name, a name with its aliases, or a prepared Target. */
export type TargetRef = string | { name: string; aliases?: string[] } | { decl: { name: string }; aliases?: string[] };

export interface NamedTarget {
  name: string;
  aliases: string[];
}

export function namedTarget(ref: TargetRef): NamedTarget {
  if (typeof ref === 'string') return { name: ref, aliases: [] };
  return { name: 'decl' in ref ? ref.decl.name : ref.name, aliases: ref.aliases ?? [] };
}

/** The name among `targets` that `name` means (exact first, then an alias), or undefined. */
export function resolveAmong(targets: readonly TargetRef[], name: string): string | undefined {
  const named = targets.map(namedTarget);
  return named.find((t) => t.name === name)?.name ?? named.find((t) => t.aliases.includes(name))?.name;
}

/** A run's targets with their aliases (results.json's `targets`). */
export const runTargets = (run: Pick<RunResults, 'targets'>): NamedTarget[] => Object.values(run.targets).map((t) => ({ name: t.name, aliases: t.aliases ?? [] }));

/** The run's name for `name`: the exact name, else the target whose aliases hold it; undefined when the run has neither. */
export function resolveInRun(run: Pick<RunResults, 'targets'>, name: string): string | undefined {
  if (name in run.targets) return name;
  return resolveAmong(runTargets(run), name);
}

/** Whether the run has a target that `name` means. */
export const runHas = (run: Pick<RunResults, 'targets'>, name: string): boolean => resolveInRun(run, name) !== undefined;

/** The run's name for `name`, or `name` itself where the run has no such target (its lookups then find nothing, as before). */
export const runNameOf = (run: Pick<RunResults, 'targets'>, name: string): string => resolveInRun(run, name) ?? name;
