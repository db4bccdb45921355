import { describe, expect, it } from 'vitest';
import type Docker from 'dockerode';
import { candidateSockets, dockerFor } from '../../harness/docker/engine.ts';
import { contextFiles, isExcluded } from '../../harness/docker/context.ts';
import fs from 'node:fs';
import os from 'node:os';
import { spawn } from 'node:child_process';
import { createOptions, demuxBuffer, ENGINE_FAILED_FIX, sampleCgroup, sampleContainerPss, startContainer } from '../../harness/docker/container.ts';
import type { Engine } from '../../harness/docker/engine.ts';
import { UserError } from '../../harness/errors.ts';
import { checkTrue, httpOk, notReadyReason } from '../../harness/runtime/readiness.ts';
import { processTree, readPss } from '../../harness/runtime/process-tree.ts';
import { waitFor } from '../helpers.ts';
import path from 'node:path';
import { TARGETS_DIR } from '../../harness/targets.ts';

describe('engine discovery', () => {
  it('tries DOCKER_HOST, then Docker, then Podman rootful and rootless, in that order', () => {
    const all = () => true;
    expect(candidateSockets({ DOCKER_HOST: 'tcp://10.0.0.1:2375', XDG_RUNTIME_DIR: '/run/user/1000' }, 1000, all).map((c) => c.socket)).toEqual([
      'tcp://10.0.0.1:2375',
      'unix:///var/run/docker.sock',
      'unix:///run/podman/podman.sock',
      'unix:///run/user/1000/podman/podman.sock',
    ]);
  });

  it('skips sockets that do not exist', () => {
    const only = (p: string) => p === '/run/podman/podman.sock';
    expect(candidateSockets({}, 0, only)).toEqual([{ socket: 'unix:///run/podman/podman.sock', why: "Podman's rootful socket" }]);
    expect(candidateSockets({}, 0, () => false)).toEqual([]);
  });

  it('makes clients for unix and tcp addresses', () => {
    expect((dockerFor('unix:///run/x.sock').modem as unknown as { socketPath: string }).socketPath).toBe('/run/x.sock');
    const tcp = dockerFor('tcp://127.0.0.1:2375').modem as unknown as { host: string; port: number };
    expect([tcp.host, Number(tcp.port)]).toEqual(['127.0.0.1', 2375]);
  });
});

describe('container figures', () => {
  it("reads a container's working set and CPU from its cgroup files, not from the engine's API", () => {
    const root = fs.mkdtempSync(path.join(os.tmpdir(), 'bench-cg-'));
    const memory = path.join(root, 'memory/libpod_parent/libpod-x');
    const cpuacct = path.join(root, 'cpuacct/libpod_parent/libpod-x');
    fs.mkdirSync(memory, { recursive: true });
    fs.mkdirSync(cpuacct, { recursive: true });
    fs.writeFileSync(path.join(memory, 'memory.usage_in_bytes'), '105160704\n');
    fs.writeFileSync(path.join(memory, 'memory.stat'), 'cache 1\nrss 2\ntotal_cache 20975616\ntotal_rss 82518016\ntotal_inactive_file 20971520\n');
    fs.writeFileSync(path.join(cpuacct, 'cpuacct.usage'), '244600000\n');
    const s = sampleCgroup({ version: 1, memory, cpuacct })!;
    // The working set leaves out the inactive page cache (a 20 MiB file written to /tmp, here).
    expect(s).toMatchObject({ memoryBytes: 105160704 - 20971520, rssBytes: 105160704, cpuSeconds: 0.2446 });
    expect(sampleCgroup({ version: 1, memory: path.join(root, 'gone'), cpuacct })).toBeNull();
  });

  it("reads a container's PSS from its process tree on the host, and its CPU from its cgroup", async () => {
    const root = fs.mkdtempSync(path.join(os.tmpdir(), 'bench-cg-'));
    const cpuacct = path.join(root, 'cpuacct/libpod_parent/libpod-x');
    fs.mkdirSync(cpuacct, { recursive: true });
    fs.writeFileSync(path.join(cpuacct, 'cpuacct.usage'), '244600000\n');
    // A parent with a child, as a container's main process with a worker.
    const child = spawn('sh', ['-c', 'sleep 30 & wait'], { stdio: 'ignore' });
    try {
      expect(await waitFor(() => processTree(child.pid!).length === 2, 5000)).toBe(true);
      const paths = { version: 1 as const, memory: path.join(root, 'memory-unused'), cpuacct };
      const s = sampleContainerPss(child.pid!, paths)!;
      const direct = processTree(child.pid!).reduce((sum, p) => sum + readPss(p.pid)!, 0);
      expect(s.cpuSeconds).toBe(0.2446);
      // The tree's PSS, both processes (within a page or two of a second reading).
      expect(Math.abs(s.memoryBytes - direct)).toBeLessThan(64 * 1024);
      expect(s.memoryBytes).toBeGreaterThan(readPss(child.pid!)!);
      expect(sampleContainerPss(child.pid!, { ...paths, cpuacct: path.join(root, 'gone') })).toBeNull();
    } finally {
      child.kill('SIGKILL');
    }
  });

  it('demultiplexes docker log frames', () => {
    const frame = (stream: number, text: string) => Buffer.concat([Buffer.from([stream, 0, 0, 0, 0, 0, 0, Buffer.byteLength(text)]), Buffer.from(text)]);
    expect(demuxBuffer(Buffer.concat([frame(1, '{"a":'), frame(2, 'warn\n'), frame(1, '1}')]))).toBe('{"a":warn\n1}');
    expect(demuxBuffer(Buffer.from('plain text'))).toBe('plain text');
  });
});

describe('build contexts', () => {
  it('leave out what the local runtime installed', () => {
    expect(isExcluded('.venv/bin/python')).toBe(true);
    expect(isExcluded('node_modules/express/index.js')).toBe(true);
    expect(isExcluded('world/__pycache__/views.cpython-311.pyc')).toBe(true);
    expect(isExcluded('world/views.py')).toBe(false);
    const files = contextFiles(path.join(TARGETS_DIR, 'django'));
    expect(files).toContain('world/views.py');
    expect(files.some((f) => f.startsWith('.venv'))).toBe(false);
  });
});

/** An engine whose containers only record what is asked of them (a tcp socket: no reaper sidecar). */
function fakeEngine(o: { failStart?: boolean; logLines?: string[] } = {}) {
  const calls: string[] = [];
  let created: Docker.ContainerCreateOptions | undefined;
  const frame = (text: string) => Buffer.concat([Buffer.from([1, 0, 0, 0, 0, 0, 0, Buffer.byteLength(text)]), Buffer.from(text)]);
  let removed = false;
  const container = {
    id: 'c0ffee000000',
    start: async () => {
      calls.push('start');
      if (o.failStart) throw new Error('write child: broken pipe');
    },
    // Pid 0: no process on the host, so the exit watch asks the engine; still running.
    inspect: async () => ({ State: { Pid: 0, Running: true, StartedAt: '2026-01-01T00:00:00.000000000Z' } }),
    logs: async ({ tail }: { tail: number }) => {
      calls.push(`logs ${tail}`);
      if (removed) throw new Error('no such container');
      return frame((o.logLines ?? []).map((l) => `${l}\n`).join(''));
    },
    stop: async (s: { t: number }) => void calls.push(`stop t=${s.t}`),
    remove: async (r: object) => {
      removed = true;
      calls.push(`remove ${JSON.stringify(r)}`);
    },
  };
  const engine = {
    name: 'fake',
    socket: 'tcp://127.0.0.1:1',
    docker: {
      createContainer: async (options: Docker.ContainerCreateOptions) => {
        created = options;
        calls.push('create');
        return container;
      },
    },
  } as unknown as Engine;
  return { engine, calls, created: () => created };
}

describe('container lifecycle', () => {
  it('labels every container and runs it on the host network, pinned and limited as asked', () => {
    const options = createOptions({ image: 'img', label: 'node', env: { PORT: '8080' }, cpus: [2, 3], memoryBytes: 2 ** 30, ulimits: [{ Name: 'nofile', Soft: 1000, Hard: 1000 }] });
    expect(options).toEqual({
      Image: 'img',
      Env: ['PORT=8080'],
      Labels: { 'bench.harness': 'django-vs-node', 'bench.kind': 'container', 'bench.target': 'node' },
      HostConfig: { NetworkMode: 'host', CpusetCpus: '2,3', Memory: 2 ** 30, Ulimits: [{ Name: 'nofile', Soft: 1000, Hard: 1000 }] },
    });
    // A probe: its own command, no pinning, no limits (an empty list is the engine's own).
    expect(createOptions({ image: 'img', label: 'probe', entrypoint: ['cat'], cmd: ['/proc/self/limits'], ulimits: [] })).toEqual({
      Image: 'img',
      Entrypoint: ['cat'],
      Cmd: ['/proc/self/limits'],
      Labels: { 'bench.harness': 'django-vs-node', 'bench.kind': 'container', 'bench.target': 'probe' },
      HostConfig: { NetworkMode: 'host' },
    });
  });

  it('stops and removes a container once, however often stop() is called, keeping its log', async () => {
    const f = fakeEngine({ logLines: ['listening'] });
    const c = await startContainer(f.engine, { image: 'img', label: 'node' }, { what: 'target "node"' });
    expect(c.startedAt).toBe('2026-01-01T00:00:00.000000000Z');
    expect(await c.logTail(5)).toEqual(['listening']);
    await Promise.all([c.stop(), c.stop()]);
    await c.stop();
    expect(f.calls).toEqual(['create', 'start', 'logs 5', 'stop t=5', 'logs 10000', 'remove {"force":true,"v":true}']);
  });

  it('removes a container the engine could not start, and says what to check', async () => {
    const f = fakeEngine({ failStart: true });
    const error = (await startContainer(f.engine, { image: 'img', label: 'node' }, { what: 'target "node"' }).catch((e: unknown) => e)) as UserError;
    expect(error).toBeInstanceOf(UserError);
    expect(error.message).toBe('Container of target "node" did not start: write child: broken pipe.');
    expect(error.fix).toBe(ENGINE_FAILED_FIX);
    expect(f.calls.at(-1)).toBe('remove {"force":true,"v":true}');
  });

  it('reads the last log lines of a container that never got ready before removing it', async () => {
    const f = fakeEngine({ logLines: ['booting', 'FATAL: no database'] });
    const c = await startContainer(f.engine, { image: 'img', label: 'service-db' }, { what: 'service db' });
    const error = (await c.waitReady(checkTrue(async () => false, { timeoutMs: 100, intervalMs: 20 }), 'Service db', 'Read its log lines below.').catch((e: unknown) => e)) as UserError;
    expect(error).toBeInstanceOf(UserError);
    expect(error.message).toBe('Service db was not ready within 0.1 s.');
    expect(error.logTail).toEqual(['booting', 'FATAL: no database']);
    expect(f.calls.slice(-4)).toEqual(['logs 30', 'stop t=5', 'logs 10000', 'remove {"force":true,"v":true}']);
  });
});

describe('readiness', () => {
  it('says why a start failed: the exit, or what never answered in time', () => {
    const http = httpOk('http://127.0.0.1:1', { timeoutMs: 1500, intervalMs: 25 });
    expect(notReadyReason(http, { ok: false, exit: { code: 3, signal: null } })).toBe('exited during start (exit code 3)');
    expect(notReadyReason(http, { ok: false, exit: { code: null, signal: 'spawn ENOENT' } })).toBe('exited during start (signal/error spawn ENOENT)');
    expect(notReadyReason(http, { ok: false, lastError: 'HTTP 503' })).toBe('was not ready within 1.5 s (GET /health never answered 200; last error: HTTP 503)');
    expect(notReadyReason(checkTrue(async () => true, { timeoutMs: 60_000, intervalMs: 100 }), { ok: false })).toBe('was not ready within 60 s');
  });
});
