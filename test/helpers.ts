// Helpers shared by the integration tests.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { execa, type Options } from 'execa';
import type { HttpResult, HttpTrial } from '../harness/http/schema.ts';
import { findEngine, type Engine } from '../harness/docker/engine.ts';
import { readResults } from '../harness/results/store.ts';
import { PROJECT_ROOT } from '../harness/targets.ts';
import type { Measurement, RunResults } from '../harness/types.ts';

export const FIXTURE_TARGETS = path.join(PROJECT_ROOT, 'test/fixtures/targets');

/** Pids of live processes whose working directory is inside `dir` (targets run in their folder). */
export function processesUnder(dir: string): number[] {
  const out: number[] = [];
  for (const name of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const cwd = fs.readlinkSync(`/proc/${name}/cwd`);
      const state = fs.readFileSync(`/proc/${name}/stat`, 'utf8').replace(/^.*\) /, '')[0];
      if ((cwd === dir || cwd.startsWith(dir + '/')) && state !== 'Z') out.push(Number(name));
    } catch {
      // gone, or not ours to read
    }
  }
  return out;
}

export async function waitFor(predicate: () => boolean, timeoutMs: number, intervalMs = 100): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (predicate()) return true;
    await sleep(intervalMs);
  }
  return predicate();
}

/** The CLI as a user runs it (node --import tsx harness/cli.ts ...), never rejecting. */
export function bench(args: string[], options: Options = {}) {
  return execa(process.execPath, ['--import', 'tsx', path.join(PROJECT_ROOT, 'harness/cli.ts'), ...args], {
    cwd: PROJECT_ROOT,
    reject: false,
    stdin: 'ignore',
    ...options,
    env: { ...options.env },
  });
}

/** Writes `r` as <dir>/<runId>/results.json, as a run would leave it; returns that folder. */
export function writeRunDir(dir: string, r: RunResults): string {
  const d = path.join(dir, r.runId);
  fs.mkdirSync(d);
  fs.writeFileSync(path.join(d, 'results.json'), JSON.stringify(r));
  return d;
}

/** A run's results.json, read and validated as `chart` and `compare` read it. */
export function readRun(dir: string): RunResults {
  return readResults(path.join(dir, 'results.json'));
}

/** The HTTP trials of a measurement (json and the other HTTP scenarios). */
export function httpTrials(m: Measurement | undefined): HttpTrial[] {
  return (m?.result as HttpResult | undefined)?.trials ?? [];
}

export const FIXTURE_SCENARIOS = path.join(PROJECT_ROOT, 'test/fixtures/services/scenarios.ts');

/** Folders the local runtime made for services (under the system temp folder), still there. */
export function serviceDirs(service: string): string[] {
  return fs.readdirSync(os.tmpdir()).filter((d) => d.startsWith(`bench-${service}-`));
}

/** Pids of live processes whose command line contains `text`. */
export function processesRunning(text: string): number[] {
  const out: number[] = [];
  for (const name of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(name) || Number(name) === process.pid) continue;
    try {
      const cmdline = fs.readFileSync(`/proc/${name}/cmdline`, 'utf8');
      const state = fs.readFileSync(`/proc/${name}/stat`, 'utf8').replace(/^.*\) /, '')[0];
      if (cmdline.includes(text) && state !== 'Z') out.push(Number(name));
    } catch {
      // gone
    }
  }
  return out;
}

/** The container engine for the docker tests; without one they fail, saying how to get one. */
export async function requireEngine(): Promise<Engine> {
  const found = await findEngine();
  if (!found) throw new Error('No container engine answered. Install and start one: `bash docker/setup-podman.sh` (Podman, as .ci/run does), or start Docker.');
  return found;
}
