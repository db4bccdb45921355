// The WebSocket loader's RFC 6455 pieces: frames against the RFC's own examples (section 5.7),
// masking, the three length encodings at their edges, fragmented messages with control frames
// between the fragments, any chunking of the stream, protocol errors with their close codes,
// close frames, the handshake's accept key, the load messages, and the helpers of the loader.
import { describe, expect, test } from 'vitest';
import {
  closePayload,
  encodeFrame,
  encodeMaskedLatin1,
  encodeMaskedLatin1Wrapped,
  encodeText,
  FrameParser,
  headerLength,
  maskInPlace,
  OP_BINARY,
  OP_CLOSE,
  OP_CONTINUATION,
  OP_PING,
  OP_PONG,
  OP_TEXT,
  parseClosePayload,
  type FrameHandler,
  type ParserOptions,
} from '../../harness/load/ws/frames.ts';
import { acceptFor, checkResponse, upgradeRequest } from '../../harness/load/ws/handshake.ts';
import { resourceStopReason, splitByWeight } from '../../harness/load/ws/capacity.ts';
import { openFilesPlan, planWorkerCpus, sourceAddressesFor, sourcePortRange } from '../../harness/load/ws/limits.ts';
import { loadMessage, parseLoadMessage, type ParsedMessage } from '../../harness/load/ws/message.ts';
import { compareDeliveries, textOfBytes } from '../../harness/load/ws/verify.ts';

const hex = (s: string) => Buffer.from(s.replace(/\s+/g, ''), 'hex');

/** A parser whose events are recorded: "text Hello", "ping Hello", "error 1002 ...". */
function recorder(options: ParserOptions = {}) {
  const events: string[] = [];
  const messages: Buffer[] = [];
  const handler: FrameHandler = {
    onMessage(opcode, data, start, end) {
      const copy = Buffer.from(data.subarray(start, end));
      messages.push(copy);
      events.push(`${opcode === OP_TEXT ? 'text' : 'binary'} ${copy.length > 40 ? `${copy.length} bytes` : copy.toString('latin1')}`);
    },
    onControl(opcode, payload) {
      events.push(`${opcode === OP_PING ? 'ping' : opcode === OP_PONG ? 'pong' : 'close'} ${payload.toString('hex')}`);
    },
    onProtocolError(reason, code) {
      events.push(`error ${code} ${reason}`);
    },
  };
  return { parser: new FrameParser(handler, options), events, messages };
}

function parse(bytes: Buffer, options: ParserOptions = {}, chunk = bytes.length) {
  const r = recorder(options);
  for (let at = 0; at < bytes.length; at += chunk) r.parser.push(Buffer.from(bytes.subarray(at, at + chunk)));
  return r;
}

describe('frames: the RFC 6455 examples (section 5.7)', () => {
  test('a single-frame unmasked text message', () => {
    const frame = hex('81 05 48 65 6c 6c 6f');
    expect(encodeFrame(OP_TEXT, Buffer.from('Hello'), { mask: false })).toEqual(frame);
    expect(parse(frame).events).toEqual(['text Hello']);
  });

  test('a single-frame masked text message (key 37 fa 21 3d), as a client sends it', () => {
    const frame = hex('81 85 37 fa 21 3d 7f 9f 4d 51 58');
    expect(encodeFrame(OP_TEXT, Buffer.from('Hello'), { mask: 0x37fa213d })).toEqual(frame);
    expect(parse(frame, { role: 'server' }).events).toEqual(['text Hello']);
  });

  test('a fragmented unmasked text message: "Hel" then "lo"', () => {
    const frames = hex('01 03 48 65 6c  80 02 6c 6f');
    expect(Buffer.concat([encodeFrame(OP_TEXT, Buffer.from('Hel'), { mask: false, fin: false }), encodeFrame(OP_CONTINUATION, Buffer.from('lo'), { mask: false })])).toEqual(frames);
    expect(parse(frames).events).toEqual(['text Hello']);
  });

  test('unmasked ping and masked pong', () => {
    expect(parse(hex('89 05 48 65 6c 6c 6f')).events).toEqual(['ping 48656c6c6f']);
    expect(encodeFrame(OP_PONG, Buffer.from('Hello'), { mask: 0x37fa213d })).toEqual(hex('8a 85 37 fa 21 3d 7f 9f 4d 51 58'));
  });

  test('256 bytes and 64 KiB binary messages: 16-bit and 64-bit lengths', () => {
    expect(encodeFrame(OP_BINARY, Buffer.alloc(256), { mask: false }).subarray(0, 4)).toEqual(hex('82 7e 01 00'));
    expect(encodeFrame(OP_BINARY, Buffer.alloc(65536), { mask: false }).subarray(0, 10)).toEqual(hex('82 7f 00 00 00 00 00 01 00 00'));
  });
});

describe('frames: masking and lengths', () => {
  test('client frames are masked with a fresh key each time', () => {
    const text = 'x'.repeat(64);
    const a = encodeText(text);
    const b = encodeText(text);
    expect(a[1]! & 0x80).toBe(0x80);
    expect(b[1]! & 0x80).toBe(0x80);
    expect(a.subarray(2, 6)).not.toEqual(b.subarray(2, 6));
    // On the wire the payload is not the plain text (a zero key would leave it so).
    expect(a.subarray(6).toString('latin1')).not.toBe(text);
    expect(parse(a, { role: 'server' }).events).toEqual(['text 64 bytes']);
    expect(parse(a, { role: 'server' }).messages[0]!.toString()).toBe(text);
  });

  test('maskInPlace XORs with the key from `start`, for every tail length', () => {
    for (let len = 0; len < 12; len++) {
      const plain = Buffer.from(Array.from({ length: len + 3 }, (_, i) => (i * 37 + 11) & 0xff));
      const masked = Buffer.from(plain);
      maskInPlace(masked, 3, masked.length, 0x01020304);
      const key = [1, 2, 3, 4];
      for (let i = 0; i < plain.length; i++) expect(masked[i]).toBe(i < 3 ? plain[i] : plain[i]! ^ key[(i - 3) % 4]!);
    }
  });

  test.each([0, 1, 125, 126, 127, 65535, 65536, 70000])('a %i-byte message: shortest length encoding, intact through the parser in any chunking', (size) => {
    const text = textOfBytes(size, `n${size}:`);
    const frame = encodeMaskedLatin1(Buffer.from(text, 'utf8').toString('latin1'));
    const header = size < 126 ? 2 : size < 65536 ? 4 : 10;
    expect(headerLength(size, true)).toBe(header + 4);
    expect(frame.length).toBe(header + 4 + size);
    expect(frame[1]! & 0x7f).toBe(size < 126 ? size : size < 65536 ? 126 : 127);
    for (const chunk of size < 200 ? [1, 3, 7, frame.length] : [1000, 4096, 65536]) {
      const r = parse(frame, { role: 'server', validateUtf8: true }, chunk);
      expect(r.events.filter((e) => e.startsWith('error'))).toEqual([]);
      expect(r.messages).toHaveLength(1);
      expect(r.messages[0]!.toString('utf8')).toBe(text);
    }
  });

  test('the fast path (masked latin1) gives the same frames as the general encoder', () => {
    const text = 'abc,12,345,xxxx';
    const a = parse(encodeMaskedLatin1(text), { role: 'server' }).messages[0]!;
    const b = parse(encodeText(text), { role: 'server' }).messages[0]!;
    expect(a).toEqual(b);
  });

  test.each([1, 103, 104, 105, 65513, 65514])('the socket.io fast path: prefix + a %i-byte message + suffix in one masked frame, at the length edges', (size) => {
    const prefix = Buffer.from('42/echo,["message","', 'latin1');
    const suffix = Buffer.from('"]', 'latin1');
    const text = loadMessage(7, 1, 123, size);
    const frame = encodeMaskedLatin1Wrapped(prefix, text, suffix);
    const whole = `42/echo,["message","${text}"]`;
    expect(frame.length).toBe(headerLength(whole.length, true) + whole.length);
    const r = parse(frame, { role: 'server' }, 4096);
    expect(r.messages.map(String)).toEqual([whole]);
    expect(r.messages[0]).toEqual(parse(encodeText(whole), { role: 'server' }).messages[0]);
  });
});

describe('frames: fragmentation and control frames', () => {
  const server = (op: number, payload: string, fin = true) => encodeFrame(op, Buffer.from(payload), { mask: false, fin });

  test('fragments with a ping and a pong between them make one message, and the control frames come through at once', () => {
    const stream = Buffer.concat([server(OP_TEXT, 'one ', false), server(OP_PING, 'p'), server(OP_CONTINUATION, 'two ', false), server(OP_PONG, 'q'), server(OP_CONTINUATION, 'three')]);
    for (let chunk = 1; chunk <= stream.length; chunk++) expect(parse(stream, {}, chunk).events).toEqual(['ping 70', 'pong 71', 'text one two three']);
  });

  test('a binary message in fragments, then a text message', () => {
    const stream = Buffer.concat([server(OP_BINARY, 'ab', false), server(OP_CONTINUATION, 'cd'), server(OP_TEXT, 'next')]);
    expect(parse(stream).events).toEqual(['binary abcd', 'text next']);
  });

  test('a multi-byte character split between fragments is valid UTF-8 once joined', () => {
    const euro = Buffer.from('€');
    const stream = Buffer.concat([
      encodeFrame(OP_TEXT, euro.subarray(0, 1), { mask: false, fin: false }),
      encodeFrame(OP_CONTINUATION, euro.subarray(1), { mask: false }),
    ]);
    const r = parse(stream, { validateUtf8: true });
    expect(r.events).toHaveLength(1);
    expect(r.messages[0]!.toString('utf8')).toBe('€');
  });

  test('many whole frames in one read, each a view handed over without copying', () => {
    const stream = Buffer.concat(Array.from({ length: 50 }, (_, i) => server(OP_TEXT, `m${i}`)));
    const r = parse(stream);
    expect(r.events).toEqual(Array.from({ length: 50 }, (_, i) => `text m${i}`));
  });
});

describe('frames: protocol errors', () => {
  const cases: [string, Buffer, ParserOptions, number][] = [
    ['continuation without a message', hex('80 01 61'), {}, 1002],
    ['a new text frame inside a fragmented message', Buffer.concat([hex('01 01 61'), hex('81 01 62')]), {}, 1002],
    ['a fragmented ping', hex('09 01 61'), {}, 1002],
    ['a ping longer than 125 bytes', Buffer.concat([hex('89 7e 00 7e'), Buffer.alloc(126)]), {}, 1002],
    ['a masked frame from the server', hex('81 85 37 fa 21 3d 7f 9f 4d 51 58'), {}, 1002],
    ['an unmasked frame from a client', hex('81 05 48 65 6c 6c 6f'), { role: 'server' }, 1002],
    ['reserved bits', hex('c1 01 61'), {}, 1002],
    ['an unknown opcode', hex('83 01 61'), {}, 1002],
    ['a length not in its shortest form', Buffer.concat([hex('81 7e 00 05'), Buffer.from('Hello')]), {}, 1002],
    ['a 64-bit length with its top bit set', hex('82 7f 80 00 00 00 00 00 00 01 00'), {}, 1002],
    ['text that is not UTF-8', hex('81 02 c3 28'), { validateUtf8: true }, 1007],
    ['a message over the limit', Buffer.concat([hex('82 7e 01 00'), Buffer.alloc(256)]), { maxMessageBytes: 255 }, 1009],
  ];
  test.each(cases)('%s', (_name, bytes, options, code) => {
    const r = parse(bytes, options);
    expect(r.events).toHaveLength(1);
    expect(r.events[0]).toMatch(new RegExp(`^error ${code} `));
    // Nothing more is parsed after a protocol error.
    r.parser.push(hex('81 01 61'));
    expect(r.events).toHaveLength(1);
  });
});

describe('close frames', () => {
  test('code and reason round-trip; an empty close is 1005; malformed ones are refused', () => {
    expect(parseClosePayload(closePayload(1000, 'bye'))).toEqual({ code: 1000, reason: 'bye' });
    expect(parseClosePayload(closePayload(4001, 'é'))).toEqual({ code: 4001, reason: 'é' });
    expect(parseClosePayload(Buffer.alloc(0))).toEqual({ code: 1005, reason: '' });
    expect(parseClosePayload(Buffer.from([0x03]))).toBeNull();
    expect(parseClosePayload(closePayload(1005))).toBeNull();
    expect(parseClosePayload(closePayload(999))).toBeNull();
    expect(parseClosePayload(Buffer.concat([closePayload(1000), Buffer.from([0xc3, 0x28])]))).toBeNull();
    expect(closePayload(1000, 'x'.repeat(200)).length).toBe(125);
  });

  test('a close frame from the server reaches the handler with its payload', () => {
    expect(parse(encodeFrame(OP_CLOSE, closePayload(1001, 'going'), { mask: false })).events).toEqual([`close ${closePayload(1001, 'going').toString('hex')}`]);
  });
});

describe('handshake', () => {
  const key = 'dGhlIHNhbXBsZSBub25jZQ==';
  const ok = (extra = '') => Buffer.from(`HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n${extra}\r\n`);

  test("the accept key of the RFC's example", () => {
    expect(acceptFor(key)).toBe('s3pPLMBiTxaQ9kYGzzhZRbK+xOo=');
  });

  test('the request carries the upgrade headers, the key and an Origin', () => {
    const text = upgradeRequest({ path: '/ws/echo', host: '127.0.0.1:8080', key, origin: 'http://127.0.0.1:8080' }).toString();
    expect(text).toMatch(/^GET \/ws\/echo HTTP\/1\.1\r\n/);
    for (const h of ['Upgrade: websocket', 'Connection: Upgrade', `Sec-WebSocket-Key: ${key}`, 'Sec-WebSocket-Version: 13', 'Origin: http://127.0.0.1:8080']) expect(text).toContain(`\r\n${h}\r\n`);
    expect(text.endsWith('\r\n\r\n')).toBe(true);
    expect(upgradeRequest({ path: '/', host: 'h', key, origin: null }).toString()).not.toContain('Origin');
  });

  test('responses: complete, partial, refused, wrong key, unrequested extension; frames after the head', () => {
    const head = ok();
    expect(checkResponse(head, key)).toEqual({ done: true, ok: true, bodyStart: head.length });
    expect(checkResponse(Buffer.concat([head, hex('81 01 61')]), key)).toEqual({ done: true, ok: true, bodyStart: head.length });
    expect(checkResponse(head.subarray(0, 30), key)).toEqual({ done: false });
    expect(checkResponse(Buffer.from('HTTP/1.1 403 Forbidden\r\nContent-Length: 0\r\n\r\n'), key)).toMatchObject({ ok: false, kind: 'HTTP 403' });
    expect(checkResponse(ok(), 'another-key')).toMatchObject({ ok: false, kind: 'bad Sec-WebSocket-Accept' });
    expect(checkResponse(ok('Sec-WebSocket-Extensions: permessage-deflate\r\n'), key)).toMatchObject({ ok: false, kind: 'unrequested extension' });
    expect(checkResponse(Buffer.from('HTTP/1.1 101 OK\r\nConnection: Upgrade\r\n\r\n'), key)).toMatchObject({ ok: false, kind: 'missing Upgrade: websocket' });
    expect(checkResponse(Buffer.alloc(20_000, 0x61), key)).toMatchObject({ ok: false, kind: 'response head too long' });
  });
});

describe('load messages', () => {
  const out: ParsedMessage = { ok: false, sender: 0, seq: 0, stampUs: 0 };
  test('sender, sequence and stamp round-trip at the size asked for', () => {
    const text = loadMessage(12345, 67, 1_234_567_890_123, 64);
    expect(text.length).toBe(64);
    const bytes = Buffer.from(`xx${text}`, 'latin1');
    expect(parseLoadMessage(bytes, 2, bytes.length, out)).toMatchObject({ ok: true, sender: 12345, seq: 67, stampUs: 1_234_567_890_123 });
    // Too small for the header: the header alone.
    expect(loadMessage(1, 2, 3, 1)).toBe('1,2,3,');
  });

  test('anything else is not a load message', () => {
    for (const text of ['', 'hello', '1,2,', '1,,3,', '1,2,3', 'a,2,3,']) expect(parseLoadMessage(Buffer.from(text), 0, text.length, out).ok).toBe(false);
  });
});

describe('verification helpers', () => {
  test('textOfBytes is exactly that many UTF-8 bytes, multi-byte characters included', () => {
    for (const n of [0, 1, 2, 5, 16, 125, 126, 65535, 65536]) expect(Buffer.byteLength(textOfBytes(n, 'tag:'))).toBe(n);
    expect(textOfBytes(40, 'a:')).toMatch(/é€😀/);
  });

  test('compareDeliveries finds drops, reordering, duplicates and altered messages', () => {
    const sent = ['a', 'b', 'c', 'd'];
    expect(compareDeliveries(sent, sent)).toMatchObject({ missing: 0, duplicates: 0, outOfOrder: 0, unexpected: 0, first: '' });
    expect(compareDeliveries(sent, ['a', 'b', 'd'])).toMatchObject({ missing: 1, first: 'message 3 (1 bytes) never arrived' });
    expect(compareDeliveries(sent, ['b', 'a', 'd', 'c'])).toMatchObject({ outOfOrder: 2, missing: 0 });
    expect(compareDeliveries(sent, ['a', 'a', 'b', 'c', 'd'])).toMatchObject({ duplicates: 1 });
    expect(compareDeliveries(sent, ['a', 'b', 'c', 'D'])).toMatchObject({ unexpected: 1, missing: 1 });
  });
});

describe('loader planning', () => {
  test('source addresses: 127.0.0.1 up to the limit, then .2, .3, ... on loopback only', () => {
    expect(sourceAddressesFor('127.0.0.1', 25_000, 25_000)).toEqual(['127.0.0.1']);
    expect(sourceAddressesFor('127.0.0.1', 60_000, 25_000)).toEqual(['127.0.0.1', '127.0.0.2', '127.0.0.3']);
    expect(sourceAddressesFor('10.0.0.5', 60_000, 25_000)).toEqual([]);
    expect(sourceAddressesFor('::1', 60_000, 25_000)).toEqual([]);
    const many = sourceAddressesFor('127.0.0.1', 300 * 1000, 1000);
    expect(many).toHaveLength(300);
    expect(new Set(many).size).toBe(300);
    expect(many.some((a) => /\.(0|255)$/.test(a))).toBe(false);
  });

  test('source ports: the larger free stretch beside the ephemeral range, so that other programs keep theirs', () => {
    expect(sourcePortRange([32_768, 60_999])).toEqual({ low: 10_000, high: 32_767 });
    expect(sourcePortRange([10_000, 60_000])).toEqual({ low: 60_001, high: 65_535 });
    expect(sourcePortRange([1024, 65_535])).toEqual({ low: 10_000, high: 65_535 });
  });

  test('open files: as many as allowed, through prlimit, lowered too when asked', () => {
    const limits = { soft: 1024, hard: 20_000, nrOpen: 1_048_576 };
    expect(openFilesPlan(1_048_576, limits, false, true)).toEqual({ limit: 20_000, wrap: ['prlimit', '--nofile=20000:20000'] });
    expect(openFilesPlan(1_048_576, limits, true, true)).toEqual({ limit: 1_048_576, wrap: ['prlimit', '--nofile=1048576:1048576'] });
    expect(openFilesPlan(300, limits, false, true).limit).toBe(300);
    expect(openFilesPlan(1024, limits, false, true)).toEqual({ limit: 1024, wrap: [] });
    expect(openFilesPlan(5000, limits, false, false).wrap.slice(0, 2)).toEqual(['sh', '-c']);
  });

  test('workers: one per CPU, more per CPU when one process may not open enough sockets', () => {
    expect(planWorkerCpus(10, [0], 20_000, 16)).toEqual([0]);
    expect(planWorkerCpus(1, [0, 1], 20_000, 16)).toEqual([0]);
    expect(planWorkerCpus(50_000, [0], 20_000, 16)).toEqual([0, 0, 0]);
    expect(planWorkerCpus(35_000, [0, 1], 20_000, 16)).toEqual([0, 1]);
    expect(planWorkerCpus(50_000, [0, 1], 20_000, 16)).toEqual([0, 1, 0, 1]);
    expect(planWorkerCpus(1_000_000, [0], 20_000, 16)).toHaveLength(16);
  });

  test('stop reasons from connect errors', () => {
    expect(resourceStopReason({ EMFILE: 1, ECONNREFUSED: 3 })).toBe('file-descriptors');
    expect(resourceStopReason({ EADDRNOTAVAIL: 2 })).toBe('ports');
    expect(resourceStopReason({ EADDRINUSE: 2 })).toBe('ports');
    expect(resourceStopReason({ ENOBUFS: 1 })).toBe('loader-memory');
    expect(resourceStopReason({ ECONNREFUSED: 3, 'HTTP 503': 1 })).toBeNull();
  });

  test('sample messages split in proportion to the clients each worker holds', () => {
    expect(splitByWeight(200, [100, 100])).toEqual([100, 100]);
    expect(splitByWeight(10, [2, 1])).toEqual([7, 3]);
    expect(splitByWeight(5, [0, 0])).toEqual([0, 0]);
    expect(splitByWeight(7, [1, 1, 1]).reduce((a, b) => a + b, 0)).toBe(7);
  });
});
