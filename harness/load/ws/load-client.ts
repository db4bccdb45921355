// One client of the WebSocket load generator: a TCP connection from the kit's transport
// (../kit/transport.ts: Bun's native sockets or node:net), the RFC 6455 upgrade (handshake.ts),
// frames (frames.ts), and with Socket.IO (socketio.ts) the Engine.IO handshake and the namespace
// connect after the upgrade, pongs to the server's pings, and each load message as a `message`
// event, read in place between its fixed prefix and suffix. A client is not reopened: one the
// server closes is a drop.
//
// The client keeps only its own state; what it shares with the other clients of its worker (the
// settings, the transport, the counts, what a received load message means now) is its group's
// (ClientGroup, implemented by client-set.ts), which it tells about every change of state.
import type { Endpoint, Link, LinkOwner } from '../kit/transport.ts';
import { errorKind } from '../kit/transport.ts';
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
import { connectPacket, decodeSioPacket, disconnectPacket, EVENT_SUFFIX, eventPrefix, namespacePart, parseOpenPacket, SIO_CONNECT, SIO_CONNECT_ERROR } from './socketio.ts';

// A client's states.
export const CONNECTING = 0;
export const HANDSHAKING = 1;
export const OPEN = 2;
export const CLOSING = 3;
export const CLOSED = 4;
/** Socket.IO: upgraded, waiting for the Engine.IO open packet and then the namespace connect's acknowledgement. */
export const JOINING = 5;

/** Tries of other source ports when one is taken (by a listener, or a socket in TIME_WAIT from an earlier run). */
const PORT_RETRIES = 8;

/** Where and how a worker's clients connect (a part of the worker's configuration, protocol.ts). */
export interface ClientSettings {
  /** An IP address. */
  host: string;
  port: number;
  hostHeader: string;
  origin: string | null;
  sourceAddresses: string[];
  sourcePorts: { low: number; high: number; planned: number } | null;
}

/** Socket.IO's packets for one namespace, made once. A load message travels as
 * 42/ns,["message","<message>"]; it has nothing JSON escapes, so it is read in place. */
export interface SioWire {
  namespace: string;
  eventPrefix: Buffer;
  eventSuffix: Buffer;
  connectText: string;
  disconnectText: string;
  /** What the server's DISCONNECT of the namespace reads: "41/ns,". */
  serverDisconnectText: string;
}

export function sioWire(namespace: string): SioWire {
  return {
    namespace,
    eventPrefix: Buffer.from(eventPrefix(namespace), 'latin1'),
    eventSuffix: Buffer.from(EVENT_SUFFIX, 'latin1'),
    connectText: connectPacket(namespace),
    disconnectText: disconnectPacket(namespace),
    serverDisconnectText: `41${namespacePart(namespace)}`,
  };
}

/** Whether data[start, end) is a `message` event of the namespace with one string: its payload is then [start + prefix, end - 2). */
export function isLoadEvent(wire: SioWire, data: Buffer, start: number, end: number): boolean {
  const prefix = wire.eventPrefix;
  const n = prefix.length;
  if (end - start < n + 2 || data[end - 1] !== 0x5d || data[end - 2] !== 0x22) return false;
  for (let i = 0; i < n; i++) if (data[start + i] !== prefix[i]) return false;
  return true;
}

/** Where client `id` connects on its `attempt`th try: its source address, and its planned source port first, then random ones above the planned. */
export function endpointFor(s: ClientSettings, id: number, attempt: number): Endpoint {
  const addresses = s.sourceAddresses;
  if (addresses.length === 0) return { host: s.host, port: s.port };
  const localAddress = addresses[id % addresses.length]!;
  const ports = s.sourcePorts;
  if (!ports) return { host: s.host, port: s.port, localAddress };
  const planned = ports.low + Math.floor(id / addresses.length);
  if (attempt === 0 && planned <= ports.high) return { host: s.host, port: s.port, localAddress, localPort: planned };
  const spareLow = Math.min(ports.low + ports.planned, ports.high);
  return { host: s.host, port: s.port, localAddress, localPort: spareLow + Math.floor(Math.random() * (ports.high - spareLow + 1)) };
}

/** What a client shares with the other clients of its worker, and whom it tells what happened. */
export interface ClientGroup {
  readonly settings: ClientSettings;
  /** Socket.IO's packets; null: plain WebSocket messages. */
  readonly sio: SioWire | null;
  /** The transport. */
  connect(owner: LinkOwner, to: Endpoint): Link;
  /** A connect began (again, after a port retry). */
  connecting(client: LoadClient): void;
  /** The handshake is done: the client is held. */
  opened(client: LoadClient): void;
  /** A connect or handshake failed (after the client's teardown). */
  failed(client: LoadClient, kind: string): void;
  /** A held client went away (before its teardown). */
  dropped(client: LoadClient, kind: string): void;
  /** The client is closed; `held`: it was open (or closing) until now. */
  closed(client: LoadClient, held: boolean): void;
  /** A load message of an open client: data[start, end), valid during the call only. */
  message(client: LoadClient, data: Buffer, start: number, end: number): void;
  /** A message that is no load message (socket.io: a packet that is neither a load event nor the protocol's own). */
  unexpected(): void;
  /** The kind a failed connect is counted as (a runtime may name a failure for want of a descriptor wrongly). */
  connectErrorKind(kind: string): string;
}

export class LoadClient implements FrameHandler, LinkOwner {
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

  constructor(
    readonly id: number,
    readonly path: string,
    readonly group: ClientGroup,
  ) {}

  connect(): void {
    this.startedAt = performance.now();
    this.key = newKey();
    this.group.connecting(this);
    try {
      this.link = this.group.connect(this, endpointFor(this.group.settings, this.id, this.portRetries));
    } catch (error) {
      // Reported later, so that the opener's loop is not re-entered.
      queueMicrotask(() => this.onError(errorKind(error)));
    }
  }

  onConnect(): void {
    if (this.state !== CONNECTING) return;
    this.state = HANDSHAKING;
    const s = this.group.settings;
    this.link!.write(upgradeRequest({ path: this.path, host: s.hostHeader, key: this.key, origin: s.origin }));
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
    if (this.group.sio) this.state = JOINING;
    else this.opened();
    if (verdict.bodyStart < bytes.length) this.parser.push(bytes.subarray(verdict.bodyStart));
  }

  /** The handshake is done: the client is held. */
  private opened(): void {
    this.state = OPEN;
    this.group.opened(this);
  }

  /** A connect or upgrade that did not succeed. */
  fail(kind: string): void {
    if (this.state === CLOSED) return;
    const wasConnecting = this.state === CONNECTING || this.state === HANDSHAKING || this.state === JOINING;
    this.teardown();
    if (wasConnecting) this.group.failed(this, kind);
  }

  onError(kind: string): void {
    if (this.state === CLOSED) return;
    if (this.state === CONNECTING) {
      if ((kind === 'EADDRINUSE' || kind === 'EADDRNOTAVAIL') && this.group.settings.sourcePorts && this.portRetries < PORT_RETRIES) {
        // That source port is taken: another one, without counting a failure.
        this.portRetries++;
        const link = this.link;
        this.link = null;
        link?.destroy();
        this.connect();
        return;
      }
      this.fail(this.group.connectErrorKind(kind));
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
    if (this.state === OPEN) this.group.dropped(this, kind);
    this.teardown();
  }

  private teardown(): void {
    const held = this.state === OPEN || this.state === CLOSING;
    this.state = CLOSED;
    this.head = null;
    this.parser = null;
    const link = this.link;
    this.link = null;
    link?.destroy();
    this.group.closed(this, held);
  }

  /** Sends a load message (socket.io: as a `message` event). */
  send(text: string): void {
    const sio = this.group.sio;
    this.link!.write(sio ? encodeMaskedLatin1Wrapped(sio.eventPrefix, text, sio.eventSuffix) : encodeMaskedLatin1(text));
  }

  /** Starts the close handshake (the server answers with its close frame, then we close TCP).
   * Socket.IO: the namespace is left first (41), as Socket.IO's client does. */
  close(code: number): void {
    if (this.state !== OPEN) return;
    this.state = CLOSING;
    const sio = this.group.sio;
    if (sio) this.link!.write(encodeMaskedLatin1(sio.disconnectText));
    this.link!.write(encodeFrame(OP_CLOSE, closePayload(code)));
  }

  onMessage(_opcode: number, data: Buffer, start: number, end: number): void {
    const sio = this.group.sio;
    if (!sio) {
      if (this.state === OPEN) this.group.message(this, data, start, end);
      return;
    }
    if (this.state === OPEN && isLoadEvent(sio, data, start, end)) this.group.message(this, data, start + sio.eventPrefix.length, end - 2);
    else this.onSioPacket(sio, data, start, end);
  }

  /** Every Engine.IO packet but the load events: the handshake, pings, disconnects; the rest is counted as unexpected. */
  private onSioPacket(sio: SioWire, data: Buffer, start: number, end: number): void {
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
        this.link!.write(encodeMaskedLatin1(sio.connectText));
        return;
      }
      if (isLoadEvent(sio, data, start, end)) {
        this.group.unexpected();
        return;
      }
      const p = type === 0x34 ? decodeSioPacket(text.slice(1)) : null;
      if (p && p.nsp === sio.namespace && p.type === SIO_CONNECT) return this.opened();
      if (p && p.nsp === sio.namespace && p.type === SIO_CONNECT_ERROR) {
        const message = (p.data as { message?: unknown } | undefined)?.message;
        return this.fail(`socket.io connect refused${typeof message === 'string' ? ` (${message.slice(0, 80)})` : ''}`);
      }
      return this.fail('unexpected packet during the socket.io connect');
    }
    // OPEN: the server leaving the namespace ends the client; anything else is counted.
    if (text === sio.serverDisconnectText) {
      this.endWith(encodeFrame(OP_CLOSE, closePayload(CLOSE_NORMAL)));
      return this.lost('disconnected by the server (socket.io)');
    }
    this.group.unexpected();
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
        // (onClosed); the group's close deadline ends the wait.
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
