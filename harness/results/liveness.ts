// A results.json left in state 'running' by a harness that no longer exists (SIGKILL, OOM, power
// loss) is a killed run. Its writer is recorded (pid and host); on the same host a pid that is
// gone, or that now belongs to another program, means the run was killed.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { RunResults } from '../types.ts';
import { RESULTS_FILE, writeFileAtomic } from './files.ts';

export function harnessAlive(harness: RunResults['harness']): boolean | null {
  if (!harness || harness.hostname !== os.hostname()) return null; // cannot tell from here
  try {
    return fs.readFileSync(`/proc/${harness.pid}/cmdline`, 'utf8').includes('cli.ts');
  } catch {
    return false;
  }
}

/** The state a reader should see: 'killed' for a run whose harness died while it was running. */
export function effectiveState(results: Pick<RunResults, 'state' | 'harness'>): RunResults['state'] {
  return results.state === 'running' && harnessAlive(results.harness) === false ? 'killed' : results.state;
}

/** Marks every run under `root` that was left 'running' by a dead harness as 'killed', in its file. Returns their folders. */
export function markKilledRuns(root: string): string[] {
  const marked: string[] = [];
  if (!fs.existsSync(root)) return marked;
  for (const entry of fs.readdirSync(root, { withFileTypes: true })) {
    if (!entry.isDirectory()) continue;
    const file = path.join(root, entry.name, RESULTS_FILE);
    try {
      const raw = JSON.parse(fs.readFileSync(file, 'utf8')) as Pick<RunResults, 'state' | 'harness'>;
      if (effectiveState(raw) !== 'killed') continue;
      writeFileAtomic(file, JSON.stringify({ ...raw, state: 'killed' }, null, 2) + '\n');
      marked.push(path.join(root, entry.name));
    } catch {
      // not a results folder, or unreadable: not ours to change
    }
  }
  return marked;
}
