// The harness's own HTTP/1.1 load generator: one worker process (worker.ts) per loader CPU, each
// pinned there with taskset, run by Bun or by Node (through tsx). The connections (and, in the open
// loop, the rate) are split over the workers; their counts are summed and their latency histograms
// merged exactly. Each worker's CPU use is read from /proc over its load phase, so that a loader
// that limited the trial can be told apart from a server that did.
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import * as hdr from 'hdr-histogram-js';
import { UserError } from '../../errors.ts';
import { readProcStat } from '../../runtime/process-tree.ts';
import type { HttpLoader, HttpLoadRequest, HttpLoadResult, LatencyMs, StatusClasses } from '../../types.ts';
import { LOAD_STARTED } from '../protocol.ts';
import type { WorkerConfig, WorkerOutput } from './types.ts';

export type { WorkerConfig, WorkerOutput } from './types.ts';

/** The worker program (run as `<runtime.command...> WORKER_PATH '<json>'`). */
export const WORKER_PATH = fileURLToPath(new URL('./worker.ts', import.meta.url));

/** How long a request may wait for its response before it counts as a timeout (autocannon's was 10 s too). */
export const DEFAULT_TIMEOUT_MS = 10_000;
const CPU_POLL_MS = 200;
const KILL_AFTER_MS = 2000;
const STDERR_LINES = 15;

export interface RawLoaderOptions {
  /** Loader CPUs: one worker per CPU (never more workers than connections), pinned there. */
  cpus: number[];
  /** What runs a .ts program: e.g. { name: 'bun', version: '1.4.5', command: ['/path/to/bun'] }, or node with ['node', '--import', '<tsx>']. */
  runtime: { name: string; version: string; command: string[] };
  /** Default DEFAULT_TIMEOUT_MS. */
  timeoutMs?: number;
}

type Histogram = ReturnType<typeof hdr.build>;

/** An empty histogram as the workers record theirs (microseconds, 1 µs to 60 s, 3 significant digits), with 64-bit counts. */
export function emptyHistogram(): Histogram {
  return hdr.build({ lowestDiscernibleValue: 1, highestTrackableValue: 60_000_000, numberOfSignificantValueDigits: 3, bitBucketSize: 64 });
}

/** Adds encoded histograms (hdr-histogram-js compressed base64) into one: exact, counts are summed bucket by bucket. */
export function mergeHistograms(encoded: string[]): Histogram {
  const merged = emptyHistogram();
  for (const text of encoded) merged.add(hdr.decodeFromCompressedBase64(text, 64));
  return merged;
}

/** Latency summary in milliseconds from a histogram in microseconds; zeros when it is empty. */
export function latencyFromHistogram(h: Histogram): LatencyMs {
  if (h.totalCount === 0) return { p50: 0, p90: 0, p99: 0, p999: 0, mean: 0, max: 0 };
  const ms = (us: number) => us / 1000;
  return {
    p50: ms(h.getValueAtPercentile(50)),
    p90: ms(h.getValueAtPercentile(90)),
    p99: ms(h.getValueAtPercentile(99)),
    p999: ms(h.getValueAtPercentile(99.9)),
    mean: ms(h.mean),
    max: ms(h.maxValue),
  };
}

/** `total` split into `parts` integers as even as possible, the larger ones first (7 over 3: 3, 2, 2). */
export function splitEvenly(total: number, parts: number): number[] {
  const base = Math.floor(total / parts);
  return Array.from({ length: parts }, (_, i) => base + (i < total % parts ? 1 : 0));
}

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

function median(values: number[]): number {
  const s = [...values].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}

/** The workers' outputs as one result (loader CPU use is added by the caller). */
export function combineOutputs(request: HttpLoadRequest, outputs: WorkerOutput[]): Omit<HttpLoadResult, 'loaderCpuPct'> {
  const statusClasses: StatusClasses = { '1xx': 0, '2xx': 0, '3xx': 0, '4xx': 0, '5xx': 0 };
  let requests = 0;
  let errors = 0;
  let timeouts = 0;
  let achievedRate = 0;
  for (const o of outputs) {
    for (const k of Object.keys(statusClasses) as (keyof StatusClasses)[]) statusClasses[k] += o.statusClasses[k];
    requests += o.requests;
    errors += o.errors;
    timeouts += o.timeouts;
    if (o.sendDurationS > 0) achievedRate += o.sent / o.sendDurationS;
  }
  const durationS = median(outputs.map((o) => o.durationS));
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
    histogramUs: hdr.encodeIntoCompressedBase64(merged),
    mode: open ? 'open' : 'closed',
    ...(open && { requestedRate: request.rate, achievedRate }),
  };
}

interface RunningWorker {
  cpu: number;
  child: ChildProcess;
  started: boolean;
  stdout: string;
  stderrTail: string[];
  /** CPU time (s) and wall time (ms) when the load began, and at the last reading. */
  first: { cpuS: number; atMs: number } | null;
  last: { cpuS: number; atMs: number } | null;
  exit: Promise<{ code: number | null; signal: NodeJS.Signals | null; error?: Error }>;
}

function readCpu(pid: number | undefined): { cpuS: number; atMs: number } | null {
  if (pid === undefined) return null;
  const stat = readProcStat(pid);
  return stat && stat.state !== 'Z' ? { cpuS: stat.cpuSeconds, atMs: performance.now() } : null;
}

function cpuPct(w: RunningWorker): number | null {
  if (!w.first || !w.last || w.last.atMs - w.first.atMs < 50) return null;
  return ((w.last.cpuS - w.first.cpuS) / ((w.last.atMs - w.first.atMs) / 1000)) * 100;
}

export function createRawLoader(options: RawLoaderOptions): HttpLoader {
  const { cpus, runtime } = options;
  const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  if (cpus.length === 0) throw new UserError('The harness loader needs at least one loader CPU.');
  if (runtime.command.length === 0) throw new UserError('The harness loader needs a command that runs a .ts program.');
  return {
    name: 'harness',
    version: '1',
    runtime: `${runtime.name} ${runtime.version}`,
    async run(request: HttpLoadRequest, signal?: AbortSignal, onStart?: () => void): Promise<HttpLoadResult> {
      signal?.throwIfAborted();
      const configs = planWorkers(request, cpus.length, timeoutMs);
      const [exe, ...prefix] = runtime.command as [string, ...string[]];
      const workers: RunningWorker[] = configs.map((config, i) => {
        const cpu = cpus[i]!;
        const child = spawn('taskset', ['-c', String(cpu), exe, ...prefix, WORKER_PATH, JSON.stringify(config)], {
          stdio: ['ignore', 'pipe', 'pipe'],
          // Pinned to one CPU: Node would otherwise size its thread pool for every core.
          env: { ...process.env, UV_THREADPOOL_SIZE: '1' },
        });
        const w: RunningWorker = {
          cpu,
          child,
          started: false,
          stdout: '',
          stderrTail: [],
          first: null,
          last: null,
          exit: new Promise((resolve) => {
            child.once('error', (error) => resolve({ code: null, signal: null, error }));
            child.once('close', (code, sig) => resolve({ code, signal: sig }));
          }),
        };
        child.stdout!.setEncoding('utf8');
        child.stdout!.on('data', (text: string) => {
          w.stdout += text;
          // The result line: the worker ends right after it, so this is the last reading of its CPU time.
          if (text.includes('\n')) w.last = readCpu(child.pid) ?? w.last;
        });
        let partial = '';
        child.stderr!.setEncoding('utf8');
        child.stderr!.on('data', (text: string) => {
          const lines = (partial + text).split('\n');
          partial = lines.pop() ?? '';
          for (const line of lines) {
            if (line === LOAD_STARTED) {
              if (!w.started) {
                w.started = true;
                w.first = readCpu(child.pid);
                w.last = w.first;
                if (workers.every((x) => x.started)) onStart?.();
              }
            } else if (line.trim()) {
              w.stderrTail.push(line);
              if (w.stderrTail.length > STDERR_LINES) w.stderrTail.shift();
            }
          }
        });
        child.stderr!.on('end', () => {
          if (partial.trim()) w.stderrTail.push(partial);
        });
        return w;
      });

      const poll = setInterval(() => {
        for (const w of workers) if (w.started && w.child.exitCode === null) w.last = readCpu(w.child.pid) ?? w.last;
      }, CPU_POLL_MS);
      const killAll = () => {
        for (const w of workers) if (w.child.exitCode === null && w.child.signalCode === null) w.child.kill('SIGTERM');
        const hard = setTimeout(() => {
          for (const w of workers) if (w.child.exitCode === null && w.child.signalCode === null) w.child.kill('SIGKILL');
        }, KILL_AFTER_MS);
        hard.unref();
      };
      const onAbort = () => killAll();
      signal?.addEventListener('abort', onAbort, { once: true });

      try {
        const outputs: WorkerOutput[] = [];
        // A worker that fails ends the others at once.
        const results = await Promise.all(
          workers.map(async (w) => {
            const exit = await w.exit;
            const output = parseOutput(w.stdout);
            if (exit.code !== 0 || !output) killAll();
            return { w, exit, output };
          }),
        );
        if (signal?.aborted) throw signal.reason instanceof Error ? signal.reason : new Error(String(signal.reason ?? 'interrupted'));
        // The worker that failed on its own is named, not one that the others' failure stopped.
        const failed = results.filter((r) => r.exit.code !== 0 || !r.output).sort((a, b) => Number(a.exit.signal !== null) - Number(b.exit.signal !== null))[0];
        if (failed) {
          const { w, exit, output } = failed;
          const how = exit.error ? `could not start (${exit.error.message})` : exit.signal ? `was killed by ${exit.signal}` : `exited with code ${exit.code}${output ? '' : ' without a result'}`;
          throw new UserError(
            `The harness's load generator (worker on CPU ${w.cpu}, ${runtime.name} ${runtime.version}) ${how} against ${request.url}.`,
            `Check that taskset can pin to CPU ${w.cpu} and that \`${runtime.command.join(' ')} ${WORKER_PATH}\` runs.`,
            w.stderrTail.slice(-STDERR_LINES),
          );
        }
        for (const { output } of results) if (output) outputs.push(output);
        const perCpu = workers.map(cpuPct);
        const known = perCpu.filter((p): p is number => p !== null);
        return {
          ...combineOutputs(request, outputs),
          loaderCpuPct: known.length ? Math.max(...known) : null,
          ...(known.length === perCpu.length && { loaderCpuPerCpu: known }),
        };
      } finally {
        clearInterval(poll);
        signal?.removeEventListener('abort', onAbort);
      }
    },
  };
}

function parseOutput(stdout: string): WorkerOutput | null {
  const line = stdout.trim().split('\n').at(-1) ?? '';
  try {
    const o = JSON.parse(line) as WorkerOutput;
    return typeof o.requests === 'number' && typeof o.histogramUs === 'string' ? o : null;
  } catch {
    return null;
  }
}
