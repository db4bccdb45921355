// An incremental HTTP/1.1 response parser for the harness's load generator: it is fed the Buffers
// one connection receives, in order, and reports every complete response (its status code and
// whether the connection ends after it). It never turns a packet into a string: line ends are found
// with Buffer.indexOf, header names are compared byte by byte (case-insensitively), and bodies are
// skipped by counting bytes. Nothing is allocated per response; a line that a packet boundary cuts
// is copied into one reusable carry buffer.
//
// What it understands: the status line (HTTP/1.0 and HTTP/1.1), header lines (Content-Length,
// Transfer-Encoding: chunked, Connection: close / keep-alive, case-insensitive, other headers
// skipped), bodies by Content-Length, chunked bodies (chunk extensions and trailers), bodies that
// run until the connection closes (neither length nor chunked: `finish()` ends them), responses
// without a body (1xx, 204, 304), and any number of responses in one packet (pipelining).
// Anything else is reported once through onError, after which the parser ignores its input until
// `reset()` (the connection must be dropped).

/** A complete response: its status code, and whether the connection ends after it (Connection: close, HTTP/1.0 without keep-alive, or a body that ran until the close). */
export type ResponseHandler = (status: number, close: boolean) => void;
export type ParseErrorHandler = (message: string) => void;

// Parser states (plain numbers rather than an enum: the file has only erasable TypeScript syntax,
// so that a runtime that strips types can run it as it is).
const STATUS_LINE = 0;
const HEADER = 1;
const BODY = 2;
const CHUNK_SIZE = 3;
const CHUNK_DATA = 4;
const CHUNK_DATA_CR = 5;
const CHUNK_DATA_LF = 6;
const TRAILER = 7;
const UNTIL_CLOSE = 8;
const DEAD = 9;

const CR = 13;
const LF = 10;
const SP = 32;
const HTAB = 9;
const COLON = 58;

/** Longest status line plus headers (or chunk-size line plus trailers) accepted. */
export const MAX_HEAD_BYTES = 64 * 1024;
/** Largest chunk or Content-Length accepted (larger is taken for garbage). */
const MAX_BODY_BYTES = 2 ** 40;

// Header names, lower case, as bytes.
const CONTENT_LENGTH = Buffer.from('content-length');
const TRANSFER_ENCODING = Buffer.from('transfer-encoding');
const CONNECTION = Buffer.from('connection');
const CHUNKED = Buffer.from('chunked');
const CLOSE = Buffer.from('close');
const KEEP_ALIVE = Buffer.from('keep-alive');

/** Case-insensitive comparison of buf[start, end) with a lower-case ASCII word. */
function equalsLower(buf: Buffer, start: number, end: number, word: Buffer): boolean {
  if (end - start !== word.length) return false;
  for (let i = 0; i < word.length; i++) {
    // | 0x20 folds A-Z onto a-z; the words compared with contain letters and '-' only ('-' | 0x20 is '-').
    if ((buf[start + i]! | 0x20) !== word[i]) return false;
  }
  return true;
}

/** Whether the comma-separated list buf[start, end) holds `word` (lower case) as one of its tokens, case-insensitively. */
function hasToken(buf: Buffer, start: number, end: number, word: Buffer): boolean {
  let i = start;
  while (i < end) {
    while (i < end && (buf[i] === SP || buf[i] === HTAB || buf[i] === 44)) i++;
    const tokenStart = i;
    while (i < end && buf[i] !== 44) i++;
    let tokenEnd = i;
    while (tokenEnd > tokenStart && (buf[tokenEnd - 1] === SP || buf[tokenEnd - 1] === HTAB)) tokenEnd--;
    if (equalsLower(buf, tokenStart, tokenEnd, word)) return true;
  }
  return false;
}

export class ResponseParser {
  private state: number = STATUS_LINE;
  /** A line cut by a packet boundary, copied here until its end arrives. */
  private carry = Buffer.allocUnsafe(256);
  private carryLength = 0;
  /** Bytes of the current head (status line and headers, or chunk-size line and trailers) so far. */
  private headBytes = 0;

  // The response being parsed.
  private status = 0;
  private http10 = false;
  private close = false;
  private keepAlive = false;
  private contentLength = -1;
  private chunked = false;
  /** Transfer-Encoding without chunked as its last coding: the body runs until the close. */
  private otherEncoding = false;
  /** Body or chunk bytes still to skip. */
  private remaining = 0;
  /** Changes on reset(), so that push() stops when a callback reset the parser. */
  private generation = 0;

  private readonly onResponse: ResponseHandler;
  private readonly onError: ParseErrorHandler;

  constructor(onResponse: ResponseHandler, onError: ParseErrorHandler) {
    this.onResponse = onResponse;
    this.onError = onError;
  }

  /** Forgets everything (a new connection). */
  reset(): void {
    this.generation++;
    this.state = STATUS_LINE;
    this.carryLength = 0;
    this.headBytes = 0;
    this.startResponse();
  }

  /** True between responses: no byte of an unfinished response has been seen. */
  get idle(): boolean {
    return this.state === STATUS_LINE && this.carryLength === 0;
  }

  /** True after a parse error or a response that ends the connection: input is ignored until reset(). */
  get dead(): boolean {
    return this.state === DEAD;
  }

  /**
   * The connection was closed by the peer. A body that runs until the close is complete now (and
   * reported); returns false when a response was cut short (the caller counts that as an error).
   */
  finish(): boolean {
    if (this.state === UNTIL_CLOSE) {
      this.state = DEAD;
      this.onResponse(this.status, true);
      return true;
    }
    return this.state === DEAD || this.idle;
  }

  /** Parses chunk[0, length): the bytes are not kept (a line cut at the end is copied), so the caller may reuse the buffer. */
  push(chunk: Buffer, length: number = chunk.length): void {
    const generation = this.generation;
    let pos = 0;
    while (pos < length) {
      switch (this.state) {
        case STATUS_LINE:
        case HEADER:
        case CHUNK_SIZE:
        case TRAILER: {
          // indexOf may look past `length` into stale bytes of a reused buffer: a line end found there is no line end.
          const lf = chunk.indexOf(LF, pos);
          if (lf < 0 || lf >= length) {
            this.appendCarry(chunk, pos, length);
            return;
          }
          if (this.carryLength > 0) {
            if (!this.appendCarry(chunk, pos, lf)) return;
            const end = this.carryLength > 0 && this.carry[this.carryLength - 1] === CR ? this.carryLength - 1 : this.carryLength;
            this.carryLength = 0;
            this.line(this.carry, 0, end);
          } else {
            this.headBytes += lf - pos;
            if (this.headBytes > MAX_HEAD_BYTES) {
              this.fail(`response head longer than ${MAX_HEAD_BYTES} bytes`);
              return;
            }
            this.line(chunk, pos, lf > pos && chunk[lf - 1] === CR ? lf - 1 : lf);
          }
          pos = lf + 1;
          if (this.generation !== generation) return;
          break;
        }
        case BODY: {
          const n = Math.min(this.remaining, length - pos);
          this.remaining -= n;
          pos += n;
          if (this.remaining === 0) this.complete();
          if (this.generation !== generation) return;
          break;
        }
        case CHUNK_DATA: {
          const n = Math.min(this.remaining, length - pos);
          this.remaining -= n;
          pos += n;
          if (this.remaining === 0) this.state = CHUNK_DATA_CR;
          break;
        }
        case CHUNK_DATA_CR: {
          const byte = chunk[pos++];
          if (byte === CR) this.state = CHUNK_DATA_LF;
          else if (byte === LF) this.state = CHUNK_SIZE;
          else {
            this.fail('chunk data not followed by CRLF');
            return;
          }
          break;
        }
        case CHUNK_DATA_LF: {
          if (chunk[pos++] !== LF) {
            this.fail('chunk data not followed by CRLF');
            return;
          }
          this.state = CHUNK_SIZE;
          break;
        }
        case UNTIL_CLOSE:
          return;
        case DEAD:
          return;
      }
    }
  }

  private startResponse(): void {
    this.status = 0;
    this.http10 = false;
    this.close = false;
    this.keepAlive = false;
    this.contentLength = -1;
    this.chunked = false;
    this.otherEncoding = false;
    this.remaining = 0;
  }

  /** False when the head grew too long (reported). */
  private appendCarry(chunk: Buffer, start: number, end: number): boolean {
    const n = end - start;
    this.headBytes += n;
    if (this.headBytes > MAX_HEAD_BYTES) {
      this.fail(`response head longer than ${MAX_HEAD_BYTES} bytes`);
      return false;
    }
    if (this.carryLength + n > this.carry.length) {
      const bigger = Buffer.allocUnsafe(Math.max(this.carry.length * 2, this.carryLength + n));
      this.carry.copy(bigger, 0, 0, this.carryLength);
      this.carry = bigger;
    }
    chunk.copy(this.carry, this.carryLength, start, end);
    this.carryLength += n;
    return true;
  }

  private fail(message: string): void {
    this.state = DEAD;
    this.carryLength = 0;
    this.onError(message);
  }

  /** One line of buf[start, end), without its CRLF. */
  private line(buf: Buffer, start: number, end: number): void {
    switch (this.state) {
      case STATUS_LINE:
        this.statusLine(buf, start, end);
        return;
      case HEADER:
        if (end === start) this.endOfHead();
        else this.header(buf, start, end);
        return;
      case CHUNK_SIZE:
        this.chunkSize(buf, start, end);
        return;
      case TRAILER:
        // Trailer fields are skipped; an empty line ends the message.
        if (end === start) this.complete();
        return;
    }
  }

  // "HTTP/1.1 200 OK": the version, a space, three digits, then a space and a reason or nothing.
  private statusLine(buf: Buffer, start: number, end: number): void {
    if (
      end - start < 12 ||
      buf[start] !== 72 || // H
      buf[start + 1] !== 84 || // T
      buf[start + 2] !== 84 || // T
      buf[start + 3] !== 80 || // P
      buf[start + 4] !== 47 || // /
      buf[start + 5] !== 49 || // 1
      buf[start + 6] !== 46 // .
    ) {
      this.fail(`malformed status line: ${JSON.stringify(buf.toString('latin1', start, Math.min(end, start + 40)))}`);
      return;
    }
    const minor = buf[start + 7]!;
    const d0 = buf[start + 9]! - 48;
    const d1 = buf[start + 10]! - 48;
    const d2 = buf[start + 11]! - 48;
    if (
      (minor !== 48 && minor !== 49) ||
      buf[start + 8] !== SP ||
      d0 < 1 ||
      d0 > 5 ||
      d1 < 0 ||
      d1 > 9 ||
      d2 < 0 ||
      d2 > 9 ||
      (end - start > 12 && buf[start + 12] !== SP)
    ) {
      this.fail(`malformed status line: ${JSON.stringify(buf.toString('latin1', start, Math.min(end, start + 40)))}`);
      return;
    }
    this.status = d0 * 100 + d1 * 10 + d2;
    this.http10 = minor === 48;
    this.state = HEADER;
  }

  private header(buf: Buffer, start: number, end: number): void {
    const first = buf[start]!;
    // obs-fold (a line continuing the previous header) is skipped, as are all headers this parser does not need.
    if (first === SP || first === HTAB) return;
    // Only names starting with c or t can matter.
    const lower = first | 0x20;
    let colon = start;
    while (colon < end && buf[colon] !== COLON) colon++;
    if (colon === end || colon === start) {
      this.fail('header line without a colon');
      return;
    }
    if (lower !== 99 && lower !== 116) return;
    let vStart = colon + 1;
    let vEnd = end;
    while (vStart < vEnd && (buf[vStart] === SP || buf[vStart] === HTAB)) vStart++;
    while (vEnd > vStart && (buf[vEnd - 1] === SP || buf[vEnd - 1] === HTAB)) vEnd--;
    const nameLength = colon - start;
    if (nameLength === 14 && equalsLower(buf, start, colon, CONTENT_LENGTH)) {
      let value = 0;
      if (vEnd === vStart) {
        this.fail('empty Content-Length');
        return;
      }
      for (let i = vStart; i < vEnd; i++) {
        const d = buf[i]! - 48;
        if (d < 0 || d > 9) {
          this.fail('malformed Content-Length');
          return;
        }
        value = value * 10 + d;
      }
      if (value > MAX_BODY_BYTES) {
        this.fail('Content-Length too large');
        return;
      }
      if (this.contentLength >= 0 && this.contentLength !== value) {
        this.fail('conflicting Content-Length headers');
        return;
      }
      this.contentLength = value;
    } else if (nameLength === 17 && equalsLower(buf, start, colon, TRANSFER_ENCODING)) {
      // chunked must be the last coding; anything else makes the body run until the close.
      let tokenEnd = vEnd;
      let tokenStart = tokenEnd;
      while (tokenStart > vStart && buf[tokenStart - 1] !== 44) tokenStart--;
      while (tokenStart < tokenEnd && (buf[tokenStart] === SP || buf[tokenStart] === HTAB)) tokenStart++;
      if (equalsLower(buf, tokenStart, tokenEnd, CHUNKED)) {
        this.chunked = true;
        this.otherEncoding = false;
      } else {
        this.chunked = false;
        this.otherEncoding = true;
      }
    } else if (nameLength === 10 && equalsLower(buf, start, colon, CONNECTION)) {
      if (hasToken(buf, vStart, vEnd, CLOSE)) this.close = true;
      else if (hasToken(buf, vStart, vEnd, KEEP_ALIVE)) this.keepAlive = true;
    }
  }

  private endOfHead(): void {
    this.headBytes = 0;
    if (this.http10 && !this.keepAlive) this.close = true;
    const status = this.status;
    // 1xx, 204 and 304 have no body, whatever their headers say.
    if (status < 200 || status === 204 || status === 304) {
      // 101 Switching Protocols: what follows is no longer HTTP/1.1.
      if (status === 101) this.close = true;
      this.complete();
      return;
    }
    if (this.chunked) {
      this.state = CHUNK_SIZE;
      return;
    }
    if (this.otherEncoding || this.contentLength < 0) {
      // No length: the body is everything until the server closes the connection.
      this.close = true;
      this.state = UNTIL_CLOSE;
      return;
    }
    if (this.contentLength === 0) {
      this.complete();
      return;
    }
    this.remaining = this.contentLength;
    this.state = BODY;
  }

  // "1a3f;name=value": hex digits, optional spaces/tabs, then optional extensions (skipped).
  private chunkSize(buf: Buffer, start: number, end: number): void {
    let size = 0;
    let i = start;
    for (; i < end; i++) {
      const c = buf[i]!;
      let d: number;
      if (c >= 48 && c <= 57) d = c - 48;
      else if (c >= 97 && c <= 102) d = c - 87;
      else if (c >= 65 && c <= 70) d = c - 55;
      else break;
      size = size * 16 + d;
      if (size > MAX_BODY_BYTES) {
        this.fail('chunk size too large');
        return;
      }
    }
    if (i === start) {
      this.fail(`malformed chunk size: ${JSON.stringify(buf.toString('latin1', start, Math.min(end, start + 20)))}`);
      return;
    }
    while (i < end && (buf[i] === SP || buf[i] === HTAB)) i++;
    if (i < end && buf[i] !== 59 /* ; */) {
      this.fail(`malformed chunk size: ${JSON.stringify(buf.toString('latin1', start, Math.min(end, start + 20)))}`);
      return;
    }
    this.headBytes = 0;
    if (size === 0) {
      this.state = TRAILER;
      return;
    }
    this.remaining = size;
    this.state = CHUNK_DATA;
  }

  private complete(): void {
    const status = this.status;
    const close = this.close;
    this.headBytes = 0;
    this.startResponse();
    // After a response that ends the connection nothing more is parsed (the caller reconnects).
    this.state = close ? DEAD : STATUS_LINE;
    this.onResponse(status, close);
  }
}
