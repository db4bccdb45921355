// The claims at a glance as a chart (a forest plot): per claim with a measured ratio, the article's
// band, the ratio's interval and the ratio itself coloured by its verdict, on a log scale (ratios
// above and below 1 are then drawn alike). Built from the verdicts alone, so from results.json alone.
// A claim judged against a bound in its figure's own unit (seconds, not a ratio) has no place on a
// ratio axis and is left out; the tables show it.
import type { ClaimVerdict, Verdict } from '../claims/evaluate.ts';
import { formatLevel } from '../stats/intervals.ts';
import type { ChartSpec } from '../types.ts';
import { fmtRatio } from './format.ts';
import { glanceLabel } from './sections.ts';
import { vegaLite } from './vega.ts';

/** The verdicts' colours, the same as the reports' verdict cells. */
const VERDICT_COLOURS: Record<Verdict, string> = { supported: '#1a7f37', refuted: '#c62828', inconclusive: '#8a6d00', shown: '#555555' };
const BAND_COLOUR = '#d6e4f0';
const INTERVAL_COLOUR = '#444';
const ROW_PX = 20;
const WIDTH = 440;
/** Room left on the log scale beyond the outermost finite value, in decades. */
const MIN_MARGIN_DECADES = 0.12;

const positive = (x: number): boolean => Number.isFinite(x) && x > 0;

interface Row {
  /** Unique per row (several beside rows share a label); the axis shows the part after '|'. */
  key: string;
  verdict: Verdict;
  value: number;
  lo: number;
  hi: number;
  /** The interval's side is unbounded (too few pairs yet): drawn to the chart's edge with an arrow. */
  loOpen: boolean;
  hiOpen: boolean;
  interval: boolean;
  /** A ratio shown without a band (the article gives none) draws no band. */
  hasBand: boolean;
  bandLo: number;
  bandHi: number;
  text: string;
}

/** The judged claims that have a ratio to draw: extrapolations, claims not measured and figures against a bound (not ratios) have none. */
const drawable = (verdicts: ClaimVerdict[]) =>
  verdicts.filter((v) => v.ratio && v.ratio.basis !== 'absolute' && positive(v.ratio.value) && v.decision.how !== 'extrapolation' && v.decision.how !== 'not-measured');

/** A log-scale domain around every finite bound, band and ratio, with a margin so that no mark sits on the frame. */
export function forestDomain(values: number[]): [number, number] {
  const finite = values.filter(positive);
  const lo = Math.min(...finite);
  const hi = Math.max(...finite);
  const margin = Math.max(MIN_MARGIN_DECADES, Math.log10(hi / lo) * 0.08);
  return [lo / 10 ** margin, hi * 10 ** margin];
}

/** Log-axis ticks at 1-2-5 (finer over a narrow domain): the default puts a grid line at every 1..9. */
export function forestTicks([min, max]: [number, number]): number[] {
  const mantissas = Math.log10(max / min) >= 1.5 ? [1, 2, 5] : [1, 1.5, 2, 3, 5, 7];
  const ticks: number[] = [];
  for (let e = Math.floor(Math.log10(min)); e <= Math.ceil(Math.log10(max)); e++) {
    for (const m of mantissas) {
      // Rounded so that 0.1 * 3 is 0.3 and the labels read cleanly.
      const t = Number((m * 10 ** e).toPrecision(6));
      if (t >= min && t <= max) ticks.push(t);
    }
  }
  return ticks;
}

export function claimsForestChart(verdicts: ClaimVerdict[]): ChartSpec {
  const base = { name: 'claims-forest', title: "The claims: each measured ratio and its interval against the article's band (log scale)" };
  const shown = drawable(verdicts);
  if (!shown.length) {
    const bounds = verdicts.some((v) => v.ratio?.basis === 'absolute');
    return { ...base, spec: null, missing: `no claim has a measured ratio in this run (every claim ${bounds ? 'was not measured, is an extrapolation or is judged against a bound in its own unit, which a ratio axis cannot show: see the tables' : 'was not measured or is an extrapolation'})` };
  }

  const [min, max] = forestDomain(
    shown.flatMap((v) => {
      const r = v.ratio!;
      return [r.value, r.ci.lo, r.ci.hi, ...(v.claim.band ?? [])];
    }),
  );
  // A log scale cannot show 0 or ∞: such a bound is clipped to the domain's edge and flagged open.
  const clip = (x: number, edge: number): number => (positive(x) ? Math.min(max, Math.max(min, x)) : edge);
  const rows: Row[] = shown.map((v) => {
    const r = v.ratio!;
    const interval = r.basis !== 'exact' && r.ci.level > 0;
    const band = v.claim.band;
    return {
      key: `${v.claim.id}|${glanceLabel(v.claim)}`,
      verdict: v.verdict,
      value: r.value,
      lo: interval ? clip(r.ci.lo, min) : r.value,
      hi: interval ? clip(r.ci.hi, max) : r.value,
      loOpen: interval && !positive(r.ci.lo),
      hiOpen: interval && !Number.isFinite(r.ci.hi),
      interval,
      hasBand: band !== undefined,
      bandLo: band ? clip(band[0], min) : min,
      bandHi: band ? clip(band[1], max) : min,
      text: fmtRatio(r.value),
    };
  });

  const levels = [...new Set(shown.filter((v) => v.ratio!.basis !== 'exact' && v.ratio!.ci.level > 0).map((v) => v.ratio!.ci.level))];
  const intervalWords = levels.length === 1 ? `the ${formatLevel(levels[0]!)} interval` : 'the interval (its level in the table)';
  const anyOpen = rows.some((r) => r.loOpen || r.hiOpen);
  // Without a canvas vega estimates text at 0.8 em a character, so the limit is generous.
  const y = { field: 'key', type: 'nominal', sort: null, title: null, axis: { labelExpr: "split(datum.value, '|')[1]", labelLimit: 600, labelFontSize: 11 } };
  const axis = { values: forestTicks([min, max]), format: '~g' };
  const x = (field: string) => ({ field, type: 'quantitative', scale: { type: 'log', domain: [min, max], nice: false }, axis, title: 'ratio (log scale)' });
  const arrow = (side: 'lo' | 'hi') => ({
    transform: [{ filter: `datum.${side}Open` }],
    mark: { type: 'point', shape: side === 'hi' ? 'triangle-right' : 'triangle-left', filled: true, size: 70, color: INTERVAL_COLOUR, opacity: 1 },
    encoding: { y, x: x(side) },
  });
  const cap = (side: 'lo' | 'hi') => ({
    transform: [{ filter: `datum.interval && !datum.${side}Open` }],
    mark: { type: 'tick', orient: 'vertical', size: 10, thickness: 2, color: INTERVAL_COLOUR },
    encoding: { y, x: x(side) },
  });
  return {
    ...base,
    spec: vegaLite("Each claim's ratio against the article's band", {
      title: {
        text: "Each claim's ratio against the article's band",
        // Short lines: vega sizes the chart by an estimate of the text's width.
        subtitle: [
          `Shaded: the article's band. Line: ${intervalWords}.`,
          'Dot: the measured ratio, coloured by its verdict.',
          ...(anyOpen ? ['Arrow at an edge: that side is unbounded (too few pairs yet).'] : []),
        ],
        anchor: 'start',
        subtitleFontSize: 10,
      },
      width: WIDTH,
      height: { step: ROW_PX },
      data: { values: rows },
      layer: [
        { transform: [{ filter: 'datum.hasBand' }], mark: { type: 'bar', size: ROW_PX - 8, color: BAND_COLOUR }, encoding: { y, x: x('bandLo'), x2: { field: 'bandHi' } } },
        ...(min < 1 && max > 1 ? [{ data: { values: [{ one: 1 }] }, mark: { type: 'rule', color: '#999', strokeDash: [3, 3] }, encoding: { x: x('one') } }] : []),
        { transform: [{ filter: 'datum.interval' }], mark: { type: 'rule', strokeWidth: 2, color: INTERVAL_COLOUR }, encoding: { y, x: x('lo'), x2: { field: 'hi' } } },
        arrow('lo'),
        arrow('hi'),
        // Caps on the bounded ends, so that an interval narrower than its dot still shows.
        cap('lo'),
        cap('hi'),
        {
          mark: { type: 'point', filled: true, size: 80, opacity: 1, stroke: 'white', strokeWidth: 1 },
          encoding: {
            y,
            x: x('value'),
            color: { field: 'verdict', type: 'nominal', title: 'verdict', scale: { domain: Object.keys(VERDICT_COLOURS), range: Object.values(VERDICT_COLOURS) }, legend: { orient: 'right' } },
          },
        },
        { mark: { type: 'text', dy: -8, fontSize: 9, color: '#333' }, encoding: { y, x: x('value'), text: { field: 'text' } } },
      ],
    }),
  };
}
