// The WebSocket loader's broadcast run: clients on a broadcast endpoint over the workers, worker 0's
// first open client sending round after round (broadcast-rounds.ts), every worker counting each
// round's deliveries; the per-round counts are summed across workers to find the rounds that
// reached every client, and the fan-out time of each (its latest delivery).
import { UserError } from '../../errors.ts';
import { emptyHistogram, encodeHistogram, mergeHistograms } from '../kit/histogram.ts';
import { HIGHEST_US } from '../kit/recorder.ts';
import type { CollectedReply, WsCommand } from './protocol.ts';
import type { WsBroadcastRequest, WsBroadcastResult, WsLoaderOptions } from './types.ts';
import { addKinds, DEFAULTS, handshakeSummary, WsWorkers, wsLatency } from './workers.ts';

/** A base64 Uint32Array of a `collected` reply. */
const uint32s = (base64: string) => new Uint32Array(new Uint8Array(Buffer.from(base64, 'base64')).buffer);

export async function runBroadcast(options: WsLoaderOptions, request: WsBroadcastRequest, signal?: AbortSignal): Promise<WsBroadcastResult> {
  if (!(request.durationS > 0)) throw new UserError('broadcast needs a positive durationS.');
  if (request.rate !== undefined && !(request.rate > 0)) throw new UserError(`broadcast rate must be positive, got ${request.rate}`);
  const bytes = request.messageBytes ?? DEFAULTS.messageBytes;
  const workers = await WsWorkers.start(options, request.url, request.protocol, request.clients, signal);
  const { pool } = workers;
  try {
    const opened = await workers.open(request.clients, 0);
    const { wallMs: _, ...handshakes } = handshakeSummary(opened);
    // Worker 0's first open client broadcasts; the others learn its id.
    const first = await pool.request(0, { cmd: 'listen', sender: -1 }, 'listening');
    if (first.sender < 0) throw new UserError(`No client could connect to ${request.url} to broadcast from: ${JSON.stringify(handshakes.errorKinds)}.`);
    const others = await pool.all(
      Array.from({ length: pool.size }, (_, i): WsCommand | null => (i === 0 ? null : { cmd: 'listen', sender: first.sender })),
      'listening',
    );
    const mark = workers.cpuMark();
    const sentRounds = await pool.request(0, { cmd: 'send-rounds', rate: request.rate ?? null, durationS: request.durationS, bytes }, 'rounds-sent');
    const collected: CollectedReply[] = await workers.each({ cmd: 'collect', rounds: sentRounds.rounds }, 'collected');
    const cpu = workers.busiestSince(mark);

    const rounds = sentRounds.rounds;
    const totals = new Float64Array(rounds);
    const maxUs = new Float64Array(rounds);
    for (const c of collected) {
      const counts = uint32s(c.counts);
      const max = uint32s(c.maxUs);
      for (let r = 0; r < rounds; r++) {
        totals[r]! += counts[r] ?? 0;
        if ((max[r] ?? 0) > maxUs[r]!) maxUs[r] = max[r]!;
      }
    }
    const clientsAtEnd = collected.reduce((s, c) => s + c.open, 0);
    const fanout = emptyHistogram();
    let complete = 0;
    let deliveries = 0;
    for (let r = 0; r < rounds; r++) {
      deliveries += totals[r]!;
      if (clientsAtEnd > 0 && totals[r]! >= clientsAtEnd) {
        complete++;
        fanout.recordValue(Math.min(Math.max(1, maxUs[r]!), HIGHEST_US));
      }
    }
    const delivery = mergeHistograms(collected.map((c) => c.deliveryUs));
    const lastMs = Math.max(sentRounds.endMs, ...collected.map((c) => c.lastDeliveryMs));
    const durationS = rounds > 0 ? (lastMs - sentRounds.startMs) / 1000 : 0;
    const expected = rounds * clientsAtEnd;
    const replies = [...opened, first, ...others.filter((x) => x !== null), ...collected];
    return {
      clients: first.open + others.reduce((s, x) => s + (x?.open ?? 0), 0),
      handshakes,
      mode: request.rate === undefined ? 'closed' : 'open',
      rounds,
      completeRounds: complete,
      deliveries,
      expectedDeliveries: expected,
      missing: Math.max(0, expected - deliveries),
      outOfOrder: collected.reduce((s, c) => s + c.outOfOrder, 0),
      unexpected: collected.reduce((s, c) => s + c.unexpected, 0),
      durationS,
      deliveriesPerS: durationS > 0 ? deliveries / durationS : 0,
      fanoutMs: wsLatency(fanout),
      fanoutHistogramUs: encodeHistogram(fanout),
      deliveryMs: wsLatency(delivery),
      deliveryHistogramUs: encodeHistogram(delivery),
      dropped: replies.reduce((s, r) => s + r.dropped, 0),
      dropKinds: replies.reduce((k, r) => addKinds(k, r.dropKinds), {} as Record<string, number>),
      ...cpu,
    };
  } finally {
    await workers.close();
  }
}
