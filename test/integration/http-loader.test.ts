// The harness's own load generator (harness/load/http) with its workers, against small servers
// started here, on loopback: counts that agree with the server's, an open loop that keeps its rate
// and shows a server's stall in its latencies, status classes, reconnects, garbage, timeouts, the
// worker's start / stop / report commands, and histograms that merge exactly. Runs on Node (through
// tsx) and, where a Bun binary is installed, on Bun. The loader's workers are pinned to CPU 0; the
// servers run in this process. The connections themselves are tested in-process in
// http-connection.test.ts.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import * as hdr from 'hdr-histogram-js';
import { afterEach, describe, expect, test } from 'vitest';
import { UserError } from '../../harness/errors.ts';
import { createHttpLoader, WORKER_PATH, type WorkerConfig } from '../../harness/load/http/index.ts';
import type { HttpCommand, HttpReply } from '../../harness/load/http/types.ts';
import { mergeHistograms, splitEvenly } from '../../harness/load/kit/histogram.ts';
import { WorkerPool } from '../../harness/load/kit/pool.ts';
import type { HttpLoadRequest, HttpLoadResult } from '../../harness/types.ts';
import { processesRunning } from '../helpers.ts';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const LOADER_CPU = 0;

interface Runtime {
  name: string;
  version: string;
  command: string[];
}

const NODE: Runtime = { name: 'node', version: process.versions.node, command: [process.execPath, '--import', fileURLToPath(import.meta.resolve('tsx'))] };

/** Bun from npm (node_modules/bun, or the @oven package when install scripts did not run), if it runs here. */
function findBun(): Runtime | null {
  const candidates = [process.env.BENCH_BUN, path.join(ROOT, 'node_modules/bun/bin/bun.exe'), path.join(ROOT, 'node_modules/@oven/bun-linux-x64/bin/bun'), path.join(ROOT, 'node_modules/@oven/bun-linux-x64-baseline/bin/bun')];
  for (const file of candidates) {
    if (!file || !fs.existsSync(file)) continue;
    try {
      const version = execFileSync(file, ['--version'], { encoding: 'utf8', timeout: 5000 }).trim();
      if (/^\d+\.\d+\.\d+/.test(version)) return { name: 'bun', version, command: [file, '--no-install', '--no-env-file'] };
    } catch {
      // not a runnable binary here
    }
  }
  return null;
}
const BUN = findBun();
const RUNTIMES: Runtime[] = BUN ? [NODE, BUN] : [NODE];

// ---------------------------------------------------------------------------------------------
// Fixture servers.

interface Fixture {
  url: string;
  /** Responses the server has finished writing. */
  answered(): number;
  close(): Promise<void>;
}

const open: Fixture[] = [];
afterEach(async () => {
  await Promise.all(open.splice(0).map((f) => f.close()));
});

async function listen(server: net.Server): Promise<number> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return (server.address() as net.AddressInfo).port;
}

/** A node:http server; `handle` answers, and every response is counted when its last byte is handed to the socket. */
async function httpServer(handle: (req: http.IncomingMessage, res: http.ServerResponse) => void): Promise<Fixture> {
  let answered = 0;
  const server = http.createServer((req, res) => {
    res.on('finish', () => answered++);
    handle(req, res);
  });
  server.keepAliveTimeout = 60_000;
  const port = await listen(server);
  const fixture: Fixture = {
    url: `http://127.0.0.1:${port}`,
    answered: () => answered,
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
  open.push(fixture);
  return fixture;
}

const BODY = JSON.stringify({ message: 'Hello, World!' });
function json(res: http.ServerResponse, status = 200): void {
  res.writeHead(status, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(BODY) });
  res.end(BODY);
}

/** A raw TCP server: `onData` gets every chunk a connection receives. */
async function tcpServer(onData: (socket: net.Socket, chunk: Buffer) => void): Promise<Fixture> {
  const sockets = new Set<net.Socket>();
  const server = net.createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => {});
    socket.on('data', (chunk) => onData(socket, chunk));
  });
  const port = await listen(server);
  const fixture: Fixture = {
    url: `http://127.0.0.1:${port}`,
    answered: () => 0,
    close: () =>
      new Promise((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
  open.push(fixture);
  return fixture;
}

function run(runtime: Runtime, request: Partial<HttpLoadRequest> & { url: string }, options: { cpus?: number[]; timeoutMs?: number } = {}): Promise<HttpLoadResult> {
  const loader = createHttpLoader({ cpus: options.cpus ?? [LOADER_CPU], runtime, ...(options.timeoutMs !== undefined && { timeoutMs: options.timeoutMs }) });
  return loader.run({ connections: 16, durationS: 1, pipelining: 1, ...request });
}

const total = (r: HttpLoadResult) => Object.values(r.statusClasses!).reduce((s, n) => s + n, 0);

// ---------------------------------------------------------------------------------------------

describe.each(RUNTIMES)('harness loader on $name $version', (runtime) => {
  test('closed loop, 64 connections, 3 s: the responses counted are the responses the server sent', { timeout: 20_000 }, async () => {
    const server = await httpServer((_req, res) => json(res));
    let started = 0;
    const loader = createHttpLoader({ cpus: [LOADER_CPU], runtime });
    expect(loader.can.openLoop).toBe(true);
    const r = await loader.run({ url: `${server.url}/json`, connections: 64, durationS: 3, pipelining: 1 }, undefined, () => started++);
    expect(started).toBe(1);
    expect(r.mode).toBe('closed');
    expect(r.requestedRate).toBeUndefined();
    expect(r.errors).toBe(0);
    expect(r.timeouts).toBe(0);
    expect(r.statusClasses!['2xx']).toBe(r.requests);
    expect(r.requests).toBeGreaterThan(1000);
    // The loader waited for the responses in flight at the end, so the two counts agree.
    expect(Math.abs(r.requests - server.answered())).toBeLessThanOrEqual(Math.ceil(server.answered() * 0.005));
    expect(r.durationS).toBeGreaterThan(2.9);
    expect(r.durationS).toBeLessThan(3.5);
    expect(r.rps).toBeCloseTo(r.requests / r.durationS, 6);
    expect(r.non2xx).toBe(0);
    expect(hdr.decodeFromCompressedBase64(r.histogramUs!).totalCount).toBe(r.requests);
    expect(r.latencyMs.p50).toBeGreaterThan(0);
    expect(r.latencyMs.p99).toBeGreaterThanOrEqual(r.latencyMs.p50);
    expect(r.latencyMs.max).toBeGreaterThanOrEqual(r.latencyMs.p999);
    expect(r.loaderCpuPct).not.toBeNull();
    expect(r.loaderCpuPct!).toBeGreaterThan(0);
    expect(r.loaderCpuPerCpu).toHaveLength(1);
  });

  test('open loop at 2,000 req/s for 3 s on 16 connections: the rate is kept', { timeout: 20_000 }, async () => {
    const server = await httpServer((_req, res) => json(res));
    const r = await run(runtime, { url: `${server.url}/json`, connections: 16, durationS: 3, rate: 2000 });
    expect(r.mode).toBe('open');
    expect(r.requestedRate).toBe(2000);
    expect(Math.abs(r.achievedRate! - 2000) / 2000).toBeLessThan(0.01);
    expect(Math.abs(r.requests - 2000 * 3) / (2000 * 3)).toBeLessThan(0.01);
    expect(r.errors + r.timeouts).toBe(0);
    expect(Math.abs(r.requests - server.answered())).toBeLessThanOrEqual(1);
  });

  test('pipelining 8: every response counted, each with its own latency', { timeout: 20_000 }, async () => {
    const server = await httpServer((_req, res) => json(res));
    const r = await run(runtime, { url: `${server.url}/json`, connections: 8, durationS: 1, pipelining: 8 });
    expect(r.errors + r.timeouts).toBe(0);
    expect(r.requests).toBeGreaterThan(500);
    expect(Math.abs(r.requests - server.answered())).toBeLessThanOrEqual(Math.ceil(server.answered() * 0.005));
    expect(hdr.decodeFromCompressedBase64(r.histogramUs!).totalCount).toBe(r.requests);
  });

  test('404, 500 and 103 Early Hints are counted in their classes', { timeout: 20_000 }, async () => {
    const server = await httpServer((req, res) => {
      if (req.url === '/missing') return json(res, 404);
      if (req.url === '/error') return json(res, 500);
      if (req.url === '/moved') return json(res, 301);
      res.writeEarlyHints({ link: '</style.css>; rel=preload; as=style' });
      json(res);
    });
    const [missing, error, moved, hints] = await Promise.all(['/missing', '/error', '/moved', '/hints'].map((p) => run(runtime, { url: server.url + p, connections: 4, durationS: 0.5 })));
    expect(missing!.statusClasses!['4xx']).toBe(missing!.requests);
    expect(missing!.requests).toBeGreaterThan(0);
    expect(missing!.rps).toBe(0);
    expect(missing!.non2xx).toBe(missing!.requests);
    expect(error!.statusClasses!['5xx']).toBe(error!.requests);
    expect(error!.requests).toBeGreaterThan(0);
    expect(moved!.statusClasses!['3xx']).toBe(moved!.requests);
    // Every request got an interim 103 and a final 200; only the 200 has a latency.
    expect(hints!.statusClasses!['1xx']).toBe(hints!.statusClasses!['2xx']);
    expect(hints!.statusClasses!['2xx']).toBeGreaterThan(0);
    expect(hdr.decodeFromCompressedBase64(hints!.histogramUs!).totalCount).toBe(hints!.statusClasses!['2xx']);
    for (const r of [missing!, error!, moved!, hints!]) {
      expect(r.errors + r.timeouts).toBe(0);
      expect(total(r)).toBe(r.requests);
    }
  });

  test('a server that closes every connection after one response: counted, reconnected, no errors', { timeout: 20_000 }, async () => {
    const server = await httpServer((_req, res) => {
      res.setHeader('Connection', 'close');
      json(res);
    });
    const r = await run(runtime, { url: `${server.url}/json`, connections: 8, durationS: 1 });
    expect(r.requests).toBeGreaterThan(50);
    expect(r.statusClasses!['2xx']).toBe(r.requests);
    expect(r.errors).toBe(0);
    expect(Math.abs(r.requests - server.answered())).toBeLessThanOrEqual(Math.ceil(server.answered() * 0.01));
  });

  test('a server that sends garbage: errors counted, no responses, no crash', { timeout: 20_000 }, async () => {
    const server = await tcpServer((socket) => socket.write('garbage, not HTTP\r\n\r\n'));
    const r = await run(runtime, { url: `${server.url}/json`, connections: 4, durationS: 0.5 });
    expect(r.requests).toBe(0);
    expect(r.errors).toBeGreaterThan(4);
    expect(r.timeouts).toBe(0);
    expect(r.rps).toBe(0);
  });

  test('a server that never answers: each request times out once, and is not also an error', { timeout: 20_000 }, async () => {
    const server = await tcpServer(() => {});
    const connections = 4;
    const r = await run(runtime, { url: `${server.url}/json`, connections, durationS: 1.2 }, { timeoutMs: 300 });
    expect(r.requests).toBe(0);
    expect(r.errors).toBe(0);
    // Every connection times out about every 300 ms (plus the check's period) and is reopened.
    expect(r.timeouts).toBeGreaterThanOrEqual(connections * 2);
    expect(r.timeouts).toBeLessThanOrEqual(connections * 4);
  });
});

/** One worker on the kit's pool, spoken to directly. */
async function startWorker(runtime: Runtime, config: WorkerConfig) {
  return (await WorkerPool.start<HttpCommand, HttpReply>({ script: WORKER_PATH, runtime, cpus: [LOADER_CPU], config: () => config, what: 'The test HTTP worker' })).pool;
}

function workerConfig(url: string, extra: Partial<WorkerConfig> = {}): WorkerConfig {
  const u = new URL(url);
  return { host: u.hostname, port: Number(u.port), path: u.pathname, hostHeader: u.host, connections: 8, durationS: 1, pipelining: 1, timeoutMs: 2000, ...extra };
}

describe('the worker program', () => {
  test('stop: the load ends at once and the pending report gets what there is', { timeout: 20_000 }, async () => {
    const server = await httpServer((_req, res) => json(res));
    const pool = await startWorker(NODE, workerConfig(`${server.url}/json`, { durationS: 30 }));
    try {
      const started = Date.now();
      await pool.request(0, { cmd: 'start' }, 'started');
      const report = pool.request(0, { cmd: 'report' }, 'report');
      await new Promise((resolve) => setTimeout(resolve, 500));
      await pool.request(0, { cmd: 'stop' }, 'stopped');
      const { output } = await report;
      expect(Date.now() - started).toBeLessThan(10_000);
      expect(output.requests).toBeGreaterThan(0);
      expect(output.durationS).toBeGreaterThan(0.3);
      expect(output.durationS).toBeLessThan(5);
      expect(hdr.decodeFromCompressedBase64(output.histogramUs).totalCount).toBe(output.requests);
    } finally {
      await pool.kill();
    }
  });

  test('a bad configuration is refused with the field named', { timeout: 20_000 }, async () => {
    const error = await startWorker(NODE, workerConfig('http://127.0.0.1:9/json', { path: 'no slash' })).catch((e: unknown) => e as UserError);
    expect(error).toBeInstanceOf(UserError);
    expect((error as UserError).logTail.join('\n')).toMatch(/bad configuration: path/);
  });

  test.runIf(BUN)('under Bun with node:net sockets instead of Bun\'s own, the counts agree too', { timeout: 20_000 }, async () => {
    const server = await httpServer((_req, res) => json(res));
    const pool = await startWorker(BUN!, workerConfig(`${server.url}/json`, { transport: 'node:net', pipelining: 4 }));
    try {
      await pool.request(0, { cmd: 'start' }, 'started');
      const { output } = await pool.request(0, { cmd: 'report' }, 'report');
      expect(output.errors).toBe(0);
      expect(output.requests).toBeGreaterThan(100);
      expect(Math.abs(output.requests - server.answered())).toBeLessThanOrEqual(Math.ceil(server.answered() * 0.005));
    } finally {
      await pool.kill();
    }
  });
});

describe('harness loader on node', () => {
  test('a server stalling for 200 ms once: the open loop shows it in p99, the closed loop hides it', { timeout: 30_000 }, async () => {
    // Stalls (a busy 200 ms, as a long GC pause would) at the first request 1.5 s after its first one.
    async function stallingServer() {
      let first = 0;
      let stalled = false;
      return httpServer((_req, res) => {
        const now = performance.now();
        if (first === 0) first = now;
        if (!stalled && now - first >= 1500) {
          stalled = true;
          while (performance.now() - now < 200) {
            // stall
          }
        }
        json(res);
      });
    }
    const openServer = await stallingServer();
    const openLoop = await run(NODE, { url: `${openServer.url}/json`, connections: 16, durationS: 3, rate: 1000 });
    const closedServer = await stallingServer();
    const closedLoop = await run(NODE, { url: `${closedServer.url}/json`, connections: 16, durationS: 3 });
    // About 200 of the 3,000 requests were meant to be sent during the stall and waited up to 200 ms.
    expect(openLoop.latencyMs.p99).toBeGreaterThanOrEqual(100);
    // The closed loop had 16 requests waiting during the stall: its max shows it, its p99 does not.
    expect(closedLoop.latencyMs.max).toBeGreaterThanOrEqual(150);
    expect(closedLoop.latencyMs.p99 * 5).toBeLessThan(openLoop.latencyMs.p99);
  });

  test('two workers: connections split, histograms merged exactly', { timeout: 20_000 }, async () => {
    const server = await httpServer((_req, res) => json(res));
    // Two workers on the same CPU: this machine may have only two, and the server runs here.
    const r = await run(NODE, { url: `${server.url}/json`, connections: 9, durationS: 1 }, { cpus: [LOADER_CPU, LOADER_CPU] });
    // Both workers on one CPU: one figure, their sum.
    expect(r.loaderCpuPerCpu).toHaveLength(1);
    expect(r.loaderCpuPct).toBe(Math.max(...r.loaderCpuPerCpu!));
    expect(hdr.decodeFromCompressedBase64(r.histogramUs!).totalCount).toBe(r.requests);
    expect(Math.abs(r.requests - server.answered())).toBeLessThanOrEqual(Math.ceil(server.answered() * 0.005));
    // More CPUs than connections: one worker per connection at most.
    const few = await run(NODE, { url: `${server.url}/json`, connections: 1, durationS: 0.3 }, { cpus: [LOADER_CPU, LOADER_CPU, LOADER_CPU] });
    expect(few.loaderCpuPerCpu).toHaveLength(1);
  });

  test('mergeHistograms adds counts exactly', () => {
    const make = (values: number[]) => {
      const h = hdr.build({ lowestDiscernibleValue: 1, highestTrackableValue: 60_000_000, numberOfSignificantValueDigits: 3 });
      for (const v of values) h.recordValue(v);
      return h;
    };
    const a = Array.from({ length: 5000 }, (_, i) => 50 + (i % 700));
    const b = Array.from({ length: 3000 }, (_, i) => 400 + i * 37);
    const merged = mergeHistograms([hdr.encodeIntoCompressedBase64(make(a)), hdr.encodeIntoCompressedBase64(make(b))]);
    // As if one histogram had recorded everything and gone through the same encoding (which keeps
    // counts per bucket: min and max are known to the bucket's precision, 3 significant digits).
    const all = hdr.decodeFromCompressedBase64(hdr.encodeIntoCompressedBase64(make([...a, ...b])));
    expect(merged.totalCount).toBe(a.length + b.length);
    expect(merged.maxValue).toBe(all.maxValue);
    expect(merged.minNonZeroValue).toBe(all.minNonZeroValue);
    for (const p of [1, 50, 90, 99, 99.9, 100]) expect(merged.getValueAtPercentile(p)).toBe(all.getValueAtPercentile(p));
    expect(merged.mean).toBeCloseTo(all.mean, 9);
    expect(mergeHistograms([]).totalCount).toBe(0);
    expect(splitEvenly(7, 3)).toEqual([3, 2, 2]);
  });

  test('abort: the workers are stopped and the run rejects with the reason', { timeout: 20_000 }, async () => {
    const server = await httpServer((_req, res) => json(res));
    const controller = new AbortController();
    const loader = createHttpLoader({ cpus: [LOADER_CPU], runtime: NODE });
    const started = Date.now();
    const run = loader.run({ url: `${server.url}/json`, connections: 4, durationS: 30, pipelining: 1 }, controller.signal, () => setTimeout(() => controller.abort(new Error('stop now')), 300));
    await expect(run).rejects.toThrow('stop now');
    expect(Date.now() - started).toBeLessThan(10_000);
    const port = new URL(server.url).port;
    expect(processesRunning(`"port":${port}`)).toEqual([]);
  });

  test('a worker that cannot run gives a UserError with its stderr', { timeout: 20_000 }, async () => {
    const loader = createHttpLoader({ cpus: [LOADER_CPU], runtime: { name: 'node', version: 'x', command: [process.execPath, '--no-such-flag'] } });
    const error = await loader.run({ url: 'http://127.0.0.1:9/json', connections: 1, durationS: 1, pipelining: 1 }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(UserError);
    expect((error as UserError).message).toMatch(/worker on CPU 0/);
    expect((error as UserError).logTail.join('\n')).toMatch(/no-such-flag/);
  });
});
