// Socket.IO 4's wire protocol as the harness's WebSocket clients speak it: Engine.IO 4 over the
// WebSocket transport alone (no long-polling, no upgrade), one Engine.IO packet per WebSocket text
// frame, Socket.IO packets inside Engine.IO `message` packets. The exchange:
//
//   client: GET <path>?EIO=4&transport=websocket (the WebSocket upgrade)
//   server: 0{"sid":"…","upgrades":[],"pingInterval":25000,"pingTimeout":20000,"maxPayload":1000000}
//   client: 40/echo,                              connect to the namespace /echo
//   server: 40/echo,{"sid":"…"}                   connected (44/echo,{"message":"…"}: refused)
//   client: 42/echo,["message","<payload>"]       an event
//   server: 2            client: 3                the server's heartbeat, answered
//   client: 41/echo,     then the WebSocket close handshake
//
// (Engine.IO packet types: 0 open, 1 close, 2 ping, 3 pong, 4 message, 5 upgrade, 6 noop; Socket.IO's:
// 0 CONNECT, 1 DISCONNECT, 2 EVENT, 3 ACK, 4 CONNECT_ERROR, 5 BINARY_EVENT, 6 BINARY_ACK. The root
// namespace "/" is written without its "/…," part.) Pure codec functions here, plus SioClient, the
// verification's client on top of WsClient; the load workers have their own allocation-free path.
import { WsClient, type WsClientOptions } from './client.ts';
import { parseWsUrl } from './ws-url.ts';
import type { WsProtocol } from './types.ts';

export type SocketIoProtocol = Extract<WsProtocol, { name: 'socket.io' }>;

/** The event the load messages travel as. */
export const LOAD_EVENT = 'message';

/** Checks a socket.io protocol's path and namespace; returns them with the path ending in "/", as
 * Socket.IO's client writes it (its server matches `<path>/` only). Throws with what is wrong. */
export function normalizeSocketIo(p: SocketIoProtocol): SocketIoProtocol {
  if (typeof p.path !== 'string' || !p.path.startsWith('/') || /[\s?#]/.test(p.path)) throw new Error(`socket.io path must be an absolute path without a query, e.g. "/socket.io/", got ${JSON.stringify(p.path)}`);
  // The namespace is written raw into every frame, and read back byte for byte: printable ASCII,
  // nothing JSON would escape, and no comma (it ends the namespace in a packet).
  if (typeof p.namespace !== 'string' || !/^\/[\x21-\x7e]*$/.test(p.namespace) || /[,"\\]/.test(p.namespace)) {
    throw new Error(`socket.io namespace must start with "/" and be printable ASCII without ',', '"' or '\\', got ${JSON.stringify(p.namespace)}`);
  }
  return { name: 'socket.io', path: p.path.endsWith('/') ? p.path : `${p.path}/`, namespace: p.namespace };
}

/** The request path of the WebSocket upgrade: `<path>?EIO=4&transport=websocket`. */
export function socketIoRequestPath(path: string): string {
  return `${path}?EIO=4&transport=websocket`;
}

/** How a namespace is written in a packet: "" for the root namespace, "/echo," otherwise. */
export function namespacePart(namespace: string): string {
  return namespace === '/' ? '' : `${namespace},`;
}

/** Engine.IO message + Socket.IO CONNECT for the namespace, without auth data: "40/echo,". */
export function connectPacket(namespace: string): string {
  return `40${namespacePart(namespace)}`;
}

/** Engine.IO message + Socket.IO DISCONNECT: "41/echo,". */
export function disconnectPacket(namespace: string): string {
  return `41${namespacePart(namespace)}`;
}

/** What a `message` event with one string argument starts with: `42/echo,["message","`; it ends with `"]`. */
export function eventPrefix(namespace: string): string {
  return `42${namespacePart(namespace)}["${LOAD_EVENT}","`;
}
export const EVENT_SUFFIX = '"]';

/** Bytes a `message` event adds around its payload in a frame (when the payload needs no JSON escapes): 22 for /echo. */
export function eventOverheadBytes(namespace: string): number {
  return eventPrefix(namespace).length + EVENT_SUFFIX.length;
}

/** An event packet with any arguments (JSON), e.g. encodeEvent('/echo', ['message', 'hi']). */
export function encodeEvent(namespace: string, args: readonly unknown[]): string {
  return `42${namespacePart(namespace)}${JSON.stringify(args)}`;
}

/** Engine.IO's open packet's data (the handshake). */
export interface EioOpen {
  sid: string;
  upgrades: string[];
  pingInterval: number;
  pingTimeout: number;
  /** Engine.IO 4.1+; absent from older servers. */
  maxPayload?: number;
}

/** Reads an open packet ("0{...}"); a string says what is wrong with it. */
export function parseOpenPacket(text: string): EioOpen | string {
  if (text[0] !== '0') return `not an Engine.IO open packet: ${preview(text)}`;
  let data: unknown;
  try {
    data = JSON.parse(text.slice(1));
  } catch {
    return `Engine.IO open packet with malformed JSON: ${preview(text)}`;
  }
  const o = data as Partial<EioOpen> | null;
  if (!o || typeof o !== 'object') return `Engine.IO open packet without an object: ${preview(text)}`;
  if (typeof o.sid !== 'string' || !o.sid) return 'Engine.IO open packet without a sid';
  const positive = (n: unknown) => typeof n === 'number' && Number.isFinite(n) && n > 0;
  if (!positive(o.pingInterval) || !positive(o.pingTimeout)) return `Engine.IO open packet without pingInterval and pingTimeout: ${preview(text)}`;
  return {
    sid: o.sid,
    upgrades: Array.isArray(o.upgrades) ? o.upgrades.map(String) : [],
    pingInterval: o.pingInterval!,
    pingTimeout: o.pingTimeout!,
    ...(positive(o.maxPayload) && { maxPayload: o.maxPayload! }),
  };
}

export const SIO_CONNECT = 0;
export const SIO_DISCONNECT = 1;
export const SIO_EVENT = 2;
export const SIO_ACK = 3;
export const SIO_CONNECT_ERROR = 4;
export const SIO_BINARY_EVENT = 5;
export const SIO_BINARY_ACK = 6;

export interface SioPacket {
  type: number;
  nsp: string;
  /** The ack id, if any. */
  id: number | null;
  /** The JSON data (undefined when there is none). */
  data: unknown;
  attachments?: number;
}

/** Decodes a Socket.IO packet (an Engine.IO message's data, without its leading "4"), as
 * socket.io-parser does; null when it is malformed. */
export function decodeSioPacket(str: string): SioPacket | null {
  const type = str.charCodeAt(0) - 0x30;
  if (!(type >= 0 && type <= 6)) return null;
  let i = 1;
  const p: SioPacket = { type, nsp: '/', id: null, data: undefined };
  if (type === SIO_BINARY_EVENT || type === SIO_BINARY_ACK) {
    const dash = str.indexOf('-', i);
    if (dash < 0 || !/^\d+$/.test(str.slice(i, dash))) return null;
    p.attachments = Number(str.slice(i, dash));
    i = dash + 1;
  }
  if (str[i] === '/') {
    const comma = str.indexOf(',', i);
    const end = comma < 0 ? str.length : comma;
    p.nsp = str.slice(i, end);
    i = comma < 0 ? end : end + 1;
  }
  let j = i;
  while (j < str.length && str.charCodeAt(j) >= 0x30 && str.charCodeAt(j) <= 0x39) j++;
  if (j > i) {
    p.id = Number(str.slice(i, j));
    i = j;
  }
  if (i < str.length) {
    try {
      p.data = JSON.parse(str.slice(i));
    } catch {
      return null;
    }
  }
  return p;
}

/** The start of a packet, for messages: at most 60 characters. */
export function preview(text: string): string {
  return JSON.stringify(text.length > 60 ? `${text.slice(0, 60)}…` : text);
}

export interface SioClientOptions extends WsClientOptions {
  protocol: SocketIoProtocol;
}

/**
 * A Socket.IO client for the harness process (verification, tests): one WebSocket (WsClient),
 * the Engine.IO handshake, one namespace, `message` events carrying one string each. It answers
 * the server's pings and keeps what it cannot place in `unexpected`, so that checks can say so.
 */
export class SioClient {
  readonly ws: WsClient;
  readonly namespace: string;
  /** Payloads of the `message` events received on the namespace, in order. */
  readonly texts: string[] = [];
  /** Packets that are not the namespace's `message` events with one string, nor the protocol's own (open, connect, ping, noop). */
  readonly unexpected: string[] = [];
  eio: EioOpen | null = null;
  /** Date.now() when the open packet arrived. */
  openedAt = 0;
  /** The namespace's Socket.IO sid once connected. */
  sid: string | null = null;
  /** Why the namespace refused the connect (CONNECT_ERROR's message), or what broke the handshake. */
  connectError: string | null = null;
  /** Date.now() of each Engine.IO ping received (each answered with a pong). */
  readonly pings: number[] = [];
  /** The server disconnected the namespace (41) or closed Engine.IO (1). */
  disconnected: string | null = null;
  private readonly prefix: string;
  /** Where an event's JSON array starts: after "42/ns,". */
  private readonly dataStart: number;

  private constructor(ws: WsClient, namespace: string) {
    this.ws = ws;
    this.namespace = namespace;
    this.prefix = eventPrefix(namespace);
    this.dataStart = 2 + namespacePart(namespace).length;
    // What arrived with the 101, before this client listened.
    for (const t of ws.texts.splice(0)) this.onPacket(t);
    ws.onText = (t) => this.onPacket(t);
  }

  /** Upgrades, reads the Engine.IO handshake and connects to the namespace; rejects with the step that failed. */
  static async connect(url: string, options: SioClientOptions): Promise<SioClient> {
    const protocol = normalizeSocketIo(options.protocol);
    const timeoutMs = options.timeoutMs ?? 5000;
    const deadline = Date.now() + timeoutMs;
    const { hostHeader } = parseWsUrl(url);
    const ws = await WsClient.connect(`ws://${hostHeader}${socketIoRequestPath(protocol.path)}`, options);
    const c = new SioClient(ws, protocol.namespace);
    const settled = () => c.sid !== null || c.connectError !== null || c.disconnected !== null || !ws.open;
    await ws.until(settled, Math.max(1, deadline - Date.now()));
    if (c.sid !== null) return c;
    ws.destroy();
    if (c.connectError !== null) throw new Error(c.connectError);
    if (c.disconnected !== null) throw new Error(`${c.disconnected} during the connect`);
    if (ws.protocolError) throw new Error(`WebSocket protocol error: ${ws.protocolError}`);
    if (ws.closeFrame) throw new Error(`closed by the server during the connect (${ws.closeFrame.code}${ws.closeFrame.reason ? ` ${ws.closeFrame.reason}` : ''})`);
    if (!c.eio) throw new Error(`upgraded, but no Engine.IO open packet within ${timeoutMs} ms`);
    throw new Error(`no answer to the connect to namespace ${protocol.namespace} within ${timeoutMs} ms`);
  }

  get open(): boolean {
    return this.ws.open && this.sid !== null && this.disconnected === null;
  }

  get protocolError(): string | null {
    return this.ws.protocolError;
  }

  get closeFrame(): { code: number; reason: string } | null {
    return this.ws.closeFrame;
  }

  get ended(): Promise<void> {
    return this.ws.ended;
  }

  /** Emits a `message` event carrying `text`. */
  sendText(text: string): void {
    this.ws.sendText(encodeEvent(this.namespace, [LOAD_EVENT, text]));
  }

  /** An Engine.IO packet as it is, e.g. "42/echo,[\"other\"]". */
  sendPacket(text: string): void {
    this.ws.sendText(text);
  }

  until(predicate: () => boolean, timeoutMs: number): Promise<boolean> {
    return this.ws.until(predicate, timeoutMs);
  }

  /** Leaves the namespace (41), then starts the WebSocket close handshake, as Socket.IO's client does. */
  close(code?: number, reason?: string): void {
    if (this.ws.open) this.ws.sendText(disconnectPacket(this.namespace));
    this.ws.close(code, reason);
  }

  destroy(): void {
    this.ws.destroy();
  }

  private onPacket(text: string): void {
    const t = text[0];
    if (t === '4') {
      // The load path's shape first: 42/ns,["message","…"].
      if (text.startsWith(this.prefix) && text.endsWith(EVENT_SUFFIX)) {
        const args = tryJson(text.slice(this.dataStart));
        if (Array.isArray(args) && args.length === 2 && args[0] === LOAD_EVENT && typeof args[1] === 'string') {
          this.texts.push(args[1]);
          return;
        }
      }
      const p = decodeSioPacket(text.slice(1));
      if (!p || p.nsp !== this.namespace) return void this.unexpected.push(text);
      if (p.type === SIO_CONNECT && this.sid === null) {
        const sid = (p.data as { sid?: unknown } | undefined)?.sid;
        if (typeof sid === 'string') this.sid = sid;
        else this.connectError = `namespace ${this.namespace} connected without a sid: ${preview(text)}`;
      } else if (p.type === SIO_CONNECT_ERROR && this.sid === null) {
        const message = (p.data as { message?: unknown } | undefined)?.message;
        this.connectError = `namespace ${this.namespace} refused the connect: ${typeof message === 'string' ? message : preview(text)}`;
      } else if (p.type === SIO_DISCONNECT) {
        this.disconnected = `namespace ${this.namespace} disconnected by the server`;
      } else {
        this.unexpected.push(text);
      }
    } else if (t === '2' && text.length === 1) {
      this.pings.push(Date.now());
      if (!this.ws.closeFrame) this.ws.sendText('3');
    } else if (t === '0' && this.eio === null) {
      const open = parseOpenPacket(text);
      if (typeof open === 'string') {
        this.connectError = open;
        return;
      }
      this.eio = open;
      this.openedAt = Date.now();
      this.ws.sendText(connectPacket(this.namespace));
    } else if (t === '1' && text.length === 1) {
      this.disconnected = 'Engine.IO connection closed by the server (close packet)';
    } else if (t === '6' && text.length === 1) {
      // noop
    } else {
      this.unexpected.push(text);
    }
  }
}

function tryJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}
