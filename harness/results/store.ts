// results/<run-id>/results.json, rewritten (atomically) after every trial and measurement so that
// a crash or Ctrl-C keeps everything measured so far. results/latest points at the newest run.
// Reading migrates older schema versions, validates each scenario's part with its result kind, and
// recognises a run whose harness was killed.
import fs from 'node:fs';
import path from 'node:path';
import { UserError } from '../errors.ts';
import { describeZodIssues } from '../config.ts';
import { runResultsSchema } from '../schema.ts';
import type { Measurement, RunResults } from '../types.ts';
import { RESULTS_FILE, writeFileAtomic } from './files.ts';
import { effectiveState } from './liveness.ts';
import { migrate } from './migrate.ts';
import { kindOf } from './scenario-kinds.ts';

export { RESULTS_FILE, writeFileAtomic };

export function newRunId(now = new Date()): string {
  return now.toISOString().replace(/\.\d+Z$/, 'Z').replace(/:/g, '-');
}

export class ResultsStore {
  readonly file: string;

  constructor(
    readonly dir: string,
    readonly results: RunResults,
  ) {
    fs.mkdirSync(dir, { recursive: true });
    this.file = path.join(dir, RESULTS_FILE);
    this.save();
  }

  /** Adds or replaces the measurement for (target, scenario) and rewrites the file. */
  upsert(measurement: Measurement): void {
    const i = this.results.measurements.findIndex((m) => m.target === measurement.target && m.scenario === measurement.scenario);
    const copy = structuredClone(measurement);
    if (i >= 0) this.results.measurements[i] = copy;
    else this.results.measurements.push(copy);
    this.save();
  }

  save(): void {
    writeFileAtomic(this.file, JSON.stringify(this.results, null, 2) + '\n');
  }
}

/** Points results/latest at this run (a relative symlink, so the folder can move). */
export function markLatest(resultsRoot: string, runDir: string): void {
  const link = path.join(resultsRoot, 'latest');
  const tmp = `${link}.${process.pid}.tmp`;
  fs.rmSync(tmp, { force: true });
  fs.symlinkSync(path.relative(resultsRoot, runDir), tmp);
  fs.renameSync(tmp, link);
}

/** Accepts a run folder, a results.json path, a run id under results/, or "latest". */
export function resolveResultsFile(ref: string, resultsRoot: string): string {
  const candidates = [ref, path.join(ref, RESULTS_FILE), path.join(resultsRoot, ref, RESULTS_FILE)];
  const found = candidates.find((c) => fs.existsSync(c) && fs.statSync(c).isFile());
  if (!found) throw new UserError(`No results found at "${ref}".`, `Give a run folder, a results.json file, a run id under ${resultsRoot}, or "latest".`);
  return found;
}

/** Validates parsed results: the core schema, then each measurement's result against its scenario's kind. */
export function parseResults(raw: unknown, source: string): RunResults {
  const parsed = runResultsSchema.safeParse(migrate(raw));
  if (!parsed.success) throw new UserError(`${source} does not match the results schema: ${describeZodIssues(parsed.error, 'results')}.`, 'It was written by another version of the harness; re-run the benchmark with this one.');
  const results = parsed.data;
  for (const [i, m] of results.measurements.entries()) {
    const kind = kindOf(m);
    if (!kind || m.result === undefined) continue;
    const r = kind.schema.safeParse(m.result);
    if (!r.success) throw new UserError(`${source}: the ${m.scenario} result of ${m.target} does not match its scenario's schema: ${describeZodIssues(r.error, `measurements.${i}.result`)}.`, 'It was written by another version of the harness; re-run the benchmark with this one.');
    m.result = r.data;
  }
  results.state = effectiveState(results);
  return results;
}

export function readResults(file: string): RunResults {
  let raw: unknown;
  try {
    raw = JSON.parse(fs.readFileSync(file, 'utf8'));
  } catch (error) {
    const why = error instanceof SyntaxError ? `it is not valid JSON (${error.message})` : (error as Error).message;
    throw new UserError(`Cannot read ${file}: ${why}.`, 'Check the path; a file cut off by a full disk cannot be repaired, re-run the benchmark.');
  }
  return parseResults(raw, file);
}
