// The startup decomposition in containers, checked by its structure rather than by timings: a
// fixture whose start is delayed by a known D before it listens (FIXTURE_START_DELAY_MS) must show
// that delay in the application's share and not in the engine's. Starts with and without the delay
// alternate, so that the machine's drift falls on both; the margins are wide (0.6-1.6 D).
import path from 'node:path';
import { median } from 'simple-statistics';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DockerRuntime } from '../../harness/runtime/docker.ts';
import { loadTarget } from '../../harness/targets.ts';
import { FIXTURE_TARGETS, requireEngine } from '../helpers.ts';

const D = 800;
const ROUNDS = 3;
let runtime: DockerRuntime;
const target = loadTarget(path.join(FIXTURE_TARGETS, 'fixture-slow-start'));

beforeAll(async () => {
  runtime = new DockerRuntime(await requireEngine());
  await runtime.prepare(target, () => {});
});

afterAll(async () => {
  await runtime?.shutdown();
});

async function start(delayMs: number) {
  const running = await runtime.start(target, { cpus: [1], readyTimeoutMs: 30_000, readyPath: '/json', pollIntervalMs: 5, env: { FIXTURE_START_DELAY_MS: String(delayMs) } });
  await running.stop();
  return { readyMs: running.readyMs, split: running.startup };
}

describe('startup in containers, decomposed', () => {
  it('puts a delayed start in the application share, not in the engine share', { timeout: 300_000 }, async () => {
    const runs: Record<number, Awaited<ReturnType<typeof start>>[]> = { 0: [], [D]: [] };
    for (let round = 0; round < ROUNDS; round++) for (const delay of round % 2 ? [D, 0] : [0, D]) runs[delay]!.push(await start(delay));

    for (const r of [...runs[0]!, ...runs[D]!]) {
      // Every start is split, the engine's share is real, and the parts add up to the whole.
      expect(r.split).toBeDefined();
      expect(r.split!.engineMs).toBeGreaterThan(0);
      expect(r.split!.engineMs! + r.split!.appMs).toBeCloseTo(r.readyMs, 6);
    }
    const app = (delay: number) => median(runs[delay]!.map((r) => r.split!.appMs));
    const engine = (delay: number) => median(runs[delay]!.map((r) => r.split!.engineMs!));
    console.log(`engine ${engine(0).toFixed(1)} → ${engine(D).toFixed(1)} ms, application ${app(0).toFixed(1)} → ${app(D).toFixed(1)} ms with a ${D} ms delay`);
    expect(app(D) - app(0)).toBeGreaterThanOrEqual(0.6 * D);
    expect(app(D) - app(0)).toBeLessThanOrEqual(1.6 * D);
    expect(engine(D)).toBeLessThan(app(D));
    // The engine does not see the delay: its share moves by far less than D.
    expect(Math.abs(engine(D) - engine(0))).toBeLessThan(0.3 * D);
  });
});
