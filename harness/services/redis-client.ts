// A minimal Redis client (RESP2 over one TCP connection) for the harness's own use (readiness,
// version) and the tests: PING, INFO, CONFIG GET, SET/GET and pub/sub need nothing more, so the
// harness takes no npm dependency for it. Replies come back in order; pushed pub/sub messages are
// read with next().
import net from 'node:net';
import type { ServiceEndpoint } from '../types.ts';

export type RespValue = string | number | null | RespValue[] | RespError;

/** An error reply (`-ERR ...`), returned as a value: only the caller knows whether it is expected. */
export class RespError extends Error {
  override name = 'RespError';
}

/** A command as a RESP array of bulk strings. */
export function encodeCommand(args: string[]): Buffer {
  const parts = [`*${args.length}\r\n`];
  for (const a of args) parts.push(`$${Buffer.byteLength(a)}\r\n${a}\r\n`);
  return Buffer.from(parts.join(''));
}

/** Parses one reply at `pos`: [value, next position], or null when `buf` does not hold all of it yet. */
export function parseReply(buf: Buffer, pos = 0): [RespValue, number] | null {
  const eol = buf.indexOf('\r\n', pos);
  if (eol < 0) return null;
  const type = String.fromCharCode(buf[pos]!);
  const line = buf.toString('utf8', pos + 1, eol);
  const after = eol + 2;
  switch (type) {
    case '+':
      return [line, after];
    case '-':
      return [new RespError(line), after];
    case ':':
      return [Number(line), after];
    case '$': {
      const n = Number(line);
      if (n < 0) return [null, after];
      if (buf.length < after + n + 2) return null;
      return [buf.toString('utf8', after, after + n), after + n + 2];
    }
    case '*': {
      const n = Number(line);
      if (n < 0) return [null, after];
      const items: RespValue[] = [];
      let at = after;
      for (let i = 0; i < n; i++) {
        const item = parseReply(buf, at);
        if (!item) return null;
        items.push(item[0]);
        at = item[1];
      }
      return [items, at];
    }
    default:
      throw new Error(`not a RESP2 reply: ${JSON.stringify(buf.toString('utf8', pos, Math.min(eol, pos + 80)))}`);
  }
}

export class RedisConnection {
  private buffer: Buffer = Buffer.alloc(0);
  private readonly replies: RespValue[] = [];
  private readonly waiters: { resolve: (v: RespValue) => void; reject: (e: Error) => void }[] = [];
  private failure: Error | null = null;

  private constructor(private readonly socket: net.Socket) {
    socket.on('data', (chunk) => this.receive(chunk));
    socket.on('error', (error) => this.fail(error));
    socket.on('close', () => this.fail(new Error('connection closed by the server')));
  }

  /** Connects, or rejects after `timeoutMs` (a server that accepts but never answers counts as down). */
  static open(endpoint: ServiceEndpoint, timeoutMs = 2000): Promise<RedisConnection> {
    return new Promise((resolve, reject) => {
      const socket = net.connect({ host: endpoint.host, port: endpoint.port });
      const timer = setTimeout(() => {
        socket.destroy();
        reject(new Error(`no connection to ${endpoint.host}:${endpoint.port} within ${timeoutMs} ms`));
      }, timeoutMs);
      socket.once('error', (error) => {
        clearTimeout(timer);
        reject(error);
      });
      socket.once('connect', () => {
        clearTimeout(timer);
        socket.setNoDelay(true);
        resolve(new RedisConnection(socket));
      });
    });
  }

  private receive(chunk: Buffer): void {
    this.buffer = this.buffer.length ? Buffer.concat([this.buffer, chunk]) : chunk;
    let pos = 0;
    try {
      for (let r = parseReply(this.buffer, pos); r; r = parseReply(this.buffer, pos)) {
        pos = r[1];
        const waiter = this.waiters.shift();
        if (waiter) waiter.resolve(r[0]);
        else this.replies.push(r[0]);
      }
    } catch (error) {
      this.fail(error as Error);
      this.socket.destroy();
    }
    this.buffer = this.buffer.subarray(pos);
  }

  private fail(error: Error): void {
    this.failure ??= error;
    for (const w of this.waiters.splice(0)) w.reject(this.failure);
  }

  /** The next reply or pushed message, rejecting after `timeoutMs`. */
  next(timeoutMs = 5000): Promise<RespValue> {
    if (this.replies.length) return Promise.resolve(this.replies.shift()!);
    if (this.failure) return Promise.reject(this.failure);
    return new Promise((resolve, reject) => {
      const waiter = {
        resolve: (v: RespValue) => {
          clearTimeout(timer);
          resolve(v);
        },
        reject: (e: Error) => {
          clearTimeout(timer);
          reject(e);
        },
      };
      const timer = setTimeout(() => {
        const i = this.waiters.indexOf(waiter);
        if (i >= 0) this.waiters.splice(i, 1);
        reject(new Error(`no reply from Redis within ${timeoutMs} ms`));
      }, timeoutMs);
      this.waiters.push(waiter);
    });
  }

  /** Sends one command and returns its reply (an error reply is returned, not thrown). */
  command(args: string[], timeoutMs = 5000): Promise<RespValue> {
    if (this.failure) return Promise.reject(this.failure);
    this.socket.write(encodeCommand(args));
    return this.next(timeoutMs);
  }

  close(): void {
    this.failure ??= new Error('connection closed');
    this.socket.destroy();
  }
}

/** One command on a connection of its own. */
export async function redisCommand(endpoint: ServiceEndpoint, args: string[], timeoutMs = 2000): Promise<RespValue> {
  const conn = await RedisConnection.open(endpoint, timeoutMs);
  try {
    return await conn.command(args, timeoutMs);
  } finally {
    conn.close();
  }
}

/** `INFO <section>` as {field: value}. */
export function parseInfo(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const line of text.split('\r\n')) {
    const i = line.indexOf(':');
    if (i > 0 && !line.startsWith('#')) out[line.slice(0, i)] = line.slice(i + 1);
  }
  return out;
}
