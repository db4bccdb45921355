// The WebSocket loader's echo run: a fixed number of clients over the workers, each sending at a
// fixed rate for a duration (open loop, echo-schedule.ts in each worker), the workers' round trips,
// lateness and counts merged.
import { UserError } from '../../errors.ts';
import { encodeHistogram, mergeHistograms } from '../kit/histogram.ts';
import type { EchoedReply } from './protocol.ts';
import type { WsEchoRequest, WsEchoResult, WsLoaderOptions } from './types.ts';
import { addKinds, DEFAULTS, handshakeSummary, lateness, WsWorkers, wsLatency } from './workers.ts';

export async function runEcho(options: WsLoaderOptions, request: WsEchoRequest, signal?: AbortSignal): Promise<WsEchoResult> {
  if (!(request.ratePerClient > 0) || !(request.durationS > 0)) throw new UserError('echo needs a positive ratePerClient and durationS.');
  const bytes = request.messageBytes ?? DEFAULTS.messageBytes;
  const workers = await WsWorkers.start(options, request.url, request.protocol, request.clients, signal);
  try {
    const opened = await workers.open(request.clients, 0);
    const { wallMs: _, ...handshakes } = handshakeSummary(opened);
    const mark = workers.cpuMark();
    const echoed: EchoedReply[] = await workers.each({ cmd: 'echo', ratePerClient: request.ratePerClient, durationS: request.durationS, bytes }, 'echoed');
    const cpu = workers.busiestSince(mark);
    const h = mergeHistograms(echoed.map((e) => e.rttUs));
    const sum = (f: (e: EchoedReply) => number) => echoed.reduce((s, e) => s + f(e), 0);
    const durationS = Math.max(0, ...echoed.map((e) => e.durationS));
    const clients = sum((e) => e.clients);
    return {
      clients,
      handshakes,
      durationS,
      rtt: { sent: sum((e) => e.sent), received: sum((e) => e.received), lost: sum((e) => e.lost), latencyMs: wsLatency(h), histogramUs: encodeHistogram(h) },
      lateness: lateness(echoed),
      messagesPerS: durationS > 0 ? sum((e) => e.received) / durationS : 0,
      requestedRate: request.ratePerClient * clients,
      achievedRate: sum((e) => (e.sendDurationS > 0 ? e.sent / e.sendDurationS : 0)),
      outOfOrder: sum((e) => e.outOfOrder),
      misrouted: sum((e) => e.misrouted),
      unexpected: sum((e) => e.unexpected),
      dropped: sum((e) => e.dropped) + opened.reduce((s, o) => s + o.dropped, 0),
      dropKinds: [...opened, ...echoed].reduce((k, r) => addKinds(k, r.dropKinds), {} as Record<string, number>),
      ...cpu,
    };
  } finally {
    await workers.close();
  }
}
