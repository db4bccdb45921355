// The reference WebSocket echo server's own process (started and stopped by reference-echo.ts): a
// minimal RFC 6455 echo on plain node:net, so that what limits a loader against it is the loader.
// It speaks the contract's /ws/echo: the handshake with Sec-WebSocket-Accept, client frames
// unmasked (fragmented messages joined, control frames between fragments answered), each message
// echoed whole, unmasked, with its own opcode, pings answered with pongs, and the close handshake.
// Frames come apart with the loader's own parser (frames.ts, in its server role). Text is echoed
// byte for byte without a UTF-8 check, which would only cost.
//
//   <runtime> harness/load/ws/reference-echo-server.ts
//
// Listens on 127.0.0.1, on a port the kernel picks, and prints "listening <port>" on stdout. It
// exits when its stdin ends (the harness is gone) and on SIGTERM, so it never outlives the harness.
import net from 'node:net';
import { CLOSE_PROTOCOL_ERROR, closePayload, encodeFrame, FrameParser, OP_CLOSE, OP_PING, OP_PONG, parseClosePayload, type FrameHandler } from './frames.ts';
import { acceptFor, MAX_RESPONSE_HEAD_BYTES } from './handshake.ts';

const HOST = '127.0.0.1';
const PATH = '/ws/echo';
/** A client that does not finish its upgrade request within this is dropped. */
const HEAD_TIMEOUT_MS = 10_000;
/** After our close frame (or a protocol error), the peer gets this long to close its side. */
const LINGER_MS = 2000;

const unmasked = { mask: false } as const;

/** The upgrade response for a request head, or an HTTP error response. */
function answerUpgrade(head: string): { ok: true; response: string } | { ok: false; response: string } {
  const refuse = (status: string, extra = '') => ({ ok: false as const, response: `HTTP/1.1 ${status}\r\n${extra}Content-Length: 0\r\nConnection: close\r\n\r\n` });
  const lines = head.split('\r\n');
  const request = /^(\S+) (\S+) HTTP\/1\.1$/.exec(lines[0] ?? '');
  if (!request) return refuse('400 Bad Request');
  if (request[1] !== 'GET') return refuse('405 Method Not Allowed', 'Allow: GET\r\n');
  if (request[2]!.split('?')[0] !== PATH) return refuse('404 Not Found');
  const headers = new Map<string, string>();
  for (const line of lines.slice(1)) {
    const colon = line.indexOf(':');
    if (colon <= 0) return refuse('400 Bad Request');
    const name = line.slice(0, colon).trim().toLowerCase();
    const value = line.slice(colon + 1).trim();
    headers.set(name, headers.has(name) ? `${headers.get(name)}, ${value}` : value);
  }
  const tokens = (name: string) => (headers.get(name) ?? '').toLowerCase().split(/\s*,\s*/);
  if (!tokens('upgrade').includes('websocket') || !tokens('connection').includes('upgrade')) return refuse('426 Upgrade Required', 'Upgrade: websocket\r\n');
  if (headers.get('sec-websocket-version') !== '13') return refuse('426 Upgrade Required', 'Sec-WebSocket-Version: 13\r\n');
  const key = headers.get('sec-websocket-key') ?? '';
  if (Buffer.from(key, 'base64').length !== 16) return refuse('400 Bad Request');
  return { ok: true, response: `HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: ${acceptFor(key)}\r\n\r\n` };
}

class Connection implements FrameHandler {
  private readonly socket: net.Socket;
  private head: Buffer | null = Buffer.alloc(0);
  private parser: FrameParser | null = null;
  /** Our close frame is sent: nothing more is written, and data frames are ignored. */
  private closing = false;
  private readonly headTimer: NodeJS.Timeout;

  constructor(socket: net.Socket) {
    this.socket = socket;
    socket.setNoDelay(true);
    socket.on('data', (chunk: Buffer) => this.onData(chunk));
    socket.on('error', () => socket.destroy());
    this.headTimer = setTimeout(() => socket.destroy(), HEAD_TIMEOUT_MS);
    this.headTimer.unref();
  }

  private onData(chunk: Buffer): void {
    if (this.parser) {
      // One write (writev) for every echo of this read.
      this.socket.cork();
      this.parser.push(chunk);
      this.socket.uncork();
      return;
    }
    if (!this.head) return;
    const bytes = Buffer.concat([this.head, chunk]);
    const end = bytes.indexOf('\r\n\r\n', 0, 'latin1');
    if (end < 0) {
      if (bytes.length > MAX_RESPONSE_HEAD_BYTES) this.refuse('431 Request Header Fields Too Large');
      else this.head = bytes;
      return;
    }
    this.head = null;
    clearTimeout(this.headTimer);
    const answer = answerUpgrade(bytes.toString('latin1', 0, end));
    if (!answer.ok) {
      this.socket.end(answer.response);
      return;
    }
    this.socket.write(answer.response);
    this.parser = new FrameParser(this, { role: 'server' });
    if (end + 4 < bytes.length) this.onData(bytes.subarray(end + 4));
  }

  private refuse(status: string): void {
    this.head = null;
    this.socket.end(`HTTP/1.1 ${status}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n`);
  }

  onMessage(opcode: number, data: Buffer, start: number, end: number): void {
    if (!this.closing) this.socket.write(encodeFrame(opcode, data.subarray(start, end), unmasked));
  }

  onControl(opcode: number, payload: Buffer): void {
    // After our close frame (and FIN) nothing is answered.
    if (this.closing) return;
    if (opcode === OP_PING) this.socket.write(encodeFrame(OP_PONG, payload, unmasked));
    else if (opcode === OP_CLOSE) {
      // Answer with the peer's code (none for none), then close TCP.
      const parsed = parseClosePayload(payload);
      const code = parsed === null ? CLOSE_PROTOCOL_ERROR : parsed.code;
      this.closeWith(code === 1005 ? Buffer.alloc(0) : closePayload(code));
    }
  }

  onProtocolError(_reason: string, closeCode: number): void {
    if (!this.closing) this.closeWith(closePayload(closeCode));
  }

  /** Our close frame, then our FIN; a peer that never closes its side is cut off after LINGER_MS. */
  private closeWith(payload: Buffer): void {
    this.closing = true;
    this.socket.end(encodeFrame(OP_CLOSE, payload, unmasked));
    setTimeout(() => this.socket.destroy(), LINGER_MS).unref();
  }
}

function main(): void {
  const server = net.createServer((socket) => new Connection(socket));
  server.on('error', (error: NodeJS.ErrnoException) => {
    process.stderr.write(`reference echo: ${error.code ?? error.message}\n`);
    process.exit(1);
  });
  server.listen({ host: HOST, port: 0, backlog: 4096 }, () => {
    process.stdout.write(`listening ${(server.address() as net.AddressInfo).port}\n`);
  });
  // The harness is gone (or stops us): nobody will stop this server otherwise.
  process.stdin.on('data', () => {});
  process.stdin.on('end', () => process.exit(0));
  process.on('SIGTERM', () => process.exit(0));
}

main();
