// The WebSocket loader and its verification speaking Socket.IO (protocol { name: 'socket.io' }),
// against the real node-socketio target (targets/node-socketio/server.js, one worker, on the host's
// Node) and against a Socket.IO fixture with faults (test/fixtures/ws-socketio-server.ts): the
// target passes every check and is load-tested like a plain WebSocket target (every echo counted
// once, every broadcast round reaching every client once, a capacity ramp of a few hundred
// clients); an echo that drops every tenth message and a broadcast that skips a client are
// rejected; the clients answer Engine.IO's pings, count packets they do not know and leave the
// namespace when they close. Both need the target's packages: `npm ci` in targets/node-socketio,
// which the tests run when its node_modules is missing (and fail, saying so, when it cannot).
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { setTimeout as sleep } from 'node:timers/promises';
import * as hdr from 'hdr-histogram-js';
import { afterAll, afterEach, beforeAll, describe, expect, test } from 'vitest';
import { findBun } from '../../harness/load/loader-runtime.ts';
import { createWsLoader, WS_WORKER_PATH, type WsLoaderOptions, type WsProtocol } from '../../harness/load/ws/index.ts';
import { decodeSioPacket, encodeEvent, eventOverheadBytes, normalizeSocketIo, parseOpenPacket, SioClient } from '../../harness/load/ws/socketio.ts';
import { sioBoundarySizes, verifyWsBroadcast, verifyWsEcho } from '../../harness/load/ws/verify.ts';
import { freePort } from '../../harness/runtime/ports.ts';
import { SOCKETIO_TARGET_DIR, startSioServer, type SioServerFixture, type SioServerOptions } from '../fixtures/ws-socketio-server.ts';
import { processesRunning, waitFor } from '../helpers.ts';

const execFileAsync = promisify(execFile);
type Runtime = WsLoaderOptions['runtime'];
const NODE: Runtime = { name: 'node', version: process.versions.node, command: [process.execPath, '--import', fileURLToPath(import.meta.resolve('tsx'))] };
const bun = await findBun();
const RUNTIMES: Runtime[] = bun.ok ? [NODE, { name: 'bun', version: bun.version, command: [bun.path, '--no-install', '--no-env-file'] }] : [NODE];
const LOADER_CPU = 0;

const ECHO: WsProtocol = { name: 'socket.io', path: '/socket.io/', namespace: '/echo' };
const BROADCAST: WsProtocol = { name: 'socket.io', path: '/socket.io/', namespace: '/broadcast' };

/** The real target: `node server.js` in targets/node-socketio, one worker, on a free port. */
let target: { url: string; child: ChildProcess; log: string[] } | null = null;
beforeAll(async () => {
  if (!fs.existsSync(path.join(SOCKETIO_TARGET_DIR, 'node_modules/socket.io'))) {
    // Prepared as the local runtime prepares the target (its target.json: npm ci); a failure says what to do.
    try {
      await execFileAsync('npm', ['ci', '--no-audit', '--no-fund', '--loglevel=error'], { cwd: SOCKETIO_TARGET_DIR, timeout: 240_000 });
    } catch (error) {
      throw new Error(`These tests run the node-socketio target, whose packages are not installed and \`npm ci\` failed there (${(error as Error).message.split('\n')[0]}): run \`npm ci\` in ${SOCKETIO_TARGET_DIR}.`);
    }
  }
  const port = await freePort();
  const log: string[] = [];
  const child = spawn(process.execPath, ['server.js'], {
    cwd: SOCKETIO_TARGET_DIR,
    env: { ...process.env, PORT: String(port), HOST: '127.0.0.1', WORKERS: '1', NODE_ENV: 'production', REDIS_URL: '' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stdout!.on('data', (b: Buffer) => log.push(b.toString()));
  child.stderr!.on('data', (b: Buffer) => log.push(b.toString()));
  const url = `http://127.0.0.1:${port}`;
  const ready = await waitForHealth(url, child, 15_000);
  if (!ready) {
    child.kill('SIGKILL');
    throw new Error(`targets/node-socketio/server.js did not answer /health within 15 s: ${log.join('').slice(-2000)}`);
  }
  target = { url, child, log };
}, 300_000);
afterAll(() => {
  target?.child.kill('SIGKILL');
});

async function waitForHealth(url: string, child: ChildProcess, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline && child.exitCode === null) {
    try {
      if ((await fetch(`${url}/health`)).ok) return true;
    } catch {
      // not listening yet
    }
    await sleep(100);
  }
  return false;
}

const real = () => target!.url;

const fixtures: SioServerFixture[] = [];
afterEach(async () => {
  await Promise.all(fixtures.splice(0).map((s) => s.close()));
});
async function fixture(options: SioServerOptions = {}): Promise<SioServerFixture> {
  const s = await startSioServer(options);
  fixtures.push(s);
  return s;
}

const status = (checks: { name: string; status: string }[]) => Object.fromEntries(checks.map((c) => [c.name, c.status]));

describe('socket.io codec', () => {
  test('packets as socket.io-parser writes and reads them', () => {
    expect(normalizeSocketIo({ name: 'socket.io', path: '/socket.io', namespace: '/echo' }).path).toBe('/socket.io/');
    expect(() => normalizeSocketIo({ name: 'socket.io', path: '/socket.io/', namespace: 'echo' })).toThrow(/must start with "\/"/);
    expect(() => normalizeSocketIo({ name: 'socket.io', path: '/socket.io/', namespace: '/a,b' })).toThrow(/without ','/);
    expect(encodeEvent('/echo', ['message', 'hi'])).toBe('42/echo,["message","hi"]');
    expect(encodeEvent('/', ['message', 'hi'])).toBe('42["message","hi"]');
    expect(eventOverheadBytes('/echo')).toBe(22);
    expect(sioBoundarySizes('/echo')).toEqual([1, 103, 104, 105, 65513, 65514]);
    expect(decodeSioPacket('0/echo,{"sid":"abc"}')).toEqual({ type: 0, nsp: '/echo', id: null, data: { sid: 'abc' } });
    expect(decodeSioPacket('4/echo,{"message":"Invalid namespace"}')).toMatchObject({ type: 4, data: { message: 'Invalid namespace' } });
    expect(decodeSioPacket('2/echo,12["message","x"]')).toMatchObject({ type: 2, nsp: '/echo', id: 12, data: ['message', 'x'] });
    expect(decodeSioPacket('2["message","x"]')).toMatchObject({ type: 2, nsp: '/', id: null });
    expect(decodeSioPacket('1/echo,')).toMatchObject({ type: 1, nsp: '/echo', data: undefined });
    expect(decodeSioPacket('9')).toBeNull();
    expect(decodeSioPacket('2/echo,[oops')).toBeNull();
    expect(parseOpenPacket('0{"sid":"s","upgrades":[],"pingInterval":25000,"pingTimeout":20000,"maxPayload":1000000}')).toEqual({
      sid: 's',
      upgrades: [],
      pingInterval: 25000,
      pingTimeout: 20000,
      maxPayload: 1000000,
    });
    expect(parseOpenPacket('0{"sid":"s"}')).toMatch(/without pingInterval/);
    expect(parseOpenPacket('0{')).toMatch(/malformed JSON/);
  });
});

describe('verification', () => {
  test('the real node-socketio target passes every check, its first Engine.IO ping answered', { timeout: 60_000 }, async () => {
    // The echo check waits for the server's first ping (pingInterval, 25 s by default): the broadcast checks run meanwhile.
    const [echo, broadcast] = await Promise.all([verifyWsEcho(`${real()}/ws/echo`, { protocol: ECHO }), verifyWsBroadcast(`${real()}/ws/broadcast`, { protocol: BROADCAST })]);
    expect(status(echo)).toEqual({
      'sio-echo-handshake': 'pass',
      'sio-echo-sizes': 'pass',
      'sio-echo-order': 'pass',
      'sio-echo-heartbeat': 'pass',
      'sio-echo-packets': 'pass',
      'sio-echo-close': 'pass',
    });
    expect(echo.find((c) => c.name === 'sio-echo-heartbeat')!.detail).toMatch(/pingInterval 25000 ms\) and was answered with a pong/);
    expect(status(broadcast)).toEqual({ 'sio-broadcast-handshake': 'pass', 'sio-broadcast-delivery': 'pass', 'sio-broadcast-packets': 'pass' });
  });

  test('a server that pings often: the pong is taken (the next ping comes) and the connection keeps echoing', { timeout: 20_000 }, async () => {
    const s = await fixture({ pingIntervalMs: 300, pingTimeoutMs: 300 });
    const checks = await verifyWsEcho(`${s.url}/ws/echo`, { protocol: ECHO });
    expect(checks.filter((c) => c.status !== 'pass')).toEqual([]);
    expect(checks.find((c) => c.name === 'sio-echo-heartbeat')!.detail).toMatch(/the next came \d+ ms later, so the pong was taken/);
    expect(await waitFor(() => (s.disconnectReasons()['client namespace disconnect'] ?? 0) === 1, 2000)).toBe(true);
  });

  test('a heartbeat the check may not wait for is a warning that says so, never a pass; 0 leaves it out', { timeout: 20_000 }, async () => {
    const s = await fixture();
    const checks = await verifyWsEcho(`${s.url}/ws/echo`, { protocol: ECHO, heartbeatWaitMs: 1000 });
    expect(checks.find((c) => c.name === 'sio-echo-heartbeat')).toMatchObject({ status: 'warn', detail: expect.stringMatching(/^not checked: .*pingInterval/) });
    const none = await verifyWsEcho(`${s.url}/ws/echo`, { protocol: ECHO, heartbeatWaitMs: 0 });
    expect(none.map((c) => c.name)).not.toContain('sio-echo-heartbeat');
    expect(none.filter((c) => c.status !== 'pass')).toEqual([]);
  });

  test('an echo that drops every tenth message is rejected', { timeout: 20_000 }, async () => {
    const s = await fixture({ fault: 'drop-every-10th' });
    const checks = await verifyWsEcho(`${s.url}/ws/echo`, { protocol: ECHO, timeoutMs: 1000, heartbeatWaitMs: 0 });
    expect(checks.find((c) => c.name === 'sio-echo-order')).toMatchObject({ status: 'fail', detail: expect.stringMatching(/10 missing/) });
  });

  test('a broadcast to all but one client is rejected, naming the client', { timeout: 20_000 }, async () => {
    const s = await fixture({ fault: 'skip-one-client' });
    const checks = await verifyWsBroadcast(`${s.url}/ws/broadcast`, { protocol: BROADCAST, timeoutMs: 1000 });
    expect(checks.find((c) => c.name === 'sio-broadcast-delivery')).toMatchObject({ status: 'fail', detail: expect.stringMatching(/client 2 of 5/) });
  });

  test('events the loader does not know are flagged', { timeout: 20_000 }, async () => {
    const s = await fixture({ fault: 'extra-events' });
    const checks = await verifyWsEcho(`${s.url}/ws/echo`, { protocol: ECHO, heartbeatWaitMs: 0 });
    expect(checks.find((c) => c.name === 'sio-echo-packets')).toMatchObject({ status: 'warn', detail: expect.stringContaining('42/echo,[\\"note\\"') });
    expect(checks.find((c) => c.name === 'sio-echo-sizes')!.status).toBe('pass');
  });

  test('a namespace the server does not have fails the handshake with its CONNECT_ERROR', { timeout: 20_000 }, async () => {
    const checks = await verifyWsEcho(`${real()}/ws/echo`, { protocol: { name: 'socket.io', path: '/socket.io/', namespace: '/nope' } });
    expect(checks).toEqual([{ name: 'sio-echo-handshake', status: 'fail', detail: expect.stringMatching(/namespace \/nope refused the connect: Invalid namespace/) }]);
    // And a wrong path: Socket.IO's server does not upgrade it.
    const wrongPath = await verifyWsEcho(`${real()}/ws/echo`, { protocol: { name: 'socket.io', path: '/engine.io/', namespace: '/echo' }, timeoutMs: 2000 });
    expect(wrongPath[0]).toMatchObject({ name: 'sio-echo-handshake', status: 'fail' });
  });

  test('SioClient: the handshake, an event each way, leaving the namespace', { timeout: 10_000 }, async () => {
    const c = await SioClient.connect(`${real()}/ws/echo`, { protocol: ECHO });
    expect(c.eio).toMatchObject({ pingInterval: 25000, pingTimeout: 20000, upgrades: [] });
    expect(c.sid).toMatch(/./);
    c.sendText('hello é€😀');
    expect(await c.until(() => c.texts.length === 1, 2000)).toBe(true);
    expect(c.texts).toEqual(['hello é€😀']);
    c.close();
    expect(await c.until(() => c.closeFrame !== null, 2000)).toBe(true);
    c.destroy();
  });
});

describe.each(RUNTIMES)('ws loader speaking socket.io on $name $version', (runtime) => {
  const loader = (options: Partial<WsLoaderOptions> = {}) => createWsLoader({ cpus: [LOADER_CPU], runtime, messageTimeoutMs: 1000, ...options });

  test('echo against the real target: every message counted once, at the asked rate', { timeout: 30_000 }, async () => {
    const r = await loader().echo({ url: `${real()}/ws/echo`, protocol: ECHO, clients: 40, ratePerClient: 50, durationS: 2, messageBytes: 100 });
    expect(r.clients).toBe(40);
    expect(r.handshakes).toMatchObject({ ok: 40, failed: 0 });
    expect(r.handshakes.latencyMs.p50).toBeGreaterThan(0);
    expect(r.rtt).toMatchObject({ sent: 4000, received: 4000, lost: 0 });
    expect(r.outOfOrder + r.misrouted + r.unexpected + r.dropped).toBe(0);
    expect(r.messagesPerS).toBeGreaterThan(1800);
    expect(r.messagesPerS).toBeLessThan(2100);
    expect(hdr.decodeFromCompressedBase64(r.rtt.histogramUs).totalCount).toBe(4000);
    expect(processesRunning(WS_WORKER_PATH)).toEqual([]);
  });

  test('echo: the server gets each message once, as a `message` event of messageBytes; the clients leave the namespace at the end', { timeout: 30_000 }, async () => {
    const s = await fixture();
    const r = await loader().echo({ url: s.url, protocol: ECHO, clients: 20, ratePerClient: 50, durationS: 1, messageBytes: 100 });
    expect(r.rtt).toMatchObject({ sent: 1000, received: 1000, lost: 0 });
    expect(s.received()).toBe(1000);
    expect(s.lastMessage()).toEqual(expect.stringMatching(/^\d+,\d+,\d+,x+$/));
    expect((s.lastMessage() as string).length).toBe(100);
    expect(await waitFor(() => s.clients() === 0, 5000)).toBe(true);
    expect(s.disconnectReasons()).toEqual({ 'client namespace disconnect': 20 });
  });

  test("echo: the clients answer the server's pings, so a server that pings every 200 ms drops none", { timeout: 30_000 }, async () => {
    const s = await fixture({ pingIntervalMs: 200, pingTimeoutMs: 200 });
    const r = await loader().echo({ url: s.url, protocol: ECHO, clients: 10, ratePerClient: 20, durationS: 2 });
    expect(r.dropped).toBe(0);
    expect(r.rtt).toMatchObject({ sent: 400, received: 400, lost: 0 });
    // ~10 pings per client over 2 s: every one answered, or the server would have dropped the client.
    expect(s.heartbeats()).toBeGreaterThanOrEqual(60);
  });

  test('echo: dropped echoes show as lost, events the loader does not know as unexpected', { timeout: 30_000 }, async () => {
    const s = await fixture({ fault: 'drop-every-10th' });
    const dropped = await loader().echo({ url: s.url, protocol: ECHO, clients: 10, ratePerClient: 50, durationS: 1 });
    expect(dropped.rtt).toMatchObject({ sent: 500, lost: 50, received: 450 });
    s.fault = 'extra-events';
    const extra = await loader().echo({ url: s.url, protocol: ECHO, clients: 10, ratePerClient: 50, durationS: 1 });
    expect(extra.rtt).toMatchObject({ sent: 500, received: 500, lost: 0 });
    expect(extra.unexpected).toBe(500);
    expect(extra.misrouted + extra.outOfOrder + extra.dropped).toBe(0);
  });

  test('broadcast, closed loop, against the real target: every round reaches every client once', { timeout: 30_000 }, async () => {
    const r = await loader().broadcast({ url: `${real()}/ws/broadcast`, protocol: BROADCAST, clients: 30, durationS: 1 });
    expect(r.clients).toBe(30);
    expect(r.rounds).toBeGreaterThan(20);
    expect(r.completeRounds).toBe(r.rounds);
    expect(r.deliveries).toBe(r.rounds * 30);
    expect(r.missing + r.outOfOrder + r.unexpected + r.dropped).toBe(0);
    expect(hdr.decodeFromCompressedBase64(r.deliveryHistogramUs).totalCount).toBe(r.deliveries);
  });

  test('broadcast, open loop over two worker processes: the real target reaches all; a server that skips one client shows it missing', { timeout: 30_000 }, async () => {
    const two = loader({ cpus: [0, 1] });
    const r = await two.broadcast({ url: `${real()}/ws/broadcast`, protocol: BROADCAST, clients: 20, durationS: 1, rate: 50 });
    expect(r).toMatchObject({ mode: 'open', rounds: 50, completeRounds: 50, deliveries: 1000, missing: 0, outOfOrder: 0, unexpected: 0, dropped: 0 });
    expect(r.deliveryMs.max).toBeLessThan(500);
    const s = await fixture({ fault: 'skip-one-client' });
    const skipped = await two.broadcast({ url: s.url, protocol: BROADCAST, clients: 20, durationS: 1, rate: 50 });
    expect(skipped.completeRounds).toBe(0);
    expect(skipped.missing).toBe(50);
    expect(skipped.deliveries).toBe(950);
  });

  test('capacity against the real target: 3 steps of 100, each client counted once its namespace connect is acknowledged', { timeout: 60_000 }, async () => {
    const r = await loader().capacity(
      { url: `${real()}/ws/echo`, protocol: ECHO, stepClients: 100, maxClients: 300, sampleMessages: 100, sampleRate: 1000 },
      { onStep: () => sleep(200) },
    );
    expect(r.stopReason).toBe('ceiling');
    expect(r.steps.map((s) => s.connected)).toEqual([100, 200, 300]);
    for (const step of r.steps) {
      expect(step.handshakes).toMatchObject({ ok: 100, failed: 0 });
      expect(step.rtt).toMatchObject({ sent: 100, received: 100, lost: 0 });
      expect(step.dropped + step.unexpected).toBe(0);
    }
    expect(r.maxClientsWithinLimits).toBe(300);
  });

  test('capacity: held clients keep answering pings between steps; a refused namespace connect is a failed handshake', { timeout: 30_000 }, async () => {
    const s = await fixture({ pingIntervalMs: 200, pingTimeoutMs: 200 });
    const r = await loader().capacity(
      { url: s.url, protocol: ECHO, stepClients: 50, maxClients: 100, sampleMessages: 20, sampleRate: 1000 },
      // Longer than pingInterval + pingTimeout: a client that did not answer would be gone.
      { onStep: () => sleep(1000) },
    );
    expect(r.steps.map((x) => [x.connected, x.dropped])).toEqual([
      [50, 0],
      [100, 0],
    ]);
    expect(s.heartbeats()).toBeGreaterThan(100);

    const refused = await loader().capacity({ url: s.url, protocol: { name: 'socket.io', path: '/socket.io/', namespace: '/nope' }, stepClients: 10, maxClients: 100, sampleMessages: 5 });
    expect(refused.stopReason).toBe('failures');
    expect(refused.steps[0]!.handshakes).toMatchObject({ ok: 0, failed: 10, errorKinds: { 'socket.io connect refused (Invalid namespace)': 10 } });
  });
});
