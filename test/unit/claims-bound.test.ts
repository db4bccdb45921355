// Claims about one target's own figure against a bound in the figure's unit ("containers deploy in
// seconds"): judged on the median's anytime-valid interval over the target's samples, kept open for
// the rounds while undecided, pooled over runs, and shown in the reports in the figure's unit.
import { describe, expect, it } from 'vitest';
import { judgeBound } from '../../harness/claims/against-bound.ts';
import { evaluateClaims } from '../../harness/claims/evaluate.ts';
import { claimsResting, decidedByRounds, openClaims } from '../../harness/claims/open.ts';
import { claimsForestChart } from '../../harness/report/claims-chart.ts';
import { fmtFigure, fmtFigureRange } from '../../harness/report/format.ts';
import { claimsTable, claimTraces, glanceTable } from '../../harness/report/sections.ts';
import type { Figure, RunResults } from '../../harness/types.ts';
import { CLAIMS, type Claim } from '../../scenarios/claims.ts';
import type { StartupResult } from '../../scenarios/startup.ts';
import { fakeLifecycle, fakeResults, httpResult, measurement, rounds } from '../fixtures/results.ts';

/** n values around `center`, within ±1%, in a fixed order (as claims.test.ts). */
const around = (center: number, n = 12) => Array.from({ length: n }, (_, i) => center * (1 + ((i * 7) % 5 - 2) / 200));

/** A bound claim on startup's figure, read as "starts within 10 s" (the figure is in ms). */
const inSeconds: Claim = {
  id: 'starts-in-seconds',
  quote: 'Containers start in seconds.',
  short: 'Containers start in seconds',
  prediction: 'A container starts within 10 s.',
  scenario: 'startup',
  figure: 'ready-ms',
  figureWords: 'time to first 200',
  numerator: 'node',
  denominator: 'node',
  expectedRatio: 5000,
  band: [0, 10000],
  articleFigures: 'seconds',
  against: 'bound',
  beside: [{ numerator: 'django', denominator: 'django', why: 'Django, the other side of the article' }],
};

const startup = (target: string, ms: number[]) => {
  const r: StartupResult = { mode: 'container', pollIntervalMs: 5, warmupRuns: 1, schedule: 'interleaved', starts: ms.map((readyMs, i) => ({ round: i + 1, readyMs })) };
  return measurement(target, 'startup', r);
};

/** A run with node's and django's starts (ms), and nothing else. */
function run(node: number[], django: number[] = around(3000), runId = '2026-11-24T10-00-00Z'): RunResults {
  const r = fakeResults();
  r.runId = runId;
  r.measurements = [startup('node', node), startup('django', django)];
  return r;
}

const verdictOf = (r: RunResults | RunResults[], id = 'starts-in-seconds', claims: Claim[] = [inSeconds]) => evaluateClaims(r, claims).find((v) => v.claim.id === id)!;

describe('formatting a figure in its unit', () => {
  it('shows ms of a second or more as seconds, less as ms, and a range with its unit once', () => {
    expect(fmtFigure(8410, 'ms')).toBe('8.41 s');
    expect(fmtFigure(850, 'ms')).toBe('850 ms');
    expect(fmtFigure(Infinity, 'ms')).toBe('∞');
    expect(fmtFigureRange(7900, 9200, 'ms')).toBe('7.9-9.2 s');
    expect(fmtFigureRange(0, 10000, 'ms')).toBe('0-10 s');
    expect(fmtFigure(120e6, 'bytes')).toBe('120.0 MB');
  });
});

describe('a claim against a bound in its figure\'s unit', () => {
  it('is supported when the interval of the median lies inside the band, and says so in seconds', () => {
    const v = verdictOf(run(around(8410)));
    expect(v).toMatchObject({ verdict: 'supported', decision: { how: 'decided', pairs: 12, text: 'decided after 12 samples' } });
    expect(v.ratio).toMatchObject({ basis: 'absolute', unit: 'ms', n: 12, pairs: [], maxGapS: null, ci: { level: 0.95, method: 'confidence-sequence' } });
    expect(v.ratio!.value).toBeCloseTo(8410, -1);
    expect(v.reason).toMatch(/^node's time to first 200 = 8\.4\d s \(95\.0% anytime-valid interval 8\.\d+-8\.\d+ s, median of 12 samples\) against the article's 0-10 s$/);
    expect(v.numerator).toMatchObject({ target: 'node', unit: 'ms' });
    expect(v.denominator).toBeUndefined();
    expect(v.source).toBe('results.json: startup/node');
  });

  it('is refuted when the whole interval is above the band', () => {
    const v = verdictOf(run(around(12000)));
    expect(v).toMatchObject({ verdict: 'refuted', decision: { how: 'decided' } });
    expect(v.reason).toMatch(/= 12 s .* against the article's 0-10 s$/);
  });

  it('stays open with too few samples, and the rounds keep going for its target', () => {
    const r = run(around(8410, 6));
    const v = verdictOf(r);
    expect(v).toMatchObject({ verdict: 'inconclusive', decision: { how: 'open', pairs: 6, text: 'undecided after 6 samples' } });
    expect(v.reason).toMatch(/^too few samples: .*needs at least 10 samples to be bounded on both sides$/);
    expect(v.ratio!.ci.hi).toBe(Infinity);
    const open = openClaims(r, 'startup', ['node', 'django'], [inSeconds])!;
    expect(open.ids).toContain('starts-in-seconds');
    expect(open.targets.has('node')).toBe(true);
    expect(open.lines[0]).toMatch(/^node 8\.\d+ s \[-∞, ∞\] after 6 samples, band 0-10 s$/);
  });

  it('is too noisy when a bounded interval crosses the band\'s edge', () => {
    const noisy = Array.from({ length: 20 }, (_, i) => 7000 + ((i * 7) % 20) * 300); // 7 s .. 12.7 s, in a mixed order
    const v = verdictOf(run(noisy));
    expect(v.verdict).toBe('inconclusive');
    expect(v.reason).toMatch(/^too noisy: .*the interval crosses the band's edge$/);
    expect(Number.isFinite(v.ratio!.ci.lo) && Number.isFinite(v.ratio!.ci.hi)).toBe(true);
  });

  it('holds a lower bound (a loader-bound figure) back, unless even its low end is above the band', () => {
    const atMost = (hi: number): Claim => ({ ...inSeconds, id: 'rps-bound', scenario: 'json', figure: 'best-rps', figureWords: undefined, band: [0, hi], beside: undefined });
    const r = fakeResults();
    r.measurements = [measurement('node', 'json', httpResult(rounds(64, around(30000), 0, { loaderBound: true })))];
    const held = verdictOf(r, 'rps-bound', [atMost(50000)]);
    expect(held).toMatchObject({ verdict: 'inconclusive', decision: { how: 'limit', text: 'held back by a limit after 12 samples' } });
    expect(held.reason).toMatch(/^node is loader-bound \(its figure is a lower bound\): node's best-rps = 30,000 req\/s \(95\.0% anytime-valid interval 29,700-30,300 req\/s, median of 12 samples\) against the article's 0-50,000 req\/s$/);
    const above = verdictOf(r, 'rps-bound', [atMost(5000)]);
    expect(above).toMatchObject({ verdict: 'refuted' });
    expect(above.reason).toMatch(/so the true value is even higher$/);
  });

  it('takes an exact figure as its one exact value', () => {
    const image: Claim = { ...inSeconds, id: 'small-image', scenario: 'image-size', figure: 'image-bytes', band: [0, 500e6], beside: undefined };
    const r = fakeResults();
    r.measurements = fakeLifecycle('node', around(100), 40, 80e6, 75e6);
    const v = verdictOf(r, 'small-image', [image]);
    expect(v).toMatchObject({ verdict: 'supported', ratio: { basis: 'absolute', unit: 'bytes', n: 1, ci: { level: 1, method: 'exact' } }, decision: { how: 'exact' } });
    const f: Figure = { samples: [{ value: 600e6, pairKey: 'image' }], unit: 'bytes', detail: '', lowerBound: false, pairable: false, exact: true };
    expect(judgeBound(image, [{ figure: f }], 0.95)).toMatchObject({ verdict: 'refuted', ratio: { value: 600e6, ci: { lo: 600e6, hi: 600e6 } } });
  });

  it('judges a beside entry on its own target, with id target/target', () => {
    const verdicts = evaluateClaims(run(around(8410), around(15000)), [inSeconds]);
    expect(verdicts.map((v) => v.claim.id)).toEqual(['starts-in-seconds', 'starts-in-seconds:django/django']);
    expect(verdicts[1]).toMatchObject({ verdict: 'refuted', numerator: { target: 'django' }, claim: { besideOf: 'starts-in-seconds', numerator: 'django', denominator: 'django' } });
    expect(verdicts[1]!.reason).toMatch(/^django's time to first 200 = 15 s/);
  });

  it('pools the samples of several runs in run order, and decides where neither run alone could', () => {
    const a = run(around(8410, 6), around(3000, 6), 'run-a');
    const b = run(around(8410, 6).reverse(), around(3000, 6), 'run-b');
    expect(verdictOf(a).verdict).toBe('inconclusive');
    const v = verdictOf([a, b]);
    expect(v).toMatchObject({ verdict: 'supported', runs: ['run-a', 'run-b'], decision: { text: 'decided after 12 samples pooled over 2 runs' } });
    expect(v.ratio!.samples!.map((s) => s.key)).toEqual([...[1, 2, 3, 4, 5, 6].map((i) => `run-a round ${i}`), ...[1, 2, 3, 4, 5, 6].map((i) => `run-b round ${i}`)]);
    expect(v.ratio!.samples!.map((s) => s.value)).toEqual([...around(8410, 6), ...around(8410, 6).reverse()]);
  });

  it('is decided by rounds, unlike an extrapolation against the machine', () => {
    expect(decidedByRounds(inSeconds)).toBe(true);
    expect(decidedByRounds(CLAIMS.find((c) => c.against === 'machine-memory')!)).toBe(false);
    expect(decidedByRounds(CLAIMS[0]!)).toBe(true);
    expect(claimsResting('startup', ['node', 'django'], [inSeconds]).map((c) => c.id)).toEqual(['starts-in-seconds', 'starts-in-seconds:django/django']);
    expect(claimsResting('startup', ['django'], [inSeconds]).map((c) => c.id)).toEqual(['starts-in-seconds:django/django']);
  });
});

describe('a claim against a bound in the reports', () => {
  const verdicts = () => evaluateClaims(run(around(8410), around(15000)), [inSeconds]);

  it('shows its figure and band in the unit, with no "node/node"', () => {
    const glance = glanceTable(verdicts());
    expect(glance.header[1]).toBe('ratio or figure');
    expect(glance.rows[0]).toEqual(['Containers start in seconds', expect.stringMatching(/^node 8\.4\d s$/), expect.stringMatching(/^8\.\d+ s–8\.\d+ s \(95\.0%, anytime\)$/), '≤ 10 s', 'supported', 'decided after 12 samples']);
    expect(glance.rows[1]![0]).toBe('beside: django');
    const detail = claimsTable(verdicts());
    expect(detail.rows[0]![2]).toMatch(/^node 8\.4\d s \[/);
    expect(detail.rows[0]![3]).toMatch(/^8\.4\d s, 8\.\d+ s–8\.\d+ s \(95\.0%, anytime\), median of 12 samples$/);
    // The prediction (column 0) is the claim's data: a beside entry's reads "beside it, django/django" unless it says its own.
    const text = JSON.stringify([glance, detail.rows.map((row) => row.slice(1))]);
    expect(text).not.toMatch(/node\/node|django\/django/);
  });

  it('says the band with the figure\'s name where nothing was measured', () => {
    const r = fakeResults();
    expect(glanceTable(evaluateClaims(r, [inSeconds])).rows[0]).toEqual(['Containers start in seconds', 'n/a', 'n/a', '≤ 10,000 (ready-ms)', 'inconclusive', 'not measured']);
  });

  it('traces its samples, round by round', () => {
    expect(claimTraces(verdicts())[0]).toMatch(/^starts-in-seconds: results\.json: startup\/node; samples round 1: 8\.33 s, round 2: 8\.41 s, round 3: 8\.49 s, .*round 12: 8\.\d+ s\.$/);
  });

  it('is left out of the forest plot of ratios, which says why when nothing else is left', () => {
    const chart = claimsForestChart(verdicts());
    expect(chart.spec).toBeNull();
    expect(chart.missing).toMatch(/judged against a bound in its own unit/);
    // Beside ratio claims, the plot draws the ratios only.
    const r = fakeResults();
    r.measurements = [...fakeLifecycle('node', around(75), 40, 80e6, 75e6), ...fakeLifecycle('django', around(180), 50, 300e6, 120e6)];
    const mixed = claimsForestChart(evaluateClaims(r, [inSeconds, CLAIMS.find((c) => c.id === 'startup')!]));
    expect(JSON.stringify(mixed.spec)).not.toMatch(/starts-in-seconds/);
    expect(JSON.stringify(mixed.spec)).toMatch(/"startup\|/);
  });

});
