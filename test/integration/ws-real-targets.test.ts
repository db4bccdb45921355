// The WebSocket scenarios, short, on the real targets that serve WebSockets (django with Channels,
// node with ws, node-socketio with Socket.IO's protocol, deno), through the CLI as a user runs
// them, with the run's own Redis: every target is verified, ramps step by step, echoes and
// broadcasts without losing a message, and nothing is left running.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { findRedisServer, REDIS_INSTALL } from '../../harness/services/redis.ts';
import { TARGETS_DIR } from '../../harness/targets.ts';
import type { BroadcastResult } from '../../scenarios/ws-broadcast.ts';
import type { CapacityResult } from '../../scenarios/ws-capacity.ts';
import type { EchoResult } from '../../scenarios/ws-echo.ts';
import { bench, processesRunning, processesUnder, readRun } from '../helpers.ts';

const TARGETS = ['django', 'node', 'node-socketio', 'deno'];

describe('WebSocket scenarios on the real targets', () => {
  it('verifies, ramps, echoes and broadcasts on django, node, node-socketio and deno, and leaves nothing behind', { timeout: 900_000 }, async () => {
    if (!findRedisServer()) throw new Error(`redis-server is not installed; Django Channels' broadcast needs it. Install it: ${REDIS_INSTALL}`);
    const out = fs.mkdtempSync(path.join(os.tmpdir(), 'bench-ws-real-'));
    const r = await bench(['run', '--targets', TARGETS.join(','), '--scenarios', 'ws-capacity,ws-echo,ws-broadcast', '--ws-step', '100', '--ws-ceiling', '200', '--trials', '1', '--out', out]);
    const results = readRun(out);
    const failures = results.measurements.filter((m) => m.status !== 'ok').map((m) => `${m.scenario}/${m.target}: ${m.status} ${m.error ?? ''}\n${(m.logTail ?? []).join('\n')}`);
    expect(failures, failures.join('\n\n')).toEqual([]);
    expect(r.exitCode, String(r.stderr).slice(-3000)).toBe(0);
    const of = (scenario: string, target: string) => results.measurements.find((m) => m.scenario === scenario && m.target === target)!;
    for (const target of TARGETS) {
      for (const scenario of ['ws-capacity', 'ws-echo', 'ws-broadcast']) {
        expect(of(scenario, target).checks.filter((c) => c.status === 'fail'), `${scenario}/${target}`).toEqual([]);
      }
      const cap = of('ws-capacity', target).result as CapacityResult;
      expect(cap.protocol).toBe(target === 'node-socketio' ? 'socket.io' : 'websocket');
      expect(cap.ramps[0]!.steps.map((s) => s.connected)).toEqual([100, 200]);
      expect(cap.ramps[0]!.steps.every((s) => s.rttLost === 0 && s.memoryBytes! > 0)).toBe(true);
      const echo = (of('ws-echo', target).result as EchoResult).trials[0]!;
      expect(echo.sent).toBeGreaterThan(0);
      expect(echo).toMatchObject({ received: echo.sent, lost: 0, outOfOrder: 0, misrouted: 0 });
      const b = (of('ws-broadcast', target).result as BroadcastResult).trials[0]!;
      expect(b.rounds).toBeGreaterThan(0);
      expect(b).toMatchObject({ missing: 0, deliveries: b.expectedDeliveries });
    }
    // Channels' broadcast went through Redis; one-worker Node and Deno needed no layer.
    expect((of('ws-broadcast', 'django').result as BroadcastResult).carriedBy).toMatch(/^Redis: /);
    expect((of('ws-broadcast', 'node').result as BroadcastResult).carriedBy).toMatch(/one worker's own clients/);
    // Targets that serve no WebSockets are not in this run; the versions name the libraries.
    expect(results.targets['node-socketio']!.versions).toMatchObject({ 'socket.io': expect.stringMatching(/^4\./) });
    expect(processesUnder(TARGETS_DIR)).toEqual([]);
    expect(processesRunning('harness/load/ws/worker.ts')).toEqual([]);
  });
});
