// A small WebSocket client for the harness process itself (contract verification, tests): one
// connection over node:net, with the same framing and handshake as the load workers, keeping every
// message it receives. Strict where the workers are lenient for speed: text must be valid UTF-8.
import net from 'node:net';
import {
  CLOSE_NORMAL,
  closePayload,
  encodeFrame,
  FrameParser,
  OP_BINARY,
  OP_CLOSE,
  OP_PING,
  OP_PONG,
  OP_TEXT,
  parseClosePayload,
  type FrameHandler,
} from './frames.ts';
import { checkResponse, newKey, upgradeRequest } from './handshake.ts';
import { parseWsUrl } from './ws-url.ts';

export interface WsClientOptions {
  /** Connect plus upgrade (default 5,000 ms). */
  timeoutMs?: number;
  /** Default http://<host>; null sends none. */
  origin?: string | null;
  localAddress?: string;
}

export class WsClient implements FrameHandler {
  /** Text messages received, in order. */
  readonly texts: string[] = [];
  readonly binaries: Buffer[] = [];
  readonly pongs: Buffer[] = [];
  readonly pings: Buffer[] = [];
  /** The close the server sent (code 1005 when it had none), or a protocol error we failed the connection with. */
  closeFrame: { code: number; reason: string } | null = null;
  protocolError: string | null = null;
  /** When set, text messages go here instead of into `texts` (SioClient reads its packets so). */
  onText: ((text: string) => void) | null = null;
  /** Resolves when the TCP connection is gone. */
  readonly ended: Promise<void>;
  private readonly socket: net.Socket;
  private readonly parser = new FrameParser(this, { validateUtf8: true });
  private waiters: (() => void)[] = [];
  private closeSent = false;

  private constructor(socket: net.Socket, rest: Buffer) {
    this.socket = socket;
    this.ended = new Promise((resolve) => socket.once('close', () => resolve()));
    socket.on('data', (chunk: Buffer) => this.parser.push(chunk));
    socket.on('close', () => this.wake());
    if (rest.length) this.parser.push(rest);
  }

  /** Connects and completes the upgrade; rejects with what went wrong (refused, HTTP status, bad accept, timeout). */
  static connect(url: string, options: WsClientOptions = {}): Promise<WsClient> {
    const target = parseWsUrl(url);
    const key = newKey();
    return new Promise((resolve, reject) => {
      const socket = net.connect({ host: target.host, port: target.port, ...(options.localAddress && { localAddress: options.localAddress }) });
      socket.setNoDelay(true);
      let head = Buffer.alloc(0);
      const timer = setTimeout(() => fail(new Error(`no upgrade within ${options.timeoutMs ?? 5000} ms`)), options.timeoutMs ?? 5000);
      const fail = (error: Error) => {
        clearTimeout(timer);
        socket.destroy();
        reject(error);
      };
      const onData = (chunk: Buffer) => {
        head = Buffer.concat([head, chunk]);
        const verdict = checkResponse(head, key);
        if (!verdict.done) return;
        socket.off('data', onData);
        socket.off('error', fail);
        socket.off('close', onClose);
        clearTimeout(timer);
        if (!verdict.ok) return fail(new Error(`upgrade refused: ${verdict.kind}`));
        socket.on('error', () => {}); // the close that follows is what counts
        resolve(new WsClient(socket, head.subarray(verdict.bodyStart)));
      };
      const onClose = () => fail(new Error('connection closed during the handshake'));
      socket.on('data', onData);
      socket.on('error', fail);
      socket.on('close', onClose);
      socket.on('connect', () =>
        socket.write(upgradeRequest({ path: target.path, host: target.hostHeader, key, origin: options.origin === undefined ? `http://${target.hostHeader}` : options.origin })),
      );
    });
  }

  get open(): boolean {
    return !this.socket.destroyed && this.closeFrame === null && this.protocolError === null;
  }

  sendText(text: string): void {
    this.socket.write(encodeFrame(OP_TEXT, Buffer.from(text, 'utf8')));
  }

  /** Raw bytes, for tests that need frames the client would not make. */
  sendRaw(bytes: Buffer): void {
    this.socket.write(bytes);
  }

  ping(payload: Buffer | string = ''): void {
    this.socket.write(encodeFrame(OP_PING, typeof payload === 'string' ? Buffer.from(payload) : payload));
  }

  /** Starts the close handshake. */
  close(code = CLOSE_NORMAL, reason = ''): void {
    if (this.closeSent || this.socket.destroyed) return;
    this.closeSent = true;
    this.socket.write(encodeFrame(OP_CLOSE, closePayload(code, reason)));
  }

  destroy(): void {
    this.socket.destroy();
  }

  /** Resolves true once `predicate` holds, false after `timeoutMs` (or when the connection is gone and it does not hold). */
  async until(predicate: () => boolean, timeoutMs: number): Promise<boolean> {
    const deadline = Date.now() + timeoutMs;
    while (!predicate()) {
      const left = deadline - Date.now();
      if (left <= 0 || this.socket.destroyed) return predicate();
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, left);
        this.waiters.push(() => {
          clearTimeout(t);
          resolve();
        });
      });
    }
    return true;
  }

  private wake(): void {
    const waiters = this.waiters;
    this.waiters = [];
    for (const w of waiters) w();
  }

  onMessage(opcode: number, data: Buffer, start: number, end: number): void {
    if (opcode === OP_TEXT) {
      const text = data.toString('utf8', start, end);
      if (this.onText) this.onText(text);
      else this.texts.push(text);
    }
    else if (opcode === OP_BINARY) this.binaries.push(Buffer.from(data.subarray(start, end)));
    this.wake();
  }

  onControl(opcode: number, payload: Buffer): void {
    if (opcode === OP_PING) {
      this.pings.push(payload);
      if (!this.socket.destroyed) this.socket.write(encodeFrame(OP_PONG, payload));
    } else if (opcode === OP_PONG) {
      this.pongs.push(payload);
    } else {
      this.closeFrame = parseClosePayload(payload) ?? { code: -1, reason: 'malformed close frame' };
      if (!this.closeSent && !this.socket.destroyed) {
        this.closeSent = true;
        this.socket.write(encodeFrame(OP_CLOSE, closePayload(this.closeFrame.code > 0 && this.closeFrame.code !== 1005 ? this.closeFrame.code : CLOSE_NORMAL)));
      }
      this.socket.end();
    }
    this.wake();
  }

  onProtocolError(reason: string, closeCode: number): void {
    this.protocolError = reason;
    if (!this.socket.destroyed) this.socket.end(encodeFrame(OP_CLOSE, closePayload(closeCode)));
    this.wake();
  }
}
