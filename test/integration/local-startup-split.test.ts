// The startup figure of the local runtime: spawn to the first 200 is all the application's (no
// engine), so a start delayed by a known D before listen (FIXTURE_START_DELAY_MS) grows it by D.
import path from 'node:path';
import { median } from 'simple-statistics';
import { afterAll, describe, expect, it } from 'vitest';
import { LocalRuntime } from '../../harness/runtime/local.ts';
import { loadTarget } from '../../harness/targets.ts';
import { FIXTURE_TARGETS } from '../helpers.ts';

const D = 800;
const runtime = new LocalRuntime();
const target = loadTarget(path.join(FIXTURE_TARGETS, 'fixture-slow-start'));

afterAll(async () => {
  await runtime.shutdown();
});

async function start(delayMs: number) {
  const running = await runtime.start(target, { cpus: [1], readyTimeoutMs: 10_000, readyPath: '/json', pollIntervalMs: 5, env: { FIXTURE_START_DELAY_MS: String(delayMs) } });
  await running.stop();
  return running;
}

describe('startup locally', () => {
  it('is the application start alone, spawn to the first 200, and it carries a delayed start', async () => {
    const runs: Record<number, Awaited<ReturnType<typeof start>>[]> = { 0: [], [D]: [] };
    for (let round = 0; round < 3; round++) for (const delay of round % 2 ? [D, 0] : [0, D]) runs[delay]!.push(await start(delay));
    for (const r of [...runs[0]!, ...runs[D]!]) expect(r.startup).toEqual({ engineMs: null, appMs: r.readyMs });
    const app = (delay: number) => median(runs[delay]!.map((r) => r.startup!.appMs));
    expect(app(D) - app(0)).toBeGreaterThanOrEqual(0.6 * D);
    expect(app(D) - app(0)).toBeLessThanOrEqual(1.6 * D);
  });
});
