// Point estimates with their spread: the median with a distribution-free interval whose stated level
// is its real coverage (order statistics, not a bootstrap of 3-6 values), min/max and the
// coefficient of variation.
import { mean, median, sampleStandardDeviation } from 'simple-statistics';
import type { Estimate } from '../types.ts';
import { medianInterval } from './intervals.ts';

/** mulberry32: small, fast, seedable (tests and simulations). */
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
    ci: medianInterval(values),
    min: Math.min(...values),
    max: Math.max(...values),
    cv: coefficientOfVariation(values),
    n: values.length,
  };
}
