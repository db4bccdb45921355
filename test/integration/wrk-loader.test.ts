// wrk as a loader, against a node:http server that counts what it answers: the loader on CPU 0,
// the server pinned to CPU 1 in its own process. Needs wrk: the test fails (not skips) without it.
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { UserError } from '../../harness/errors.ts';
import { NoResponseError } from '../../harness/load/no-response.ts';
import { createWrkLoader, wrkVersion } from '../../harness/load/wrk.ts';
import type { HttpLoader, HttpLoadResult } from '../../harness/types.ts';

// Answers /json with 200, /missing with 404 and every 5th request to /mixed with 404; counts every
// answer except those to /count (the test's way of reading and resetting the counts).
const SERVER = `
const http = require('node:http');
let total = 0, notFound = 0;
const body = JSON.stringify({ message: 'Hello, World!' });
const server = http.createServer((req, res) => {
  if (req.url === '/count') {
    res.setHeader('content-type', 'application/json');
    res.end(JSON.stringify({ total, notFound }));
    total = 0; notFound = 0;
    return;
  }
  total++;
  if (req.url === '/missing' || (req.url === '/mixed' && total % 5 === 0)) {
    notFound++;
    res.statusCode = 404;
    res.end('not found');
    return;
  }
  res.setHeader('content-type', 'application/json');
  res.end(body);
});
server.keepAliveTimeout = 60000;
server.listen(0, '127.0.0.1', () => console.log('port ' + server.address().port));
process.on('SIGTERM', () => process.exit(0));
`;

const LOADER_CPUS = [0];
const SERVER_CPU = 1;
let server: ChildProcess | undefined;
let base = '';
let loader: HttpLoader;

async function counts(): Promise<{ total: number; notFound: number }> {
  return (await (await fetch(`${base}/count`)).json()) as { total: number; notFound: number };
}

beforeAll(async () => {
  const version = wrkVersion();
  if (version === null) throw new Error('wrk is not installed, and this test needs it: sudo apt-get install -y wrk');
  loader = createWrkLoader(LOADER_CPUS)!;
  server = spawn('taskset', ['-c', String(SERVER_CPU), process.execPath, '-e', SERVER], { stdio: ['ignore', 'pipe', 'inherit'] });
  let out = '';
  server.stdout!.setEncoding('utf8');
  const port = await new Promise<number>((resolve, reject) => {
    server!.stdout!.on('data', (s: string) => {
      out += s;
      const m = /port (\d+)/.exec(out);
      if (m) resolve(Number(m[1]));
    });
    server!.once('exit', (code) => reject(new Error(`the test server exited (${code})`)));
  });
  base = `http://127.0.0.1:${port}`;
});

afterAll(async () => {
  if (server && server.exitCode === null && server.signalCode === null) {
    server.kill('SIGTERM');
    await once(server, 'exit');
  }
});

function expectComplete(r: HttpLoadResult, threads: number): void {
  const seen = JSON.stringify(r);
  expect(r.mode).toBe('closed');
  expect(r.histogramUs).toBeUndefined();
  expect(r.errors, seen).toBe(0);
  expect(r.timeouts, seen).toBe(0);
  expect(r.requests, seen).toBeGreaterThan(1000);
  for (const k of ['p50', 'p90', 'p99', 'p999', 'mean', 'max'] as const) expect(r.latencyMs[k], `${k} in ${seen}`).toBeGreaterThan(0);
  expect(r.latencyMs.p50).toBeLessThanOrEqual(r.latencyMs.p90);
  expect(r.latencyMs.p90).toBeLessThanOrEqual(r.latencyMs.p99);
  expect(r.latencyMs.p99).toBeLessThanOrEqual(r.latencyMs.p999);
  expect(r.latencyMs.p999).toBeLessThanOrEqual(r.latencyMs.max);
  expect(r.loaderCpuPerCpu, seen).toHaveLength(threads);
  expect(r.loaderCpuPct).toBe(Math.max(...r.loaderCpuPerCpu!));
  expect(r.loaderCpuPct!, seen).toBeGreaterThan(1);
  expect(r.loaderCpuPct!, seen).toBeLessThan(110);
}

describe('wrk loader', () => {
  it('counts what the server counts, and reads its own CPU use', async () => {
    expect(loader.name).toBe('wrk');
    expect(loader.version).toMatch(/\d+\.\d+/);
    await counts();
    let started = 0;
    // 2.5 s: wrk takes whole seconds, so it runs 3 s and says so.
    const r = await loader.run({ url: `${base}/json`, connections: 16, durationS: 2.5, pipelining: 1 }, undefined, () => started++);
    const server = await counts();
    const seen = `wrk: ${JSON.stringify(r)}; server: ${JSON.stringify(server)}`;
    expect(started).toBe(1);
    expectComplete(r, 1);
    expect(r.durationS, seen).toBeGreaterThan(2.9);
    expect(r.durationS, seen).toBeLessThan(4); // late only on a busy machine
    expect(r.non2xx, seen).toBe(0);
    expect(server.notFound, seen).toBe(0);
    // Responses in flight when wrk stops are answered by the server but not counted by wrk.
    expect(Math.abs(server.total - r.requests) / server.total, seen).toBeLessThan(0.01);
    expect(r.rps).toBeCloseTo(r.requests / r.durationS, 6);
  });

  it('counts 404s as non2xx and leaves them out of the throughput', async () => {
    await counts();
    const r = await loader.run({ url: `${base}/mixed`, connections: 8, durationS: 2, pipelining: 1 });
    const server = await counts();
    const seen = `wrk: ${JSON.stringify(r)}; server: ${JSON.stringify(server)}`;
    expectComplete(r, 1);
    expect(Math.abs(server.total - r.requests) / server.total, seen).toBeLessThan(0.01);
    expect(Math.abs(server.notFound - r.non2xx) / server.notFound, seen).toBeLessThan(0.01);
    expect(r.non2xx / r.requests, seen).toBeCloseTo(0.2, 2);
    expect(r.rps).toBeCloseTo((r.requests - r.non2xx) / r.durationS, 6);

    const missing = await loader.run({ url: `${base}/missing`, connections: 4, durationS: 1, pipelining: 1 });
    expect(missing.non2xx).toBe(missing.requests);
    expect(missing.rps).toBe(0);
  });

  it('refuses open loop and pipelining with a UserError', async () => {
    const url = `${base}/json`;
    await expect(loader.run({ url, connections: 4, durationS: 1, pipelining: 1, rate: 1000 })).rejects.toThrow(UserError);
    await expect(loader.run({ url, connections: 4, durationS: 1, pipelining: 1, rate: 1000 })).rejects.toThrow(/open loop/);
    await expect(loader.run({ url, connections: 4, durationS: 1, pipelining: 1, rate: 1000 }).catch((e: UserError) => e.fix)).resolves.toMatch(/--loader harness/);
    await expect(loader.run({ url, connections: 4, durationS: 1, pipelining: 4 })).rejects.toThrow(/not supported with wrk/);
  });

  it('stops wrk when the signal aborts', async () => {
    const controller = new AbortController();
    const began = performance.now();
    const run = loader.run({ url: `${base}/json`, connections: 4, durationS: 30, pipelining: 1 }, controller.signal, () => setTimeout(() => controller.abort(new Error('stop now')), 500));
    await expect(run).rejects.toThrow('stop now');
    expect(performance.now() - began).toBeLessThan(5000);
  });

  it('says why when nothing answers', async () => {
    const run = loader.run({ url: 'http://127.0.0.1:1/json', connections: 2, durationS: 1, pipelining: 1 });
    await expect(run).rejects.toThrow(NoResponseError);
    await expect(run).rejects.toThrow(/No response from http:\/\/127\.0\.0\.1:1\/json: wrk could not connect to 127\.0\.0\.1:1: Connection refused/);
  });

  it('cannot hold an open-loop rate', () => {
    expect(loader.can.openLoop).toBe(false);
  });
});
