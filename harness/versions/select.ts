// The targets a command runs, by the names given, resolved for the runtime that runs them.
import { UserError } from '../errors.ts';
import { runtimeModules } from '../runtime/registry.ts';
import { loadAllTargets, TARGETS_DIR } from '../targets.ts';
import type { Runtime, Target } from '../types.ts';
import { expandMatrix, parseTargetRef } from './refs.ts';
import { offeredVersions, resolveTargets } from './resolve.ts';

/** The names a run asks for: the selected ones (default: every target) with the matrix expanded; unknown names and versions fail here, before anything starts. */
export function requestedNames(selected: string[] | undefined, matrix: Record<string, string[]>, all: Target[] = loadAllTargets(), flag = '--targets'): string[] {
  const families = all.map((t) => t.decl.name);
  const names = expandMatrix(selected?.length ? selected : families, matrix);
  const unknown = [...new Set(names.map((n) => parseTargetRef(n).family).filter((f) => !families.includes(f)))];
  if (unknown.length) {
    throw new UserError(
      `Unknown target${unknown.length > 1 ? 's' : ''}: ${unknown.map((u) => `"${u}"`).join(', ')}.`,
      `${flag} takes a comma-separated list of: ${families.join(', ')}, each optionally @version (see \`npm run bench -- list\`).`,
    );
  }
  return names;
}

/** The targets, each version in its own folder, for this runtime (the others say where a skipped one could run). */
export function selectTargets(names: string[], runtime: Pick<Runtime, 'name' | 'pythons'>, all: Target[] = loadAllTargets()): Promise<Target[]> {
  return resolveTargets(all, names, runtime, runtimeModules().filter((m) => m.name !== runtime.name), TARGETS_DIR);
}

/** "node: 24 (default), 25, 26": what `list` and errors show. */
export function describeVersions(target: Target): string | null {
  const v = target.decl.versions;
  if (!v) return null;
  return offeredVersions(target)
    .map((key) => `${key}${v.default[0] === key ? ' (default)' : v.default.includes(key) ? ' (default where the first cannot run)' : ''}`)
    .join(', ');
}
