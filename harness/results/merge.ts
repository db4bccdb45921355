// Merging runs (parts) into one run: a full-profile run takes longer than one sitting on a small
// machine, so it is made as several runs of the same clean commit, machine and settings, each with
// some scenarios (--scenarios). Each scenario of the merged run comes whole from one part, so its
// trials were interleaved across targets in one sitting; nothing is re-computed or edited.
import { isDeepStrictEqual } from 'node:util';
import { UserError } from '../errors.ts';
import type { Measurement, RunPart, RunResults } from '../types.ts';

const FIX = 'Merge only parts made by the same harness commit, from a clean tree, on one machine, with the same command apart from --scenarios and --out.';

/** The command with --scenarios and --out (the flags in which parts may differ) taken out. */
export function commandSettings(command: string): string {
  return command
    .replace(/\s--(scenarios|out)(=|\s+)\S+/g, '')
    .replace(/\s+/g, ' ')
    .trim();
}

/** What parts must share, by name; each value compared as a whole. */
function sameness(r: RunResults): Record<string, unknown> {
  const { hostname, cpuModel, cores, memoryBytes, os, kernel, arch, loader, gitCommit, pinning, engine } = r.environment;
  return {
    'environment.gitCommit': gitCommit,
    machine: { hostname, cpuModel, cores, memoryBytes, os, kernel, arch },
    'environment.loader': loader,
    'environment.pinning': pinning,
    'environment.engine': engine ?? null,
    profile: r.profile,
    runtime: r.runtime,
    'command (apart from --scenarios and --out)': commandSettings(r.command),
  };
}

const scenariosOf = (r: RunResults) => [...new Set(r.measurements.map((m) => m.scenario))];
const wholeIn = (r: RunResults, scenario: string) => r.measurements.filter((m) => m.scenario === scenario).every((m) => m.complete);

export function mergeRuns(parts: RunResults[], runId: string): RunResults {
  if (parts.length < 2) throw new UserError('merge takes two runs or more.', 'E.g. `npm run bench -- merge results/part-1 results/part-2 --out results/full`.');
  const ordered = [...parts].sort((a, b) => a.startedAt.localeCompare(b.startedAt));
  for (const p of ordered) {
    if (p.parts) throw new UserError(`Run ${p.runId} is itself a merge.`, 'Merge its parts with the others instead.');
    if (p.environment.gitDirty !== false || !p.environment.gitCommit)
      throw new UserError(`Run ${p.runId} was not measured from a clean, committed tree (gitDirty: ${p.environment.gitDirty}, commit ${p.environment.gitCommit ?? 'unknown'}).`, FIX);
    if (p.state === 'running') throw new UserError(`Run ${p.runId} is still running.`, 'Wait for it to end (or stop it with Ctrl-C), then merge.');
  }
  const first = sameness(ordered[0]!);
  for (const p of ordered.slice(1)) {
    const other = sameness(p);
    for (const [field, value] of Object.entries(first)) {
      if (!isDeepStrictEqual(value, other[field])) throw new UserError(`Runs ${ordered[0]!.runId} and ${p.runId} differ in ${field}: ${JSON.stringify(value)} against ${JSON.stringify(other[field])}.`, FIX);
    }
  }
  // Each scenario from the one part that measured it whole; else (interrupted everywhere) from the latest part, left incomplete.
  const taken = new Map<string, RunResults>();
  const dropped = new Map<RunResults, string[]>(ordered.map((p) => [p, []]));
  const allScenarios = [...new Set(ordered.flatMap(scenariosOf))];
  for (const scenario of allScenarios) {
    const having = ordered.filter((p) => scenariosOf(p).includes(scenario));
    const whole = having.filter((p) => wholeIn(p, scenario));
    if (whole.length > 1)
      throw new UserError(`Scenario ${scenario} was measured whole in runs ${whole.map((p) => p.runId).join(' and ')}.`, 'A merged run takes each scenario from one part: leave the others out, or re-run the parts with --scenarios that do not overlap.');
    const from = whole[0] ?? having.at(-1)!;
    taken.set(scenario, from);
    for (const p of having) if (p !== from) dropped.get(p)!.push(scenario);
  }
  const targets: RunResults['targets'] = {};
  for (const p of ordered) {
    for (const [name, info] of Object.entries(p.targets)) {
      const seen = targets[name];
      if (seen && !isDeepStrictEqual(seen, info))
        throw new UserError(`Target ${name} differs between the parts (versions ${JSON.stringify(seen.versions)} against ${JSON.stringify(info.versions)} in ${p.runId}).`, FIX);
      targets[name] = info;
    }
  }
  const measurements: Measurement[] = allScenarios.flatMap((s) => taken.get(s)!.measurements.filter((m) => m.scenario === s));
  // How each scenario's claim rounds went comes with the scenario, from the part that measured it.
  const rounds = Object.fromEntries(allScenarios.flatMap((s) => {
    const record = taken.get(s)!.rounds?.[s];
    return record ? [[s, record]] : [];
  }));
  const complete = measurements.every((m) => m.complete);
  const finished = ordered.map((p) => p.finishedAt).filter((f): f is string => Boolean(f)).sort();
  const partsInfo: RunPart[] = ordered.map((p) => ({
    runId: p.runId,
    startedAt: p.startedAt,
    ...(p.finishedAt && { finishedAt: p.finishedAt }),
    state: p.state,
    command: p.command,
    scenarios: allScenarios.filter((s) => taken.get(s) === p),
    dropped: dropped.get(p)!,
  }));
  return {
    schemaVersion: ordered[0]!.schemaVersion,
    runId,
    startedAt: ordered[0]!.startedAt,
    ...(finished.length && { finishedAt: finished.at(-1)! }),
    state: complete ? 'done' : 'interrupted',
    profile: ordered[0]!.profile,
    runtime: ordered[0]!.runtime,
    command: `npm run bench -- merge ${ordered.map((p) => p.runId).join(' ')}`,
    environment: ordered[0]!.environment,
    targets,
    services: ordered.flatMap((p) => p.services),
    // The parts' settings are the same (see FIX), so is their load.
    ...(ordered[0]!.load && { load: ordered[0]!.load }),
    measurements,
    ...(Object.keys(rounds).length && { rounds }),
    ...(ordered[0]!.confidence !== undefined && { confidence: ordered[0]!.confidence }),
    parts: partsInfo,
  };
}
