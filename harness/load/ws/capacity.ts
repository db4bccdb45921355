// The capacity ramp of the WebSocket loader: clients added step by step and held, each step's
// handshakes counted and an echo sample's round trips taken over distinct held clients, until a
// limit (the p95 round trip, failed connects, a resource of the loader) or the ceiling; the
// scenario reads the target between steps (onStep) while the clients stay connected.
import { UserError } from '../../errors.ts';
import { encodeHistogram, mergeHistograms } from '../kit/histogram.ts';
import { memAvailableBytes } from './limits.ts';
import type { OpenedReply, SampledReply, WsCommand } from './protocol.ts';
import type { WsCapacityOptions, WsCapacityRequest, WsCapacityResult, WsCapacityStep, WsLoaderOptions, WsStopReason } from './types.ts';
import { addKinds, DEFAULTS, handshakeSummary, lateness, WsWorkers, wsLatency } from './workers.ts';

/** The resource a connect error says is exhausted, if any. */
export function resourceStopReason(errorKinds: Record<string, number>): Exclude<WsStopReason, 'rtt-limit' | 'failures' | 'ceiling' | 'caller'> | null {
  const has = (...codes: string[]) => codes.some((c) => (errorKinds[c] ?? 0) > 0);
  if (has('EMFILE', 'ENFILE')) return 'file-descriptors';
  // EADDRINUSE: binding a source address with no port left (bind-before-connect fails there, not at connect).
  if (has('EADDRNOTAVAIL', 'EADDRINUSE')) return 'ports';
  if (has('ENOMEM', 'ENOBUFS')) return 'loader-memory';
  return null;
}

/** `total` split in proportion to `weights` (largest remainders), e.g. sample messages by clients held. */
export function splitByWeight(total: number, weights: number[]): number[] {
  const sum = weights.reduce((s, w) => s + w, 0);
  if (sum === 0) return weights.map(() => 0);
  const exact = weights.map((w) => (total * w) / sum);
  const out = exact.map(Math.floor);
  let left = total - out.reduce((s, n) => s + n, 0);
  const order = exact.map((x, i) => ({ i, frac: x - Math.floor(x) })).sort((a, b) => b.frac - a.frac);
  for (const { i } of order) {
    if (left <= 0) break;
    out[i]!++;
    left--;
  }
  return out;
}

const fmt = (n: number) => Math.round(n).toLocaleString('en-US');

function stopDetail(reason: WsStopReason, step: WsCapacityStep, o: { rttLimitMs: number; maxFailureRatio: number; maxClients: number; openFilesLimit: number; addresses: number }): string {
  const at = `at ${fmt(step.connected)} clients (step ${step.step})`;
  const kinds = Object.entries(step.handshakes.errorKinds)
    .map(([k, n]) => `${fmt(n)} × ${k}`)
    .join(', ');
  switch (reason) {
    case 'rtt-limit':
      return `p95 round trip ${step.rtt.latencyMs.p95.toFixed(1)} ms passed the ${o.rttLimitMs} ms limit ${at}${step.rtt.lost ? `; ${fmt(step.rtt.lost)} of ${fmt(step.rtt.sent)} sample messages unanswered` : ''}.`;
    case 'failures':
      return `${fmt(step.handshakes.failed)} of ${fmt(step.handshakes.ok + step.handshakes.failed)} connects failed in step ${step.step} (more than ${(o.maxFailureRatio * 100).toFixed(1)}%): ${kinds}.`;
    case 'ceiling':
      return `reached the ceiling of ${fmt(o.maxClients)} clients with ${fmt(step.connected)} connected.`;
    case 'ports':
      return `the loader ran out of source ports ${at}${o.addresses ? ` over ${o.addresses} source address(es)` : ' (the target is not on loopback, so all clients share one source address)'}: ${kinds}.`;
    case 'file-descriptors':
      return `a worker reached its open-files limit (${fmt(o.openFilesLimit)}) ${at}: ${kinds}. Raise the hard limit (ulimit -Hn, or run with CAP_SYS_RESOURCE), or allow more workers per CPU (maxWorkersPerCpu).`;
    case 'loader-memory':
      return `the loader machine ran low on memory ${at}${kinds ? `: ${kinds}` : ''}.`;
    case 'caller':
      return `the scenario stopped the ramp ${at}.`;
  }
}

/** Adds clients step by step, each held open, until a limit or the ceiling (WsLoader.capacity). */
export async function runCapacity(options: WsLoaderOptions, request: WsCapacityRequest, o: WsCapacityOptions = {}): Promise<WsCapacityResult> {
  const rttLimitMs = request.rttLimitMs ?? DEFAULTS.rttLimitMs;
  const maxFailureRatio = request.maxFailureRatio ?? DEFAULTS.maxFailureRatio;
  const sampleMessages = request.sampleMessages ?? DEFAULTS.sampleMessages;
  const sampleRate = request.sampleRate ?? DEFAULTS.sampleRate;
  const bytes = request.messageBytes ?? DEFAULTS.messageBytes;
  if (!Number.isInteger(request.stepClients) || request.stepClients < 1) throw new UserError(`stepClients must be a positive integer, got ${request.stepClients}`);
  if (!Number.isInteger(request.maxClients) || request.maxClients < 1) throw new UserError(`maxClients must be a positive integer, got ${request.maxClients}`);
  const mem = memAvailableBytes();
  const minFree = options.minFreeMemoryBytes ?? Math.max(512 * 1024 * 1024, (mem?.total ?? 0) * 0.05);
  const workers = await WsWorkers.start(options, request.url, request.protocol, request.maxClients, o.signal);
  try {
    const steps: WsCapacityStep[] = [];
    const allOpened: OpenedReply[] = [];
    let openWallMs = 0;
    let requested = 0;
    let stop: WsStopReason | null = null;
    const t0 = performance.now();
    for (let n = 1; stop === null; n++) {
      const mark = workers.cpuMark();
      const count = Math.min(request.stepClients, request.maxClients - requested);
      const opened = await workers.open(count, requested);
      requested += count;
      allOpened.push(...opened);
      const handshakes = handshakeSummary(opened);
      openWallMs += handshakes.wallMs;
      // The sample's messages go to the workers in proportion to the clients each holds.
      const split = splitByWeight(
        sampleMessages,
        opened.map((r) => r.open),
      );
      const sampled = (await workers.pool.all(
        split.map((m): WsCommand => ({ cmd: 'sample', messages: m, rate: Math.max(1e-3, (sampleRate * m) / Math.max(1, sampleMessages)), bytes })),
        'sampled',
      )) as SampledReply[];
      const rttHistogram = mergeHistograms(sampled.map((s) => s.rttUs));
      const dropKinds: Record<string, number> = {};
      for (const r of [...opened, ...sampled]) addKinds(dropKinds, r.dropKinds);
      const { wallMs: _, ...handshakeFigures } = handshakes;
      const sum = (f: (r: SampledReply) => number) => sampled.reduce((s, r) => s + f(r), 0);
      const step: WsCapacityStep = {
        step: n,
        requested,
        connected: sum((r) => r.open),
        handshakes: handshakeFigures,
        dropped: [...opened, ...sampled].reduce((s, r) => s + r.dropped, 0),
        dropKinds,
        unexpected: sum((r) => r.unexpected),
        rtt: {
          sent: sum((r) => r.sent),
          received: sum((r) => r.received),
          lost: sum((r) => r.lost),
          latencyMs: wsLatency(rttHistogram),
          histogramUs: encodeHistogram(rttHistogram),
        },
        rttLateness: lateness(sampled),
        loaderCpuPct: workers.busiestSince(mark).loaderCpuPct,
        atMs: performance.now() - t0,
        stop: null,
      };
      const attempted = handshakes.ok + handshakes.failed;
      const free = memAvailableBytes();
      stop =
        resourceStopReason(handshakes.errorKinds) ??
        (attempted > 0 && handshakes.failed / attempted > maxFailureRatio ? 'failures' : null) ??
        (step.connected === 0 ? 'failures' : null) ??
        (step.rtt.latencyMs.p95 > rttLimitMs ? 'rtt-limit' : null) ??
        (free && free.available < minFree ? 'loader-memory' : null) ??
        (requested >= request.maxClients ? 'ceiling' : null);
      step.stop = stop;
      steps.push(step);
      const verdict = await o.onStep?.(step);
      if (stop === null && verdict === 'stop') {
        stop = 'caller';
        step.stop = 'caller';
      }
    }
    const last = steps.at(-1)!;
    const within = steps.filter((s) => s.rtt.latencyMs.p95 <= rttLimitMs && s.handshakes.failed <= maxFailureRatio * (s.handshakes.ok + s.handshakes.failed) && s.connected > 0);
    const { wallMs: _, ...handshakes } = handshakeSummary(allOpened);
    const { openFilesLimit, sourceAddresses } = workers;
    return {
      steps,
      stopReason: stop,
      stopDetail: stopDetail(stop, last, { rttLimitMs, maxFailureRatio, maxClients: request.maxClients, openFilesLimit, addresses: sourceAddresses.length }),
      maxClientsWithinLimits: Math.max(0, ...within.map((s) => s.connected)),
      maxConnected: Math.max(0, ...steps.map((s) => s.connected)),
      handshakes: { ...handshakes, perS: openWallMs > 0 ? handshakes.ok / (openWallMs / 1000) : 0 },
      rttLimitMs,
      sourceAddresses,
      openFilesLimit,
      workers: workers.size,
    };
  } finally {
    await workers.close();
  }
}
