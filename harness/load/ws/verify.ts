// Contract checks for the WebSocket endpoints, before any load: /ws/echo returns exactly what was
// sent, in order, for text at the frame-length boundaries (125/126 bytes: 7-bit to 16-bit length;
// 65535/65536: 16-bit to 64-bit) and with multi-byte UTF-8; /ws/broadcast brings every message to
// every connected client (the sender too, as the contract says) exactly once, each sender's in order.
//
// With the socket.io protocol the same echo and broadcast checks run on `message` events (named
// sio-echo-* and sio-broadcast-*; the payload sizes are chosen so that the frames still straddle
// the length encodings), and the plain protocol's WebSocket ping check gives way to Socket.IO's
// own: the Engine.IO handshake and namespace connect, the server's heartbeat answered, packets the
// loader would not understand, and leaving the namespace before the close handshake.
import { setTimeout as sleep } from 'node:timers/promises';
import type { CheckResult } from '../../types.ts';
import { WsClient } from './client.ts';
import { eventOverheadBytes, normalizeSocketIo, preview, SioClient, type SocketIoProtocol } from './socketio.ts';
import type { WsProtocol } from './types.ts';

const pass = (name: string, detail: string): CheckResult => ({ name, status: 'pass', detail });
const warn = (name: string, detail: string): CheckResult => ({ name, status: 'warn', detail });
const fail = (name: string, detail: string): CheckResult => ({ name, status: 'fail', detail });

/** Payload sizes at the frame-length encodings' edges, and a one-byte message. */
export const BOUNDARY_SIZES = [1, 125, 126, 127, 65535, 65536] as const;
const DEFAULT_TIMEOUT_MS = 5000;
/** How long to wait for duplicates after everything expected has arrived. */
const LINGER_MS = 200;

/** A text of exactly `bytes` UTF-8 bytes that starts with `tag` where it fits, with 2-, 3- and 4-byte characters in it where they fit. */
export function textOfBytes(bytes: number, tag: string): string {
  const head = tag.length <= bytes ? tag : tag.slice(0, bytes);
  let left = bytes - head.length;
  // 16 bytes: é (2), € (3), 😀 (4), 7 ASCII.
  const unit = 'é€😀abcdefg';
  const body = unit.repeat(Math.floor(left / 16));
  left -= Math.floor(left / 16) * 16;
  return head + body + 'z'.repeat(left);
}

/** Waits until `predicate` holds (checked every 5 ms: it spans several connections), at most `timeoutMs`. */
async function poll(predicate: () => boolean, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (!predicate() && Date.now() < deadline) await sleep(5);
  return predicate();
}

export interface DeliveryFindings {
  missing: number;
  duplicates: number;
  /** Messages that arrived after one sent later than them. */
  outOfOrder: number;
  /** Messages that were never sent (or came back altered). */
  unexpected: number;
  /** The first problem, in words; '' when there is none. */
  first: string;
}

/** Compares what arrived with what was sent (distinct messages, in sending order). */
export function compareDeliveries(sent: readonly string[], got: readonly string[]): DeliveryFindings {
  const index = new Map(sent.map((m, i) => [m, i]));
  const seen = new Uint8Array(sent.length);
  const f: DeliveryFindings = { missing: 0, duplicates: 0, outOfOrder: 0, unexpected: 0, first: '' };
  const note = (text: string) => {
    if (!f.first) f.first = text;
  };
  const describe = (m: string) => (m.length > 40 ? `${JSON.stringify(m.slice(0, 24))}… (${Buffer.byteLength(m)} bytes)` : JSON.stringify(m));
  let highest = -1;
  got.forEach((m, at) => {
    const i = index.get(m);
    if (i === undefined) {
      f.unexpected++;
      return note(`message ${at + 1} received was not sent as such: ${describe(m)}`);
    }
    if (seen[i]) {
      f.duplicates++;
      return note(`message ${i + 1} arrived twice`);
    }
    seen[i] = 1;
    if (i < highest) {
      f.outOfOrder++;
      note(`message ${i + 1} arrived after message ${highest + 1}`);
    }
    highest = Math.max(highest, i);
  });
  for (let i = 0; i < sent.length; i++) {
    if (!seen[i]) {
      f.missing++;
      note(`message ${i + 1} (${Buffer.byteLength(sent[i]!)} bytes) never arrived`);
    }
  }
  return f;
}

const problems = (f: DeliveryFindings) =>
  [f.missing && `${f.missing} missing`, f.duplicates && `${f.duplicates} duplicated`, f.outOfOrder && `${f.outOfOrder} out of order`, f.unexpected && `${f.unexpected} altered or unexpected`]
    .filter(Boolean)
    .join(', ');

export interface WsVerifyOptions {
  /** Per wait (connect, the echoes of one batch, a broadcast's deliveries); default 5,000 ms. */
  timeoutMs?: number;
  /** Default { name: 'websocket' }; see WsProtocol. */
  protocol?: WsProtocol;
}

export interface WsEchoVerifyOptions extends WsVerifyOptions {
  /** Message sizes in bytes (socket.io: payload sizes); default BOUNDARY_SIZES (socket.io: sioBoundarySizes). */
  sizes?: readonly number[];
  /** Messages in the back-to-back batch (default 100). */
  batch?: number;
  /** socket.io: how long the heartbeat check may wait for the server's first Engine.IO ping
   * (pingInterval after the connect, 25 s by Socket.IO's default; default 30,000 ms). 0 leaves the
   * check out; a pingInterval beyond the wait makes it a warning that it was not checked. */
  heartbeatWaitMs?: number;
}

/** What verification needs of a connection, plain (WsClient) or Socket.IO (SioClient). */
interface Conn {
  /** Messages (socket.io: `message` events' payloads) received, in order. */
  readonly texts: string[];
  sendText(text: string): void;
  until(predicate: () => boolean, timeoutMs: number): Promise<boolean>;
  readonly open: boolean;
  readonly protocolError: string | null;
  readonly closeFrame: { code: number; reason: string } | null;
  close(code?: number, reason?: string): void;
  destroy(): void;
  readonly ended: Promise<void>;
}

/** Each size, one at a time, must come back byte for byte. */
async function checkSizes(client: Conn, name: string, sizes: readonly number[], timeoutMs: number, passDetail: string): Promise<CheckResult> {
  const bad: string[] = [];
  for (const [n, size] of sizes.entries()) {
    const text = textOfBytes(size, `s${n}:`);
    const before = client.texts.length;
    client.sendText(text);
    if (!(await client.until(() => client.texts.length > before, timeoutMs))) {
      bad.push(`${size} B: no echo within ${timeoutMs} ms`);
      break;
    }
    const got = client.texts[before]!;
    if (got !== text) bad.push(`${size} B: came back as ${Buffer.byteLength(got)} bytes${Buffer.byteLength(got) === size ? ' with other content' : ''}`);
  }
  return bad.length ? fail(name, bad.join('; ')) : pass(name, passDetail);
}

/** A batch sent back to back, sizes cycling over the boundaries: all back, each once, in order. */
async function checkOrder(client: Conn, name: string, sizes: readonly number[], batch: number, timeoutMs: number): Promise<CheckResult> {
  const cycle = [16, ...sizes.filter((s) => s >= 16)];
  const sent = Array.from({ length: batch }, (_, i) => textOfBytes(cycle[i % cycle.length]!, `b${i}:`));
  const before = client.texts.length;
  for (const text of sent) client.sendText(text);
  await client.until(() => client.texts.length - before >= sent.length, timeoutMs);
  await client.until(() => false, LINGER_MS);
  const f = compareDeliveries(sent, client.texts.slice(before));
  const issues = problems(f);
  return issues ? fail(name, `${batch} messages sent back to back: ${issues}; first: ${f.first}`) : pass(name, `${batch} messages sent back to back came back once each, in order`);
}

/** Checks /ws/echo: the handshake, every boundary size, a pipelined batch in order, ping/pong and the close handshake.
 * With socket.io: see verifySocketIoEcho. */
export async function verifyWsEcho(url: string, options: WsEchoVerifyOptions = {}): Promise<CheckResult[]> {
  if (options.protocol?.name === 'socket.io') return verifySocketIoEcho(url, options.protocol, options);
  const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const sizes = options.sizes ?? BOUNDARY_SIZES;
  const batch = options.batch ?? 100;
  const checks: CheckResult[] = [];
  let client: WsClient;
  try {
    client = await WsClient.connect(url, { timeoutMs });
  } catch (error) {
    return [fail('ws-echo-handshake', `${url}: ${(error as Error).message}`)];
  }
  try {
    checks.push(pass('ws-echo-handshake', `${url}: 101 with the right Sec-WebSocket-Accept`));
    checks.push(await checkSizes(client, 'ws-echo-sizes', sizes, timeoutMs, `${sizes.join(', ')} bytes (multi-byte UTF-8 included) echoed intact`));
    if (client.open) checks.push(await checkOrder(client, 'ws-echo-order', sizes, batch, timeoutMs));

    if (client.open) {
      client.ping('bench-ping');
      const ponged = await client.until(() => client.pongs.some((p) => p.toString() === 'bench-ping'), timeoutMs);
      checks.push(ponged ? pass('ws-echo-ping', 'ping answered with a pong carrying its payload') : warn('ws-echo-ping', `no pong within ${timeoutMs} ms (RFC 6455 5.5.2 requires one)`));
    }

    checks.push(...(await checkClose(client, 'ws-echo', 'close 1000', timeoutMs)));
  } finally {
    client.destroy();
  }
  return checks;
}

/** The connection's end: a protocol error or a close by the server during the checks fail; else our close 1000 must be answered. */
async function checkClose(client: Conn, prefix: string, what: string, timeoutMs: number): Promise<CheckResult[]> {
  if (client.protocolError) return [fail(`${prefix}-frames`, `the server's frames broke the protocol: ${client.protocolError}`)];
  if (client.closeFrame) return [fail(`${prefix}-close`, `the server closed the connection during the checks (${client.closeFrame.code} ${client.closeFrame.reason})`)];
  client.close(1000, 'done');
  const closed = await client.until(() => client.closeFrame !== null, timeoutMs);
  return [
    closed && client.closeFrame!.code === 1000
      ? pass(`${prefix}-close`, `${what} answered with close 1000`)
      : closed
        ? warn(`${prefix}-close`, `${what} answered with close ${client.closeFrame!.code}`)
        : warn(`${prefix}-close`, `no close frame in answer within ${timeoutMs} ms`),
  ];
}

/** Payload sizes whose `message` event frames on `namespace` are 125, 126, 127, 65535 and 65536 bytes long (the length encodings' edges), and a one-byte payload. */
export function sioBoundarySizes(namespace: string): number[] {
  const overhead = eventOverheadBytes(namespace);
  return [1, ...BOUNDARY_SIZES.filter((s) => s > overhead + 1).map((s) => s - overhead)];
}

/** What the heartbeat check may wait after its start for a ping that has not come: the ping interval plus this. */
const PING_MARGIN_MS = 2000;

/**
 * Checks a Socket.IO echo namespace: the Engine.IO handshake and the namespace connect
 * (sio-echo-handshake), payloads whose frames straddle the length encodings (sio-echo-sizes), a
 * batch back to back in order (sio-echo-order), the server's Engine.IO ping answered with a pong
 * while the connection keeps echoing (sio-echo-heartbeat, see heartbeatWaitMs), no packet the
 * loader would not understand (sio-echo-packets), and leaving the namespace (41) then the close
 * handshake (sio-echo-close).
 */
export async function verifySocketIoEcho(url: string, protocol: SocketIoProtocol, options: WsEchoVerifyOptions = {}): Promise<CheckResult[]> {
  const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const batch = options.batch ?? 100;
  const heartbeatWaitMs = options.heartbeatWaitMs ?? 30_000;
  let sio: SocketIoProtocol;
  try {
    sio = normalizeSocketIo(protocol);
  } catch (error) {
    return [fail('sio-echo-handshake', (error as Error).message)];
  }
  const where = `${url} (Socket.IO at ${sio.path}, namespace ${sio.namespace})`;
  let client: SioClient;
  try {
    client = await SioClient.connect(url, { protocol: sio, timeoutMs });
  } catch (error) {
    return [fail('sio-echo-handshake', `${where}: ${(error as Error).message}`)];
  }
  const checks: CheckResult[] = [];
  try {
    const eio = client.eio!;
    checks.push(
      pass(
        'sio-echo-handshake',
        `${where}: 101, Engine.IO open (pingInterval ${eio.pingInterval} ms, pingTimeout ${eio.pingTimeout} ms${eio.maxPayload ? `, maxPayload ${eio.maxPayload} bytes` : ''}), namespace connected`,
      ),
    );

    const overhead = eventOverheadBytes(sio.namespace);
    const wanted = options.sizes ?? sioBoundarySizes(sio.namespace);
    // A frame above the server's maxPayload would end the connection: such sizes are left out, and said so.
    const sizes = eio.maxPayload ? wanted.filter((s) => s + overhead <= eio.maxPayload!) : wanted;
    const left = wanted.filter((s) => !sizes.includes(s));
    checks.push(
      await checkSizes(
        client,
        'sio-echo-sizes',
        sizes,
        timeoutMs,
        `\`message\` events with payloads of ${sizes.join(', ')} bytes (frames of ${sizes.map((s) => s + overhead).join(', ')} bytes; multi-byte UTF-8 included) echoed intact` +
          (left.length ? `; ${left.join(', ')} bytes not sent (above the server's maxPayload, ${eio.maxPayload} bytes)` : ''),
      ),
    );
    if (client.open) checks.push(await checkOrder(client, 'sio-echo-order', sizes, batch, timeoutMs));
    if (client.open && heartbeatWaitMs > 0) checks.push(await checkHeartbeat(client, heartbeatWaitMs, timeoutMs));

    checks.push(
      client.unexpected.length
        ? warn('sio-echo-packets', `${client.unexpected.length} packet${client.unexpected.length > 1 ? 's' : ''} other than \`message\` events with one string and the protocol's own (the loader counts them as unexpected); first: ${preview(client.unexpected[0]!)}`)
        : pass('sio-echo-packets', 'only `message` events with one string, Engine.IO pings and the handshake packets arrived'),
    );
    if (client.disconnected) checks.push(fail('sio-echo-close', `${client.disconnected} during the checks`));
    else checks.push(...(await checkClose(client, 'sio-echo', `leaving the namespace (41), then close 1000,`, timeoutMs)));
  } finally {
    client.destroy();
  }
  return checks;
}

/** The server's first Engine.IO ping (pingInterval after the open) is answered with a pong (SioClient
 * does so at once) and the connection still echoes after it; when the wait allows, the next ping
 * too, which Engine.IO 4 schedules only once the pong has been taken. */
async function checkHeartbeat(client: SioClient, waitMs: number, timeoutMs: number): Promise<CheckResult> {
  const name = 'sio-echo-heartbeat';
  const eio = client.eio!;
  const startedAt = Date.now();
  const firstDue = client.openedAt + eio.pingInterval + PING_MARGIN_MS;
  if (client.pings.length === 0 && firstDue - startedAt > waitMs) {
    return warn(name, `not checked: the server's first ping is due ${eio.pingInterval} ms after the connect (its pingInterval), beyond the ${waitMs} ms the check may wait (heartbeatWaitMs)`);
  }
  await client.until(() => client.pings.length > 0 || !client.open, firstDue - Date.now());
  const ended = () => client.disconnected ?? (client.closeFrame ? `closed by the server (${client.closeFrame.code})` : 'the connection ended');
  if (client.pings.length === 0) {
    return client.open
      ? warn(name, `no Engine.IO ping within the server's pingInterval (${eio.pingInterval} ms) + ${PING_MARGIN_MS} ms`)
      : fail(name, `${ended()} before the server's first ping`);
  }
  const first = client.pings[0]!;
  let next = '';
  const secondDue = first + eio.pingInterval + PING_MARGIN_MS;
  if (secondDue - startedAt <= waitMs) {
    await client.until(() => client.pings.length > 1 || !client.open, secondDue - Date.now());
    if (!client.open) return fail(name, `the first ping was answered, then ${ended()}`);
    if (client.pings.length < 2) return fail(name, `the first ping was answered with a pong, but no next ping came within pingInterval (${eio.pingInterval} ms) + ${PING_MARGIN_MS} ms: the server did not take the pong`);
    next = `; the next came ${client.pings[1]! - first} ms later, so the pong was taken`;
  }
  const before = client.texts.length;
  client.sendText('after-ping');
  const echoed = await client.until(() => client.texts.length > before, timeoutMs);
  if (!echoed) return fail(name, client.open ? `no echo within ${timeoutMs} ms after the ping was answered` : `the ping was answered, then ${ended()}`);
  return pass(name, `the server's Engine.IO ping came ${first - client.openedAt} ms after the connect (pingInterval ${eio.pingInterval} ms) and was answered with a pong${next}; the connection still echoes`);
}

/** Checks /ws/broadcast: `clients` clients, `senders` of them sending `messages` in all, interleaved; each must reach every client once, each sender's in order.
 * With socket.io the same on the namespace's `message` events (checks named sio-broadcast-*). */
export async function verifyWsBroadcast(url: string, options: WsVerifyOptions & { clients?: number; senders?: number; messages?: number } = {}): Promise<CheckResult[]> {
  const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const n = Math.max(2, options.clients ?? 5);
  const senders = Math.min(n, Math.max(1, options.senders ?? 2));
  const messages = options.messages ?? 20;
  const protocol = options.protocol;
  const sioProtocol = protocol?.name === 'socket.io' ? protocol : null;
  const prefix = sioProtocol ? 'sio-broadcast' : 'ws-broadcast';
  let sio: SocketIoProtocol | null = null;
  if (sioProtocol) {
    try {
      sio = normalizeSocketIo(sioProtocol);
    } catch (error) {
      return [fail(`${prefix}-handshake`, (error as Error).message)];
    }
  }
  const connect = (): Promise<Conn> => (sio ? SioClient.connect(url, { protocol: sio, timeoutMs }) : WsClient.connect(url, { timeoutMs }));
  const clients: Conn[] = [];
  try {
    try {
      for (let i = 0; i < n; i++) clients.push(await connect());
    } catch (error) {
      return [fail(`${prefix}-handshake`, `client ${clients.length + 1} of ${n}: ${(error as Error).message}`)];
    }
    const checks = [pass(`${prefix}-handshake`, sio ? `${n} clients connected to namespace ${sio.namespace} (Socket.IO at ${sio.path})` : `${n} clients upgraded`)];

    // A server may register a client shortly after its upgrade (Channels joins the group in a
    // handler): probes go out until every client has had one, so the test counts only from then.
    const hasProbe = (c: Conn) => c.texts.some((t) => t.startsWith('probe:'));
    const deadline = Date.now() + timeoutMs;
    for (let k = 0; !clients.every(hasProbe) && Date.now() < deadline; k++) {
      clients[0]!.sendText(`probe:${k}`);
      await poll(() => clients.every(hasProbe), 100);
    }
    const unreached = clients.flatMap((c, i) => (hasProbe(c) ? [] : [i + 1]));
    if (unreached.length) {
      checks.push(fail(`${prefix}-delivery`, `client${unreached.length > 1 ? 's' : ''} ${unreached.join(', ')} of ${n} never received a message from client 1 within ${timeoutMs} ms`));
      return checks;
    }
    await sleep(LINGER_MS);

    const bySender: string[][] = Array.from({ length: senders }, () => []);
    const starts = clients.map((c) => c.texts.length);
    for (let k = 0; k < messages; k++) {
      const s = k % senders;
      const text = textOfBytes(64, `bc:${s}:${k}:`);
      bySender[s]!.push(text);
      clients[s]!.sendText(text);
    }
    const received = (i: number) => clients[i]!.texts.slice(starts[i]).filter((t) => t.startsWith('bc:'));
    await poll(() => clients.every((_, i) => received(i).length >= messages), timeoutMs);
    await sleep(LINGER_MS);

    const bad: string[] = [];
    clients.forEach((_, i) => {
      const got = received(i);
      for (let s = 0; s < senders; s++) {
        const f = compareDeliveries(bySender[s]!, got.filter((t) => t.startsWith(`bc:${s}:`)));
        const issues = problems(f);
        if (issues) bad.push(`client ${i + 1}, from client ${s + 1}: ${issues} (${f.first})`);
      }
    });
    checks.push(
      bad.length
        ? fail(`${prefix}-delivery`, bad.slice(0, 4).join('; ') + (bad.length > 4 ? `; and ${bad.length - 4} more` : ''))
        : pass(`${prefix}-delivery`, `${messages} messages from ${senders} senders reached each of ${n} clients (the senders too) once, in order${sio ? ' (`message` events)' : ''}`),
    );
    if (sio) {
      const odd = (clients as SioClient[]).flatMap((c, i) => (c.unexpected.length ? [`client ${i + 1}: ${c.unexpected.length}, first ${preview(c.unexpected[0]!)}`] : []));
      checks.push(
        odd.length
          ? warn(`${prefix}-packets`, `packets other than \`message\` events with one string and the protocol's own (the loader counts them as unexpected): ${odd.slice(0, 3).join('; ')}`)
          : pass(`${prefix}-packets`, 'only `message` events with one string, Engine.IO pings and the handshake packets arrived'),
      );
      const gone = (clients as SioClient[]).flatMap((c, i) => (c.disconnected ? [`client ${i + 1}: ${c.disconnected}`] : []));
      if (gone.length) checks.push(fail(`${prefix}-connection`, gone.join('; ')));
    }
    const broken = clients.flatMap((c, i) => (c.protocolError ? [`client ${i + 1}: ${c.protocolError}`] : []));
    if (broken.length) checks.push(fail(`${prefix}-frames`, broken.join('; ')));
    return checks;
  } finally {
    for (const c of clients) c.close();
    await Promise.race([Promise.all(clients.map((c) => c.ended)), sleep(1000)]);
    for (const c of clients) c.destroy();
  }
}
