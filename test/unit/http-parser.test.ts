// The harness loader's HTTP/1.1 response parser: bodies by length and chunked, any packet boundary,
// pipelined responses, Connection: close, and malformed input reported as errors.
import { describe, expect, test } from 'vitest';
import { MAX_HEAD_BYTES, ResponseParser } from '../../harness/load/http/parser.ts';

/** A parser whose events are recorded as strings: "200", "200 close", "error: ...". */
function recorder() {
  const events: string[] = [];
  const parser = new ResponseParser(
    (status, close) => events.push(close ? `${status} close` : String(status)),
    (message) => events.push(`error: ${message}`),
  );
  return { parser, events };
}

function parse(...chunks: (string | Buffer)[]): string[] {
  const { parser, events } = recorder();
  for (const c of chunks) parser.push(typeof c === 'string' ? Buffer.from(c, 'latin1') : c);
  return events;
}

const OK = 'HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 27\r\n\r\n{"message":"Hello, World!"}';
const CHUNKED =
  'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nServer: x\r\n\r\n' +
  '5\r\nhello\r\n' +
  '7;name=value;other="q;uoted"\r\n, world\r\n' +
  'A \r\n0123456789\r\n' +
  '0\r\nX-Trailer: yes\r\nAnother: one\r\n\r\n';
const NO_CONTENT = 'HTTP/1.1 204 No Content\r\nDate: Thu, 01 Jan 2026 00:00:00 GMT\r\n\r\n';

describe('bodies', () => {
  test('Content-Length: the body is skipped, whatever it contains', () => {
    expect(parse(OK)).toEqual(['200']);
    expect(parse('HTTP/1.1 200 OK\r\ncontent-LENGTH:  12 \r\n\r\nHTTP/1.1 500')).toEqual(['200']);
    expect(parse('HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n')).toEqual(['200']);
  });

  test('a body that has not fully arrived yet is not a response yet', () => {
    expect(parse('HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\n12345')).toEqual([]);
    expect(parse('HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\n12345', '67890')).toEqual(['200']);
  });

  test('chunked, with chunk extensions, upper-case hex, a space before the CRLF and trailers', () => {
    expect(parse(CHUNKED)).toEqual(['200']);
    expect(parse(CHUNKED + OK)).toEqual(['200', '200']);
    expect(parse('HTTP/1.1 200 OK\r\ntransfer-encoding: gzip, CHUNKED\r\n\r\nf\r\n0123456789abcde\r\n0\r\n\r\n')).toEqual(['200']);
  });

  test('chunked wins over Content-Length', () => {
    expect(parse('HTTP/1.1 200 OK\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n' + NO_CONTENT)).toEqual(['200', '204']);
  });

  test('the zero-length last chunk split across packets, at every byte', () => {
    const head = 'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n';
    const last = '0\r\n\r\n';
    for (let i = 0; i <= last.length; i++) {
      expect(parse(head + last.slice(0, i), last.slice(i) + NO_CONTENT), `split at ${i}`).toEqual(['200', '204']);
    }
    // and the trailers too
    const withTrailer = '0\r\nT: 1\r\n\r\n';
    for (let i = 0; i <= withTrailer.length; i++) expect(parse(head + withTrailer.slice(0, i), withTrailer.slice(i))).toEqual(['200']);
  });

  test('1xx, 204 and 304 have no body, whatever their headers say', () => {
    expect(parse('HTTP/1.1 304 Not Modified\r\nContent-Length: 27\r\n\r\n' + OK)).toEqual(['304', '200']);
    expect(parse(NO_CONTENT + NO_CONTENT)).toEqual(['204', '204']);
  });

  test('neither length nor chunked: the body runs until the close, and finish() ends it', () => {
    const { parser, events } = recorder();
    parser.push(Buffer.from('HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n\r\nsome body'));
    parser.push(Buffer.from('more body'));
    expect(events).toEqual([]);
    expect(parser.finish()).toBe(true);
    expect(events).toEqual(['200 close']);
  });

  test('finish() in the middle of a response says it was cut short; between responses it is fine', () => {
    const cut = recorder();
    cut.parser.push(Buffer.from('HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\n123'));
    expect(cut.parser.finish()).toBe(false);
    const between = recorder();
    between.parser.push(Buffer.from(OK));
    expect(between.parser.finish()).toBe(true);
    expect(between.events).toEqual(['200']);
  });
});

describe('packet boundaries and pipelining', () => {
  const stream = OK + CHUNKED + NO_CONTENT + 'HTTP/1.1 404 Not Found\r\nContent-Length: 9\r\n\r\nnot found' + 'HTTP/1.1 500 Oops\r\nContent-Length: 3\r\nConnection: close\r\n\r\nbad';
  const expected = ['200', '200', '204', '404', '500 close'];

  test('three pipelined responses in one buffer', () => {
    expect(parse(OK + OK + OK)).toEqual(['200', '200', '200']);
    expect(parse(stream)).toEqual(expected);
  });

  test('split into two packets at every byte boundary', () => {
    for (let i = 0; i <= stream.length; i++) {
      expect(parse(stream.slice(0, i), stream.slice(i)), `split at ${i}`).toEqual(expected);
    }
  });

  test('one byte per packet', () => {
    expect(parse(...stream.split(''))).toEqual(expected);
  });

  test('a reused read buffer: push(buffer, length) parses only the first length bytes and keeps no reference', () => {
    const { parser, events } = recorder();
    // What lies beyond `length` is stale: line ends and colons that must not be seen.
    const stale = Buffer.from(':\r\n\r\n0\r\n:'.repeat(8));
    const shared = Buffer.alloc(64);
    const bytes = Buffer.from(stream, 'latin1');
    for (let pos = 0; pos < bytes.length; pos += 37) {
      stale.copy(shared);
      const n = bytes.copy(shared, 0, pos, Math.min(bytes.length, pos + 37));
      parser.push(shared, n);
    }
    expect(events).toEqual(expected);
  });
});

describe('Connection', () => {
  test('Connection: close, in any case and among other tokens, ends the connection after the response', () => {
    expect(parse('HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 0\r\n\r\n')).toEqual(['200 close']);
    expect(parse('HTTP/1.1 200 OK\r\nCONNECTION: Upgrade , CLOSE\r\nContent-Length: 0\r\n\r\n')).toEqual(['200 close']);
    expect(parse('HTTP/1.1 200 OK\r\nConnection: keep-alive\r\nContent-Length: 0\r\n\r\n')).toEqual(['200']);
    expect(parse('HTTP/1.1 200 OK\r\nConnection: closed\r\nContent-Length: 0\r\n\r\n')).toEqual(['200']);
  });

  test('HTTP/1.0 closes unless it says keep-alive', () => {
    expect(parse('HTTP/1.0 200 OK\r\nContent-Length: 0\r\n\r\n')).toEqual(['200 close']);
    expect(parse('HTTP/1.0 200 OK\r\nConnection: Keep-Alive\r\nContent-Length: 0\r\n\r\n')).toEqual(['200']);
  });

  test('nothing after a closing response is parsed, until reset()', () => {
    const { parser, events } = recorder();
    parser.push(Buffer.from('HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 0\r\n\r\n' + OK));
    expect(events).toEqual(['200 close']);
    expect(parser.dead).toBe(true);
    parser.reset();
    parser.push(Buffer.from(OK));
    expect(events).toEqual(['200 close', '200']);
  });
});

describe('status codes', () => {
  test('1xx, 3xx, 4xx and 5xx are reported with their codes', () => {
    expect(parse('HTTP/1.1 100 Continue\r\n\r\n' + OK)).toEqual(['100', '200']);
    expect(parse('HTTP/1.1 103 Early Hints\r\nLink: </a.css>; rel=preload\r\n\r\n' + OK)).toEqual(['103', '200']);
    expect(parse('HTTP/1.1 301 Moved Permanently\r\nLocation: /x\r\nContent-Length: 0\r\n\r\n')).toEqual(['301']);
    expect(parse('HTTP/1.1 404 Not Found\r\nContent-Length: 9\r\n\r\nnot found')).toEqual(['404']);
    expect(parse('HTTP/1.1 503 Service Unavailable\r\nContent-Length: 0\r\n\r\n')).toEqual(['503']);
    expect(parse('HTTP/1.1 599\r\nContent-Length: 0\r\n\r\n')).toEqual(['599']);
  });

  test('a reason phrase is optional, and a bare LF ends lines too', () => {
    expect(parse('HTTP/1.1 200 \r\nContent-Length: 0\r\n\r\n')).toEqual(['200']);
    expect(parse('HTTP/1.1 200\r\nContent-Length: 0\r\n\r\n')).toEqual(['200']);
    expect(parse('HTTP/1.1 200 OK\nContent-Length: 2\n\nok')).toEqual(['200']);
  });

  test('101 Switching Protocols ends HTTP on the connection', () => {
    expect(parse('HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n\r\n')).toEqual(['101 close']);
  });
});

describe('malformed responses are errors', () => {
  const errorsOf = (...chunks: string[]) => {
    const events = parse(...chunks);
    expect(events.length, JSON.stringify(events)).toBe(1);
    expect(events[0]).toMatch(/^error: /);
    return events[0]!;
  };

  test('malformed status lines', () => {
    for (const line of ['HTTX/1.1 200 OK', 'HTTP/1.1 2000 OK', 'HTTP/1.1 20 OK', 'HTTP/1.1 20x OK', 'HTTP/2 200 OK', 'HTTP/1.2 200 OK', 'HTTP/1.1  200 OK', 'HTTP/1.1 099 Low', 'HTTP/1.1 600 High', 'garbage', '']) {
      expect(errorsOf(`${line}\r\nContent-Length: 0\r\n\r\n`), line).toMatch(/malformed status line/);
    }
  });

  test('garbage is reported once, and nothing after it until reset()', () => {
    const { parser, events } = recorder();
    parser.push(Buffer.from('<html>nope</html>\r\n' + OK));
    parser.push(Buffer.from(OK));
    expect(events).toHaveLength(1);
    expect(parser.dead).toBe(true);
    parser.reset();
    parser.push(Buffer.from(OK));
    expect(events.slice(1)).toEqual(['200']);
  });

  test('bad chunk sizes and chunks without their CRLF', () => {
    const head = 'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n';
    expect(errorsOf(head + 'zz\r\nhello\r\n0\r\n\r\n')).toMatch(/malformed chunk size/);
    expect(errorsOf(head + '\r\n')).toMatch(/malformed chunk size/);
    expect(errorsOf(head + '5x\r\nhello\r\n0\r\n\r\n')).toMatch(/malformed chunk size/);
    expect(errorsOf(head + '-5\r\nhello\r\n0\r\n\r\n')).toMatch(/malformed chunk size/);
    expect(errorsOf(head + 'fffffffffffffff\r\n')).toMatch(/chunk size too large/);
    expect(errorsOf(head + '5\r\nhelloXX0\r\n\r\n')).toMatch(/not followed by CRLF/);
    expect(errorsOf(head + '5\r\nhello\rX')).toMatch(/not followed by CRLF/);
  });

  test('bad Content-Length and header lines', () => {
    expect(errorsOf('HTTP/1.1 200 OK\r\nContent-Length: 12a\r\n\r\n')).toMatch(/Content-Length/);
    expect(errorsOf('HTTP/1.1 200 OK\r\nContent-Length: -1\r\n\r\n')).toMatch(/Content-Length/);
    expect(errorsOf('HTTP/1.1 200 OK\r\nContent-Length:\r\n\r\n')).toMatch(/Content-Length/);
    expect(errorsOf('HTTP/1.1 200 OK\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n')).toMatch(/conflicting/);
    expect(errorsOf('HTTP/1.1 200 OK\r\nthis is no header\r\n\r\n')).toMatch(/colon/);
    expect(errorsOf('HTTP/1.1 200 OK\r\n: no name\r\n\r\n')).toMatch(/colon/);
  });

  test('a head longer than the limit, in one packet or many', () => {
    const long = `HTTP/1.1 200 OK\r\nX-Long: ${'a'.repeat(MAX_HEAD_BYTES)}\r\n\r\n`;
    expect(errorsOf(long)).toMatch(/longer than/);
    expect(errorsOf(...long.match(/[\s\S]{1,1000}/g)!)).toMatch(/longer than/);
  });
});
