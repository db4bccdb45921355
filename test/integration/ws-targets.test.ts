// The WebSocket endpoints of the real django, node and deno targets, started by the local runtime
// as a run starts them: pinned, with the run's Redis (the machine's redis-server through
// harness/services/redis.ts) and PostgreSQL handed over as REDIS_URL and DATABASE_URL. Each passes
// the WebSocket contract checks (verifyWsEcho, verifyWsBroadcast), keeps serving HTTP (/json, /db)
// while WebSockets are open, may hold thousands of them (its soft open-files limit is its hard
// one), and stops with WebSockets open leaving no process. Django without REDIS_URL refuses
// broadcast clients with 1011 (documented in its target.json) and still echoes; node with two
// workers carries a broadcast across them through Redis. Without redis-server this file fails,
// saying what to install. node-socketio (Socket.IO's protocol) is only started and stopped here.
import fs from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WsClient } from '../../harness/load/ws/client.ts';
import { verifyWsBroadcast, verifyWsEcho } from '../../harness/load/ws/verify.ts';
import { LocalRuntime } from '../../harness/runtime/local.ts';
import { readProcStat } from '../../harness/runtime/process-tree.ts';
import { postgresService } from '../../harness/services/postgres.ts';
import { redisCommand } from '../../harness/services/redis-client.ts';
import { findRedisServer, REDIS_INSTALL, redisService } from '../../harness/services/redis.ts';
import { selectTargets } from '../../harness/versions/select.ts';
import type { CheckResult, RunningService, RunningTarget, Target } from '../../harness/types.ts';
import { processesUnder, waitFor } from '../helpers.ts';

const runtime = new LocalRuntime();
/** A target as a run resolves it: its default version on this runtime (Django 5.2 on a host Python < 3.12), in its own folder. */
const resolved = new Map<string, Target>();
const target = (name: string): Target => resolved.get(name)!;
const ws = (running: RunningTarget, endpoint: string) => `${running.url.replace(/^http/, 'ws')}${endpoint}`;
/** Anything but a pass, with its detail, so that a failure says what went wrong. */
const notPassed = (checks: CheckResult[]) => checks.filter((c) => c.status !== 'pass').map((c) => `${c.name}: ${c.status} ${c.detail}`);

let redis: RunningService;
let postgres: RunningService;

beforeAll(async () => {
  if (!findRedisServer()) throw new Error(`redis-server is not installed, and the local runtime runs the machine's own for the WebSocket targets. Install it: ${REDIS_INSTALL}`);
  // Services on the loader's CPU (0) as a run on 2 cores puts them; targets on CPU 1 (and 0,1 for two workers).
  [redis, postgres] = await Promise.all([
    runtime.startService(redisService, { cpus: [0], readyTimeoutMs: 30_000, log: () => {} }),
    runtime.startService(postgresService, { cpus: [0], readyTimeoutMs: 60_000, log: () => {} }),
  ]);
  // venv + pip, npm ci: skipped when the targets are already prepared (their .prepared.json stamp).
  for (const t of await selectTargets(['django', 'node', 'deno', 'node-socketio'], runtime)) resolved.set(t.decl.name, t);
  for (const name of ['django', 'node', 'deno', 'node-socketio']) await runtime.prepare(target(name), () => {});
}, 600_000);

afterAll(async () => {
  await runtime.shutdown();
});

/** RLIMIT_NOFILE of a process, from /proc/PID/limits. */
function openFilesLimit(pid: number): { soft: number; hard: number } {
  const line = fs.readFileSync(`/proc/${pid}/limits`, 'utf8').split('\n').find((l) => l.startsWith('Max open files'))!;
  const [soft, hard] = line.replace('Max open files', '').trim().split(/\s+/);
  return { soft: Number(soft), hard: Number(hard) };
}

/** The target's processes: those in its folder with its port in their environment (another run
 * may have the same target running on this machine). */
function processesOf(running: RunningTarget): number[] {
  const port = `PORT=${new URL(running.url).port}`;
  return processesUnder(running.target.dir).filter((pid) => {
    try {
      return fs.readFileSync(`/proc/${pid}/environ`, 'utf8').split('\0').includes(port);
    } catch {
      return false; // gone
    }
  });
}

/** How many sockets a process holds open (its WebSocket clients among them). */
const socketCount = (pid: number) => fs.readdirSync(`/proc/${pid}/fd`).filter((fd) => fs.readlinkSync(`/proc/${pid}/fd/${fd}`, { encoding: 'utf8' }).startsWith('socket:')).length;

/** Starts a target with the run's services (or some of them), checks both WebSocket endpoints,
 * HTTP beside open WebSockets, the open-files limit, and a stop with WebSockets open. */
async function exercise(name: string, cpus: number[], env: Record<string, string>, check?: (running: RunningTarget) => Promise<void>): Promise<void> {
  const t = target(name);
  const running = await runtime.start(t, { cpus, env, readyTimeoutMs: 30_000 });
  try {
    expect(notPassed(await verifyWsEcho(ws(running, '/ws/echo'))), `${name}: /ws/echo`).toEqual([]);
    if (env.REDIS_URL || t.decl.websocket?.redis !== 'always') {
      // More clients and senders than the default, so that with several workers every worker has
      // clients and senders.
      expect(notPassed(await verifyWsBroadcast(ws(running, '/ws/broadcast'), { clients: 8, senders: 3, messages: 30 })), `${name}: /ws/broadcast`).toEqual([]);
    }

    // WebSockets held open (some of them mid-conversation) do not disturb HTTP.
    const echo = await Promise.all(Array.from({ length: 4 }, () => WsClient.connect(ws(running, '/ws/echo'))));
    const held = env.REDIS_URL || t.decl.websocket?.redis !== 'always' ? [...echo, ...(await Promise.all(Array.from({ length: 4 }, () => WsClient.connect(ws(running, '/ws/broadcast')))))] : echo;
    try {
      echo.forEach((c, i) => c.sendText(`held ${i}`));
      const json = await fetch(`${running.url}/json`);
      expect(json.status).toBe(200);
      expect(await json.json()).toEqual({ message: 'Hello, World!' });
      const db = await fetch(`${running.url}/db`);
      expect(db.status).toBe(200);
      expect(await db.json()).toEqual({ id: expect.any(Number), randomNumber: expect.any(Number) });
      expect((await fetch(`${running.url}/health`)).status).toBe(200);
      for (const [i, c] of echo.entries()) expect(await c.until(() => c.texts.includes(`held ${i}`), 5000), `${name}: held echo ${i}`).toBe(true);

      await check?.(running);

      // Every process of the target may use as many descriptors as the machine allows it.
      const pids = processesOf(running);
      expect(pids.length).toBeGreaterThan(0);
      for (const pid of pids) {
        const limit = openFilesLimit(pid);
        expect(limit.soft, `${name}: process ${pid}'s soft open-files limit`).toBe(limit.hard);
      }
      expect(held.every((c) => c.open)).toBe(true);

      // A stop with WebSockets open ends every process and every connection.
      await running.stop();
      expect(processesOf(running)).toEqual([]);
      expect(await waitFor(() => held.every((c) => !c.open), 5000, 20), `${name}: connections still open after the stop`).toBe(true);
    } finally {
      for (const c of held) c.destroy();
    }
  } finally {
    await running.stop();
  }
}

const withServices = () => ({ ...redis.env, ...postgres.env });

describe('WebSocket endpoints of the real targets (local runtime)', () => {
  it('django (Channels consumers, channels_redis layer), 1 worker, with the run\'s Redis', { timeout: 60_000 }, async () => {
    await exercise('django', [1], withServices());
  });

  it('django without REDIS_URL: /ws/echo works, /ws/broadcast accepts then closes with 1011 and the reason', { timeout: 60_000 }, async () => {
    await exercise('django', [1], postgres.env, async (running) => {
      const client = await WsClient.connect(ws(running, '/ws/broadcast'));
      try {
        expect(await client.until(() => client.closeFrame !== null, 5000)).toBe(true);
        expect(client.closeFrame).toEqual({ code: 1011, reason: expect.stringContaining('REDIS_URL is not set') });
      } finally {
        client.destroy();
      }
      // As the broadcast checks then see it: a failure, which the scenarios avoid by skipping django without Redis.
      const checks = await verifyWsBroadcast(ws(running, '/ws/broadcast'), { clients: 2, timeoutMs: 1000 });
      expect(checks.some((c) => c.status === 'fail')).toBe(true);
    });
  });

  it('node (ws on node:http), 1 worker, with the run\'s Redis', { timeout: 60_000 }, async () => {
    await exercise('node', [1], withServices());
  });

  it('deno (Deno.upgradeWebSocket), 1 isolate, with the run\'s Redis', { timeout: 60_000 }, async () => {
    await exercise('deno', [1], withServices());
  });

  it('node with 2 workers: a broadcast reaches the clients of both workers through Redis', { timeout: 60_000 }, async () => {
    await exercise('node', [0, 1], withServices(), async (running) => {
      // cluster hands connections to the workers in turn: clients on both, each worker with its own.
      const pids = processesOf(running);
      const workers = pids.filter((pid) => pids.includes(readProcStat(pid)?.ppid ?? -1));
      expect(workers, 'the primary and two workers').toHaveLength(2);
      // Both workers subscribed to the broadcast channel before they listened.
      expect(await redisCommand(redis.endpoint, ['PUBSUB', 'NUMSUB', 'bench:ws:broadcast'])).toEqual(['bench:ws:broadcast', 2]);
      const before = new Map(workers.map((pid) => [pid, socketCount(pid)]));
      const clients = await Promise.all(Array.from({ length: 4 }, () => WsClient.connect(ws(running, '/ws/broadcast'))));
      try {
        expect(workers.filter((pid) => socketCount(pid) > before.get(pid)!), 'the 4 new clients were not spread over both workers').toHaveLength(2);
        // Every client of either worker gets each message once, whoever sent it and wherever.
        const hasProbe = () => clients.every((c) => c.texts.some((m) => m.startsWith('probe')));
        for (let k = 0; !hasProbe() && k < 50; k++) {
          clients[0]!.sendText(`probe ${k}`);
          await waitFor(hasProbe, 100, 10);
        }
        expect(hasProbe()).toBe(true);
        for (const [i, c] of clients.entries()) c.sendText(`from client ${i}`);
        const all = (c: WsClient) => [0, 1, 2, 3].every((i) => c.texts.includes(`from client ${i}`));
        expect(await waitFor(() => clients.every(all), 5000, 10)).toBe(true);
        await waitFor(() => false, 200, 50); // duplicates would have arrived by now
        for (const c of clients) expect(c.texts.filter((m) => m.startsWith('from client')).sort()).toEqual([0, 1, 2, 3].map((i) => `from client ${i}`));
      } finally {
        for (const c of clients) c.destroy();
      }
    });
  });

  // Its WebSocket endpoints speak Socket.IO's protocol, which the WebSocket loader's own tests cover.
  it('node-socketio starts (2 workers, Redis adapter), serves /health and /json, and stops', { timeout: 60_000 }, async () => {
    const running = await runtime.start(target('node-socketio'), { cpus: [0, 1], env: redis.env, readyTimeoutMs: 30_000 });
    try {
      expect(processesOf(running)).toHaveLength(3);
      expect((await fetch(`${running.url}/health`)).status).toBe(200);
      const json = await fetch(`${running.url}/json`);
      expect(json.headers.get('content-type')).toBe('application/json');
      expect(await json.json()).toEqual({ message: 'Hello, World!' });
      // Both workers' Redis adapters are up (each subscribes to its namespaces' channels).
      expect(((await redisCommand(redis.endpoint, ['PUBSUB', 'CHANNELS', 'socket.io*'])) as string[]).length).toBeGreaterThan(0);
    } finally {
      await running.stop();
    }
    expect(processesOf(running)).toEqual([]);
  });
});
