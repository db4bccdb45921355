// One worker of the harness's WebSocket load generator: many clients on raw TCP sockets with a
// small hand-written RFC 6455 client (frames.ts, handshake.ts), one process pinned to one CPU.
// Runs under Bun (Bun.connect) and under Node (node:net, reads into one shared buffer). The clients
// speak plain text messages or, with config.socketio, Socket.IO (socketio.ts): the Engine.IO
// handshake and the namespace connect after the upgrade, pongs to the server's pings, and each load
// message as a `message` event, read in place between its fixed prefix and suffix.
//
//   <runtime> harness/load/ws/worker.ts '<WsWorkerConfig as JSON>'
//
// It is long-lived and driven by commands on stdin (protocol.ts), so that a capacity ramp can
// open clients step by step and hold them while the scenario reads the target's memory. One reply
// line per command on stdout; nothing else is printed there. The worker exits on `close`, on
// SIGTERM, and when stdin ends (the harness died), so it never outlives the harness.
//
// Clients are not reopened: a client the server closes is counted as dropped, and the ramp's
// figures are the clients actually held.
import fs from 'node:fs';
import net from 'node:net';
import {
  CLOSE_NORMAL,
  closePayload,
  encodeFrame,
  encodeMaskedLatin1,
  encodeMaskedLatin1Wrapped,
  FrameParser,
  OP_CLOSE,
  OP_PING,
  OP_PONG,
  parseClosePayload,
  type FrameHandler,
} from './frames.ts';
import { checkResponse, newKey, upgradeRequest } from './handshake.ts';
import { loadMessage, sharedClockMs, parseLoadMessage, type ParsedMessage } from './message.ts';
import type { WsCommand, WsReply, WsWorkerConfig } from './protocol.ts';
import { Recorder } from '../kit/recorder.ts';
import { connectPacket, decodeSioPacket, disconnectPacket, EVENT_SUFFIX, eventPrefix, namespacePart, parseOpenPacket, SIO_CONNECT, SIO_CONNECT_ERROR } from './socketio.ts';

/** Waits for the close handshakes at `close`, at most. */
const CLOSE_WAIT_MS = 2000;
const TIMEOUT_CHECK_MS = 100;
/** Broadcast rounds beyond this are taken for garbage (the per-round arrays would grow without bound). */
const MAX_ROUNDS = 50_000_000;

function parseConfig(text: string | undefined): WsWorkerConfig {
  let c: WsWorkerConfig;
  try {
    c = JSON.parse(text ?? '') as WsWorkerConfig;
  } catch {
    throw new Error(`ws worker: argv[2] must be the configuration as JSON, got ${JSON.stringify(text)}`);
  }
  const positive = (n: unknown) => typeof n === 'number' && Number.isFinite(n) && n > 0;
  if (typeof c.host !== 'string' || net.isIP(c.host) === 0) throw new Error(`ws worker: host must be an IP address, got ${String(c.host)}`);
  if (!Number.isInteger(c.port) || c.port <= 0 || c.port > 65535) throw new Error(`ws worker: bad port ${String(c.port)}`);
  if (typeof c.hostHeader !== 'string' || !c.hostHeader || /[\r\n]/.test(c.hostHeader)) throw new Error('ws worker: bad hostHeader');
  if (c.origin !== null && (typeof c.origin !== 'string' || /[\r\n]/.test(c.origin))) throw new Error('ws worker: bad origin');
  if (!Array.isArray(c.sourceAddresses) || c.sourceAddresses.some((a) => net.isIP(a) === 0)) throw new Error('ws worker: bad sourceAddresses');
  const p = c.sourcePorts;
  if (p !== null && !(Number.isInteger(p?.low) && Number.isInteger(p?.high) && p.low > 0 && p.low <= p.high && p.high <= 65535 && p.planned > 0)) throw new Error('ws worker: bad sourcePorts');
  for (const k of ['connectTimeoutMs', 'messageTimeoutMs', 'connectConcurrency'] as const) if (!positive(c[k])) throw new Error(`ws worker: bad ${k}`);
  if (c.transport !== undefined && c.transport !== 'node:net') throw new Error(`ws worker: bad transport ${String(c.transport)}`);
  if (c.socketio !== undefined && (typeof c.socketio?.namespace !== 'string' || !/^\/[\x21-\x7e]*$/.test(c.socketio.namespace) || /[,"\\]/.test(c.socketio.namespace))) {
    throw new Error(`ws worker: bad socket.io namespace ${JSON.stringify(c.socketio?.namespace)}`);
  }
  return c;
}

const config = parseConfig(process.argv[2]);
const MESSAGE_TIMEOUT_US = config.messageTimeoutMs * 1000;

// Socket.IO: the namespace's packets, precomputed. A load message travels as
// 42/ns,["message","<message>"]; it has nothing JSON escapes, so it is read in place.
const SIO = config.socketio !== undefined;
const SIO_NAMESPACE = config.socketio?.namespace ?? '/';
const EVENT_PREFIX = Buffer.from(eventPrefix(SIO_NAMESPACE), 'latin1');
const EVENT_PREFIX_LENGTH = EVENT_PREFIX.length;
const EVENT_SUFFIX_BYTES = Buffer.from(EVENT_SUFFIX, 'latin1');
const SIO_CONNECT_TEXT = connectPacket(SIO_NAMESPACE);
const SIO_DISCONNECT_TEXT = disconnectPacket(SIO_NAMESPACE);
const SIO_NS_PART = namespacePart(SIO_NAMESPACE);

/** Whether data[start, end) is a `message` event of the namespace with one string: its payload is then [start + prefix, end - 2). */
function isLoadEvent(data: Buffer, start: number, end: number): boolean {
  if (end - start < EVENT_PREFIX_LENGTH + 2 || data[end - 1] !== 0x5d || data[end - 2] !== 0x22) return false;
  for (let i = 0; i < EVENT_PREFIX_LENGTH; i++) if (data[start + i] !== EVENT_PREFIX[i]) return false;
  return true;
}
/** Tries of other source ports when one is taken (by a listener, or a socket in TIME_WAIT from an earlier run). */
const PORT_RETRIES = 8;

/** Where client `id` binds on its `attempt`th try: its address, and its planned port first, then random ones above the planned. */
function sourceFor(id: number, attempt: number): { address?: string; port?: number } {
  const addresses = config.sourceAddresses;
  if (addresses.length === 0) return {};
  const address = addresses[id % addresses.length]!;
  const ports = config.sourcePorts;
  if (!ports) return { address };
  const planned = ports.low + Math.floor(id / addresses.length);
  if (attempt === 0 && planned <= ports.high) return { address, port: planned };
  const spareLow = Math.min(ports.low + ports.planned, ports.high);
  return { address, port: spareLow + Math.floor(Math.random() * (ports.high - spareLow + 1)) };
}

// ---------------------------------------------------------------------------------------------
// Clients.

const CONNECTING = 0;
const HANDSHAKING = 1;
const OPEN = 2;
const CLOSING = 3;
const CLOSED = 4;
/** Socket.IO: upgraded, waiting for the Engine.IO open packet and then the namespace connect's acknowledgement. */
const JOINING = 5;

/** One TCP connection as the transport gives it. */
interface Link {
  write(bytes: Buffer): void;
  /** Writes the last bytes, then half-closes (FIN). */
  end(bytes: Buffer): void;
  /** Closes at once. */
  destroy(): void;
}

const bump = (map: Map<string, number>, kind: string) => map.set(kind, (map.get(kind) ?? 0) + 1);

class Client implements FrameHandler {
  readonly id: number;
  readonly path: string;
  state = CONNECTING;
  link: Link | null = null;
  key = '';
  startedAt = 0;
  /** The upgrade response while it is incomplete. */
  head: Buffer | null = null;
  parser: FrameParser | null = null;
  /** Connect attempts that found their source port taken. */
  portRetries = 0;
  /** Next sequence number to send, and the next one expected back (echo) or from the broadcaster. */
  sendSeq = 0;
  expectSeq = 0;
  /** Socket.IO: the Engine.IO open packet came (the namespace connect is sent). */
  eioOpen = false;

  constructor(id: number, path: string) {
    this.id = id;
    this.path = path;
  }

  connect(): void {
    this.startedAt = performance.now();
    this.key = newKey();
    connecting.add(this);
    try {
      this.link = openLink(this, sourceFor(this.id, this.portRetries));
    } catch (error) {
      // Reported later, so that the opener's loop is not re-entered.
      queueMicrotask(() => this.onError(errorKind(error)));
    }
  }

  onConnect(): void {
    if (this.state !== CONNECTING) return;
    this.state = HANDSHAKING;
    this.link!.write(upgradeRequest({ path: this.path, host: config.hostHeader, key: this.key, origin: config.origin }));
  }

  onData(chunk: Buffer, length: number): void {
    if (this.state === OPEN || this.state === CLOSING || this.state === JOINING) {
      this.parser!.push(chunk, length);
      return;
    }
    if (this.state !== HANDSHAKING) return;
    const bytes = this.head ? Buffer.concat([this.head, chunk.subarray(0, length)]) : Buffer.from(chunk.subarray(0, length));
    const verdict = checkResponse(bytes, this.key);
    if (!verdict.done) {
      this.head = bytes;
      return;
    }
    this.head = null;
    if (!verdict.ok) {
      this.fail(verdict.kind);
      return;
    }
    this.parser = new FrameParser(this);
    // Socket.IO: connected only once the namespace connect is acknowledged (onSioPacket).
    if (SIO) this.state = JOINING;
    else this.opened();
    if (verdict.bodyStart < bytes.length) this.parser.push(bytes.subarray(verdict.bodyStart));
  }

  /** The handshake is done: the client is held. */
  private opened(): void {
    this.state = OPEN;
    connecting.delete(this);
    openCount++;
    opener?.done(this, true, '');
  }

  /** A connect or upgrade that did not succeed. */
  fail(kind: string): void {
    if (this.state === CLOSED) return;
    const wasConnecting = this.state === CONNECTING || this.state === HANDSHAKING || this.state === JOINING;
    this.teardown();
    if (wasConnecting) opener?.done(this, false, kind);
  }

  onError(kind: string): void {
    if (this.state === CLOSED) return;
    if (this.state === CONNECTING) {
      if ((kind === 'EADDRINUSE' || kind === 'EADDRNOTAVAIL') && config.sourcePorts && this.portRetries < PORT_RETRIES) {
        // That source port is taken: another one, without counting a failure.
        this.portRetries++;
        const link = this.link;
        this.link = null;
        link?.destroy();
        this.connect();
        return;
      }
      this.fail(connectErrorKind(kind));
    } else if (this.state === HANDSHAKING || this.state === JOINING) this.fail(kind);
    else this.lost(kind);
  }

  /** The peer closed the TCP connection. */
  onClosed(): void {
    if (this.state === CLOSED) return;
    if (this.state === CONNECTING || this.state === HANDSHAKING) this.fail('closed during the handshake');
    else if (this.state === JOINING) this.fail('closed during the socket.io connect');
    else if (this.state === CLOSING) this.teardown();
    else this.lost('closed by the server without a close frame');
  }

  /** A held client went away (a client still joining failed its handshake). */
  private lost(kind: string): void {
    if (this.state === JOINING) return this.fail(kind);
    if (this.state === OPEN) {
      dropped++;
      bump(dropKinds, kind);
    }
    this.teardown();
  }

  private teardown(): void {
    if (this.state === OPEN || this.state === CLOSING) openCount--;
    connecting.delete(this);
    this.state = CLOSED;
    this.head = null;
    this.parser = null;
    const link = this.link;
    this.link = null;
    link?.destroy();
    if (closingAll && openCount === 0 && connecting.size === 0) finishClose();
  }

  /** Sends a load message (socket.io: as a `message` event). */
  send(text: string): void {
    this.link!.write(SIO ? encodeMaskedLatin1Wrapped(EVENT_PREFIX, text, EVENT_SUFFIX_BYTES) : encodeMaskedLatin1(text));
  }

  /** Starts the close handshake (the server answers with its close frame, then we close TCP).
   * Socket.IO: the namespace is left first (41), as Socket.IO's client does. */
  close(code: number): void {
    if (this.state !== OPEN) return;
    this.state = CLOSING;
    if (SIO) this.link!.write(encodeMaskedLatin1(SIO_DISCONNECT_TEXT));
    this.link!.write(encodeFrame(OP_CLOSE, closePayload(code)));
  }

  onMessage(_opcode: number, data: Buffer, start: number, end: number): void {
    if (!SIO) {
      if (this.state === OPEN) onLoadMessage(this, data, start, end);
      return;
    }
    if (this.state === OPEN && isLoadEvent(data, start, end)) onLoadMessage(this, data, start + EVENT_PREFIX_LENGTH, end - 2);
    else this.onSioPacket(data, start, end);
  }

  /** Every Engine.IO packet but the load events: the handshake, pings, disconnects; the rest is counted as unexpected. */
  private onSioPacket(data: Buffer, start: number, end: number): void {
    if (this.state !== OPEN && this.state !== JOINING) return;
    const type = data[start];
    const length = end - start;
    if (type === 0x32 && length === 1) {
      // Engine.IO ping: a pong, or the server drops the client after pingInterval + pingTimeout.
      this.link!.write(encodeMaskedLatin1('3'));
      return;
    }
    if (type === 0x36 && length === 1) return; // noop
    const text = data.toString('utf8', start, end);
    if (type === 0x31 && length === 1) return this.lost('closed by the server (Engine.IO close packet)');
    if (this.state === JOINING) {
      if (!this.eioOpen) {
        if (type !== 0x30) return this.fail('no Engine.IO open packet');
        if (typeof parseOpenPacket(text) === 'string') return this.fail('bad Engine.IO open packet');
        this.eioOpen = true;
        this.link!.write(encodeMaskedLatin1(SIO_CONNECT_TEXT));
        return;
      }
      if (isLoadEvent(data, start, end)) {
        unexpected++;
        return;
      }
      const p = type === 0x34 ? decodeSioPacket(text.slice(1)) : null;
      if (p && p.nsp === SIO_NAMESPACE && p.type === SIO_CONNECT) return this.opened();
      if (p && p.nsp === SIO_NAMESPACE && p.type === SIO_CONNECT_ERROR) {
        const message = (p.data as { message?: unknown } | undefined)?.message;
        return this.fail(`socket.io connect refused${typeof message === 'string' ? ` (${message.slice(0, 80)})` : ''}`);
      }
      return this.fail('unexpected packet during the socket.io connect');
    }
    // OPEN: the server leaving the namespace ends the client; anything else is counted.
    if (text === `41${SIO_NS_PART}`) {
      this.endWith(encodeFrame(OP_CLOSE, closePayload(CLOSE_NORMAL)));
      return this.lost('disconnected by the server (socket.io)');
    }
    unexpected++;
  }

  onControl(opcode: number, payload: Buffer): void {
    // Frames after a close in the same read.
    if (this.state === CLOSED) return;
    if (opcode === OP_PING) {
      if (this.state === OPEN || this.state === JOINING) this.link!.write(encodeFrame(OP_PONG, payload));
    } else if (opcode === OP_CLOSE) {
      if (this.state === CLOSING) {
        // Our close is answered. The TCP close is the server's to make (RFC 6455 7.1.1), which keeps
        // TIME_WAIT on its side and the source port free for the next run: wait for its FIN
        // (onClosed); closeAll's deadline ends the wait.
        return;
      }
      // The server closes: answer with its code (section 5.5.1), then close our side.
      const parsed = parseClosePayload(payload);
      const kind = parsed ? `closed by the server (${parsed.code}${parsed.reason ? ` ${parsed.reason}` : ''})` : 'malformed close frame';
      this.endWith(encodeFrame(OP_CLOSE, parsed && parsed.code !== 1005 ? closePayload(parsed.code) : closePayload(CLOSE_NORMAL)));
      this.lost(kind);
    }
  }

  onProtocolError(reason: string, closeCode: number): void {
    if (this.state === CLOSED) return;
    this.endWith(encodeFrame(OP_CLOSE, closePayload(closeCode)));
    this.lost(`protocol error: ${reason}`);
  }

  /** Sends a last frame and half-closes; the link is detached, so the teardown that follows does not cut the frame off. */
  endWith(frame: Buffer): void {
    const link = this.link;
    if (!link) return;
    this.link = null;
    link.end(frame);
    // A peer that never closes its side would keep the socket forever.
    setTimeout(() => link.destroy(), 1000).unref();
  }
}

// ---------------------------------------------------------------------------------------------
// Transports. On Node: node:net sockets reading into one shared buffer (`onread`: no Buffer and
// no 'data' event per read). On Bun: its native TCP sockets (Bun.connect, handlers shared by all
// sockets), which take a source address as node:net does (`localAddress`).

const READ_BUFFER = Buffer.allocUnsafe(64 * 1024);

const errorKind = (error: unknown) => (error as NodeJS.ErrnoException | undefined)?.code ?? (error as Error | undefined)?.message ?? String(error);

function openNode(client: Client, source: { address?: string; port?: number }): Link {
  const socket = net.connect({
    host: config.host,
    port: config.port,
    ...(source.address !== undefined && { localAddress: source.address }),
    ...(source.port !== undefined && { localPort: source.port }),
    onread: {
      buffer: READ_BUFFER,
      callback: (bytes: number) => {
        if (client.link === link) client.onData(READ_BUFFER, bytes);
        return true;
      },
    },
  });
  const link: Link = {
    write: (bytes) => void socket.write(bytes),
    end: (bytes) => void socket.end(bytes),
    destroy: () => void socket.destroy(),
  };
  socket.on('connect', () => {
    if (client.link !== link) return;
    socket.setNoDelay(true);
    client.onConnect();
  });
  socket.on('error', (error: NodeJS.ErrnoException) => {
    if (client.link === link) client.onError(error.code ?? error.message);
  });
  socket.on('end', () => {
    if (client.link === link) client.onClosed();
  });
  socket.on('close', () => {
    if (client.link === link) client.onClosed();
  });
  return link;
}

// The part of Bun's TCP API used here (https://bun.sh/docs/api/tcp).
interface BunSocket {
  data: BunLink;
  /** Bytes written: fewer than given when the socket's buffer is full, -1 when it is closed. */
  write(bytes: Uint8Array): number;
  end(): void;
  terminate(): void;
  setNoDelay?(noDelay?: boolean): boolean;
}
interface BunHandlers {
  open(socket: BunSocket): void;
  data(socket: BunSocket, data: Buffer): void;
  drain(socket: BunSocket): void;
  end(socket: BunSocket): void;
  close(socket: BunSocket, error?: Error): void;
  error(socket: BunSocket, error: Error): void;
}
interface BunApi {
  connect(options: { hostname: string; port: number; localAddress?: string; localPort?: number; data: BunLink; socket: BunHandlers }): Promise<BunSocket>;
}

class BunLink implements Link {
  socket: BunSocket | null = null;
  closed = false;
  /** What a write could not hand over (the socket's buffer was full), written on drain. */
  pending: Buffer | null = null;
  /** Half-close once `pending` is written. */
  endAfterPending = false;
  readonly client: Client;
  constructor(client: Client) {
    this.client = client;
  }
  write(bytes: Buffer): void {
    if (!this.socket || this.closed) return;
    if (this.pending) {
      this.pending = Buffer.concat([this.pending, bytes]);
      return;
    }
    const written = this.socket.write(bytes);
    if (written >= 0 && written < bytes.length) this.pending = bytes.subarray(written);
  }
  end(bytes: Buffer): void {
    this.write(bytes);
    if (this.pending) this.endAfterPending = true;
    else this.socket?.end();
  }
  drain(): void {
    const pending = this.pending;
    if (!pending || !this.socket) return;
    this.pending = null;
    this.write(pending);
    if (!this.pending && this.endAfterPending) this.socket.end();
  }
  destroy(): void {
    this.closed = true;
    this.socket?.terminate();
  }
}

const BUN_HANDLERS: BunHandlers = {
  open(socket) {
    const link = socket.data;
    if (link.closed || link.client.link !== link) {
      socket.terminate();
      return;
    }
    link.socket = socket;
    socket.setNoDelay?.(true);
    link.client.onConnect();
  },
  data(socket, data) {
    const link = socket.data;
    if (link.client.link === link) link.client.onData(data, data.length);
  },
  drain(socket) {
    socket.data.drain();
  },
  end(socket) {
    const link = socket.data;
    if (link.client.link === link) link.client.onClosed();
  },
  close(socket, error) {
    const link = socket.data;
    if (link.client.link !== link) return;
    if (error) link.client.onError(errorKind(error));
    else link.client.onClosed();
  },
  error(socket, error) {
    const link = socket.data;
    if (link.client.link === link) link.client.onError(errorKind(error));
  },
};

function openBun(client: Client, source: { address?: string; port?: number }): Link {
  const link = new BunLink(client);
  const local = { ...(source.address !== undefined && { localAddress: source.address }), ...(source.port !== undefined && { localPort: source.port }) };
  BUN!.connect({ hostname: config.host, port: config.port, ...local, data: link, socket: BUN_HANDLERS }).catch((error: unknown) => {
    if (client.link === link) client.onError(errorKind(error));
  });
  return link;
}

const BUN = (globalThis as { Bun?: BunApi }).Bun;

/** Descriptors in use before any client (stdio, pipes, the runtime's own), and this process's limit. */
const BASE_FDS = countFds();
let fdLimit = 0;

function countFds(): number {
  try {
    return fs.readdirSync('/proc/self/fd').length;
  } catch {
    return 0;
  }
}

/** Bun 1.4 reports a connect that failed for want of a descriptor as ECONNREFUSED: at the limit, it is called what it is. */
function connectErrorKind(kind: string): string {
  if (kind === 'ECONNREFUSED' && BUN && fdLimit > 0 && BASE_FDS + openCount + connecting.size + 2 >= fdLimit) return 'EMFILE';
  return kind;
}
const openLink: (client: Client, source: { address?: string; port?: number }) => Link = BUN && config.transport !== 'node:net' ? openBun : openNode;

// ---------------------------------------------------------------------------------------------
// State shared by the commands.

const clients: Client[] = [];
/** Clients connecting or in their handshake. */
const connecting = new Set<Client>();
let openCount = 0;
let dropped = 0;
const dropKinds = new Map<string, number>();
let closingAll = false;

function reply(message: WsReply): void {
  process.stdout.write(JSON.stringify(message) + '\n');
}

function drops(): { dropped: number; dropKinds: Record<string, number>; open: number } {
  const out = { dropped, dropKinds: Object.fromEntries(dropKinds), open: openCount };
  dropped = 0;
  dropKinds.clear();
  return out;
}

function openClients(): Client[] {
  return clients.filter((c) => c.state === OPEN);
}

/** Forgets clients that are closed, so that a long ramp does not keep them (and their sockets' wrappers) alive. */
function compact(): void {
  let j = 0;
  for (let i = 0; i < clients.length; i++) if (clients[i]!.state !== CLOSED) clients[j++] = clients[i]!;
  clients.length = j;
}

let timeoutTimer: NodeJS.Timeout | null = null;
function checkConnectTimeouts(): void {
  const before = performance.now() - config.connectTimeoutMs;
  for (const c of connecting) if (c.startedAt <= before) c.fail(c.state === CONNECTING ? 'connect timeout' : c.state === JOINING ? 'socket.io connect timeout' : 'handshake timeout');
}

// ---------------------------------------------------------------------------------------------
// open: connects `count` clients, at most connectConcurrency at a time.

class Opener {
  private next = 0;
  private inFlight = 0;
  private ok = 0;
  private failed = 0;
  private readonly kinds = new Map<string, number>();
  private readonly handshakes = new Recorder();
  private readonly startedAt = performance.now();
  private pumping = false;
  private finished = false;
  private readonly cmd: Extract<WsCommand, { cmd: 'open' }>;
  constructor(cmd: Extract<WsCommand, { cmd: 'open' }>) {
    this.cmd = cmd;
  }

  pump(): void {
    if (this.pumping || this.finished) return;
    this.pumping = true;
    while (this.inFlight < config.connectConcurrency && this.next < this.cmd.count) {
      const client = new Client(this.cmd.firstId + this.next++, this.cmd.path);
      clients.push(client);
      this.inFlight++;
      client.connect();
    }
    this.pumping = false;
    if (this.inFlight === 0 && this.next >= this.cmd.count) this.finish();
  }

  done(client: Client, ok: boolean, kind: string): void {
    this.inFlight--;
    if (ok) {
      this.ok++;
      this.handshakes.record((performance.now() - client.startedAt) * 1000);
    } else {
      this.failed++;
      bump(this.kinds, kind);
    }
    this.pump();
  }

  private finish(): void {
    this.finished = true;
    opener = null;
    compact();
    reply({ type: 'opened', ok: this.ok, failed: this.failed, errorKinds: Object.fromEntries(this.kinds), handshakeUs: this.handshakes.take(), openMs: performance.now() - this.startedAt, ...drops() });
    nextCommand();
  }
}
let opener: Opener | null = null;

// ---------------------------------------------------------------------------------------------
// Messages: what a received message means depends on the command under way.

const MODE_IDLE = 0;
const MODE_ECHO = 1; // sample and echo
const MODE_BROADCAST = 2;
let mode = MODE_IDLE;
/** Messages stamped before the current command began are leftovers of an earlier one, and ignored. */
let opStartUs = 0;

const parsed: ParsedMessage = { ok: false, sender: 0, seq: 0, stampUs: 0 };
const rtt = new Recorder();
/** sample and echo: how late each message left against its schedule (see runSchedule). */
const lateness = new Recorder();
let sent = 0;
let received = 0;
let outOfOrder = 0;
let misrouted = 0;
/** Messages that are no load message (socket.io: packets other than the namespace's `message` events and the protocol's own). */
let unexpected = 0;
let lastReceiveMs = 0;

// Broadcast: the broadcaster's id, per-round deliveries and latest latency, per-delivery latency.
let broadcaster = -1;
let roundCounts = new Uint32Array(1024);
let roundMaxUs = new Uint32Array(1024);
let roundsSeen = 0;
const deliveries = new Recorder();
let sender: Client | null = null;
/** Called after a delivery, while a collect or the closed-loop sender waits. */
let afterDelivery: ((client: Client, seq: number) => void) | null = null;
/** Called after an echo, while a sample or echo command waits for the last ones. */
let afterEcho: (() => void) | null = null;

function growRounds(to: number): void {
  let size = roundCounts.length;
  while (size <= to) size *= 2;
  const counts = new Uint32Array(size);
  counts.set(roundCounts);
  const max = new Uint32Array(size);
  max.set(roundMaxUs);
  roundCounts = counts;
  roundMaxUs = max;
}

function onLoadMessage(client: Client, data: Buffer, start: number, end: number): void {
  if (mode === MODE_IDLE) return;
  const nowMs = sharedClockMs();
  const m = parseLoadMessage(data, start, end, parsed);
  if (!m.ok) {
    unexpected++;
    return;
  }
  if (mode === MODE_ECHO) {
    if (m.sender !== client.id) {
      misrouted++;
      return;
    }
    if (m.stampUs < opStartUs) return;
    received++;
    rtt.record(nowMs * 1000 - m.stampUs);
    if (m.seq === client.expectSeq) client.expectSeq++;
    else if (m.seq > client.expectSeq) client.expectSeq = m.seq + 1;
    else outOfOrder++;
    lastReceiveMs = nowMs;
    afterEcho?.();
    return;
  }
  // MODE_BROADCAST: only the broadcaster sends.
  if (m.sender !== broadcaster) {
    unexpected++;
    return;
  }
  if (m.stampUs < opStartUs || m.seq >= MAX_ROUNDS) return;
  const seq = m.seq;
  if (seq < client.expectSeq) {
    // Had it already, or it comes after a later round: not a delivery in order.
    outOfOrder++;
    return;
  }
  client.expectSeq = seq + 1;
  if (seq >= roundCounts.length) growRounds(seq);
  if (seq >= roundsSeen) roundsSeen = seq + 1;
  const us = Math.max(1, Math.round(nowMs * 1000 - m.stampUs));
  roundCounts[seq]!++;
  if (us > roundMaxUs[seq]!) roundMaxUs[seq] = Math.min(us, 0xffffffff);
  deliveries.record(us);
  lastReceiveMs = nowMs;
  afterDelivery?.(client, seq);
}

// ---------------------------------------------------------------------------------------------
// sample and echo: messages on a schedule, message k going to clients[k mod n] at start + k/rate
// (one timer catches up on every message whose time has come). A message is stamped with the time
// it is actually written, read per message, so its round trip is the server's and the network's
// alone: a stamp of the scheduled time would add the timers' lateness (millisecond resolution) to
// every round trip, a floor under every target. The lateness (actual minus scheduled send time) is
// recorded on its own, so a late loader still shows, beside the round trips instead of inside them.

interface Schedule {
  targets: Client[];
  /** Index of the first target (sample: round-robin across samples). */
  offset: number;
  planned: number;
  ratePerMs: number;
  startMs: number;
  next: number;
  bytes: number;
  timer: NodeJS.Timeout | null;
  onSent: () => void;
}

function runSchedule(s: Schedule): void {
  s.timer = null;
  const due = Math.min(s.planned, Math.floor((sharedClockMs() - s.startMs) * s.ratePerMs) + 1);
  const n = s.targets.length;
  for (; s.next < due; s.next++) {
    const client = s.targets[(s.offset + s.next) % n]!;
    if (client.state !== OPEN) continue;
    const sendUs = sharedClockMs() * 1000;
    client.send(loadMessage(client.id, client.sendSeq++, Math.round(sendUs), s.bytes));
    lateness.record(sendUs - (s.startMs + s.next / s.ratePerMs) * 1000);
    sent++;
  }
  if (s.next < s.planned) s.timer = setTimeout(() => runSchedule(s), Math.max(0, s.startMs + s.next / s.ratePerMs - sharedClockMs()));
  else s.onSent();
}

function resetCounters(): void {
  sent = 0;
  received = 0;
  outOfOrder = 0;
  misrouted = 0;
  unexpected = 0;
  lastReceiveMs = 0;
}

let sampleCursor = 0;

/** Waits until every message sent is answered or messageTimeoutMs has passed since the last was sent, then calls `done`. */
function awaitEchoes(done: () => void): void {
  let timer: NodeJS.Timeout | null = null;
  const finish = () => {
    if (timer) clearTimeout(timer);
    afterEcho = null;
    done();
  };
  if (received >= sent) return finish();
  afterEcho = () => {
    if (received >= sent) finish();
  };
  timer = setTimeout(finish, config.messageTimeoutMs);
}

function sample(cmd: Extract<WsCommand, { cmd: 'sample' }>): void {
  const targets = openClients();
  if (targets.length === 0 || cmd.messages <= 0) {
    reply({ type: 'sampled', sent: 0, received: 0, lost: 0, unexpected: 0, rttUs: rtt.take(), latenessUs: lateness.take(), ...drops() });
    return nextCommand();
  }
  resetCounters();
  mode = MODE_ECHO;
  const startMs = sharedClockMs();
  opStartUs = Math.floor(startMs * 1000);
  const offset = sampleCursor % targets.length;
  sampleCursor = offset + cmd.messages;
  runSchedule({
    targets,
    offset,
    planned: cmd.messages,
    ratePerMs: cmd.rate / 1000,
    startMs,
    next: 0,
    bytes: cmd.bytes,
    timer: null,
    onSent: () =>
      awaitEchoes(() => {
        mode = MODE_IDLE;
        const lost = Math.max(0, sent - received);
        rtt.recordMany(MESSAGE_TIMEOUT_US, lost);
        reply({ type: 'sampled', sent, received, lost, unexpected, rttUs: rtt.take(), latenessUs: lateness.take(), ...drops() });
        nextCommand();
      }),
  });
}

function echo(cmd: Extract<WsCommand, { cmd: 'echo' }>): void {
  const targets = openClients();
  resetCounters();
  const rate = cmd.ratePerClient * targets.length;
  const planned = Math.ceil(cmd.durationS * rate);
  if (planned === 0) {
    reply({ type: 'echoed', clients: 0, sent: 0, received: 0, lost: 0, outOfOrder: 0, misrouted: 0, unexpected: 0, rttUs: rtt.take(), latenessUs: lateness.take(), sendDurationS: 0, durationS: 0, ...drops() });
    return nextCommand();
  }
  mode = MODE_ECHO;
  const startMs = sharedClockMs();
  opStartUs = Math.floor(startMs * 1000);
  runSchedule({
    targets,
    offset: 0,
    planned,
    ratePerMs: rate / 1000,
    startMs,
    next: 0,
    bytes: cmd.bytes,
    timer: null,
    onSent: () => {
      // Sending ended with the last message due, not when the timer happened to fire.
      const stopMs = Math.min(sharedClockMs(), startMs + cmd.durationS * 1000);
      awaitEchoes(() => {
        mode = MODE_IDLE;
        const lost = Math.max(0, sent - received);
        rtt.recordMany(MESSAGE_TIMEOUT_US, lost);
        reply({
          type: 'echoed',
          clients: targets.length,
          sent,
          received,
          lost,
          outOfOrder,
          misrouted,
          unexpected,
          rttUs: rtt.take(),
          latenessUs: lateness.take(),
          sendDurationS: (stopMs - startMs) / 1000,
          durationS: (Math.max(stopMs, lastReceiveMs) - startMs) / 1000,
          ...drops(),
        });
        nextCommand();
      });
    },
  });
}

// ---------------------------------------------------------------------------------------------
// broadcast: listen (every worker), send-rounds (the broadcaster's worker), collect (every worker).

function listen(cmd: Extract<WsCommand, { cmd: 'listen' }>): void {
  const first = openClients()[0];
  broadcaster = cmd.sender >= 0 ? cmd.sender : (first?.id ?? -1);
  sender = cmd.sender < 0 ? (first ?? null) : null;
  resetCounters();
  roundCounts = new Uint32Array(1024);
  roundMaxUs = new Uint32Array(1024);
  roundsSeen = 0;
  deliveries.take();
  for (const c of clients) c.expectSeq = 0;
  mode = MODE_BROADCAST;
  opStartUs = Math.floor(sharedClockMs() * 1000);
  reply({ type: 'listening', sender: broadcaster, ...drops() });
  nextCommand();
}

function sendRounds(cmd: Extract<WsCommand, { cmd: 'send-rounds' }>): void {
  const client = sender;
  if (!client || client.state !== OPEN) {
    reply({ type: 'error', message: 'the broadcaster is not connected (send listen with sender -1 first)' });
    return nextCommand();
  }
  let rounds = 0;
  let lastSentMs = 0;
  let running = true;
  const startMs = sharedClockMs();
  const endAt = startMs + cmd.durationS * 1000;
  const sendOne = (stampMs: number) => {
    if (client.state !== OPEN) return;
    client.send(loadMessage(client.id, rounds++, Math.round(stampMs * 1000), cmd.bytes));
    lastSentMs = sharedClockMs();
  };
  let timer: NodeJS.Timeout | null = null;
  let watchdog: NodeJS.Timeout | null = null;
  const stop = () => {
    if (!running) return;
    running = false;
    if (timer) clearTimeout(timer);
    if (watchdog) clearInterval(watchdog);
    afterDelivery = null;
    reply({ type: 'rounds-sent', rounds, startMs, endMs: cmd.rate === null ? lastSentMs : Math.min(sharedClockMs(), endAt) });
    nextCommand();
  };
  if (cmd.rate === null) {
    // Closed loop: the next round leaves when the broadcaster has its own copy of the last one; a
    // copy that does not come within messageTimeoutMs lets the next round go anyway.
    afterDelivery = (c, seq) => {
      if (c !== client || seq !== rounds - 1 || !running) return;
      if (sharedClockMs() >= endAt) stop();
      else sendOne(sharedClockMs());
    };
    watchdog = setInterval(() => {
      const now = sharedClockMs();
      if (now >= endAt || client.state !== OPEN) stop();
      else if (now - lastSentMs >= config.messageTimeoutMs) sendOne(now);
    }, TIMEOUT_CHECK_MS);
    sendOne(startMs);
  } else {
    // Open loop: round k is due at start + k/rate, stamped with that time.
    const perMs = cmd.rate / 1000;
    const planned = Math.ceil(cmd.durationS * cmd.rate);
    const tick = () => {
      timer = null;
      const due = Math.min(planned, Math.floor((sharedClockMs() - startMs) * perMs) + 1);
      while (rounds < due && client.state === OPEN) sendOne(startMs + rounds / perMs);
      if (rounds >= planned || client.state !== OPEN) stop();
      else timer = setTimeout(tick, Math.max(0, startMs + rounds / perMs - sharedClockMs()));
    };
    tick();
  }
}

function collect(cmd: Extract<WsCommand, { cmd: 'collect' }>): void {
  const rounds = Math.min(cmd.rounds, MAX_ROUNDS);
  let complete = 0;
  let timer: NodeJS.Timeout | null = null;
  const advance = () => {
    while (complete < rounds && roundCounts[complete]! >= openCount && complete < roundCounts.length) complete++;
    return complete >= rounds;
  };
  const finish = () => {
    if (timer) clearTimeout(timer);
    afterDelivery = null;
    mode = MODE_IDLE;
    if (rounds > roundCounts.length) growRounds(rounds);
    reply({
      type: 'collected',
      counts: Buffer.from(roundCounts.buffer, 0, rounds * 4).toString('base64'),
      maxUs: Buffer.from(roundMaxUs.buffer, 0, rounds * 4).toString('base64'),
      deliveryUs: deliveries.take(),
      outOfOrder,
      unexpected,
      lastDeliveryMs: lastReceiveMs,
      ...drops(),
    });
    nextCommand();
  };
  if (rounds > roundCounts.length) growRounds(rounds);
  if (advance()) return finish();
  afterDelivery = () => {
    if (advance()) finish();
  };
  timer = setTimeout(finish, config.messageTimeoutMs);
}

// ---------------------------------------------------------------------------------------------
// close: the close handshake with every client, bounded in time; then exit.

let closeTimer: NodeJS.Timeout | null = null;
function closeAll(): void {
  closingAll = true;
  mode = MODE_IDLE;
  for (const c of clients) {
    if (c.state === OPEN) c.close(CLOSE_NORMAL);
    else if (c.state === CONNECTING || c.state === HANDSHAKING || c.state === JOINING) c.fail('closing');
  }
  if (openCount === 0 && connecting.size === 0) return finishClose();
  closeTimer = setTimeout(finishClose, CLOSE_WAIT_MS);
}

let closeFinished = false;
function finishClose(): void {
  if (closeFinished) return;
  closeFinished = true;
  if (closeTimer) clearTimeout(closeTimer);
  for (const c of clients) c.link?.destroy();
  process.stdout.write(JSON.stringify({ type: 'closed' } satisfies WsReply) + '\n', () => process.exit(0));
}

// ---------------------------------------------------------------------------------------------
// Commands, one at a time, in order.

const queue: WsCommand[] = [];
let busy = false;

function nextCommand(): void {
  busy = false;
  const cmd = queue.shift();
  if (cmd) run(cmd);
}

function run(cmd: WsCommand): void {
  busy = true;
  try {
    switch (cmd.cmd) {
      case 'open':
        opener = new Opener(cmd);
        return opener.pump();
      case 'sample':
        return sample(cmd);
      case 'echo':
        return echo(cmd);
      case 'listen':
        return listen(cmd);
      case 'send-rounds':
        return sendRounds(cmd);
      case 'collect':
        return collect(cmd);
      case 'close':
        return closeAll();
      default:
        reply({ type: 'error', message: `unknown command ${JSON.stringify(cmd)}` });
        return nextCommand();
    }
  } catch (error) {
    reply({ type: 'error', message: error instanceof Error ? (error.stack ?? error.message) : String(error) });
    nextCommand();
  }
}

let input = '';
process.stdin.setEncoding('utf8');
process.stdin.on('data', (text: string) => {
  input += text;
  let nl: number;
  while ((nl = input.indexOf('\n')) >= 0) {
    const line = input.slice(0, nl).trim();
    input = input.slice(nl + 1);
    if (!line) continue;
    queue.push(JSON.parse(line) as WsCommand);
  }
  if (!busy) nextCommand();
});
// The harness is gone: nobody will read the results or end the clients.
process.stdin.on('end', () => process.exit(0));
process.on('SIGTERM', () => process.exit(143));
process.on('SIGINT', () => process.exit(130));

/** This process's open-files limit (soft), from /proc/self/limits. */
async function openFilesLimit(): Promise<number> {
  const { readFile } = await import('node:fs/promises');
  const text = await readFile('/proc/self/limits', 'utf8').catch(() => '');
  const m = /^Max open files\s+(\d+|unlimited)/m.exec(text);
  return m ? (m[1] === 'unlimited' ? Number.MAX_SAFE_INTEGER : Number(m[1])) : 0;
}

timeoutTimer = setInterval(checkConnectTimeouts, TIMEOUT_CHECK_MS);
timeoutTimer.unref();
fdLimit = await openFilesLimit();
reply({ type: 'ready', openFilesLimit: fdLimit });
