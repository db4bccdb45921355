// The HTTP load generator's seam: one trial asked and its result (see harness/types.ts).
import type { LatencyMs } from '../schema.ts';

export interface StatusClasses {
  '1xx': number;
  '2xx': number;
  '3xx': number;
  '4xx': number;
  '5xx': number;
}

/** One HTTP load trial as the loader saw it (resource use of the target is added by the trial). */
export interface HttpLoadResult {
  durationS: number;
  /** Responses received (any status). */
  requests: number;
  /** 2xx responses per second. */
  rps: number;
  latencyMs: LatencyMs;
  /** Connection errors, resets and malformed responses; timeouts NOT included (they are counted in `timeouts`). */
  errors: number;
  /** The errors by kind (ECONNREFUSED, ECONNRESET, 'connect timeout', ...), as far as the loader tells them apart. */
  errorKinds?: Record<string, number>;
  timeouts: number;
  non2xx: number;
  /** Responses by status class, where the loader counts them. */
  statusClasses?: StatusClasses;
  /** The busiest loader CPU's use, in percent of that CPU (100 = one loader CPU saturated). */
  loaderCpuPct: number | null;
  /** Each loader CPU's use, in percent of that CPU, where the loader can tell them apart. */
  loaderCpuPerCpu?: number[];
  /** Latencies of the trial in microseconds as an HDR histogram, encoded (hdr-histogram-js, compressed base64), so that histograms merge exactly. */
  histogramUs?: string;
  /** closed: each connection sends its next request when the previous response arrives; open: a fixed rate, latency from the intended send time. */
  mode?: 'closed' | 'open';
  /** Open loop: the total request rate asked for, and the rate of requests actually sent. */
  requestedRate?: number;
  achievedRate?: number;
}

export interface HttpLoadRequest {
  url: string;
  connections: number;
  durationS: number;
  pipelining: number;
  /** Open loop: total requests per second, spread over the connections. Absent: closed loop. */
  rate?: number;
}

/** What an HTTP load generator can do; scenarios ask this, never a loader's name. */
export interface HttpLoaderCapabilities {
  /** Holds an open-loop request rate (HttpLoadRequest.rate), latency from each request's intended send time. */
  openLoop: boolean;
}

export interface HttpLoader {
  name: string;
  version: string;
  /** What runs it, e.g. "bun 1.4.5" or "node 20.20.2". */
  runtime?: string;
  can: HttpLoaderCapabilities;
  /** `onStart` is called when the load actually begins (after the loader process has started). */
  run(request: HttpLoadRequest, signal?: AbortSignal, onStart?: () => void): Promise<HttpLoadResult>;
}
