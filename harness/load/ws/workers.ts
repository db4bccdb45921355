// The WebSocket loader's side of its workers (worker.ts), on the kit's process pool
// (../kit/pool.ts): one long-lived worker per loader CPU, more per CPU when one process may not
// open enough descriptors, each with its open-files limit raised by prlimit; the workers' shared
// configuration (the target resolved once, the clients spread over loopback source addresses and
// explicit source ports); opening clients split over the workers; and the workers' replies merged
// into the loader's figures (histograms merged exactly, error and drop kinds summed).
import { fileURLToPath } from 'node:url';
import { UserError } from '../../errors.ts';
import { encodeHistogram, latencyWithP95, mergeHistograms, splitEvenly, type Histogram } from '../kit/histogram.ts';
import { WorkerPool, type CpuMark } from '../kit/pool.ts';
import { MAX_OPEN_FILES, openFilesPlan, planWorkerCpus, sourceAddressesFor, sourcePortRange } from './limits.ts';
import type { OpenedReply, WsCommand, WsReply, WsWorkerConfig } from './protocol.ts';
import { resolveTarget, type WsTarget } from './target.ts';
import type { WsHandshakes, WsLatencyMs, WsLoaderOptions, WsProtocol, WsScheduleLateness } from './types.ts';

/** The worker program (run as `<runtime.command...> WS_WORKER_PATH '<json>'`). */
export const WS_WORKER_PATH = fileURLToPath(new URL('./worker.ts', import.meta.url));

export const DEFAULTS = {
  maxOpenFiles: MAX_OPEN_FILES,
  clientsPerSourceAddress: 20_000,
  connectTimeoutMs: 10_000,
  messageTimeoutMs: 5_000,
  connectConcurrency: 128,
  rttLimitMs: 250,
  maxFailureRatio: 0.01,
  sampleMessages: 200,
  sampleRate: 200,
  messageBytes: 32,
  maxWorkersPerCpu: 16,
} as const;

/** A worker asked to close gets this long for its close handshakes before it is killed. */
const CLOSE_GRACE_MS = 5000;

/** Latency summary in ms (with p95) from a histogram in µs. */
export const wsLatency: (h: Histogram) => WsLatencyMs = latencyWithP95;

/** The workers' schedule lateness, merged exactly as their round trips are. */
export function lateness(replies: { latenessUs: string }[]): WsScheduleLateness {
  const h = mergeHistograms(replies.map((r) => r.latenessUs));
  return { latencyMs: wsLatency(h), histogramUs: encodeHistogram(h) };
}

export const addKinds = (into: Record<string, number>, from: Record<string, number>) => {
  for (const [k, n] of Object.entries(from)) into[k] = (into[k] ?? 0) + n;
  return into;
};

/** The handshakes of `open` replies together; wallMs: how long the opening took (the workers open in parallel). */
export function handshakeSummary(opened: OpenedReply[]): WsHandshakes & { wallMs: number } {
  const merged = mergeHistograms(opened.map((o) => o.handshakeUs));
  const ok = opened.reduce((s, o) => s + o.ok, 0);
  const wallMs = Math.max(0, ...opened.map((o) => o.openMs));
  return {
    ok,
    failed: opened.reduce((s, o) => s + o.failed, 0),
    errorKinds: opened.reduce((k, o) => addKinds(k, o.errorKinds), {} as Record<string, number>),
    perS: wallMs > 0 ? ok / (wallMs / 1000) : 0,
    latencyMs: wsLatency(merged),
    histogramUs: encodeHistogram(merged),
    wallMs,
  };
}

/** The loader's workers for one request: started, told where to connect, closed at the end. */
export class WsWorkers {
  private constructor(
    readonly pool: WorkerPool<WsCommand, WsReply>,
    readonly target: WsTarget,
    /** Loopback source addresses the clients are spread over ([]: the kernel chooses). */
    readonly sourceAddresses: string[],
    /** The lowest open-files limit among the workers. */
    readonly openFilesLimit: number,
  ) {}

  /** Workers for up to `clients` clients of `url`. */
  static async start(options: WsLoaderOptions, url: string, protocol: WsProtocol | undefined, clients: number, signal: AbortSignal | undefined): Promise<WsWorkers> {
    if (!Number.isInteger(clients) || clients < 1) throw new UserError(`clients must be a positive integer, got ${clients}`);
    const target = await resolveTarget(url, protocol);
    const ports = sourcePortRange();
    // Room for retries: a port in use elsewhere (a listener, a socket in TIME_WAIT) is skipped.
    const perAddress = options.clientsPerSourceAddress ?? DEFAULTS.clientsPerSourceAddress;
    const spread = Math.max(1, Math.min(perAddress, Math.floor((ports.high - ports.low + 1) * 0.9)));
    const sourceAddresses = sourceAddressesFor(target.ip, clients, spread);
    const openFiles = openFilesPlan(options.maxOpenFiles ?? DEFAULTS.maxOpenFiles);
    const cpus = planWorkerCpus(clients, options.cpus, openFiles.limit, options.maxWorkersPerCpu ?? DEFAULTS.maxWorkersPerCpu);
    const config: WsWorkerConfig = {
      host: target.ip,
      port: target.port,
      hostHeader: target.hostHeader,
      origin: options.origin === undefined ? `http://${target.hostHeader}` : options.origin,
      sourceAddresses,
      sourcePorts: sourceAddresses.length ? { ...ports, planned: Math.ceil(clients / sourceAddresses.length) } : null,
      connectTimeoutMs: options.connectTimeoutMs ?? DEFAULTS.connectTimeoutMs,
      messageTimeoutMs: options.messageTimeoutMs ?? DEFAULTS.messageTimeoutMs,
      // The loader's total, shared by its workers: more workers must not mean more handshakes queued at the server.
      connectConcurrency: Math.max(1, Math.ceil((options.connectConcurrency ?? DEFAULTS.connectConcurrency) / cpus.length)),
      ...(target.socketio && { socketio: target.socketio }),
    };
    const { pool, ready } = await WorkerPool.start<WsCommand, WsReply>({
      script: WS_WORKER_PATH,
      runtime: options.runtime,
      cpus,
      config: () => config,
      wrap: openFiles.wrap,
      ...(options.spawner && { spawner: options.spawner }),
      what: "The harness's WebSocket load generator",
      ...(signal && { signal }),
    });
    return new WsWorkers(pool, target, sourceAddresses, Math.min(...ready.map((r) => Number(r.openFilesLimit))));
  }

  get size(): number {
    return this.pool.size;
  }

  /** Opens `clients` clients split over the workers, with consecutive ids from `firstId`. */
  async open(clients: number, firstId: number): Promise<OpenedReply[]> {
    let id = firstId;
    const cmds = splitEvenly(clients, this.pool.size).map((count): WsCommand => {
      const cmd: WsCommand = { cmd: 'open', path: this.target.path, count, firstId: id };
      id += count;
      return cmd;
    });
    return (await this.pool.all(cmds, 'opened')) as OpenedReply[];
  }

  /** The same command to every worker. */
  each<T extends WsReply['type']>(cmd: WsCommand, type: T): Promise<Extract<WsReply, { type: T }>[]> {
    return this.pool.each(cmd, type);
  }

  cpuMark(): (CpuMark | null)[] {
    return this.pool.cpuMark();
  }

  /** The busiest loader CPU since `mark`, and every CPU's use when each is known. */
  busiestSince(mark: (CpuMark | null)[]): { loaderCpuPct: number | null; loaderCpuPerCpu?: number[] } {
    const cpu = this.pool.cpuSince(mark);
    const known = cpu.filter((p): p is number => p !== null);
    return { loaderCpuPct: known.length ? Math.max(...known) : null, ...(known.length === cpu.length && { loaderCpuPerCpu: known }) };
  }

  /** Close handshakes, then the workers exit; those that do not are killed. */
  close(): Promise<void> {
    return this.pool.close({ cmd: 'close' }, 'closed', CLOSE_GRACE_MS);
  }
}
