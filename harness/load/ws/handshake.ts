// The opening handshake of RFC 6455 (section 4): the client's upgrade request, and the check of
// the server's 101 response, Sec-WebSocket-Accept included. Pure: bytes in, verdicts out.
import { createHash, randomBytes } from 'node:crypto';

const GUID = '258EAFA5-E914-47DA-95CA-C5AB0DC85B11';
/** A response head longer than this is refused (a server that never ends its head would grow the buffer without bound). */
export const MAX_RESPONSE_HEAD_BYTES = 16 * 1024;

/** A fresh Sec-WebSocket-Key: 16 random bytes, base64. */
export function newKey(): string {
  return randomBytes(16).toString('base64');
}

/** The Sec-WebSocket-Accept a server must answer to `key`. */
export function acceptFor(key: string): string {
  return createHash('sha1').update(key + GUID).digest('base64');
}

export interface UpgradeRequest {
  path: string;
  /** The Host header's value (host, or host:port). */
  host: string;
  key: string;
  /** The Origin header a browser would send; null leaves it out. Channels' origin validator refuses a missing Origin. */
  origin: string | null;
}

export function upgradeRequest(r: UpgradeRequest): Buffer {
  return Buffer.from(
    `GET ${r.path} HTTP/1.1\r\nHost: ${r.host}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n` +
      `Sec-WebSocket-Key: ${r.key}\r\nSec-WebSocket-Version: 13\r\n${r.origin === null ? '' : `Origin: ${r.origin}\r\n`}\r\n`,
    'latin1',
  );
}

export type HandshakeVerdict =
  /** The head is not complete yet. */
  | { done: false }
  /** Upgraded: the frames start at `bodyStart` of the bytes given. */
  | { done: true; ok: true; bodyStart: number }
  /** Refused or malformed: `kind` is short and stable, for counting (e.g. "HTTP 503", "bad Sec-WebSocket-Accept"). */
  | { done: true; ok: false; kind: string };

/** Checks a response head in `bytes` (everything received so far) against the key that was sent. */
export function checkResponse(bytes: Buffer, key: string): HandshakeVerdict {
  const endOfHead = bytes.indexOf('\r\n\r\n', 0, 'latin1');
  if (endOfHead < 0) return bytes.length > MAX_RESPONSE_HEAD_BYTES ? { done: true, ok: false, kind: 'response head too long' } : { done: false };
  const lines = bytes.toString('latin1', 0, endOfHead).split('\r\n');
  const status = /^HTTP\/1\.[01] (\d{3})/.exec(lines[0] ?? '');
  if (!status) return { done: true, ok: false, kind: 'malformed status line' };
  if (status[1] !== '101') return { done: true, ok: false, kind: `HTTP ${status[1]}` };
  const headers = new Map<string, string>();
  for (const line of lines.slice(1)) {
    const colon = line.indexOf(':');
    if (colon <= 0) return { done: true, ok: false, kind: 'malformed header line' };
    const name = line.slice(0, colon).trim().toLowerCase();
    const value = line.slice(colon + 1).trim();
    headers.set(name, headers.has(name) ? `${headers.get(name)}, ${value}` : value);
  }
  if ((headers.get('upgrade') ?? '').toLowerCase() !== 'websocket') return { done: true, ok: false, kind: 'missing Upgrade: websocket' };
  if (!(headers.get('connection') ?? '').toLowerCase().split(/\s*,\s*/).includes('upgrade')) return { done: true, ok: false, kind: 'missing Connection: Upgrade' };
  if (headers.get('sec-websocket-accept') !== acceptFor(key)) return { done: true, ok: false, kind: 'bad Sec-WebSocket-Accept' };
  // No extension or subprotocol was offered, so none may be chosen (section 4.1).
  if (headers.has('sec-websocket-extensions')) return { done: true, ok: false, kind: 'unrequested extension' };
  if (headers.has('sec-websocket-protocol')) return { done: true, ok: false, kind: 'unrequested subprotocol' };
  return { done: true, ok: true, bodyStart: endOfHead + 4 };
}
