// The worker's broadcast commands: `listen` (every worker: count the broadcaster's rounds from now
// on), `send-rounds` (the broadcaster's worker: its first open client sends round after round,
// closed or open loop) and `collect` (every worker: wait until every round reached every open
// client here, then report per round how many had it and how late the last one was).
import { Recorder } from '../kit/recorder.ts';
import type { ClientSet, LoadReceiver, MessageCounts } from './client-set.ts';
import { OPEN, type LoadClient } from './load-client.ts';
import { loadMessage, sharedClockMs, type ParsedMessage } from './message.ts';
import type { CollectedReply, ListeningReply, RoundsSentReply, WsCommand } from './protocol.ts';

/** Broadcast rounds beyond this are taken for garbage (the per-round arrays would grow without bound). */
const MAX_ROUNDS = 50_000_000;
/** How often the closed loop checks for a lost round and for its end. */
const WATCHDOG_MS = 100;

export class BroadcastRounds implements LoadReceiver {
  /** The broadcaster's id; -1: none. */
  private broadcaster = -1;
  /** This worker's client that sends (listen with sender -1). */
  private sender: LoadClient | null = null;
  /** Per round: deliveries here, and the latest delivery's latency in µs. */
  private roundCounts = new Uint32Array(1024);
  private roundMaxUs = new Uint32Array(1024);
  /** Per delivery: its latency. */
  private readonly deliveries = new Recorder();
  /** Messages stamped before `listen` are leftovers of an earlier command, and ignored. */
  private opStartUs = 0;
  /** Called after a delivery, while a collect or the closed-loop sender waits. */
  private afterDelivery: ((client: LoadClient, seq: number) => void) | null = null;

  constructor(
    private readonly clients: ClientSet,
    private readonly counts: MessageCounts,
    private readonly messageTimeoutMs: number,
  ) {}

  listen(cmd: Extract<WsCommand, { cmd: 'listen' }>): ListeningReply {
    const first = this.clients.openClients()[0];
    this.broadcaster = cmd.sender >= 0 ? cmd.sender : (first?.id ?? -1);
    this.sender = cmd.sender < 0 ? (first ?? null) : null;
    this.counts.reset();
    this.roundCounts = new Uint32Array(1024);
    this.roundMaxUs = new Uint32Array(1024);
    this.deliveries.take();
    for (const c of this.clients.all()) c.expectSeq = 0;
    this.clients.receiver = this;
    this.opStartUs = Math.floor(sharedClockMs() * 1000);
    return { type: 'listening', sender: this.broadcaster, ...this.clients.takeDrops() };
  }

  sendRounds(cmd: Extract<WsCommand, { cmd: 'send-rounds' }>): Promise<RoundsSentReply> {
    const client = this.sender;
    if (!client || client.state !== OPEN) return Promise.reject(new Error('the broadcaster is not connected (send listen with sender -1 first)'));
    return new Promise((resolve) => {
      let rounds = 0;
      let lastSentMs = 0;
      let running = true;
      const startMs = sharedClockMs();
      const endAt = startMs + cmd.durationS * 1000;
      const sendOne = (stampMs: number) => {
        if (client.state !== OPEN) return;
        client.send(loadMessage(client.id, rounds++, Math.round(stampMs * 1000), cmd.bytes));
        lastSentMs = sharedClockMs();
      };
      let timer: NodeJS.Timeout | null = null;
      let watchdog: NodeJS.Timeout | null = null;
      const stop = () => {
        if (!running) return;
        running = false;
        if (timer) clearTimeout(timer);
        if (watchdog) clearInterval(watchdog);
        this.afterDelivery = null;
        resolve({ type: 'rounds-sent', rounds, startMs, endMs: cmd.rate === null ? lastSentMs : Math.min(sharedClockMs(), endAt) });
      };
      if (cmd.rate === null) {
        // Closed loop: the next round leaves when the broadcaster has its own copy of the last one; a
        // copy that does not come within messageTimeoutMs lets the next round go anyway.
        this.afterDelivery = (c, seq) => {
          if (c !== client || seq !== rounds - 1 || !running) return;
          if (sharedClockMs() >= endAt) stop();
          else sendOne(sharedClockMs());
        };
        watchdog = setInterval(() => {
          const now = sharedClockMs();
          if (now >= endAt || client.state !== OPEN) stop();
          else if (now - lastSentMs >= this.messageTimeoutMs) sendOne(now);
        }, WATCHDOG_MS);
        sendOne(startMs);
      } else {
        // Open loop: round k is due at start + k/rate, stamped with that time.
        const perMs = cmd.rate / 1000;
        const planned = Math.ceil(cmd.durationS * cmd.rate);
        const tick = () => {
          timer = null;
          const due = Math.min(planned, Math.floor((sharedClockMs() - startMs) * perMs) + 1);
          while (rounds < due && client.state === OPEN) sendOne(startMs + rounds / perMs);
          if (rounds >= planned || client.state !== OPEN) stop();
          else timer = setTimeout(tick, Math.max(0, startMs + rounds / perMs - sharedClockMs()));
        };
        tick();
      }
    });
  }

  collect(cmd: Extract<WsCommand, { cmd: 'collect' }>): Promise<CollectedReply> {
    const rounds = Math.min(cmd.rounds, MAX_ROUNDS);
    if (rounds > this.roundCounts.length) this.growRounds(rounds);
    return new Promise((resolve) => {
      let complete = 0;
      let timer: NodeJS.Timeout | null = null;
      const advance = () => {
        const counts = this.roundCounts;
        const held = this.clients.held;
        while (complete < rounds && counts[complete]! >= held && complete < counts.length) complete++;
        return complete >= rounds;
      };
      const finish = () => {
        if (timer) clearTimeout(timer);
        this.afterDelivery = null;
        this.clients.receiver = null;
        if (rounds > this.roundCounts.length) this.growRounds(rounds);
        resolve({
          type: 'collected',
          counts: Buffer.from(this.roundCounts.buffer, 0, rounds * 4).toString('base64'),
          maxUs: Buffer.from(this.roundMaxUs.buffer, 0, rounds * 4).toString('base64'),
          deliveryUs: this.deliveries.take(),
          outOfOrder: this.counts.outOfOrder,
          unexpected: this.counts.unexpected,
          lastDeliveryMs: this.counts.lastReceiveMs,
          ...this.clients.takeDrops(),
        });
      };
      if (advance()) return finish();
      this.afterDelivery = () => {
        if (advance()) finish();
      };
      timer = setTimeout(finish, this.messageTimeoutMs);
    });
  }

  private growRounds(to: number): void {
    let size = this.roundCounts.length;
    while (size <= to) size *= 2;
    const counts = new Uint32Array(size);
    counts.set(this.roundCounts);
    const max = new Uint32Array(size);
    max.set(this.roundMaxUs);
    this.roundCounts = counts;
    this.roundMaxUs = max;
  }

  onLoad(client: LoadClient, m: ParsedMessage, nowMs: number): void {
    const counts = this.counts;
    // Only the broadcaster sends.
    if (m.sender !== this.broadcaster) {
      counts.unexpected++;
      return;
    }
    if (m.stampUs < this.opStartUs || m.seq >= MAX_ROUNDS) return;
    const seq = m.seq;
    if (seq < client.expectSeq) {
      // Had it already, or it comes after a later round: not a delivery in order.
      counts.outOfOrder++;
      return;
    }
    client.expectSeq = seq + 1;
    if (seq >= this.roundCounts.length) this.growRounds(seq);
    const us = Math.max(1, Math.round(nowMs * 1000 - m.stampUs));
    this.roundCounts[seq]!++;
    if (us > this.roundMaxUs[seq]!) this.roundMaxUs[seq] = Math.min(us, 0xffffffff);
    this.deliveries.record(us);
    counts.lastReceiveMs = nowMs;
    this.afterDelivery?.(client, seq);
  }
}
