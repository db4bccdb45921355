// The WebSocket load generator's clients in-process, without a worker: a ClientSet of LoadClients
// (harness/load/ws/client-set.ts, load-client.ts) on the kit's node:net transport, driven as the
// worker's commands drive them, against the `ws` fixture server (test/fixtures/ws-server.ts), a
// server of this file's (it reports the clients' source addresses, and closes them all on demand)
// and the Socket.IO fixture (test/fixtures/ws-socketio-server.ts): the upgrade, an echo's round
// trips, a close by the server counted as a drop, a refused connect as a failure, the Socket.IO
// join with its heartbeat, a broadcast's rounds, and the close handshake at the end.
import http from 'node:http';
import type net from 'node:net';
import * as hdr from 'hdr-histogram-js';
import { afterEach, describe, expect, test } from 'vitest';
import { WebSocketServer } from 'ws';
import { BroadcastRounds } from '../../harness/load/ws/broadcast-rounds.ts';
import { ClientSet, MessageCounts, type ClientSetSettings } from '../../harness/load/ws/client-set.ts';
import { EchoSchedule } from '../../harness/load/ws/echo-schedule.ts';
import { CLOSED, endpointFor, OPEN } from '../../harness/load/ws/load-client.ts';
import { sourcePortRange } from '../../harness/load/ws/limits.ts';
import { socketIoRequestPath } from '../../harness/load/ws/socketio.ts';
import { freePort } from '../../harness/runtime/ports.ts';
import { startWsServer, type WsServerFixture } from '../fixtures/ws-server.ts';
import { startSioServer, type SioServerFixture } from '../fixtures/ws-socketio-server.ts';
import { waitFor } from '../helpers.ts';

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  await Promise.all(cleanups.splice(0).map((c) => c()));
});

async function wsServer(): Promise<WsServerFixture> {
  const s = await startWsServer();
  cleanups.push(() => s.close());
  return s;
}

/** A `ws` server of this file's: it records each client's source address and port, and closes every WebSocket with 1001 "bye" when asked. */
async function ownServer(): Promise<{ port: number; remotes: string[]; closeEach(): void }> {
  const server = http.createServer();
  const wss = new WebSocketServer({ server });
  const remotes: string[] = [];
  wss.on('connection', (ws, req) => {
    remotes.push(`${req.socket.remoteAddress}:${req.socket.remotePort}`);
    ws.on('error', () => {});
  });
  const sockets = new Set<net.Socket>();
  server.on('connection', (s: net.Socket) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  cleanups.push(
    () =>
      new Promise((resolve) => {
        for (const s of sockets) s.destroy();
        wss.close();
        server.close(() => resolve());
      }),
  );
  return { port: (server.address() as net.AddressInfo).port, remotes, closeEach: () => wss.clients.forEach((ws) => ws.close(1001, 'bye')) };
}

function settings(port: number, more: Partial<ClientSetSettings> = {}): ClientSetSettings {
  return {
    host: '127.0.0.1',
    port,
    hostHeader: `127.0.0.1:${port}`,
    origin: `http://127.0.0.1:${port}`,
    sourceAddresses: [],
    sourcePorts: null,
    connectTimeoutMs: 5000,
    connectConcurrency: 8,
    transport: 'node:net',
    ...more,
  };
}

/** A worker's clients and commands, in this process. */
function clientsOf(s: ClientSetSettings) {
  const counts = new MessageCounts();
  const clients = new ClientSet(s, counts);
  cleanups.push(() => clients.closeAll());
  return { clients, echo: new EchoSchedule(clients, counts, 1000), broadcast: new BroadcastRounds(clients, counts, 1000) };
}

const count = (histogramUs: string) => hdr.decodeFromCompressedBase64(histogramUs).totalCount;

describe('LoadClient in-process', () => {
  test('connects and upgrades: every client held, each handshake timed', { timeout: 10_000 }, async () => {
    const server = await wsServer();
    const { clients } = clientsOf(settings(server.port));
    const opened = await clients.open('/ws/echo', 20, 0);
    expect(opened).toMatchObject({ type: 'opened', ok: 20, failed: 0, errorKinds: {}, dropped: 0, open: 20 });
    expect(count(opened.handshakeUs)).toBe(20);
    expect(clients.openClients().map((c) => c.id)).toEqual(Array.from({ length: 20 }, (_, i) => i));
    expect(clients.openClients().every((c) => c.state === OPEN)).toBe(true);
    expect(server.clients()).toBe(20);
  });

  test('an upgrade the server refuses, and a port where nothing listens, are failed connects', { timeout: 10_000 }, async () => {
    const server = await wsServer();
    const { clients } = clientsOf(settings(server.port));
    expect(await clients.open('/nowhere', 3, 0)).toMatchObject({ ok: 0, failed: 3, errorKinds: { 'HTTP 404': 3 }, open: 0 });
    const nobody = clientsOf(settings(await freePort())).clients;
    expect(await nobody.open('/ws/echo', 2, 0)).toMatchObject({ ok: 0, failed: 2, errorKinds: { ECONNREFUSED: 2 } });
  });

  test('echo: each round trip is recorded from the send time, with the schedule lateness beside it', { timeout: 10_000 }, async () => {
    const server = await wsServer();
    const { clients, echo } = clientsOf(settings(server.port));
    await clients.open('/ws/echo', 10, 0);
    const sampled = await echo.sample({ cmd: 'sample', messages: 30, rate: 1000, bytes: 64 });
    expect(sampled).toMatchObject({ type: 'sampled', sent: 30, received: 30, lost: 0, unexpected: 0, dropped: 0, open: 10 });
    expect(count(sampled.rttUs)).toBe(30);
    expect(count(sampled.latenessUs)).toBe(30);
    expect(server.received()).toBe(30);
    // 300 bytes: frames with a 16-bit length.
    const echoed = await echo.echo({ cmd: 'echo', ratePerClient: 20, durationS: 0.5, bytes: 300 });
    expect(echoed).toMatchObject({ clients: 10, sent: 100, received: 100, lost: 0, outOfOrder: 0, misrouted: 0, unexpected: 0 });
    const rtt = hdr.decodeFromCompressedBase64(echoed.rttUs);
    expect(rtt.totalCount).toBe(100);
    expect(rtt.minNonZeroValue).toBeGreaterThan(0);
    expect(rtt.maxValue).toBeLessThan(500_000);
  });

  test('an echo the server drops is lost and goes into the round trips at the message timeout', { timeout: 10_000 }, async () => {
    const server = await wsServer();
    server.fault = 'drop-every-10th';
    const { clients, echo } = clientsOf(settings(server.port));
    await clients.open('/ws/echo', 1, 0);
    const sampled = await echo.sample({ cmd: 'sample', messages: 10, rate: 1000, bytes: 32 });
    expect(sampled).toMatchObject({ sent: 10, received: 9, lost: 1 });
    const rtt = hdr.decodeFromCompressedBase64(sampled.rttUs);
    expect(rtt.totalCount).toBe(10);
    expect(rtt.maxValue).toBeGreaterThanOrEqual(999_000);
  });

  test('a held client the server closes is counted as dropped, with why, and no longer held', { timeout: 10_000 }, async () => {
    const server = await ownServer();
    const { clients } = clientsOf(settings(server.port));
    expect(await clients.open('/', 5, 0)).toMatchObject({ ok: 5, dropped: 0, open: 5 });
    server.closeEach();
    expect(await waitFor(() => clients.held === 0, 3000, 10)).toBe(true);
    expect(clients.takeDrops()).toEqual({ dropped: 5, dropKinds: { 'closed by the server (1001 bye)': 5 }, open: 0 });
    expect(clients.all().every((c) => c.state === CLOSED)).toBe(true);
    expect(clients.takeDrops().dropped).toBe(0);
  });

  test('a server that goes away without a close frame drops every client', { timeout: 10_000 }, async () => {
    const server = await wsServer();
    const { clients } = clientsOf(settings(server.port));
    await clients.open('/ws/echo', 4, 0);
    await server.close();
    expect(await waitFor(() => clients.held === 0, 3000, 10)).toBe(true);
    expect(clients.takeDrops()).toMatchObject({ dropped: 4, dropKinds: { 'closed by the server without a close frame': 4 } });
  });

  test('closeAll: a close handshake with every client', { timeout: 10_000 }, async () => {
    const server = await wsServer();
    const { clients } = clientsOf(settings(server.port));
    await clients.open('/ws/echo', 6, 0);
    await clients.closeAll();
    expect(await waitFor(() => server.clients() === 0, 3000, 10)).toBe(true);
    expect(server.closeCodes()).toEqual({ 1000: 6 });
    expect(clients.takeDrops().dropped).toBe(0);
  });

  test('broadcast: every round reaches every client once', { timeout: 10_000 }, async () => {
    const server = await wsServer();
    const { clients, broadcast } = clientsOf(settings(server.port));
    await clients.open('/ws/broadcast', 5, 0);
    expect(broadcast.listen({ cmd: 'listen', sender: -1 })).toMatchObject({ sender: 0, open: 5 });
    const sent = await broadcast.sendRounds({ cmd: 'send-rounds', rate: 100, durationS: 0.2, bytes: 32 });
    expect(sent.rounds).toBe(20);
    const collected = await broadcast.collect({ cmd: 'collect', rounds: 20 });
    const perRound = new Uint32Array(new Uint8Array(Buffer.from(collected.counts, 'base64')).buffer);
    expect([...perRound]).toEqual(Array(20).fill(5));
    expect(count(collected.deliveryUs)).toBe(100);
    expect(collected).toMatchObject({ outOfOrder: 0, unexpected: 0, dropped: 0 });
  });

  test('source addresses and ports: client id takes address id mod n and its planned port, other ports on retries', () => {
    const s = settings(8080, { sourceAddresses: ['127.0.0.1', '127.0.0.2'], sourcePorts: { low: 10_000, high: 10_999, planned: 100 } });
    expect(endpointFor(s, 0, 0)).toEqual({ host: '127.0.0.1', port: 8080, localAddress: '127.0.0.1', localPort: 10_000 });
    expect(endpointFor(s, 5, 0)).toEqual({ host: '127.0.0.1', port: 8080, localAddress: '127.0.0.2', localPort: 10_002 });
    const retry = endpointFor(s, 5, 1);
    expect(retry.localAddress).toBe('127.0.0.2');
    expect(retry.localPort).toBeGreaterThanOrEqual(10_100);
    expect(retry.localPort).toBeLessThanOrEqual(10_999);
    expect(endpointFor(settings(8080), 5, 0)).toEqual({ host: '127.0.0.1', port: 8080 });
  });

  test('clients connect from their source address and planned port', { timeout: 10_000 }, async () => {
    const server = await ownServer();
    const ports = sourcePortRange();
    const s = settings(server.port, { sourceAddresses: ['127.0.0.1', '127.0.0.2'], sourcePorts: { low: ports.low + 500, high: ports.high, planned: 2 } });
    const { clients } = clientsOf(s);
    expect(await clients.open('/', 4, 0)).toMatchObject({ ok: 4, failed: 0 });
    // Each planned port is used unless something holds it (then another is taken): compare addresses, and ports where planned.
    const expected = [0, 1, 2, 3].map((id) => endpointFor(s, id, 0)).map((e) => `${e.localAddress}:${e.localPort}`);
    expect(server.remotes.map((r) => r.split(':')[0]).sort()).toEqual(['127.0.0.1', '127.0.0.1', '127.0.0.2', '127.0.0.2']);
    expect(server.remotes.filter((r) => expected.includes(r)).length).toBeGreaterThanOrEqual(3);
  });
});

describe('LoadClient speaking Socket.IO in-process', () => {
  async function sio(options: Parameters<typeof startSioServer>[0] = {}): Promise<SioServerFixture> {
    const s = await startSioServer(options);
    cleanups.push(() => s.close());
    return s;
  }

  test('joins the namespace (held only once the connect is acknowledged), echoes as `message` events, answers pings, leaves at close', { timeout: 15_000 }, async () => {
    const server = await sio({ pingIntervalMs: 200, pingTimeoutMs: 200 });
    const { clients, echo } = clientsOf(settings(server.port, { socketio: { namespace: '/echo' } }));
    const opened = await clients.open(socketIoRequestPath('/socket.io/'), 5, 0);
    expect(opened).toMatchObject({ ok: 5, failed: 0, open: 5 });
    expect(server.clients()).toBe(5);
    const sampled = await echo.sample({ cmd: 'sample', messages: 10, rate: 1000, bytes: 50 });
    expect(sampled).toMatchObject({ sent: 10, received: 10, lost: 0, unexpected: 0 });
    expect(server.lastMessage()).toEqual(expect.stringMatching(/^\d+,\d+,\d+,x+$/));
    expect((server.lastMessage() as string).length).toBe(50);
    // Longer than pingInterval + pingTimeout: a client that did not answer would be gone.
    await new Promise((r) => setTimeout(r, 800));
    expect(clients.takeDrops()).toMatchObject({ dropped: 0, open: 5 });
    expect(server.heartbeats()).toBeGreaterThanOrEqual(5);
    await clients.closeAll();
    expect(await waitFor(() => server.clients() === 0, 3000, 10)).toBe(true);
    expect(server.disconnectReasons()).toEqual({ 'client namespace disconnect': 5 });
  });

  test('a namespace the server does not have is a failed handshake with its CONNECT_ERROR', { timeout: 10_000 }, async () => {
    const server = await sio();
    const { clients } = clientsOf(settings(server.port, { socketio: { namespace: '/nope' } }));
    expect(await clients.open(socketIoRequestPath('/socket.io/'), 3, 0)).toMatchObject({ ok: 0, failed: 3, errorKinds: { 'socket.io connect refused (Invalid namespace)': 3 } });
  });
});
