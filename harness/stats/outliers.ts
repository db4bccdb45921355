// Outlier trials by the median absolute deviation, with a floor under the MAD (1% of the median):
// without it, three trials within 0.1% of each other make a 0.2% trial an "outlier".
import { median } from 'simple-statistics';

/** A value further than this many scaled MADs from the median is an outlier. */
export const MAD_OUTLIER = 3;
/** The MAD is never taken below this fraction of the median. */
export const MAD_FLOOR = 0.01;

export interface Outlier {
  index: number;
  direction: 'above' | 'below';
  /** Distance from the median as a fraction of it (0.2 = 20%). */
  deviation: number;
}

export function madOutliers(values: number[]): Outlier[] {
  if (values.length < 3) return [];
  const m = median(values);
  const mad = Math.max(median(values.map((v) => Math.abs(v - m))) * 1.4826, Math.abs(m) * MAD_FLOOR); // scaled to the SD of a normal
  if (mad === 0) return [];
  return values.flatMap((v, index) =>
    Math.abs(v - m) > MAD_OUTLIER * mad ? [{ index, direction: v > m ? ('above' as const) : ('below' as const), deviation: m === 0 ? 0 : Math.abs(v - m) / Math.abs(m) }] : [],
  );
}

/**
 * Warnings that follow the outlier's direction. For a figure where higher is better (req/s), a low
 * first round says the target was not warm yet; a low later one, that something else ran; a high
 * one, that the other trials were slowed.
 */
export function outlierWarnings(values: number[], rounds: number[], higherIsBetter: boolean, what: string): string[] {
  return madOutliers(values).map((o) => {
    const round = rounds[o.index]!;
    const size = `${(o.deviation * 100).toFixed(1)}% ${o.direction} the median`;
    const worse = (o.direction === 'below') === higherIsBetter;
    if (worse && round === 1) return `${what} of round 1 is ${size}: the target was not warm yet; raise --warmup.`;
    if (worse) return `${what} of round ${round} is ${size}: something else used the machine during it; run again.`;
    return `${what} of round ${round} is ${size}: the other rounds were slowed (another program on the machine?); run again.`;
  });
}
