// A least-squares line with the confidence interval of its mean at a point (the textbook one:
// Student's t with n-2 degrees of freedom). Used for memory per connection and its extrapolation to
// 1,000,000 connections, where the interval shows how little a few steps say about a point far
// beyond them. jStat gives the t quantile (one small dependency-free library, not a hand-written
// approximation).
import jstat from 'jstat';

export interface LineFit {
  slope: number;
  intercept: number;
  n: number;
  /** The fitted mean at x with its interval; null with fewer than 3 points (no residual left). */
  meanAt(x: number, confidence: number): { value: number; lo: number; hi: number } | null;
}

export function fitLine(points: { x: number; y: number }[]): LineFit | null {
  const n = points.length;
  if (n < 2) return null;
  const mx = points.reduce((s, p) => s + p.x, 0) / n;
  const my = points.reduce((s, p) => s + p.y, 0) / n;
  const sxx = points.reduce((s, p) => s + (p.x - mx) ** 2, 0);
  if (!(sxx > 0)) return null;
  const slope = points.reduce((s, p) => s + (p.x - mx) * (p.y - my), 0) / sxx;
  const intercept = my - slope * mx;
  const sse = points.reduce((s, p) => s + (p.y - intercept - slope * p.x) ** 2, 0);
  return {
    slope,
    intercept,
    n,
    meanAt(x, confidence) {
      const value = intercept + slope * x;
      if (n < 3) return null;
      const se = Math.sqrt(sse / (n - 2)) * Math.sqrt(1 / n + (x - mx) ** 2 / sxx);
      const t = jstat.jStat.studentt.inv(1 - (1 - confidence) / 2, n - 2);
      return { value, lo: value - t * se, hi: value + t * se };
    },
  };
}
