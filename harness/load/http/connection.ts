// One keep-alive HTTP/1.1 connection of the harness's loader, over the kit's transport: a ring of
// requests (those written and in flight, then those queued), the response parser, and the latency
// of each response from its request's intended send time (open loop) or send time (closed loop).
// It counts into its worker's load (load.ts), which decides when requests may be sent.
//
// Failures: a malformed response, a reset, a connection closed with requests in flight or a failed
// connect is one error, by kind; the connection is reopened while the load runs (after a short
// pause when the connect failed, so that a refusing server is not hammered in a tight loop). A
// `Connection: close` response is counted like any other, and the connection is reopened.
import type { Recorder } from '../kit/recorder.ts';
import type { Link, LinkOwner } from '../kit/transport.ts';
import { ResponseParser } from './parser.ts';

/** Delay before reopening a connection whose connect failed. */
export const RECONNECT_AFTER_FAILED_CONNECT_MS = 20;

/** The worker's load as its connections see it (HttpLoad in load.ts): one instance per worker, shared by its connections. */
export interface LoadState {
  readonly pipelining: number;
  readonly openLoop: boolean;
  /** batches[k] holds k requests back to back, written with one write(). */
  readonly batches: Buffer[];
  readonly recorder: Recorder;
  /** Responses by class: index 1..5 = 1xx..5xx. */
  readonly classes: number[];
  /** Requests may be sent (the load phase). */
  running: boolean;
  /** The load phase is over; waiting for the last responses. */
  draining: boolean;
  requests: number;
  sent: number;
  /** Requests written and neither answered nor dropped, over all connections. */
  inflightTotal: number;
  /** performance.now() when the current chunk arrived: every response in a chunk arrived then. */
  chunkAt: number;
  lastResponseAt: number;
  lastSendAt: number;
  countError(kind: string): void;
  /** A connection opened, or failed to, before the load began. */
  connectedOne(): void;
  /** After a connection's event while draining: ends the load once nothing is in flight. */
  settle(): void;
  /** Opens a link for `owner` (the kit's transport, to the worker's endpoint). */
  connect(owner: LinkOwner): Link;
}

export class Connection implements LinkOwner {
  /** The current connection attempt; the transport drops events of an older one. */
  link: Link | null = null;
  connected = false;
  connectStartedAt = 0;
  readonly parser: ResponseParser;
  // A ring of requests: `inflight` written ones from `head`, then `queued` ones waiting to be written.
  // intended: the intended send time (open loop) or the send time (closed loop); sentAt: when written.
  private intended: Float64Array;
  private sentAt: Float64Array;
  private mask: number;
  private head = 0;
  inflight = 0;
  queued = 0;
  /** Set while a chunk is parsed: drop the connection after it (error, or Connection: close). */
  private mustDrop = false;

  constructor(private readonly load: LoadState) {
    let capacity = 1;
    while (capacity < load.pipelining * 2) capacity *= 2;
    this.intended = new Float64Array(capacity);
    this.sentAt = new Float64Array(capacity);
    this.mask = capacity - 1;
    this.parser = new ResponseParser(
      (status, close) => this.onResponse(status, close),
      (message) => this.onParseError(message),
    );
  }

  open(): void {
    this.connected = false;
    this.connectStartedAt = performance.now();
    this.parser.reset();
    this.link = this.load.connect(this);
  }

  // Events of the current link (the transport checks that it is current).

  onConnect(): void {
    this.connected = true;
    if (!this.load.running) {
      this.load.connectedOne();
      return;
    }
    this.begin(performance.now());
  }

  onError(kind: string): void {
    const load = this.load;
    const wasConnected = this.connected;
    load.countError(kind);
    this.drop(wasConnected ? 0 : RECONNECT_AFTER_FAILED_CONNECT_MS);
    if (!wasConnected && !load.running && !load.draining) load.connectedOne();
    if (load.draining) load.settle();
  }

  /** The server closed the connection (FIN, without a reset). */
  onClosed(): void {
    const load = this.load;
    const wasConnected = this.connected;
    // A body that runs until the close ends here.
    load.chunkAt = performance.now();
    const complete = this.parser.finish();
    if (!wasConnected) load.countError('connection closed before it was established');
    else if (!complete || this.inflight > 0) load.countError('connection closed with requests in flight');
    this.drop(wasConnected ? 0 : RECONNECT_AFTER_FAILED_CONNECT_MS);
    if (!wasConnected && !load.running && !load.draining) load.connectedOne();
    if (load.draining) load.settle();
  }

  /** Connected during the load phase: a closed loop fills the pipeline; queued open-loop requests go out. */
  begin(now: number): void {
    if (!this.load.openLoop) for (let i = this.inflight + this.queued; i < this.load.pipelining; i++) this.enqueue(now);
    this.flush(now);
  }

  enqueue(intended: number): void {
    if (this.inflight + this.queued > this.mask) this.grow();
    this.intended[(this.head + this.inflight + this.queued) & this.mask] = intended;
    this.queued++;
  }

  private grow(): void {
    const size = this.mask + 1;
    const intended = new Float64Array(size * 2);
    const sentAt = new Float64Array(size * 2);
    for (let i = 0; i < size; i++) {
      intended[i] = this.intended[(this.head + i) & this.mask]!;
      sentAt[i] = this.sentAt[(this.head + i) & this.mask]!;
    }
    this.intended = intended;
    this.sentAt = sentAt;
    this.mask = size * 2 - 1;
    this.head = 0;
  }

  /** Writes as many queued requests as the pipeline has room for, in one write. */
  flush(now: number): void {
    const load = this.load;
    if (!this.connected || !load.running) return;
    const n = Math.min(this.queued, load.pipelining - this.inflight);
    if (n <= 0) return;
    let at = this.head + this.inflight;
    for (let i = 0; i < n; i++) this.sentAt[at++ & this.mask] = now;
    this.inflight += n;
    this.queued -= n;
    load.inflightTotal += n;
    load.sent += n;
    load.lastSendAt = now;
    this.link!.write(load.batches[n]!);
  }

  onData(chunk: Buffer, length: number): void {
    const load = this.load;
    const now = performance.now();
    load.chunkAt = now;
    this.parser.push(chunk, length);
    if (this.mustDrop) {
      this.drop(0);
      if (load.draining) load.settle();
      return;
    }
    if (load.running) this.flush(now);
    else if (load.draining) load.settle();
  }

  private onResponse(status: number, close: boolean): void {
    const load = this.load;
    load.requests++;
    // An interim response (100 Continue, 103 Early Hints): the final response is still to come.
    if (status < 200 && status !== 101) {
      load.classes[1]!++;
      return;
    }
    if (this.inflight === 0) {
      // A response to no request: the server is confused, and so would be every latency after it.
      load.requests--;
      load.countError('response without a request');
      this.mustDrop = true;
      this.parser.reset(); // stops parsing this chunk
      return;
    }
    const index = this.head;
    this.head = (index + 1) & this.mask;
    this.inflight--;
    load.inflightTotal--;
    const at = load.chunkAt;
    load.recorder.record((at - this.intended[index]!) * 1000);
    load.classes[(status / 100) | 0]!++;
    load.lastResponseAt = at;
    if (close) this.mustDrop = true;
    else if (!load.openLoop && load.running) this.enqueue(at);
  }

  private onParseError(message: string): void {
    this.load.countError(`malformed response (${message})`);
    this.mustDrop = true;
  }

  /** Destroys the socket; requests in flight are lost. During the load phase the connection is reopened. */
  drop(reconnectAfterMs: number): void {
    const load = this.load;
    this.mustDrop = false;
    const link = this.link;
    this.link = null;
    link?.destroy();
    this.connected = false;
    this.head = (this.head + this.inflight) & this.mask;
    load.inflightTotal -= this.inflight;
    this.inflight = 0;
    // A closed loop sends afresh on the new connection; an open loop keeps its queue (and the intended times).
    if (!load.openLoop) this.queued = 0;
    if (!load.running) return;
    if (reconnectAfterMs > 0) {
      setTimeout(() => {
        if (load.running && this.link === null) this.open();
      }, reconnectAfterMs);
    } else {
      this.open();
    }
  }

  /** Requests in flight sent at or before `before`, from the oldest. */
  expired(before: number): number {
    let n = 0;
    while (n < this.inflight && this.sentAt[(this.head + n) & this.mask]! <= before) n++;
    return n;
  }
}
