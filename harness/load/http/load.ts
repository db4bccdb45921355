// One worker's load: its connections, the phases (connecting, running, draining, ended), the open
// loop's schedule, timeouts, and the output. A plain class over the kit's transport, so that it runs
// in a worker (worker.ts) and in-process in tests alike.
//
// Closed loop (no rate): every connection keeps `pipelining` requests in flight and sends the next
// one when a response arrives. Latency runs from the request's send time.
//
// Open loop (rate): request k has the intended send time start + k/rate and goes to connection
// k mod connections. One timer catches up on every request whose time has come (however late the
// timer fired); a request whose connection has its pipeline full waits there, keeping its intended
// time. Latency runs from the INTENDED send time (as wrk2 does), so a stall of the server (or of
// this loader) shows in the latencies instead of silently slowing the request rate (coordinated
// omission). Timers fire in whole milliseconds, so a request may leave a millisecond or two after
// its intended time, and that lateness is part of its latency, as in wrk2 (sub-millisecond timing
// would take a busy loop, and a loader that always shows 100% CPU could not tell when it is the
// bottleneck).
//
// Timeouts: a request without a response after timeoutMs is one timeout (not also an error); its
// connection is destroyed and reopened, and requests behind it in the same pipeline that had not
// yet reached timeoutMs are dropped without being counted. A connect that takes longer is one error.
import { Recorder } from '../kit/recorder.ts';
import type { Endpoint, Link, LinkOwner } from '../kit/transport.ts';
import { Connection, type LoadState } from './connection.ts';
import type { WorkerConfig, WorkerOutput } from './types.ts';

/** Wait for in-flight responses after the load phase, at most. */
const DRAIN_MS = 1000;

export type Connect = (owner: LinkOwner, to: Endpoint) => Link;

export class HttpLoad implements LoadState {
  readonly pipelining: number;
  readonly openLoop: boolean;
  readonly batches: Buffer[];
  readonly recorder = new Recorder();
  readonly classes = [0, 0, 0, 0, 0, 0];
  running = false;
  draining = false;
  requests = 0;
  sent = 0;
  inflightTotal = 0;
  chunkAt = 0;
  lastResponseAt = 0;
  lastSendAt = 0;
  readonly connections: Connection[] = [];

  private errors = 0;
  private timeouts = 0;
  private readonly errorKinds = new Map<string, number>();
  private finished = false;
  private startAt = 0;
  private stopAt = 0;
  private readonly ratePerMs: number;
  private readonly durationMs: number;
  /** Requests the open loop sends in the load phase: those with an intended time before its end. */
  private readonly planned: number;
  private scheduled = 0;
  private pendingConnects = 0;
  private readonly timers: { start?: NodeJS.Timeout; tick?: NodeJS.Timeout; timeouts?: NodeJS.Timeout; stop?: NodeJS.Timeout; drain?: NodeJS.Timeout } = {};
  private readonly endpoint: Endpoint;
  private starting: Promise<void> | null = null;
  private began: (() => void) | null = null;
  private ended: (output: WorkerOutput) => void = () => {};
  /** Resolves with the output once the load has ended (its duration passed, or stop()). */
  readonly output: Promise<WorkerOutput>;

  /** `address`: the host as an IP address (the worker resolves a name once, not at every connect). */
  constructor(
    private readonly config: WorkerConfig,
    private readonly connectTo: Connect,
    address: string = config.host,
  ) {
    this.pipelining = config.pipelining;
    this.openLoop = config.rate !== undefined;
    this.ratePerMs = (config.rate ?? 0) / 1000;
    this.durationMs = config.durationS * 1000;
    this.planned = this.openLoop ? Math.ceil(this.durationMs * this.ratePerMs) : 0;
    this.endpoint = { host: address, port: config.port };
    // The request bytes, built once; batches[k] are views of one buffer.
    const request = Buffer.from(`GET ${config.path} HTTP/1.1\r\nHost: ${config.hostHeader}\r\n\r\n`, 'latin1');
    const all = Buffer.concat(Array.from({ length: this.pipelining }, () => request));
    this.batches = Array.from({ length: this.pipelining + 1 }, (_, k) => all.subarray(0, k * request.length));
    for (let i = 0; i < config.connections; i++) this.connections.push(new Connection(this));
    this.output = new Promise((resolve) => (this.ended = resolve));
  }

  connect(owner: LinkOwner): Link {
    return this.connectTo(owner, this.endpoint);
  }

  countError(kind: string): void {
    this.errors++;
    this.errorKinds.set(kind, (this.errorKinds.get(kind) ?? 0) + 1);
  }

  /** Opens every connection and begins when each has connected or failed (or after timeoutMs); resolves when the load has begun (or ended). */
  start(): Promise<void> {
    if (this.starting) return this.starting;
    this.starting = new Promise<void>((resolve) => (this.began = resolve));
    if (this.finished) {
      this.resolveBegan();
      return this.starting;
    }
    this.pendingConnects = this.connections.length;
    this.timers.start = setTimeout(() => this.begin(), this.config.timeoutMs);
    for (const c of this.connections) c.open();
    return this.starting;
  }

  connectedOne(): void {
    if (--this.pendingConnects === 0) this.begin();
  }

  private begin(): void {
    if (this.running || this.draining || this.finished) return;
    clearTimeout(this.timers.start);
    this.running = true;
    this.startAt = performance.now();
    for (const c of this.connections) {
      if (c.connected) c.begin(this.startAt);
      else if (c.link === null) c.open();
    }
    this.timers.timeouts = setInterval(() => this.checkTimeouts(), Math.min(100, Math.max(5, Math.round(this.config.timeoutMs / 10))));
    this.timers.stop = setTimeout(() => this.endLoad(), this.durationMs);
    if (this.openLoop) this.tick();
    this.resolveBegan();
  }

  private resolveBegan(): void {
    const began = this.began;
    this.began = null;
    began?.();
  }

  /** Open loop: sends every request whose intended time has come, and sets the timer for the next one. */
  private tick(): void {
    this.timers.tick = undefined;
    if (!this.running) return;
    const now = performance.now();
    const due = Math.min(this.planned, Math.floor((now - this.startAt) * this.ratePerMs) + 1);
    const first = this.scheduled;
    const connections = this.connections;
    const count = connections.length;
    for (; this.scheduled < due; this.scheduled++) connections[this.scheduled % count]!.enqueue(this.startAt + this.scheduled / this.ratePerMs);
    const touched = Math.min(count, this.scheduled - first);
    for (let i = 0; i < touched; i++) connections[(first + i) % count]!.flush(now);
    if (this.scheduled < this.planned) {
      const next = this.startAt + this.scheduled / this.ratePerMs;
      this.timers.tick = setTimeout(() => this.tick(), Math.max(0, next - performance.now()));
    }
  }

  /** One interval for the whole worker, checking the oldest request of each connection. */
  private checkTimeouts(): void {
    const before = performance.now() - this.config.timeoutMs;
    for (const c of this.connections) {
      if (c.link !== null && !c.connected) {
        if (c.connectStartedAt <= before) {
          this.countError('connect timeout');
          c.drop(0);
        }
        continue;
      }
      if (c.inflight === 0) continue;
      const n = c.expired(before);
      if (n === 0) continue;
      this.timeouts += n;
      c.drop(0);
    }
    this.settle();
  }

  /** The load phase is over: stop sending, wait briefly for the responses in flight. */
  private endLoad(): void {
    if (!this.running) return;
    // Requests whose intended time is before the end go out even if their tick is due after this timer.
    if (this.openLoop) this.tick();
    this.running = false;
    this.draining = true;
    const now = performance.now();
    // The open loop's sending ended with its last request due (or the last one it sent late), not when
    // this timer happened to fire: a late timer must not dilute the achieved rate.
    this.stopAt = this.openLoop ? Math.min(now, Math.max(this.startAt + this.durationMs, this.lastSendAt)) : now;
    clearTimeout(this.timers.tick);
    if (this.inflightTotal === 0) return this.finish();
    // Responses still in flight after this wait are dropped: counted neither as responses nor as
    // timeouts (their requests were sent, and `sent` says so).
    this.timers.drain = setTimeout(() => this.finish(), Math.min(DRAIN_MS, this.config.timeoutMs));
  }

  settle(): void {
    if (this.draining && this.inflightTotal === 0) this.finish();
  }

  /** Ends at once, without waiting for the responses in flight; `output` resolves with what there is. */
  stop(): void {
    if (this.running) this.stopAt = performance.now();
    this.finish();
  }

  private finish(): void {
    if (this.finished) return;
    this.finished = true;
    this.running = false;
    this.draining = false;
    if (this.stopAt === 0) this.stopAt = performance.now();
    const t = this.timers;
    for (const timer of [t.start, t.tick, t.timeouts, t.stop, t.drain]) clearTimeout(timer);
    for (const c of this.connections) c.drop(0);
    const c = this.classes;
    const { startAt, stopAt } = this;
    this.ended({
      durationS: startAt === 0 ? 0 : (Math.max(stopAt, this.lastResponseAt) - startAt) / 1000,
      sendDurationS: startAt === 0 ? 0 : (stopAt - startAt) / 1000,
      requests: this.requests,
      statusClasses: { '1xx': c[1]!, '2xx': c[2]!, '3xx': c[3]!, '4xx': c[4]!, '5xx': c[5]! },
      errors: this.errors,
      timeouts: this.timeouts,
      sent: this.sent,
      histogramUs: this.recorder.take(),
      errorKinds: Object.fromEntries(this.errorKinds),
    });
    this.resolveBegan(); // a stop before the load began
  }
}
