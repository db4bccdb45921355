// Number formatting shared by the reporters and the CLI.
export const fmtInt = (n: number): string => Math.round(n).toLocaleString('en-US');
export const fmtMs = (n: number): string => (n >= 100 ? n.toFixed(0) : n >= 10 ? n.toFixed(1) : n.toFixed(2));
export const fmtPct = (fraction: number): string => `${(fraction * 100).toFixed(1)}%`;
export const fmtMiB = (bytes: number | null): string => (bytes === null ? 'n/a' : `${(bytes / 1024 / 1024).toFixed(1)} MiB`);
export const fmtGiB = (bytes: number): string => `${(bytes / 1024 ** 3).toFixed(1)} GiB`;

export function fmtDuration(seconds: number): string {
  if (!Number.isFinite(seconds)) return '?';
  const s = Math.max(0, Math.round(seconds));
  const m = Math.floor(s / 60);
  return m > 0 ? `${m}m${String(s % 60).padStart(2, '0')}s` : `${s}s`;
}

/** Escapes a value for a Markdown table cell. */
export const cell = (text: string): string => text.replace(/\|/g, '\\|').replace(/\n/g, ' ');

/** One side of a claim, e.g. "django 190.1 MB" or "node 23,961 req/s (loader-bound: at least)". */
/** One side of a claim, with where its figure comes from, so that a verdict traces to its measurements. */
export function sideFigure(side: { target: string; value: number; unit: string; lowerBound: boolean; detail: string }): string {
  const v = side.unit === 'bytes' ? `${(side.value / 1e6).toFixed(1)} MB` : side.unit === 'ms' ? `${fmtMs(side.value)} ms` : `${fmtInt(side.value)} ${side.unit}`;
  return `${side.target} ${v}${side.lowerBound ? ' (loader-bound: at least)' : ''} [${side.detail}]`;
}
