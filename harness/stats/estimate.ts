// Point estimates with their spread: the median, a 95% percentile-bootstrap confidence interval
// of the median, min/max and the coefficient of variation. The bootstrap uses a seeded generator
// so that the same trials always give the same interval.
import { mean, median, quantileSorted, sampleStandardDeviation } from 'simple-statistics';
import type { Estimate } from '../types.ts';

/** mulberry32: small, fast, seedable; plenty for resampling indices. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export function bootstrapMedianCi(values: number[], resamples = 2000, seed = 1): [number, number] {
  if (values.length === 0) return [NaN, NaN];
  if (values.length === 1) return [values[0]!, values[0]!];
  const random = seededRandom(seed);
  const medians = new Float64Array(resamples);
  const sample = new Array<number>(values.length);
  for (let r = 0; r < resamples; r++) {
    for (let i = 0; i < values.length; i++) sample[i] = values[Math.floor(random() * values.length)]!;
    medians[r] = median(sample);
  }
  const sorted = Array.from(medians).sort((a, b) => a - b);
  return [quantileSorted(sorted, 0.025), quantileSorted(sorted, 0.975)];
}

/** Coefficient of variation (sample standard deviation / mean); 0 for fewer than two values. */
export function coefficientOfVariation(values: number[]): number {
  if (values.length < 2) return 0;
  const m = mean(values);
  return m === 0 ? 0 : sampleStandardDeviation(values) / m;
}

export function estimate(values: number[]): Estimate {
  if (values.length === 0) throw new Error('estimate() needs at least one value');
  return {
    median: median(values),
    ci95: bootstrapMedianCi(values),
    min: Math.min(...values),
    max: Math.max(...values),
    cv: coefficientOfVariation(values),
    n: values.length,
  };
}
