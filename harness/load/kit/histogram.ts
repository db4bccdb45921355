// The parent's side of the workers' latency histograms: merging the encoded histograms of several
// workers exactly (counts summed bucket by bucket) and summarising them. Shared by the HTTP and the
// WebSocket loaders (and by anything that reads a histogramUs from results.json).
import * as hdr from 'hdr-histogram-js';
import type { LatencyMs } from '../../types.ts';
import { HIGHEST_US } from './recorder.ts';

export type Histogram = ReturnType<typeof hdr.build>;

/** An empty histogram as the workers record theirs (microseconds, 1 µs to 60 s, 3 significant digits), with 64-bit counts. */
export function emptyHistogram(): Histogram {
  return hdr.build({ lowestDiscernibleValue: 1, highestTrackableValue: HIGHEST_US, numberOfSignificantValueDigits: 3, bitBucketSize: 64 });
}

/** Adds encoded histograms (hdr-histogram-js compressed base64) into one: exact, counts are summed bucket by bucket. */
export function mergeHistograms(encoded: string[]): Histogram {
  const merged = emptyHistogram();
  for (const text of encoded) merged.add(hdr.decodeFromCompressedBase64(text, 64));
  return merged;
}

export function encodeHistogram(h: Histogram): string {
  return hdr.encodeIntoCompressedBase64(h);
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

/** As latencyFromHistogram, with p95 (the WebSocket figures). */
export function latencyWithP95(h: Histogram): LatencyMs & { p95: number } {
  return { ...latencyFromHistogram(h), p95: h.totalCount === 0 ? 0 : h.getValueAtPercentile(95) / 1000 };
}

/** `total` split into `parts` integers as even as possible, the larger ones first (7 over 3: 3, 2, 2). */
export function splitEvenly(total: number, parts: number): number[] {
  const base = Math.floor(total / parts);
  return Array.from({ length: parts }, (_, i) => base + (i < total % parts ? 1 : 0));
}
