// Number formatting shared by the reporters, the scenarios' report sections and the CLI.
import { formatLevel } from '../stats/intervals.ts';
import type { IntervalData } from '../types.ts';

export const fmtInt = (n: number): string => Math.round(n).toLocaleString('en-US');
export const fmtMs = (n: number): string => (n >= 100 ? n.toFixed(0) : n >= 10 ? n.toFixed(1) : n.toFixed(2));
export const fmtPct = (fraction: number): string => `${(fraction * 100).toFixed(1)}%`;
export const fmtMiB = (bytes: number | null): string => (bytes === null ? 'n/a' : `${(bytes / 1024 / 1024).toFixed(1)} MiB`);
export const fmtGiB = (bytes: number): string => `${(bytes / 1024 ** 3).toFixed(1)} GiB`;
export const fmtMB = (bytes: number): string => (bytes < 1e6 ? `${(bytes / 1e3).toFixed(1)} kB` : `${(bytes / 1e6).toFixed(1)} MB`);
export const fmtRatio = (x: number): string => (x >= 10 ? x.toFixed(1) : x.toFixed(2));

/**
 * "1,234–1,456 (93.8%)": an interval always with its real confidence level; "1.10–2.30 (95.0%,
 * anytime)" for a confidence sequence, whose level holds at every round, and whose sides can still
 * be open ("0.85–∞", "-∞–2.30") before enough pairs.
 */
export function fmtInterval(ci: IntervalData, fmt: (n: number) => string): string {
  if (ci.method === 'exact') return 'exact';
  if (ci.level === 0) return 'no interval (1 sample)';
  const end = (x: number) => (x === Number.POSITIVE_INFINITY ? '∞' : x === Number.NEGATIVE_INFINITY ? '-∞' : fmt(x));
  return `${end(ci.lo)}–${end(ci.hi)} (${formatLevel(ci.level)}${ci.method === 'confidence-sequence' ? ', anytime' : ''})`;
}

export function fmtDuration(seconds: number): string {
  if (!Number.isFinite(seconds)) return '?';
  const s = Math.max(0, Math.round(seconds));
  const m = Math.floor(s / 60);
  return m > 0 ? `${m}m${String(s % 60).padStart(2, '0')}s` : `${s}s`;
}

/** Escapes a value for a Markdown table cell. */
export const cell = (text: string): string => text.replace(/\|/g, '\\|').replace(/\n/g, ' ');

/** A figure with its unit: bytes as MB, ms, or a count with its unit. */
export function fmtValue(value: number, unit: string): string {
  return unit === 'bytes' ? `${(value / 1e6).toFixed(1)} MB` : unit === 'ms' ? `${fmtMs(value)} ms` : `${fmtInt(value)} ${unit}`;
}

/** One side of a claim, with where its figure comes from, so that a verdict traces to its measurements. */
export function sideFigure(side: { target: string; value: number; unit: string; lowerBound: boolean; limit?: string; detail: string }, fmt: (value: number, unit: string) => string = fmtValue): string {
  const bound = side.lowerBound ? ` (at least: ${side.limit ? `stopped at ${side.limit}` : 'the loader or its CPU was saturated'})` : '';
  return `${side.target} ${fmt(side.value, side.unit)}${bound} [${side.detail}]`;
}

/** How a figure's unit is shown at a magnitude: ms of a second or more as seconds, bytes as MB. */
function figureScale(unit: string, magnitude: number): { div: number; suffix: string; fmt: (x: number) => string } {
  // Two decimals at most, with trailing zeros dropped: "8.41 s", "7.9 s", "10 s", "0 s".
  const short = (x: number) => String(Number(x.toFixed(Math.abs(x) >= 100 ? 0 : 2)));
  if (unit === 'ms') return magnitude >= 1000 ? { div: 1000, suffix: 's', fmt: short } : { div: 1, suffix: 'ms', fmt: short };
  if (unit === 'bytes') return { div: 1e6, suffix: 'MB', fmt: (x) => x.toFixed(1) };
  return { div: 1, suffix: unit, fmt: fmtInt };
}

const endOf = (x: number, s: ReturnType<typeof figureScale>) => (x === Number.POSITIVE_INFINITY ? '∞' : x === Number.NEGATIVE_INFINITY ? '-∞' : s.fmt(x / s.div));

/**
 * A figure in its own unit, for a claim judged against a bound: ms of a second or more as seconds
 * ("8.41 s"), less as ms ("850 ms"), bytes as MB, a count with its unit; an open side as ∞ or -∞ alone.
 */
export function fmtFigure(value: number, unit: string): string {
  if (value === Number.POSITIVE_INFINITY || value === Number.NEGATIVE_INFINITY) return value > 0 ? '∞' : '-∞';
  const s = figureScale(unit, Math.abs(value));
  return `${endOf(value, s)} ${s.suffix}`;
}

/** A range of such figures with the unit said once, scaled by its larger finite end: "7.9-9.2 s", "0-10 s", "850 to ∞ ms". */
export function fmtFigureRange(lo: number, hi: number, unit: string, dash = '-'): string {
  const finite = [lo, hi].filter(Number.isFinite).map(Math.abs);
  const s = figureScale(unit, finite.length ? Math.max(...finite) : 0);
  // An open side reads "4.1 s to ∞", not "4.1-∞"; no finite end, no unit: "-∞ to ∞".
  if (!finite.length) return '-∞ to ∞';
  return `${endOf(lo, s)}${finite.length < 2 ? ' to ' : dash}${endOf(hi, s)} ${s.suffix}`;
}
