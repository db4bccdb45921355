// One worker of the harness's HTTP/1.1 load generator: keep-alive connections on raw TCP sockets,
// one process on one pinned CPU. Runs under Bun (which runs .ts directly) and under Node (node
// --import tsx); it uses the runtime's built-ins (node:net on Node, Bun.connect on Bun) and
// hdr-histogram-js only.
//
//   <runtime> harness/load/raw/worker.ts '{"host":"127.0.0.1","port":8080,"path":"/json",...}'
//
// Closed loop (no rate): every connection keeps `pipelining` requests in flight and sends the next
// one when a response arrives. Latency runs from the request's send time.
//
// Open loop (rate): request k has the intended send time start + k/rate and goes to connection
// k mod connections. One timer catches up on every request whose time has come (however late the
// timer fired); a request whose connection has its pipeline full waits there, keeping its intended
// time. Latency runs from the INTENDED send time (as wrk2 does), so a stall of the server (or of
// this loader) shows in the latencies instead of silently slowing the request rate (coordinated
// omission). Timers fire in whole milliseconds, so a request may leave a millisecond or two after
// its intended time, and that lateness is part of its latency, as in wrk2 (sub-millisecond timing
// would take a busy loop, and a loader that always shows 100% CPU could not tell when it is the
// bottleneck).
//
// Failures: a malformed response, a reset, a connection closed with requests in flight or a failed
// connect is one error; the connection is reopened. A request without a response after timeoutMs
// is one timeout (not also an error); its connection is destroyed and reopened, and requests behind
// it in the same pipeline that had not yet reached timeoutMs are dropped without being counted.
// A `Connection: close` response is counted like any other, and the connection is reopened.
//
// Output: `bench-loader:started` on stderr when the connections are open and the load begins; one
// line of JSON (WorkerOutput) on stdout at the end; a summary of error kinds on stderr, if any.
// Nothing is printed during the load.
import dns from 'node:dns/promises';
import net from 'node:net';
import * as hdr from 'hdr-histogram-js';
import { LOAD_STARTED } from '../protocol.ts';
import { ResponseParser } from './parser.ts';
import type { WorkerConfig, WorkerOutput } from './types.ts';

const HIGHEST_US = 60_000_000;
/** Wait for in-flight responses after the load phase, at most. */
const DRAIN_MS = 1000;
/** Delay before reopening a connection whose connect failed (a refusing server would otherwise be hammered in a tight loop). */
const RECONNECT_AFTER_FAILED_CONNECT_MS = 20;

function parseConfig(text: string | undefined): WorkerConfig {
  let c: WorkerConfig;
  try {
    c = JSON.parse(text ?? '') as WorkerConfig;
  } catch {
    throw new Error(`worker: argv[2] must be the configuration as JSON, got ${JSON.stringify(text)}`);
  }
  const positiveInt = (n: unknown) => typeof n === 'number' && Number.isInteger(n) && n > 0;
  const positive = (n: unknown) => typeof n === 'number' && Number.isFinite(n) && n > 0;
  if (typeof c.host !== 'string' || !c.host) throw new Error('worker: host is missing');
  if (!positiveInt(c.port) || c.port > 65535) throw new Error(`worker: bad port ${String(c.port)}`);
  if (typeof c.path !== 'string' || !c.path.startsWith('/') || /[\s]/.test(c.path)) throw new Error(`worker: bad path ${JSON.stringify(c.path)}`);
  if (typeof c.hostHeader !== 'string' || !c.hostHeader || /[\r\n]/.test(c.hostHeader)) throw new Error('worker: bad hostHeader');
  if (!positiveInt(c.connections)) throw new Error(`worker: bad connections ${String(c.connections)}`);
  if (!positiveInt(c.pipelining)) throw new Error(`worker: bad pipelining ${String(c.pipelining)}`);
  if (!positive(c.durationS)) throw new Error(`worker: bad durationS ${String(c.durationS)}`);
  if (!positive(c.timeoutMs)) throw new Error(`worker: bad timeoutMs ${String(c.timeoutMs)}`);
  if (c.rate !== undefined && c.rate !== null && !positive(c.rate)) throw new Error(`worker: bad rate ${String(c.rate)}`);
  if (c.transport !== undefined && c.transport !== 'node:net') throw new Error(`worker: bad transport ${String(c.transport)}`);
  return c;
}

const config = parseConfig(process.argv[2]);
const PIPELINING = config.pipelining;
const OPEN_LOOP = typeof config.rate === 'number';
const RATE_PER_MS = OPEN_LOOP ? config.rate! / 1000 : 0;
const DURATION_MS = config.durationS * 1000;
const TIMEOUT_MS = config.timeoutMs;

// The request bytes, built once; BATCHES[k] holds k requests back to back (views of one buffer),
// written with one write().
const REQUEST = Buffer.from(`GET ${config.path} HTTP/1.1\r\nHost: ${config.hostHeader}\r\n\r\n`, 'latin1');
const ALL_REQUESTS = Buffer.concat(Array.from({ length: PIPELINING }, () => REQUEST));
const BATCHES: Buffer[] = Array.from({ length: PIPELINING + 1 }, (_, k) => ALL_REQUESTS.subarray(0, k * REQUEST.length));

const READ_BUFFER = Buffer.allocUnsafe(64 * 1024);

const histogram = hdr.build({ lowestDiscernibleValue: 1, highestTrackableValue: HIGHEST_US, numberOfSignificantValueDigits: 3 });
// Latencies below FAST_LIMIT_US are counted per microsecond in a plain array during the load (a
// histogram's recordValue costs about as much as parsing a response on Node) and added into the
// histogram at the end. Recording a value n times is the same as adding it with a count of n, so
// the histogram is exactly the one direct recording would give.
const FAST_LIMIT_US = 1 << 17;
const fastCounts = new Uint32Array(FAST_LIMIT_US);

function foldFastCounts(): void {
  for (let us = 1; us < FAST_LIMIT_US; us++) {
    const n = fastCounts[us]!;
    if (n > 0) histogram.recordValueWithCount(us, n);
  }
  fastCounts.fill(0);
}
// Responses by class: index 1..5 = 1xx..5xx.
const classes = [0, 0, 0, 0, 0, 0];
let requests = 0;
let errors = 0;
let timeouts = 0;
let sent = 0;
/** Requests written and neither answered nor dropped, over all connections. */
let inflightTotal = 0;
const errorKinds = new Map<string, number>();

/** Requests may be sent (the load phase). */
let running = false;
/** The load phase is over; waiting for the last responses. */
let draining = false;
let finished = false;
let startAt = 0;
let stopAt = 0;
let lastResponseAt = 0;
let lastSendAt = 0;
/** performance.now() when the current chunk arrived: every response in a chunk arrived then. */
let chunkAt = 0;

function countError(kind: string): void {
  errors++;
  errorKinds.set(kind, (errorKinds.get(kind) ?? 0) + 1);
}

let address = config.host;

/** One TCP connection attempt, as the transport gives it: writes and an immediate close. */
interface Link {
  write(bytes: Buffer): void;
  close(): void;
}

class Connection {
  /** The current connection attempt; events of an older one are ignored. */
  link: Link | null = null;
  connected = false;
  connectStartedAt = 0;
  readonly parser: ResponseParser;
  // A ring of requests: `inflight` written ones from `head`, then `queued` ones waiting to be written.
  // intended: the intended send time (open loop) or the send time (closed loop); sentAt: when written.
  private intended: Float64Array;
  private sentAt: Float64Array;
  private mask: number;
  private head = 0;
  inflight = 0;
  queued = 0;
  /** Set while a chunk is parsed: drop the connection after it (error, or Connection: close). */
  private mustDrop = false;

  constructor() {
    let capacity = 1;
    while (capacity < PIPELINING * 2) capacity *= 2;
    this.intended = new Float64Array(capacity);
    this.sentAt = new Float64Array(capacity);
    this.mask = capacity - 1;
    this.parser = new ResponseParser(
      (status, close) => this.onResponse(status, close),
      (message) => this.onParseError(message),
    );
  }

  open(): void {
    this.connected = false;
    this.connectStartedAt = performance.now();
    this.parser.reset();
    this.link = connect(this);
  }

  // Events of the current link (the transports check that it is current).

  onConnect(): void {
    this.connected = true;
    if (!running) {
      connectedOne();
      return;
    }
    this.begin(performance.now());
  }

  onSocketError(kind: string): void {
    const wasConnected = this.connected;
    countError(kind);
    this.drop(wasConnected ? 0 : RECONNECT_AFTER_FAILED_CONNECT_MS);
    if (!wasConnected && !running && !draining) connectedOne();
    if (draining && inflightTotal === 0) finish();
  }

  /** Connected during the load phase: a closed loop fills the pipeline; queued open-loop requests go out. */
  begin(now: number): void {
    if (!OPEN_LOOP) for (let i = this.inflight + this.queued; i < PIPELINING; i++) this.enqueue(now);
    this.flush(now);
  }

  /** The server closed the connection (FIN, without a reset). */
  onClosedByPeer(): void {
    const wasConnected = this.connected;
    // A body that runs until the close ends here.
    chunkAt = performance.now();
    const complete = this.parser.finish();
    if (!wasConnected) countError('connection closed before it was established');
    else if (!complete || this.inflight > 0) countError('connection closed with requests in flight');
    this.drop(wasConnected ? 0 : RECONNECT_AFTER_FAILED_CONNECT_MS);
    if (!wasConnected && !running && !draining) connectedOne();
    if (draining && inflightTotal === 0) finish();
  }

  enqueue(intended: number): void {
    if (this.inflight + this.queued > this.mask) this.grow();
    this.intended[(this.head + this.inflight + this.queued) & this.mask] = intended;
    this.queued++;
  }

  private grow(): void {
    const size = this.mask + 1;
    const intended = new Float64Array(size * 2);
    const sentAt = new Float64Array(size * 2);
    for (let i = 0; i < size; i++) {
      intended[i] = this.intended[(this.head + i) & this.mask]!;
      sentAt[i] = this.sentAt[(this.head + i) & this.mask]!;
    }
    this.intended = intended;
    this.sentAt = sentAt;
    this.mask = size * 2 - 1;
    this.head = 0;
  }

  /** Writes as many queued requests as the pipeline has room for, in one write. */
  flush(now: number): void {
    if (!this.connected || !running) return;
    const n = Math.min(this.queued, PIPELINING - this.inflight);
    if (n <= 0) return;
    let at = this.head + this.inflight;
    for (let i = 0; i < n; i++) this.sentAt[at++ & this.mask] = now;
    this.inflight += n;
    this.queued -= n;
    inflightTotal += n;
    sent += n;
    lastSendAt = now;
    this.link!.write(BATCHES[n]!);
  }

  onData(chunk: Buffer, length: number): void {
    chunkAt = performance.now();
    this.parser.push(chunk, length);
    if (this.mustDrop) {
      this.drop(0);
      if (draining && inflightTotal === 0) finish();
      return;
    }
    if (running) this.flush(chunkAt);
    else if (draining && inflightTotal === 0) finish();
  }

  private onResponse(status: number, close: boolean): void {
    requests++;
    // An interim response (100 Continue, 103 Early Hints): the final response is still to come.
    if (status < 200 && status !== 101) {
      classes[1]!++;
      return;
    }
    if (this.inflight === 0) {
      // A response to no request: the server is confused, and so would be every latency after it.
      requests--;
      countError('response without a request');
      this.mustDrop = true;
      this.parser.reset(); // stops parsing this chunk
      return;
    }
    const index = this.head;
    this.head = (index + 1) & this.mask;
    this.inflight--;
    inflightTotal--;
    let us = Math.round((chunkAt - this.intended[index]!) * 1000);
    if (us < 1) us = 1;
    if (us < FAST_LIMIT_US) fastCounts[us]!++;
    else histogram.recordValue(us > HIGHEST_US ? HIGHEST_US : us);
    classes[(status / 100) | 0]!++;
    lastResponseAt = chunkAt;
    if (close) this.mustDrop = true;
    else if (!OPEN_LOOP && running) this.enqueue(chunkAt);
  }

  private onParseError(message: string): void {
    countError(`malformed response (${message})`);
    this.mustDrop = true;
  }

  /** Destroys the socket; requests in flight are lost. During the load phase the connection is reopened. */
  drop(reconnectAfterMs: number): void {
    this.mustDrop = false;
    const link = this.link;
    this.link = null;
    link?.close();
    this.connected = false;
    this.head = (this.head + this.inflight) & this.mask;
    inflightTotal -= this.inflight;
    this.inflight = 0;
    // A closed loop sends afresh on the new connection; an open loop keeps its queue (and the intended times).
    if (!OPEN_LOOP) this.queued = 0;
    if (!running) return;
    if (reconnectAfterMs > 0) {
      setTimeout(() => {
        if (running && this.link === null) this.open();
      }, reconnectAfterMs);
    } else {
      this.open();
    }
  }

  /** Requests in flight sent at or before `before`, from the oldest. */
  expired(before: number): number {
    let n = 0;
    while (n < this.inflight && this.sentAt[(this.head + n) & this.mask]! <= before) n++;
    return n;
  }
}

// ---------------------------------------------------------------------------------------------
// Transports. On Node: node:net sockets reading into one shared buffer (`onread`: no Buffer and
// no 'data' event per read). On Bun: its native TCP sockets (Bun.connect, handlers shared by all
// sockets); Bun's node:net is a layer over them that cost about a quarter of the throughput here.

class NodeLink implements Link {
  readonly socket: net.Socket;
  constructor(socket: net.Socket) {
    this.socket = socket;
  }
  write(bytes: Buffer): void {
    this.socket.write(bytes);
  }
  close(): void {
    this.socket.destroy();
  }
}

function connectNode(conn: Connection): Link {
  const socket = net.connect({
    host: address,
    port: config.port,
    // Reads land in one buffer shared by every connection (the parser keeps no reference to it).
    onread: {
      buffer: READ_BUFFER,
      callback: (bytes: number) => {
        if (conn.link === link) conn.onData(READ_BUFFER, bytes);
        return true;
      },
    },
  });
  const link = new NodeLink(socket);
  socket.on('connect', () => {
    if (conn.link !== link) return;
    socket.setNoDelay(true);
    conn.onConnect();
  });
  socket.on('error', (error: NodeJS.ErrnoException) => {
    if (conn.link === link) conn.onSocketError(error.code ?? error.message);
  });
  socket.on('end', () => {
    if (conn.link === link) conn.onClosedByPeer();
  });
  socket.on('close', () => {
    if (conn.link === link) conn.onClosedByPeer();
  });
  return link;
}

// The part of Bun's TCP API used here (https://bun.sh/docs/api/tcp).
interface BunSocket {
  data: BunLink;
  /** Bytes written: fewer than given when the socket's buffer is full, -1 when it is closed. */
  write(bytes: Uint8Array): number;
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
  connect(options: { hostname: string; port: number; data: BunLink; socket: BunHandlers }): Promise<BunSocket>;
}

class BunLink implements Link {
  socket: BunSocket | null = null;
  closed = false;
  /** What a write could not hand over (the socket's buffer was full), written on drain. */
  pending: Buffer | null = null;
  readonly conn: Connection;
  constructor(conn: Connection) {
    this.conn = conn;
  }
  write(bytes: Buffer): void {
    if (this.pending) {
      this.pending = Buffer.concat([this.pending, bytes]);
      return;
    }
    const written = this.socket!.write(bytes);
    if (written >= 0 && written < bytes.length) this.pending = bytes.subarray(written);
  }
  drain(): void {
    const pending = this.pending;
    if (!pending || !this.socket) return;
    this.pending = null;
    this.write(pending);
  }
  close(): void {
    this.closed = true;
    this.socket?.terminate();
  }
}

const errorKind = (error: unknown) => (error as NodeJS.ErrnoException | undefined)?.code ?? (error as Error | undefined)?.message ?? String(error);

const BUN_HANDLERS: BunHandlers = {
  open(socket) {
    const link = socket.data;
    if (link.closed || link.conn.link !== link) {
      socket.terminate();
      return;
    }
    link.socket = socket;
    socket.setNoDelay?.(true);
    link.conn.onConnect();
  },
  data(socket, data) {
    const link = socket.data;
    if (link.conn.link === link) link.conn.onData(data, data.length);
  },
  drain(socket) {
    socket.data.drain();
  },
  end(socket) {
    const link = socket.data;
    if (link.conn.link === link) link.conn.onClosedByPeer();
  },
  close(socket, error) {
    const link = socket.data;
    if (link.conn.link !== link) return;
    if (error) link.conn.onSocketError(errorKind(error));
    else link.conn.onClosedByPeer();
  },
  error(socket, error) {
    const link = socket.data;
    if (link.conn.link === link) link.conn.onSocketError(errorKind(error));
  },
};

function connectBun(conn: Connection): Link {
  const link = new BunLink(conn);
  // A failed connect rejects the promise (no connectError handler, so that it is reported once).
  BUN!.connect({ hostname: address, port: config.port, data: link, socket: BUN_HANDLERS }).catch((error: unknown) => {
    if (conn.link === link) conn.onSocketError(errorKind(error));
  });
  return link;
}

const BUN = (globalThis as { Bun?: BunApi }).Bun;
const connect: (conn: Connection) => Link = BUN && config.transport !== 'node:net' ? connectBun : connectNode;

const connections: Connection[] = [];
for (let i = 0; i < config.connections; i++) connections.push(new Connection());

// ---------------------------------------------------------------------------------------------
// Start: open every connection, and begin when each has connected or failed (or after timeoutMs).

let pendingConnects = config.connections;
let startTimer: NodeJS.Timeout | null = null;

function connectedOne(): void {
  if (--pendingConnects === 0) start();
}

function start(): void {
  if (running || draining || finished) return;
  if (startTimer) clearTimeout(startTimer);
  running = true;
  startAt = performance.now();
  process.stderr.write(`${LOAD_STARTED}\n`);
  for (const c of connections) {
    if (c.connected) c.begin(startAt);
    else if (c.link === null) c.open();
  }
  timeoutTimer = setInterval(checkTimeouts, Math.min(100, Math.max(5, Math.round(TIMEOUT_MS / 10))));
  stopTimer = setTimeout(stop, DURATION_MS);
  if (OPEN_LOOP) tick();
}

// ---------------------------------------------------------------------------------------------
// Open loop: one timer that sends every request whose intended time has come.

/** Requests the open loop will send in the load phase: those with an intended time before its end. */
const PLANNED = OPEN_LOOP ? Math.ceil(DURATION_MS * RATE_PER_MS) : 0;
let scheduled = 0;
let tickTimer: NodeJS.Timeout | null = null;

function tick(): void {
  tickTimer = null;
  if (!running) return;
  const now = performance.now();
  const due = Math.min(PLANNED, Math.floor((now - startAt) * RATE_PER_MS) + 1);
  const first = scheduled;
  const count = connections.length;
  for (; scheduled < due; scheduled++) connections[scheduled % count]!.enqueue(startAt + scheduled / RATE_PER_MS);
  const touched = Math.min(count, scheduled - first);
  for (let i = 0; i < touched; i++) connections[(first + i) % count]!.flush(now);
  if (scheduled < PLANNED) {
    const next = startAt + scheduled / RATE_PER_MS;
    tickTimer = setTimeout(tick, Math.max(0, next - performance.now()));
  }
}

// ---------------------------------------------------------------------------------------------
// Timeouts: one interval for the whole worker, checking the oldest request of each connection.

let timeoutTimer: NodeJS.Timeout | null = null;
let stopTimer: NodeJS.Timeout | null = null;

function checkTimeouts(): void {
  const now = performance.now();
  const before = now - TIMEOUT_MS;
  for (const c of connections) {
    if (c.link !== null && !c.connected) {
      if (c.connectStartedAt <= before) {
        countError('connect timeout');
        c.drop(0);
      }
      continue;
    }
    if (c.inflight === 0) continue;
    const n = c.expired(before);
    if (n === 0) continue;
    timeouts += n;
    c.drop(0);
  }
  if (draining && inflightTotal === 0) finish();
}

// ---------------------------------------------------------------------------------------------
// End: stop sending, wait briefly for the responses in flight, print the result.

let drainTimer: NodeJS.Timeout | null = null;

function stop(): void {
  if (!running) return;
  // Requests whose intended time is before the end go out even if their tick is due after this timer.
  if (OPEN_LOOP) tick();
  running = false;
  draining = true;
  const now = performance.now();
  // The open loop's sending ended with its last request due (or the last one it sent late), not when
  // this timer happened to fire: a late timer must not dilute the achieved rate.
  stopAt = OPEN_LOOP ? Math.min(now, Math.max(startAt + DURATION_MS, lastSendAt)) : now;
  if (tickTimer) clearTimeout(tickTimer);
  if (inflightTotal === 0) {
    finish();
    return;
  }
  // Responses still in flight after this wait are dropped: counted neither as responses nor as
  // timeouts (their requests were sent, and `sent` says so).
  drainTimer = setTimeout(finish, Math.min(DRAIN_MS, TIMEOUT_MS));
}

function finish(): void {
  if (finished) return;
  finished = true;
  running = false;
  draining = false;
  if (stopAt === 0) stopAt = performance.now();
  for (const t of [startTimer, tickTimer, timeoutTimer, stopTimer, drainTimer]) if (t) clearTimeout(t);
  for (const c of connections) c.drop(0);
  foldFastCounts();
  const output: WorkerOutput = {
    durationS: startAt === 0 ? 0 : (Math.max(stopAt, lastResponseAt) - startAt) / 1000,
    sendDurationS: startAt === 0 ? 0 : (stopAt - startAt) / 1000,
    requests,
    statusClasses: { '1xx': classes[1]!, '2xx': classes[2]!, '3xx': classes[3]!, '4xx': classes[4]!, '5xx': classes[5]! },
    errors,
    timeouts,
    sent,
    histogramUs: hdr.encodeIntoCompressedBase64(histogram),
    errorKinds: Object.fromEntries(errorKinds),
  };
  if (errorKinds.size) process.stderr.write(`errors: ${[...errorKinds].map(([k, n]) => `${n} × ${k}`).join(', ')}\n`);
  process.stdout.write(JSON.stringify(output) + '\n', () => process.exit(0));
}

function interrupted(): void {
  // Stops at once, without waiting for the responses in flight, and prints what it has.
  if (running) stopAt = performance.now();
  finish();
}
process.on('SIGTERM', interrupted);
process.on('SIGINT', interrupted);

// A name is resolved once (IPv4 first, as servers here listen on 127.0.0.1), not at every reconnect.
if (net.isIP(config.host) === 0) {
  const found = await dns.lookup(config.host, { all: true });
  address = (found.find((a) => a.family === 4) ?? found[0] ?? { address: config.host }).address;
}
startTimer = setTimeout(start, TIMEOUT_MS);
for (const c of connections) c.open();
