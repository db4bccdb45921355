// The load generator's messages: ASCII text "<sender>,<seq>,<stampUs>," padded with 'x' to the
// size asked for. The sender's id and a sequence number let each client check exactly-once,
// in-order delivery; the stamp (microseconds on a clock all processes share, see sharedClockMs) is
// when the message was sent: echo and sample stamp the actual send time (read just before the
// write), so a round trip is the receive time minus the stamp; a broadcast stamps its round's
// scheduled time (open loop) or its send time (closed loop). The shared clock lets a receiver in
// another worker process measure a broadcast's delivery time.

/** Milliseconds since the epoch with sub-millisecond resolution, comparable across processes: each
 * process's performance.timeOrigin is the wall clock at its start, and performance.now() runs on
 * the monotonic clock from there. (process.hrtime is no shared clock: Bun counts it from the
 * process's start.) Two processes agree to within what NTP slewed the wall clock between their
 * starts, microseconds over a run; Date.now() would give whole milliseconds only. */
const ORIGIN_MS = performance.timeOrigin;
export function sharedClockMs(): number {
  return ORIGIN_MS + performance.now();
}

/** Bytes of the header alone for these numbers: the smallest message that can carry them. */
export function headerBytes(sender: number, seq: number, stampUs: number): number {
  return String(sender).length + String(seq).length + String(stampUs).length + 3;
}

const PAD = 'x'.repeat(4096);

function pad(n: number): string {
  if (n <= 0) return '';
  if (n <= PAD.length) return PAD.slice(0, n);
  return PAD.repeat(Math.ceil(n / PAD.length)).slice(0, n);
}

/** The message text: exactly `bytes` long, or just the header when that is longer. */
export function loadMessage(sender: number, seq: number, stampUs: number, bytes: number): string {
  const head = `${sender},${seq},${stampUs},`;
  return head.length >= bytes ? head : head + pad(bytes - head.length);
}

/** Fields of a received message; `ok` false when the bytes are not such a message. Reused between calls (no allocation per message). */
export interface ParsedMessage {
  ok: boolean;
  sender: number;
  seq: number;
  stampUs: number;
}

/** Parses the header from data[start, end) into `out`. */
export function parseLoadMessage(data: Uint8Array, start: number, end: number, out: ParsedMessage): ParsedMessage {
  out.ok = false;
  let i = start;
  const fields = [0, 0, 0];
  for (let f = 0; f < 3; f++) {
    let n = 0;
    const first = i;
    while (i < end) {
      const c = data[i]!;
      if (c === 0x2c) break;
      if (c < 0x30 || c > 0x39) return out;
      n = n * 10 + (c - 0x30);
      i++;
    }
    if (i === first || i >= end) return out;
    fields[f] = n;
    i++; // the comma
  }
  out.sender = fields[0]!;
  out.seq = fields[1]!;
  out.stampUs = fields[2]!;
  out.ok = true;
  return out;
}
