// The harness loader's connections and per-worker load (harness/load/http/load.ts, connection.ts),
// in this process, over the kit's node:net transport, against local servers: the closed loop's
// counts agree with the server's (Content-Length, chunked, pipelined), the open loop keeps its
// schedule and measures from the intended send times, a server that closes connections, one that
// never answers, a refused connect counted by its kind, and stop(). No worker is spawned.
import http from 'node:http';
import net from 'node:net';
import * as hdr from 'hdr-histogram-js';
import { afterEach, describe, expect, test } from 'vitest';
import { HttpLoad, type Connect } from '../../harness/load/http/load.ts';
import type { WorkerConfig, WorkerOutput } from '../../harness/load/http/types.ts';
import { transport, type Link, type LinkOwner } from '../../harness/load/kit/transport.ts';

const servers: net.Server[] = [];
afterEach(async () => {
  for (const s of servers.splice(0)) {
    if (s instanceof http.Server) s.closeAllConnections();
    await new Promise((resolve) => s.close(resolve));
  }
});

async function listen(server: net.Server): Promise<number> {
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return (server.address() as net.AddressInfo).port;
}

const BODY = JSON.stringify({ message: 'Hello, World!' });

/** A node:http server counting the responses it finished; `chunked` answers without Content-Length, in two chunks. */
async function httpServer(o: { chunked?: boolean; close?: boolean } = {}): Promise<{ port: number; answered: () => number }> {
  let answered = 0;
  const server = http.createServer((_req, res) => {
    res.on('finish', () => answered++);
    if (o.close) res.setHeader('Connection', 'close');
    if (o.chunked) {
      res.writeHead(200, { 'Content-Type': 'application/json' });
      res.write(BODY.slice(0, 10));
      res.end(BODY.slice(10));
    } else {
      res.writeHead(200, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(BODY) });
      res.end(BODY);
    }
  });
  server.keepAliveTimeout = 60_000;
  return { port: await listen(server), answered: () => answered };
}

function config(port: number, extra: Partial<WorkerConfig> = {}): WorkerConfig {
  return { host: '127.0.0.1', port, path: '/json', hostHeader: `127.0.0.1:${port}`, connections: 4, durationS: 0.5, pipelining: 1, timeoutMs: 2000, ...extra };
}

async function run(c: WorkerConfig, connect: Connect = transport('node:net')): Promise<WorkerOutput> {
  const load = new HttpLoad(c, connect);
  await load.start();
  return load.output;
}

const histogramCount = (o: WorkerOutput) => hdr.decodeFromCompressedBase64(o.histogramUs).totalCount;

describe('HttpLoad over node:net, closed loop', () => {
  test.each([
    ['Content-Length', { pipelining: 1 }, {}],
    ['chunked', { pipelining: 1 }, { chunked: true }],
    ['pipelined 4 deep', { pipelining: 4 }, {}],
  ])('%s: every response the server finished is counted once, with a latency', { timeout: 10_000 }, async (_name, extra, serverOptions) => {
    const server = await httpServer(serverOptions);
    const o = await run(config(server.port, { connections: 8, durationS: 1, ...extra }));
    const seen = JSON.stringify({ ...o, histogramUs: undefined, answered: server.answered() });
    expect(o.errors, seen).toBe(0);
    expect(o.timeouts, seen).toBe(0);
    expect(o.requests, seen).toBeGreaterThan(200);
    // The load waited for the responses in flight, so nothing sent is left unanswered.
    expect(o.requests, seen).toBe(server.answered());
    expect(o.sent, seen).toBe(o.requests);
    expect(o.statusClasses['2xx'], seen).toBe(o.requests);
    expect(histogramCount(o)).toBe(o.requests);
    expect(o.durationS).toBeGreaterThan(0.95);
    expect(o.durationS).toBeLessThan(1.5);
  });

  test('a server that closes the connection after every response: counted, reconnected, no errors', { timeout: 10_000 }, async () => {
    const server = await httpServer({ close: true });
    const o = await run(config(server.port, { connections: 4 }));
    expect(o.requests).toBeGreaterThan(20);
    expect(o.errors).toBe(0);
    expect(o.requests).toBe(server.answered());
  });

  test('a server that drops connections without answering: errors by kind, the load goes on', { timeout: 10_000 }, async () => {
    let n = 0;
    const port = await listen(
      net.createServer((socket) => {
        socket.on('error', () => {});
        socket.on('data', () => {
          // Every third request is dropped unanswered; the others get a response.
          if (++n % 3 === 0) socket.destroy();
          else socket.write(`HTTP/1.1 200 OK\r\nContent-Length: ${BODY.length}\r\n\r\n${BODY}`);
        });
      }),
    );
    const o = await run(config(port, { connections: 2 }));
    expect(o.requests).toBeGreaterThan(20);
    expect(o.errors).toBeGreaterThan(5);
    expect(Object.keys(o.errorKinds).every((k) => k === 'connection closed with requests in flight' || k === 'ECONNRESET')).toBe(true);
    expect(Object.values(o.errorKinds).reduce((a, b) => a + b, 0)).toBe(o.errors);
  });

  test('a refused connect is an error of kind ECONNREFUSED, retried after a pause', { timeout: 10_000 }, async () => {
    const port = await listen(net.createServer());
    await new Promise((resolve) => servers.pop()!.close(resolve)); // nothing listens there now
    const o = await run(config(port, { connections: 2, durationS: 0.3 }));
    expect(o.requests).toBe(0);
    expect(o.timeouts).toBe(0);
    expect(o.errorKinds).toEqual({ ECONNREFUSED: o.errors });
    // About one attempt per connection every 20 ms, not a tight loop.
    expect(o.errors).toBeGreaterThanOrEqual(2 * 5);
    expect(o.errors).toBeLessThanOrEqual(2 * 25);
  });

  test('a server that never answers: each request times out once, and is not also an error', { timeout: 10_000 }, async () => {
    // It reads the requests (so that it sees the loader close) and never answers.
    const port = await listen(net.createServer((socket) => socket.on('error', () => {}).resume()));
    const o = await run(config(port, { connections: 2, durationS: 0.7, timeoutMs: 100 }));
    expect(o.requests).toBe(0);
    expect(o.errors).toBe(0);
    expect(o.timeouts).toBeGreaterThanOrEqual(2 * 3);
    expect(o.timeouts).toBeLessThanOrEqual(2 * 7);
  });

  test('stop(): the load ends at once and the output has what there was', { timeout: 10_000 }, async () => {
    const server = await httpServer();
    const load = new HttpLoad(config(server.port, { durationS: 30 }), transport('node:net'));
    await load.start();
    await new Promise((resolve) => setTimeout(resolve, 200));
    load.stop();
    const o = await load.output;
    expect(o.requests).toBeGreaterThan(10);
    expect(o.durationS).toBeGreaterThan(0.15);
    expect(o.durationS).toBeLessThan(1);
    expect(histogramCount(o)).toBe(o.requests);
  });
});

/**
 * A transport without sockets: every connect succeeds at once, every request is answered on the next
 * turn of the event loop, and every write is recorded with its time and its number of requests.
 */
function instantServer() {
  const response = Buffer.from(`HTTP/1.1 200 OK\r\nContent-Length: ${BODY.length}\r\n\r\n${BODY}`);
  const requestBytes = Buffer.byteLength(`GET /json HTTP/1.1\r\nHost: 127.0.0.1:1\r\n\r\n`);
  const writes: { atMs: number; requests: number; link: number }[] = [];
  let links = 0;
  const connect: Connect = (owner: LinkOwner) => {
    const id = links++;
    const link: Link = {
      write(bytes) {
        const n = bytes.length / requestBytes;
        writes.push({ atMs: performance.now(), requests: n, link: id });
        setImmediate(() => {
          if (owner.link === link) owner.onData(Buffer.concat(Array.from({ length: n }, () => response)), n * response.length);
        });
      },
      end: () => {},
      destroy: () => {},
    };
    setImmediate(() => {
      if (owner.link === link) owner.onConnect();
    });
    return link;
  };
  return { connect, writes };
}

describe('HttpLoad, open loop', () => {
  test('request k is sent at start + k/rate, on connection k mod connections', { timeout: 10_000 }, async () => {
    const server = instantServer();
    const o = await run(config(1, { connections: 4, durationS: 0.5, rate: 1000 }), server.connect);
    expect(o.sent).toBe(500);
    expect(o.requests).toBe(500);
    expect(o.errors + o.timeouts).toBe(0);
    const perLink = [0, 0, 0, 0];
    for (const w of server.writes) perLink[w.link]! += w.requests;
    expect(perLink).toEqual([125, 125, 125, 125]);
    // Spread over the duration, not sent in bursts: about half in each half.
    const first = server.writes[0]!.atMs;
    const firstHalf = server.writes.filter((w) => w.atMs - first < 250).reduce((n, w) => n + w.requests, 0);
    expect(firstHalf).toBeGreaterThan(220);
    expect(firstHalf).toBeLessThan(280);
    expect(o.sendDurationS).toBeGreaterThan(0.49);
    expect(o.sendDurationS).toBeLessThan(0.6);
  });

  test('a stall of 100 ms shows in the latencies: they run from the intended send times', { timeout: 10_000 }, async () => {
    const server = instantServer();
    const load = new HttpLoad(config(1, { connections: 4, durationS: 0.5, rate: 1000 }), server.connect);
    await load.start();
    setTimeout(() => {
      const until = performance.now() + 100;
      while (performance.now() < until) {
        // the loader's process is stalled, as by a long GC pause
      }
    }, 200);
    const o = await load.output;
    const h = hdr.decodeFromCompressedBase64(o.histogramUs);
    expect(o.requests).toBe(500);
    // About 100 requests were due during the stall, each waiting up to 100 ms.
    expect(h.maxValue).toBeGreaterThanOrEqual(90_000);
    expect(h.getValueAtPercentile(90)).toBeGreaterThanOrEqual(10_000);
  });
});
