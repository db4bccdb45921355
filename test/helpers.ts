// Helpers shared by the integration tests.
import fs from 'node:fs';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { execa, type Options } from 'execa';
import { PROJECT_ROOT } from '../harness/targets.ts';

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
