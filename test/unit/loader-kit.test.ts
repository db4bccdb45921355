// The loader kit's protocol and process pool, with a fixture worker (test/fixtures/kit-worker.ts)
// run by Node through tsx: ids match replies out of order, serial commands wait, errors and deaths
// fail every pending command with the worker's stderr, nothing is left running.
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { WorkerPool } from '../../harness/load/kit/pool.ts';
import { parseWorkerConfig } from '../../harness/load/kit/worker-main.ts';
import { resolveLoaderRuntime } from '../../harness/load/loader-runtime.ts';
import { z } from 'zod';

const SCRIPT = fileURLToPath(new URL('../fixtures/kit-worker.ts', import.meta.url));
type Cmd = { cmd: 'sleep'; ms: number } | { cmd: 'stop' } | { cmd: 'fail' } | { cmd: 'die' };
type Reply = { type: 'slept'; ms: number; order: number } | { type: 'stopped'; order: number };

const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

async function startPool(configs: unknown[] = [{ tag: 'a' }]) {
  const runtime = await resolveLoaderRuntime('node');
  return WorkerPool.start<Cmd, Reply>({ script: SCRIPT, runtime, cpus: configs.map(() => 0), config: (i) => configs[i], what: 'The kit test worker' });
}

describe('parseWorkerConfig', () => {
  it('names the field that is wrong', () => {
    const schema = z.object({ port: z.number().int().positive() });
    expect(parseWorkerConfig(schema, '{"port":8080}', 'w')).toEqual({ port: 8080 });
    expect(() => parseWorkerConfig(schema, '{"port":-1}', 'w')).toThrow(/w: bad configuration: port/);
    expect(() => parseWorkerConfig(schema, 'nope', 'w')).toThrow(/argv\[2\] must be the configuration as JSON/);
  });
});

describe('WorkerPool', () => {
  it('starts workers, matches replies by id (a stop is answered while a serial command waits), and ends them', { timeout: 30_000 }, async () => {
    const { pool, ready } = await startPool([{ tag: 'a' }, { tag: 'b' }]);
    expect(ready.map((r) => r.tag)).toEqual(['a', 'b']);
    const pids = ready.map((r) => r.pid as number);
    const slow = pool.request(0, { cmd: 'sleep', ms: 400 }, 'slept');
    const stop = pool.request(0, { cmd: 'stop' }, 'stopped');
    const [s, t] = await Promise.all([slow, stop]);
    expect(t.order).toBeLessThan(s.order);
    const both = await pool.each({ cmd: 'sleep', ms: 1 }, 'slept');
    expect(both).toHaveLength(2);
    expect(pool.cpuSince(pool.cpuMark())).toHaveLength(1); // both on CPU 0
    await pool.close(null, 'stopped', 1000);
    expect(pids.some(alive)).toBe(false);
  });

  it('fails the command a worker answers with an error, naming the worker', { timeout: 30_000 }, async () => {
    const { pool } = await startPool();
    await expect(pool.request(0, { cmd: 'fail' }, 'stopped')).rejects.toThrow(/kit test worker \(worker on CPU 0, node .*\) failed: asked to fail/);
    await pool.kill();
  });

  it('fails every pending command when a worker dies, with its stderr tail', { timeout: 30_000 }, async () => {
    const { pool, ready } = await startPool([{ tag: 'a' }, { tag: 'b' }]);
    const other = pool.request(1, { cmd: 'sleep', ms: 5000 }, 'slept');
    const error = (await pool.request(0, { cmd: 'die' }, 'stopped').catch((e: unknown) => e)) as Error & { logTail: string[] };
    expect(error.message).toMatch(/exited with code 3/);
    expect(error.logTail).toContain('dying now');
    await expect(other).rejects.toThrow(/exited with code 3/);
    await pool.kill();
    expect(ready.map((r) => r.pid as number).some(alive)).toBe(false);
  });

  it('a bad configuration fails the start with the field named', { timeout: 30_000 }, async () => {
    await expect(startPool([{ tag: '' }])).rejects.toThrow(/exited with code 1/);
    const error = (await startPool([{ tag: '' }]).catch((e: unknown) => e)) as { logTail: string[] };
    expect(error.logTail.join('\n')).toMatch(/bad configuration: tag/);
  });

  it('an abort fails what is pending and ends the workers', { timeout: 30_000 }, async () => {
    const runtime = await resolveLoaderRuntime('node');
    const abort = new AbortController();
    const { pool, ready } = await WorkerPool.start<Cmd, Reply>({ script: SCRIPT, runtime, cpus: [0], config: () => ({ tag: 'a' }), what: 'The kit test worker', signal: abort.signal });
    const pending = pool.request(0, { cmd: 'sleep', ms: 10_000 }, 'slept');
    abort.abort(new Error('interrupted by the test'));
    await expect(pending).rejects.toThrow('interrupted by the test');
    await pool.kill();
    expect(alive(ready[0]!.pid as number)).toBe(false);
  });
});
