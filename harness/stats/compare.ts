// Comparing two systems with their spread: the ratio of medians with a 95% bootstrap confidence
// interval (each side resampled independently, seeded so the same trials give the same interval),
// and a two-sided Mann-Whitney U test. Never a bare ratio of two means.
import { median, quantileSorted } from 'simple-statistics';
import { seededRandom } from './estimate.ts';

export interface RatioEstimate {
  ratio: number;
  ci95: [number, number];
  /** The interval excludes 1: the two differ beyond their spread. */
  significant: boolean;
}

export function ratioOfMedians(numerator: number[], denominator: number[], resamples = 4000, seed = 7): RatioEstimate {
  if (!numerator.length || !denominator.length) throw new Error('ratioOfMedians needs values on both sides');
  const ratio = median(numerator) / median(denominator);
  const random = seededRandom(seed);
  const resample = (values: number[]) => median(Array.from(values, () => values[Math.floor(random() * values.length)]!));
  const ratios: number[] = [];
  for (let r = 0; r < resamples; r++) ratios.push(resample(numerator) / resample(denominator));
  ratios.sort((a, b) => a - b);
  const ci95: [number, number] = [quantileSorted(ratios, 0.025), quantileSorted(ratios, 0.975)];
  return { ratio, ci95, significant: ci95[0] > 1 || ci95[1] < 1 };
}

/** Standard normal CDF (Abramowitz-Stegun 7.1.26 via erf), enough for a p-value. */
function normalCdf(z: number): number {
  const t = 1 / (1 + 0.3275911 * Math.abs(z) / Math.SQRT2);
  const erf = 1 - ((((1.061405429 * t - 1.453152027) * t + 1.421413741) * t - 0.284496736) * t + 0.254829592) * t * Math.exp(-(z * z) / 2);
  return z >= 0 ? (1 + erf) / 2 : (1 - erf) / 2;
}

/** Two-sided Mann-Whitney U with the normal approximation, tie-corrected. */
export function mannWhitney(a: number[], b: number[]): { u: number; p: number } {
  const all = [...a.map((v) => ({ v, g: 0 })), ...b.map((v) => ({ v, g: 1 }))].sort((x, y) => x.v - y.v);
  const ranks = new Array<number>(all.length);
  let tieTerm = 0;
  for (let i = 0; i < all.length; ) {
    let j = i;
    while (j + 1 < all.length && all[j + 1]!.v === all[i]!.v) j++;
    const rank = (i + j) / 2 + 1;
    for (let k = i; k <= j; k++) ranks[k] = rank;
    const t = j - i + 1;
    tieTerm += t ** 3 - t;
    i = j + 1;
  }
  const n1 = a.length;
  const n2 = b.length;
  const r1 = all.reduce((sum, x, i) => (x.g === 0 ? sum + ranks[i]! : sum), 0);
  const u1 = r1 - (n1 * (n1 + 1)) / 2;
  const u = Math.min(u1, n1 * n2 - u1);
  const n = n1 + n2;
  const sigma = Math.sqrt(((n1 * n2) / 12) * (n + 1 - tieTerm / (n * (n - 1))));
  if (sigma === 0) return { u, p: 1 };
  const z = (Math.abs(u1 - (n1 * n2) / 2) - 0.5) / sigma; // continuity correction
  return { u, p: Math.min(1, 2 * (1 - normalCdf(Math.max(0, z)))) };
}
