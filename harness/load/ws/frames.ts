// RFC 6455 framing for the harness's WebSocket load generator: encoding (client frames masked, as
// the RFC requires of clients) and an incremental parser that takes any chunking of the stream,
// reassembles fragmented messages, lets control frames interleave with fragments, and reports
// protocol errors with the close code the RFC gives them. Pure: no sockets, no timers.
import { randomFillSync } from 'node:crypto';

export const OP_CONTINUATION = 0x0;
export const OP_TEXT = 0x1;
export const OP_BINARY = 0x2;
export const OP_CLOSE = 0x8;
export const OP_PING = 0x9;
export const OP_PONG = 0xa;

/** Close codes used here (RFC 6455 section 7.4.1). */
export const CLOSE_NORMAL = 1000;
export const CLOSE_PROTOCOL_ERROR = 1002;
export const CLOSE_INVALID_DATA = 1007;
export const CLOSE_TOO_BIG = 1009;

/** Messages above this are refused (1009) unless the parser is given another limit. */
export const DEFAULT_MAX_MESSAGE_BYTES = 16 * 1024 * 1024;

// Masking keys come from a pool of random bytes refilled in blocks: one randomFillSync per 1,024
// frames instead of one per frame (the RFC asks for unpredictable keys; a proxy cache cannot guess these).
const KEY_POOL = Buffer.allocUnsafe(4096);
let keyAt = KEY_POOL.length;

/** A fresh 4-byte masking key, as a 32-bit integer (big-endian order of the key bytes). */
export function nextMaskKey(): number {
  if (keyAt >= KEY_POOL.length) {
    randomFillSync(KEY_POOL);
    keyAt = 0;
  }
  const key = KEY_POOL.readUInt32BE(keyAt);
  keyAt += 4;
  return key;
}

/** XORs bytes [start, end) of `buf` with the 4-byte key (big-endian int), the key's byte 0 on `start`. */
export function maskInPlace(buf: Uint8Array, start: number, end: number, key: number): void {
  const k0 = (key >>> 24) & 0xff;
  const k1 = (key >>> 16) & 0xff;
  const k2 = (key >>> 8) & 0xff;
  const k3 = key & 0xff;
  let i = start;
  // Four bytes per turn: small messages dominate, so no word-aligned trickery.
  for (const last = end - 3; i < last; i += 4) {
    buf[i] = buf[i]! ^ k0;
    buf[i + 1] = buf[i + 1]! ^ k1;
    buf[i + 2] = buf[i + 2]! ^ k2;
    buf[i + 3] = buf[i + 3]! ^ k3;
  }
  for (let j = 0; i < end; i++, j++) buf[i] = buf[i]! ^ (j === 0 ? k0 : j === 1 ? k1 : k2);
}

/** Bytes of a frame header for a payload of `length`: 2, 4 or 10, plus 4 when masked. */
export function headerLength(length: number, masked: boolean): number {
  return (length < 126 ? 2 : length < 65536 ? 4 : 10) + (masked ? 4 : 0);
}

/** Writes a frame header at `at`; returns where the payload starts (after the key, when masked). */
function writeHeader(buf: Buffer, at: number, opcode: number, fin: boolean, length: number, key: number | null): number {
  buf[at] = (fin ? 0x80 : 0) | opcode;
  const maskBit = key === null ? 0 : 0x80;
  if (length < 126) {
    buf[at + 1] = maskBit | length;
    at += 2;
  } else if (length < 65536) {
    buf[at + 1] = maskBit | 126;
    buf.writeUInt16BE(length, at + 2);
    at += 4;
  } else {
    buf[at + 1] = maskBit | 127;
    // 53 bits suffice for any buffer; the top word stays below 2^21.
    buf.writeUInt32BE(Math.floor(length / 0x1_0000_0000), at + 2);
    buf.writeUInt32BE(length >>> 0, at + 6);
    at += 10;
  }
  if (key !== null) {
    buf.writeUInt32BE(key >>> 0, at);
    at += 4;
  }
  return at;
}

export interface EncodeOptions {
  /** Last frame of its message (default true); false starts or continues a fragmented message. */
  fin?: boolean;
  /** true (default): masked with a fresh key, as a client must; a number: that key; false: unmasked, as a server sends. */
  mask?: boolean | number;
}

/** One frame carrying `payload` (copied; masked in the copy). */
export function encodeFrame(opcode: number, payload: Uint8Array, options: EncodeOptions = {}): Buffer {
  const key = options.mask === false ? null : typeof options.mask === 'number' ? options.mask : nextMaskKey();
  const out = Buffer.allocUnsafe(headerLength(payload.length, key !== null) + payload.length);
  const at = writeHeader(out, 0, opcode, options.fin ?? true, payload.length, key);
  out.set(payload, at);
  if (key !== null) maskInPlace(out, at, out.length, key);
  return out;
}

/** A masked text frame of an ASCII/latin1 string, built in one buffer (the load generator's hot path). */
export function encodeMaskedLatin1(text: string): Buffer {
  const length = text.length;
  const key = nextMaskKey();
  const out = Buffer.allocUnsafe(headerLength(length, true) + length);
  const at = writeHeader(out, 0, OP_TEXT, true, length, key);
  out.write(text, at, length, 'latin1');
  maskInPlace(out, at, out.length, key);
  return out;
}

/** A masked text frame of `prefix` + an ASCII/latin1 string + `suffix`, built in one buffer (the
 * Socket.IO load path: `42/echo,["message","` + message + `"]`, without joining strings). */
export function encodeMaskedLatin1Wrapped(prefix: Uint8Array, text: string, suffix: Uint8Array): Buffer {
  const length = prefix.length + text.length + suffix.length;
  const key = nextMaskKey();
  const out = Buffer.allocUnsafe(headerLength(length, true) + length);
  const start = writeHeader(out, 0, OP_TEXT, true, length, key);
  out.set(prefix, start);
  const at = start + prefix.length;
  out.write(text, at, text.length, 'latin1');
  out.set(suffix, at + text.length);
  maskInPlace(out, start, out.length, key);
  return out;
}

/** A masked text frame of a UTF-8 string. */
export function encodeText(text: string, options: EncodeOptions = {}): Buffer {
  return encodeFrame(OP_TEXT, Buffer.from(text, 'utf8'), options);
}

/** A close frame's payload: the code and an optional UTF-8 reason (at most 123 bytes). */
export function closePayload(code: number, reason = ''): Buffer {
  const text = Buffer.from(reason, 'utf8').subarray(0, 123);
  const out = Buffer.allocUnsafe(2 + text.length);
  out.writeUInt16BE(code, 0);
  out.set(text, 2);
  return out;
}

/** Code and reason of a received close frame; 1005 (no status) for an empty one, null when malformed. */
export function parseClosePayload(payload: Uint8Array): { code: number; reason: string } | null {
  if (payload.length === 0) return { code: 1005, reason: '' };
  if (payload.length === 1) return null;
  const code = (payload[0]! << 8) | payload[1]!;
  // Codes a peer may send: 1000-1003, 1007-1011 (and 1012-1014 in use), 3000-4999.
  const valid = (code >= 1000 && code <= 1003) || (code >= 1007 && code <= 1014) || (code >= 3000 && code <= 4999);
  if (!valid) return null;
  const reason = decodeUtf8Strict(payload.subarray(2));
  return reason === null ? null : { code, reason };
}

const STRICT_UTF8 = new TextDecoder('utf-8', { fatal: true });

/** The text, or null when the bytes are not valid UTF-8. */
export function decodeUtf8Strict(bytes: Uint8Array): string | null {
  try {
    return STRICT_UTF8.decode(bytes);
  } catch {
    return null;
  }
}

export interface FrameHandler {
  /** A complete message (fragments joined). `data[start, end)` is valid only during the call: copy what is kept. */
  onMessage(opcode: number, data: Buffer, start: number, end: number): void;
  /** A ping, pong or close frame; its payload (at most 125 bytes) is a copy. */
  onControl(opcode: number, payload: Buffer): void;
  /** A protocol error: the connection must be failed with `closeCode`. Nothing more is parsed until reset(). */
  onProtocolError(reason: string, closeCode: number): void;
}

export interface ParserOptions {
  /** 'client' (default) reads a server's frames, which must not be masked; 'server' reads a client's, which must be. */
  role?: 'client' | 'server';
  maxMessageBytes?: number;
  /** Check that text messages are valid UTF-8 (1007 otherwise). Off in the load path, where messages are ASCII and the check would cost. */
  validateUtf8?: boolean;
}

/**
 * Incremental frame parser. push() takes the bytes as they arrive, in any chunking; the fast path
 * hands a whole unfragmented frame to the handler as a view of the chunk, without copying.
 */
export class FrameParser {
  private readonly handler: FrameHandler;
  private readonly expectMasked: boolean;
  private readonly maxMessageBytes: number;
  private readonly validateUtf8: boolean;
  /** Bytes of a frame that did not arrive whole (header, or header and part of the payload). */
  private partial: Buffer | null = null;
  private partialLength = 0;
  /** Opcode of the fragmented message under way (0: none), and its fragments so far. */
  private fragOpcode = 0;
  private fragments: Buffer[] = [];
  private fragBytes = 0;
  private failed = false;

  constructor(handler: FrameHandler, options: ParserOptions = {}) {
    this.handler = handler;
    this.expectMasked = options.role === 'server';
    this.maxMessageBytes = options.maxMessageBytes ?? DEFAULT_MAX_MESSAGE_BYTES;
    this.validateUtf8 = options.validateUtf8 ?? false;
  }

  reset(): void {
    this.partial = null;
    this.partialLength = 0;
    this.fragOpcode = 0;
    this.fragments = [];
    this.fragBytes = 0;
    this.failed = false;
  }

  /** True once a protocol error was reported. */
  get hasFailed(): boolean {
    return this.failed;
  }

  push(chunk: Buffer, length: number = chunk.length): void {
    if (this.failed) return;
    let buf = chunk;
    let end = length;
    const joined = this.partial !== null;
    if (this.partial !== null) {
      // Join the kept bytes with the new ones (a frame split across reads; rare for small messages).
      const need = this.partialLength + length;
      if (this.partial.length < need) {
        const grown = Buffer.allocUnsafe(Math.max(need, this.partial.length * 2));
        this.partial.copy(grown, 0, 0, this.partialLength);
        this.partial = grown;
      }
      chunk.copy(this.partial, this.partialLength, 0, length);
      buf = this.partial;
      end = need;
      this.partial = null;
      this.partialLength = 0;
    }
    let at = 0;
    while (at < end && !this.failed) {
      const used = this.frame(buf, at, end);
      if (used === 0) break;
      at += used;
    }
    if (at < end && !this.failed) {
      const rest = end - at;
      if (joined) {
        // Already our own buffer: keep it, so that a long frame arriving in many reads is not copied again at each.
        if (at > 0) buf.copyWithin(0, at, end);
        this.partial = buf;
      } else {
        // Copy the incomplete frame out of `chunk`, which the caller may reuse.
        this.partial = Buffer.allocUnsafe(Math.max(rest * 2, 256));
        buf.copy(this.partial, 0, at, end);
      }
      this.partialLength = rest;
    }
  }

  /** Parses one frame at `at`; returns its length in bytes, or 0 when it is not complete yet. */
  private frame(buf: Buffer, at: number, end: number): number {
    if (end - at < 2) return 0;
    const b0 = buf[at]!;
    const b1 = buf[at + 1]!;
    const fin = (b0 & 0x80) !== 0;
    const opcode = b0 & 0x0f;
    const masked = (b1 & 0x80) !== 0;
    let length = b1 & 0x7f;
    let p = at + 2;
    if ((b0 & 0x70) !== 0) return this.fail('reserved bits set without a negotiated extension', CLOSE_PROTOCOL_ERROR);
    if (masked !== this.expectMasked) return this.fail(this.expectMasked ? 'client frame not masked' : 'server frame masked', CLOSE_PROTOCOL_ERROR);
    const control = opcode >= 0x8;
    if (control) {
      if (opcode !== OP_CLOSE && opcode !== OP_PING && opcode !== OP_PONG) return this.fail(`unknown control opcode ${opcode}`, CLOSE_PROTOCOL_ERROR);
      if (!fin) return this.fail('fragmented control frame', CLOSE_PROTOCOL_ERROR);
      if (length > 125) return this.fail('control frame longer than 125 bytes', CLOSE_PROTOCOL_ERROR);
    } else if (opcode > OP_BINARY) {
      return this.fail(`unknown data opcode ${opcode}`, CLOSE_PROTOCOL_ERROR);
    }
    if (length === 126) {
      if (end - p < 2) return 0;
      length = buf.readUInt16BE(p);
      p += 2;
      if (length < 126) return this.fail('length not in its shortest form', CLOSE_PROTOCOL_ERROR);
    } else if (length === 127) {
      if (end - p < 8) return 0;
      const high = buf.readUInt32BE(p);
      if (high & 0x80000000) return this.fail('64-bit length with its top bit set', CLOSE_PROTOCOL_ERROR);
      if (high > 0x1fffff) return this.fail('frame longer than 2^53 bytes', CLOSE_TOO_BIG);
      length = high * 0x1_0000_0000 + buf.readUInt32BE(p + 4);
      p += 8;
      if (length < 65536) return this.fail('length not in its shortest form', CLOSE_PROTOCOL_ERROR);
    }
    if (!control && this.fragBytes + length > this.maxMessageBytes) return this.fail(`message longer than ${this.maxMessageBytes} bytes`, CLOSE_TOO_BIG);
    let key = 0;
    if (masked) {
      if (end - p < 4) return 0;
      key = buf.readUInt32BE(p);
      p += 4;
    }
    if (end - p < length) return 0;
    const stop = p + length;
    if (masked) maskInPlace(buf, p, stop, key);

    if (control) {
      this.handler.onControl(opcode, Buffer.from(buf.subarray(p, stop)));
      return stop - at;
    }
    if (opcode === OP_CONTINUATION) {
      if (this.fragOpcode === 0) return this.fail('continuation frame without a message to continue', CLOSE_PROTOCOL_ERROR);
      this.fragments.push(Buffer.from(buf.subarray(p, stop)));
      this.fragBytes += length;
      if (fin) {
        const whole = Buffer.concat(this.fragments, this.fragBytes);
        const op = this.fragOpcode;
        this.fragOpcode = 0;
        this.fragments = [];
        this.fragBytes = 0;
        this.deliver(op, whole, 0, whole.length);
      }
      return stop - at;
    }
    if (this.fragOpcode !== 0) return this.fail('new data frame inside a fragmented message', CLOSE_PROTOCOL_ERROR);
    if (!fin) {
      this.fragOpcode = opcode;
      this.fragments = [Buffer.from(buf.subarray(p, stop))];
      this.fragBytes = length;
      return stop - at;
    }
    this.deliver(opcode, buf, p, stop);
    return stop - at;
  }

  private deliver(opcode: number, data: Buffer, start: number, end: number): void {
    if (this.validateUtf8 && opcode === OP_TEXT && decodeUtf8Strict(data.subarray(start, end)) === null) {
      this.fail('text message is not valid UTF-8', CLOSE_INVALID_DATA);
      return;
    }
    this.handler.onMessage(opcode, data, start, end);
  }

  private fail(reason: string, code: number): number {
    this.failed = true;
    this.partial = null;
    this.partialLength = 0;
    this.handler.onProtocolError(reason, code);
    return 0;
  }
}
