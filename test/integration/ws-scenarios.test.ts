// The WebSocket scenarios (ws-capacity, ws-echo, ws-broadcast) through the CLI as a user runs them,
// on fixture targets (test/fixtures/targets/fixture-ws*, `ws` on the host's Node) with the run's own
// Redis: the capacity ramp goes step by step to the ceiling and reads the target's memory at each
// step; echo and broadcast count every message; a target whose echo drops messages is invalid and
// not measured; a target whose broadcast needs Redis is skipped, with the reason, when no Redis can
// be had; Ctrl-C in the middle of a ramp leaves no loader worker, target or Redis behind.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it, onTestFinished } from 'vitest';
import { findRedisServer, REDIS_INSTALL } from '../../harness/services/redis.ts';
import { bench, FIXTURE_TARGETS, processesRunning, processesUnder, readRun, serviceDirs, waitFor } from '../helpers.ts';
import type { CapacityResult } from '../../scenarios/ws-capacity.ts';
import type { EchoResult } from '../../scenarios/ws-echo.ts';
import type { BroadcastResult } from '../../scenarios/ws-broadcast.ts';

const env = { BENCH_TARGETS_DIR: FIXTURE_TARGETS };
const tmp = () => fs.mkdtempSync(path.join(os.tmpdir(), 'bench-ws-'));
const WORKER = 'harness/load/ws/worker.ts';

function requireRedis(): void {
  if (!findRedisServer()) throw new Error(`redis-server is not installed; the WebSocket broadcast scenario runs the machine's own in the local runtime. Install it: ${REDIS_INSTALL}`);
}

/** redis-server processes of the harness: any but a system one that the package may run on 6379 (Redis sets its title to "redis-server HOST:PORT"). */
function harnessRedis(): number[] {
  return processesRunning('redis-server').filter((pid) => {
    try {
      return !fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes(':6379');
    } catch {
      return false;
    }
  });
}

function nothingLeft(): void {
  expect(processesUnder(FIXTURE_TARGETS)).toEqual([]);
  expect(processesRunning(WORKER)).toEqual([]);
  expect(harnessRedis()).toEqual([]);
  expect(serviceDirs('redis')).toEqual([]);
}

const wsRun = (out: string, extra: string[] = [], extraEnv: Record<string, string> = {}) => {
  const child = bench(['run', '--targets', 'fixture-ws,fixture-ws-layer', '--scenarios', 'ws-capacity,ws-echo,ws-broadcast', '--ws-step', '20', '--ws-ceiling', '60', '--trials', '2', '--out', out, ...extra], { env: { ...env, ...extraEnv } });
  onTestFinished(() => void child.kill('SIGKILL'));
  return child;
};

describe('WebSocket scenarios through the CLI', () => {
  it('ramps to the ceiling reading memory at each step, counts every echo and every delivery, reports each, and leaves nothing behind', { timeout: 120_000 }, async () => {
    requireRedis();
    const out = tmp();
    const r = await wsRun(out);
    expect(r.exitCode, String(r.stderr)).toBe(0);
    const results = readRun(out);
    // The scenarios' shared option, as the flags set it, recorded in the run's load.
    expect(results.load?.ws).toMatchObject({ step: 20, ceiling: 60 });
    const of = <R>(scenario: string, target: string) => {
      const m = results.measurements.find((x) => x.scenario === scenario && x.target === target)!;
      expect(m.status, `${scenario}/${target}: ${m.error}`).toBe('ok');
      return m.result as R;
    };
    for (const target of ['fixture-ws', 'fixture-ws-layer']) {
      const cap = of<CapacityResult>('ws-capacity', target);
      expect(cap.ramps).toHaveLength(1);
      const ramp = cap.ramps[0]!;
      expect(ramp.steps.map((s) => s.connected)).toEqual([20, 40, 60]);
      expect(ramp.stopReason).toBe('ceiling');
      // The target held every step, so 60 is what it held at least, not its limit.
      expect(ramp).toMatchObject({ maxClientsWithinLimits: 60, lowerBound: true });
      for (const s of ramp.steps) expect(s.memoryBytes).toBeGreaterThan(0);
      expect(ramp.steps.every((s) => s.rttSent > 0 && s.rttLost === 0)).toBe(true);

      const echo = of<EchoResult>('ws-echo', target);
      expect(echo.trials).toHaveLength(2);
      for (const t of echo.trials) {
        expect(t.sent).toBeGreaterThan(0);
        expect(t).toMatchObject({ received: t.sent, lost: 0, outOfOrder: 0, misrouted: 0, clients: echo.clients });
      }

      const b = of<BroadcastResult>('ws-broadcast', target);
      expect(b.trials).toHaveLength(2);
      for (const t of b.trials) {
        expect(t.rounds).toBeGreaterThan(0);
        expect(t).toMatchObject({ missing: 0, deliveries: t.expectedDeliveries });
      }
    }
    // The report says what carried each broadcast: Redis for the one that needs it.
    expect(of<BroadcastResult>('ws-broadcast', 'fixture-ws-layer').carriedBy).toMatch(/^Redis/);
    expect(of<BroadcastResult>('ws-broadcast', 'fixture-ws').carriedBy).toMatch(/one worker's own clients/);
    expect(results.services.map((s) => s.name)).toEqual(['redis']);
    const report = fs.readFileSync(path.join(out, 'report.md'), 'utf8');
    for (const heading of ['## Scenario `ws-capacity`', '## Scenario `ws-echo`', '## Scenario `ws-broadcast`']) expect(report).toContain(heading);
    expect(report).toContain('**The 1M figure is an extrapolation**');
    for (const chart of ['ws-capacity', 'ws-memory', 'ws-echo', 'ws-broadcast']) expect(fs.existsSync(path.join(out, 'charts', `${chart}.svg`)), chart).toBe(true);
    nothingLeft();
  });

  it('marks a target whose echo drops every tenth message invalid, and does not measure it', { timeout: 60_000 }, async () => {
    const out = tmp();
    const r = await bench(['run', '--targets', 'fixture-ws', '--scenarios', 'ws-echo', '--trials', '1', '--out', out], { env: { ...env, FIXTURE_WS_FAULT: 'drop-every-10th' } });
    expect(r.exitCode).toBe(1);
    const m = readRun(out).measurements.find((x) => x.scenario === 'ws-echo')!;
    expect(m.status).toBe('invalid');
    expect(m.checks.find((c) => c.name === 'ws-echo-order')).toMatchObject({ status: 'fail', detail: expect.stringMatching(/missing/) });
    expect(m.result).toBeUndefined();
    nothingLeft();
  });

  it('skips, with the reason, the broadcast of a target that needs Redis when no Redis can be had, and measures the others', { timeout: 60_000 }, async () => {
    const out = tmp();
    const r = await bench(['run', '--targets', 'fixture-ws,fixture-ws-layer', '--scenarios', 'ws-broadcast', '--trials', '1', '--out', out], { env: { ...env, BENCH_REDIS_SERVER: '/nonexistent/redis-server' } });
    expect(r.exitCode, String(r.stderr)).toBe(0);
    const results = readRun(out);
    const layer = results.measurements.find((x) => x.target === 'fixture-ws-layer')!;
    expect(layer).toMatchObject({ status: 'skipped', error: expect.stringMatching(/needs the redis service here, which could not be started: .*redis-server/) });
    expect(results.measurements.find((x) => x.target === 'fixture-ws')!.status).toBe('ok');
    expect(fs.readFileSync(path.join(out, 'report.md'), 'utf8')).toMatch(/fixture-ws-layer.*skipped.*needs the redis service/);
    nothingLeft();
  });

  it('on Ctrl-C in the middle of a capacity ramp leaves no loader worker, target or Redis, and marks the ramp interrupted', { timeout: 90_000 }, async () => {
    requireRedis();
    const out = tmp();
    // Broadcast first, so that Redis is up during the ramp; steps of 20 to 100,000, so the ramp is
    // certain to be under way when the signal comes (its first step already saved).
    const child = wsRun(out, ['--ws-ceiling', '100000', '--scenarios', 'ws-broadcast,ws-capacity']);
    const file = path.join(out, 'results.json');
    const ramping = () => processesRunning(WORKER).length > 0 && fs.existsSync(file) && fs.readFileSync(file, 'utf8').includes('"stopReason": "caller"');
    expect(await waitFor(ramping, 60_000)).toBe(true);
    expect(harnessRedis()).toHaveLength(1);
    child.kill('SIGINT');
    expect((await child).exitCode).toBe(130);
    nothingLeft();
    const cap = readRun(out).measurements.filter((m) => m.scenario === 'ws-capacity');
    expect(cap).toHaveLength(2);
    for (const m of cap) expect(m).toMatchObject({ status: 'failed', complete: false, error: expect.stringMatching(/interrupted/) });
    // The steps the interrupted ramp reached are kept, marked as a ramp still under way.
    const kept = cap.flatMap((m) => (m.result as CapacityResult | undefined)?.ramps ?? []);
    expect(kept.some((x) => x.stopReason === 'caller' && x.lowerBound && x.steps.length > 0)).toBe(true);
  });
});
