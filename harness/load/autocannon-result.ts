// autocannon on the loader kit: its worker's configuration, commands and replies (shared by
// autocannon.ts and autocannon-worker.ts), and its result as the harness's HttpLoadResult:
// throughput of 2xx responses only, latency from the worker's microsecond histogram, and each
// failure counted once (autocannon's `errors` already include its `timeouts`). Pure, so that the
// counting is tested.
import { z } from 'zod';
import type { HttpLoadResult, LatencyMs } from '../types.ts';

export const autocannonConfigSchema = z.object({
  url: z.url(),
  connections: z.number().int().positive(),
  durationS: z.number().positive().finite(),
  pipelining: z.number().int().positive(),
  timeoutS: z.number().positive().finite(),
});
export type AutocannonConfig = z.infer<typeof autocannonConfigSchema>;

export interface AutocannonCounts {
  duration: number;
  requests: { total: number };
  '2xx': number;
  errors: number;
  timeouts: number;
  non2xx: number;
}

export type AutocannonCommand = { cmd: 'start' } | { cmd: 'report' } | { cmd: 'stop' };
export type AutocannonReply =
  | { type: 'started' }
  /** histogramUs: latencies of 2xx responses in µs (encoded, see kit/histogram.ts); errorKinds: errors by code, timeouts left out. */
  | { type: 'report'; counts: AutocannonCounts; histogramUs: string; errorKinds: Record<string, number> }
  | { type: 'stopped' };

export function fromAutocannon(result: AutocannonCounts, latencyMs: LatencyMs, loaderCpuPct: number | null): HttpLoadResult {
  return {
    durationS: result.duration,
    requests: result.requests.total,
    // Throughput counts successful responses only; errors and non-2xx are reported beside it.
    rps: result.duration > 0 ? result['2xx'] / result.duration : 0,
    latencyMs,
    errors: Math.max(0, result.errors - result.timeouts),
    timeouts: result.timeouts,
    non2xx: result.non2xx,
    loaderCpuPct,
    mode: 'closed',
  };
}
