// autocannon's result as the harness's HttpLoadResult: throughput of 2xx responses only, latency
// from the microsecond histogram, and each failure counted once (autocannon's `errors` already
// include its `timeouts`). Pure, so that the counting is tested.
import type { HttpLoadResult, LatencyMs } from '../types.ts';

export interface AutocannonCounts {
  duration: number;
  requests: { total: number };
  '2xx': number;
  errors: number;
  timeouts: number;
  non2xx: number;
}

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
