// The harness's own HTTP/1.1 load generator (`--loader harness`): one worker process (worker.ts)
// per loader CPU on the kit's pool (pinned there, run by Bun or by Node through tsx). The
// connections (and, in the open loop, the rate) are split over the workers; their counts are summed
// and their latency histograms merged exactly. Each worker's CPU use is read over its load phase, so
// that a loader that limited the trial can be told apart from a server that did.
import { fileURLToPath } from 'node:url';
import { median } from 'simple-statistics';
import { UserError } from '../../errors.ts';
import type { HttpLoader, HttpLoadRequest, HttpLoadResult, StatusClasses } from '../../types.ts';
import { encodeHistogram, latencyFromHistogram, mergeHistograms, splitEvenly } from '../kit/histogram.ts';
import { WorkerPool, type CpuMark, type ProgramRuntime } from '../kit/pool.ts';
import type { WorkerSpawner } from '../kit/spawner.ts';
import type { HttpCommand, HttpReply, WorkerConfig, WorkerOutput } from './types.ts';

export type { WorkerConfig, WorkerOutput } from './types.ts';

/** The worker program (run as `<runtime.command...> WORKER_PATH '<json>'`). */
export const WORKER_PATH = fileURLToPath(new URL('./worker.ts', import.meta.url));

/** How long a request may wait for its response before it counts as a timeout (autocannon's was 10 s too). */
export const DEFAULT_TIMEOUT_MS = 10_000;

export interface HttpLoaderOptions {
  /** Loader CPUs: one worker per CPU (never more workers than connections), pinned there. */
  cpus: number[];
  /** What runs a .ts program: e.g. { name: 'bun', version: '1.4.5', command: ['/path/to/bun'] }, or node with ['node', '--import', '<tsx>']. */
  runtime: ProgramRuntime;
  /** Default DEFAULT_TIMEOUT_MS. */
  timeoutMs?: number;
  /** Where the workers run: default, child processes here; containerSpawner, containers on another host (`cpus` are then that host's). */
  spawner?: WorkerSpawner;
}

/** An HTTP load result with the errors by kind (e.g. { ECONNREFUSED: 3264 }). */
export type HttpLoadOutcome = HttpLoadResult & { errorKinds: Record<string, number> };

/** The workers' configurations for a request: connections split evenly, the rate in proportion to them (every connection gets the same rate). */
export function planWorkers(request: HttpLoadRequest, workers: number, timeoutMs: number): WorkerConfig[] {
  const url = new URL(request.url);
  if (url.protocol !== 'http:') throw new UserError(`The harness's loader speaks plain HTTP/1.1 only, not ${url.protocol} (${request.url}).`);
  const host = url.hostname.startsWith('[') ? url.hostname.slice(1, -1) : url.hostname;
  const n = Math.max(1, Math.min(workers, request.connections));
  return splitEvenly(request.connections, n).map((connections) => ({
    host,
    port: url.port ? Number(url.port) : 80,
    path: (url.pathname || '/') + url.search,
    hostHeader: url.host,
    connections,
    durationS: request.durationS,
    pipelining: request.pipelining,
    ...(request.rate !== undefined && { rate: (request.rate * connections) / request.connections }),
    timeoutMs,
  }));
}

/** The workers' outputs as one result (loader CPU use is added by the caller). */
export function combineOutputs(request: HttpLoadRequest, outputs: WorkerOutput[]): Omit<HttpLoadOutcome, 'loaderCpuPct'> {
  const statusClasses: StatusClasses = { '1xx': 0, '2xx': 0, '3xx': 0, '4xx': 0, '5xx': 0 };
  const errorKinds: Record<string, number> = {};
  let requests = 0;
  let errors = 0;
  let timeouts = 0;
  let achievedRate = 0;
  for (const o of outputs) {
    for (const k of Object.keys(statusClasses) as (keyof StatusClasses)[]) statusClasses[k] += o.statusClasses[k];
    for (const [kind, n] of Object.entries(o.errorKinds)) errorKinds[kind] = (errorKinds[kind] ?? 0) + n;
    requests += o.requests;
    errors += o.errors;
    timeouts += o.timeouts;
    if (o.sendDurationS > 0) achievedRate += o.sent / o.sendDurationS;
  }
  const durationS = outputs.length ? median(outputs.map((o) => o.durationS)) : 0;
  const merged = mergeHistograms(outputs.map((o) => o.histogramUs));
  const open = request.rate !== undefined;
  return {
    durationS,
    requests,
    rps: durationS > 0 ? statusClasses['2xx'] / durationS : 0,
    latencyMs: latencyFromHistogram(merged),
    errors,
    timeouts,
    non2xx: requests - statusClasses['2xx'],
    statusClasses,
    histogramUs: encodeHistogram(merged),
    mode: open ? 'open' : 'closed',
    ...(open && { requestedRate: request.rate, achievedRate }),
    errorKinds,
  };
}

export function createHttpLoader(options: HttpLoaderOptions): HttpLoader {
  const { cpus, runtime } = options;
  const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  if (cpus.length === 0) throw new UserError('The harness loader needs at least one loader CPU.');
  if (runtime.command.length === 0) throw new UserError('The harness loader needs a command that runs a .ts program.');
  return {
    name: 'harness',
    version: '1',
    // What actually runs the workers: a container spawner's image decides it.
    runtime: `${(options.spawner?.runtime ?? runtime).name} ${(options.spawner?.runtime ?? runtime).version}`,
    can: { openLoop: true },
    async run(request: HttpLoadRequest, signal?: AbortSignal, onStart?: () => void): Promise<HttpLoadOutcome> {
      const configs = planWorkers(request, cpus.length, timeoutMs);
      const { pool } = await WorkerPool.start<HttpCommand, HttpReply>({
        script: WORKER_PATH,
        runtime,
        cpus: cpus.slice(0, configs.length),
        config: (i) => configs[i],
        what: `The harness's HTTP load generator against ${request.url}`,
        ...(options.spawner && { spawner: options.spawner }),
        ...(signal && { signal }),
      });
      try {
        await pool.each({ cmd: 'start' }, 'started');
        const begun = pool.cpuMark();
        onStart?.();
        // Each worker's CPU time is read when its report arrives: its load has ended then.
        const ended: (CpuMark | null)[] = begun.map(() => null);
        const outputs = await Promise.all(
          configs.map(async (_, i) => {
            const { output } = await pool.request(i, { cmd: 'report' }, 'report');
            ended[i] = pool.cpuMark()[i] ?? null;
            return output;
          }),
        );
        const perCpu = pool.cpuSince(begun, ended);
        const known = perCpu.filter((p): p is number => p !== null);
        return {
          ...combineOutputs(request, outputs),
          loaderCpuPct: known.length ? Math.max(...known) : null,
          ...(known.length === perCpu.length && { loaderCpuPerCpu: known }),
        };
      } finally {
        await pool.kill();
      }
    },
  };
}
