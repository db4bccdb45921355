// `bench load <url>`: one trial of any loader against any HTTP server on loopback, as a user runs it.
// The harness loader's count of responses must agree with the server's own count; a load that got
// no response at all fails with the reason, as curl or wrk would.
import { spawn, type ChildProcess } from 'node:child_process';
import net from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bench, waitFor } from '../helpers.ts';

// A server pinned to CPU 1 that counts the /json requests it answers; /count reports the count.
const SERVER = `
let n = 0;
require('http').createServer((req, res) => {
  if (req.url === '/count') return res.end(String(n));
  n++;
  res.writeHead(200, { 'Content-Type': 'application/json', Server: 'count' });
  res.end('{"message":"Hello, World!"}');
}).listen(0, '127.0.0.1', function () { console.log(this.address().port); });`;

let server: ChildProcess;
let base = '';

beforeAll(async () => {
  server = spawn('taskset', ['-c', '1', process.execPath, '-e', SERVER], { stdio: ['ignore', 'pipe', 'inherit'] });
  server.stdout!.on('data', (d: Buffer) => (base ||= `http://127.0.0.1:${String(d).trim()}`));
  expect(await waitFor(() => base !== '', 10_000)).toBe(true);
});

afterAll(() => {
  server?.kill('SIGKILL');
});

const count = async () => Number(await (await fetch(`${base}/count`)).text());

/** A port where nothing listens: one the kernel just handed out, closed again. */
async function freePort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

describe('bench load', () => {
  it("the harness's loader: its count of responses agrees with the server's own count", async () => {
    const before = await count();
    const r = await bench(['load', `${base}/json`, '--connections', '64', '--duration', '3', '--json']);
    expect(r.exitCode, String(r.stderr)).toBe(0);
    const out = JSON.parse(String(r.stdout)) as { requests: number; rps: number; loader: { name: string; runtime: string }; latencyMs: { p99: number }; errors: number; timeouts: number; loaderCpuPct: number; histogramUs: string; mode: string };
    const served = (await count()) - before;
    expect(out.loader.name).toBe('harness');
    expect(out.mode).toBe('closed');
    expect(out.errors + out.timeouts).toBe(0);
    expect(Math.abs(out.requests - served) / served).toBeLessThan(0.005);
    expect(out.latencyMs.p99).toBeGreaterThan(0);
    expect(out.loaderCpuPct).toBeGreaterThan(0);
    expect(out.histogramUs.length).toBeGreaterThan(10);
  }, 60_000);

  it('open loop: prints the requested and the achieved rate, as text', async () => {
    const r = await bench(['load', `${base}/json`, '--connections', '8', '--duration', '2', '--rate', '2000']);
    expect(r.exitCode, String(r.stderr)).toBe(0);
    expect(String(r.stderr)).toMatch(/open loop at 2,000 req\/s, 8 connections/);
    expect(String(r.stdout)).toMatch(/rate {10}requested 2,000\/s, sent 1,9\d\d\/s|rate {10}requested 2,000\/s, sent 2,0\d\d\/s/);
    expect(String(r.stdout)).toMatch(/latency ms +p50 .* \(from the intended send times\)/);
  }, 60_000);

  it.each(['autocannon', 'wrk'])('--loader %s gives the same result shape', async (loader) => {
    const r = await bench(['load', `${base}/json`, '--connections', '16', '--duration', '2', '--loader', loader, '--json']);
    expect(r.exitCode, String(r.stderr)).toBe(0);
    const out = JSON.parse(String(r.stdout)) as Record<string, unknown>;
    expect(out).toMatchObject({ loader: { name: loader }, mode: 'closed', errors: 0, timeouts: 0 });
    for (const key of ['durationS', 'requests', 'rps', 'latencyMs', 'non2xx', 'loaderCpuPct']) expect(out, key).toHaveProperty(key);
    expect(out.rps as number).toBeGreaterThan(100);
  }, 60_000);

  it.each([
    ['harness', /error: No response from http:\/\/127\.0\.0\.1:\d+\/json: the connection was refused \(ECONNREFUSED: [\d,]+ of [\d,]+ errors, 0 timeouts\)\. Fix: Check that a server answers/],
    ['autocannon', /error: No response from http:\/\/127\.0\.0\.1:\d+\/json: the connection was refused \(ECONNREFUSED: /],
    ['wrk', /error: No response from http:\/\/127\.0\.0\.1:\d+\/json: wrk could not connect to 127\.0\.0\.1:\d+: Connection refused\./],
  ])('--loader %s against a port where nothing listens: says the connection was refused, and exits 1', async (loader, message) => {
    const url = `http://127.0.0.1:${await freePort()}/json`;
    const r = await bench(['load', url, '--connections', '4', '--duration', '1', '--loader', loader]);
    expect(r.exitCode, String(r.stderr)).toBe(1);
    expect(String(r.stderr)).toMatch(message);
  }, 60_000);

  it('--json against a port where nothing listens: the result on stdout, the failure on stderr, exit 1', async () => {
    const r = await bench(['load', `http://127.0.0.1:${await freePort()}/json`, '--connections', '2', '--duration', '0.5', '--json']);
    expect(r.exitCode, String(r.stderr)).toBe(1);
    const out = JSON.parse(String(r.stdout)) as { requests: number; errors: number; errorKinds: Record<string, number> };
    expect(out.requests).toBe(0);
    expect(out.errorKinds).toEqual({ ECONNREFUSED: out.errors });
    expect(String(r.stderr)).toMatch(/the connection was refused/);
  }, 60_000);

  it.each([
    [['load'], /load takes exactly one URL/],
    [['load', 'https://127.0.0.1:1/json'], /https: URLs are not supported/],
    [['load', 'not a url'], /"not a url" is not a URL/],
    [['load', 'http://127.0.0.1:1/json', '--loader', 'gatling'], /--loader: "gatling" is not a loader\. Fix: Allowed values: harness, autocannon, wrk/],
    [['load', 'http://127.0.0.1:1/json', '--rate', '100', '--loader', 'autocannon'], /autocannon has no open-loop mode/],
  ])('%j is refused with a clear error', async (args, message) => {
    const r = await bench(args);
    expect(r.exitCode).toBe(2);
    expect(String(r.stderr)).toMatch(message);
  });
});
