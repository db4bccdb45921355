// The worker's `sample` and `echo` commands: echo messages on a schedule, message k going to
// clients[k mod n] at start + k/rate (one timer catches up on every message whose time has come).
// A message is stamped with the time it is actually written, read per message, so its round trip
// is the server's and the network's alone: a stamp of the scheduled time would add the timers'
// lateness (millisecond resolution) to every round trip, a floor under every target. The lateness
// (actual minus scheduled send time) is recorded on its own, so a late loader still shows, beside
// the round trips instead of inside them.
import { Recorder } from '../kit/recorder.ts';
import type { ClientSet, LoadReceiver, MessageCounts } from './client-set.ts';
import { OPEN, type LoadClient } from './load-client.ts';
import { loadMessage, sharedClockMs, type ParsedMessage } from './message.ts';
import type { EchoedReply, SampledReply, WsCommand } from './protocol.ts';

/** One run of messages: message k goes to targets[(offset + k) mod n] at startMs + k / ratePerMs. */
interface Schedule {
  targets: LoadClient[];
  /** Index of the first target (sample: round-robin across samples). */
  offset: number;
  planned: number;
  ratePerMs: number;
  startMs: number;
  next: number;
  bytes: number;
  onSent: () => void;
}

export class EchoSchedule implements LoadReceiver {
  /** Round trips, from each message's actual send time. */
  private readonly rtt = new Recorder();
  /** How late each message left against its schedule. */
  private readonly lateness = new Recorder();
  /** Messages stamped before the current command began are leftovers of an earlier one, and ignored. */
  private opStartUs = 0;
  /** Called after an echo, while a command waits for the last ones. */
  private afterEcho: (() => void) | null = null;
  /** Where the next sample begins among the open clients. */
  private sampleCursor = 0;

  constructor(
    private readonly clients: ClientSet,
    private readonly counts: MessageCounts,
    private readonly messageTimeoutMs: number,
  ) {}

  /** `messages` over distinct open clients (round-robin across samples) at `rate` per second; resolves once they are answered or lost. */
  async sample(cmd: Extract<WsCommand, { cmd: 'sample' }>): Promise<SampledReply> {
    const targets = this.clients.openClients();
    if (targets.length === 0 || cmd.messages <= 0) {
      return { type: 'sampled', sent: 0, received: 0, lost: 0, unexpected: 0, rttUs: this.rtt.take(), latenessUs: this.lateness.take(), ...this.clients.takeDrops() };
    }
    const offset = this.sampleCursor % targets.length;
    this.sampleCursor = offset + cmd.messages;
    await this.run(targets, offset, cmd.messages, cmd.rate, cmd.bytes);
    await this.awaitEchoes();
    const c = this.counts;
    const lost = this.finish();
    return { type: 'sampled', sent: c.sent, received: c.received, lost, unexpected: c.unexpected, rttUs: this.rtt.take(), latenessUs: this.lateness.take(), ...this.clients.takeDrops() };
  }

  /** Every open client sends `ratePerClient` messages per second for durationS; resolves once they are answered or lost. */
  async echo(cmd: Extract<WsCommand, { cmd: 'echo' }>): Promise<EchoedReply> {
    const targets = this.clients.openClients();
    this.counts.reset();
    const rate = cmd.ratePerClient * targets.length;
    const planned = Math.ceil(cmd.durationS * rate);
    if (planned === 0) {
      const none = { sent: 0, received: 0, lost: 0, outOfOrder: 0, misrouted: 0, unexpected: 0 };
      return { type: 'echoed', clients: 0, ...none, rttUs: this.rtt.take(), latenessUs: this.lateness.take(), sendDurationS: 0, durationS: 0, ...this.clients.takeDrops() };
    }
    const startMs = await this.run(targets, 0, planned, rate, cmd.bytes);
    // Sending ended with the last message due, not when the timer happened to fire.
    const stopMs = Math.min(sharedClockMs(), startMs + cmd.durationS * 1000);
    await this.awaitEchoes();
    const c = this.counts;
    const lost = this.finish();
    return {
      type: 'echoed',
      clients: targets.length,
      sent: c.sent,
      received: c.received,
      lost,
      outOfOrder: c.outOfOrder,
      misrouted: c.misrouted,
      unexpected: c.unexpected,
      rttUs: this.rtt.take(),
      latenessUs: this.lateness.take(),
      sendDurationS: (stopMs - startMs) / 1000,
      durationS: (Math.max(stopMs, c.lastReceiveMs) - startMs) / 1000,
      ...this.clients.takeDrops(),
    };
  }

  /** Starts receiving and sends the schedule; resolves with its start time when the last message is sent. */
  private run(targets: LoadClient[], offset: number, planned: number, rate: number, bytes: number): Promise<number> {
    this.counts.reset();
    this.clients.receiver = this;
    const startMs = sharedClockMs();
    this.opStartUs = Math.floor(startMs * 1000);
    return new Promise((resolve) => this.tick({ targets, offset, planned, ratePerMs: rate / 1000, startMs, next: 0, bytes, onSent: () => resolve(startMs) }));
  }

  private tick(s: Schedule): void {
    const due = Math.min(s.planned, Math.floor((sharedClockMs() - s.startMs) * s.ratePerMs) + 1);
    const n = s.targets.length;
    const counts = this.counts;
    for (; s.next < due; s.next++) {
      const client = s.targets[(s.offset + s.next) % n]!;
      if (client.state !== OPEN) continue;
      const sendUs = sharedClockMs() * 1000;
      client.send(loadMessage(client.id, client.sendSeq++, Math.round(sendUs), s.bytes));
      this.lateness.record(sendUs - (s.startMs + s.next / s.ratePerMs) * 1000);
      counts.sent++;
    }
    if (s.next < s.planned) setTimeout(() => this.tick(s), Math.max(0, s.startMs + s.next / s.ratePerMs - sharedClockMs()));
    else s.onSent();
  }

  /** Resolves when every message sent is answered, or messageTimeoutMs after the last was sent. */
  private awaitEchoes(): Promise<void> {
    const counts = this.counts;
    if (counts.received >= counts.sent) return Promise.resolve();
    return new Promise((resolve) => {
      const finish = () => {
        clearTimeout(timer);
        this.afterEcho = null;
        resolve();
      };
      const timer = setTimeout(finish, this.messageTimeoutMs);
      this.afterEcho = () => {
        if (counts.received >= counts.sent) finish();
      };
    });
  }

  /** Stops receiving; the unanswered messages go into the round trips at messageTimeoutMs. Returns how many were lost. */
  private finish(): number {
    this.clients.receiver = null;
    const lost = Math.max(0, this.counts.sent - this.counts.received);
    this.rtt.recordMany(this.messageTimeoutMs * 1000, lost);
    return lost;
  }

  onLoad(client: LoadClient, m: ParsedMessage, nowMs: number): void {
    const counts = this.counts;
    if (m.sender !== client.id) {
      counts.misrouted++;
      return;
    }
    if (m.stampUs < this.opStartUs) return;
    counts.received++;
    this.rtt.record(nowMs * 1000 - m.stampUs);
    if (m.seq === client.expectSeq) client.expectSeq++;
    else if (m.seq > client.expectSeq) client.expectSeq = m.seq + 1;
    else counts.outOfOrder++;
    counts.lastReceiveMs = nowMs;
    this.afterEcho?.();
  }
}
