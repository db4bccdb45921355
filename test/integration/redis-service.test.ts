// Redis as a service, for real, in both runtimes: a local process from the machine's redis-server
// and a container from Debian's package. Each answers PING, runs the commands the channel layer
// and the adapter use (SET/GET, Lua, sorted sets, PUBLISH/SUBSCRIBE across connections) with the
// one configuration, is measured, and leaves no process, container or data folder behind. Without
// redis-server the local half fails, saying how to install it; the docker half needs a container
// engine and fails, saying what to install, when none answers.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Engine } from '../../harness/docker/engine.ts';
import { labelFilter } from '../../harness/docker/labels.ts';
import { DockerRuntime } from '../../harness/runtime/docker.ts';
import { LocalRuntime } from '../../harness/runtime/local.ts';
import { processTree, readProcStat } from '../../harness/runtime/process-tree.ts';
import { RedisConnection, parseInfo } from '../../harness/services/redis-client.ts';
import { REDIS_CONFIG, REDIS_SETTINGS } from '../../harness/services/redis-config.ts';
import { findRedisServer, localRedis, REDIS_INSTALL, redisService } from '../../harness/services/redis.ts';
import type { RunningService, Runtime } from '../../harness/types.ts';
import { processesRunning, requireEngine, serviceDirs, waitFor } from '../helpers.ts';

const alive = (pid: number) => {
  const stat = readProcStat(pid);
  return stat !== null && stat.state !== 'Z';
};

/** Starts the service, checks it through two clients, stops it with both still connected, and
 * checks that nothing is left. Returns the start and stop times and what the server reported. */
async function exercise(runtime: Runtime, mode: 'process' | 'container'): Promise<{ startMs: number; stopMs: number; serverVersion: string; dir: string; service: RunningService }> {
  const log: string[] = [];
  const t0 = performance.now();
  const service = await runtime.startService(redisService, { cpus: [0], readyTimeoutMs: 30_000, log: (line) => log.push(line) });
  const startMs = performance.now() - t0;
  const { port } = service.endpoint;
  const a = await RedisConnection.open(service.endpoint);
  const b = await RedisConnection.open(service.endpoint);
  try {
    expect(service.info).toMatchObject({ name: 'redis', mode, cpus: [0], config: REDIS_CONFIG });
    expect(service.env).toEqual({ REDIS_URL: `redis://127.0.0.1:${port}/0` });
    expect(await a.command(['PING'])).toBe('PONG');

    // Every listed setting is in force, in both runtimes, and the server runs on its own port.
    for (const { setting, value } of REDIS_SETTINGS) expect(await a.command(['CONFIG', 'GET', setting]), setting).toEqual([setting, value]);
    expect(await a.command(['CONFIG', 'GET', 'port'])).toEqual(['port', String(port)]);
    const [, dir] = (await a.command(['CONFIG', 'GET', 'dir'])) as string[];
    const info = parseInfo((await a.command(['INFO'])) as string);
    expect(info).toMatchObject({ tcp_port: String(port), aof_enabled: '0', rdb_changes_since_last_save: '0' });
    expect(info.config_file).toBe(path.join(dir!, 'redis.conf'));
    expect(await a.command(['DBSIZE'])).toBe(0); // empty: not a system redis with someone's data

    // A write on one connection is read on the other; the channel layer's primitives (channels_redis
    // runs Lua scripts over sorted sets and lists, with expiry) work.
    expect(await a.command(['SET', 'bench:k', 'värde'])).toBe('OK');
    expect(await b.command(['GET', 'bench:k'])).toBe('värde');
    expect(await a.command(['EVAL', "redis.call('ZADD', KEYS[1], 1, ARGV[1]); redis.call('EXPIRE', KEYS[1], 60); return redis.call('ZCARD', KEYS[1])", '1', 'bench:z', 'msg'])).toBe(1);
    expect(await b.command(['BZPOPMIN', 'bench:z', '1'])).toEqual(['bench:z', 'msg', '1']);

    // Pub/sub across connections: the Socket.IO adapter's and the pub/sub channel layer's use.
    expect(await b.command(['SUBSCRIBE', 'bench:room'])).toEqual(['subscribe', 'bench:room', 1]);
    expect(await a.command(['PUBLISH', 'bench:room', 'hello'])).toBe(1);
    expect(await b.next()).toEqual(['message', 'bench:room', 'hello']);

    // stats() measures the server (its process, or its container).
    const before = (await service.stats())!;
    expect(before).not.toBeNull();
    for (let i = 0; i < 5000; i++) await a.command(['SET', `bench:${i % 100}`, String(i)]);
    const after = (await service.stats())!;
    expect(after.cpuSeconds).toBeGreaterThan(before.cpuSeconds);
    expect(after.memoryBytes).toBeGreaterThan(2 ** 20);

    // The server's processes on this machine: Redis retitles itself "redis-server 127.0.0.1:<port>".
    const roots = processesRunning(`127.0.0.1:${port}`);
    expect(roots.length, 'the server process was not found by its port').toBeGreaterThan(0);
    const pids = [...new Set(roots.flatMap((pid) => processTree(pid).map((p) => p.pid)))];

    // Stopped with clients still connected, one of them subscribed: an immediate shutdown.
    const t1 = performance.now();
    await service.stop();
    const stopMs = performance.now() - t1;
    expect(stopMs).toBeLessThan(4500);
    expect(await waitFor(() => pids.every((pid) => !alive(pid)), 5000), `left running: ${pids.filter(alive).join(', ')}`).toBe(true);
    expect(processesRunning(`127.0.0.1:${port}`)).toEqual([]);
    expect(await redisService.ready(service.endpoint)).toBe(false);
    await service.stop(); // idempotent
    return { startMs, stopMs, serverVersion: info.redis_version!, dir: dir!, service };
  } finally {
    a.close();
    b.close();
  }
}

describe('redis service, local runtime', () => {
  const runtime = new LocalRuntime();
  afterAll(() => runtime.shutdown());

  beforeAll(() => {
    // Never skipped: a machine without it cannot run the WebSocket scenarios locally.
    if (!findRedisServer()) throw new Error(`redis-server is not installed, and the local runtime runs the machine's own. Install it: ${REDIS_INSTALL}`);
  });

  it("runs the machine's redis-server, configured, on its own port and folder, and leaves nothing behind", { timeout: 60_000 }, async () => {
    const leftBefore = serviceDirs('redis');
    const r = await exercise(runtime, 'process');
    const installed = await localRedis();
    expect(r.serverVersion).toBe(installed.version);
    expect(r.service.info.version).toBe(r.serverVersion);
    expect(r.service.info.source.startsWith(installed.path)).toBe(true);
    if (process.getuid?.() === 0) expect(r.service.info.source).toMatch(/run as user (redis|nobody)$/);
    // It worked in the runtime's fresh folder under the system temp folder, now removed.
    expect(path.dirname(r.dir)).toBe(os.tmpdir());
    expect(path.basename(r.dir)).toMatch(/^bench-redis-/);
    expect(fs.existsSync(r.dir)).toBe(false);
    expect(serviceDirs('redis')).toEqual(leftBefore);
    console.log(`local redis ${r.serverVersion}: ready in ${r.startMs.toFixed(0)} ms, stopped in ${r.stopMs.toFixed(0)} ms`);
  });
});

describe('redis service, docker runtime', () => {
  let engine: Engine;
  let runtime: DockerRuntime;

  beforeAll(async () => {
    engine = await requireEngine();
    runtime = new DockerRuntime(engine);
  });
  afterAll(() => runtime?.shutdown());

  const serviceContainers = async () =>
    (await engine.docker.listContainers({ all: true, filters: labelFilter() })).filter((c) => c.Labels['bench.target'] === 'service-redis');

  it("runs the same configuration from Debian's package in a container and removes it", { timeout: 900_000 }, async () => {
    // Builds the image (on the Debian base) the first time; then it is cached by its context hash.
    const r = await exercise(runtime, 'container');
    expect(r.serverVersion).toMatch(/^\d+\.\d+\.\d+$/);
    // Recorded as the running server reports it, not as declared.
    expect(r.service.info.version).toBe(r.serverVersion);
    expect(r.service.info.source).toMatch(/^localhost\/bench\/service-redis:\w+ on (local|official) base /);
    expect(r.dir).toMatch(/^\/tmp\/redis\./); // the container's own folder, gone with it
    expect(await serviceContainers()).toEqual([]);
    console.log(`docker redis ${r.serverVersion}: ready in ${r.startMs.toFixed(0)} ms (image cached or built), stopped in ${r.stopMs.toFixed(0)} ms`);
  });
});
