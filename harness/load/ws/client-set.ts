// The clients of one WebSocket load worker (load-client.ts): opening them at most
// connectConcurrency at a time with a connect deadline, holding them, counting the held ones that
// go away, handing each received load message to whatever command listens now (echo-schedule.ts,
// broadcast-rounds.ts), and closing them all with a bounded close handshake. Runs in the worker
// (worker.ts) and in-process in tests.
import fs from 'node:fs';
import { Recorder } from '../kit/recorder.ts';
import { transport, type Endpoint, type Link, type LinkOwner, type TransportName } from '../kit/transport.ts';
import { CLOSE_NORMAL } from './frames.ts';
import { CLOSED, CONNECTING, HANDSHAKING, JOINING, LoadClient, OPEN, sioWire, type ClientGroup, type ClientSettings, type SioWire } from './load-client.ts';
import { parseLoadMessage, sharedClockMs, type ParsedMessage } from './message.ts';
import type { Drops, OpenedReply } from './protocol.ts';

/** Waits for the close handshakes at closeAll, at most. */
const CLOSE_WAIT_MS = 2000;
const TIMEOUT_CHECK_MS = 100;

export interface ClientSetSettings extends ClientSettings {
  connectTimeoutMs: number;
  connectConcurrency: number;
  transport?: TransportName | undefined;
  socketio?: { namespace: string } | undefined;
}

/** The message counts of the command under way, shared by the clients and the command (reset by the command when it begins). */
export class MessageCounts {
  sent = 0;
  received = 0;
  outOfOrder = 0;
  misrouted = 0;
  /** Messages that are no load message (socket.io: packets other than the namespace's `message` events and the protocol's own). */
  unexpected = 0;
  /** sharedClockMs() of the last message counted (0: none). */
  lastReceiveMs = 0;

  reset(): void {
    this.sent = 0;
    this.received = 0;
    this.outOfOrder = 0;
    this.misrouted = 0;
    this.unexpected = 0;
    this.lastReceiveMs = 0;
  }
}

/** What a received load message means: the command under way (sample or echo, a broadcast). */
export interface LoadReceiver {
  /** A load message `m` that client received at `nowMs` (sharedClockMs). `m` is reused: read it now. */
  onLoad(client: LoadClient, m: ParsedMessage, nowMs: number): void;
}

const bump = (map: Map<string, number>, kind: string) => map.set(kind, (map.get(kind) ?? 0) + 1);

function countFds(): number {
  try {
    return fs.readdirSync('/proc/self/fd').length;
  } catch {
    return 0;
  }
}

const UNDER_BUN = (globalThis as { Bun?: unknown }).Bun !== undefined;

export class ClientSet implements ClientGroup {
  readonly sio: SioWire | null;
  readonly connect: (owner: LinkOwner, to: Endpoint) => Link;
  /** Gets every load message of an open client; null: they are ignored. */
  receiver: LoadReceiver | null = null;
  private readonly clients: LoadClient[] = [];
  /** Clients connecting or in their handshake. */
  private readonly connectingNow = new Set<LoadClient>();
  private openCount = 0;
  private droppedCount = 0;
  private readonly dropKinds = new Map<string, number>();
  private opener: Opener | null = null;
  private closing: { timer: NodeJS.Timeout | null; done: () => void } | null = null;
  private readonly parsed: ParsedMessage = { ok: false, sender: 0, seq: 0, stampUs: 0 };
  /** Descriptors in use before any client (stdio, pipes, the runtime's own). */
  private readonly baseFds = countFds();

  /** `fdLimit`: this process's open-files limit (0: unknown), to name a connect that failed at it. */
  constructor(
    readonly settings: ClientSetSettings,
    readonly counts: MessageCounts,
    private readonly fdLimit = 0,
  ) {
    this.sio = settings.socketio ? sioWire(settings.socketio.namespace) : null;
    this.connect = transport(settings.transport);
  }

  /** Clients held now (open, or closing). */
  get held(): number {
    return this.openCount;
  }

  /** The open clients, in the order they were opened. */
  openClients(): LoadClient[] {
    return this.clients.filter((c) => c.state === OPEN);
  }

  /** Every client not yet forgotten (closed ones are forgotten at the end of each open). */
  all(): readonly LoadClient[] {
    return this.clients;
  }

  /** The drops since the last call, and the clients open now. */
  takeDrops(): Drops {
    const out = { dropped: this.droppedCount, dropKinds: Object.fromEntries(this.dropKinds), open: this.openCount };
    this.droppedCount = 0;
    this.dropKinds.clear();
    return out;
  }

  /** Opens `count` more clients on `path`, with ids firstId, firstId+1, ...; resolves when every one is open or has failed. */
  open(path: string, count: number, firstId: number): Promise<OpenedReply> {
    if (this.opener) return Promise.reject(new Error('an open is under way'));
    return new Promise((resolve) => {
      this.opener = new Opener(this, path, count, firstId, (reply) => {
        this.opener = null;
        this.compact();
        resolve({ ...reply, ...this.takeDrops() });
      });
      this.opener.pump();
    });
  }

  /** Close handshake with every client, then every socket is closed: resolves when all are closed, or after CLOSE_WAIT_MS. */
  closeAll(): Promise<void> {
    this.receiver = null;
    return new Promise((resolve) => {
      this.closing = { timer: null, done: resolve };
      for (const c of this.clients) {
        if (c.state === OPEN) c.close(CLOSE_NORMAL);
        else if (c.state === CONNECTING || c.state === HANDSHAKING || c.state === JOINING) c.fail('closing');
      }
      if (this.openCount === 0 && this.connectingNow.size === 0) return this.finishClose();
      if (this.closing) this.closing.timer = setTimeout(() => this.finishClose(), CLOSE_WAIT_MS);
    });
  }

  private finishClose(): void {
    const closing = this.closing;
    if (!closing) return;
    this.closing = null;
    if (closing.timer) clearTimeout(closing.timer);
    for (const c of this.clients) c.link?.destroy();
    closing.done();
  }

  /** Forgets clients that are closed, so that a long ramp does not keep them (and their sockets' wrappers) alive. */
  private compact(): void {
    let j = 0;
    for (let i = 0; i < this.clients.length; i++) if (this.clients[i]!.state !== CLOSED) this.clients[j++] = this.clients[i]!;
    this.clients.length = j;
  }

  /** Fails the clients whose connect and handshake took longer than connectTimeoutMs. */
  checkConnectTimeouts(): void {
    const before = performance.now() - this.settings.connectTimeoutMs;
    for (const c of this.connectingNow) if (c.startedAt <= before) c.fail(c.state === CONNECTING ? 'connect timeout' : c.state === JOINING ? 'socket.io connect timeout' : 'handshake timeout');
  }

  add(client: LoadClient): void {
    this.clients.push(client);
  }

  // ClientGroup: what the clients tell.

  connecting(client: LoadClient): void {
    this.connectingNow.add(client);
  }

  opened(client: LoadClient): void {
    this.connectingNow.delete(client);
    this.openCount++;
    this.opener?.done(client, true, '');
  }

  failed(client: LoadClient, kind: string): void {
    this.opener?.done(client, false, kind);
  }

  dropped(_client: LoadClient, kind: string): void {
    this.droppedCount++;
    bump(this.dropKinds, kind);
  }

  closed(client: LoadClient, held: boolean): void {
    if (held) this.openCount--;
    this.connectingNow.delete(client);
    if (this.closing && this.openCount === 0 && this.connectingNow.size === 0) this.finishClose();
  }

  message(client: LoadClient, data: Buffer, start: number, end: number): void {
    const receiver = this.receiver;
    if (!receiver) return;
    const nowMs = sharedClockMs();
    const m = parseLoadMessage(data, start, end, this.parsed);
    if (!m.ok) {
      this.counts.unexpected++;
      return;
    }
    receiver.onLoad(client, m, nowMs);
  }

  unexpected(): void {
    this.counts.unexpected++;
  }

  /** Bun 1.4 reports a connect that failed for want of a descriptor as ECONNREFUSED: at the limit, it is called what it is. */
  connectErrorKind(kind: string): string {
    if (kind === 'ECONNREFUSED' && UNDER_BUN && this.fdLimit > 0 && this.baseFds + this.openCount + this.connectingNow.size + 2 >= this.fdLimit) return 'EMFILE';
    return kind;
  }
}

/** One `open`: connects `count` clients, at most connectConcurrency at a time, and reports how it went. */
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
  private readonly timeouts: NodeJS.Timeout;

  constructor(
    private readonly set: ClientSet,
    private readonly path: string,
    private readonly count: number,
    private readonly firstId: number,
    private readonly onDone: (reply: Omit<OpenedReply, keyof Drops>) => void,
  ) {
    this.timeouts = setInterval(() => set.checkConnectTimeouts(), TIMEOUT_CHECK_MS);
    this.timeouts.unref();
  }

  pump(): void {
    if (this.pumping || this.finished) return;
    this.pumping = true;
    const concurrency = this.set.settings.connectConcurrency;
    while (this.inFlight < concurrency && this.next < this.count) {
      const client = new LoadClient(this.firstId + this.next++, this.path, this.set);
      this.set.add(client);
      this.inFlight++;
      client.connect();
    }
    this.pumping = false;
    if (this.inFlight === 0 && this.next >= this.count) this.finish();
  }

  done(client: LoadClient, ok: boolean, kind: string): void {
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
    clearInterval(this.timeouts);
    this.onDone({ type: 'opened', ok: this.ok, failed: this.failed, errorKinds: Object.fromEntries(this.kinds), handshakeUs: this.handshakes.take(), openMs: performance.now() - this.startedAt });
  }
}
