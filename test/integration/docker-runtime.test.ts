// The docker runtime for real, through whatever engine answers (Podman here, set up by .ci/run):
// build the django and node images, run them, check /json and the database endpoints against a
// PostgreSQL container, measure image size and startup,
// clean up, and survive a harness killed outright.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { beforeAll, describe, expect, it, onTestFinished } from 'vitest';
import type { Engine } from '../../harness/docker/engine.ts';
import { isKind, labelFilter } from '../../harness/docker/labels.ts';
import type { ImageResult } from '../../scenarios/image-size.ts';
import type { MemoryResult } from '../../scenarios/memory.ts';
import type { StartupResult } from '../../scenarios/startup.ts';
import { bench, httpTrials, readRun, requireEngine, waitFor } from '../helpers.ts';

let engine: Engine;

beforeAll(async () => {
  engine = await requireEngine();
});

const harnessContainers = async () => (await engine.docker.listContainers({ all: true, filters: labelFilter() })).filter((c) => isKind(c.Labels, 'container')).length;
const harnessImages = async (kind: 'base' | 'target') => (await engine.docker.listImages({ all: true, filters: labelFilter() })).filter((i) => isKind(i.Labels, kind));

describe('docker runtime', () => {
  it('builds, runs and measures django and node, then cleans up', { timeout: 1_200_000 }, async () => {
    const out = fs.mkdtempSync(path.join(os.tmpdir(), 'bench-docker-'));
    const r = await bench(['run', '--runtime', 'docker', '--targets', 'django,node', '--scenarios', 'json,db,updates,image-size,startup,memory', '--connections', '16', '--trials', '1', '--max-rounds', '3', '--duration', '2', '--warmup', '0', '--out', out]);
    const results = readRun(out);
    const problems = results.measurements.filter((m) => m.status !== 'ok').map((m) => `${m.target}/${m.scenario}: ${m.status} ${m.error ?? ''}\n${(m.logTail ?? []).join('\n')}`);
    expect(problems, problems.join('\n\n')).toEqual([]);
    expect(r.exitCode, String(r.stderr).slice(-3000)).toBe(0);
    expect(results.runtime).toBe('docker');
    expect(results.environment.engine?.name).toBe(engine.name);

    for (const target of ['django', 'node']) {
      const get = (scenario: string) => results.measurements.find((m) => m.target === target && m.scenario === scenario)!;
      // The database scenarios against the PostgreSQL container, contract checks included.
      for (const scenario of ['db', 'updates']) {
        const [dbTrial] = httpTrials(get(scenario));
        expect(get(scenario).checks.filter((c) => c.name === 'query-count')).toMatchObject([{ status: 'pass' }]);
        expect(dbTrial!.rps).toBeGreaterThan(0);
        expect(dbTrial!.errors + dbTrial!.non2xx + dbTrial!.timeouts).toBe(0);
        expect(dbTrial!.services?.[0]?.cpuPct).toBeGreaterThan(0);
      }
      const [trial] = httpTrials(get('json'));
      expect(trial!.rps).toBeGreaterThan(0);
      expect(trial!.errors).toBe(0);
      // Memory from the container's processes, CPU from its cgroup.
      expect(trial!.target.memoryBytesPeak).toBeGreaterThan(2 ** 20);
      expect(trial!.target.cpuPct).toBeGreaterThan(10);
      const memory = get('memory').result as MemoryResult;
      // The same figure as the local runtime's: PSS of the container's processes, read from the host.
      expect(memory.memoryLabel).toMatch(/^PSS summed over the container's process tree/);
      expect(memory.cycles[0]!.idleBytes).toBeGreaterThan(2 ** 20);
      // The runtime's own binary is counted (a cgroup v1 working set left it out: node read 18.8 MiB
      // idle there against 60 MiB of local PSS): node 24 alone maps more than 20 MiB of it.
      if (target === 'node') expect(memory.cycles[0]!.idleBytes).toBeGreaterThan(20 * 2 ** 20);
      expect(memory.cycles[0]!.peakBytes).toBeGreaterThanOrEqual(memory.cycles[0]!.idleBytes! * 0.9);

      // The sizes are the engine's own figures.
      const { image } = get('image-size').result as ImageResult;
      const inspected = await engine.docker.getImage(image.tag).inspect();
      expect(image.imageBytes).toBe(inspected.Size);
      expect(image.baseBytes).toBe((await engine.docker.getImage(image.base.ref).inspect()).Size);
      expect(image.baseBytes + image.appBytes).toBe(image.imageBytes);
      expect(['official', 'local']).toContain(image.base.origin);
      expect(inspected.Config.Labels?.['bench.target']).toBe(target);
      // Tagged and labelled by the version the bare name runs here (the image of node@24 is node's).
      const version = results.targets[target]!.version!.key;
      expect(image.tag).toMatch(new RegExp(`^localhost/bench/${target}:${version.replace('.', '\\.')}-[0-9a-f]{16}$`));
      expect(inspected.Config.Labels?.['bench.version']).toBe(version);

      const startup = get('startup').result as StartupResult;
      expect(startup.mode).toBe('container');
      expect(startup.pollIntervalMs).toBeLessThanOrEqual(5);
      // One least round, then claim rounds while the startup claim (django/node) is open, up to --max-rounds.
      expect(startup.starts).toHaveLength(3);
      for (const s of startup.starts) expect(s.readyMs).toBeGreaterThan(0);
    }
    // One PostgreSQL container for the run, from Debian's package, removed at the end (no container left, below).
    expect(results.services).toMatchObject([{ name: 'postgres', mode: 'container', version: expect.stringMatching(/^17/), stoppedAt: expect.any(String) }]);
    expect(results.targets.node!.versions.node).toMatch(/^24\./);
    expect(results.targets.django!.versions.django).toMatch(/^(5\.2|6\.\d)/);
    expect(await harnessContainers()).toBe(0);

    expect((await harnessImages('target')).length).toBeGreaterThan(0);
    const clean = await bench(['clean']);
    expect(clean.exitCode, String(clean.stderr)).toBe(0);
    expect(await harnessImages('target')).toEqual([]);
    expect((await harnessImages('base')).length).toBeGreaterThan(0); // cached bases stay
  });

  it('a harness killed outright leaves no container behind', { timeout: 600_000 }, async () => {
    const child = bench(['serve', 'node', '--runtime', 'docker'], { buffer: false, stdout: 'pipe' });
    onTestFinished(() => void child.kill('SIGKILL'));
    let url = '';
    child.stdout?.on('data', (d: Buffer) => {
      url ||= /serving at (\S+)/.exec(String(d))?.[1] ?? '';
    });
    expect(await waitFor(() => url !== '', 300_000, 200)).toBe(true);
    expect((await fetch(`${url}/json`)).status).toBe(200);
    // The target and the PostgreSQL its database endpoints need.
    expect(await harnessContainers()).toBe(2);
    child.kill('SIGKILL');
    await child;
    let left = 2;
    for (let i = 0; i < 100 && left > 0; i++) {
      left = await harnessContainers();
      if (left) await new Promise((r) => setTimeout(r, 200));
    }
    expect(left).toBe(0);
  });
});
