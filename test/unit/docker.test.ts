import { describe, expect, it } from 'vitest';
import { candidateSockets, dockerFor } from '../../harness/docker/engine.ts';
import { contextFiles, isExcluded } from '../../harness/docker/context.ts';
import fs from 'node:fs';
import os from 'node:os';
import { spawn } from 'node:child_process';
import { demuxBuffer, sampleCgroup, sampleContainerPss } from '../../harness/runtime/docker.ts';
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
