// The local runtime against fixture targets on the host's Node: start, resource sampling of the
// whole tree, clean stop, and failures that carry the target's last log lines and leave nothing.
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { UserError } from '../../harness/errors.ts';
import { LocalRuntime } from '../../harness/runtime/local.ts';
import { loadTarget } from '../../harness/targets.ts';
import { FIXTURE_TARGETS, processesUnder, waitFor } from '../helpers.ts';

const runtime = new LocalRuntime();
const fixture = (name: string) => loadTarget(path.join(FIXTURE_TARGETS, name));

afterAll(async () => {
  await runtime.shutdown();
});

describe('local runtime', () => {
  it('starts a target pinned to its CPUs, samples the whole tree, and stops it completely', async () => {
    const target = fixture('fixture-ok');
    const running = await runtime.start(target, { cpus: [0, 1], readyTimeoutMs: 10_000 });
    expect(running.workers).toBe(2);
    const res = await fetch(`${running.url}/json`);
    expect(await res.json()).toEqual({ message: 'Hello, World!' });
    // WORKERS=2 makes the fixture fork one child: the tree has two processes.
    expect(await waitFor(() => processesUnder(target.dir).length === 2, 5000)).toBe(true);
    const before = (await running.stats())!;
    for (let i = 0; i < 200; i++) await (await fetch(`${running.url}/json`)).arrayBuffer();
    const sample = (await running.stats())!;
    // RSS counts the node binary and libraries once per process; PSS divides them among the processes.
    expect(sample.rssBytes).toBeGreaterThan(2 * 10 * 1024 * 1024);
    expect(sample.memoryBytes).toBeGreaterThan(5 * 1024 * 1024);
    expect(sample.memoryBytes).toBeLessThan(0.8 * sample.rssBytes!);
    expect(running.memoryLabel).toMatch(/^PSS summed over the target's process tree/);
    // Serving 200 requests took CPU time, and it is the tree's.
    expect(sample.cpuSeconds).toBeGreaterThan(before.cpuSeconds);
    await running.stop();
    expect(processesUnder(target.dir)).toEqual([]);
    await expect(fetch(`${running.url}/json`)).rejects.toThrow();
  });

  it('fails a target that crashes at start with its last 30 log lines', async () => {
    const target = fixture('fixture-crash');
    const error = await runtime.start(target, { cpus: [1], readyTimeoutMs: 10_000 }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(UserError);
    const e = error as UserError;
    expect(e.message).toContain('exited during start (exit code 3)');
    expect(e.logTail).toHaveLength(30);
    expect(e.logTail.at(-1)).toBe('FATAL: DATABASE_URL is not set');
    expect(processesUnder(target.dir)).toEqual([]);
  });

  it('fails a target that never becomes ready, and kills it', async () => {
    const target = fixture('fixture-hang');
    const error = (await runtime.start(target, { cpus: [1], readyTimeoutMs: 1500 }).catch((e: unknown) => e)) as UserError;
    expect(error).toBeInstanceOf(UserError);
    expect(error.message).toMatch(/was not ready within 1.5 s .*HTTP 503/);
    expect(error.logTail).toContain('warming caches...');
    expect(processesUnder(target.dir)).toEqual([]);
  });

  it('reads the versions a target declares', async () => {
    expect(await runtime.versions(fixture('fixture-ok'))).toEqual({ node: process.versions.node });
  });
});
